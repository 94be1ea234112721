//! The local disk tier: one sled database per cache directory, one tree per
//! cached function, large values in content-addressed blob files.

mod access_log;
mod blobs;
mod entry_key;
mod journal;
mod layout;
mod registry;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codec::{self, Encoded};
use crate::envelope::{self, BLOB_THRESHOLD, Header, Payload};
use crate::error::Error;

pub(crate) use access_log::{AccessLog, LastReads};
pub(crate) use blobs::Blobs;
pub(crate) use entry_key::EntryKey;
pub(crate) use journal::Journal;
pub use journal::UsageCounts;
pub(crate) use layout::Layout;
pub(crate) use registry::{flush_all, open_shared};

/// Prefix of the sled tree that holds one function's entries.
pub(crate) const FUNCTION_TREE_PREFIX: &str = "fn:";
/// The sled tree that maps a fingerprint to its dependency record.
pub(crate) const FINGERPRINTS_TREE: &str = "meta:fingerprints";

/// sled's page cache is bounded by this many bytes. Its default (1 GiB) is
/// too much to impose on a program that only wanted memoization.
const SLED_CACHE_BYTES: u64 = 64 << 20;

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
    #[error(transparent)]
    Envelope(#[from] envelope::EnvelopeError),
    #[error("stored value does not decode as the return type: {0}")]
    Decode(codec::DecodeError),
    #[error("large value unavailable: {0}")]
    Blob(Error),
}

/// An open cache directory.
pub(crate) struct Store {
    layout: Layout,
    db: sled::Db,
    blobs: Blobs,
    journal: Journal,
    access_log: AccessLog,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.layout.root)
            .finish_non_exhaustive()
    }
}

/// Runs a sled operation, turning its errors — and its panics, which sled
/// 0.34 can raise on a damaged file — into [`Error`].
fn guarded<T>(dir: &Path, op: impl FnOnce() -> sled::Result<T>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(op)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(classify(dir, error)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(Error::Store {
                path: dir.to_path_buf(),
                source: message.into(),
            })
        }
    }
}

fn classify(dir: &Path, error: sled::Error) -> Error {
    match error {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => Error::Locked {
            path: dir.to_path_buf(),
        },
        other => Error::Store {
            path: dir.to_path_buf(),
            source: Box::new(other),
        },
    }
}

impl Store {
    /// Opens (creating if `create`) the cache directory `dir`.
    pub(crate) fn open(dir: &Path, create: bool) -> Result<Store, Error> {
        let layout = Layout::new(dir);
        layout.prepare(create)?;
        let config = sled::Config::new()
            .path(layout.db())
            .cache_capacity(SLED_CACHE_BYTES);
        let db = guarded(dir, || config.open())?;
        let blobs = Blobs::new(layout.blobs());
        Ok(Store {
            access_log: AccessLog::new(dir),
            layout,
            db,
            blobs,
            journal: Journal::default(),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.layout.root
    }

    pub(crate) fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    pub(crate) fn db(&self) -> &sled::Db {
        &self.db
    }

    /// The tree of one function's entries.
    pub(crate) fn function_tree(&self, fn_id: &str) -> Result<sled::Tree, Error> {
        let name = format!("{FUNCTION_TREE_PREFIX}{fn_id}");
        guarded(self.dir(), || self.db.open_tree(name))
    }

    /// Reads the raw envelope stored under `key`.
    pub(crate) fn get(&self, tree: &sled::Tree, key: &[u8]) -> Result<Option<sled::IVec>, Error> {
        guarded(self.dir(), || tree.get(key))
    }

    /// Decodes an envelope into a value, fetching its blob if it has one.
    pub(crate) fn decode<R: DeserializeOwned>(&self, bytes: &[u8]) -> Result<R, LoadError> {
        let (header, body) = envelope::decode(bytes)?;
        let decoded = match header.payload {
            Payload::Inline => codec::decode(header.codec, body),
            Payload::Blob { hash, len } => {
                let bytes = self.blobs.read(&hash, len).map_err(LoadError::Blob)?;
                codec::decode(header.codec, &bytes)
            }
        };
        decoded.map_err(LoadError::Decode)
    }

    /// Stores an encoded value under `key`.
    pub(crate) fn put<R>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
        encoded: &Encoded<R>,
        compute: Duration,
    ) -> Result<(), Error> {
        let header = Header::new(compute, encoded.codec as u8, Payload::Inline);
        let mut bytes = envelope::start(&header);
        if encoded.bytes.len() >= BLOB_THRESHOLD {
            let hash = self.blobs.write(&encoded.bytes)?;
            let payload = Payload::Blob {
                hash,
                len: encoded.bytes.len() as u64,
            };
            bytes = envelope::start(&Header { payload, ..header });
        } else {
            bytes.extend_from_slice(&encoded.bytes);
        }
        guarded(self.dir(), || tree.insert(key, bytes))?;
        Ok(())
    }

    /// The usage buffer of this store.
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Writes the buffered usage (access times, counts) to the database.
    pub(crate) fn write_journal(&self) -> Result<(), Error> {
        self.journal
            .write_to(&self.db, &self.access_log)
            .map_err(|error| match error {
                journal::JournalError::Db(error) => classify(self.dir(), error),
                journal::JournalError::Log(source) => self.access_log_error(source),
            })
    }

    /// Writes buffered usage and data to disk and fsyncs it.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        self.write_journal()?;
        guarded(self.dir(), || self.db.flush()).map(drop)
    }

