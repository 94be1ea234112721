//! The size limit of a cache directory (`FUNCACHE_MAX_SIZE`): when the
//! database's pages in use and the blob files together pass it, expired
//! entries are removed, then the least recently used entries of every
//! function until the directory is back under [`TARGET_PERCENT`] of the
//! limit (so that the next few writes do not evict again).
//!
//! Last use is the later of an entry's creation and its last recorded read
//! (the access log: sampled reads appended to a file, so hits never become
//! write transactions). Programs check the size every [`CHECK_EVERY`]
//! stored values and after each large value; one process evicts at a time
//! (an advisory lock), the others skip the round.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;

use super::{FunctionKey, Store, key_lock};
use crate::envelope::{self, Payload};
use crate::error::Error;

/// Stored values between two size checks.
pub(crate) const CHECK_EVERY: u64 = 64;

/// After an eviction the directory holds at most this share of the limit.
const TARGET_PERCENT: u64 = 90;

/// One entry, as eviction sees it.
struct Candidate {
    table_key: Vec<u8>,
    bytes: u64,
    blob: Option<[u8; 32]>,
    last_used_secs: u64,
}

/// What an eviction removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Evicted {
    pub entries: u64,
    pub bytes: u64,
}

/// Keeps the database's pages in use under half of its memory map,
/// evicting down to a quarter when they pass it, whatever the size limit:
/// a full map refuses even the deletions that would make room (they copy
/// pages too). Costs one look at the environment's header per write while
/// the file stays under half the map (with a 256 GiB map, always).
pub(crate) fn keep_map_room(store: &Store) -> Result<(), Error> {
    let info = store.env.info();
    let map = info.map_size as u64;
    let page = u64::from(store.env.stat().page_size);
    if (info.last_page_number as u64 + 1) * page <= map / 2 {
        return Ok(());
    }
    let live = store.live_bytes()?;
    if live <= map / 2 {
        return Ok(());
    }
    let total = size(store)?;
    enforce(store, total.saturating_sub(live - map / 4)).map(drop)
}

/// Bytes the directory holds: database pages in use and blob files.
pub(crate) fn size(store: &Store) -> Result<u64, Error> {
    store.settle();
    let blobs: u64 = store.blobs.list()?.iter().map(|(_, len, _)| len).sum();
    Ok(store.live_bytes()? + blobs)
}

/// Evicts least recently used entries if the directory is over `limit`.
pub(crate) fn enforce(store: &Store, limit: u64) -> Result<Evicted, Error> {
    store.settle();
    let mut before = size(store)?;
    if before <= limit || store.read_only {
        return Ok(Evicted::default());
    }
    // Expired entries go first: they are misses already.
    if store.collect_expired(crate::envelope::now_unix_ms())? > 0 {
        before = size(store)?;
        if before <= limit {
            return Ok(Evicted::default());
        }
    }
    // One evictor at a time, across processes; the others skip.
    let lock_path = key_lock::dir(store.dir()).join("evict");
    super::layout::create_private_dir(&key_lock::dir(store.dir())).map_err(|source| Error::Io {
        path: key_lock::dir(store.dir()),
        source,
    })?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::Io {
            path: lock_path.clone(),
            source,
        })?;
    if fs4::FileExt::try_lock(&lock).is_err() {
        return Ok(Evicted::default());
    }
    let mut candidates = candidates(store)?;
    candidates.sort_by_key(|c| c.last_used_secs);
    let goal = limit / 100 * TARGET_PERCENT;
    let mut excess = before.saturating_sub(goal);
    let mut doomed = Vec::new();
    let mut blobs = HashSet::new();
    let mut evicted = Evicted::default();
    for candidate in candidates {
        if excess == 0 {
            break;
        }
        excess = excess.saturating_sub(candidate.bytes);
        evicted.entries += 1;
        evicted.bytes += candidate.bytes;
        blobs.extend(candidate.blob);
        doomed.push(candidate.table_key);
    }
    store.write(|txn, tables| {
        for key in &doomed {
            tables.entries.delete(txn, key)?;
        }
        Ok(())
    })?;
    store.remove_unreferenced_blobs(&blobs)?;
    Ok(evicted)
}

/// Every entry with its size and last use.
fn candidates(store: &Store) -> Result<Vec<Candidate>, Error> {
    let ids: HashMap<FunctionKey, String> = store
        .function_ids()?
        .into_iter()
        .map(|id| (FunctionKey::of(&id), id))
        .collect();
    let last_reads = store.last_reads()?;
    store.read(|txn, tables| {
        let mut all = Vec::new();
        for item in tables.entries.iter(txn)? {
            let (key, value) = item?;
            let Some(entry_key) = FunctionKey::strip(key) else {
                continue;
            };
            let (created_secs, blob) = match envelope::decode(value, key) {
                Ok((header, _)) => (
                    header.created_unix_ms / 1000,
                    match header.payload {
                        Payload::Blob { hash, len } => Some((hash, len)),
                        Payload::Inline => None,
                    },
                ),
                // Unreadable entries go first.
                Err(_) => (0, None),
            };
            let read = function_of(key)
                .and_then(|function| ids.get(&function))
                .and_then(|id| last_reads.get(&(id.clone(), entry_key.to_vec())))
                .copied()
                .unwrap_or(0);
            all.push(Candidate {
                table_key: key.to_vec(),
                bytes: (key.len() + value.len()) as u64 + blob.map_or(0, |(_, len)| len),
                blob: blob.map(|(hash, _)| hash),
                last_used_secs: created_secs.max(read),
            });
        }
        Ok(all)
    })
}

fn function_of(table_key: &[u8]) -> Option<FunctionKey> {
    FunctionKey::from_prefix(table_key)
}
