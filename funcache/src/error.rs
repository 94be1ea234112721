//! The error type of funcache's fallible operations.
//!
//! Calls to a cached function never return these: a cache that fails is
//! logged and bypassed, and the function's own result is returned. They
//! come back from explicit cache operations such as
//! [`FnCache::clear`](crate::FnCache::clear).

use std::path::PathBuf;

/// A boxed backend error (LMDB, I/O), kept out of the public API.
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong with a cache directory or store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The directory exists but is not a funcache cache directory.
    #[error(
        "{path} is not a funcache cache directory (it has no FUNCACHE marker and is not empty)"
    )]
    NotACacheDir {
        /// The directory.
        path: PathBuf,
    },
    /// The directory was written by an incompatible version of funcache.
    #[error(
        "{path} holds cache format version {found}; this build of funcache uses version {}",
        crate::envelope::FORMAT_VERSION
    )]
    Format {
        /// The directory.
        path: PathBuf,
        /// The format version found in its marker.
        found: u8,
    },
    /// The database could not be opened or used.
    #[error("cache database at {path} failed: {source}")]
    Store {
        /// The directory.
        path: PathBuf,
        /// The backend error.
        #[source]
        source: Source,
    },
    /// The cache database is damaged: LMDB reported damage, or the check
    /// of its pages when it opened found some. A program that opens the
    /// directory moves a damaged database aside and starts a new one.
    #[error("the cache database at {path} is damaged: {source}")]
    Damaged {
        /// The directory.
        path: PathBuf,
        /// What was found.
        #[source]
        source: Source,
    },
    /// [`set_cache_dir`](crate::set_cache_dir) was already called with
    /// another directory.
    #[error("the cache directory was already set to {current}")]
    DirAlreadySet {
        /// The directory in effect.
        current: PathBuf,
    },
    /// The cache directory is not available in this process (it failed to
    /// open earlier; the warning logged then says why).
    #[error("the cache directory {path} is unavailable in this process")]
    Unavailable {
        /// The directory.
        path: PathBuf,
    },
    /// A remote URL ([`Remote::new`](crate::Remote::new), `FUNCACHE_REMOTE`)
    /// that cannot be used.
    #[error("invalid remote URL {url}: {reason}")]
    RemoteUrl {
        /// The URL as given, with its password as `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The remote could not be reached or refused a command (inspection
    /// and removal only: a cached call never fails on the remote).
    #[error("remote {url} failed: {source}")]
    Remote {
        /// The remote's URL, with its password as `***`.
        url: String,
        /// The client's error (its text never holds the password).
        #[source]
        source: Source,
    },
}

impl Error {
    /// Whether this is [`Error::Damaged`]: the store warned about it
    /// itself, once (callers that would warn again stay silent).
    pub fn is_damaged_database(&self) -> bool {
        matches!(self, Error::Damaged { .. })
    }
}
