//! The cache behind one `#[funcache::cache]` function: its tiers, its
//! counters, and the call protocol the generated code follows.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::build::{self, BuildInput};
use crate::codec::Encoded;
use crate::config::{DirChoice, Switches};
use crate::error::Error;
use crate::flight::Flights;
use crate::memory::MemoryTier;
use crate::stats::{CacheInfo, Counters};
use crate::store::{self, EntryKey, FingerprintRecord, FunctionKey, LoadError, OpenMode, Store};
use crate::warn::warn_once;

mod call;

pub use call::{Call, InMemory, Look, MemoryUse, NoMemory};

/// A function's source fingerprint: the digest of its own canonical tokens
/// and of everything it reaches.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub(crate) [u8; 32]);

impl Fingerprint {
    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// One item of a cached function's source closure, with the hash of its
/// canonical tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    path: &'static str,
    hash: &'static str,
}

impl Dependency {
    #[doc(hidden)]
    pub const fn new(path: &'static str, hash: &'static str) -> Self {
        Dependency { path, hash }
    }

    /// Qualified path of the item, e.g. `crate::clean::trim`.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// Hex blake3 of the item's canonical tokens.
    pub fn hash(&self) -> &'static str {
        self.hash
    }
}

/// What the macro knows about a cached function at compile time.
#[doc(hidden)]
#[derive(Debug)]
pub struct FnMeta {
    pub id: &'static str,
    pub fingerprint: [u8; 32],
    pub memory: usize,
    /// `ttl = "..."` in seconds; 0: stored values never expire.
    pub ttl_secs: u64,
    pub dir: DirChoice,
    pub dependencies: &'static [Dependency],
    pub externals: &'static [&'static str],
    pub unresolved: &'static [&'static str],
    /// What the build decided (`cfg!`, `option_env!`), mixed into
    /// `fingerprint`.
    pub build: &'static [BuildInput],
}

/// Every cache that has used its disk tier in this process.
static USED: Mutex<Vec<&'static FnCache>> = Mutex::new(Vec::new());

/// Writes the usage (hit and miss counts, sampled reads) of every cache
/// used in this process to its directory. Part of [`crate::flush`].
pub(crate) fn flush_usage() {
    let used: Vec<&'static FnCache> = USED.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for cache in used {
        if let Some(disk) = cache.disk.get() {
            cache.write_usage(disk);
        }
    }
}

/// The open disk tier of one function.
struct Disk {
    store: Arc<Store>,
    function: FunctionKey,
}

/// The cache of one `#[funcache::cache]` function, returned by its
/// generated `<name>_cache()` companion.
///
/// ```no_run
/// #[funcache::cache]
/// fn slow_square(x: u64) -> u64 {
///     x * x
/// }
///
/// slow_square(3);
/// slow_square(3);
/// let cache = slow_square_cache();
/// println!("{} {}", cache.id(), cache.info()); // ...::slow_square CacheInfo(hits=1, misses=1, ...)
/// cache.clear()?;
/// # Ok::<(), funcache::Error>(())
/// ```
pub struct FnCache {
    meta: FnMeta,
    /// `meta.fingerprint` with `meta.build` mixed in, when there is any.
    effective: OnceLock<[u8; 32]>,
    memory: OnceLock<Option<MemoryTier>>,
    disk: OnceLock<Disk>,
    fingerprint_recorded: AtomicBool,
    /// Whether this cache is in [`USED`], for [`crate::flush`].
    registered: AtomicBool,
    counters: Counters,
    /// Keys being computed now, for one computation per key.
    flights: Flights,
    /// Hits and misses already handed to the store's journal.
    journaled: [AtomicU64; 2],
}

impl fmt::Debug for FnCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnCache")
            .field("id", &self.meta.id)
            .field("fingerprint", &self.fingerprint())
            .field("info", &self.snapshot())
            .finish()
    }
}

impl FnCache {
    #[doc(hidden)]
    pub const fn new(meta: FnMeta) -> Self {
        FnCache {
            meta,
            effective: OnceLock::new(),
            memory: OnceLock::new(),
            disk: OnceLock::new(),
            fingerprint_recorded: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            counters: Counters::new(),
            flights: Flights::new(),
            journaled: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    /// The function's id: its crate, module path and name, e.g.
    /// `my_app::steps::parse`. Entries are grouped under it on disk.
    pub fn id(&self) -> &'static str {
        self.meta.id
    }

    /// The fingerprint entries are stored under: the source's, with what
    /// the build decided (`cfg`, compile-time environment) mixed in.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(*self.key_fingerprint())
    }

