//! The cache behind one `#[funcache::cache]` function: its tiers, its
//! counters, and the call protocol the generated code follows.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::build::{self, BuildInput};
use crate::config::{DirChoice, Switches};
use crate::error::Error;
pub use crate::fingerprint::Fingerprint;
use crate::flight::Flights;
use crate::memory::MemoryTier;
use crate::stats::{CacheInfo, Counters};
use crate::store::{self, FingerprintRecord, UsageCounts};
use crate::tier::{Chain, DiskTier, FunctionFacts, Tier, disk};

mod backoff;
mod call;
mod covered_types;

pub use call::{Call, InMemory, MemoryUse, NoMemory};

/// One item of a cached function's source closure, with the hash of its
/// canonical tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    path: &'static str,
    hash: &'static str,
}

impl Dependency {
    /// The dependencies the macro packed into one string (see
    /// [`FnMeta::dependencies`] and [`crate::packed`]); stops at anything
    /// it cannot read.
    pub(crate) fn unpack(packed: &'static str) -> Vec<Dependency> {
        crate::packed::pairs(packed)
            .map(|(path, hash)| Dependency { path, hash })
            .collect()
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
    /// The closure: each item's path and hash as `<length>:<path>`
    /// `<length>:<hash>`, in one string. One literal costs the compiler
    /// almost nothing; an array of ~1,000 constant `Dependency` values
    /// (a large crate's closure) took it ~0.15 s of every rebuild that
    /// changed one (type checking, const evaluation, code generation).
    pub dependencies: &'static str,
    pub externals: &'static [&'static str],
    pub unresolved: &'static [&'static str],
    /// What the build decided (`cfg!`, `option_env!`), mixed into
    /// `fingerprint`.
    pub build: &'static [BuildInput],
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
    /// `meta.dependencies` unpacked, when first asked.
    dependencies: OnceLock<&'static [Dependency]>,
    /// `meta.fingerprint` with `meta.build` mixed in, when there is any.
    effective: OnceLock<[u8; 32]>,
    memory: OnceLock<Option<MemoryTier>>,
    disk: OnceLock<DiskTier>,
    /// Set when the directory did not open: calls skip it for a while.
    disk_backoff: backoff::OpenBackoff,
    /// Type names a generic function's calls found covered by its
    /// fingerprint.
    covered_types: covered_types::CoveredTypes,
    /// The remote tier, decided on first use (`None`: no remote).
    #[cfg(feature = "redis")]
    remote: OnceLock<Option<crate::remote::RemoteTier>>,
    counters: Counters,
    /// Keys being computed now, for one computation per key.
    flights: Flights,
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
            dependencies: OnceLock::new(),
            effective: OnceLock::new(),
            memory: OnceLock::new(),
            disk: OnceLock::new(),
            disk_backoff: backoff::OpenBackoff::new(),
            covered_types: covered_types::CoveredTypes::new(),
            #[cfg(feature = "redis")]
            remote: OnceLock::new(),
            counters: Counters::new(),
            flights: Flights::new(),
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
        // Once per cached function and process, like the static it is in.
        self.dependencies.get_or_init(|| {
            Box::leak(Dependency::unpack(self.meta.dependencies).into_boxed_slice())
        })
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

    /// Removes this function's entries from memory and the cache directory
    /// (all fingerprints, not just the current one) and resets its
    /// counters. A remote tier is left as it is: other machines share it
    /// (`funcache-cli purge --remote --fn ID` removes them there).
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
        if let Some(disk) = self.disk.get() {
            disk.reset_usage();
        }
        match self
            .disk
            .get()
            .map(|disk| Arc::clone(&disk.store))
            .or_else(|| disk::open_store(&self.dir()))
        {
            Some(store) => store.clear_function(self.meta.id),
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

    /// The disk tier, opened on first use.
    #[inline(always)]
    fn disk(&'static self) -> Option<&'static DiskTier> {
        match self.disk.get() {
            Some(disk) => Some(disk),
            None => self.open_disk(),
        }
    }

    /// Opens the disk tier (or waits out a failed attempt): the first
    /// call's part of [`disk`](Self::disk), kept out of the hit path.
    #[cold]
    #[inline(never)]
    fn open_disk(&'static self) -> Option<&'static DiskTier> {
        if self.disk_backoff.waiting() {
            return None;
        }
        let Some(store) = disk::open_store(&self.dir()) else {
            self.disk_backoff.failed();
            return None;
        };
        let disk = self
            .disk
            .get_or_init(|| DiskTier::new(store, self.meta.id, self));
        disk.register();
        Some(disk)
    }

    /// The remote tier, if the process has one (see [`crate::Remote`]).
    #[inline(always)]
    fn remote(&'static self) -> Option<&'static dyn Tier> {
        #[cfg(feature = "redis")]
        {
            let remote = match self.remote.get() {
                Some(remote) => remote,
                None => self.open_remote(),
            };
            remote.as_ref().map(|remote| remote as &dyn Tier)
        }
        #[cfg(not(feature = "redis"))]
        {
            crate::remote::warn_if_configured();
            None
        }
    }

    /// Decides the remote tier, once: the first call's part of
    /// [`remote`](Self::remote).
    #[cfg(feature = "redis")]
    #[cold]
    #[inline(never)]
    fn open_remote(&'static self) -> &'static Option<crate::remote::RemoteTier> {
        self.remote.get_or_init(|| {
            let client = crate::remote::shared()?;
            let ttl = (self.meta.ttl_secs > 0).then(|| Duration::from_secs(self.meta.ttl_secs));
            Some(crate::remote::RemoteTier::new(
                Arc::clone(client),
                self.meta.id,
                ttl,
                Switches::get().readonly,
            ))
        })
    }

    /// The tiers behind memory, in lookup order: disk, then remote.
    #[inline(always)]
    pub(crate) fn tiers(&'static self) -> Chain<'static> {
        let disk = self.disk().map(|disk| disk as &dyn Tier);
        let writable = !Switches::get().readonly;
        Chain::new(
            [disk, self.remote()],
            &self.counters,
            self.meta.id,
            writable,
        )
    }

    /// The age past which stored values are not served: only functions
    /// with a `ttl` read the clock on a hit.
    #[inline]
    pub(crate) fn max_age(&self) -> Option<store::MaxAge> {
        (self.meta.ttl_secs > 0).then(|| {
            store::MaxAge::new(
                Duration::from_secs(self.meta.ttl_secs),
                crate::envelope::now_unix_ms(),
            )
        })
    }

    /// Starts a call. The generated code then adds the arguments to its
    /// key ([`Call::arg`]) and hands it to an adapter, which looks up,
    /// computes on a miss and stores. `refresh` skips the lookup.
    #[doc(hidden)]
    #[inline]
    pub fn call(&'static self, refresh: bool) -> Call {
        Call::new(self, refresh)
    }

    /// Whether another process could take the cross-process lock of one
    /// entry now (see `store::KeyLock`).
    #[cfg(test)]
    fn entry_lock_free(&'static self, entry_key: &[u8]) -> bool {
        let disk = self.disk().unwrap();
        store::test_support::entry_lock_free(&disk.store, self.meta.id, entry_key)
    }
}

impl FunctionFacts for FnCache {
    fn ttl(&self) -> Option<Duration> {
        (self.meta.ttl_secs > 0).then(|| Duration::from_secs(self.meta.ttl_secs))
    }

    fn usage_totals(&self) -> UsageCounts {
        let info = self.info();
        UsageCounts {
            hits: info.hits,
            misses: info.misses,
        }
    }

    fn fingerprint_record(&self) -> ([u8; 32], FingerprintRecord) {
        let record = FingerprintRecord {
            fn_id: self.meta.id.to_owned(),
            // The items the build compiled, gated ones included, and its
            // answers: what the fingerprint covers, and what the CLI needs
            // to rebuild it from the current source.
            dependencies: {
                let mut all: Vec<(String, String)> = self
                    .dependencies()
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
        (*self.key_fingerprint(), record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Regression: the disk tier keeps a reference to its function's
    /// facts; the handle must stay shareable and usable across
    /// `catch_unwind`, as users rely on.
    #[test]
    fn the_handle_is_shareable_and_unwind_safe() {
        fn check<T: Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>() {}
        check::<FnCache>();
    }

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
            dependencies: "",
            externals: &[],
            unresolved: &[],
        })))
    }

    /// The macro packs the closure into one string (a large array took
    /// the compiler ~0.15 s of each rebuild); paths may hold any
    /// character, the separator and digits included.
    #[test]
    fn dependencies_unpack_from_the_packed_string() {
        let packed: &'static str = "9:crate::f_4:ab1228:crate::<impl A: B\nfor C>::g_2:ff";
        let dependencies = Dependency::unpack(packed);
        let pairs: Vec<(&str, &str)> = dependencies.iter().map(|d| (d.path(), d.hash())).collect();
        assert_eq!(
            pairs,
            [
                ("crate::f_", "ab12"),
                ("crate::<impl A: B\nfor C>::g_", "ff")
            ]
        );
        assert!(Dependency::unpack("").is_empty());
        // A cut-off entry is left out, not misread.
        assert_eq!(Dependency::unpack("9:crate::f_4:ab").len(), 0);
        let cache = FnCache::new(FnMeta {
            id: "t::f",
            fingerprint: [0; 32],
            build: &[],
            memory: 0,
            ttl_secs: 0,
            dir: DirChoice::Fixed("/nonexistent"),
            dependencies: packed,
            externals: &[],
            unresolved: &[],
        });
        assert_eq!(cache.dependencies(), dependencies.as_slice());
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

    /// A directory that cannot be opened is tried once per retry time, not
    /// on every call (each try resolves its path under the registry's
    /// lock).
    #[test]
    fn an_unusable_directory_is_not_reopened_on_every_call() {
        let temp = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let file = temp.path().join("a-file");
        std::fs::write(&file, b"not a directory").unwrap();
        let dir: &'static str = Box::leak(file.to_string_lossy().into_owned().into_boxed_str());
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::unusable", 7, 0, dir);
        assert_eq!(call(cache, 1, &runs), 10);
        let first_failure = cache.disk_backoff.until_ms();
        assert!(first_failure > 0, "the failed open is remembered");
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(call(cache, 1, &runs), 10);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "no disk tier: both calls compute"
        );
        assert_eq!(
            cache.disk_backoff.until_ms(),
            first_failure,
            "the second call did not try to open the directory again"
        );
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
                    let free = cache.entry_lock_free(&entry_key);
                    held_while_computing.store(!free, Ordering::SeqCst);
                    panic!("the body fails")
                },
                Ok,
                |value| value,
                crate::codec::Equality::partial_eq(),
            )
        });
        assert!(result.is_err());
        assert!(held_while_computing.load(Ordering::SeqCst));
        assert!(
            cache.entry_lock_free(&entry_key),
            "released by the unwinding call"
        );
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

    const EXIT_DIR: &str = "FUNCACHE_TEST_EXIT_DIR";

    /// A process that only hits and exits without `flush()` (a test
    /// process, a CI job) still records its hits and last reads: the exit
    /// hook writes them. It also ends its kept read transactions, so it
    /// leaves no reader slot behind. (Before, the hook was registered only
    /// by a process that stored a value.)
    #[test]
    fn a_process_that_only_hits_records_its_usage_at_exit() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        let cache = new_cache("t::exit_hits", 4, 0, dir);
        call(cache, 1, &runs);
        crate::flush().unwrap();
        crate::test_child::run_ignored("fn_cache::tests::child_hits_and_exits", EXIT_DIR, dir);
        let store = &cache.disk().unwrap().store;
        let counts = store.usage_counts().unwrap();
        assert_eq!(
            counts["t::exit_hits"],
            crate::UsageCounts {
                hits: 1000,
                misses: 1
            }
        );
        let reads = store.last_reads().unwrap();
        assert!(
            reads.keys().any(|(id, _)| id == "t::exit_hits"),
            "{reads:?}"
        );
        assert_eq!(
            store::test_support::dead_readers(store),
            0,
            "the child ended its kept read transaction"
        );
    }

    #[test]
    #[ignore = "run by a_process_that_only_hits_records_its_usage_at_exit"]
    fn child_hits_and_exits() {
        let Ok(dir) = std::env::var(EXIT_DIR) else {
            return;
        };
        let runs = AtomicUsize::new(0);
        let cache = new_cache("t::exit_hits", 4, 0, Box::leak(dir.into_boxed_str()));
        for _ in 0..1000 {
            call(cache, 1, &runs);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    /// A single disk hit is recorded in the access log.
    #[test]
    fn a_disk_hit_is_recorded_in_the_access_log() {
        let runs = AtomicUsize::new(0);
        let dir = temp_dir();
        call(new_cache("t::sampled", 5, 0, dir), 9, &runs);
        let reader = new_cache("t::sampled", 5, 0, dir);
        call(reader, 9, &runs);
        crate::flush().unwrap();
        let reads = reader.disk().unwrap().store.last_reads().unwrap();
        assert!(reads.keys().any(|(id, _)| id == "t::sampled"), "{reads:?}");
    }

    /// Two cache directories stand in for two machines sharing one
    /// Redis: what one computed, the other reads from the remote, and
    /// keeps in its own directory.
    #[cfg(feature = "redis")]
    #[test]
    fn a_result_computed_on_one_machine_is_a_remote_hit_on_another() {
        use funcache_testkit::{RedisOptions, RedisServer};
        let Some(server) = RedisServer::start("fn_cache remote", RedisOptions::default()) else {
            return;
        };
        let remote = crate::Remote::new(&server.url()).unwrap();
        let client = Arc::new(crate::remote::Client::new(remote).unwrap());
        let machine = |dir| {
            let cache = new_cache("t::two_machines", 6, 8, dir);
            let tier = crate::remote::RemoteTier::new(Arc::clone(&client), cache.id(), None, false);
            assert!(cache.remote.set(Some(tier)).is_ok());
            cache
        };
        let runs = AtomicUsize::new(0);
        let first = machine(temp_dir());
        assert_eq!(call(first, 6, &runs), 60);
        let (dir, runs_before) = (temp_dir(), runs.load(Ordering::SeqCst));
        let second = machine(dir);
        assert_eq!(call(second, 6, &runs), 60);
        assert_eq!(runs.load(Ordering::SeqCst), runs_before, "a remote hit");
        let info = second.info();
        assert_eq!(
            (
                info.hits,
                info.disk.misses,
                info.remote.hits,
                info.remote.misses
            ),
            (1, 1, 1, 0)
        );
        assert!(
            info.to_string()
                .ends_with("remote_hits=1, remote_misses=0)"),
            "{info}"
        );
        // The hit filled the second machine's directory.
        let local_only = new_cache("t::two_machines", 6, 8, dir);
        assert_eq!(call(local_only, 6, &runs), 60);
        assert_eq!(local_only.info().disk.hits, 1);
        assert_eq!(runs.load(Ordering::SeqCst), runs_before);
        assert!(!local_only.info().to_string().contains("remote"));
    }

    /// A second machine asking for a value the first is computing waits
    /// on the remote lease and reads the first one's result.
    #[cfg(feature = "redis")]
    #[test]
    fn a_machine_waits_for_another_computing_the_same_value() {
        use funcache_testkit::{RedisOptions, RedisServer};
        let Some(server) = RedisServer::start("fn_cache remote lease", RedisOptions::default())
        else {
            return;
        };
        let remote = crate::Remote::new(&server.url()).unwrap();
        let client = Arc::new(crate::remote::Client::new(remote).unwrap());
        let machine = || {
            let cache = new_cache("t::lease_wait", 6, 0, temp_dir());
            let tier = crate::remote::RemoteTier::new(Arc::clone(&client), cache.id(), None, false);
            assert!(cache.remote.set(Some(tier)).is_ok());
            cache
        };
        let (first, second) = (machine(), machine());
        let runs = AtomicUsize::new(0);
        let waited = std::thread::scope(|scope| {
            let mut waiter = None;
            let mut call_first = first.call(false);
            call_first.arg(&3u64);
            let value = call_first.run::<NoMemory, u64, u64>(
                || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    // The other machine asks while this one computes.
                    waiter = Some(scope.spawn(|| call(second, 3, &runs)));
                    std::thread::sleep(Duration::from_millis(300));
                    30
                },
                Ok,
                |value| value,
                crate::codec::Equality::partial_eq(),
            );
            assert_eq!(value, 30);
            waiter.unwrap().join().unwrap()
        });
        assert_eq!(waited, 30);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "computed once across machines"
        );
        assert_eq!(second.info().remote.hits, 1);
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
