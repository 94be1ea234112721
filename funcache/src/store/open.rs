//! Opening a cache directory's store: the access it gets (read-write,
//! read only, read only without the lock file), its tables, and what
//! happens to a damaged database.

use std::path::Path;

use super::damage::{DamageMark, DatabaseId, move_aside};
use super::file_bounds::DataFile;
use super::lmdb::{self, Access, LmdbEnv, Table};
use super::{AccessLog, Blobs, Journal, Layout, Store, Tables};
use crate::config::Durability;
use crate::error::Error;

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// Create the directory if it is missing; read and write where
    /// permitted, else read only.
    Create,
    /// The directory must exist; read and write where permitted, else
    /// read only.
    Existing,
    /// The directory must exist; never write (`FUNCACHE_READONLY`).
    ReadOnly,
}

impl Store {
    /// Opens the cache directory `dir`. Only the registry calls this: one
    /// environment per directory per process (see [`lmdb::open_env`]).
    pub(super) fn open(dir: &Path, mode: OpenMode, durability: Durability) -> Result<Store, Error> {
        let layout = Layout::new(dir);
        layout.prepare(mode == OpenMode::Create)?;
        // A damaged database is moved aside, never served from, and a new
        // one started: a cache can always be rebuilt. (Only by programs:
        // an inspection reports it and changes nothing.) Damage is found
        // here, or by a process that used it (see `Store::mark_damaged`).
        if mode == OpenMode::Create
            && let Some(mark) = DamageMark::read(&layout)
        {
            move_aside(&layout, mark.database, &mark.reason)?;
        }
        let opened = DatabaseId::in_place(&layout);
        match Self::open_env_again(&layout, mode, durability) {
            Err(OpenError::Corrupt(error)) if mode == OpenMode::Create => {
                move_aside(&layout, opened, &error.to_string())?;
                Self::open_env_again(&layout, mode, durability)
                    .map_err(|error| error.into_error(dir))
            }
            result => result.map_err(|error| error.into_error(dir)),
        }
    }

    /// [`open_env`](Self::open_env), once more if a program found the
    /// database directory gone meanwhile: another process that found it
    /// damaged moved it aside and has not started the new one yet (trial
    /// O: the second of two programs then ran with no disk tier).
    pub(super) fn open_env_again(
        layout: &Layout,
        mode: OpenMode,
        durability: Durability,
    ) -> Result<Store, OpenError> {
        match Self::open_env(layout.clone(), mode, durability) {
            Err(OpenError::Other(_)) if mode == OpenMode::Create && !layout.db().exists() => {
                layout.prepare(true).map_err(OpenError::Other)?;
                Self::open_env(layout.clone(), mode, durability)
            }
            result => result,
        }
    }

    fn open_env(
        layout: Layout,
        mode: OpenMode,
        durability: Durability,
    ) -> Result<Store, OpenError> {
        let dir = layout.root.clone();
        let db_error = |source: heed::Error| {
            if lmdb::is_corruption(&source) {
                OpenError::Corrupt(source)
            } else {
                OpenError::Other(Error::Store {
                    path: dir.clone(),
                    source: Box::new(source),
                })
            }
        };
        let writable = Access::Write {
            sync_each: durability == Durability::Sync,
        };
        let (env, read_only) = match mode {
            OpenMode::Create | OpenMode::Existing => match lmdb::open_env(&layout.db(), writable) {
                Err(error) if lmdb::lock_file_unwritable(&error) => {
                    open_read_only(&layout.db()).map(|env| (env, true))
                }
                result => result.map(|env| (env, false)),
            },
            OpenMode::ReadOnly => open_read_only(&layout.db()).map(|env| (env, true)),
        }
        .map_err(db_error)?;
        // Reader slots of processes that died mid-read would otherwise
        // hold old pages forever. (Without the lock file there are none.)
        let _ = env.clear_stale_readers();
        // LMDB follows damaged pages unchecked, reading and writing: none
        // is touched before every page in use is checked.
        let (data_path, page_size) = (layout.data_file(), u64::from(env.stat().page_size));
        super::page_check::check(&env, &data_path, page_size)
            .map_err(|damage| OpenError::Corrupt(damage.into()))?;
        let tables = open_tables(&env).map_err(db_error)?;
        let data_file = DataFile::new(&data_path, page_size, !read_only);
        let store = Store {
            access_log: AccessLog::new(&dir),
            blobs: Blobs::new(layout.blobs()),
            layout,
            snapshots: super::Snapshots::new(),
            env,
            tables,
            journal: Journal::default(),
            read_only,
            durability,
            unsynced: std::sync::atomic::AtomicBool::new(false),
            reader_check: crate::once_per::OncePer::new(super::READER_CHECK_EVERY),
            damaged: std::sync::atomic::AtomicBool::new(false),
            data_file,
            puts: std::sync::atomic::AtomicU64::new(0),
            // Given its store by the registry, which starts its writer.
            queue: super::writer::Queue::new(std::sync::Weak::new()),
        };
        // Only by a program, which may write: an inspection changes
        // nothing (it writes nothing either; see `DataFile::keep_tail`).
        if mode == OpenMode::Create {
            store.data_file.keep_tail(&store.env.info());
        }
        Ok(store)
    }
}

