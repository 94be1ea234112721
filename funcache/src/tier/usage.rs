//! A function's usage recorded in its cache directory for `funcache-cli`:
//! sampled reads and hit and miss counts handed to the store's journal
//! (which writes them in batches), and the registry [`crate::flush`] goes
//! through to write what is still buffered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::DiskTier;
use crate::stats;
use crate::store::{self, EntryKey};
use crate::warn::warn_once;

/// Every disk tier used in this process.
static USED: Mutex<Vec<&'static DiskTier>> = Mutex::new(Vec::new());

/// [`flush_usage`] when the process exits (before the stores' own hook,
/// which was registered first: `atexit` runs hooks in reverse order).
extern "C" fn flush_usage_at_exit() {
    store::at_exit::run(flush_usage);
}

/// Writes the usage (hit and miss counts, sampled reads) of every disk
/// tier used in this process to its directory. Part of [`crate::flush`].
pub(crate) fn flush_usage() {
    let used: Vec<&'static DiskTier> = USED.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for tier in used {
        tier.write_usage();
    }
}

impl DiskTier {
    /// Remembers this tier for [`flush_usage`], once, which also runs
    /// when the process exits (a process that only hits stores nothing
    /// else, and its hits and last reads would be lost).
    #[inline]
    pub(crate) fn register(&'static self) {
        if !self.registered.load(Ordering::Relaxed)
            && !self.registered.swap(true, Ordering::Relaxed)
        {
            USED.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self);
            static AT_EXIT: std::sync::Once = std::sync::Once::new();
            store::at_exit::register(&AT_EXIT, flush_usage_at_exit);
        }
    }

    /// Records a read of `key` (once per thread and window, see
    /// [`stats::first_read_in_window`]), and has the journal written (in
    /// the background) when a batch is due.
    #[inline]
    pub(super) fn note_read(&self, key: &[u8]) {
        if stats::first_read_in_window(key)
            && self
                .store
                .journal()
                .touch(self.fn_id, EntryKey::copy_of(key))
            && !store::in_background(flush_usage)
        {
            self.write_usage();
        }
    }

    /// Forgets the counts handed over so far (the function's counters were
    /// reset).
    pub(crate) fn reset_usage(&self) {
        for journaled in &self.journaled {
            journaled.store(0, Ordering::Relaxed);
        }
    }

    /// Hands the counts since the last batch to the journal.
    pub(super) fn hand_over_counts(&self) {
        let totals = self.facts.usage_totals();
        let since = |journaled: &AtomicU64, now: u64| {
            now.saturating_sub(journaled.swap(now, Ordering::Relaxed))
        };
        let hits = since(&self.journaled[0], totals.hits);
        let misses = since(&self.journaled[1], totals.misses);
        self.store.journal().count(self.fn_id, hits, misses);
    }

    /// Hands the counts since the last batch to the journal and writes it.
    pub(crate) fn write_usage(&self) {
        self.hand_over_counts();
        // A damaged store warned about itself, once.
        if let Err(error) = self.store.write_journal()
            && !error.is_damaged_database()
        {
            warn_once("journal", self.fn_id, || {
                format!("funcache: usage of {} not recorded: {error}", self.fn_id)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{FingerprintRecord, OpenMode, UsageCounts, open_shared};
    use crate::tier::FunctionFacts;

    struct Facts(AtomicU64);
    impl FunctionFacts for Facts {
        fn usage_totals(&self) -> UsageCounts {
            UsageCounts {
                hits: self.0.load(Ordering::Relaxed),
                misses: 1,
            }
        }
        fn fingerprint_record(&self) -> ([u8; 32], FingerprintRecord) {
            unreachable!("nothing is stored")
        }
    }

    #[test]
    fn counts_are_handed_over_once_and_again_after_a_reset() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_shared(temp.path(), OpenMode::Create).unwrap();
        let facts: &'static Facts = Box::leak(Box::new(Facts(AtomicU64::new(4))));
        let tier: &'static DiskTier = Box::leak(Box::new(DiskTier::new(
            Arc::clone(&store),
            "t::usage",
            facts,
        )));
        tier.register();
        flush_usage();
        flush_usage();
        let counts = || store.usage_counts().unwrap()["t::usage"];
        assert_eq!(counts(), UsageCounts { hits: 4, misses: 1 }, "not twice");
        tier.reset_usage();
        facts.0.store(2, Ordering::Relaxed);
        flush_usage();
        assert_eq!(counts(), UsageCounts { hits: 6, misses: 2 });
    }
}