    /// Records the dependency list of a fingerprint, once.
    pub(crate) fn record_fingerprint(
        &self,
        fingerprint: &[u8; 32],
        record: &FingerprintRecord,
    ) -> Result<(), Error> {
        let tree = guarded(self.dir(), || self.db.open_tree(FINGERPRINTS_TREE))?;
        if guarded(self.dir(), || tree.contains_key(fingerprint))? {
            return Ok(());
        }
        let bytes = postcard::to_allocvec(record).map_err(|e| Error::Store {
            path: self.dir().to_path_buf(),
            source: Box::new(e),
        })?;
        guarded(self.dir(), || tree.insert(fingerprint, bytes)).map(drop)
    }

    /// Removes every entry of one function, its recorded usage and
    /// fingerprints, and the blobs only it used.
    pub(crate) fn clear_function(&self, fn_id: &str, tree: &sled::Tree) -> Result<(), Error> {
        let mut candidates = HashSet::new();
        self.blob_refs(tree, &mut candidates)?;
        guarded(self.dir(), || tree.clear())?;
        self.forget_usage(fn_id)?;
        if !candidates.is_empty() {
            let referenced = self.referenced_blobs()?;
            for hash in candidates.difference(&referenced) {
                let path = self.blobs.path(hash);
                if let Err(source) = std::fs::remove_file(&path)
                    && source.kind() != std::io::ErrorKind::NotFound
                {
                    return Err(Error::Io { path, source });
                }
            }
        }
        self.flush()
    }

    /// Removes a function's recorded access times, counts and fingerprint
    /// records.
    fn forget_usage(&self, fn_id: &str) -> Result<(), Error> {
        let dir = self.dir();
        // Its records in the access log are left to the next compaction
        // (`funcache-cli purge`): they match no entry any more.
        if let Some(stats) = self.existing_tree(journal::STATS_TREE)? {
            guarded(dir, || stats.remove(fn_id.as_bytes()))?;
        }
        self.retain_fingerprint_records(|_, record| record.fn_id != fn_id)
    }

    /// Turns a sled error into ours.
    pub(crate) fn error(&self, error: sled::Error) -> Error {
        classify(self.dir(), error)
    }

    /// A tree, if it exists. Reading must not create trees: `open_tree`
    /// would, and inspecting a cache directory must leave it unchanged.
    pub(crate) fn existing_tree(&self, name: &str) -> Result<Option<sled::Tree>, Error> {
        let exists = self
            .db
            .tree_names()
            .iter()
            .any(|existing| existing == name.as_bytes());
        if exists {
            guarded(self.dir(), || self.db.open_tree(name)).map(Some)
        } else {
            Ok(None)
        }
    }

    /// One function's tree, if it exists (for inspection).
    pub(crate) fn existing_function_tree(&self, fn_id: &str) -> Result<Option<sled::Tree>, Error> {
        self.existing_tree(&format!("{FUNCTION_TREE_PREFIX}{fn_id}"))
    }

