//! Usage recorded in the cache directory for `funcache-cli`: when each
//! entry was last read (in the access log), and how many hits and misses
//! each function had (in the `stats` table).
//!
//! Writing on every hit would cost more than the hit itself, so a thread
//! records each entry it reads once per window of a second or more (see
//! [`crate::stats::first_read_in_window`]), and the records are buffered
//! and written in batches: whenever a value
//! is stored (the store writes anyway), when the buffer grows past
//! [`FLUSH_EVERY_TOUCHES`], when [`FLUSH_EVERY`] has passed, and on
//! [`crate::flush`]. Last-used times are therefore approximate: good for
//! evicting the least recently used entries, not for auditing reads. An
//! entry that has not been recorded as read counts as last used when it
//! was computed.

use std::collections::HashMap;

use super::EntryKey;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

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
        // Due once when the buffer fills, not again on every touch until
        // the batch is taken (the background thread may take a while).
        // The clock is read only every 32 touches.
        touches == FLUSH_EVERY_TOUCHES || (touches.is_multiple_of(32) && Self::due(&mut pending))
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

    /// Takes the buffered usage: (entries read, counts per function id).
    pub(crate) fn take(&self) -> (Vec<(&'static str, EntryKey)>, HashMap<String, UsageCounts>) {
        crate::stats::new_window();
        let mut pending = self.lock();
        pending.last_flush = Some(Instant::now());
        (
            std::mem::take(&mut pending.touches),
            std::mem::take(&mut pending.counts),
        )
    }
}

impl UsageCounts {
    /// Adds `delta` to stored counts (absent or undecodable: zero).
    pub(crate) fn merged(stored: Option<&[u8]>, delta: UsageCounts) -> Vec<u8> {
        let mut total: UsageCounts = stored
            .and_then(|bytes| postcard::from_bytes(bytes).ok())
            .unwrap_or_default();
        total.hits += delta.hits;
        total.misses += delta.misses;
        postcard::to_allocvec(&total).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_with_earlier_totals() {
        let once = UsageCounts::merged(None, UsageCounts { hits: 3, misses: 1 });
        let twice = UsageCounts::merged(Some(&once), UsageCounts { hits: 0, misses: 3 });
        let total: UsageCounts = postcard::from_bytes(&twice).unwrap();
        assert_eq!(total, UsageCounts { hits: 3, misses: 4 });
        let journal = Journal::default();
        journal.touch("app::f", entry_key(1));
        journal.count("app::f", 3, 1);
        let (touches, counts) = journal.take();
        assert_eq!(touches.len(), 1);
        assert_eq!(counts["app::f"], UsageCounts { hits: 3, misses: 1 });
        assert!(journal.take().0.is_empty());
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
