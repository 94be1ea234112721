//! Hit and miss counters, and the `cache_info()` view of them.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::memory::MemoryStats;

/// Counters of the disk tier and of computations, updated with relaxed
/// atomics: they are statistics, not synchronisation. (The memory tier
/// counts its own hits and misses under its lock.)
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub disk_hits: AtomicU64,
    pub disk_misses: AtomicU64,
    pub computed: AtomicU64,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            disk_hits: AtomicU64::new(0),
            disk_misses: AtomicU64::new(0),
            computed: AtomicU64::new(0),
        }
    }

    #[inline]
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a disk hit. An atomic add costs a good part of a disk hit, so
    /// hits are tallied per thread and added to the shared counter every
    /// [`PUBLISH_EVERY`] hits, when the thread hits another function, when
    /// the thread ends, and before this thread reads the counters. A count
    /// read from another thread may therefore lag by fewer than
    /// [`PUBLISH_EVERY`] hits per thread still running.
    ///
    /// Returns whether this hit published the tally: one disk hit in
    /// [`PUBLISH_EVERY`] (per thread and function), which is what the caller
    /// samples for last-used times.
    #[inline]
    pub(crate) fn disk_hit(&'static self) -> bool {
        PENDING.with(|pending| pending.add(self))
    }

    /// Adds this thread's pending disk hits of these counters.
    pub(crate) fn publish_pending(&self) {
        PENDING.with(|pending| pending.publish_if(self));
    }

    pub(crate) fn reset(&self) {
        for counter in [&self.disk_hits, &self.disk_misses, &self.computed] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// The counters, combined with the memory tier's own (all zero when
    /// there is no memory tier).
    pub(crate) fn snapshot(&self, tier: MemoryStats) -> CacheInfo {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let memory = TierInfo {
            hits: tier.hits,
            misses: tier.misses,
        };
        let disk = TierInfo {
            hits: load(&self.disk_hits),
            misses: load(&self.disk_misses),
        };
        CacheInfo {
            hits: memory.hits + disk.hits,
            misses: load(&self.computed),
            maxsize: tier.capacity,
            currsize: tier.len,
            memory,
            disk,
        }
    }
}

/// Disk hits are published from the thread-local tally at least this often.
pub(crate) const PUBLISH_EVERY: u32 = 32;

thread_local! {
    static PENDING: Pending = const { Pending(Cell::new((None, 0))) };
}

/// This thread's disk hits not yet added to their counters: the counters of
/// the function it hit last, and how many.
struct Pending(Cell<(Option<&'static Counters>, u32)>);

impl Pending {
    /// Adds a hit; whether it published the tally.
    #[inline]
    fn add(&self, counters: &'static Counters) -> bool {
        match self.0.get() {
            (Some(owner), count) if std::ptr::eq(owner, counters) => {
                if count + 1 >= PUBLISH_EVERY {
                    owner
                        .disk_hits
                        .fetch_add(u64::from(count + 1), Ordering::Relaxed);
                    self.0.set((Some(owner), 0));
                    true
                } else {
                    self.0.set((Some(owner), count + 1));
                    false
                }
            }
            (previous, count) => {
                if let Some(previous) = previous {
                    previous
                        .disk_hits
                        .fetch_add(u64::from(count), Ordering::Relaxed);
                }
                self.0.set((Some(counters), 1));
                true
            }
        }
    }

    fn publish_if(&self, counters: &Counters) {
        if let (Some(owner), count) = self.0.get()
            && std::ptr::eq(owner, counters)
        {
            owner
                .disk_hits
                .fetch_add(u64::from(count), Ordering::Relaxed);
            self.0.set((Some(owner), 0));
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let (Some(owner), count) = self.0.get() {
            owner
                .disk_hits
                .fetch_add(u64::from(count), Ordering::Relaxed);
        }
    }
}

/// Statistics of one cache since the process started (or since
/// [`clear`](crate::FnCache::clear)), shaped like Python's
/// `functools.lru_cache().cache_info()` and split by tier.
///
/// ```
/// # let info = funcache::CacheInfo::default();
/// println!("{info}"); // CacheInfo(hits=0, misses=0, maxsize=0, currsize=0)
/// assert_eq!(info.hits, info.memory.hits + info.disk.hits);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheInfo {
    /// Calls answered from any tier.
    pub hits: u64,
    /// Calls that ran the function body.
    pub misses: u64,
    /// Capacity of the in-memory tier in entries (0: the tier is off).
    pub maxsize: usize,
    /// Entries now held in the in-memory tier.
    pub currsize: usize,
    /// The in-memory LRU tier.
    pub memory: TierInfo,
    /// The local disk tier.
    pub disk: TierInfo,
}

/// Lookups answered and not answered by one tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TierInfo {
    /// Lookups this tier answered.
    pub hits: u64,
    /// Lookups that reached this tier and fell through it.
    pub misses: u64,
}

impl fmt::Display for CacheInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CacheInfo(hits={}, misses={}, maxsize={}, currsize={})",
            self.hits, self.misses, self.maxsize, self.currsize
        )
    }
}
