//! The LMDB environment of one cache directory: how it is opened and the
//! tables in it. This file holds one of the workspace's three `unsafe` blocks
//! (the others register the exit hooks in `at_exit.rs` and take byte locks
//! in `key_lock.rs`).
//!
//! Why LMDB: any number of processes read without locks while LMDB's own
//! lock serialises writers across processes; its copy-on-write B+tree with
//! two meta pages survives a killed process; it opens read-only; reads are
//! zero-copy from the memory map. (sled, used before, held an exclusive lock
//! on its directory: a second process could neither read nor write.)

#[cfg(test)]
use std::cell::Cell;
use std::io;
use std::path::Path;

use heed::types::Bytes;

use super::file_bounds::{CheckedBytes, OutOfFile};
use super::page_check::PageDamage;
use heed::{Database, Env, EnvFlags, EnvOpenOptions, TlsUsage, WithTls, WithoutTls};

/// A table: byte keys to byte values (checked to lie in the file, see
/// `file_bounds.rs`).
pub(crate) type Table = Database<Bytes, CheckedBytes>;

/// An environment whose read transactions are not tied to threads
/// (`MDB_NOTLS`): a transaction may outlive the call that began it and be
/// reused by the next lookup on its thread (see `snapshots.rs`), and a
/// thread may read inside a read (a cached function called from a stored
/// value's `Deserialize`) or write while it reads.
///
/// Each transaction takes a reader slot in the lock file under a mutex
/// that every process shares; since a thread's lookups reuse one
/// transaction for a while, they take it rarely, and readers in different
/// processes do not contend.
pub(crate) type LmdbEnv = Env<WithoutTls>;

/// The size of the memory map, which is the most the database file can
/// grow to. It costs address space, not memory or disk: the file grows as
/// pages are written. Writes keep the pages in use under half of the map,
/// evicting the least recently used entries down to a quarter when they
/// pass it (see `evict::keep_map_room`: a full map refuses even the
/// deletions that would make room); a write that still finds the map full
/// returns the value unstored, with one warning per directory.
/// LMDB answers `MDB_MAP_RESIZED` only to a process whose map is smaller
/// than the data another one wrote: with one size for every 64-bit
/// process, that is a 32-bit process (1 GiB map) on a directory holding
/// more than 1 GiB of database. Adopting the larger size needs every
/// transaction of the process closed (heed's `Env::resize` is `unsafe` for
/// that), which a hit path without a process-wide lock cannot promise; so
/// that process reads nothing and stores nothing, with one warning per
/// directory, and every call computes its correct result.
#[cfg(target_pointer_width = "64")]
pub(crate) const MAP_SIZE: usize = 256 << 30;
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const MAP_SIZE: usize = 1 << 30;

/// The map size to open with: [`MAP_SIZE`], or in this crate's unit
/// tests, a smaller one set for the calling thread (to fill a map).
pub(crate) fn map_size() -> usize {
    #[cfg(test)]
    if let Some(size) = TEST_MAP_SIZE.with(Cell::get) {
        return size;
    }
    MAP_SIZE
}

#[cfg(test)]
thread_local! {
    /// See [`map_size`].
    pub(crate) static TEST_MAP_SIZE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// A write or read refused because of the memory map's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapTrouble {
    /// The database fills the map (`MDB_MAP_FULL`).
    Full,
    /// Another process grew the database beyond this process's map
    /// (`MDB_MAP_RESIZED`).
    Resized,
}

impl MapTrouble {
    /// The trouble `error` reports, if it is one of these.
    pub(crate) fn of(error: &crate::error::Error) -> Option<MapTrouble> {
        let crate::error::Error::Store { source, .. } = error else {
            return None;
        };
        match source.downcast_ref::<heed::Error>()? {
            heed::Error::Mdb(heed::MdbError::MapFull) => Some(MapTrouble::Full),
            heed::Error::Mdb(heed::MdbError::MapResized) => Some(MapTrouble::Resized),
            _ => None,
        }
    }
}

/// Reader slots in the lock file: open read transactions, across all
/// processes (a process keeps at most one per reading thread, up to 64,
/// per directory, and a thread has one more while a nested or concurrent
/// read runs; see `snapshots.rs`): sixty processes of 64 reading threads,
/// for a lock file of 256 KiB. Fixed by the first process that creates
/// the lock file. When every slot is taken, a read fails: a miss, warned
/// about once, and the call computes.
const MAX_READERS: u32 = 4094;

