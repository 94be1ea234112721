//! What a store holds, read out for inspection: one function's entries as
//! their keys and envelopes describe them, and the bytes the directory
//! uses. [`crate::CacheDir`] presents them; it never reads keys, envelopes
//! or files itself.

use std::fs;
use std::path::Path;

use super::{EntryKey, FunctionKey, LastReads, Store};
use crate::envelope::{self, Payload};
use crate::error::Error;
use crate::key::ArgsKey;

/// One stored entry, as its key and envelope describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredEntry {
    pub fingerprint: [u8; 32],
    pub args_key: ArgsKey,
    /// Bytes on disk: the database value, plus the blob if any.
    pub size: u64,
    /// Whether the value lives in a blob file.
    pub blob: bool,
    /// (created, unix ms; compute time, µs), if this build can read the
    /// envelope.
    pub times: Option<(u64, u64)>,
    /// When the entry was last read as far as the access log records (unix
    /// seconds).
    pub last_read_secs: Option<u64>,
}

/// Bytes used by a cache directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiskUsage {
    /// The database's pages in use.
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

impl Store {
    /// The entries of `fn_id` in key order, with their last reads from
    /// `last_reads` (keys that are not entry keys are skipped).
    pub(crate) fn entries_of(
        &self,
        fn_id: &str,
        last_reads: &LastReads,
    ) -> Result<Vec<StoredEntry>, Error> {
        self.settle();
        let function = FunctionKey::of(fn_id);
        let mut entries = Vec::new();
        self.for_each_entry(&function, |key, value| {
            let Some((fingerprint, args_key)) = EntryKey::parse(key) else {
                return;
            };
            let header = envelope::decode(value, &function.entry(key))
                .ok()
                .map(|(header, _)| header);
            let blob_len = header.and_then(|header| match header.payload {
                Payload::Blob { len, .. } => Some(len),
                Payload::Inline => None,
            });
            entries.push(StoredEntry {
                fingerprint,
                args_key,
                size: value.len() as u64 + blob_len.unwrap_or(0),
                blob: blob_len.is_some(),
                times: header.map(|h| (h.created_unix_ms, h.compute_micros)),
                last_read_secs: last_reads.get(&(fn_id.to_owned(), key.to_vec())).copied(),
            });
        })?;
        Ok(entries)
    }

    /// Bytes used: the database's pages that hold data (its file does not
    /// shrink when entries are removed; LMDB reuses the freed pages), and
    /// the blob files.
    pub(crate) fn disk_usage(&self) -> DiskUsage {
        self.settle();
        DiskUsage {
            database: self
                .live_bytes()
                .unwrap_or_else(|_| dir_size(&self.layout.db())),
            blobs: dir_size(&self.layout.blobs()),
        }
    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{OpenMode, open_shared};

    fn args(n: u64) -> ArgsKey {
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg(&n);
        builder.finish().unwrap()
    }

    #[test]
    fn lists_entries_with_sizes_times_and_last_reads() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_shared(temp.path(), OpenMode::Create).unwrap();
        let small = EntryKey::new(&[1; 32], &args(1));
        let large = EntryKey::new(&[1; 32], &args(2));
        let encode = |value: &Vec<u8>| crate::codec::encode(value).unwrap();
        let millis = Duration::from_millis(2);
        store
            .put("t::f", &small, &encode(&vec![1; 10]), millis)
            .unwrap();
        let big = vec![2; crate::envelope::BLOB_THRESHOLD];
        store.put("t::f", &large, &encode(&big), millis).unwrap();
        store
            .put_raw("t::f", &EntryKey::new(&[3; 32], &args(3)), b"junk")
            .unwrap();
        let reads = LastReads::from([(("t::f".to_owned(), small.to_vec()), 77)]);
        let entries = store.entries_of("t::f", &reads).unwrap();
        assert_eq!(entries.len(), 3);
        let find = |n| entries.iter().find(|e| e.args_key == args(n)).unwrap();
        assert_eq!((find(1).blob, find(1).last_read_secs), (false, Some(77)));
        assert_eq!(find(1).times.unwrap().1, 2000);
        assert!(find(2).blob && find(2).size > big.len() as u64);
        assert_eq!(find(3).times, None, "unreadable, still listed");
        assert!(store.entries_of("t::other", &reads).unwrap().is_empty());
        let usage = store.disk_usage();
        assert!(usage.blobs >= big.len() as u64 && usage.database > 0);
        assert_eq!(usage.total(), usage.database + usage.blobs);
    }
}
