//! The call protocol the generated code follows: key, memory tier, the
//! key's flight, disk, compute, store.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::FnCache;
use crate::codec::{self, Equality};
use crate::config::Switches;
use crate::envelope::{Header, Payload};
use crate::flight::{Turn, WAIT_LIMIT};
use crate::key::{ArgsKey, KeyBuilder};
use crate::stats::Counters;
use crate::tier::Look;
use crate::tier::Value;
use crate::warn::warn_once;

/// One call in progress: its key, built in place (a key is a hundred
/// bytes; moving it around costs more than hashing it), and what the
/// environment switches allow it.
///
/// The protocol ([`run`](Self::run), [`run_async`](Self::run_async)):
/// memory tier, then disk; a call that missed both joins its key's
/// [flight](crate::flight) — the leader looks again and computes, the
/// others wait and read what it stored. A computed value is stored in
/// every tier as its decoded form (see [`codec`]), which is also what the
/// computing call returns.
#[doc(hidden)]
pub struct Call {
    cache: &'static FnCache,
    key: KeyBuilder,
    refresh: bool,
    /// Whether the key is usable and the cache not disabled: decided by
    /// [`prepare`](Self::prepare), read by the store.
    usable: bool,
    /// When the computation started: set on a miss, so a hit reads no
    /// clock.
    started: Option<Instant>,
}

/// What the switches and the key allow a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Disabled, or the key failed: run the body, touch no tier.
    Bypass,
    /// Refresh: compute and store, read nothing.
    WriteOnly,
    ReadWrite,
}

/// Whether a call uses the memory tier. Values kept in memory must be
/// `Clone`; functions declared with `memory = 0` use [`NoMemory`], which
/// lifts that.
pub trait MemoryUse<V> {
    /// A lookup; unless it is a [`Look::Peek`], it marks the entry most
    /// recently used.
    fn get(call: &Call, look: Look) -> Option<V>;
    /// Keeps `value` as the call's most recently used entry.
    fn put(call: &Call, value: &V);
}

/// The memory tier in front of the disk.
pub struct InMemory;
/// The disk alone.
pub struct NoMemory;

impl<V: Clone + Send + Sync + 'static> MemoryUse<V> for InMemory {
    #[inline]
    fn get(call: &Call, look: Look) -> Option<V> {
        let tier = call.cache.memory()?;
        let key = call.key.args_key();
        match look {
            Look::First => tier.get_cloned(key, true),
            Look::Again => tier.get_cloned(key, false),
            Look::Peek => tier.peek_cloned(key),
        }
    }
    fn put(call: &Call, value: &V) {
        if let Some(tier) = call.cache.memory() {
            tier.put(ArgsKey::copy_of(call.key.args_key()), value.clone());
        }
    }
}

impl<V> MemoryUse<V> for NoMemory {
    #[inline]
    fn get(_: &Call, _: Look) -> Option<V> {
        None
    }
    fn put(_: &Call, _: &V) {}
}

impl Call {
    pub(super) fn new(cache: &'static FnCache, refresh: bool) -> Call {
        Call {
            cache,
            key: KeyBuilder::with_prefix(cache.key_fingerprint()),
            refresh,
            usable: false,
            started: None,
        }
    }

    /// Adds one argument to the key.
    #[inline]
    pub fn arg<T: crate::__private::KeyArg + ?Sized>(&mut self, value: &T) {
        self.key.arg(value);
    }

    /// Adds a type name to the key (generic functions).
    #[inline]
    pub fn type_name(&mut self, name: &str) {
        self.key.type_name(name);
    }

    /// Adds a type name to the key unless it mentions an ambiguous path
    /// (see [`KeyBuilder::type_name_checked`]).
    #[inline]
    pub fn type_name_checked(&mut self, name: &str, ambiguous: &[&str]) {
        self.key.type_name_checked(name, ambiguous);
    }

    /// Adds a type name to the key unless it mentions an ambiguous path
    /// or a type the fingerprint does not cover (see
    /// [`KeyBuilder::type_name_covered`]).
    #[inline]
    pub fn type_name_covered(
        &mut self,
        name: &str,
        ambiguous: &[&str],
        types: &[&str],
        crates: &[&str],
    ) {
        self.key.type_name_covered(name, ambiguous, types, crates);
    }

    /// Checks an argument left out of the key (see
    /// [`KeyBuilder::skipped`]).
    #[inline]
    pub fn skipped(&mut self, type_name: &str) {
        self.key.skipped(type_name);
    }

    /// Says, once per function and argument, that argument `arg` reaches
    /// type `type_name`, whose hand-written `Serialize` may write a set or
    /// a map in its iteration order: equal arguments may then get
    /// different keys and miss. The call is still cached (an impl that
    /// writes a fixed order hits); the macro emits this from the source.
    #[cold]
    pub fn unordered_serialize(&self, arg: &str, type_name: &str) {
        let id = self.cache.meta.id;
        warn_once("key", &format!("{id} unordered-serialize {arg}"), || {
            format!(
                "funcache: {id}: argument `{arg}` is keyed through the hand-written `Serialize` \
                 of `{type_name}`, which writes a `HashSet` or `HashMap` in its iteration \
                 order: equal arguments get different keys and miss. Serialize it sorted (or \
                 derive `Serialize`, or use `collect_map` for a map)"
            )
        });
    }

