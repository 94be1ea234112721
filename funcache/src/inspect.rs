//! Opening a cache directory to look inside it and to remove entries: what
//! `funcache-cli` is built on.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::fingerprint::Fingerprint;
use crate::key::ArgsKey;
use crate::store::{self, DiskUsage, EntryKey, LastReads, Store, StoredEntry, UsageCounts};

/// A cache directory opened for inspection and maintenance.
///
/// Programs may use the directory at the same time: what is read is a
/// consistent snapshot of the moment of each call, and removals take
/// effect for them at once.
///
/// ```no_run
/// let dir = funcache::CacheDir::open("target/funcache")?;
/// for function in dir.functions()? {
///     println!("{} {} entries, {} bytes", function.id, function.entries, function.bytes);
/// }
/// # Ok::<(), funcache::Error>(())
/// ```
pub struct CacheDir {
    store: Arc<Store>,
    /// The access log, read once and kept until entries are removed.
    last_reads: Mutex<Option<Arc<LastReads>>>,
}

/// One function's entries in a cache directory, summarized.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionSummary {
    /// The function id, e.g. `my_app::steps::parse`.
    pub id: String,
    /// Number of stored results.
    pub entries: u64,
    /// Bytes of stored results, blobs included.
    pub bytes: u64,
    /// Fingerprints the entries were stored under.
    pub fingerprints: BTreeSet<Fingerprint>,
    /// When the oldest entry was computed.
    pub oldest: Option<SystemTime>,
    /// When the newest entry was computed.
    pub newest: Option<SystemTime>,
    /// Hits and misses recorded by programs that used the directory.
    pub usage: UsageCounts,
}

/// One stored result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryInfo {
    /// The function it belongs to.
    pub fn_id: String,
    /// The source fingerprint it was stored under.
    pub fingerprint: Fingerprint,
    /// The digest of the arguments.
    pub args_key: ArgsKey,
    /// Bytes on disk (the database value, plus the blob if any).
    pub size: u64,
    /// Whether the value lives in a blob file.
    pub blob: bool,
    /// When the value was computed.
    pub created: SystemTime,
    /// When the value was last read, as far as recorded (reads are
    /// recorded in batches), else when it was computed.
    pub last_used: SystemTime,
    /// How long computing the value took.
    pub compute_time: Duration,
    /// Whether this build of funcache can read the entry's envelope.
    pub readable: bool,
}

/// The dependency list recorded for one fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FingerprintInfo {
    /// The fingerprint.
    pub fingerprint: Fingerprint,
    /// The function it belongs to.
    pub fn_id: String,
    /// (qualified item path, hex item hash), sorted by path.
    pub dependencies: Vec<(String, String)>,
    /// External crates, as `name@version`.
    pub externals: Vec<String>,
    /// References the macro could not resolve.
    pub unresolved: Vec<String>,
    /// When it was first recorded.
    pub recorded: SystemTime,
}

/// What a removal freed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removed {
    /// Entries removed.
    pub entries: u64,
    /// Bytes of their values, blobs included.
    pub bytes: u64,
}

impl FunctionSummary {
    /// Sums up one function's entries, given as (fingerprint, size in
    /// bytes, creation time when known). The one place a summary is made,
    /// for a cache directory and for a remote alike.
    pub(crate) fn of(
        id: String,
        entries: impl Iterator<Item = (Fingerprint, u64, Option<SystemTime>)> + Clone,
        usage: UsageCounts,
    ) -> FunctionSummary {
        let created = entries.clone().filter_map(|(_, _, created)| created);
        FunctionSummary {
            id,
            entries: entries.clone().count() as u64,
            bytes: entries.clone().map(|(_, size, _)| size).sum(),
            fingerprints: entries.map(|(fingerprint, _, _)| fingerprint).collect(),
            oldest: created.clone().min(),
            newest: created.max(),
            usage,
        }
    }
}

fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

