//! Usage recorded in the cache directory for `funcache-cli`: when each
//! entry was last read, and how many hits and misses each function had.
//!
//! Writing on every hit would double the cost of a disk hit, so usage is
//! buffered in memory and written in batches: whenever a value is stored
//! (the store writes anyway), when the buffer grows past
//! [`FLUSH_EVERY_TOUCHES`], when [`FLUSH_EVERY`] has passed, and on
//! [`crate::flush`]. A process that exits between batches loses its last
//! few touches and counts: last-used times and counters are approximate by
//! design, never wrong by more than that.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The sled tree that maps `<fn id>\0<entry key>` to the last-read time.
pub(crate) const ACCESS_TREE: &str = "meta:access";
/// The sled tree that maps a function id to its [`UsageCounts`].
pub(crate) const STATS_TREE: &str = "meta:stats";

const FLUSH_EVERY_TOUCHES: usize = 256;
const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// Hits and misses of one function, summed over every process that
/// recorded them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageCounts {
    /// Calls answered from the memory or disk tier.
    pub hits: u64,
    /// Calls that ran the function body.
    pub misses: u64,
}

#[derive(Default)]
struct Pending {
    /// Access-tree key → unix seconds of the latest read.
    touches: HashMap<Vec<u8>, u64>,
    /// Function id → counts not yet written.
    counts: HashMap<String, UsageCounts>,
    last_flush: Option<Instant>,
}

/// The in-memory buffer of one store.
#[derive(Default)]
pub(crate) struct Journal {
    pending: Mutex<Pending>,
}

pub(crate) fn now_unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The access-tree key of one entry.
pub(crate) fn access_key(fn_id: &str, entry_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(fn_id.len() + 1 + entry_key.len());
    key.extend_from_slice(fn_id.as_bytes());
    key.push(0);
    key.extend_from_slice(entry_key);
    key
}

impl Journal {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a read of an entry; returns whether a batch is due.
    pub(crate) fn touch(&self, fn_id: &str, entry_key: &[u8]) -> bool {
        let mut pending = self.lock();
        pending
            .touches
            .insert(access_key(fn_id, entry_key), now_unix_secs());
        Self::due(&mut pending)
    }

    /// Adds hits and misses not yet recorded.
    pub(crate) fn count(&self, fn_id: &str, hits: u64, misses: u64) {
        if hits == 0 && misses == 0 {
            return;
        }
        let mut pending = self.lock();
        let counts = pending.counts.entry(fn_id.to_owned()).or_default();
        counts.hits += hits;
        counts.misses += misses;
    }

    fn due(pending: &mut Pending) -> bool {
        let last = *pending.last_flush.get_or_insert_with(Instant::now);
        pending.touches.len() >= FLUSH_EVERY_TOUCHES || last.elapsed() >= FLUSH_EVERY
    }

    /// Writes the buffered usage to `db`.
    pub(crate) fn write_to(&self, db: &sled::Db) -> sled::Result<()> {
        let (touches, counts) = {
            let mut pending = self.lock();
            pending.last_flush = Some(Instant::now());
            (
                std::mem::take(&mut pending.touches),
                std::mem::take(&mut pending.counts),
            )
        };
        if !touches.is_empty() {
            let access = db.open_tree(ACCESS_TREE)?;
            let mut batch = sled::Batch::default();
            for (key, secs) in touches {
                batch.insert(key, &secs.to_le_bytes());
            }
            access.apply_batch(batch)?;
        }
        if !counts.is_empty() {
            let stats = db.open_tree(STATS_TREE)?;
            for (fn_id, delta) in counts {
                stats.update_and_fetch(fn_id.as_bytes(), |old| {
                    let mut total: UsageCounts = old
                        .and_then(|bytes| postcard::from_bytes(bytes).ok())
                        .unwrap_or_default();
                    total.hits += delta.hits;
                    total.misses += delta.misses;
                    postcard::to_allocvec(&total).ok()
                })?;
            }
        }
        Ok(())
    }
}

/// Reads the recorded counts of every function.
pub(crate) fn read_counts(db: &sled::Db) -> sled::Result<HashMap<String, UsageCounts>> {
    let stats = db.open_tree(STATS_TREE)?;
    let mut all = HashMap::new();
    for entry in stats.iter() {
        let (key, value) = entry?;
        if let (Ok(id), Ok(counts)) = (
            String::from_utf8(key.to_vec()),
            postcard::from_bytes::<UsageCounts>(&value),
        ) {
            all.insert(id, counts);
        }
    }
    Ok(all)
}

/// Reads the recorded last-read time of one entry.
pub(crate) fn read_access(access: &sled::Tree, fn_id: &str, entry_key: &[u8]) -> Option<u64> {
    let bytes = access.get(access_key(fn_id, entry_key)).ok()??;
    Some(u64::from_le_bytes(bytes.as_ref().try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_accumulate_and_merge_with_earlier_totals() {
        let temp = tempfile::tempdir().unwrap();
        let db = sled::open(temp.path()).unwrap();
        let journal = Journal::default();
        journal.touch("app::f", b"entry-1");
        journal.count("app::f", 3, 1);
        journal.write_to(&db).unwrap();
        journal.count("app::f", 0, 3);
        journal.write_to(&db).unwrap();
        let counts = read_counts(&db).unwrap();
        assert_eq!(counts["app::f"], UsageCounts { hits: 3, misses: 4 });
        let access = db.open_tree(ACCESS_TREE).unwrap();
        let when = read_access(&access, "app::f", b"entry-1").unwrap();
        assert!(now_unix_secs() - when < 60);
        assert!(read_access(&access, "app::f", b"entry-2").is_none());
    }

    #[test]
    fn a_batch_is_due_after_many_touches() {
        let journal = Journal::default();
        let due = (0..FLUSH_EVERY_TOUCHES).map(|i| journal.touch("f", &i.to_le_bytes()));
        assert_eq!(due.filter(|&due| due).count(), 1);
    }
}
