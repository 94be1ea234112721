//! An in-memory memoizing wrapper for any function value or closure.

use std::fmt;
use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use lru::LruCache;

use crate::memory::MemoryStats;
use crate::stats::{CacheInfo, Counters};

/// Default capacity of a [`Memo`], as in `functools.lru_cache`.
pub const DEFAULT_CAPACITY: usize = 128;

/// Wraps a function in a bounded in-memory LRU cache, without touching the
/// function: the factory counterpart of `#[funcache::cache]`, for closures
/// and for functions you do not own. Nothing is written to disk.
///
/// The argument is a single value; pass several as a tuple. The capacity
/// means what `memory = N` on the attribute and `maxsize` of Python's
/// `lru_cache` mean: [`with_capacity(0, ..)`](Self::with_capacity) stores
/// nothing (every call computes), and [`unbounded`](Self::unbounded) is
/// `maxsize=None` (`functools.cache`).
///
/// ```
/// use funcache::Memo;
///
/// let area = Memo::new(|(w, h): (u64, u64)| w * h);
/// assert_eq!(area.call((3, 4)), 12); // computed
/// assert_eq!(area.call((3, 4)), 12); // from memory
/// let info = area.info();
/// assert_eq!((info.hits, info.misses, info.currsize), (1, 1, 1));
/// ```
///
/// The lock is not held while the function runs, so a memoized function may
/// call other memoized functions (or itself, through a shared reference).
pub struct Memo<A, R, F> {
    function: F,
    inner: Mutex<Inner<A, R>>,
}

struct Inner<A, R> {
    /// `None` for a capacity of 0: nothing is stored.
    lru: Option<LruCache<A, R>>,
    stats: MemoryStats,
}

impl<A: Hash + Eq, R, F> fmt::Debug for Memo<A, R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memo")
            .field("info", &self.info())
            .finish_non_exhaustive()
    }
}

impl<A, R, F> Memo<A, R, F>
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Fn(A) -> R,
{
    /// Memoizes `function` with room for [`DEFAULT_CAPACITY`] entries.
    pub fn new(function: F) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, function)
    }

    /// Memoizes `function` with room for the `capacity` most recently
    /// used entries. `0` stores nothing: every call runs `function` and
    /// counts a miss, as `lru_cache(maxsize=0)` does.
    pub fn with_capacity(capacity: usize, function: F) -> Self {
        Self::with_lru(NonZeroUsize::new(capacity).map(LruCache::new), function)
    }

    /// Memoizes `function` with no bound: every entry is kept until
    /// [`clear`](Self::clear), as `lru_cache(maxsize=None)` does.
    /// [`info`](Self::info) reports `maxsize` as `usize::MAX`.
    pub fn unbounded(function: F) -> Self {
        Self::with_lru(Some(LruCache::unbounded()), function)
    }

    fn with_lru(lru: Option<LruCache<A, R>>, function: F) -> Self {
        Memo {
            function,
            inner: Mutex::new(Inner {
                lru,
                stats: MemoryStats::default(),
            }),
        }
    }

    /// Returns the cached result for `args`, computing it on a miss.
    pub fn call(&self, args: A) -> R {
        {
            let mut inner = self.lock();
            let Some(lru) = inner.lru.as_mut() else {
                inner.stats.misses += 1;
                drop(inner);
                return (self.function)(args);
            };
            if let Some(value) = lru.get(&args).cloned() {
                inner.stats.hits += 1;
                return value;
            }
            inner.stats.misses += 1;
        }
        // Not under the lock: the function may call other memoized
        // functions, or this one.
        let value = (self.function)(args.clone());
        if let Some(lru) = self.lock().lru.as_mut() {
            lru.put(args, value.clone());
        }
        value
    }
}

