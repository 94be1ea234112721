//! The local disk tier: one LMDB database per cache directory, shared by
//! every process that uses the directory, and large values in
//! content-addressed blob files. No LMDB type leaves this module.
//!
//! Tables (see [`lmdb`]):
//!
//! ```text
//! entries       function key ‖ fingerprint ‖ args key → envelope
//! functions     function key → function id
//! fingerprints  fingerprint → FingerprintRecord (postcard)
//! stats         function key → UsageCounts (postcard)
//! ttls          function key → ttl in milliseconds (u64, little-endian),
//!               for functions declared with a `ttl` (see `expiry.rs`)
//! ```
//!
//! Write transactions are short (one batch of queued values — see
//! `writer.rs` —, one large or `sync` value, or one batch of usage) and
//! never span a function body; reads are one read transaction each.

mod access_log;
pub(crate) mod at_exit;
mod blobs;
mod damage;
mod entry_key;
mod evict;
mod expiry;
mod file_bounds;
mod journal;
mod key_lock;
mod layout;
mod listing;
mod lmdb;
mod maintenance;
mod open;
mod page_check;
mod raw;
mod registry;
mod snapshots;
mod syncer;
mod writer;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::config::Durability;
use crate::envelope::{self, BLOB_THRESHOLD, Header, Payload};
use crate::error::Error;

pub(crate) use access_log::{AccessLog, LastReads};
pub(crate) use blobs::Blobs;
pub(crate) use entry_key::{EntryKey, FunctionKey, TableKey};
pub(crate) use journal::Journal;
pub use journal::UsageCounts;
pub(crate) use key_lock::{Busy, KeyLock};
pub(crate) use layout::Layout;
pub use listing::DiskUsage;
pub(crate) use listing::StoredEntry;
pub(crate) use open::OpenMode;
pub use raw::{RawReader, RawTable};
pub(crate) use registry::{RETRY_AFTER, flush_all, open_existing, open_shared};
pub use syncer::SYNC_DELAY;
pub(crate) use syncer::in_background;

use lmdb::{LmdbEnv, MapTrouble, Table};
use snapshots::Snapshots;

/// What the source of one fingerprint was, stored beside the entries so the
/// CLI can explain a miss long after the program that wrote them is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FingerprintRecord {
    pub fn_id: String,
    /// (qualified item path, hex item hash), sorted.
    pub dependencies: Vec<(String, String)>,
    pub externals: Vec<String>,
    pub unresolved: Vec<String>,
    pub recorded_unix_ms: u64,
}

/// Why a stored entry could not be turned back into a value.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error("reading the database failed: {0}")]
    Store(Error),
    // Not transparent: the envelope's error is this one's source, so
    // that a checksum failure can be told apart (see `tier::chain`).
    #[error("{0}")]
    Envelope(#[from] envelope::EnvelopeError),
    #[error("stored value does not decode as the return type: {0}")]
    Decode(codec::DecodeError),
    #[error("large value unavailable: {0}")]
    Blob(Error),
}

/// Opens a value found in the write queue (see [`Store::load_with`]).
fn open_queued<T>(
    bytes: &[u8],
    seed: envelope::KeySeed,
    max_age: Option<MaxAge>,
    open: impl FnOnce(&Header, &[u8]) -> Result<T, codec::DecodeError>,
) -> Result<Option<T>, LoadError> {
    let (header, body) = envelope::decode_seeded(bytes, seed)?;
    if max_age.is_some_and(|max_age| max_age.expired(header.created_unix_ms)) {
        return Ok(None);
    }
    open(&header, body).map(Some).map_err(LoadError::Decode)
}

/// How often writes clear the reader slots of dead processes.
const READER_CHECK_EVERY: Duration = Duration::from_secs(1);

/// What a read transaction found under a key: a value opened from the
/// memory map, or a large value's file to read after the transaction.
enum Committed<T, F> {
    Found(Option<T>),
    Blob {
        header: Header,
        hash: [u8; 32],
        len: u64,
        open: F,
    },
}

