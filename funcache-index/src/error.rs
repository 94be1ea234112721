//! The one error type of the index.

use std::path::PathBuf;

/// Why an index or an analysis could not be built.
///
/// Every message names the file, target or item involved, so that a user
/// reading it in a compile error can act on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// A file could not be read.
    #[error("funcache: cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A source file or a piece of one does not parse.
    #[error("funcache: {}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// `Cargo.toml` or `Cargo.lock` is malformed.
    #[error("funcache: {}: {message}", path.display())]
    Manifest {
        /// The manifest or lock file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No target of the package matches the crate being compiled.
    #[error(
        "funcache: no target of the package at {} is named `{crate_name}`{}; \
         is CARGO_MANIFEST_DIR right and the target listed in Cargo.toml?",
        manifest_dir.display(),
        bin_name.as_ref().map(|b| format!(" (binary `{b}`)")).unwrap_or_default()
    )]
    NoCrateTarget {
        /// `CARGO_MANIFEST_DIR`.
        manifest_dir: PathBuf,
        /// `CARGO_CRATE_NAME`.
        crate_name: String,
        /// `CARGO_BIN_NAME`.
        bin_name: Option<String>,
    },
    /// The function to analyze was not found.
    #[error("funcache: function `{name}` not found ({context})")]
    FnNotFound {
        /// The function name or path as given.
        name: String,
        /// Where it was looked for.
        context: String,
    },
    /// The function's scope (the module it is compiled in, what its names
    /// mean) cannot be seen in the source: it is written inside a macro's
    /// definition, in an invocation that may move it, or in a file that is
    /// several modules' source. The macro falls back.
    #[error("funcache: the source index cannot see the scope of `{name}`: {reason}")]
    Unseen {
        /// The function's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// A path given to `memoize!` does not name a function.
    #[error("funcache: `{path}` does not resolve to a function of this crate ({detail})")]
    NotAFunction {
        /// The path as written.
        path: String,
        /// What it resolved to instead.
        detail: String,
    },
}

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}
