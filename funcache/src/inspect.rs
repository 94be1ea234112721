//! Opening a cache directory to look inside it and to remove entries: what
//! `funcache-cli` is built on.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::envelope::{self, Payload};
use crate::error::Error;
use crate::fn_cache::Fingerprint;
use crate::key::ArgsKey;
use crate::store::{self, EntryKey, FUNCTION_TREE_PREFIX, LastReads, Store, UsageCounts};

/// A cache directory opened for inspection and maintenance.
///
/// Opening takes the database's lock, so it fails with [`Error::Locked`]
/// while a program using the directory is running.
///
/// ```no_run
/// let dir = funcache::CacheDir::open("target/funcache")?;
/// for function in dir.functions()? {
///     println!("{} {} entries, {} bytes", function.id, function.entries, function.bytes);
/// }
/// # Ok::<(), funcache::Error>(())
/// ```
pub struct CacheDir {
    store: Store,
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

/// Bytes used by a cache directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiskUsage {
    /// The sled database's files.
    pub database: u64,
    /// The blob files.
    pub blobs: u64,
}

impl DiskUsage {
    /// Everything.
    pub fn total(&self) -> u64 {
        self.database + self.blobs
    }
}

/// How long [`CacheDir::open`] waits for a lock that may be on its way out.
const LOCK_RETRY: Duration = Duration::from_millis(500);

/// How long to wait for a handle this process just dropped.
const RELEASE_WAIT: Duration = Duration::from_secs(10);

fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

impl CacheDir {
    /// Opens an existing cache directory.
    ///
    /// # Errors
    ///
    /// [`Error::NotACacheDir`] if it does not exist or is not a funcache
    /// directory, [`Error::Format`] if another funcache format wrote it,
    /// [`Error::Locked`] if a running program has it open, and
    /// [`Error::Store`] if its database is damaged.
    pub fn open(path: impl AsRef<Path>) -> Result<CacheDir, Error> {
        Self::open_waiting(path.as_ref(), LOCK_RETRY)
    }

    /// [`open`](Self::open), waiting up to `patience` for a lock that is
    /// being released: sled releases it asynchronously after the last
    /// handle is dropped (its IO threads finish first), so a directory
    /// closed a moment ago — by this process, or by a program that just
    /// exited — can still look locked, for longer on a loaded machine.
    fn open_waiting(path: &Path, patience: Duration) -> Result<CacheDir, Error> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            match Store::open(path, false) {
                Err(Error::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                result => {
                    return result.map(|store| CacheDir {
                        store,
                        last_reads: Mutex::new(None),
                    });
                }
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.store.dir()
    }

    fn function_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .store
            .db()
            .tree_names()
            .iter()
            .filter_map(|name| name.strip_prefix(FUNCTION_TREE_PREFIX.as_bytes()))
            .filter_map(|id| String::from_utf8(id.to_vec()).ok())
            .collect();
        ids.sort();
        ids
    }

