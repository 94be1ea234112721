//! The in-memory tier: a bounded LRU map from argument key to value.

use std::any::Any;
use std::hash::{BuildHasherDefault, Hasher};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;

use crate::key::ArgsKey;

/// A value as the memory tier holds it: type-erased, because one static
/// cache serves every instantiation of a generic function (their keys
/// differ by type name, so a downcast never meets the wrong type in
/// practice — and if it did, it would be a miss).
pub(crate) type ErasedValue = Arc<dyn Any + Send + Sync>;

/// Argument keys are already uniformly distributed blake3 output: hashing
/// them again would only cost time. This hasher takes their first 8 bytes.
#[derive(Default)]
pub(crate) struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(word);
    }
}

type Lru = LruCache<ArgsKey, ErasedValue, BuildHasherDefault<PrehashedHasher>>;

/// A bounded, least-recently-used map.
pub(crate) struct MemoryTier {
    lru: Mutex<Lru>,
}

impl MemoryTier {
    pub(crate) fn new(capacity: NonZeroUsize) -> Self {
        MemoryTier {
            lru: Mutex::new(LruCache::with_hasher(capacity, Default::default())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        // A panic while holding the lock cannot leave the LRU half-updated
        // in a way that matters for a cache; keep using it.
        self.lru.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value for `key`, marking it most recently used.
    #[inline]
    pub(crate) fn get(&self, key: &ArgsKey) -> Option<ErasedValue> {
        self.lock().get(key).cloned()
    }

    /// Inserts, evicting the least recently used entry when full.
    pub(crate) fn put(&self, key: ArgsKey, value: ErasedValue) {
        self.lock().put(key, value);
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.lock().cap().get()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> ArgsKey {
        ArgsKey([n; 32])
    }

    #[test]
    fn evicts_least_recently_used() {
        let tier = MemoryTier::new(NonZeroUsize::new(2).unwrap());
        tier.put(key(1), Arc::new(1u32));
        tier.put(key(2), Arc::new(2u32));
        assert!(
            tier.get(&key(1)).is_some(),
            "touch 1 so 2 becomes the oldest"
        );
        tier.put(key(3), Arc::new(3u32));
        assert!(tier.get(&key(2)).is_none(), "2 was evicted");
        assert!(tier.get(&key(1)).is_some());
        assert!(tier.get(&key(3)).is_some());
        assert_eq!(tier.len(), 2);
        assert_eq!(tier.capacity(), 2);
    }
}
