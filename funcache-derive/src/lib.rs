//! Procedural macros of [funcache](https://docs.rs/funcache). Depend on
//! `funcache`, not on this crate: it re-exports everything here.

mod expand;
mod memoize;
mod paths;
mod signature;
mod source;

use proc_macro::TokenStream;

/// Persists a function's results on disk, keyed by its source and its
/// arguments.
///
/// ```no_run
/// #[funcache::cache]
/// fn word_count(text: &str) -> usize {
///     text.split_whitespace().count()
/// }
/// ```
///
/// The first call with given arguments runs the body and stores the result;
/// later calls — in this process or any later one — return the stored
/// result. The key is made of:
///
/// * the **fingerprint** of the function's source: a hash of its canonical
///   tokens, computed when the crate is compiled. Editing the body,
///   signature or attributes changes it, and old results stop matching.
///   Editing only comments, doc comments or formatting does not.
/// * the **arguments**, serialized with serde and hashed with blake3. Maps
///   are hashed in a canonical order, so a `HashMap` argument gives the same
///   key in every process.
///
/// Results live in a bounded in-memory LRU tier and in a sled database under
/// the cache directory: `$FUNCACHE_DIR` if set, otherwise `target/funcache`
/// of the workspace (`$CARGO_TARGET_DIR/funcache` when that is set at build
/// time). Values of 1 MiB and more are stored as separate files.
///
/// # Requirements
///
/// * Every argument in the key implements `serde::Serialize` (references
///   are fine). Hash sets are rejected: their order differs per process.
/// * The return type implements `serde::Serialize` and
///   `serde::de::DeserializeOwned`; with the memory tier on (the default)
///   it is also `Clone + Send + Sync + 'static`.
/// * No `&mut` argument in the key: the mutation would happen only on a
///   miss. `skip` it if it does not affect the result.
///
/// A missing bound is reported at the offending argument or return type.
///
/// # Companions
///
/// Next to `f` the attribute generates, with the same visibility:
///
/// * `f_uncached(..)` runs the body without touching any tier;
/// * `f_refresh(..)` recomputes and overwrites the stored result;
/// * `f_cache()` returns the [`FnCache`](https://docs.rs/funcache/latest/funcache/struct.FnCache.html)
///   with `info()` (hits, misses, maxsize, currsize — like Python's
///   `cache_info()`, split by tier), `clear()`, `fingerprint()` and
///   `dependencies()`.
///
/// ```no_run
/// #[funcache::cache]
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// square(4);
/// square(4);
/// let info = square_cache().info();
/// assert_eq!((info.hits, info.misses), (1, 1));
/// assert_eq!(square_uncached(4), 16); // never cached
/// square_refresh(4); // recomputed and stored again
/// ```
///
/// On methods the companions are associated functions (`Self::f_cache()`).
/// In a trait impl there is nowhere to put them: the method is cached, and
/// the companions are not generated.
///
/// # Options
///
/// ## `memory = N`
///
/// Capacity of the in-memory LRU tier, in entries (default 128, like
/// `functools.lru_cache`). `memory = 0` turns the tier off: every call reads
/// the disk, and the return type need not be `Clone`.
///
/// ```no_run
/// #[funcache::cache(memory = 1024)]
/// fn tokenize(line: &str) -> Vec<String> {
///     line.split(',').map(str::to_owned).collect()
/// }
///
/// #[funcache::cache(memory = 0)]
/// fn huge_table(seed: u64) -> Vec<f64> {
///     (0..10_000_000).map(|i| (i as f64 * seed as f64).sin()).collect()
/// }
/// ```
///
/// ## `version = N`
///
/// A manual salt mixed into the fingerprint (an integer or a string).
/// Bumping it invalidates every stored result — for when the result depends
/// on something the fingerprint cannot see, such as a data file.
///
/// ```no_run
/// #[funcache::cache(version = 2)]
/// fn load_prices(path: &str) -> Vec<u32> {
///     std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| l.parse().ok()).collect()
/// }
/// ```
///
/// ## `skip(arg, ...)`
///
/// Leaves arguments out of the key: a connection, a logger, a progress bar.
/// They are still passed to the body. `skip(self)` leaves out the receiver.
///
/// ```no_run
/// struct Progress;
/// impl Progress { fn tick(&mut self) {} }
///
/// #[funcache::cache(skip(progress))]
/// fn checksum(data: &[u8], progress: &mut Progress) -> u64 {
///     progress.tick();
///     data.iter().map(|&b| b as u64).sum()
/// }
/// ```
///
/// ## `cache_errors`
///
/// For a function returning `Result<T, E>`, only `Ok` values are stored by
/// default, so a failure is retried on the next call. With `cache_errors`
/// the `Err` values are stored too (then `E` must be serializable).
///
/// ```no_run
/// #[funcache::cache(cache_errors)]
/// fn parse_port(text: &str) -> Result<u16, String> {
///     text.parse().map_err(|e| format!("{e}"))
/// }
/// ```
///
/// ## `crate = path`
///
/// Where the `funcache` crate is, when it is reached through a re-export
/// rather than a dependency of that name (a renamed dependency is found
/// on its own).
///
/// ```no_run
/// mod reexport { pub use funcache; }
///
/// #[funcache::cache(crate = reexport::funcache)]
/// fn one() -> u8 {
///     1
/// }
/// ```
///
/// # Generic functions and methods
///
/// The concrete type names of type parameters (and the values of const
/// parameters) are part of the key: `f::<u32>(1)` and `f::<u64>(1)` never
/// share an entry. For methods, `self` is part of the key unless skipped.
///
/// ```no_run
/// use serde::{Serialize, de::DeserializeOwned};
///
/// #[funcache::cache]
/// fn parse_all<T>(lines: &[String]) -> Vec<T>
/// where
///     T: std::str::FromStr + Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
/// {
///     lines.iter().filter_map(|l| l.parse().ok()).collect()
/// }
///
/// #[derive(serde::Serialize)]
/// struct Model { weights: Vec<i64> }
///
/// impl Model {
///     #[funcache::cache]
///     fn score(&self, x: i64) -> i64 {
///         self.weights.iter().map(|w| w * x).sum()
///     }
/// }
/// ```
///
/// # Environment
///
/// * `FUNCACHE_DIR` — the cache directory.
/// * `FUNCACHE_REFRESH=1` — recompute and overwrite on every call.
/// * `FUNCACHE_DISABLE=1` — bypass every tier.
/// * `FUNCACHE_READONLY=1` — serve hits, never write (untrusted CI jobs).
/// * `FUNCACHE_DURABILITY=lazy` — do not fsync after each write (faster
///   for many small misses; call `funcache::flush()` before exiting).
///
/// # Failures
///
/// A cache that cannot be used — a directory that is locked by another
/// process, unwritable or corrupt, a stored value that no longer decodes,
/// an argument whose `Serialize` fails — is never the caller's failure: the
/// function runs, its correct result is returned, and a `tracing` warning
/// (once per cause) says why. A panic in the body is not cached.
#[proc_macro_attribute]
pub fn cache(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::cache(args.into(), item.into()).into()
}

