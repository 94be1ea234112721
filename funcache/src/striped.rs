//! An exact counter that a thread adds to without a locked instruction:
//! the count of every hit served by a tier behind memory.
//!
//! A relaxed `fetch_add` is a locked instruction on x86: it drains the
//! store buffer, and on the disk-hit path (a hundred-odd nanoseconds) it
//! cost several. Here each thread adds to a slot it owns alone, with a
//! plain load and store, and the count is the sum of the slots. A slot's
//! owner is unique while it lives (see [`thread_id`](crate::thread_id)).
//! Threads beyond the private slots share the last one with `fetch_add`. Slots sit on cache lines of
//! their own, so threads counting at once do not share a line either.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::thread_id;

/// Slots per counter: the last is shared by the threads that own none.
const SLOTS: usize = 16;
const SHARED: usize = SLOTS - 1;

#[repr(align(64))]
struct Slot(AtomicU64);

/// See the module documentation.
pub(crate) struct StripedCount {
    slots: [Slot; SLOTS],
    /// The sum at the last [`reset`](Self::reset).
    baseline: AtomicU64,
}

impl std::fmt::Debug for StripedCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StripedCount").field(&self.get()).finish()
    }
}

impl Default for StripedCount {
    fn default() -> Self {
        StripedCount::new()
    }
}

impl StripedCount {
    pub(crate) const fn new() -> StripedCount {
        StripedCount {
            slots: [const { Slot(AtomicU64::new(0)) }; SLOTS],
            baseline: AtomicU64::new(0),
        }
    }

    /// Adds one.
    #[inline]
    pub(crate) fn add_one(&self) {
        let id = thread_id::slot(SLOTS);
        let slot = &self.slots[id].0;
        if id == SHARED {
            slot.fetch_add(1, Ordering::Relaxed);
        } else {
            // Only this thread writes this slot while it owns it.
            slot.store(slot.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    fn sum(&self) -> u64 {
        self.slots
            .iter()
            .map(|slot| slot.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// The count since the last reset.
    pub(crate) fn get(&self) -> u64 {
        self.sum()
            .wrapping_sub(self.baseline.load(Ordering::Relaxed))
    }

    /// Starts counting from zero again.
    pub(crate) fn reset(&self) {
        self.baseline.store(self.sum(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads that start and end (giving their slots back for others to
    /// take over), more of them than there are slots, and many at once:
    /// not one addition is lost.
    #[test]
    fn counts_exactly_across_many_threads_that_come_and_go() {
        let count = StripedCount::new();
        for _ in 0..4 {
            std::thread::scope(|scope| {
                for _ in 0..(SLOTS + 8) {
                    scope.spawn(|| {
                        for _ in 0..10_000 {
                            count.add_one();
                        }
                    });
                }
            });
        }
        assert_eq!(count.get(), 4 * (SLOTS as u64 + 8) * 10_000);
        count.reset();
        count.add_one();
        assert_eq!(count.get(), 1);
    }
}
