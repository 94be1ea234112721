//! Hit and miss counters, and the `cache_info()` view of them.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::memory::MemoryStats;
use crate::once_per::OncePer;
use crate::striped::StripedCount;

/// The tiers behind the memory tier, in the order a lookup reads them:
/// what their counters and warnings are named after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TierName {
    /// The local store (LMDB) in the cache directory.
    Disk,
    /// A store shared between machines (Redis).
    Remote,
}

impl TierName {
    const COUNT: usize = 2;

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for TierName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TierName::Disk => "disk",
            TierName::Remote => "remote",
        })
    }
}

/// Hits and misses of one tier. Hits are counted on every hit of the
/// tier, so without a locked instruction (see [`StripedCount`]).
#[derive(Debug, Default)]
struct TierCounters {
    hits: StripedCount,
    misses: AtomicU64,
}

impl TierCounters {
    const fn new() -> Self {
        TierCounters {
            hits: StripedCount::new(),
            misses: AtomicU64::new(0),
        }
    }
}

/// Counters of the tiers behind memory and of computations, updated with
/// relaxed atomics: they are statistics, not synchronisation. (The memory
/// tier counts its own hits and misses under its lock.)
#[derive(Debug, Default)]
pub(crate) struct Counters {
    tiers: [TierCounters; TierName::COUNT],
    pub computed: AtomicU64,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            tiers: [TierCounters::new(), TierCounters::new()],
            computed: AtomicU64::new(0),
        }
    }

    #[inline]
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a hit of `tier`, exactly.
    #[inline]
    pub(crate) fn tier_hit(&self, tier: TierName) {
        self.tiers[tier.index()].hits.add_one();
    }

    /// Counts a lookup that fell through `tier`.
    #[inline]
    pub(crate) fn tier_miss(&self, tier: TierName) {
        Counters::bump(&self.tiers[tier.index()].misses);
    }

    pub(crate) fn reset(&self) {
        for tier in &self.tiers {
            tier.hits.reset();
        }
        let misses = self.tiers.iter().map(|tier| &tier.misses);
        for counter in misses.chain([&self.computed]) {
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
        let disk = &self.tiers[TierName::Disk.index()];
        let disk = TierInfo {
            hits: disk.hits.get(),
            misses: load(&disk.misses),
        };
        let remote = &self.tiers[TierName::Remote.index()];
        let remote = TierInfo {
            hits: remote.hits.get(),
            misses: load(&remote.misses),
        };
        CacheInfo {
            hits: memory.hits + disk.hits + remote.hits,
            misses: load(&self.computed),
            maxsize: tier.capacity,
            currsize: tier.len,
            memory,
            disk,
            remote,
        }
    }
}

/// Slots of each thread's table of recently recorded reads.
const RECENT_SLOTS: usize = 1024;

/// The recording window: a thread records the last use of each entry it
/// reads once per window. Advanced by [`new_window`].
static WINDOW: AtomicU64 = AtomicU64::new(0);
/// When [`WINDOW`] may advance: the shortest window is a second, as the
/// access log records seconds.
static WINDOW_ENDS: OncePer = OncePer::new(std::time::Duration::from_secs(1));

struct Recent {
    window: u64,
    /// Hashes of the keys recorded in this window (0: none), by hash.
    slots: [u64; RECENT_SLOTS],
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent {
            window: 0,
            slots: [0; RECENT_SLOTS],
        })
    };
}

/// Starts a new recording window if the current one is at least a second
/// old (called when a directory's usage batch is taken), so that entries
/// read all the time keep a recent last use.
pub(crate) fn new_window() {
    if WINDOW_ENDS.due() {
        WINDOW.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether this hit of the entry `key` records its last use: the thread's
/// first read of it in the current window. A table of key hashes (two
/// places per hash) remembers what was recorded; a collision only records
/// again.
///
/// Every entry read is recorded (a key read once, by a short test process,
/// included), and one read in a loop once per window, not at every hit:
/// the batch of reads stays small. (Sampling one hit in 32, as before,
/// missed most entries read a few times, and by stride or by a seed all
/// processes shared, the same entries every time; the size limit and
/// `purge --unused-for` then took them for unused.)
#[inline]
pub(crate) fn first_read_in_window(key: &[u8]) -> bool {
    let hash = xxhash_rust::xxh3::xxh3_64(key) | 1;
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        let window = WINDOW.load(Ordering::Relaxed);
        if recent.window != window {
            recent.window = window;
            recent.slots = [0; RECENT_SLOTS];
        }
        let first = (hash % RECENT_SLOTS as u64) as usize;
        let second = ((hash >> 32) % RECENT_SLOTS as u64) as usize;
        if recent.slots[first] == hash || recent.slots[second] == hash {
            return false;
        }
        let place = if recent.slots[first] == 0 {
            first
        } else {
            second
        };
        recent.slots[place] = hash;
        true
    })
}

/// Statistics of one cache since the process started (or since
/// [`clear`](crate::FnCache::clear)), shaped like Python's
/// `functools.lru_cache().cache_info()` and split by tier. Once a remote
/// tier has been looked up, `Display` adds its counts:
/// `CacheInfo(hits=3, misses=1, maxsize=128, currsize=2, remote_hits=1,
/// remote_misses=1)`.
///
/// ```
/// # let info = funcache::CacheInfo::default();
/// println!("{info}"); // CacheInfo(hits=0, misses=0, maxsize=0, currsize=0)
/// assert_eq!(info.hits, info.memory.hits + info.disk.hits + info.remote.hits);
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
    /// The remote tier ([`Remote`](crate::Remote)); all zero without one.
    pub remote: TierInfo,
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
        write!(f, ", currsize={}", self.currsize)?;
        // Only a configured remote is ever looked up.
        if self.remote != TierInfo::default() {
            write!(
                f,
                ", remote_hits={}, remote_misses={}",
                self.remote.hits, self.remote.misses
            )?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of a loop is recorded at its first read, and reads again
    /// in the same window mostly are not (a hash collision records again);
    /// a new window records them anew.
    #[test]
    fn each_key_is_recorded_once_per_window() {
        let keys: Vec<[u8; 8]> = (0..64u64).map(u64::to_le_bytes).collect();
        // Other tests may advance the window meanwhile: count the rounds
        // that stayed in one.
        let window = WINDOW.load(Ordering::Relaxed);
        assert!(keys.iter().all(|key| first_read_in_window(key)));
        let again: usize = (0..9)
            .map(|_| {
                keys.iter()
                    .filter(|key| first_read_in_window(&key[..]))
                    .count()
            })
            .sum();
        if WINDOW.load(Ordering::Relaxed) == window {
            assert!(again < 16, "{again} records in 9 more rounds");
        }
        WINDOW.fetch_add(1, Ordering::Relaxed);
        assert!(keys.iter().all(|key| first_read_in_window(key)));
    }
}