/// The tables of one database.
#[derive(Clone, Copy)]
struct Tables {
    entries: Table,
    functions: Table,
    fingerprints: Table,
    stats: Table,
    /// Absent only in a read-only database written before it existed.
    ttls: Option<Table>,
}

/// An open cache directory.
pub(crate) struct Store {
    layout: Layout,
    /// Read transactions kept for the next lookups (ended before `env`).
    snapshots: std::sync::Arc<Snapshots>,
    env: LmdbEnv,
    tables: Tables,
    blobs: Blobs,
    journal: Journal,
    access_log: AccessLog,
    /// Opened read only: nothing is written, usage included.
    read_only: bool,
    durability: Durability,
    /// Committed since the last sync (batch durability).
    unsynced: std::sync::atomic::AtomicBool,
    /// When writes next clear the reader slots of dead processes.
    reader_check: crate::once_per::OncePer,
    /// Whether a read or write found the database damaged.
    damaged: std::sync::atomic::AtomicBool,
    /// The database file as the guards against damaged pages see it.
    data_file: file_bounds::DataFile,
    /// Values stored by this process, for the size checks.
    puts: std::sync::atomic::AtomicU64,
    /// Values waiting for their commit (batch and lazy durability).
    queue: writer::Queue,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.layout.root)
            .finish_non_exhaustive()
    }
}

/// The age past which a stored value is not served (`ttl`), and the time
/// to measure it at: the clock is the caller's, so tests can move it.
///
/// Kept as the oldest creation time still served, one non-zero `u64`, so
/// that an `Option<MaxAge>` travels in a register on every lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxAge {
    /// Values created at or after this many milliseconds since the Unix
    /// epoch are fresh.
    fresh_from_unix_ms: std::num::NonZeroU64,
}

impl MaxAge {
    pub(crate) fn new(ttl: Duration, now_unix_ms: u64) -> MaxAge {
        let ttl_ms = ttl.as_millis().min(u128::from(u64::MAX)) as u64;
        MaxAge {
            fresh_from_unix_ms: std::num::NonZeroU64::MIN
                .saturating_add(now_unix_ms.saturating_sub(ttl_ms)),
        }
    }

    /// Whether a value created at `created_unix_ms` is too old: at least
    /// `ttl` before `now`. A value from the future (another machine's
    /// clock) is as old as it can be shown to be: not expired.
    #[inline]
    pub(crate) fn expired(self, created_unix_ms: u64) -> bool {
        created_unix_ms < self.fresh_from_unix_ms.get()
    }
}

