//! Every way a command can fail, each with one line a user can act on.
//!
//! All of them exit with code 2 and leave the cache directory as it was:
//! commands check everything they can (the directory, the function ids,
//! the source) before they change anything. The one exception is a failure
//! in the middle of a purge, which says how far it got.

use std::io;
use std::path::PathBuf;

/// Exit code of every error, as with clap's usage errors.
pub const EXIT_ERROR: u8 = 2;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The cache directory is not there.
    #[error("no cache directory at {}{hint}", path.display())]
    NoDir {
        /// The directory.
        path: PathBuf,
        /// Where the path came from and what to do, starting with `; `.
        hint: String,
    },
    /// Neither `--dir`, `FUNCACHE_DIR` nor a package to take the default from.
    #[error(
        "no cache directory given: pass --dir DIR, set FUNCACHE_DIR, or run inside \
         the package (or pass --manifest-path) to use its default directory"
    )]
    NoDefaultDir,
    /// The path exists but holds something else.
    #[error("{} is not a funcache cache directory (it has no FUNCACHE marker)", path.display())]
    NotACache {
        /// The directory.
        path: PathBuf,
    },
    /// The directory's marker or database cannot be read.
    #[error("the cache at {} cannot be read", path.display())]
    Corrupt {
        /// The directory.
        path: PathBuf,
        /// What the runtime reported.
        #[source]
        source: funcache::Error,
    },
    /// The directory's database is damaged.
    #[error(
        "{damage}; the next program that writes the directory moves it aside and starts a new \
         one (or delete {}), which purge cannot do",
        path.join("lmdb").display()
    )]
    Damaged {
        /// The directory.
        path: PathBuf,
        /// What the runtime found (its text says it all: not a source,
        /// so the message does not repeat it).
        damage: funcache::Error,
    },
    /// Any other failure of the runtime while reading or changing the cache.
    #[error(transparent)]
    Cache(#[from] funcache::Error),
    /// A function id that has no entries in the directory.
    #[error("no function `{id}` in {}{}", dir.display(), suggest(suggestions))]
    UnknownFunction {
        /// The id as given.
        id: String,
        /// The cache directory.
        dir: PathBuf,
        /// Close ids that do exist.
        suggestions: Vec<String>,
    },
    /// A function id that has no entries on the remote.
    #[error("no function `{id}` on remote {url}{}", suggest(suggestions))]
    NotOnRemote {
        /// The id as given.
        id: String,
        /// The remote's URL, with its password as `***`.
        url: String,
        /// Close ids that do exist.
        suggestions: Vec<String>,
    },
    /// `--remote` without a URL, and `FUNCACHE_REMOTE` unset.
    #[error("no remote given: pass --remote URL or set FUNCACHE_REMOTE")]
    NoRemote,
    /// A selector the remote cannot honour (the option, and why).
    #[error("{0} does not apply with --remote: the remote {1}")]
    NotOnRemoteOption(&'static str, &'static str),
    /// A short id that matches several functions.
    #[error(
        "`{id}` matches several functions: {}; give the full id",
        quoted(candidates)
    )]
    Ambiguous {
        /// The id as given.
        id: String,
        /// The functions it could mean.
        candidates: Vec<String>,
    },
    /// A function id that is not a cached function of the current source.
    #[error(
        "`{id}` is not a cached function in the source at {}{}",
        manifest_dir.display(),
        suggest(suggestions)
    )]
    NotInSource {
        /// The id as given.
        id: String,
        /// The package (or workspace) read.
        manifest_dir: PathBuf,
        /// Close ids that are in the source.
        suggestions: Vec<String>,
    },
    /// `--manifest-path` is wrong, or no package encloses the working directory.
    #[error("{0}")]
    NoPackage(String),
    /// The source could not be indexed.
    #[error("cannot read the source of the package at {}", manifest_dir.display())]
    Index {
        /// The package.
        manifest_dir: PathBuf,
        /// What the index reported.
        #[source]
        source: IndexMessage,
    },
    /// `purge` without anything to select.
    #[error(
        "purge needs a selector: --all, --fn FN, --stale, --older-than AGE, \
         --unused-for AGE or --max-size SIZE (add --dry-run to preview)"
    )]
    NoSelector,
    /// Writing the report failed.
    #[error("cannot write the output")]
    Output(#[source] io::Error),
}

/// An index error without the `funcache: ` prefix its messages carry for
/// compile errors (here the line already starts with `error:`).
#[derive(Debug)]
pub struct IndexMessage(pub funcache_index::IndexError);

impl std::fmt::Display for IndexMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.to_string();
        f.write_str(text.strip_prefix("funcache: ").unwrap_or(&text))
    }
}

impl std::error::Error for IndexMessage {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn suggest(ids: &[String]) -> String {
    match ids {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!("; did you mean one of {}?", quoted(many)),
    }
}

impl CliError {
    /// Classifies an error from opening a cache directory.
    pub fn from_open(path: PathBuf, error: funcache::Error) -> CliError {
        match error {
            funcache::Error::NotACacheDir { .. } => CliError::NotACache { path },
            damage @ funcache::Error::Damaged { .. } => CliError::Damaged { path, damage },
            error @ (funcache::Error::Format { .. } | funcache::Error::Store { .. }) => {
                CliError::Corrupt {
                    path,
                    source: error,
                }
            }
            other => CliError::Cache(other),
        }
    }

    /// Whether this is the output pipe closing (`funcache-cli … | head`),
    /// which is not an error: the reader has what it wanted.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The message and its causes on one line, `: `-separated, each cause
    /// only when it adds text the previous one did not already contain.
    pub fn chain(&self) -> String {
        let mut line = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            source = cause.source();
        }
        // One line, whatever a backend put in its message.
        line.replace('\n', " ")
    }
}

/// Writes to stdout, as [`CliError::Output`] on failure.
pub fn output(error: io::Error) -> CliError {
    CliError::Output(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_read_naturally() {
        let error = CliError::UnknownFunction {
            id: "app::pars".into(),
            dir: "/c".into(),
            suggestions: vec!["app::parse".into()],
        };
        assert_eq!(
            error.chain(),
            "no function `app::pars` in /c; did you mean `app::parse`?"
        );
    }

    #[test]
    fn chain_skips_causes_already_said() {
        let error = CliError::Output(io::Error::other("disk full"));
        assert_eq!(error.chain(), "cannot write the output: disk full");
        assert!(!error.is_broken_pipe());
        assert!(CliError::Output(io::ErrorKind::BrokenPipe.into()).is_broken_pipe());
    }
}
