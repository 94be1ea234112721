//! The layout of a cache directory:
//!
//! ```text
//! <dir>/FUNCACHE      marker: identifies the directory and its format version
//! <dir>/lmdb/         the LMDB database (data.mdb, lock.mdb)
//! <dir>/blobs/<hex>   values of 1 MiB and more, content-addressed
//! <dir>/access.log    sampled reads, for least-recently-used eviction
//! <dir>/locks/keys    advisory byte locks: one computation per key (Linux)
//! <dir>/locks/<n>     advisory lock files: the same elsewhere
//! <dir>/locks/move-aside  held while a damaged database is moved aside
//! <dir>/lmdb.damaged  left by a process that found the database damaged
//! <dir>/lmdb.corrupt-<ms>-<pid>  the latest damaged database moved aside
//! ```
//!
//! Nothing in the directory names an absolute path or a machine, so it can
//! be copied elsewhere (another checkout, a CI runner) and still hit.
//!
//! Directories are created private to the user (0700; files are 0600).
//! Creation is safe when several processes create one new directory at
//! once: the marker is written atomically (a temporary file renamed into
//! place), and what a concurrent creator may have put there meanwhile is
//! not mistaken for a foreign directory's contents.
//!
//! Formats 1 and 2 (funcache with sled, `<dir>/db/`) are upgraded in place: its
//! database is moved aside to `<dir>/db.sled-v1` (never read), and a new
//! one is started. Its blob files match no entry of the new database, so
//! the next purge removes them.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::envelope::FORMAT_VERSION;
use crate::error::Error;
use crate::warn::warn_once;

/// File name of the marker.
pub(crate) const MARKER: &str = "FUNCACHE";
const MARKER_PREFIX: &str = "funcache cache directory\nformat ";
/// Temporary files of the marker start with this.
const MARKER_TEMP: &str = ".FUNCACHE.tmp";
/// The last format whose database was sled's (1: postcard values; 2: a
/// codec byte added).
const LAST_SLED_FORMAT: u8 = 2;
/// Where a sled-era database is moved.
pub(crate) const SLED_ASIDE: &str = "db.sled-v1";
/// Written by a process that found the database damaged while using it:
/// the next program to open the directory moves the database aside.
const DAMAGE_MARK: &str = "lmdb.damaged";

/// Names a funcache directory may hold (of this format or the sled one):
/// finding only these, a creator knows it races another, not a stranger.
const OWN_NAMES: &[&str] = &[
    MARKER,
    "lmdb",
    "blobs",
    "access.log",
    "access.log.1",
    "locks",
    "db",
    SLED_ASIDE,
    DAMAGE_MARK,
];

/// Paths inside one cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub root: PathBuf,
}

/// Creates `path` and any missing parents, private to the user.
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

impl Layout {
    pub(crate) fn new(root: &Path) -> Self {
        Layout {
            root: root.to_path_buf(),
        }
    }

    /// The LMDB environment's directory.
    pub(crate) fn db(&self) -> PathBuf {
        self.root.join("lmdb")
    }

    /// The LMDB environment's data file: every page of the database.
    pub(crate) fn data_file(&self) -> PathBuf {
        self.db().join("data.mdb")
    }

    /// See [`DAMAGE_MARK`].
    pub(crate) fn damage_mark(&self) -> PathBuf {
        self.root.join(DAMAGE_MARK)
    }

    pub(crate) fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    fn marker(&self) -> PathBuf {
        self.root.join(MARKER)
    }