/// Why a database did not open.
pub(super) enum OpenError {
    /// Its file is damaged.
    Corrupt(heed::Error),
    Other(Error),
}

impl OpenError {
    pub(super) fn into_error(self, dir: &Path) -> Error {
        match self {
            OpenError::Corrupt(source) => Error::Damaged {
                path: dir.to_path_buf(),
                source: Box::new(source),
            },
            OpenError::Other(error) => error,
        }
    }
}

/// Opens read only: through the lock file where it can be written, else
/// without it (nobody can write there then).
fn open_read_only(dir: &Path) -> heed::Result<LmdbEnv> {
    lmdb::open_env(dir, Access::Read).or_else(|error| {
        if lmdb::lock_file_unwritable(&error) {
            lmdb::open_env(dir, Access::ReadNoLock)
        } else {
            Err(error)
        }
    })
}

/// Opens the tables, creating them in a writable environment.
fn open_tables(env: &LmdbEnv) -> heed::Result<Tables> {
    let (existing, snapshot) = {
        let txn = env.read_txn()?;
        let snapshot = txn.id();
        let mut tables = Vec::new();
        for name in lmdb::TABLE_NAMES {
            tables.push(
                env.open_database::<heed::types::Bytes, super::file_bounds::CheckedBytes>(
                    &txn,
                    Some(name),
                )?,
            );
        }
        txn.commit()?;
        (tables, snapshot)
    };
    let tables: Vec<Table> = if existing.iter().all(Option::is_some) {
        existing.into_iter().flatten().collect()
    } else if snapshot > 0 {
        // The first commit creates every table: one missing from a
        // snapshot that has commits is a damaged page naming the tables.
        // (The snapshot's, not the latest: another process may have
        // created them since this one looked.)
        // Writing into it (to create them) would write through the damage
        // (trial M: a corrupted heap, then an abort).
        return Err(heed::Error::Mdb(heed::MdbError::Corrupted));
    } else {
        // A new database (only a writable one: a read-only open of a
        // database without tables fails here, and the disk tier is off).
        let mut txn = env.write_txn()?;
        let mut tables = Vec::new();
        for name in lmdb::TABLE_NAMES {
            tables.push(env.create_database(&mut txn, Some(name))?);
        }
        txn.commit()?;
        tables
    };
    Ok(Tables {
        entries: tables[0],
        functions: tables[1],
        fingerprints: tables[2],
        stats: tables[3],
        ttls: open_ttls(env)?,
    })
}

/// The `ttls` table: opened if it exists, else created where the
/// environment can be written; absent in a read-only database written
/// before it existed (no ttl is then recorded there).
fn open_ttls(env: &LmdbEnv) -> heed::Result<Option<Table>> {
    let txn = env.read_txn()?;
    let existing = env.open_database(&txn, Some(lmdb::TTLS_TABLE))?;
    txn.commit()?;
    if existing.is_some() {
        return Ok(existing);
    }
    let mut txn = match env.write_txn() {
        Ok(txn) => txn,
        Err(_) => return Ok(None),
    };
    let table = env.create_database(&mut txn, Some(lmdb::TTLS_TABLE))?;
    txn.commit()?;
    Ok(Some(table))
}