/// Wraps an existing function — one you do not want to annotate, or cannot
/// — in the same durable, source-aware cache as `#[funcache::cache]`,
/// without modifying it. Evaluates to a `Copy` closure with the function's
/// arguments and return type.
///
/// (This example is not run as a doctest: `memoize!` reads the wrapped
/// function from the crate's source files, and a doctest's code is in none.
/// `tests/memoize.rs` runs the same code.)
///
/// ```ignore
/// mod steps {
///     pub fn tokenize(text: &str) -> Vec<String> {
///         text.split_whitespace().map(str::to_owned).collect()
///     }
/// }
///
/// let tokenize = funcache::memoize!(steps::tokenize);
/// assert_eq!(tokenize("a b"), ["a", "b"]); // computed and stored
/// assert_eq!(tokenize("a b"), ["a", "b"]); // from the cache
/// ```
///
/// The path is resolved where `memoize!` is written, and the fingerprint
/// covers the function and everything it reaches, exactly as the attribute
/// would. Every `memoize!` of the same function shares one set of entries
/// (the function's id and fingerprint are the same). A generic function is
/// wrapped per instantiation: `memoize!(parse::<u32>)`.
///
/// Options follow the path: `memoize!(f, memory = 0, version = 2)`;
/// `memory`, `version`, `cache_errors`, `strict` and `crate` work as on
/// the attribute. `skip` is not available (annotate the function instead),
/// nor are `async fn`s or functions of more than 8 arguments.
#[proc_macro]
pub fn memoize(input: TokenStream) -> TokenStream {
    memoize::memoize(input.into()).into()
}
