//! A small id for each live thread, to index arrays of per-thread slots
//! (the striped counters, a store's kept read transactions).
//!
//! Ids are handed out once and given back when their thread ends, through
//! a mutex, which orders the last owner's writes to its slots before the
//! next owner's reads. So an id's owner is unique while it lives, and ids
//! stay as few as the threads alive at once: an array of `n` slots gives
//! the first `n - 1` threads one each, and the rest share the last.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Ids given back by threads that ended.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// The next id never handed out.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// This thread's id, given back when the thread ends.
struct Owned(usize);

impl Owned {
    fn take() -> Owned {
        if let Some(id) = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop() {
            return Owned(id);
        }
        Owned(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        FREE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.0);
    }
}

thread_local! {
    static ID: Owned = Owned::take();
}

/// This thread's slot in an array of `slots` (at least one): its own
/// below the last, else the last, which the threads beyond share (as does
/// a thread whose storage is being torn down).
#[inline]
pub(crate) fn slot(slots: usize) -> usize {
    let last = slots - 1;
    ID.try_with(|id| id.0.min(last)).unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads alive at once have distinct ids (other tests' threads
    /// come and go meanwhile, so which ids is not asserted), and a slot is
    /// always within its array.
    #[test]
    fn live_threads_have_distinct_ids() {
        let threads = 8;
        let barrier = std::sync::Barrier::new(threads);
        let ids: Vec<usize> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let id = slot(usize::MAX);
                        // Every thread holds its id until all have one.
                        barrier.wait();
                        (id, slot(4))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    let (id, small) = handle.join().unwrap();
                    assert!(small <= 3);
                    id
                })
                .collect()
        });
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), threads, "{ids:?}");
    }
}