    /// Adds one argument whose maps are all keyed regardless of order (see
    /// [`KeyBuilder::arg_unordered_maps`]).
    #[inline]
    pub fn arg_unordered_maps<T: crate::__private::KeyArg + ?Sized>(&mut self, value: &T) {
        self.key.arg_unordered_maps(value);
    }

    /// Fails the key: argument `arg` reaches type `type_name`, whose serde
    /// `attribute` can make two different values serialize alike (see
    /// [`KeyBuilder::lossy_serde`]). The macro emits this from the source.
    #[cold]
    pub fn lossy_serde(&mut self, arg: &str, type_name: &str, attribute: &str) {
        self.key.lossy_serde(arg, type_name, attribute);
    }

    /// Adds a function argument to the key by its identity and source
    /// (see [`KeyBuilder::function`]).
    #[inline]
    pub fn function(&mut self, type_name: &str, sources: &[(&str, Option<[u8; 32]>)]) {
        self.key.function(type_name, sources);
    }

    /// Seals the key and applies the switches.
    #[inline]
    fn prepare(&mut self) -> Access {
        let switches = Switches::get();
        if switches.disable {
            return Access::Bypass;
        }
        match self.key.seal() {
            Ok(()) => {
                self.usable = true;
                if self.refresh || switches.refresh {
                    Access::WriteOnly
                } else {
                    Access::ReadWrite
                }
            }
            Err(error) => {
                let id = self.cache.meta.id;
                warn_once("key", &format!("{id} {}", error.cause()), || {
                    format!("funcache: {id} runs uncached: {error}")
                });
                Access::Bypass
            }
        }
    }

    /// Memory, then the tiers behind it (filling the memory tier on a
    /// hit there).
    #[inline]
    fn lookup<M: MemoryUse<V>, V: DeserializeOwned>(&self, look: Look) -> Option<V> {
        if let Some(value) = M::get(self, look) {
            return Some(value);
        }
        let value =
            self.cache
                .tiers()
                .read::<V>(self.key.entry_key(), look, self.cache.max_age())?;
        if look != Look::Peek {
            M::put(self, &value);
        }
        Some(value)
    }

    fn warn_wait_limit(&self) {
        let id = self.cache.meta.id;
        warn_once("wait", id, || {
            format!(
                "funcache: a call of {id} waited {}s for another thread computing the same \
                 arguments; computing them again",
                WAIT_LIMIT.as_secs()
            )
        });
    }

    /// The whole call of a synchronous body. `split` takes from the body's
    /// output what is stored (returning anything else, such as an `Err`,
    /// as it is); `join` makes an output of a stored value; `equality`
    /// says how a decoded value is compared with the computed one before
    /// it is stored.
    #[inline]
    pub(crate) fn run<M, V, Out>(
        &mut self,
        compute: impl FnOnce() -> Out,
        split: impl FnOnce(Out) -> Result<V, Out>,
        join: impl FnOnce(V) -> Out,
        equality: Equality<V>,
    ) -> Out
    where
        M: MemoryUse<V>,
        V: Serialize + DeserializeOwned,
    {
        match self.prepare() {
            Access::Bypass => return self.compute_uncached(compute),
            Access::WriteOnly => {
                return self.compute_and_store::<M, V, Out>(compute, split, join, equality);
            }
            Access::ReadWrite => {}
        }
        // Hits never touch the flights: only a call that missed every tier
        // joins its key's computation.
        if let Some(value) = self.lookup::<M, V>(Look::First) {
            return join(value);
        }
        let flights = &self.cache.flights;
        let found = match flights.enter(self.key.args_key(), true) {
            Turn::Lead(leading) => {
                // One computation per key across processes too: the
                // entry's OS lock, held until the value is stored (or the
                // body panics); a process computing it is waited for.
                // Another call or process may have stored the value since
                // this one looked.
                let wait = Switches::get().lock_wait;
                let entry_lock = self.cache.tiers().lease(self.key.entry_key(), wait);
                if let Some(value) = self.lookup::<M, V>(Look::Again) {
                    return join(value);
                }
                let out = self.compute_and_store::<M, V, Out>(compute, split, join, equality);
                drop(entry_lock);
                drop(leading);
                return out;
            }
            Turn::Wait(waiting) => {
                if !waiting.wait(WAIT_LIMIT) {
                    self.warn_wait_limit();
                }
                self.lookup::<M, V>(Look::Again)
            }
            Turn::Reentered => None,
        };
        match found {
            Some(value) => join(value),
            None => self.compute_and_store::<M, V, Out>(compute, split, join, equality),
        }
    }