    fn io_error(&self) -> impl Fn(io::Error) -> Error + '_ {
        |source| Error::Io {
            path: self.root.clone(),
            source,
        }
    }

    /// Checks that `root` is a funcache directory of this format, creating
    /// it (and the marker) when `create` is set and it is new or empty, and
    /// upgrading a sled-era directory when `create` is set.
    pub(crate) fn prepare(&self, create: bool) -> Result<(), Error> {
        match fs::read_to_string(self.marker()) {
            Ok(text) => match parse_marker(&text) {
                Some(FORMAT_VERSION) => return self.ensure_dirs(create),
                Some(found) if found <= LAST_SLED_FORMAT && create => {
                    return self.upgrade_from_sled();
                }
                Some(found) => {
                    return Err(Error::Format {
                        path: self.root.clone(),
                        found,
                    });
                }
                None => {
                    return Err(Error::NotACacheDir {
                        path: self.root.clone(),
                    });
                }
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(self.io_error()(error)),
        }
        if !create {
            return Err(Error::NotACacheDir {
                path: self.root.clone(),
            });
        }
        create_private_dir(&self.root).map_err(self.io_error())?;
        if self.has_foreign_entries().map_err(self.io_error())? {
            // Refuse to scatter a database into a directory that holds
            // something else (a mistyped FUNCACHE_DIR=$HOME, say).
            return Err(Error::NotACacheDir {
                path: self.root.clone(),
            });
        }
        // The marker last: a directory with a marker is complete.
        self.ensure_dirs(true)?;
        self.write_marker().map_err(self.io_error())
    }

    /// Creates `lmdb/` and `blobs/` if missing (a concurrent creator may
    /// have written the marker and not yet these).
    fn ensure_dirs(&self, create: bool) -> Result<(), Error> {
        if create {
            for dir in [self.db(), self.blobs()] {
                create_private_dir(&dir).map_err(self.io_error())?;
            }
        }
        Ok(())
    }

    /// Whether the directory holds anything a funcache creator would not
    /// have put there.
    fn has_foreign_entries(&self) -> io::Result<bool> {
        for entry in fs::read_dir(&self.root)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if !OWN_NAMES.contains(&name.as_ref()) && !name.starts_with(MARKER_TEMP) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Writes the marker of this format atomically (complete or absent).
    fn write_marker(&self) -> io::Result<()> {
        let mut temp = tempfile::Builder::new()
            .prefix(MARKER_TEMP)
            .tempfile_in(&self.root)?;
        writeln!(temp, "{MARKER_PREFIX}{FORMAT_VERSION}")?;
        temp.as_file().sync_all()?;
        temp.persist(self.marker()).map_err(|error| error.error)?;
        Ok(())
    }

    /// Moves a sled-era database aside and starts this format. Safe when
    /// several processes upgrade at once: the move happens once, the
    /// marker is rewritten whole.
    fn upgrade_from_sled(&self) -> Result<(), Error> {
        let old = self.root.join("db");
        let aside = self.root.join(SLED_ASIDE);
        match fs::rename(&old, &aside) {
            Ok(()) => warn_once("upgrade", &self.root.to_string_lossy(), || {
                format!(
                    "funcache: {} was written by an older funcache (sled database); its \
                     entries are not read: the old database was moved to {} (delete it at \
                     will) and the cache starts empty",
                    self.root.display(),
                    aside.display()
                )
            }),
            // Another process moved it first.
            Err(_) if !old.exists() => {}
            Err(error) => return Err(self.io_error()(error)),
        }
        self.write_marker().map_err(self.io_error())?;
        self.ensure_dirs(true)
    }
}

fn parse_marker(text: &str) -> Option<u8> {
    text.strip_prefix(MARKER_PREFIX)
        .and_then(|rest| rest.trim().parse::<u8>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_new_private_directory_with_marker() {
        let temp = tempfile::tempdir().unwrap();
        let layout = Layout::new(&temp.path().join("cache"));
        layout.prepare(true).unwrap();
        assert!(layout.blobs().is_dir());
        assert!(layout.db().is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [layout.root.clone(), layout.blobs(), layout.db()] {
                let mode = fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "{} is private", path.display());
            }
            let marker = fs::metadata(layout.marker()).unwrap().permissions().mode();
            assert_eq!(marker & 0o077, 0, "the marker is private");
        }
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

    /// Regression: a second creator that saw `blobs/` before the marker was
    /// refused ("not a funcache cache directory").
    #[test]
    fn a_half_created_directory_is_finished_not_refused() {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir(temp.path().join("blobs")).unwrap();
        fs::create_dir(temp.path().join("lmdb")).unwrap();
        Layout::new(temp.path()).prepare(true).unwrap();
    }

    #[test]
    fn many_threads_creating_one_directory_all_succeed() {
        for _ in 0..20 {
            let temp = tempfile::tempdir().unwrap();
            let root = temp.path().join("cache");
            std::thread::scope(|scope| {
                let creators: Vec<_> = (0..6)
                    .map(|_| scope.spawn(|| Layout::new(&root).prepare(true)))
                    .collect();
                for creator in creators {
                    creator.join().unwrap().unwrap();
                }
            });
        }
    }

    #[test]
    fn refuses_another_format_version() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join(MARKER), format!("{MARKER_PREFIX}99\n")).unwrap();
        let error = Layout::new(temp.path()).prepare(true).unwrap_err();
        assert!(matches!(error, Error::Format { found: 99, .. }), "{error}");
    }

    #[test]
    fn a_format_2_sled_directory_is_upgraded() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join(MARKER), format!("{MARKER_PREFIX}2\n")).unwrap();
        fs::create_dir(temp.path().join("db")).unwrap();
        Layout::new(temp.path()).prepare(true).unwrap();
        assert!(temp.path().join(SLED_ASIDE).is_dir());
        let marker = fs::read_to_string(temp.path().join(MARKER)).unwrap();
        assert_eq!(parse_marker(&marker), Some(FORMAT_VERSION));
    }

    #[test]
    fn a_sled_directory_is_reported_when_not_creating() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join(MARKER), format!("{MARKER_PREFIX}1\n")).unwrap();
        let error = Layout::new(temp.path()).prepare(false).unwrap_err();
        assert!(matches!(error, Error::Format { found: 1, .. }), "{error}");
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
