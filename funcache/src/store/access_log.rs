//! `<dir>/access.log`: when entries were last read, as an append-only log.
//!
//! The runtime samples reads (see the journal) and appends them here in
//! batches, one `write` per batch. Only the CLI reads the log: the latest
//! record of an entry is its last use. Appending costs next to nothing,
//! where inserting each record into a large sled tree cost a third of a
//! disk hit in a million-entry cache (copy-on-write node updates).
//!
//! Every process that uses the directory appends to it. Each batch is one
//! `write` to a file opened with `O_APPEND`, so batches of different
//! processes do not overwrite or split each other. When the log passes
//! [`ROTATE_AT`] bytes it becomes `access.log.1` (replacing an older one)
//! and a new log starts, so the two together stay bounded; `funcache-cli
//! purge` rewrites it to the records of the entries that remain. A process
//! still appending to a file that was rotated or rewritten loses those
//! records: last-use times are approximate anyway (see the journal).
//!
//! A record is `fn id length (u8) ‖ fn id ‖ key length (u8) ‖ entry key ‖
//! unix seconds (u64 LE)`. A torn record at the end (a crash mid-write) is
//! ignored.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Size at which the log is rotated.
const ROTATE_AT: u64 = 64 << 20;

const FILE: &str = "access.log";
const OLD_FILE: &str = "access.log.1";

/// Last-read time (unix seconds) of each (function id, entry key).
pub(crate) type LastReads = HashMap<(String, Vec<u8>), u64>;

/// The log of one cache directory, opened for appending on first use.
pub(crate) struct AccessLog {
    dir: PathBuf,
    file: Mutex<Option<File>>,
}

fn encode(out: &mut Vec<u8>, fn_id: &str, key: &[u8], secs: u64) {
    // Ids and keys are far shorter than 256 bytes (keys are at most 97);
    // an id that is not is cut, which can only make its records unmatched.
    let id = &fn_id.as_bytes()[..fn_id.len().min(255)];
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out.push(key.len() as u8);
    out.extend_from_slice(key);
    out.extend_from_slice(&secs.to_le_bytes());
}

/// Parses records into `into`, later ones winning; stops at a torn record.
fn decode(mut bytes: &[u8], into: &mut LastReads) {
    let take = |n: usize, bytes: &mut &[u8]| -> Option<Vec<u8>> {
        if bytes.len() < n {
            return None;
        }
        let (taken, rest) = bytes.split_at(n);
        *bytes = rest;
        Some(taken.to_vec())
    };
    loop {
        let Some(&id_len) = bytes.first() else { return };
        bytes = &bytes[1..];
        let Some(id) = take(id_len as usize, &mut bytes) else {
            return;
        };
        let Some(&key_len) = bytes.first() else {
            return;
        };
        bytes = &bytes[1..];
        let Some(key) = take(key_len as usize, &mut bytes) else {
            return;
        };
        let Some(secs) = take(8, &mut bytes) else {
            return;
        };
        let secs = u64::from_le_bytes(secs.try_into().unwrap_or_default());
        let Ok(id) = String::from_utf8(id) else {
            continue;
        };
        let latest = into.entry((id, key)).or_insert(secs);
        *latest = (*latest).max(secs);
    }
}

impl AccessLog {
    /// The log's path in the cache directory `dir` (for error messages).
    pub(crate) fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub(crate) fn new(dir: &Path) -> Self {
        AccessLog {
            dir: dir.to_path_buf(),
            file: Mutex::new(None),
        }
    }

    /// Appends one batch of reads, all at `secs`.
    pub(crate) fn append<'a>(
        &self,
        reads: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        secs: u64,
    ) -> io::Result<()> {
        let mut batch = Vec::new();
        for (fn_id, key) in reads {
            encode(&mut batch, fn_id, key, secs);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let path = self.dir.join(FILE);
        if file
            .as_ref()
            .map_or(Ok(false), |f| f.metadata().map(|m| m.len() >= ROTATE_AT))?
        {
            *file = None;
            fs::rename(&path, self.dir.join(OLD_FILE))?;
        }
        if file.is_none() {
            let mut options = OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            *file = Some(options.open(&path)?);
        }
        file.as_mut().map_or(Ok(()), |f| f.write_all(&batch))
    }

    /// Every recorded last read (the rotated log first, then the current).
    pub(crate) fn read(dir: &Path) -> io::Result<LastReads> {
        let mut reads = LastReads::new();
        for name in [OLD_FILE, FILE] {
            match fs::read(dir.join(name)) {
                Ok(bytes) => decode(&bytes, &mut reads),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(reads)
    }

    /// Rewrites the log to the latest records of the entries `keep` accepts
    /// (atomically: a temporary file renamed into place), and drops the
    /// rotated log.
    pub(crate) fn rewrite(dir: &Path, keep: impl Fn(&str, &[u8]) -> bool) -> io::Result<()> {
        let reads = Self::read(dir)?;
        let mut bytes = Vec::new();
        for ((fn_id, key), secs) in &reads {
            if keep(fn_id, key) {
                encode(&mut bytes, fn_id, key, *secs);
            }
        }
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        temp.write_all(&bytes)?;
        temp.as_file().sync_all()?;
        temp.persist(dir.join(FILE)).map_err(|error| error.error)?;
        match fs::remove_file(dir.join(OLD_FILE)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_record_wins_across_batches() {
        let temp = tempfile::tempdir().unwrap();
        let log = AccessLog::new(temp.path());
        log.append([("app::f", &b"key-1"[..]), ("app::g", &b"key-2"[..])], 100)
            .unwrap();
        log.append([("app::f", &b"key-1"[..])], 200).unwrap();
        let reads = AccessLog::read(temp.path()).unwrap();
        assert_eq!(reads[&("app::f".to_owned(), b"key-1".to_vec())], 200);
        assert_eq!(reads[&("app::g".to_owned(), b"key-2".to_vec())], 100);
    }

    #[test]
    fn a_torn_record_at_the_end_is_ignored() {
        let temp = tempfile::tempdir().unwrap();
        AccessLog::new(temp.path())
            .append([("app::f", &b"k"[..])], 7)
            .unwrap();
        let path = temp.path().join(FILE);
        let mut bytes = fs::read(&path).unwrap();
        let whole = bytes.len();
        bytes.extend_from_slice(&bytes.clone()[..whole - 3]);
        fs::write(&path, bytes).unwrap();
        let reads = AccessLog::read(temp.path()).unwrap();
        assert_eq!(reads.len(), 1);
        assert!(
            AccessLog::read(&temp.path().join("missing"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn rewrite_keeps_only_the_kept_entries() {
        let temp = tempfile::tempdir().unwrap();
        let log = AccessLog::new(temp.path());
        log.append([("app::f", &b"a"[..]), ("app::f", &b"b"[..])], 5)
            .unwrap();
        AccessLog::rewrite(temp.path(), |_, key| key == b"a").unwrap();
        let reads = AccessLog::read(temp.path()).unwrap();
        assert_eq!(
            reads.keys().map(|(_, k)| k.clone()).collect::<Vec<_>>(),
            [b"a".to_vec()]
        );
    }
}
