//! Looking inside a store and removing from it: what [`crate::CacheDir`],
//! eviction and `FnCache::clear` are built on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::time::Duration;

use super::{
    AccessLog, EntryKey, FingerprintRecord, FunctionKey, LastReads, Store, UsageCounts, blob_ref,
    prefix_end,
};
use crate::error::Error;

/// Blob files no entry references are left alone this long after they
/// were written: a program may have written one and be about to commit the
/// entry that references it.
const ORPHAN_GRACE: Duration = Duration::from_secs(120);

impl Store {
    /// Removes the given entries (function id, entry key), then collects
    /// garbage (see [`collect_garbage`](Self::collect_garbage)) and
    /// flushes. `progress` gets the number of entries handled so far after
    /// each one. Returns which entries existed, in the order given.
    pub(crate) fn remove_and_collect(
        &self,
        entries: &[(&str, EntryKey)],
        mut progress: impl FnMut(u64),
    ) -> Result<Vec<bool>, Error> {
        self.settle();
        let mut existed = vec![false; entries.len()];
        let mut handled = 0;
        let mut blobs = HashSet::new();
        let mut by_function: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, (fn_id, _)) in entries.iter().enumerate() {
            by_function.entry(fn_id).or_default().push(index);
        }
        for (fn_id, indices) in by_function {
            let keys: Vec<EntryKey> = indices.iter().map(|&i| entries[i].1).collect();
            let found = self.remove_entries(fn_id, &keys, &mut blobs, || {
                handled += 1;
                progress(handled);
            })?;
            for (index, found) in indices.into_iter().zip(found) {
                existed[index] = found;
            }
        }
        self.remove_unreferenced_blobs(&blobs)?;
        self.collect_garbage()?;
        self.flush()?;
        Ok(existed)
    }

    /// Removes expired entries (see [`collect_expired`](Self::collect_expired)),
    /// then drops fingerprint records no entry uses, access-log records of
    /// entries that are gone, and blob files no entry references (including
    /// temporary files left by a crash) once they are older than
    /// [`ORPHAN_GRACE`].
    pub(crate) fn collect_garbage(&self) -> Result<(), Error> {
        self.settle();
        self.collect_expired(crate::envelope::now_unix_ms())?;
        let mut live_fingerprints = HashSet::new();
        let mut live_entries = HashSet::new();
        for id in self.function_ids()? {
            self.for_each_entry(&FunctionKey::of(&id), |key, _| {
                if let Some((fingerprint, args)) = EntryKey::parse(key) {
                    live_fingerprints.insert(fingerprint);
                    live_entries.insert((id.clone(), EntryKey::new(&fingerprint, &args).to_vec()));
                }
            })?;
        }
        self.retain_fingerprint_records(|fingerprint, _| live_fingerprints.contains(fingerprint))?;
        self.compact_access_log(|fn_id, key| {
            live_entries.contains(&(fn_id.to_owned(), key.to_vec()))
        })?;
        let referenced = self.referenced_blobs()?;
        self.blobs.remove_unreferenced(&referenced, ORPHAN_GRACE)?;
        Ok(())
    }

    /// Removes every entry of one function, its recorded usage and
    /// fingerprints, and the blobs only it used.
    pub(crate) fn clear_function(&self, fn_id: &str) -> Result<(), Error> {
        // A value queued before the clear is cleared too.
        self.settle();
        let function = FunctionKey::of(fn_id);
        let mut candidates = HashSet::new();
        self.for_each_entry(&function, |key, value| {
            blob_ref(&function.entry(key), value, &mut candidates);
        })?;
        let records = self.fingerprint_records()?;
        self.write(|txn, tables| {
            let prefix = function.as_bytes();
            let end = prefix_end(prefix);
            let range = (
                Bound::Included(prefix),
                end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
            );
            tables.entries.delete_range(txn, &range)?;
            tables.stats.delete(txn, prefix)?;
            for (fingerprint, record) in &records {
                if record.fn_id == fn_id {
                    tables.fingerprints.delete(txn, fingerprint)?;
                }
            }
            Ok(())
        })?;
        // Its records in the access log are left to the next purge: they
        // match no entry any more.
        self.remove_unreferenced_blobs(&candidates)?;
        self.flush()
    }

    /// Calls `visit` with (entry key, envelope bytes) of every entry of
    /// `function`, in key order, inside one read transaction.
    pub(crate) fn for_each_entry(
        &self,
        function: &FunctionKey,
        mut visit: impl FnMut(&[u8], &[u8]),
    ) -> Result<(), Error> {
        self.settle();
        self.read(|txn, tables| {
            for item in tables.entries.prefix_iter(txn, function.as_bytes())? {
                let (key, value) = item?;
                if let Some(entry_key) = FunctionKey::strip(key) {
                    visit(entry_key, value);
                }
            }
            Ok(())
        })
    }

    /// The ids of every function that has stored anything, sorted.
    pub(crate) fn function_ids(&self) -> Result<Vec<String>, Error> {
        self.settle();
        let mut ids = self.read(|txn, tables| {
            let mut ids = Vec::new();
            for item in tables.functions.iter(txn)? {
                let (_, id) = item?;
                if let Ok(id) = std::str::from_utf8(id) {
                    ids.push(id.to_owned());
                }
            }
            Ok(ids)
        })?;
        ids.sort();
        Ok(ids)
    }

    pub(super) fn access_log_error(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: AccessLog::path(self.dir()),
            source,
        }
    }

    /// When each entry was last read, as far as recorded.
    pub(crate) fn last_reads(&self) -> Result<LastReads, Error> {
        self.settle();
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
    pub(crate) fn usage_counts(&self) -> Result<HashMap<String, UsageCounts>, Error> {
        let ids = self.function_ids()?;
        self.read(|txn, tables| {
            let mut all = HashMap::new();
            for id in ids {
                let key = FunctionKey::of(&id);
                if let Some(counts) = tables
                    .stats
                    .get(txn, key.as_bytes())?
                    .and_then(|bytes| postcard::from_bytes::<UsageCounts>(bytes).ok())
                {
                    all.insert(id, counts);
                }
            }
            Ok(all)
        })
    }

    /// Every fingerprint record (undecodable ones skipped).
    pub(crate) fn fingerprint_records(&self) -> Result<Vec<([u8; 32], FingerprintRecord)>, Error> {
        self.read(|txn, tables| {
            let mut records = Vec::new();
            for item in tables.fingerprints.iter(txn)? {
                let (key, value) = item?;
                if let (Ok(key), Ok(record)) =
                    (<[u8; 32]>::try_from(key), postcard::from_bytes(value))
                {
                    records.push((key, record));
                }
            }
            Ok(records)
        })
    }

    /// Keeps only the fingerprint records that pass `keep`.
    pub(crate) fn retain_fingerprint_records(
        &self,
        keep: impl Fn(&[u8; 32], &FingerprintRecord) -> bool,
    ) -> Result<(), Error> {
        let doomed: Vec<[u8; 32]> = self
            .fingerprint_records()?
            .into_iter()
            .filter(|(fingerprint, record)| !keep(fingerprint, record))
            .map(|(fingerprint, _)| fingerprint)
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        self.write(|txn, tables| {
            for fingerprint in &doomed {
                tables.fingerprints.delete(txn, fingerprint)?;
            }
            Ok(())
        })
    }

    /// Removes entries of `fn_id` in one transaction, calling `progress`
    /// after each; returns which existed, and adds the blobs they
    /// referenced to `blobs`.
    pub(crate) fn remove_entries(
        &self,
        fn_id: &str,
        entry_keys: &[EntryKey],
        blobs: &mut HashSet<[u8; 32]>,
        mut progress: impl FnMut(),
    ) -> Result<Vec<bool>, Error> {
        self.settle();
        let function = FunctionKey::of(fn_id);
        self.write(|txn, tables| {
            let mut existed = Vec::with_capacity(entry_keys.len());
            for key in entry_keys {
                let key = function.entry(key);
                if let Some(value) = tables.entries.get(txn, &key)? {
                    blob_ref(&key, value, blobs);
                }
                existed.push(tables.entries.delete(txn, &key)?);
                progress();
            }
            Ok(existed)
        })
    }

    /// Deletes the blob files among `candidates` that no entry references.
    pub(crate) fn remove_unreferenced_blobs(
        &self,
        candidates: &HashSet<[u8; 32]>,
    ) -> Result<(), Error> {
        if candidates.is_empty() {
            return Ok(());
        }
        let referenced = self.referenced_blobs()?;
        for hash in candidates.difference(&referenced) {
            let path = self.blobs.path(hash);
            if let Err(source) = std::fs::remove_file(&path)
                && source.kind() != std::io::ErrorKind::NotFound
            {
                return Err(Error::Io { path, source });
            }
        }
        Ok(())
    }

    /// Every blob hash referenced by any entry of any function.
    pub(crate) fn referenced_blobs(&self) -> Result<HashSet<[u8; 32]>, Error> {
        self.read(|txn, tables| {
            let mut referenced = HashSet::new();
            for item in tables.entries.iter(txn)? {
                let (key, value) = item?;
                blob_ref(key, value, &mut referenced);
            }
            Ok(referenced)
        })
    }

    /// Bytes of the database's pages that hold data (LMDB reuses the pages
    /// of removed entries but never shrinks its file, so the file's size
    /// says how large the database once was, not how large it is).
    pub(crate) fn live_bytes(&self) -> Result<u64, Error> {
        self.read(|txn, tables| {
            let mut bytes = 0u64;
            for table in [
                tables.entries,
                tables.functions,
                tables.fingerprints,
                tables.stats,
            ]
            .into_iter()
            .chain(tables.ttls)
            {
                let stat = table.stat(txn)?;
                let pages = stat.branch_pages + stat.leaf_pages + stat.overflow_pages;
                bytes += pages as u64 * u64::from(stat.page_size);
            }
            Ok(bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{OpenMode, open_shared};

    fn key(fingerprint: u8, n: u64) -> EntryKey {
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg(&n);
        EntryKey::new(&[fingerprint; 32], &builder.finish().unwrap())
    }

    #[test]
    fn removal_answers_in_the_given_order_and_drops_orphan_records() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_shared(temp.path(), OpenMode::Create).unwrap();
        let value = crate::codec::encode(&1u8).unwrap();
        for (fn_id, fingerprint) in [("t::b", 2), ("t::a", 1)] {
            store
                .put(fn_id, &key(fingerprint, 1), &value, Duration::ZERO)
                .unwrap();
            let record = FingerprintRecord {
                fn_id: fn_id.into(),
                dependencies: vec![],
                externals: vec![],
                unresolved: vec![],
                recorded_unix_ms: 0,
            };
            store
                .record_fingerprint(&[fingerprint; 32], &record)
                .unwrap();
        }
        let mut seen = Vec::new();
        let existed = store
            .remove_and_collect(
                &[
                    ("t::b", key(2, 1)),
                    ("t::b", key(2, 9)),
                    ("t::a", key(1, 1)),
                ],
                |handled| seen.push(handled),
            )
            .unwrap();
        assert_eq!(existed, [true, false, true]);
        assert_eq!(seen, [1, 2, 3]);
        assert!(
            store.fingerprint_records().unwrap().is_empty(),
            "no entry uses them"
        );
    }
}