    /// Every function that has entries, sorted by id.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn functions(&self) -> Result<Vec<FunctionSummary>, Error> {
        let usage = self.store.usage_counts()?;
        let mut summaries = Vec::new();
        for id in self.function_ids() {
            let entries = self.entries(&id)?;
            if entries.is_empty() {
                continue;
            }
            summaries.push(FunctionSummary {
                entries: entries.len() as u64,
                bytes: entries.iter().map(|e| e.size).sum(),
                fingerprints: entries.iter().map(|e| e.fingerprint).collect(),
                oldest: entries.iter().map(|e| e.created).min(),
                newest: entries.iter().map(|e| e.created).max(),
                usage: usage.get(&id).copied().unwrap_or_default(),
                id,
            });
        }
        Ok(summaries)
    }

    /// Whether the directory has entries of function `id`.
    pub fn has_function(&self, id: &str) -> bool {
        self.function_ids().iter().any(|known| known == id)
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
        let Some(tree) = self.store.existing_function_tree(fn_id)? else {
            return Ok(Vec::new());
        };
        let last_reads = self.last_reads()?;
        let mut entries = Vec::new();
        for item in tree.iter() {
            let (key, value) = item.map_err(|e| self.store.error(e))?;
            let Some((fingerprint, args)) = EntryKey::parse(&key) else {
                continue;
            };
            let decoded = envelope::decode(&value).ok();
            let (header, blob_len) = match decoded {
                Some((header, _)) => {
                    let blob_len = match header.payload {
                        Payload::Blob { len, .. } => Some(len),
                        Payload::Inline => None,
                    };
                    (Some(header), blob_len)
                }
                None => (None, None),
            };
            let created = header.map_or(UNIX_EPOCH, |h| from_unix_ms(h.created_unix_ms));
            let last_used = last_reads
                .get(&(fn_id.to_owned(), key.to_vec()))
                .map(|&secs| UNIX_EPOCH + Duration::from_secs(secs))
                .map_or(created, |read| read.max(created));
            entries.push(EntryInfo {
                fn_id: fn_id.to_owned(),
                fingerprint: Fingerprint(fingerprint),
                args_key: args,
                size: value.len() as u64 + blob_len.unwrap_or(0),
                blob: blob_len.is_some(),
                created,
                last_used,
                compute_time: header
                    .map_or(Duration::ZERO, |h| Duration::from_micros(h.compute_micros)),
                readable: header.is_some(),
            });
        }
        Ok(entries)
    }

    /// The dependency lists recorded for the fingerprints of `fn_id`.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn fingerprints(&self, fn_id: &str) -> Result<Vec<FingerprintInfo>, Error> {
        let mut found = Vec::new();
        for (fingerprint, record) in self.store.fingerprint_records()? {
            if record.fn_id == fn_id {
                found.push(FingerprintInfo {
                    fingerprint: Fingerprint(fingerprint),
                    fn_id: record.fn_id,
                    dependencies: record.dependencies,
                    externals: record.externals,
                    unresolved: record.unresolved,
                    recorded: from_unix_ms(record.recorded_unix_ms),
                });
            }
        }
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
        let mut removed = Removed::default();
        let mut handled = 0;
        let mut by_function: BTreeMap<&str, Vec<&EntryInfo>> = BTreeMap::new();
        for entry in entries {
            by_function.entry(&entry.fn_id).or_default().push(entry);
        }
        for (fn_id, entries) in by_function {
            let Some(tree) = self.store.existing_function_tree(fn_id)? else {
                continue;
            };
            for entry in entries {
                let key = EntryKey::new(entry.fingerprint.as_bytes(), &entry.args_key);
                if self.store.remove_entry(&tree, &key)? {
                    removed.entries += 1;
                    removed.bytes += entry.size;
                }
                handled += 1;
                progress(handled);
            }
        }
        self.collect_garbage()?;
        self.store.flush()?;
        Ok(removed)
    }

    /// Drops fingerprint records no entry uses, access-log records of
    /// entries that are gone, and blob files no entry references (including
    /// temporary files left by a crash).
    fn collect_garbage(&self) -> Result<(), Error> {
        let mut live_fingerprints = HashSet::new();
        let mut live_entries = HashSet::new();
        for id in self.function_ids() {
            for entry in self.entries(&id)? {
                live_fingerprints.insert(*entry.fingerprint.as_bytes());
                let key = EntryKey::new(entry.fingerprint.as_bytes(), &entry.args_key);
                live_entries.insert((id.clone(), key.to_vec()));
            }
        }
        self.store
            .retain_fingerprint_records(|fingerprint, _| live_fingerprints.contains(fingerprint))?;
        self.store.compact_access_log(|fn_id, key| {
            live_entries.contains(&(fn_id.to_owned(), key.to_vec()))
        })?;
        *self
            .last_reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        let referenced = self.store.referenced_blobs()?;
        self.store
            .blobs()
            .remove_unreferenced(&referenced, Duration::ZERO)?;
        Ok(())
    }

    /// Bytes on disk.
    pub fn disk_usage(&self) -> DiskUsage {
        let layout = store::Layout::new(self.path());
        DiskUsage {
            database: dir_size(&layout.db()),
            blobs: dir_size(&layout.blobs()),
        }
    }

    /// Rewrites the database into a fresh one holding only live data, which
    /// returns the space of removed entries to the file system (sled reuses
    /// freed space but does not shrink its files), and reopens it.
    ///
    /// # Errors
    ///
    /// When the copy cannot be written; the original database is left in
    /// place until the copy is complete.
    pub fn compact(self) -> Result<CacheDir, Error> {
        let dir: PathBuf = self.path().to_path_buf();
        let layout = store::Layout::new(&dir);
        let fresh = dir.join("db.compacting");
        let old = dir.join("db.old");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        for leftover in [&fresh, &old] {
            if leftover.exists() {
                fs::remove_dir_all(leftover).map_err(io(leftover))?;
            }
        }
        self.store.copy_into(&fresh)?;
        drop(self);
        fs::rename(layout.db(), &old).map_err(io(&layout.db()))?;
        fs::rename(&fresh, layout.db()).map_err(io(&fresh))?;
        fs::remove_dir_all(&old).map_err(io(&old))?;
        // This process dropped the handle a moment ago: wait for sled.
        CacheDir::open_waiting(&dir, RELEASE_WAIT)
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
    use crate::store::{FingerprintRecord, Store};

    /// A cache directory with two functions: `app::small` (three entries,
    /// two fingerprints) and `app::big` (one blob), all handles closed.
    fn populated() -> tempfile::TempDir {
        let temp = tempfile::tempdir().unwrap();
        let store = Store::open(temp.path(), true).unwrap();
        let small = store.function_tree("app::small").unwrap();
        for (fingerprint, arg) in [(1u8, 1u8), (1, 2), (2, 1)] {
            let key = entry_key(fingerprint, arg);
            store
                .put(
                    &small,
                    &key,
                    &crate::codec::encode(&format!("value {arg}")).unwrap(),
                    Duration::from_millis(3),
                )
                .unwrap();
        }
        let big = store.function_tree("app::big").unwrap();
        let value: Vec<u64> = (0..200_000).map(|i| u64::MAX - i).collect();
        store
            .put(
                &big,
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
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg(&arg);
        builder.finish().unwrap()
    }

    fn entry_key(fingerprint: u8, arg: u8) -> EntryKey {
        EntryKey::new(&[fingerprint; 32], &args_key(arg))
    }

    #[test]
    fn summarizes_functions_and_entries() {
        let temp = populated();
        let dir = CacheDir::open_waiting(temp.path(), RELEASE_WAIT).unwrap();
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
        let dir = CacheDir::open_waiting(temp.path(), RELEASE_WAIT).unwrap();
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
    fn compact_keeps_live_data() {
        let temp = populated();
        let dir = CacheDir::open_waiting(temp.path(), RELEASE_WAIT).unwrap();
        let small = dir.entries("app::small").unwrap();
        dir.remove(&small[..2]).unwrap();
        let dir = dir.compact().unwrap();
        let functions = dir.functions().unwrap();
        assert_eq!(functions.iter().map(|f| f.entries).sum::<u64>(), 2);
        assert!(!temp.path().join("db.compacting").exists());
        assert!(!temp.path().join("db.old").exists());
    }

    #[test]
    fn open_reports_what_is_wrong() {
        let temp = tempfile::tempdir().unwrap();
        assert!(matches!(
            CacheDir::open(temp.path().join("absent")),
            Err(Error::NotACacheDir { .. })
        ));
        let populated = populated();
        let _held = CacheDir::open_waiting(populated.path(), RELEASE_WAIT).unwrap();
        assert!(matches!(
            CacheDir::open(populated.path()),
            Err(Error::Locked { .. })
        ));
    }
}