    /// [`run`](Self::run) for an async body: `compute` is its future, only
    /// polled on a miss. A waiter awaits the leader without blocking its
    /// thread.
    pub(crate) async fn run_async<M, V, Out>(
        &mut self,
        compute: impl Future<Output = Out>,
        split: impl FnOnce(Out) -> Result<V, Out>,
        join: impl FnOnce(V) -> Out,
        equality: Equality<V>,
    ) -> Out
    where
        M: MemoryUse<V>,
        V: Serialize + DeserializeOwned,
    {
        match self.prepare() {
            Access::Bypass => {
                Counters::bump(&self.cache.counters.computed);
                return compute.await;
            }
            Access::WriteOnly => {
                let out = self.start_computing(compute).await;
                return self.store_output::<M, V, Out>(out, split, join, equality);
            }
            Access::ReadWrite => {}
        }
        if let Some(value) = self.lookup::<M, V>(Look::First) {
            return join(value);
        }
        let flights = &self.cache.flights;
        // Tasks interleave on one thread: the thread says nothing about
        // who leads, so no re-entry check.
        let _leading = match flights.enter(self.key.args_key(), false) {
            Turn::Lead(leading) => Some(leading),
            Turn::Wait(waiting) => {
                waiting.finished().await;
                None
            }
            Turn::Reentered => None,
        };
        // The entry's cross-process lock: one computation per key across
        // processes here too. A lock another process holds is waited for
        // on a thread of its own (see `tier::lease_wait`), so this thread
        // stays free for other tasks.
        let _entry_lock = self
            .cache
            .tiers()
            .lease_async(self.key.entry_key(), Switches::get().lock_wait)
            .await;
        if let Some(value) = self.lookup::<M, V>(Look::Again) {
            return join(value);
        }
        let out = self.start_computing(compute).await;
        self.store_output::<M, V, Out>(out, split, join, equality)
    }

    /// What the tiers hold for this call (memory, disk, then the remote
    /// if configured), without computing, counting or reordering anything. `None` when the cache is disabled or refreshing
    /// (a call would compute).
    pub(crate) fn peek<M: MemoryUse<V>, V: DeserializeOwned>(&mut self) -> Option<V> {
        if self.prepare() != Access::ReadWrite {
            return None;
        }
        self.lookup::<M, V>(Look::Peek)
    }

    /// Runs the body with no tier (counted as a miss).
    fn compute_uncached<Out>(&mut self, compute: impl FnOnce() -> Out) -> Out {
        Counters::bump(&self.cache.counters.computed);
        compute()
    }

    /// Runs the body (a miss, counted before it runs, so that a panic
    /// counts too) and stores its output.
    fn compute_and_store<M, V, Out>(
        &mut self,
        compute: impl FnOnce() -> Out,
        split: impl FnOnce(Out) -> Result<V, Out>,
        join: impl FnOnce(V) -> Out,
        equality: Equality<V>,
    ) -> Out
    where
        M: MemoryUse<V>,
        V: Serialize + DeserializeOwned,
    {
        Counters::bump(&self.cache.counters.computed);
        self.started = Some(Instant::now());
        let out = compute();
        self.store_output::<M, V, Out>(out, split, join, equality)
    }

    async fn start_computing<Out>(&mut self, compute: impl Future<Output = Out>) -> Out {
        Counters::bump(&self.cache.counters.computed);
        self.started = Some(Instant::now());
        compute.await
    }

    fn store_output<M, V, Out>(
        &mut self,
        out: Out,
        split: impl FnOnce(Out) -> Result<V, Out>,
        join: impl FnOnce(V) -> Out,
        equality: Equality<V>,
    ) -> Out
    where
        M: MemoryUse<V>,
        V: Serialize + DeserializeOwned,
    {
        match split(out) {
            Ok(value) => join(self.store::<M, V>(value, equality)),
            Err(out) => out,
        }
    }

    /// Stores a computed value in every tier and returns what they serve:
    /// the value decoded from its stored bytes. A value that does not come
    /// back equal from any codec is stored nowhere (every call computes
    /// it) and returned as it is.
    fn store<M: MemoryUse<V>, V: Serialize + DeserializeOwned>(
        &mut self,
        value: V,
        equality: Equality<V>,
    ) -> V {
        let compute = self
            .started
            .map_or(Duration::ZERO, |started| started.elapsed());
        if !self.usable {
            return value;
        }
        let encoded = match codec::encode_checked(&value, equality) {
            Ok(encoded) => encoded,
            Err(error) => {
                let id = self.cache.meta.id;
                warn_once("encode", id, || {
                    format!("funcache: a result of {id} is returned but not stored: {error}")
                });
                return value;
            }
        };
        M::put(self, &encoded.value);
        let switches = Switches::get();
        if !switches.readonly {
            let header = Header::new(compute, encoded.codec as u8, Payload::Inline);
            let value = Value::of(&header, &encoded.bytes);
            self.cache.tiers().write(self.key.entry_key(), &value);
        }
        encoded.value
    }
}
