//! Hit and miss counters, and the `cache_info()` view of them.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::memory::MemoryStats;
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

/// One disk hit in this many, on average, records when its entry was last
/// used.
pub(crate) const SAMPLE_EVERY: u64 = 32;

thread_local! {
    /// The thread's xorshift state (never zero), seeded at random: std's
    /// hasher keys differ per process and per thread, so processes that
    /// make the same calls do not sample the same hits (trial M: seeded
    /// from a counter, 20 processes each hitting 300 keys recorded 9).
    static SAMPLE: Cell<u64> = Cell::new({
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8) | 1
    });
}

/// Whether this hit is sampled for last-used times: at random, one in
/// [`SAMPLE_EVERY`]. (Every `SAMPLE_EVERY`-th hit of a thread, as before,
/// sampled the same keys of a loop over a multiple of that many keys and
/// never the others, which the size limit then evicted first though they
/// were read all the time.)
#[inline]
pub(crate) fn sampled() -> bool {
    SAMPLE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x % SAMPLE_EVERY == 0
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

    /// A thread hitting 64 keys in a loop samples every one of them (the
    /// chance that a key is missed in 512 rounds is about 1e-7).
    #[test]
    fn every_key_of_a_loop_is_sampled() {
        let mut seen = [false; 64];
        for _ in 0..512 {
            for seen in &mut seen {
                *seen |= sampled();
            }
        }
        assert!(seen.iter().all(|&seen| seen), "{seen:?}");
    }

    const SAMPLES_OF: &str = "FUNCACHE_TEST_SAMPLES";

    /// Two processes making the same calls sample different hits (with a
    /// seed from a counter, every process sampled the same positions).
    #[test]
    fn processes_sample_different_hits() {
        let samples = || {
            let output = crate::test_child::run_ignored(
                "stats::tests::child_prints_its_samples",
                SAMPLES_OF,
                "1",
            );
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .find_map(|line| Some(line.split_once("SAMPLES ")?.1.to_owned()))
                .unwrap()
        };
        assert_ne!(samples(), samples());
    }

    #[test]
    #[ignore = "run by processes_sample_different_hits"]
    fn child_prints_its_samples() {
        if std::env::var_os(SAMPLES_OF).is_none() {
            return;
        }
        let bits: String = (0..256)
            .map(|_| if sampled() { '1' } else { '0' })
            .collect();
        // Past libtest's capture of `println!`.
        use std::io::Write;
        writeln!(std::io::stdout(), "SAMPLES {bits}").unwrap();
    }
}
