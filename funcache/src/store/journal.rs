//! Usage recorded in the cache directory for `funcache-cli`: when each
//! entry was last read (in [`AccessLog`]), and how many hits and misses
//! each function had (in the `meta:stats` tree).
//!
//! Writing on every hit would cost more than the hit itself, so reads are
//! sampled — one disk hit in [`SAMPLE_EVERY`](crate::stats::SAMPLE_EVERY)
//! per thread is recorded — and the records are buffered and written in
//! batches: whenever a value
//! is stored (the store writes anyway), when the buffer grows past
//! [`FLUSH_EVERY_TOUCHES`], when [`FLUSH_EVERY`] has passed, and on
//! [`crate::flush`]. Last-used times are therefore approximate: good for
//! evicting the least recently used entries, not for auditing reads. An
//! entry that has not been recorded as read counts as last used when it
//! was computed.

use std::collections::HashMap;

use super::EntryKey;
use super::access_log::AccessLog;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

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
    /// Entries read since the last batch. The batch records its own time as
    /// their last use: within [`FLUSH_EVERY`] of the truth, and no clock
    /// read per hit.
    touches: Vec<(&'static str, EntryKey)>,
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
    crate::envelope::now_unix_ms() / 1000
}

impl Journal {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a read of an entry; returns whether a batch is due.
    #[inline]
    pub(crate) fn touch(&self, fn_id: &'static str, entry_key: EntryKey) -> bool {
        let mut pending = self.lock();
        pending.touches.push((fn_id, entry_key));
        let touches = pending.touches.len();
        // The clock is read only every 32 touches.
        touches >= FLUSH_EVERY_TOUCHES || (touches.is_multiple_of(32) && Self::due(&mut pending))
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
        last.elapsed() >= FLUSH_EVERY
    }

    /// Writes the buffered usage: reads to `log`, counts to `db`.
    pub(crate) fn write_to(&self, db: &sled::Db, log: &AccessLog) -> Result<(), JournalError> {
        let (touches, counts) = {
            let mut pending = self.lock();
            pending.last_flush = Some(Instant::now());
            (
                std::mem::take(&mut pending.touches),
                std::mem::take(&mut pending.counts),
            )
        };
        let reads = touches.iter().map(|(fn_id, key)| (*fn_id, key.as_ref()));
        log.append(reads, now_unix_secs())
            .map_err(JournalError::Log)?;
        if !counts.is_empty() {
            let stats = db.open_tree(STATS_TREE).map_err(JournalError::Db)?;
            for (fn_id, delta) in counts {
                stats
                    .update_and_fetch(fn_id.as_bytes(), |old| {
                        let mut total: UsageCounts = old
                            .and_then(|bytes| postcard::from_bytes(bytes).ok())
                            .unwrap_or_default();
                        total.hits += delta.hits;
                        total.misses += delta.misses;
                        postcard::to_allocvec(&total).ok()
                    })
                    .map_err(JournalError::Db)?;
            }
        }
        Ok(())
    }
}

/// Why usage could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JournalError {
    #[error("access log: {0}")]
    Log(std::io::Error),
    #[error(transparent)]
    Db(sled::Error),
}

/// Reads the recorded counts of every function.
pub(crate) fn read_counts(stats: &sled::Tree) -> sled::Result<HashMap<String, UsageCounts>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_accumulate_and_merge_with_earlier_totals() {
        let temp = tempfile::tempdir().unwrap();
        let db = sled::open(temp.path().join("db")).unwrap();
        let log = AccessLog::new(temp.path());
        let journal = Journal::default();
        let key = entry_key(1);
        journal.touch("app::f", key);
        journal.count("app::f", 3, 1);
        journal.write_to(&db, &log).unwrap();
        journal.count("app::f", 0, 3);
        journal.write_to(&db, &log).unwrap();
        let counts = read_counts(&db.open_tree(STATS_TREE).unwrap()).unwrap();
        assert_eq!(counts["app::f"], UsageCounts { hits: 3, misses: 4 });
        let reads = AccessLog::read(temp.path()).unwrap();
        let when = reads[&("app::f".to_owned(), key.to_vec())];
        assert!(now_unix_secs() - when < 60);
        assert_eq!(reads.len(), 1);
    }

    fn entry_key(n: u64) -> EntryKey {
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg(&n);
        EntryKey::new(&[0; 32], &builder.finish().unwrap())
    }

    #[test]
    fn a_batch_is_due_after_many_touches() {
        let journal = Journal::default();
        let due = (0..FLUSH_EVERY_TOUCHES as u64).map(|i| journal.touch("f", entry_key(i)));
        assert_eq!(due.filter(|&due| due).count(), 1);
    }
}