/// Named tables; five are used.
const MAX_DBS: u32 = 8;

/// The tables of a cache directory's database.
pub(crate) const TABLE_NAMES: [&str; 4] = ["entries", "functions", "fingerprints", "stats"];

/// A table added later: a database written before it has none (opened
/// read only, it is then absent; opened for writing, it is created).
pub(crate) const TTLS_TABLE: &str = "ttls";

/// How to open an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read and write; `sync_each` syncs every commit
    /// (`FUNCACHE_DURABILITY=sync`), else syncs are left to the caller.
    Write { sync_each: bool },
    /// Read only, through the lock file: safe while other processes write.
    Read,
    /// Read only without the lock file, for a directory where it cannot be
    /// written (a read-only mount, another user's cache). Only safe while
    /// nobody writes the database: used only when nobody could.
    ReadNoLock,
}

/// Opens the environment in `dir` (which must exist).
///
/// heed marks this `unsafe` because the memory map assumes two things the
/// compiler cannot check; this function is the one place the workspace
/// allows it (with `at_exit.rs`'s `atexit` and `key_lock.rs`'s `fcntl`) (the
/// workspace lint is `deny`, not `forbid`, for that).
pub(crate) fn open_env(dir: &Path, access: Access) -> heed::Result<LmdbEnv> {
    open_with(EnvOpenOptions::new().read_txn_without_tls(), dir, access)
}

/// [`open_env`] with LMDB's default thread-bound reader slots: for the
/// benchmark's floor only (see `raw.rs`).
pub(crate) fn open_env_thread_bound(dir: &Path, access: Access) -> heed::Result<Env<WithTls>> {
    open_with(EnvOpenOptions::new().read_txn_with_tls(), dir, access)
}

#[allow(unsafe_code)]
fn open_with<T: TlsUsage>(
    mut options: EnvOpenOptions<T>,
    dir: &Path,
    access: Access,
) -> heed::Result<Env<T>> {
    options
        .map_size(map_size())
        .max_readers(MAX_READERS)
        .max_dbs(MAX_DBS);
    let flags = match access {
        Access::Write { sync_each: true } => EnvFlags::empty(),
        Access::Write { sync_each: false } => EnvFlags::NO_SYNC,
        Access::Read => EnvFlags::READ_ONLY,
        Access::ReadNoLock => EnvFlags::READ_ONLY | EnvFlags::NO_LOCK,
    };
    // SAFETY: LMDB's map is sound as long as (1) this process opens one
    // environment per database file, and (2) nobody truncates or rewrites
    // the file behind the map. (1): environments are opened only by the
    // per-process registry in `registry.rs`, keyed by canonical path, which
    // keeps each open for the life of the process (heed also refuses a
    // second open of a path). (2): funcache never truncates, copies over or
    // deletes `data.mdb`; a damaged database is renamed aside before any
    // environment is opened on it, and renaming leaves open maps intact.
    // NO_SYNC (synced in batches or on flush instead) gives up durability
    // across an OS crash, not soundness;
    // NO_LOCK is only used read-only on a directory nobody can write.
    unsafe {
        options.flags(flags);
        options.open(dir)
    }
}

/// Whether an open failure means the directory's lock file cannot be
/// written (read-only mount, another user's directory).
pub(crate) fn lock_file_unwritable(error: &heed::Error) -> bool {
    match error {
        heed::Error::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
        ),
        _ => false,
    }
}

/// Whether an error says the database file is damaged.
pub(crate) fn is_corruption(error: &heed::Error) -> bool {
    match error {
        heed::Error::Mdb(error) => matches!(
            error,
            heed::MdbError::Corrupted
                | heed::MdbError::Invalid
                | heed::MdbError::PageNotFound
                | heed::MdbError::VersionMismatch
                // "Page has not enough space", "cursor stack too deep",
                // "DB type changed": LMDB's internal errors, which only a
                // damaged page gives funcache's use of it.
                | heed::MdbError::PageFull
                | heed::MdbError::CursorFull
                | heed::MdbError::Incompatible
        ),
        heed::Error::Decoding(error) => error.is::<OutOfFile>(),
        heed::Error::Io(error) => error
            .get_ref()
            .is_some_and(|error| error.is::<PageDamage>()),
        _ => false,
    }
}
