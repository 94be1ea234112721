//! A damaged database: the mark a process that met the damage leaves for
//! the next program (`<dir>/lmdb.damaged`), and moving the database aside
//! (to `<dir>/lmdb.corrupt-<unix ms>-<pid>`, never read again; only the
//! latest is kept, for a post-mortem).
//!
//! Several processes may find the same damage at once. Each names the
//! database file it found damaged by its identity (device and inode), and
//! moves the database aside only while that file is still the one in
//! place: the new database another process started meanwhile is left
//! alone. Moves take a lock file (`<dir>/locks/move-aside`) so that the
//! check and the rename are one step.

use std::fmt;
use std::path::Path;

use super::Layout;
use crate::envelope;
use crate::error::Error;

/// Which file a database file is (device and inode), whatever its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DatabaseId {
    dev: u64,
    ino: u64,
}

impl DatabaseId {
    /// The identity of the file at `path`; `None` where it cannot be had
    /// (no such file, or no inodes on this platform).
    pub(crate) fn of(path: &Path) -> Option<DatabaseId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let metadata = std::fs::metadata(path).ok()?;
            Some(DatabaseId {
                dev: metadata.dev(),
                ino: metadata.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    }

    /// The database file in place in `layout` now.
    pub(crate) fn in_place(layout: &Layout) -> Option<DatabaseId> {
        DatabaseId::of(&layout.data_file())
    }
}

impl fmt::Display for DatabaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.dev, self.ino)
    }
}

/// What a damage mark says: which database (if the mark names it) and
/// what was found.
pub(crate) struct DamageMark {
    pub(crate) database: Option<DatabaseId>,
    pub(crate) reason: String,
}

const MARK_DATABASE: &str = "database ";

impl DamageMark {
    /// Writes the mark of `database` in `layout`; whether it was written.
    pub(crate) fn write(layout: &Layout, database: Option<DatabaseId>, reason: &str) -> bool {
        let named = database.map_or_else(String::new, |id| format!("{MARK_DATABASE}{id}\n"));
        std::fs::write(layout.damage_mark(), format!("{named}{reason}")).is_ok()
    }

    /// The mark in `layout`, if there is one.
    pub(crate) fn read(layout: &Layout) -> Option<DamageMark> {
        let text = std::fs::read_to_string(layout.damage_mark()).ok()?;
        let named = text.strip_prefix(MARK_DATABASE).and_then(|rest| {
            let (id, reason) = rest.split_once('\n')?;
            let (dev, ino) = id.split_once(':')?;
            let database = DatabaseId {
                dev: dev.parse().ok()?,
                ino: ino.parse().ok()?,
            };
            Some((database, reason.to_owned()))
        });
        Some(match named {
            Some((database, reason)) => DamageMark {
                database: Some(database),
                reason,
            },
            // A mark that names no database (or is itself damaged).
            None => DamageMark {
                database: None,
                reason: text,
            },
        })
    }
}

/// Moves the damaged database of `layout` aside, if it is still the one in
/// place (`database`, when known), and prepares an empty one; warns once.
pub(crate) fn move_aside(
    layout: &Layout,
    database: Option<DatabaseId>,
    reason: &str,
) -> Result<(), Error> {
    let dir = &layout.root;
    // Held until this move is done: the check that the database is still
    // in place and its rename are then one step for every other process.
    let _moving = lock_moves(dir);
    // Unless another process moved it aside (and started the one in
    // place, or is about to: the rename then finds nothing).
    if database.is_none() || database == DatabaseId::in_place(layout) {
        // The process id too: two processes may move in one millisecond.
        let name = format!(
            "{ASIDE_PREFIX}{}-{}",
            envelope::now_unix_ms(),
            std::process::id()
        );
        let aside = dir.join(&name);
        match std::fs::rename(layout.db(), &aside) {
            Ok(()) => {
                remove_older(dir, &name);
                crate::warn::warn_once("store-corrupt", &dir.to_string_lossy(), || {
                    format!(
                        "funcache: the cache database in {} is damaged ({reason}); it was moved \
                         to {} and the cache starts empty",
                        dir.display(),
                        aside.display()
                    )
                });
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Io {
                    path: layout.db(),
                    source,
                });
            }
        }
    }
    // Gone with the database it was about; a failure only means the next
    // opener moves the new database aside too.
    let _ = std::fs::remove_file(layout.damage_mark());
    layout.prepare(true)
}

/// Takes `<dir>/locks/move-aside` exclusively, waiting for another
/// process's move; `None` if it cannot be had (the move goes on: the
/// identity check and a rename that finds nothing still hold).
fn lock_moves(dir: &Path) -> Option<std::fs::File> {
    let path = super::key_lock::dir(dir).join("move-aside");
    let file = super::key_lock::open_lock_file(dir, &path).ok()?;
    fs4::FileExt::lock(&file).ok()?;
    Some(file)
}

/// Names of databases moved aside start with this.
pub(crate) const ASIDE_PREFIX: &str = "lmdb.corrupt-";

/// Deletes the databases moved aside before `kept` (each as large as the
/// cache was): the latest one is enough to look into.
fn remove_older(dir: &Path, kept: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(ASIDE_PREFIX) && name != kept {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