    fn access_log_error(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: AccessLog::path(self.dir()),
            source,
        }
    }

    /// When each entry was last read, as far as recorded.
    pub(crate) fn last_reads(&self) -> Result<LastReads, Error> {
        AccessLog::read(self.dir()).map_err(|source| self.access_log_error(source))
    }

    /// Rewrites the access log to the records of entries `keep` accepts.
    pub(crate) fn compact_access_log(
        &self,
        keep: impl Fn(&str, &[u8]) -> bool,
    ) -> Result<(), Error> {
        AccessLog::rewrite(self.dir(), keep).map_err(|source| self.access_log_error(source))
    }

    /// Recorded hits and misses per function id.
    pub(crate) fn usage_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, UsageCounts>, Error> {
        match self.existing_tree(journal::STATS_TREE)? {
            Some(stats) => guarded(self.dir(), || journal::read_counts(&stats)),
            None => Ok(Default::default()),
        }
    }

    /// Every fingerprint record (undecodable ones skipped).
    pub(crate) fn fingerprint_records(&self) -> Result<Vec<([u8; 32], FingerprintRecord)>, Error> {
        let Some(tree) = self.existing_tree(FINGERPRINTS_TREE)? else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        for entry in tree.iter() {
            let (key, value) = guarded(self.dir(), || entry)?;
            if let (Ok(key), Ok(record)) = (
                <[u8; 32]>::try_from(key.as_ref()),
                postcard::from_bytes(&value),
            ) {
                records.push((key, record));
            }
        }
        Ok(records)
    }

    /// Keeps only the fingerprint records that pass `keep`.
    pub(crate) fn retain_fingerprint_records(
        &self,
        keep: impl Fn(&[u8; 32], &FingerprintRecord) -> bool,
    ) -> Result<(), Error> {
        let Some(tree) = self.existing_tree(FINGERPRINTS_TREE)? else {
            return Ok(());
        };
        for (fingerprint, record) in self.fingerprint_records()? {
            if !keep(&fingerprint, &record) {
                guarded(self.dir(), || tree.remove(fingerprint))?;
            }
        }
        Ok(())
    }

    /// Removes one entry; whether it existed.
    pub(crate) fn remove_entry(&self, tree: &sled::Tree, key: &[u8]) -> Result<bool, Error> {
        Ok(guarded(self.dir(), || tree.remove(key))?.is_some())
    }

    /// Copies every tree into a new database at `path`, flushed.
    pub(crate) fn copy_into(&self, path: &Path) -> Result<(), Error> {
        let fresh = guarded(path, || sled::Config::new().path(path).open())?;
        for name in self.db.tree_names() {
            let from = guarded(self.dir(), || self.db.open_tree(&name))?;
            let to = guarded(path, || fresh.open_tree(&name))?;
            for entry in from.iter() {
                let (key, value) = guarded(self.dir(), || entry)?;
                guarded(path, || to.insert(key, value))?;
            }
        }
        guarded(path, || fresh.flush()).map(drop)
    }

    /// Adds the blob hashes the entries of `tree` reference to `into`.
    fn blob_refs(&self, tree: &sled::Tree, into: &mut HashSet<[u8; 32]>) -> Result<(), Error> {
        for entry in tree.iter() {
            let (_, value) = guarded(self.dir(), || entry)?;
            if let Ok((
                Header {
                    payload: Payload::Blob { hash, .. },
                    ..
                },
                _,
            )) = envelope::decode(&value)
            {
                into.insert(hash);
            }
        }
        Ok(())
    }

    /// Every blob hash referenced by any entry of any function.
    pub(crate) fn referenced_blobs(&self) -> Result<HashSet<[u8; 32]>, Error> {
        let mut referenced = HashSet::new();
        for name in self.db.tree_names() {
            if name.starts_with(FUNCTION_TREE_PREFIX.as_bytes()) {
                let tree = guarded(self.dir(), || self.db.open_tree(&name))?;
                self.blob_refs(&tree, &mut referenced)?;
            }
        }
        Ok(referenced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded<R: Serialize + DeserializeOwned>(value: &R) -> Encoded<R> {
        codec::encode(value).unwrap()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let temp = tempfile::tempdir().unwrap();
        let store = Store::open(&temp.path().join("cache"), true).unwrap();
        (temp, store)
    }

    #[test]
    fn put_then_decode() {
        let (_temp, store) = store();
        let tree = store.function_tree("app::f").unwrap();
        store
            .put(
                &tree,
                b"k",
                &encoded(&vec![1u32, 2, 3]),
                Duration::from_millis(5),
            )
            .unwrap();
        let bytes = store.get(&tree, b"k").unwrap().unwrap();
        assert_eq!(store.decode::<Vec<u32>>(&bytes).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn large_values_go_to_blobs_and_come_back() {
        let (_temp, store) = store();
        let tree = store.function_tree("app::big").unwrap();
        // Varints of large numbers take 10 bytes each: ~3 MB.
        let value: Vec<u64> = (0..300_000).map(|i| u64::MAX - i).collect();
        store
            .put(&tree, b"k", &encoded(&value), Duration::ZERO)
            .unwrap();
        let bytes = store.get(&tree, b"k").unwrap().unwrap();
        assert!(bytes.len() < 200, "the database keeps only a reference");
        assert_eq!(store.blobs().list().unwrap().len(), 1);
        assert_eq!(store.decode::<Vec<u64>>(&bytes).unwrap(), value);
    }

    #[test]
    fn a_value_of_another_type_is_a_decode_error() {
        let (_temp, store) = store();
        let tree = store.function_tree("app::f").unwrap();
        store
            .put(&tree, b"k", &encoded(&(7u8, 8u8)), Duration::ZERO)
            .unwrap();
        let bytes = store.get(&tree, b"k").unwrap().unwrap();
        assert!(
            store.decode::<u8>(&bytes).is_err(),
            "trailing bytes are rejected"
        );
        assert!(store.decode::<String>(&bytes).is_err());
    }

    #[test]
    fn clear_removes_entries_and_unshared_blobs() {
        let (_temp, store) = store();
        let a = store.function_tree("app::a").unwrap();
        let b = store.function_tree("app::b").unwrap();
        let shared: Vec<u64> = (0..200_000).map(|i| u64::MAX - i).collect();
        let own: Vec<u64> = (1..200_001).map(|i| u64::MAX - i).collect();
        store
            .put(&a, b"1", &encoded(&shared), Duration::ZERO)
            .unwrap();
        store.put(&a, b"2", &encoded(&own), Duration::ZERO).unwrap();
        store
            .put(&b, b"1", &encoded(&shared), Duration::ZERO)
            .unwrap();
        assert_eq!(store.blobs().list().unwrap().len(), 2);
        store.clear_function("app::a", &a).unwrap();
        assert!(a.is_empty());
        assert_eq!(store.blobs().list().unwrap().len(), 1, "b's blob survives");
        let bytes = store.get(&b, b"1").unwrap().unwrap();
        assert_eq!(store.decode::<Vec<u64>>(&bytes).unwrap(), shared);
    }

    #[test]
    fn second_open_of_the_same_directory_reports_locked() {
        let (temp, _store) = store();
        let error = Store::open(&temp.path().join("cache"), true).unwrap_err();
        assert!(matches!(error, Error::Locked { .. }), "{error}");
    }

    #[test]
    fn fingerprint_record_is_written_once() {
        let (_temp, store) = store();
        let record = FingerprintRecord {
            fn_id: "app::f".into(),
            dependencies: vec![("crate::f".into(), "00".repeat(32))],
            externals: vec![],
            unresolved: vec![],
            recorded_unix_ms: 1,
        };
        store.record_fingerprint(&[1; 32], &record).unwrap();
        let later = FingerprintRecord {
            recorded_unix_ms: 2,
            ..record.clone()
        };
        store.record_fingerprint(&[1; 32], &later).unwrap();
        let tree = store.db().open_tree(FINGERPRINTS_TREE).unwrap();
        let stored: FingerprintRecord =
            postcard::from_bytes(&tree.get([1; 32]).unwrap().unwrap()).unwrap();
        assert_eq!(stored.recorded_unix_ms, 1);
    }
}
