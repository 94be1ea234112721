//! The in-memory tier: a bounded LRU map from argument key to value that
//! holds exactly its capacity's most recently used entries, like
//! `functools.lru_cache`.
//!
//! Below [`SHARD_FROM`] entries (the default capacity included) the tier is
//! one LRU behind one lock: a hit is as cheap as it gets. From there on the
//! entries are split by key over [`SHARDS`] LRUs, so that threads hitting
//! different keys of one function do not queue on one lock (each hit
//! reorders the LRU, so even reads lock); with two threads hitting one
//! function, sharding doubles their combined throughput (BENCHMARKS.md).
//! The shards share one capacity rather than each having a share of it (a
//! share overflows while others sit empty: 1024 keys in 8 shards of 128
//! kept 1011 and hit 499 of them on a second pass). Every use of an entry
//! takes a [`stamp`], so each shard's least recently used entry
//! carries its age, and an insert beyond the capacity evicts the oldest of
//! those — the tier's least recently used entry.

use std::any::Any;
use std::cell::Cell;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use lru::LruCache;

use crate::key::ArgsKey;

/// Capacity from which the tier is sharded.
pub(crate) const SHARD_FROM: usize = 1024;
/// Number of shards of a sharded tier (a power of two: the shard of a key
/// is its hash masked, not divided).
const SHARDS: usize = 8;

/// A value as the memory tier holds it: type-erased, because one static
/// cache serves every instantiation of a generic function (their keys
/// differ by type name, so a downcast never meets the wrong type in
/// practice — and if it did, it would be a miss).
type ErasedValue = Box<dyn Any + Send + Sync>;

/// An entry: its value and when it was last used (in a sharded tier).
struct Slot {
    value: ErasedValue,
    stamp: u64,
}

struct Shard {
    lru: LruCache<ArgsKey, Slot>,
    /// Counted under the lock the lookup holds anyway: no atomics on the
    /// hot path.
    hits: u64,
    misses: u64,
}

/// A bounded, least-recently-used map.
pub(crate) struct MemoryTier {
    shards: Box<[Mutex<Shard>]>,
    capacity: usize,
    /// Entries in all shards (sharded tiers only).
    len: AtomicUsize,
}

/// The latest stamp some thread has published (see [`stamp`]).
static PUBLISHED: AtomicU64 = AtomicU64::new(0);
/// A thread publishes its stamps at least this often.
const PUBLISH_EVERY: u64 = 64;

thread_local! {
    /// This thread's last stamp, and the last one it published.
    static CLOCK: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// When an entry of a sharded tier is used: later than every stamp this
/// thread took before, and than every stamp another thread published. One
/// counter written by every hit would make the two threads of a
/// two-thread program fight over its cache line on every hit; here a
/// thread writes it once in [`PUBLISH_EVERY`] stamps and otherwise only
/// reads it. So the order is exact within a thread (and in a program that
/// calls from one thread), and between threads exact up to their last few
/// dozen uses.
#[inline]
fn stamp() -> u64 {
    CLOCK.with(|clock| {
        let (last, published) = clock.get();
        let next = last.max(PUBLISHED.load(Ordering::Relaxed)) + 1;
        if next - published >= PUBLISH_EVERY {
            PUBLISHED.fetch_max(next, Ordering::Relaxed);
            clock.set((next, next));
        } else {
            clock.set((next, published));
        }
        next
    })
}

/// What the tier holds and has answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MemoryStats {
    pub hits: u64,
    pub misses: u64,
    pub len: usize,
    pub capacity: usize,
}

/// A cheap spread of a key for choosing its shard: its first and last
/// eight bytes (the same bytes for a short key, hence the rotation before
/// combining them), mixed by one Fibonacci multiply whose top bits are
/// taken. The choice only has to spread keys (a poor spread costs
/// contention, never correctness or capacity), and the LRU hashes the key
/// properly anyway; a second full hash here cost a quarter of a hit.
#[inline]
fn spread(key: &[u8]) -> usize {
    let word = |bytes: &[u8]| {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        u64::from_le_bytes(word)
    };
    let tail = &key[key.len().saturating_sub(8)..];
    let mixed = (word(key) ^ word(tail).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> 61) as usize
}

