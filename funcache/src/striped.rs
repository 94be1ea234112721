//! An exact counter that a thread adds to without a locked instruction:
//! the count of every hit served by a tier behind memory.
//!
//! A relaxed `fetch_add` is a locked instruction on x86: it drains the
//! store buffer, and on the disk-hit path (a hundred-odd nanoseconds) it
//! cost several. Here each thread adds to a slot it owns alone, with a
//! plain load and store, and the count is the sum of the slots. A slot's
//! owner is unique while it lives: slot ids are handed out once and given
//! back (through a mutex, which orders the last owner's writes before the
//! next owner's reads) when a thread ends. Threads beyond the private
//! slots share the last one with `fetch_add`. Slots sit on cache lines of
//! their own, so threads counting at once do not share a line either.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Slots per counter: the last is shared by the threads that own none.
pub(crate) const SLOTS: usize = 16;
const SHARED: usize = SLOTS - 1;

#[repr(align(64))]
struct Slot(AtomicU64);

/// See the module documentation.
pub(crate) struct StripedCount {
    slots: [Slot; SLOTS],
    /// The sum at the last [`reset`](Self::reset).
    baseline: AtomicU64,
}

/// Slot ids given back by threads that ended.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// The next slot id never handed out.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// This thread's slot id, given back when the thread ends.
struct Owned(usize);

impl Owned {
    fn take() -> Owned {
        if let Some(id) = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop() {
            return Owned(id);
        }
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        Owned(id.min(SHARED))
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if self.0 < SHARED {
            FREE.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self.0);
        }
    }
}

thread_local! {
    static SLOT: Owned = Owned::take();
}

/// This thread's slot: its own below `SLOTS - 1`, else the shared last
/// one. (Also used by the store's kept read transactions, one per slot.)
#[inline]
pub(crate) fn thread_slot() -> usize {
    // While the thread's storage is being torn down: the shared slot.
    SLOT.try_with(|slot| slot.0).unwrap_or(SHARED)
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
        let id = thread_slot();
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
