//! The layout of a cache directory:
//!
//! ```text
//! <dir>/FUNCACHE      marker: identifies the directory and its format version
//! <dir>/db/           the sled database (one tree per cached function)
//! <dir>/blobs/<hex>   values of 1 MiB and more, content-addressed
//! <dir>/access.log    sampled reads, for least-recently-used eviction
//! ```
//!
//! Nothing in the directory names an absolute path or a machine, so it can
//! be copied elsewhere (another checkout, a CI runner) and still hit.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::envelope::FORMAT_VERSION;
use crate::error::Error;

/// File name of the marker.
pub(crate) const MARKER: &str = "FUNCACHE";
const MARKER_PREFIX: &str = "funcache cache directory\nformat ";

/// Paths inside one cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub(crate) fn new(root: &Path) -> Self {
        Layout {
            root: root.to_path_buf(),
        }
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.root.join("db")
    }

    pub(crate) fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    fn marker(&self) -> PathBuf {
        self.root.join(MARKER)
    }

    /// Checks that `root` is a funcache directory of this format, creating
    /// it (and the marker) when `create` is set and it is new or empty.
    pub(crate) fn prepare(&self, create: bool) -> Result<(), Error> {
        let io_error = |source: io::Error| Error::Io {
            path: self.root.clone(),
            source,
        };
        match fs::read_to_string(self.marker()) {
            Ok(text) => return self.check_marker(&text),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(error)),
        }
        if !create {
            return Err(Error::NotACacheDir {
                path: self.root.clone(),
            });
        }
        let empty = match fs::read_dir(&self.root) {
            Ok(mut entries) => entries.next().is_none(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => true,
            Err(error) => return Err(io_error(error)),
        };
        if !empty {
            // Refuse to scatter a database into a directory that holds
            // something else (a mistyped FUNCACHE_DIR=$HOME, say).
            return Err(Error::NotACacheDir {
                path: self.root.clone(),
            });
        }
        fs::create_dir_all(self.blobs()).map_err(io_error)?;
        fs::write(self.marker(), format!("{MARKER_PREFIX}{FORMAT_VERSION}\n")).map_err(io_error)
    }

    fn check_marker(&self, text: &str) -> Result<(), Error> {
        let version = text
            .strip_prefix(MARKER_PREFIX)
            .and_then(|rest| rest.trim().parse::<u8>().ok());
        match version {
            Some(FORMAT_VERSION) => Ok(()),
            Some(found) => Err(Error::Format {
                path: self.root.clone(),
                found,
            }),
            None => Err(Error::NotACacheDir {
                path: self.root.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_new_directory_with_marker() {
        let temp = tempfile::tempdir().unwrap();
        let layout = Layout::new(&temp.path().join("cache"));
        layout.prepare(true).unwrap();
        assert!(layout.blobs().is_dir());
        layout
            .prepare(false)
            .expect("an existing cache opens without create");
    }

    #[test]
    fn refuses_a_foreign_non_empty_directory() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("notes.txt"), "mine").unwrap();
        let error = Layout::new(temp.path()).prepare(true).unwrap_err();
        assert!(matches!(error, Error::NotACacheDir { .. }), "{error}");
    }

    #[test]
    fn refuses_another_format_version() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join(MARKER), format!("{MARKER_PREFIX}99\n")).unwrap();
        let error = Layout::new(temp.path()).prepare(true).unwrap_err();
        assert!(matches!(error, Error::Format { found: 99, .. }), "{error}");
    }

    #[test]
    fn missing_directory_without_create_is_not_a_cache() {
        let temp = tempfile::tempdir().unwrap();
        let error = Layout::new(&temp.path().join("absent"))
            .prepare(false)
            .unwrap_err();
        assert!(matches!(error, Error::NotACacheDir { .. }));
    }
}