#[inline]
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave the LRU half-updated in a
    // way that matters for a cache; keep using it.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryTier {
    pub(crate) fn new(capacity: NonZeroUsize) -> Self {
        let count = if capacity.get() < SHARD_FROM {
            1
        } else {
            SHARDS
        };
        let shards = (0..count)
            .map(|_| {
                Mutex::new(Shard {
                    // One shard evicts by itself; shards evict together.
                    lru: if count == 1 {
                        LruCache::new(capacity)
                    } else {
                        LruCache::unbounded()
                    },
                    hits: 0,
                    misses: 0,
                })
            })
            .collect();
        MemoryTier {
            shards,
            capacity: capacity.get(),
            len: AtomicUsize::new(0),
        }
    }

    fn sharded(&self) -> bool {
        self.shards.len() > 1
    }

    /// The shard of `key`, locked.
    #[inline]
    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let index = if self.sharded() {
            spread(key) & (SHARDS - 1)
        } else {
            0
        };
        lock(&self.shards[index])
    }

    /// A use [stamp] (sharded tiers; a single LRU keeps its order by
    /// itself).
    #[inline]
    fn stamp(&self) -> u64 {
        if self.sharded() { stamp() } else { 0 }
    }

    /// A clone of the value for `key`, marking it most recently used. A
    /// hit is counted, and a miss unless `count_miss` is false (a second
    /// look of a call whose miss is counted).
    ///
    /// The clone happens under the shard's lock: that costs less than
    /// keeping values behind an `Arc` (two atomic operations per hit), at
    /// the price of serialising concurrent hits on one shard while a large
    /// value is cloned.
    #[inline]
    pub(crate) fn get_cloned<R: Clone + 'static>(&self, key: &[u8], count_miss: bool) -> Option<R> {
        let mut shard = self.shard(key);
        let found = match shard.lru.get_mut(key) {
            Some(slot) => match slot.value.downcast_ref::<R>() {
                Some(value) => {
                    slot.stamp = self.stamp();
                    Some(value.clone())
                }
                None => None,
            },
            None => None,
        };
        match found {
            Some(_) => shard.hits += 1,
            None if count_miss => shard.misses += 1,
            None => {}
        }
        found
    }

    /// A clone of the value for `key`, leaving the order and the counts
    /// as they are.
    pub(crate) fn peek_cloned<R: Clone + 'static>(&self, key: &[u8]) -> Option<R> {
        self.shard(key)
            .lru
            .peek(key)
            .and_then(|slot| slot.value.downcast_ref::<R>())
            .cloned()
    }

    /// Inserts as the most recently used entry, evicting the least
    /// recently used one when the tier is full.
    pub(crate) fn put<R: Send + Sync + 'static>(&self, key: ArgsKey, value: R) {
        let slot = Slot {
            value: Box::new(value),
            stamp: 0,
        };
        if !self.sharded() {
            self.shard(key.as_bytes()).lru.put(key, slot);
            return;
        }
        {
            let mut shard = self.shard(key.as_bytes());
            let slot = Slot {
                stamp: self.stamp(),
                ..slot
            };
            // `len` changes only under the lock of the shard that changes,
            // so it is the sum of the shards' lengths whenever no lock is
            // held.
            if shard.lru.put(key, slot).is_none() {
                self.len.fetch_add(1, Ordering::Relaxed);
            }
        }
        while self.len.load(Ordering::Relaxed) > self.capacity && self.evict_oldest() {}
    }

    /// Removes the entry with the oldest stamp of all shards if the tier
    /// is over its capacity; whether it did. The shards are locked one at
    /// a time; if the chosen entry was used meanwhile, the search starts
    /// again.
    fn evict_oldest(&self) -> bool {
        loop {
            let oldest = self
                .shards
                .iter()
                .enumerate()
                .filter_map(|(index, shard)| {
                    lock(shard)
                        .lru
                        .peek_lru()
                        .map(|(_, slot)| (slot.stamp, index))
                })
                .min();
            let Some((stamp, index)) = oldest else {
                return false;
            };
            let mut shard = lock(&self.shards[index]);
            if shard
                .lru
                .peek_lru()
                .is_some_and(|(_, slot)| slot.stamp == stamp)
            {
                // Claimed under the lock, so that concurrent inserts evict
                // one entry per entry beyond the capacity, not more.
                let claimed = self
                    .len
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |len| {
                        (len > self.capacity).then(|| len - 1)
                    })
                    .is_ok();
                if claimed {
                    shard.lru.pop_lru();
                }
                return claimed;
            }
        }
    }

    pub(crate) fn stats(&self) -> MemoryStats {
        self.shards.iter().fold(
            MemoryStats {
                capacity: self.capacity,
                ..MemoryStats::default()
            },
            |total, shard| {
                let shard = lock(shard);
                MemoryStats {
                    hits: total.hits + shard.hits,
                    misses: total.misses + shard.misses,
                    len: total.len + shard.lru.len(),
                    capacity: total.capacity,
                }
            },
        )
    }

    /// Empties the tier and resets its counts.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = lock(shard);
            let removed = shard.lru.len();
            shard.lru.clear();
            shard.hits = 0;
            shard.misses = 0;
            if self.sharded() {
                self.len.fetch_sub(removed, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> ArgsKey {
        ArgsKey::of_arg(&n)
    }

    fn get(tier: &MemoryTier, n: u8) -> Option<u32> {
        tier.get_cloned::<u32>(key(n).as_bytes(), true)
    }

    #[test]
    fn evicts_least_recently_used() {
        let tier = MemoryTier::new(NonZeroUsize::new(2).unwrap());
        tier.put(key(1), 1u32);
        tier.put(key(2), 2u32);
        assert_eq!(get(&tier, 1), Some(1), "touch 1 so 2 becomes the oldest");
        tier.put(key(3), 3u32);
        assert_eq!(get(&tier, 2), None, "2 was evicted");
        assert_eq!(get(&tier, 1), Some(1));
        assert_eq!(get(&tier, 3), Some(3));
        let stats = tier.stats();
        assert_eq!(
            (stats.hits, stats.misses, stats.len, stats.capacity),
            (3, 1, 2, 2)
        );
    }

    fn put_n(tier: &MemoryTier, n: u32) {
        tier.put(ArgsKey::of_arg(&n), n);
    }

    fn get_n(tier: &MemoryTier, n: u32) -> Option<u32> {
        tier.get_cloned::<u32>(ArgsKey::of_arg(&n).as_bytes(), true)
    }

    /// Regression: each shard had an eighth of the capacity, so shards that
    /// drew more keys evicted while others had room.
    #[test]
    fn a_sharded_tier_keeps_exactly_the_most_recently_used() {
        let capacity = SHARD_FROM + 3;
        let tier = MemoryTier::new(NonZeroUsize::new(capacity).unwrap());
        assert_eq!(tier.shards.len(), SHARDS);
        let capacity = capacity as u32;
        for n in 0..4 * capacity {
            put_n(&tier, n);
        }
        let stats = tier.stats();
        assert_eq!(
            (stats.len, stats.capacity),
            (capacity as usize, capacity as usize)
        );
        // Exactly the last `capacity` keys are there.
        assert!((3 * capacity..4 * capacity).all(|n| get_n(&tier, n) == Some(n)));
        assert_eq!(get_n(&tier, 3 * capacity - 1), None);
        // Touch the oldest; the next insert evicts the one after it.
        assert_eq!(get_n(&tier, 3 * capacity), Some(3 * capacity));
        put_n(&tier, 9 * capacity);
        assert_eq!(get_n(&tier, 3 * capacity), Some(3 * capacity));
        assert_eq!(get_n(&tier, 3 * capacity + 1), None);
        assert_eq!(tier.stats().len, capacity as usize);
        tier.clear();
        put_n(&tier, 1);
        assert_eq!(tier.stats().len, 1);
        assert_eq!(
            MemoryTier::new(NonZeroUsize::new(SHARD_FROM - 1).unwrap())
                .shards
                .len(),
            1
        );
    }

    /// Concurrent inserts (and a clear among them) never leave the tier
    /// over its capacity or its count out of step with its entries.
    #[test]
    fn concurrent_inserts_keep_the_bound_exact() {
        let capacity = SHARD_FROM;
        let tier = MemoryTier::new(NonZeroUsize::new(capacity).unwrap());
        std::thread::scope(|scope| {
            for t in 0..4u32 {
                let tier = &tier;
                scope.spawn(move || {
                    for n in 0..3000 {
                        put_n(tier, t * 10_000 + n);
                        if t == 0 && n == 1500 {
                            tier.clear();
                        }
                    }
                });
            }
        });
        let stats = tier.stats();
        assert_eq!(stats.len, tier.len.load(Ordering::Relaxed));
        assert_eq!(stats.len, capacity, "{stats:?}");
    }

    #[test]
    fn peeking_neither_counts_nor_reorders() {
        let tier = MemoryTier::new(NonZeroUsize::new(2).unwrap());
        tier.put(key(1), 1u32);
        tier.put(key(2), 2u32);
        assert_eq!(tier.peek_cloned::<u32>(key(1).as_bytes()), Some(1));
        tier.put(key(3), 3u32);
        assert_eq!(get(&tier, 1), None, "1 stayed the oldest");
        assert_eq!((tier.stats().hits, tier.stats().misses), (0, 1));
    }

    #[test]
    fn keys_spread_over_all_shards() {
        let mut used = [0usize; SHARDS];
        for n in 0..=255u8 {
            used[spread(key(n).as_bytes()) & (SHARDS - 1)] += 1;
        }
        assert!(used.iter().all(|&count| count > 16), "{used:?}");
    }

    #[test]
    fn a_value_of_another_type_is_a_miss() {
        let tier = MemoryTier::new(NonZeroUsize::new(2).unwrap());
        tier.put(key(1), 1u32);
        assert_eq!(tier.get_cloned::<u64>(key(1).as_bytes(), true), None);
    }
}
