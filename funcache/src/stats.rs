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

    /// Counts a disk hit, exactly (one relaxed atomic add: a few
    /// nanoseconds against the hundreds a disk hit costs). Returns whether
    /// this hit is sampled for last-used times: one disk hit in
    /// [`SAMPLE_EVERY`] per thread.
    #[inline]
    pub(crate) fn disk_hit(&self) -> bool {
        Counters::bump(&self.disk_hits);
        SAMPLE.with(|count| {
            let n = count.get();
            count.set(n.wrapping_add(1));
            n % SAMPLE_EVERY == 0
        })
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

/// One disk hit in this many (per thread) records when its entry was last
/// used.
pub(crate) const SAMPLE_EVERY: u32 = 32;

thread_local! {
    static SAMPLE: Cell<u32> = const { Cell::new(0) };
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
    /// Capacity of the in-memory tier in entries: 0 when it stores nothing
    /// (`memory = 0`, `Memo::with_capacity(0, ..)`), `usize::MAX` when it is
    /// unbounded ([`Memo::unbounded`](crate::Memo::unbounded)), which
    /// `Display` shows as `maxsize=None`, as Python does.
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
            "CacheInfo(hits={}, misses={}, maxsize=",
            self.hits, self.misses
        )?;
        match self.maxsize {
            usize::MAX => f.write_str("None")?,
            maxsize => write!(f, "{maxsize}")?,
        }
        write!(f, ", currsize={})", self.currsize)
    }
}
