//! The in-memory tier: a bounded LRU map from argument key to value.
//!
//! Below [`SHARD_FROM`] entries (the default capacity included) the tier is
//! one exact LRU: it evicts in exactly `functools.lru_cache`'s order and a
//! hit is as cheap as it gets (one lock). From there on it is split by key
//! into [`SHARDS`] exact LRUs, each with its share of the capacity, so that
//! threads hitting different keys of one function do not queue on one lock
//! (each hit reorders the LRU, so even reads lock). Choosing the shard costs
//! a few nanoseconds per hit; with two threads hitting one function,
//! sharding doubles their combined throughput (see BENCHMARKS.md).

use std::any::Any;
use std::num::NonZeroUsize;
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

struct Shard {
    lru: LruCache<ArgsKey, ErasedValue>,
    /// Counted under the lock the lookup holds anyway: no atomics on the
    /// hot path.
    hits: u64,
    misses: u64,
}

/// A bounded, least-recently-used map.
pub(crate) struct MemoryTier {
    shards: Box<[Mutex<Shard>]>,
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
/// contention, never correctness), and the LRU hashes the key properly
/// anyway; a second full hash here cost a quarter of a hit.
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
        let total = capacity.get();
        let count = if total < SHARD_FROM { 1 } else { SHARDS };
        let shards = (0..count)
            .map(|i| {
                // The capacity split as evenly as it goes, remainder first.
                let share = total / count + usize::from(i < total % count);
                let share = NonZeroUsize::new(share).unwrap_or(NonZeroUsize::MIN);
                Mutex::new(Shard {
                    lru: LruCache::new(share),
                    hits: 0,
                    misses: 0,
                })
            })
            .collect();
        MemoryTier { shards }
    }

    /// The shard of `key`, locked.
    #[inline]
    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let index = if self.shards.len() == 1 {
            0
        } else {
            spread(key) & (SHARDS - 1)
        };
        lock(&self.shards[index])
    }

    /// A clone of the value for `key`, marking it most recently used.
    ///
    /// The clone happens under the shard's lock: that costs less than
    /// keeping values behind an `Arc` (two atomic operations per hit), at
    /// the price of serialising concurrent hits on one shard while a large
    /// value is cloned.
    #[inline]
    pub(crate) fn get_cloned<R: Clone + 'static>(&self, key: &[u8]) -> Option<R> {
        let mut shard = self.shard(key);
        let found = shard
            .lru
            .get(key)
            .and_then(|value| value.downcast_ref::<R>())
            .cloned();
        match found {
            Some(_) => shard.hits += 1,
            None => shard.misses += 1,
        }
        found
    }

    /// Inserts, evicting its shard's least recently used entry when full.
    pub(crate) fn put<R: Send + Sync + 'static>(&self, key: ArgsKey, value: R) {
        self.shard(key.as_bytes()).lru.put(key, Box::new(value));
    }

    pub(crate) fn stats(&self) -> MemoryStats {
        self.shards
            .iter()
            .fold(MemoryStats::default(), |total, shard| {
                let shard = lock(shard);
                MemoryStats {
                    hits: total.hits + shard.hits,
                    misses: total.misses + shard.misses,
                    len: total.len + shard.lru.len(),
                    capacity: total.capacity + shard.lru.cap().get(),
                }
            })
    }

    /// Empties the tier and resets its counts.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.lru.clear();
            shard.hits = 0;
            shard.misses = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> ArgsKey {
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg(&n);
        builder.finish().unwrap()
    }

    fn get(tier: &MemoryTier, n: u8) -> Option<u32> {
        tier.get_cloned::<u32>(key(n).as_bytes())
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

    #[test]
    fn large_tiers_are_sharded_with_the_full_capacity() {
        let tier = MemoryTier::new(NonZeroUsize::new(SHARD_FROM + 3).unwrap());
        assert_eq!(tier.shards.len(), SHARDS);
        assert_eq!(tier.stats().capacity, SHARD_FROM + 3);
        for n in 0..4000u32 {
            let mut builder = crate::key::KeyBuilder::new();
            builder.arg(&n);
            tier.put(builder.finish().unwrap(), n);
        }
        let stats = tier.stats();
        assert!(
            stats.len <= SHARD_FROM + 3 && stats.len > SHARD_FROM * 9 / 10,
            "{stats:?}"
        );
        assert_eq!(
            MemoryTier::new(NonZeroUsize::new(SHARD_FROM - 1).unwrap())
                .shards
                .len(),
            1
        );
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
        assert_eq!(tier.get_cloned::<u64>(key(1).as_bytes()), None);
    }
}
