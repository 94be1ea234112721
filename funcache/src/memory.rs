//! The in-memory tier: a bounded LRU map from argument key to value.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use lru::LruCache;

use crate::key::ArgsKey;

/// A value as the memory tier holds it: type-erased, because one static
/// cache serves every instantiation of a generic function (their keys
/// differ by type name, so a downcast never meets the wrong type in
/// practice — and if it did, it would be a miss).
type ErasedValue = Box<dyn Any + Send + Sync>;

struct Inner {
    lru: LruCache<ArgsKey, ErasedValue>,
    /// Counted under the lock the lookup holds anyway: no atomics on the
    /// hot path.
    hits: u64,
    misses: u64,
}

/// A bounded, least-recently-used map.
pub(crate) struct MemoryTier {
    inner: Mutex<Inner>,
}

/// What the tier holds and has answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MemoryStats {
    pub hits: u64,
    pub misses: u64,
    pub len: usize,
    pub capacity: usize,
}

impl MemoryTier {
    pub(crate) fn new(capacity: NonZeroUsize) -> Self {
        MemoryTier {
            inner: Mutex::new(Inner {
                lru: LruCache::new(capacity),
                hits: 0,
                misses: 0,
            }),
        }
    }

    #[inline]
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the LRU half-updated
        // in a way that matters for a cache; keep using it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A clone of the value for `key`, marking it most recently used.
    ///
    /// The clone happens under the lock: that costs less than keeping
    /// values behind an `Arc` (two atomic operations per hit), at the price
    /// of serialising concurrent hits on the same function while a large
    /// value is cloned.
    #[inline]
    pub(crate) fn get_cloned<R: Clone + 'static>(&self, key: &[u8]) -> Option<R> {
        let mut inner = self.lock();
        let found = inner
            .lru
            .get(key)
            .and_then(|value| value.downcast_ref::<R>())
            .cloned();
        match found {
            Some(_) => inner.hits += 1,
            None => inner.misses += 1,
        }
        found
    }

    /// Inserts, evicting the least recently used entry when full.
    pub(crate) fn put<R: Send + Sync + 'static>(&self, key: ArgsKey, value: R) {
        self.lock().lru.put(key, Box::new(value));
    }

    pub(crate) fn stats(&self) -> MemoryStats {
        let inner = self.lock();
        MemoryStats {
            hits: inner.hits,
            misses: inner.misses,
            len: inner.lru.len(),
            capacity: inner.lru.cap().get(),
        }
    }

    /// Empties the tier and resets its counts.
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.lru.clear();
        inner.hits = 0;
        inner.misses = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_bytes(n: u8) -> &'static [u8] {
        Box::leak(Box::new(key(n))).as_bytes()
    }

    fn key(n: u8) -> ArgsKey {
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg(&n);
        builder.finish().unwrap()
    }

    #[test]
    fn evicts_least_recently_used() {
        let tier = MemoryTier::new(NonZeroUsize::new(2).unwrap());
        tier.put(key(1), 1u32);
        tier.put(key(2), 2u32);
        assert_eq!(
            tier.get_cloned::<u32>(key_bytes(1)),
            Some(1),
            "touch 1 so 2 becomes the oldest"
        );
        tier.put(key(3), 3u32);
        assert_eq!(tier.get_cloned::<u32>(key_bytes(2)), None, "2 was evicted");
        assert_eq!(tier.get_cloned::<u32>(key_bytes(1)), Some(1));
        assert_eq!(tier.get_cloned::<u32>(key_bytes(3)), Some(3));
        let stats = tier.stats();
        assert_eq!(
            (stats.hits, stats.misses, stats.len, stats.capacity),
            (3, 1, 2, 2)
        );
    }

    #[test]
    fn a_value_of_another_type_is_a_miss() {
        let tier = MemoryTier::new(NonZeroUsize::new(2).unwrap());
        tier.put(key(1), 1u32);
        assert_eq!(tier.get_cloned::<u64>(key_bytes(1)), None);
    }
}