impl Store {
    /// Whether the store was opened read only.
    pub(crate) fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.layout.root
    }

    #[cfg(test)]
    pub(crate) fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    fn db_error(&self, source: heed::Error) -> Error {
        let path = self.dir().to_path_buf();
        if lmdb::is_corruption(&source) {
            self.mark_damaged(&source);
            return Error::Damaged {
                path,
                source: Box::new(source),
            };
        }
        Error::Store {
            path,
            source: Box::new(source),
        }
    }

    /// Records that the database is damaged (LMDB reported it while this
    /// process used it), so that the next program to open the directory
    /// moves it aside and starts anew; warns once. This process carries on
    /// with it: what fails is a miss, and its results are computed.
    fn mark_damaged(&self, source: &heed::Error) {
        if self
            .damaged
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let marked = !self.read_only
            && damage::DamageMark::write(&self.layout, self.data_file.id(), &source.to_string());
        let dir = self.dir();
        crate::warn::warn_once("store-damaged", &dir.to_string_lossy(), || {
            let next = if marked {
                "the next program to open the directory moves it aside and starts a new one"
            } else {
                "delete it, or open the directory with a program that may write it, to start a \
                 new one"
            };
            format!(
                "funcache: the cache database in {} is damaged ({source}); results are computed; \
                 {next}",
                dir.display()
            )
        });
    }

    /// Whether `error` is about the memory map's size; if so, warns once
    /// for the directory (see `lmdb::MAP_SIZE`).
    fn map_trouble(&self, error: &Error) -> Option<MapTrouble> {
        let trouble = MapTrouble::of(error)?;
        let dir = self.dir();
        crate::warn::warn_once("map", &dir.to_string_lossy(), || match trouble {
            MapTrouble::Full => format!(
                "funcache: the cache database in {} is full (its memory map holds {} bytes): \
                 results that find no room are computed and not stored (set \
                 FUNCACHE_MAX_SIZE to keep it smaller)",
                dir.display(),
                self.env.info().map_size
            ),
            MapTrouble::Resized => format!(
                "funcache: another process grew the cache database in {} beyond the memory \
                 map of this one (a 32-bit process?): this process computes every call and \
                 stores nothing there",
                dir.display()
            ),
        });
        Some(trouble)
    }

    /// Runs `write` in one write transaction and commits it.
    fn write<T>(
        &self,
        write: impl FnOnce(&mut heed::RwTxn<'_>, &Tables) -> heed::Result<T>,
    ) -> Result<T, Error> {
        if self.damaged.load(std::sync::atomic::Ordering::Relaxed) {
            // LMDB writes through a damaged page's offsets into memory it
            // allocated: nothing more is written to a damaged database.
            return Err(self.db_error(heed::Error::Mdb(heed::MdbError::Corrupted)));
        }
        let run = || {
            let mut txn = self.env.write_txn()?;
            // Not checked: a large write transaction may write pages out
            // before it commits (LMDB spills them) and read them back from
            // past the meta page's last page. What a write reads of an
            // entry is capped instead (see `MAX_ENTRY_BYTES`).
            let _bounds = file_bounds::Scope::enter(None);
            let value = write(&mut txn, &self.tables)?;
            txn.commit()?;
            Ok(value)
        };
        let value = run();
        self.clear_dead_readers();
        self.data_file.keep_tail(&self.env.info());
        let value = value.map_err(|error| self.db_error(error))?;
        if self.durability == Durability::Batch
            && !self
                .unsynced
                .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            syncer::wake();
        }
        Ok(value)
    }

    /// Frees the reader slots that processes killed mid-read left in the
    /// lock file, at most once per [`READER_CHECK_EVERY`]. Such a slot
    /// keeps its snapshot's pages from reuse: every write would grow the
    /// database until some process opened it again (LMDB clears them only
    /// on open, or when asked). A failed check is retried next time.
    fn clear_dead_readers(&self) {
        if self.reader_check.due() {
            let _ = self.env.clear_stale_readers();
        }
    }

    /// Syncs the database if anything was committed since the last sync.
    fn sync_if_written(&self) {
        if self
            .unsynced
            .swap(false, std::sync::atomic::Ordering::AcqRel)
            && let Err(error) = self.env.force_sync()
        {
            crate::warn::warn_once("sync", &self.dir().to_string_lossy(), || {
                format!(
                    "funcache: syncing the cache in {} failed: {error}",
                    self.dir().display()
                )
            });
        }
    }

    /// Runs `read` in one read transaction, begun now.
    fn read<T>(
        &self,
        read: impl FnOnce(&heed::RoTxn<'_, heed::WithoutTls>, &Tables) -> heed::Result<T>,
    ) -> Result<T, Error> {
        let run = || {
            let txn = self.env.read_txn()?;
            let _bounds = file_bounds::Scope::enter(self.data_file.bounds(&self.env.info()));
            read(&txn, &self.tables)
        };
        run().map_err(|error| self.db_error(error))
    }

    /// Loads the value stored under `entry_key` of `function`, if any and,
    /// with `max_age`, if not expired (an expired value is a miss; the
    /// value computed instead overwrites it).
    #[cfg(test)]
    pub(crate) fn load<R: serde::de::DeserializeOwned>(
        &self,
        function: &FunctionKey,
        entry_key: &[u8],
        max_age: Option<MaxAge>,
    ) -> Result<Option<R>, LoadError> {
        self.load_with(function, entry_key, max_age, |header, body| {
            codec::decode(header.codec, body)
        })
    }

    /// Finds the entry under `entry_key` of `function` and hands its
    /// checked header and value bytes to `open` (straight from the memory
    /// map for an inline value; a large value's file is read, and checked,
    /// after the read transaction ends). `None` when there is no entry, it
    /// expired (`max_age`), or its large-value file is gone. A value this
    /// process stored and has not committed yet (see `writer.rs`) comes
    /// first: it is newer than the database's.
    #[inline]
    pub(crate) fn load_with<T>(
        &self,
        function: &FunctionKey,
        entry_key: &[u8],
        max_age: Option<MaxAge>,
        open: impl FnOnce(&Header, &[u8]) -> Result<T, codec::DecodeError>,
    ) -> Result<Option<T>, LoadError> {
        let mut key = TableKey::EMPTY;
        function.entry_into(entry_key, &mut key);
        let seed = envelope::KeySeed::of(&key);
        if let Some(bytes) = self.queue.queued(&key) {
            return open_queued(&bytes, seed, max_age, open);
        }
        let mut open = Some(open);
        let committed = self.load_committed(&key, seed, max_age, &mut open);
        let Some(open) = open else {
            // Opened (a hit, or a value that did not decode), or found
            // with its large-value file gone.
            return committed;
        };
        // Missed, expired or damaged in the database: queued since the
        // look above?
        match self.queue.find(&key) {
            writer::Found::Nothing => committed,
            writer::Found::MaybeCommitted => match committed {
                Ok(_) => self.load_committed(&key, seed, max_age, &mut Some(open)),
                Err(error) => Err(error),
            },
            writer::Found::Queued(bytes) => open_queued(&bytes, seed, max_age, open),
        }
    }

    /// [`load_with`](Self::load_with) in the database alone; `open` is
    /// left in place when no entry is found.
    #[inline(always)]
    fn load_committed<T, F>(
        &self,
        key: &[u8],
        seed: envelope::KeySeed,
        max_age: Option<MaxAge>,
        open: &mut Option<F>,
    ) -> Result<Option<T>, LoadError>
    where
        F: FnOnce(&Header, &[u8]) -> Result<T, codec::DecodeError>,
    {
        if self.damaged.load(std::sync::atomic::Ordering::Relaxed) {
            // Damage found here is not read again: each read through it
            // would fail anew (a transaction that met it fails every
            // later read), or meet worse. What it held is computed.
            return Ok(None);
        }
        let read = self.snapshots.read(&self.env, |txn, info| {
            let _bounds = file_bounds::Scope::enter(self.data_file.bounds(info));
            let Some(bytes) = self
                .tables
                .entries
                .get(txn, key)
                .map_err(|e| LoadError::Store(self.db_error(e)))?
            else {
                return Ok(Committed::Found(None));
            };
            let (header, body) = envelope::decode_seeded(bytes, seed)?;
            if max_age.is_some_and(|max_age| max_age.expired(header.created_unix_ms)) {
                // A fresh value may be queued: `open` stays.
                return Ok(Committed::Found(None));
            }
            let Some(open) = open.take() else {
                return Ok(Committed::Found(None));
            };
            match header.payload {
                // Decoded straight from the memory map.
                Payload::Inline => open(&header, body)
                    .map(|value| Committed::Found(Some(value)))
                    .map_err(LoadError::Decode),
                // The file read does not need the transaction.
                Payload::Blob { hash, len } => Ok(Committed::Blob {
                    header,
                    hash,
                    len,
                    open,
                }),
            }
        });
        let committed = match read {
            Ok(committed) => committed?,
            Err(error) => {
                let error = self.db_error(error);
                if self.map_trouble(&error).is_some() {
                    return Ok(None);
                }
                return Err(LoadError::Store(error));
            }
        };
        let (header, hash, len, open) = match committed {
            Committed::Found(found) => return Ok(found),
            Committed::Blob {
                header,
                hash,
                len,
                open,
            } => (header, hash, len, open),
        };
        match self.blobs.read(&hash, len) {
            Ok(bytes) => open(&header, &bytes).map(Some).map_err(LoadError::Decode),
            // Removed since the entry was read (a purge, an eviction, a
            // replacing write): a plain miss.
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(error) => Err(LoadError::Blob(error)),
        }
    }

    /// Stores an encoded value under `entry_key` of the function `fn_id`.
    #[cfg(test)]
    pub(crate) fn put<R>(
        &self,
        fn_id: &str,
        entry_key: &[u8],
        encoded: &codec::Encoded<R>,
        compute: Duration,
    ) -> Result<(), Error> {
        let header = Header::new(compute, encoded.codec as u8, Payload::Inline);
        self.put_value(fn_id, entry_key, header, &encoded.bytes)
    }

    /// Stores the encoded `value` described by `header` (whose payload is
    /// decided here: inline, or a large-value file) under `entry_key` of
    /// the function `fn_id`. A store opened read only stores nothing (the
    /// registry warned once, when it opened).
    pub(crate) fn put_value(
        &self,
        fn_id: &str,
        entry_key: &[u8],
        header: Header,
        value: &[u8],
    ) -> Result<(), Error> {
        if self.read_only {
            return Ok(());
        }
        let header = Header {
            payload: Payload::Inline,
            ..header
        };
        let mut bytes = envelope::start(&header);
        if value.len() >= BLOB_THRESHOLD {
            let hash = self.blobs.write(value)?;
            let payload = Payload::Blob {
                hash,
                len: value.len() as u64,
            };
            bytes = envelope::start(&Header { payload, ..header });
        } else {
            bytes.extend_from_slice(value);
        }
        let function = FunctionKey::of(fn_id);
        let key = function.entry(entry_key);
        envelope::seal(&mut bytes, &key);
        if self.durability != Durability::Sync && !self.read_only {
            if value.len() < BLOB_THRESHOLD {
                // Committed by the writer, with the entry's key lock.
                let lock = key_lock::held(self.dir(), &function, entry_key);
                match self.queue.push(&key, fn_id, bytes, lock) {
                    Ok(()) => return Ok(()),
                    Err(writer::Refused(back)) => bytes = back,
                }
            } else if self.queue.queued(&key).is_some() {
                // The queued value is older: committed first.
                self.queue.settle();
            }
        }
        if let Err(error) = evict::keep_map_room(self) {
            crate::warn::warn_once("evict", &self.dir().to_string_lossy(), || {
                format!(
                    "funcache: room in the cache database of {} could not be made: {error}",
                    self.dir().display()
                )
            });
        }
        match self.put_raw(fn_id, entry_key, &bytes) {
            // Warned about once for the directory: the value is returned,
            // not stored.
            Err(error) if self.map_trouble(&error).is_some() => return Ok(()),
            stored => stored?,
        }
        let puts = self.puts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(limit) = crate::config::max_size()
            && (value.len() >= BLOB_THRESHOLD || puts.is_multiple_of(evict::CHECK_EVERY))
        {
            self.enforce_limit(limit);
        }
        Ok(())
    }

    /// Stores envelope bytes as they are, with the buffered usage in the
    /// same transaction (one commit, one sync). A large-value file the
    /// replaced entry referenced is deleted if no entry references it any
    /// more. (Should another process store the same content at that moment,
    /// its entry finds no file, which is a miss that writes it again.)
    fn put_raw(&self, fn_id: &str, entry_key: &[u8], bytes: &[u8]) -> Result<(), Error> {
        let function = FunctionKey::of(fn_id);
        let (touches, counts) = self.journal.take();
        let mut replaced = HashSet::new();
        self.write(|txn, tables| {
            let key = function.entry(entry_key);
            if let Some(old) = tables.entries.get(txn, &key)? {
                blob_ref(&key, old, &mut replaced);
            }
            tables.entries.put(txn, &key, bytes)?;
            name_function(txn, tables, &function, fn_id)?;
            add_counts(txn, tables, &counts)
        })?;
        if !replaced.is_empty() {
            let mut kept = HashSet::new();
            blob_ref(&function.entry(entry_key), bytes, &mut kept);
            replaced.retain(|hash| !kept.contains(hash));
            self.remove_unreferenced_blobs(&replaced)?;
        }
        self.append_reads(&touches)
    }

    fn append_reads(&self, touches: &[(&'static str, EntryKey)]) -> Result<(), Error> {
        let reads = touches.iter().map(|(fn_id, key)| (*fn_id, key.as_ref()));
        self.access_log
            .append(reads, journal::now_unix_secs())
            .map_err(|source| self.access_log_error(source))
    }

    /// Evicts least recently used entries if the directory is over
    /// `limit` bytes (one warning if that fails).
    pub(crate) fn enforce_limit(&self, limit: u64) {
        if let Err(error) = evict::enforce(self, limit) {
            crate::warn::warn_once("evict", &self.dir().to_string_lossy(), || {
                format!(
                    "funcache: the size limit of {} could not be enforced: {error}",
                    self.dir().display()
                )
            });
        }
    }

    /// Takes the cross-process lock of one entry, waiting at most `wait`
    /// for another process that computes it. `None` (compute anyway) when
    /// the wait runs out, the store is read only, or locking fails (one
    /// warning).
    pub(crate) fn lock_entry(
        &self,
        function: &FunctionKey,
        entry_key: &[u8],
        wait: Duration,
    ) -> Option<KeyLock> {
        // Busy: the wait ran out; compute anyway.
        self.try_lock_entry(function, entry_key, wait)
            .unwrap_or_default()
    }

    /// [`lock_entry`](Self::lock_entry), saying when the wait ran out
    /// because another process holds the lock (`Err(Busy)`).
    pub(crate) fn try_lock_entry(
        &self,
        function: &FunctionKey,
        entry_key: &[u8],
        wait: Duration,
    ) -> Result<Option<KeyLock>, Busy> {
        if self.read_only {
            return Ok(None);
        }
        match key_lock::attempt(self.dir(), function, entry_key, wait) {
            Ok(key_lock::Attempt::Taken(lock)) => Ok(Some(lock)),
            Ok(key_lock::Attempt::HeldElsewhere) => Err(Busy),
            Err(error) => {
                crate::warn::warn_once("key-lock", &self.dir().to_string_lossy(), || {
                    format!(
                        "funcache: cannot lock entries in {} ({error}); processes may compute \
                         the same value at the same time",
                        self.dir().display()
                    )
                });
                Ok(None)
            }
        }
    }

    /// The usage buffer of this store.
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Writes the buffered usage: reads to the access log, counts to the
    /// `stats` table.
    pub(crate) fn write_journal(&self) -> Result<(), Error> {
        let (touches, counts) = self.journal.take();
        if self.read_only {
            return Ok(());
        }
        self.append_reads(&touches)?;
        if counts.is_empty() {
            return Ok(());
        }
        self.write(|txn, tables| add_counts(txn, tables, &counts))
    }

    /// Waits until every value this process queued for the store is
    /// committed (see `writer.rs`): for whatever lists, counts or removes
    /// entries.
    pub(crate) fn settle(&self) {
        self.queue.settle();
    }

    /// Writes buffered usage and makes every commit durable (with
    /// `FUNCACHE_DURABILITY=lazy`, commits are not synced one by one).
    pub(crate) fn flush(&self) -> Result<(), Error> {
        self.settle();
        self.write_journal()?;
        if self.read_only {
            return Ok(());
        }
        self.unsynced
            .store(false, std::sync::atomic::Ordering::Release);
        self.env.force_sync().map_err(|error| self.db_error(error))
    }

    /// Records the dependency list of a fingerprint, once (not in a store
    /// opened read only).
    pub(crate) fn record_fingerprint(
        &self,
        fingerprint: &[u8; 32],
        record: &FingerprintRecord,
    ) -> Result<(), Error> {
        if self.read_only {
            return Ok(());
        }
        if self.read(|txn, tables| {
            tables
                .fingerprints
                .get(txn, fingerprint)
                .map(|v| v.is_some())
        })? {
            return Ok(());
        }
        let bytes = postcard::to_allocvec(record).map_err(|e| Error::Store {
            path: self.dir().to_path_buf(),
            source: Box::new(e),
        })?;
        self.write(|txn, tables| {
            // Another process may have recorded it since: the first stays.
            if tables.fingerprints.get(txn, fingerprint)?.is_none() {
                tables.fingerprints.put(txn, fingerprint, &bytes)?;
            }
            Ok(())
        })
    }
}

/// Records `fn_id` under its key, if it is not yet.
fn name_function(
    txn: &mut heed::RwTxn<'_>,
    tables: &Tables,
    function: &FunctionKey,
    fn_id: &str,
) -> heed::Result<()> {
    if tables.functions.get(txn, function.as_bytes())?.is_none() {
        tables
            .functions
            .put(txn, function.as_bytes(), fn_id.as_bytes())?;
    }
    Ok(())
}

/// Adds usage counts to the `stats` table.
fn add_counts(
    txn: &mut heed::RwTxn<'_>,
    tables: &Tables,
    counts: &HashMap<String, UsageCounts>,
) -> heed::Result<()> {
    for (fn_id, delta) in counts {
        let function = FunctionKey::of(fn_id);
        let stored = tables.stats.get(txn, function.as_bytes())?;
        let total = UsageCounts::merged(stored, *delta);
        tables.stats.put(txn, function.as_bytes(), &total)?;
        name_function(txn, tables, &function, fn_id)?;
    }
    Ok(())
}

/// The first key after every key that starts with `prefix` (none if the
/// prefix is all `0xff`).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The most bytes an entry's envelope can hold: a value that reaches
/// [`BLOB_THRESHOLD`] is a file, and its envelope a few dozen bytes. A
/// longer one is a damaged size that may run past the end of the file:
/// never read (see `file_bounds.rs`).
const MAX_ENTRY_BYTES: usize = BLOB_THRESHOLD + 4096;

/// Adds the blob the envelope stored under `table_key` references, if any,
/// to `into`.
fn blob_ref(table_key: &[u8], envelope_bytes: &[u8], into: &mut HashSet<[u8; 32]>) {
    if envelope_bytes.len() > MAX_ENTRY_BYTES {
        return;
    }
    if let Ok((
        Header {
            payload: Payload::Blob { hash, .. },
            ..
        },
        _,
    )) = envelope::decode(envelope_bytes, table_key)
    {
        into.insert(hash);
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Overwrites an entry's stored bytes (to simulate damage).
    pub(crate) fn put_raw(store: &Store, fn_id: &str, entry_key: &[u8], bytes: &[u8]) {
        store.settle();
        store.put_raw(fn_id, entry_key, bytes).unwrap();
    }

    /// How many reader slots dead processes left (and clears them).
    pub(crate) fn dead_readers(store: &Store) -> usize {
        store.env.clear_stale_readers().unwrap()
    }

    /// Whether another process could take the lock of an entry now.
    pub(crate) fn entry_lock_free(store: &Store, fn_id: &str, entry_key: &[u8]) -> bool {
        key_lock::free_for_another_process(store.dir(), &FunctionKey::of(fn_id), entry_key)
    }

    /// The raw bytes of every entry of `fn_id`: (entry key, envelope).
    pub(crate) fn raw_entries(store: &Store, fn_id: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all = Vec::new();
        store.settle();
        store
            .for_each_entry(&FunctionKey::of(fn_id), |key, value| {
                all.push((key.to_vec(), value.to_vec()))
            })
            .unwrap();
        all
    }
}

#[cfg(test)]
mod tests;
