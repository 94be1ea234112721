//! Durable, source-aware memoization.
//!
//! Put [`#[funcache::cache]`](macro@cache) on a function and its results
//! persist on disk, keyed by the function's *source* and its *arguments*.
//! Edit the function and old results stop matching; edit only comments or
//! formatting and they still match. Results are kept in a bounded
//! in-memory LRU tier in front of an LMDB database, so a repeated call costs
//! a hash and a lookup, in this process or the next one — or in another
//! process using the same cache directory at the same time.
//!
//! ```toml
//! [dependencies]
//! funcache = "0.1"
//! serde = { version = "1", features = ["derive"] }
//! ```
//!
//! The core names:
//!
//! * [`cache`] — the attribute (its documentation is the manual);
//! * [`FnCache`] — a cached function's handle (`f_cache()`): [`info`](FnCache::info),
//!   [`clear`](FnCache::clear), [`fingerprint`](FnCache::fingerprint);
//! * [`CacheInfo`] — hits, misses, maxsize and currsize, per tier;
//! * [`Memo`] — an in-memory memoizing wrapper for closures and functions
//!   you do not own;
//! * [`Remote`] — a Redis server or cluster shared between machines, read
//!   after the local directory misses ([`set_remote`] or
//!   `FUNCACHE_REMOTE=redis://host:6379/0`; cargo feature `redis`, on by
//!   default).
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Serialize, Deserialize)]
//! struct Summary {
//!     words: usize,
//!     longest: String,
//! }
//!
//! #[funcache::cache]
//! fn summarize(text: &str) -> Summary {
//!     let longest = text.split_whitespace().max_by_key(|w| w.len()).unwrap_or("");
//!     Summary { words: text.split_whitespace().count(), longest: longest.to_owned() }
//! }
//!
//! fn main() -> Result<(), funcache::Error> {
//!     let summary = summarize("the quick brown fox"); // computed, stored
//!     let again = summarize("the quick brown fox"); // served from the cache
//!     assert_eq!(summary.words, again.words);
//!     println!("{}", summarize_cache().info());
//!     summarize_cache().clear()?;
//!     Ok(())
//! }
//! ```
//!
//! A cache failure (an unwritable or corrupt directory, a value that no
//! longer decodes or fails its checksum) never fails the call: the function
//! runs, its result is returned, and a [`tracing`](https://docs.rs/tracing)
//! warning says why.
//!
//! Durability: each commit is one transaction, so a process killed at any
//! point leaves a cache that serves every result whose commit completed and
//! never a torn value. By default ([`Durability::Batch`]) results are
//! committed in groups off the caller's thread a few milliseconds after
//! their calls return (and on exit, and by [`flush`]), and synced in
//! batches at most [`SYNC_DELAY`] later: a kill can cost the results still
//! queued, an OS crash those not yet synced; they are recomputed.
//! `FUNCACHE_DURABILITY=sync` commits and syncs each one before its call
//! returns.
//!
//! Sharing: processes that use one cache directory read each other's
//! results as soon as they are committed (see above), and a process reads
//! its own at once. The memory tier is per process: a value removed from
//! the directory by another process (`funcache-cli purge`, `cache_clear()`
//! there) is still served from this process's memory tier until it leaves
//! it.

// Lets the macro's `::funcache::…` paths resolve inside this crate's own
// unit tests.
extern crate self as funcache;

mod build;
mod codec;
mod config;
mod envelope;
mod error;
mod fingerprint;
mod flight;
mod fn_cache;
mod inspect;
mod key;
mod memo;
mod memory;
mod once_per;
mod packed;
mod remote;
mod stats;
mod store;
mod striped;
#[cfg(test)]
mod test_child;
mod thread_id;
mod tier;
mod warn;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use config::{
    DIR_VAR, DISABLE_VAR, DURABILITY_VAR, Durability, LOCK_WAIT_VAR, MAX_SIZE_VAR, READONLY_VAR,
    REFRESH_VAR, REMOTE_MAX_VALUE_VAR, REMOTE_PASSWORD_VAR, REMOTE_TIMEOUT_VAR, REMOTE_VAR,
    max_size, set_cache_dir, set_max_size,
};
pub use envelope::FORMAT_VERSION;
pub use error::Error;
pub use fn_cache::{Dependency, Fingerprint, FnCache};
pub use funcache_derive::{cache, memoize};
pub use inspect::{CacheDir, EntryInfo, FingerprintInfo, FunctionSummary, Removed};
pub use key::{ArgsKey, KeyError};
pub use memo::{DEFAULT_CAPACITY, Memo};
#[cfg(feature = "redis")]
pub use remote::{OtherKeys, RemoteCache, RemoteEntry};
pub use remote::{Remote, set_remote};
pub use stats::{CacheInfo, TierInfo};
pub use store::SYNC_DELAY;
pub use store::{DiskUsage, UsageCounts};

/// Writes everything this process has buffered to its cache directories
/// and syncs them to disk: results not yet committed or synced (see
/// [`Durability`]), and the usage statistics `funcache-cli inspect` shows
/// (hit and miss counts, when entries were last read), which are otherwise
/// written in batches.
///
/// A normal exit commits queued results without it; call it at the end of
/// `main` for exact statistics, and before a point where the process may
/// be killed or the OS crash, to have the last results on disk.
///
/// # Errors
///
/// When a store fails to flush.
pub fn flush() -> Result<(), Error> {
    tier::flush_usage();
    store::flush_all()
}

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