impl CacheDir {
    /// Opens an existing cache directory, for writing where the user may
    /// (else read only: removals then fail).
    ///
    /// # Errors
    ///
    /// [`Error::NotACacheDir`] if it does not exist or is not a funcache
    /// directory, [`Error::Format`] if another funcache format wrote it
    /// (funcache before 0.1's LMDB store wrote format 1; a program using
    /// the directory upgrades it), [`Error::Damaged`] if its database is
    /// damaged (a program using the directory moves it aside and starts a
    /// new one), and [`Error::Store`] if it cannot be opened otherwise.
    pub fn open(path: impl AsRef<Path>) -> Result<CacheDir, Error> {
        let store = store::open_existing(path.as_ref())?;
        Ok(CacheDir {
            store,
            last_reads: Mutex::new(None),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.store.dir()
    }

    fn function_ids(&self) -> Result<Vec<String>, Error> {
        self.store.function_ids()
    }

    /// Every function that has entries, sorted by id.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn functions(&self) -> Result<Vec<FunctionSummary>, Error> {
        let usage = self.store.usage_counts()?;
        let mut summaries = Vec::new();
        for id in self.function_ids()? {
            let entries = self.entries(&id)?;
            if entries.is_empty() {
                continue;
            }
            let usage = usage.get(&id).copied().unwrap_or_default();
            let parts = entries
                .iter()
                .map(|e| (e.fingerprint, e.size, Some(e.created)));
            summaries.push(FunctionSummary::of(id, parts, usage));
        }
        Ok(summaries)
    }

    /// Whether the directory has entries of function `id`.
    pub fn has_function(&self, id: &str) -> bool {
        self.function_ids()
            .is_ok_and(|ids| ids.iter().any(|known| known == id))
    }

    /// When each entry was last read, read from the log once.
    fn last_reads(&self) -> Result<Arc<LastReads>, Error> {
        let mut cached = self
            .last_reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(reads) = &*cached {
            return Ok(Arc::clone(reads));
        }
        let reads = Arc::new(self.store.last_reads()?);
        *cached = Some(Arc::clone(&reads));
        Ok(reads)
    }

    /// One function's entries (empty for an unknown id).
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn entries(&self, fn_id: &str) -> Result<Vec<EntryInfo>, Error> {
        let last_reads = self.last_reads()?;
        let stored = self.store.entries_of(fn_id, &last_reads)?;
        Ok(stored
            .into_iter()
            .map(|entry| entry_info(fn_id, entry))
            .collect())
    }

    /// The dependency lists recorded for the fingerprints of `fn_id`,
    /// oldest first.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn fingerprints(&self, fn_id: &str) -> Result<Vec<FingerprintInfo>, Error> {
        let mut found = self.all_fingerprints()?;
        found.retain(|info| info.fn_id == fn_id);
        Ok(found)
    }

    /// The dependency lists recorded for every fingerprint of every
    /// function, oldest first.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn all_fingerprints(&self) -> Result<Vec<FingerprintInfo>, Error> {
        let mut found: Vec<FingerprintInfo> = self
            .store
            .fingerprint_records()?
            .into_iter()
            .map(|(fingerprint, record)| FingerprintInfo {
                fingerprint: Fingerprint(fingerprint),
                fn_id: record.fn_id,
                dependencies: record.dependencies,
                externals: record.externals,
                unresolved: record.unresolved,
                recorded: from_unix_ms(record.recorded_unix_ms),
            })
            .collect();
        found.sort_by_key(|info| info.recorded);
        Ok(found)
    }

    /// Removes the given entries, their access records, the fingerprint
    /// records no entry uses any more, and the blobs no entry references.
    ///
    /// # Errors
    ///
    /// When the database or a blob file cannot be written.
    pub fn remove(&self, entries: &[EntryInfo]) -> Result<Removed, Error> {
        self.remove_with_progress(entries, |_| {})
    }

    /// Like [`remove`](Self::remove), calling `progress` with the number of
    /// entries handled so far after each one, so that a caller removing
    /// many can show how far it got. Garbage collection (orphan records,
    /// unreferenced blobs) runs once at the end.
    ///
    /// # Errors
    ///
    /// When the database or a blob file cannot be written.
    pub fn remove_with_progress(
        &self,
        entries: &[EntryInfo],
        mut progress: impl FnMut(u64),
    ) -> Result<Removed, Error> {
        let keys: Vec<(&str, EntryKey)> = entries
            .iter()
            .map(|entry| {
                let key = EntryKey::new(entry.fingerprint.as_bytes(), &entry.args_key);
                (entry.fn_id.as_str(), key)
            })
            .collect();
        let existed = self.store.remove_and_collect(&keys, &mut progress);
        // Access records were rewritten (or partly, on a failure).
        *self
            .last_reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        let mut removed = Removed::default();
        for (entry, existed) in entries.iter().zip(existed?) {
            if existed {
                removed.entries += 1;
                removed.bytes += entry.size;
            }
        }
        Ok(removed)
    }

    /// Bytes used: the database's pages that hold data (its file does not
    /// shrink when entries are removed; LMDB reuses the freed pages), and
    /// the blob files.
    pub fn disk_usage(&self) -> DiskUsage {
        self.store.disk_usage()
    }
}

/// The public view of a stored entry.
fn entry_info(fn_id: &str, entry: StoredEntry) -> EntryInfo {
    let created = entry
        .times
        .map_or(UNIX_EPOCH, |(created_ms, _)| from_unix_ms(created_ms));
    let last_used = entry
        .last_read_secs
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
        .map_or(created, |read| read.max(created));
    EntryInfo {
        fn_id: fn_id.to_owned(),
        fingerprint: Fingerprint(entry.fingerprint),
        args_key: entry.args_key,
        size: entry.size,
        blob: entry.blob,
        created,
        last_used,
        compute_time: entry
            .times
            .map_or(Duration::ZERO, |(_, micros)| Duration::from_micros(micros)),
        readable: entry.times.is_some(),
    }
}