    #[inline]
    fn key_fingerprint(&self) -> &[u8; 32] {
        if self.meta.build.is_empty() {
            return &self.meta.fingerprint;
        }
        self.effective
            .get_or_init(|| build::effective_fingerprint(&self.meta.fingerprint, self.meta.build))
    }

    /// The items the fingerprint covers in every build, sorted by path.
    /// Items that exist only under a `cfg` count when the build compiled
    /// them; they are recorded with the fingerprint in the cache directory
    /// (`funcache-cli explain` shows them).
    pub fn dependencies(&self) -> &'static [Dependency] {
        self.meta.dependencies
    }

    /// External crates the function reaches, as `name@version`.
    pub fn externals(&self) -> &'static [&'static str] {
        self.meta.externals
    }

    /// References the macro could not resolve (with where they are).
    /// Changes to whatever they name do not change the fingerprint.
    pub fn unresolved(&self) -> &'static [&'static str] {
        self.meta.unresolved
    }

    /// The cache directory this function uses.
    pub fn dir(&self) -> PathBuf {
        self.meta.dir.resolve()
    }

    /// Hits, misses and sizes since the process started or the last
    /// [`clear`](Self::clear).
    ///
    /// Exact: once calls have returned, `hits + misses` is the number of
    /// calls (a call whose body panicked counts as a miss).
    pub fn info(&self) -> CacheInfo {
        self.snapshot()
    }

    fn snapshot(&self) -> CacheInfo {
        let memory = self.memory().map(MemoryTier::stats).unwrap_or_default();
        self.counters.snapshot(memory)
    }

    /// Removes this function's entries from every tier (all fingerprints,
    /// not just the current one) and resets its counters.
    ///
    /// # Errors
    ///
    /// When the disk tier is unavailable or fails; the memory tier and the
    /// counters are cleared regardless.
    pub fn clear(&self) -> Result<(), Error> {
        if let Some(tier) = self.memory() {
            tier.clear();
        }
        self.counters.reset();
        for journaled in &self.journaled {
            journaled.store(0, Ordering::Relaxed);
        }
        match self.disk() {
            Some(disk) => disk.store.clear_function(self.meta.id),
            None => {
                let dir = self.dir();
                if dir.exists() {
                    Err(Error::Unavailable { path: dir })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The memory tier; none for `memory = 0` and for functions with a
    /// `ttl` (whose values must be checked for age on every call).
    #[inline]
    fn memory(&self) -> Option<&MemoryTier> {
        self.memory
            .get_or_init(|| {
                let capacity = if self.meta.ttl_secs > 0 {
                    0
                } else {
                    self.meta.memory
                };
                NonZeroUsize::new(capacity).map(MemoryTier::new)
            })
            .as_ref()
    }

    fn disk(&self) -> Option<&Disk> {
        if let Some(disk) = self.disk.get() {
            return Some(disk);
        }
        let dir = self.dir();
        let readonly = Switches::get().readonly;
        if readonly && !dir.exists() {
            // Nothing to serve and nothing may be written: not a failure.
            return None;
        }
        let mode = if readonly {
            OpenMode::ReadOnly
        } else {
            OpenMode::Create
        };
        let store = store::open_shared(&dir, mode).ok()?;
        let function = FunctionKey::of(self.meta.id);
        Some(self.disk.get_or_init(|| Disk { store, function }))
    }

    /// Starts a call. The generated code then adds the arguments to its
    /// key ([`Call::arg`]) and hands it to an adapter, which looks up,
    /// computes on a miss and stores. `refresh` skips the lookup.
    #[doc(hidden)]
    #[inline]
    pub fn call(&'static self, refresh: bool) -> Call {
        Call::new(self, refresh)
    }

    /// Reads an entry by its database key (fingerprint ‖ argument key).
    fn disk_read<R: DeserializeOwned>(&'static self, entry_key: &[u8], look: Look) -> Option<R> {
        let disk = self.disk()?;
        self.register();
        // Only functions with a ttl read the clock on a hit.
        let max_age = (self.meta.ttl_secs > 0).then(|| {
            store::MaxAge::new(
                Duration::from_secs(self.meta.ttl_secs),
                crate::envelope::now_unix_ms(),
            )
        });
        let miss = || {
            if look == Look::First {
                Counters::bump(&self.counters.disk_misses);
            }
        };
        match disk.store.load::<R>(&disk.function, entry_key, max_age) {
            Ok(None) => {
                miss();
                None
            }
            Err(LoadError::Store(error)) => {
                warn_once("read", self.meta.id, || {
                    format!(
                        "funcache: reading the cache of {} failed: {error}",
                        self.meta.id
                    )
                });
                miss();
                None
            }
            Ok(Some(value)) if look == Look::Peek => Some(value),
            Ok(Some(value)) => {
                if self.counters.disk_hit()
                    && disk
                        .store
                        .journal()
                        .touch(self.meta.id, EntryKey::copy_of(entry_key))
                {
                    self.write_usage(disk);
                }
                Some(value)
            }
            Err(error) => {
                warn_once("decode", self.meta.id, || {
                    format!(
                        "funcache: a stored value of {} could not be read back ({error}); \
                         recomputing and overwriting it",
                        self.meta.id
                    )
                });
                miss();
                None
            }
        }
    }

    /// Takes the cross-process lock of one entry (see `store::KeyLock`),
    /// waiting at most `wait` for another process computing it; `None`
    /// without a disk tier, when the wait runs out, or read only.
    pub(crate) fn lock_entry(
        &'static self,
        entry_key: &[u8],
        wait: Duration,
    ) -> Option<store::KeyLock> {
        let disk = self.disk()?;
        disk.store.lock_entry(&disk.function, entry_key, wait)
    }

    fn disk_put<R>(&'static self, entry_key: &[u8], encoded: &Encoded<R>, compute: Duration) {
        let Some(disk) = self.disk() else { return };
        self.register();
        // The store writes the buffered usage in the value's transaction.
        self.hand_over_counts(disk);
        if let Err(error) = disk.store.put(self.meta.id, entry_key, encoded, compute) {
            warn_once("write", self.meta.id, || {
                format!("funcache: result of {} not stored: {error}", self.meta.id)
            });
            return;
        }
        if !self.fingerprint_recorded.swap(true, Ordering::Relaxed) {
            self.record_fingerprint(&disk.store);
        }
    }

    /// Remembers this cache for [`flush_usage`] the first time it uses the
    /// disk tier.
    #[inline]
    fn register(&'static self) {
        if !self.registered.load(Ordering::Relaxed)
            && !self.registered.swap(true, Ordering::Relaxed)
        {
            USED.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self);
        }
    }

    /// Hands the counts since the last batch to the journal.
    fn hand_over_counts(&self, disk: &Disk) {
        let info = self.info();
        let since = |journaled: &AtomicU64, now: u64| {
            now.saturating_sub(journaled.swap(now, Ordering::Relaxed))
        };
        let hits = since(&self.journaled[0], info.hits);
        let misses = since(&self.journaled[1], info.misses);
        disk.store.journal().count(self.meta.id, hits, misses);
    }

    /// Hands the counts since the last batch to the journal and writes it.
    fn write_usage(&self, disk: &Disk) {
        self.hand_over_counts(disk);
        if let Err(error) = disk.store.write_journal() {
            warn_once("journal", self.meta.id, || {
                format!("funcache: usage of {} not recorded: {error}", self.meta.id)
            });
        }
    }

    fn record_fingerprint(&self, store: &Store) {
        let record = FingerprintRecord {
            fn_id: self.meta.id.to_owned(),
            // The items the build compiled, gated ones included, and its
            // answers: what the fingerprint covers, and what the CLI needs
            // to rebuild it from the current source.
            dependencies: {
                let mut all: Vec<(String, String)> = self
                    .meta
                    .dependencies
                    .iter()
                    .map(|d| (d.path.to_owned(), d.hash.to_owned()))
                    .chain(build::answers(self.meta.build))
                    .collect();
                all.sort();
                all
            },
            externals: self.meta.externals.iter().map(|s| s.to_string()).collect(),
            unresolved: self.meta.unresolved.iter().map(|s| s.to_string()).collect(),
            recorded_unix_ms: crate::envelope::now_unix_ms(),
        };
        if let Err(error) = store.record_fingerprint(self.key_fingerprint(), &record) {
            warn_once("record", self.meta.id, || {
                format!(
                    "funcache: dependency list of {} not recorded: {error}",
                    self.meta.id
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A directory that outlives the test (statics reference it).
    fn temp_dir() -> &'static str {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        Box::leak(
            dir.path()
                .join("cache")
                .to_string_lossy()
                .into_owned()
                .into_boxed_str(),
        )
    }

    fn new_cache(
        id: &'static str,
        fingerprint: u8,
        memory: usize,
        dir: &'static str,
    ) -> &'static FnCache {
        Box::leak(Box::new(FnCache::new(FnMeta {
            id,
            fingerprint: [fingerprint; 32],
            build: &[],
            memory,
            ttl_secs: 0,
            dir: DirChoice::Fixed(dir),
            dependencies: &[],
            externals: &[],
            unresolved: &[],
        })))
    }

    /// What `#[funcache::cache]` generates, by hand: x -> x * 10.
    fn call(cache: &'static FnCache, x: u64, runs: &AtomicUsize) -> u64 {
        let mut call = cache.call(false);
        call.arg(&x);
        call.run::<InMemory, u64, u64>(
            || {
                runs.fetch_add(1, Ordering::SeqCst);
                x * 10
            },
            Ok,
            |value| value,
            crate::codec::Equality::partial_eq(),
        )
    }

    #[test]
    fn info_after_a_known_sequence() {
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::sequence", 1, 2, temp_dir());
        for x in [1, 2, 1, 3, 2] {
            assert_eq!(call(cache, x, &runs), x * 10);
        }
        // 1 computes, 2 computes, 1 memory hit, 3 computes (evicts 2),
        // 2 misses memory and hits disk.
        let info = cache.info();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!(
            (info.hits, info.misses, info.maxsize, info.currsize),
            (2, 3, 2, 2)
        );
        assert_eq!((info.memory.hits, info.memory.misses), (1, 4));
        assert_eq!((info.disk.hits, info.disk.misses), (1, 3));
    }

    #[test]
    fn results_persist_for_a_new_cache_with_the_same_fingerprint() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        call(new_cache("t::persist", 7, 16, dir), 5, &runs);
        // A fresh FnCache stands in for the next process: empty memory tier.
        let next = new_cache("t::persist", 7, 16, dir);
        assert_eq!(call(next, 5, &runs), 50);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(next.info().disk.hits, 1);
    }

    #[test]
    fn another_fingerprint_does_not_match() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        call(new_cache("t::edited", 1, 0, dir), 5, &runs);
        call(new_cache("t::edited", 2, 0, dir), 5, &runs);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn memory_zero_keeps_only_disk() {
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::nomem", 1, 0, temp_dir());
        call(cache, 1, &runs);
        call(cache, 1, &runs);
        let info = cache.info();
        assert_eq!(
            (
                info.maxsize,
                info.currsize,
                info.memory.hits,
                info.disk.hits
            ),
            (0, 0, 0, 1)
        );
    }

    #[test]
    fn corrupt_value_is_recomputed_and_overwritten() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        let first = new_cache("t::corrupt", 3, 0, dir);
        call(first, 4, &runs);
        let store = &first.disk().unwrap().store;
        for (key, _) in store::test_support::raw_entries(store, "t::corrupt") {
            store::test_support::put_raw(store, "t::corrupt", &key, b"\x01garbage");
        }
        assert_eq!(
            call(first, 4, &runs),
            40,
            "a corrupt entry is a miss, not a panic"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(call(new_cache("t::corrupt", 3, 0, dir), 4, &runs), 40);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "the recomputed value replaced it"
        );
    }

    #[test]
    fn unusable_directory_still_returns_correct_results() {
        let temp = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let file = temp.path().join("a-file");
        std::fs::write(&file, "not a directory").unwrap();
        let dir = Box::leak(
            file.join("cache")
                .to_string_lossy()
                .into_owned()
                .into_boxed_str(),
        );
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::unusable", 1, 0, dir);
        assert_eq!(call(cache, 2, &runs), 20);
        assert_eq!(call(cache, 2, &runs), 20);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "no tier, so every call computes"
        );
        assert!(
            cache.clear().is_ok(),
            "nothing to clear where nothing exists"
        );
    }

    /// Regression: a second process on a directory got "in use by another
    /// process" and persisted nothing. Two handles on one directory (as two
    /// processes have) share their results.
    #[test]
    fn a_directory_in_use_elsewhere_is_shared() {
        let dir = temp_dir();
        let runs = AtomicUsize::new(0);
        let inspector = crate::CacheDir::open(dir);
        assert!(inspector.is_err(), "nothing there yet");
        call(new_cache("t::shared", 1, 0, dir), 3, &runs);
        let inspector = crate::CacheDir::open(dir).unwrap();
        assert_eq!(inspector.entries("t::shared").unwrap().len(), 1);
        let other = new_cache("t::shared", 1, 0, dir);
        assert_eq!(call(other, 3, &runs), 30);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "a hit for the other");
        assert!(other.clear().is_ok());
        assert!(inspector.entries("t::shared").unwrap().is_empty());
    }

    #[test]
    fn clear_empties_every_tier_and_resets_counters() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        let cache = new_cache("t::clear", 1, 8, dir);
        call(cache, 1, &runs);
        call(cache, 2, &runs);
        cache.clear().unwrap();
        assert_eq!(
            cache.info(),
            CacheInfo {
                maxsize: 8,
                ..CacheInfo::default()
            }
        );
        call(new_cache("t::clear", 1, 8, dir), 1, &runs);
        assert_eq!(runs.load(Ordering::SeqCst), 3, "the disk entry is gone too");
    }

    /// A computation holds its entry's cross-process lock, and releases it
    /// when it panics (others would otherwise wait until the timeout).
    #[test]
    fn a_panicking_computation_releases_its_entry_lock() {
        let cache = new_cache("t::panics", 1, 0, temp_dir());
        let entry_key = {
            let mut key = crate::key::KeyBuilder::with_prefix(cache.key_fingerprint());
            key.arg(&7u64);
            key.seal().unwrap();
            key.entry_key().to_vec()
        };
        let held_while_computing = AtomicBool::new(false);
        let result = std::panic::catch_unwind(|| {
            let mut call = cache.call(false);
            call.arg(&7u64);
            call.run::<NoMemory, u64, u64>(
                || {
                    let free = cache.lock_entry(&entry_key, Duration::ZERO);
                    held_while_computing.store(free.is_none(), Ordering::SeqCst);
                    panic!("the body fails")
                },
                Ok,
                |value| value,
                crate::codec::Equality::partial_eq(),
            )
        });
        assert!(result.is_err());
        assert!(held_while_computing.load(Ordering::SeqCst));
        let lock = cache.lock_entry(&entry_key, Duration::ZERO);
        assert!(lock.is_some(), "released by the unwinding call");
    }

    #[test]
    fn refresh_recomputes_and_overwrites() {
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::refresh", 1, 8, temp_dir());
        call(cache, 1, &runs);
        let mut refresh = cache.call(true);
        refresh.arg(&1u64);
        let value = refresh.run::<InMemory, u64, u64>(
            || 99,
            Ok,
            |value| value,
            crate::codec::Equality::partial_eq(),
        );
        assert_eq!(value, 99, "a refresh never reads");
        assert_eq!(
            call(cache, 1, &runs),
            99,
            "the refreshed value is what is served"
        );
    }

    #[test]
    fn flush_records_the_counts_of_a_run_that_only_hits() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        call(new_cache("t::hits_only", 4, 0, dir), 1, &runs);
        // Stands in for a later process that only hits: its counts stay in
        // memory until a batch or a flush.
        let hitter = new_cache("t::hits_only", 4, 0, dir);
        for _ in 0..3 {
            call(hitter, 1, &runs);
        }
        crate::flush().unwrap();
        let counts = hitter.disk().unwrap().store.usage_counts().unwrap();
        assert_eq!(
            counts["t::hits_only"],
            crate::UsageCounts { hits: 3, misses: 1 }
        );
    }

    #[test]
    fn repeated_disk_hits_are_sampled_into_the_access_log() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        call(new_cache("t::sampled", 5, 0, dir), 9, &runs);
        let reader = new_cache("t::sampled", 5, 0, dir);
        for _ in 0..2 * crate::stats::SAMPLE_EVERY {
            call(reader, 9, &runs);
        }
        crate::flush().unwrap();
        let reads = reader.disk().unwrap().store.last_reads().unwrap();
        assert!(reads.keys().any(|(id, _)| id == "t::sampled"), "{reads:?}");
    }

    #[test]
    fn fingerprint_record_is_stored_with_the_first_entry() {
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::record", 9, 0, temp_dir());
        call(cache, 1, &runs);
        let records = cache.disk().unwrap().store.fingerprint_records().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].0, [9u8; 32]);
        assert_eq!(records[0].1.fn_id, "t::record");
    }
}