impl<A: Hash + Eq, R, F> Memo<A, R, F> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<A, R>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hits, misses, capacity and size. `maxsize` is the capacity given:
    /// 0 for a memo that stores nothing, `usize::MAX` for an
    /// [`unbounded`](Self::unbounded) one (shown as `maxsize=None`).
    pub fn info(&self) -> CacheInfo {
        let inner = self.lock();
        let lru = inner.lru.as_ref();
        let stats = MemoryStats {
            len: lru.map_or(0, LruCache::len),
            capacity: lru.map_or(0, |lru| lru.cap().get()),
            ..inner.stats
        };
        // Every miss computes: a memo has no other tier.
        CacheInfo {
            misses: stats.misses,
            ..Counters::new().snapshot(stats)
        }
    }

    /// The value cached for `args`, without computing it, counting a hit
    /// or a miss, or making it the most recently used.
    pub fn peek(&self, args: &A) -> Option<R>
    where
        R: Clone,
    {
        self.lock().lru.as_ref()?.peek(args).cloned()
    }

    /// The cached entries, arguments and values, most recently used first:
    /// a snapshot (the memo is not locked while you iterate), which counts
    /// nothing and reorders nothing.
    ///
    /// ```
    /// let memo = funcache::Memo::with_capacity(2, |x: u32| x * x);
    /// memo.call(2);
    /// memo.call(3);
    /// memo.call(2);
    /// assert_eq!(memo.entries().collect::<Vec<_>>(), [(2, 4), (3, 9)]);
    /// ```
    pub fn entries(&self) -> impl Iterator<Item = (A, R)>
    where
        A: Clone,
        R: Clone,
    {
        let snapshot: Vec<(A, R)> = self
            .lock()
            .lru
            .iter()
            .flat_map(LruCache::iter)
            .map(|(args, value)| (args.clone(), value.clone()))
            .collect();
        snapshot.into_iter()
    }

    /// Forgets every entry and resets the counters.
    pub fn clear(&self) {
        let mut inner = self.lock();
        if let Some(lru) = inner.lru.as_mut() {
            lru.clear();
        }
        inner.stats = MemoryStats::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn info_matches_lru_cache_semantics() {
        // Mirrors Python:
        //   f = lru_cache(maxsize=2)(g); f(1); f(2); f(1); f(3); f(2)
        //   f.cache_info() == CacheInfo(hits=1, misses=4, maxsize=2, currsize=2)
        let runs = Cell::new(0);
        let memo = Memo::with_capacity(2, |x: u32| {
            runs.set(runs.get() + 1);
            x * 10
        });
        for x in [1, 2, 1, 3, 2] {
            assert_eq!(memo.call(x), x * 10);
        }
        let info = memo.info();
        assert_eq!(
            (info.hits, info.misses, info.maxsize, info.currsize),
            (1, 4, 2, 2)
        );
        assert_eq!(runs.get(), 4);
        assert_eq!(
            info.to_string(),
            "CacheInfo(hits=1, misses=4, maxsize=2, currsize=2)"
        );
    }

    #[test]
    fn clear_forgets_entries_and_counts() {
        let memo = Memo::new(|s: String| s.len());
        memo.call("abc".into());
        memo.call("abc".into());
        memo.clear();
        assert_eq!(
            memo.info(),
            CacheInfo {
                maxsize: DEFAULT_CAPACITY,
                ..Default::default()
            }
        );
        memo.call("abc".into());
        assert_eq!(memo.info().misses, 1);
    }

    /// Regression: `with_capacity(0)` meant unbounded, while `memory = 0`
    /// on the attribute and Python's `lru_cache(maxsize=0)` store nothing.
    #[test]
    fn capacity_zero_stores_nothing_and_counts_every_call_a_miss() {
        let runs = Cell::new(0);
        let memo = Memo::with_capacity(0, |x: u64| {
            runs.set(runs.get() + 1);
            x + 1
        });
        for x in [1, 1, 2, 1] {
            assert_eq!(memo.call(x), x + 1);
        }
        assert_eq!(runs.get(), 4);
        assert_eq!(memo.peek(&1), None);
        assert_eq!(memo.entries().count(), 0);
        // Python: CacheInfo(hits=0, misses=4, maxsize=0, currsize=0)
        assert_eq!(
            memo.info().to_string(),
            "CacheInfo(hits=0, misses=4, maxsize=0, currsize=0)"
        );
        memo.clear();
        assert_eq!(memo.info().misses, 0);
    }

    #[test]
    fn unbounded_keeps_everything_and_reports_maxsize_none() {
        let memo = Memo::unbounded(|x: u64| x + 1);
        for _pass in 0..2 {
            for x in 0..1000 {
                memo.call(x);
            }
        }
        let info = memo.info();
        assert_eq!((info.hits, info.misses, info.currsize), (1000, 1000, 1000));
        assert_eq!(info.maxsize, usize::MAX);
        assert_eq!(
            info.to_string(),
            "CacheInfo(hits=1000, misses=1000, maxsize=None, currsize=1000)"
        );
    }
}