impl std::fmt::Debug for CacheDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheDir")
            .field("path", &self.path())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FingerprintRecord, OpenMode};

    /// A cache directory with two functions: `app::small` (three entries,
    /// two fingerprints) and `app::big` (one blob).
    fn populated() -> tempfile::TempDir {
        let temp = tempfile::tempdir().unwrap();
        let store = store::open_shared(temp.path(), OpenMode::Create).unwrap();
        for (fingerprint, arg) in [(1u8, 1u8), (1, 2), (2, 1)] {
            let key = entry_key(fingerprint, arg);
            store
                .put(
                    "app::small",
                    &key,
                    &crate::codec::encode(&format!("value {arg}")).unwrap(),
                    Duration::from_millis(3),
                )
                .unwrap();
        }
        let value: Vec<u64> = (0..200_000).map(|i| u64::MAX - i).collect();
        store
            .put(
                "app::big",
                &entry_key(9, 0),
                &crate::codec::encode(&value).unwrap(),
                Duration::ZERO,
            )
            .unwrap();
        for (fingerprint, id) in [
            (1u8, "app::small"),
            (2, "app::small"),
            (9, "app::big"),
            (7, "app::gone"),
        ] {
            let record = FingerprintRecord {
                fn_id: id.into(),
                dependencies: vec![(format!("crate::{id}"), "ab".repeat(32))],
                externals: vec![],
                unresolved: vec![],
                recorded_unix_ms: 1000 + fingerprint as u64,
            };
            store
                .record_fingerprint(&[fingerprint; 32], &record)
                .unwrap();
        }
        store.journal().touch("app::small", entry_key(1, 1));
        store.journal().count("app::small", 5, 3);
        store.flush().unwrap();
        temp
    }

    fn args_key(arg: u8) -> ArgsKey {
        ArgsKey::of_arg(&arg)
    }

    fn entry_key(fingerprint: u8, arg: u8) -> EntryKey {
        EntryKey::new(&[fingerprint; 32], &args_key(arg))
    }

    #[test]
    fn summarizes_functions_and_entries() {
        let temp = populated();
        let dir = CacheDir::open(temp.path()).unwrap();
        let functions = dir.functions().unwrap();
        let ids: Vec<&str> = functions.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["app::big", "app::small"]);
        let small = &functions[1];
        assert_eq!(small.entries, 3);
        assert_eq!(small.fingerprints.len(), 2);
        assert_eq!(small.usage, UsageCounts { hits: 5, misses: 3 });
        assert!(functions[0].bytes > 1 << 20, "the blob counts");

        let entries = dir.entries("app::small").unwrap();
        assert!(entries.iter().all(|e| e.readable && !e.blob));
        assert!(
            entries
                .iter()
                .all(|e| e.compute_time == Duration::from_millis(3))
        );
        let touched = entries
            .iter()
            .find(|e| e.args_key == args_key(1) && e.fingerprint.as_bytes() == &[1; 32]);
        assert!(touched.unwrap().last_used >= touched.unwrap().created);
        assert!(dir.entries("app::unknown").unwrap().is_empty());
        assert_eq!(dir.fingerprints("app::small").unwrap().len(), 2);
    }

    #[test]
    fn remove_frees_entries_blobs_and_orphan_records() {
        let temp = populated();
        let dir = CacheDir::open(temp.path()).unwrap();
        let before = dir.disk_usage();
        let big = dir.entries("app::big").unwrap();
        let removed = dir.remove(&big).unwrap();
        assert_eq!(removed.entries, 1);
        assert!(removed.bytes > 1 << 20);
        assert_eq!(dir.disk_usage().blobs, 0, "the blob is gone");
        assert!(before.blobs > 0);
        assert!(dir.fingerprints("app::big").unwrap().is_empty());
        assert!(
            dir.fingerprints("app::gone").unwrap().is_empty(),
            "orphan record dropped"
        );
        assert_eq!(dir.functions().unwrap().len(), 1);
    }

    #[test]
    fn removed_entries_give_their_pages_back() {
        let temp = populated();
        let store = store::open_shared(temp.path(), OpenMode::Create).unwrap();
        for arg in 0..=255u8 {
            let value = vec![arg; 900];
            store
                .put(
                    "app::many",
                    &entry_key(3, arg),
                    &crate::codec::encode(&value).unwrap(),
                    Duration::ZERO,
                )
                .unwrap();
        }
        let dir = CacheDir::open(temp.path()).unwrap();
        let full = dir.disk_usage().database;
        dir.remove(&dir.entries("app::many").unwrap()).unwrap();
        let emptied = dir.disk_usage().database;
        assert!(emptied * 4 < full, "{emptied} of {full} bytes still in use");
        assert_eq!(dir.functions().unwrap().len(), 2);
    }

    #[test]
    fn open_reports_what_is_wrong() {
        let temp = tempfile::tempdir().unwrap();
        assert!(matches!(
            CacheDir::open(temp.path().join("absent")),
            Err(Error::NotACacheDir { .. })
        ));
        let populated = populated();
        let _held = CacheDir::open(populated.path()).unwrap();
        let again = CacheDir::open(populated.path()).unwrap();
        assert_eq!(again.functions().unwrap().len(), 2, "open twice: shared");
    }
}
