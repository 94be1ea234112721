//! Procedural macros of [funcache](https://docs.rs/funcache). Depend on
//! `funcache`, not on this crate: it re-exports everything here.

mod expand;
mod fn_args;
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
/// * the **fingerprint** of the source, computed when the crate is
///   compiled: the function's canonical tokens and those of everything it
///   reaches in your crate and its path dependencies — functions it calls or
///   passes as values, methods (resolved by receiver type where it is
///   known), consts and statics it reads, types it names (and their fields
///   and trait impls, and the functions their serde attributes name, such
///   as `#[serde(default = "path")]` or `with = "module"`), `macro_rules!`
///   macros it invokes, files it pulls in with `include_str!` and friends —
///   plus the identity of external crates it uses, and what the build
///   decides about them (see *The build is part of the source* and
///   *Dependencies*). Edit any
///   of those and old results stop matching. Edit only comments, doc
///   comments, formatting, lint levels (`#[allow]`, `#[deny]` …), tool
///   attributes (`#[rustfmt::skip]`) or hints (`#[inline]`, `#[cold]`,
///   `#[must_use]`) and they still match.
/// * the **arguments**, in a canonical serde encoding: maps are ordered, so
///   a `HashMap` argument gives the same key in every process; so are
///   unordered sets (see [Sets](#sets-in-arguments)).
///
/// Results live in a bounded in-memory LRU tier and in an LMDB database under
/// the cache directory: `$FUNCACHE_DIR` if set, otherwise `target/funcache`
/// of the workspace (`$CARGO_TARGET_DIR/funcache` when that is set at build
/// time). Values of 1 MiB and more are stored as separate files, checked
/// against their hash when read.
///
/// Any number of processes may use one cache directory at once: a result
/// one of them stores is a hit for the others, and a value several of them
/// miss at the same time is computed by one while the others wait (an OS
/// lock per key, released if the holder dies; after `FUNCACHE_LOCK_WAIT` a
/// waiter computes it itself).
///
/// Trait impls count where the code can run them. A call through a trait
/// (`x.weight()` with `x: T` and `T: Weight`, or on a `dyn Weight`) reaches
/// the impls for the types the rest of the fingerprint has: a generic
/// function instantiated as `sum_weights::<Item>` reaches `impl Weight for
/// Item`, not `impl Weight for Other`. A method called on a value whose
/// type the index cannot infer reaches the methods of that name of those
/// types; a method of a std type (`Vec::push`) never reaches a crate method
/// of the same name. A type's impls of std traits come with the type,
/// except `Debug` (only where code formats with `{:?}`), `Hash` (only where
/// code hashes) and `From`/`TryFrom` (only where code converts, e.g. with
/// `.into()` or `?`). std derives (`Debug`, `Clone`, `PartialEq`, …) are no
/// part of a type's hash; other derives, such as serde's, are.
///
/// Generic code reaches impls the same way through what it names by a type
/// parameter or `Self`: `I::create(..)`, an associated type
/// (`I::Bound::max_value()`, `<I as Interval>::Bound::f`, `Self::Bound::f`
/// in a trait's default method) reaches the items of the traits bounding it
/// — in its declaration, a supertrait or a where-clause (`where I::Bound:
/// Shout`) — with their impls; where nothing bounds it, every impl item of
/// that name in your crate counts.
///
/// Types chosen by the caller are covered where the fingerprint can see
/// them: for a type parameter of the function (or of its impl), an `impl
/// Trait` or `dyn Trait` parameter, or a `dyn Trait` stored in a field or
/// static, every impl of the bound traits in your crate and its path
/// dependencies counts (`fn label<T: Display>(x: &T)` changes with any
/// `Display` impl, and with any type that derives a bound trait), as do the
/// versions of all dependencies; the concrete type's name is part of the
/// key. A type the fingerprint cannot see — see [Caller types the
/// fingerprint cannot see](#caller-types-the-fingerprint-cannot-see) — is
/// never keyed: the call runs uncached.
///
/// `macro_rules!` macros count with what they can run. A macro counts by
/// name (every definition of that name in your crate, as scoping is
/// textual), with what its body reaches: macros it invokes (`$crate::m!()`
/// or `m!()`), functions, consts and types it names — items in a macro
/// resolve where it is invoked, so a path other than `$crate::…` counts as
/// resolved where the macro is defined and in every crate that can invoke
/// it (`crate::…` from each crate's root, `self::`/`super::` from each of
/// their modules, a bare name in every module that binds it) — and
/// methods it calls (`$x.calc()` counts like a call on a value of unknown
/// type). A module-level invocation (`impl_area!(A8, 9);`) counts, tokens
/// and macro, wherever the fingerprint has an item named in its tokens or
/// in its macro's body (`A8`, or the trait it implements); an unrelated
/// invocation in a module does not join functions that use that module's
/// other macros. A `mod x;` such an invocation writes (`mod $m;`, `#[path
/// = $p] mod $m;`) counts through it: every file it could load (`x.rs` or
/// `x/mod.rs` for each identifier of the invocation, each string literal
/// as a `#[path]`) is read, and its items count wherever the invocation
/// does. For a macro of another crate (`dep::declare!(fast);`) that is each
/// identifier naming an existing `x.rs` or `x/mod.rs`. Members whose names
/// `paste!` builds (`fn [<get_ $f>]`) count for every member lookup. A
/// module-level `cfg_if!` is read as the items it writes, each
/// under its branch's `cfg` (see below), a `mod x;` in it included.
///
/// A cached function *written by* a macro — inside a `macro_rules!` body,
/// inside a user macro's invocation (`wrap! { .. }`, which may move it), in
/// a file that is two modules' source
/// (`#[path]` or `include!` twice) — is compiled where the index cannot see
/// its module or what the macro's arguments stand for. It is never analyzed
/// as if it were elsewhere: its id is `module_path!()::name`, and its
/// fingerprint covers its tokens as expanded, where the expansion is
/// (`line!()`, `column!()`), and every source file of its package (and of
/// the macro's package), of their path dependencies (recursively), every
/// file those sources pull in with `include_str!`, `include_bytes!` or
/// `include!` or load as a module (a `#[path]` file outside the package
/// too), and every file the build script wrote to `OUT_DIR` (by name and
/// contents; past 256 MiB in all, by length and modification time), so
/// each expansion is its own function and any edit of these invalidates
/// it. Not covered: files read by a path the source does not spell out (a
/// computed `include_str!` path, a file another crate's macro reads) and
/// a path dependency's own build script output. `funcache-cli` calls its
/// entries `unknown` (never purged by `--stale`); `strict` refuses it.
///
/// What the fingerprint cannot see is listed by `f_cache().unresolved()`
/// (and by `funcache-cli explain`): paths the index could not resolve, and
/// names only a module-level invocation of one of your macros can define
/// (`mk_fn!(); .. mk_fn_generated()`): the invocation counts, but `strict`
/// refuses them. Since an unresolved name may be a dependency's under a
/// name the index does not know (package `md-5` is used as `md5`), a
/// function with one counts the version of every dependency of its crate:
/// upgrading any of them makes its next call miss. Use `version = N` for
/// what lies outside the source (a data file read at run time, a remote
/// service).
///
/// # The build is part of the source
///
/// The same text compiles to other code under other cargo features, another
/// target or profile, `cfg(test)`, another compile-time environment or
/// another `build.rs` output. The fingerprint follows the build, evaluated
/// by the compiler where the function is compiled (the expansion contains a
/// `cfg!(..)` or `option_env!(..)` for each input below):
///
/// * **`cfg`**: an item that exists only under a `#[cfg]` — its own, its
///   impl's, or an enclosing module's, `#[cfg(test)] mod tests` included —
///   counts only in builds where the predicate holds. So `cargo build
///   --features fast` and the default build store under different
///   fingerprints when they compile different code, and editing code the
///   build leaves out (the other side of a feature, test-only trait impls
///   and `macro_rules!`) invalidates nothing in it. A predicate written
///   inside the code — `cfg!(..)`, `#[cfg]` on a statement, field or match
///   arm, `#[cfg_attr(..)]`, a `#[cfg]`-gated `use` that picks what a name
///   means — counts by its value. A name bound only under `#[cfg]`s never
///   hides what it would mean otherwise (a glob import, the prelude, a
///   macro invocation that may write it): both count, and so does each
///   branch of a `cfg_if!` under its own predicate.
/// * **Compile-time environment**: the value of every `env!("X")` and
///   `option_env!("X")` the function reaches is part of the fingerprint
///   (and cargo rebuilds when `X` changes). A path dependency's `CARGO_PKG_*`
///   values are that package's (its `[package]` table counts), not your
///   crate's. Cargo's path-valued variables (`CARGO_MANIFEST_DIR`, …) and
///   `file!()` count only where the function reads them as values, so
///   moving such a checkout is a miss; where they only locate a file for
///   `include_str!` and friends, the file's contents count instead, and the
///   key does not depend on where the crate was built (`OUT_DIR` never
///   counts as a value). A crate `macro_rules!` whose body reads
///   `env!($name)`/`option_env!($name)` reads, at each invocation, every
///   string literal written in that invocation; a name built there
///   (`concat!("A", "B")`, another macro's output) is not seen: bump
///   `version` when it changes. A crate macro whose body evaluates
///   `cfg!($p)` counts the predicate when its invocation is exactly one
///   (`cfgm!(unix)`); any other invocation is listed by `unresolved()` (so
///   `strict` refuses it) and its predicate does not count. Code that invokes a
///   crate macro whose body (or a macro it invokes) writes `line!()`,
///   `column!()`, `file!()` or `module_path!()` counts where it is, like
///   code that writes them.
/// * **Profile**: debug and release builds keep separate entries. The same
///   text computes other values under overflow checks (`x + 200` on a `u8`
///   panics in a debug build and wraps in release) and `debug_assert!`, so
///   `cfg!(debug_assertions)` is part of every fingerprint (overflow
///   checks follow it by default). No `cfg` tells overflow checks
///   themselves on stable Rust, so the workspace's `[profile.*]` tables
///   are part of every fingerprint too: an explicit `overflow-checks` edit
///   there invalidates. Not seen: `CARGO_PROFILE_<NAME>_OVERFLOW_CHECKS`
///   and `--config profile…` overrides (bump `version`).
/// * **Your package's features**: every feature it declares in
///   `[features]` (and each optional dependency's implicit feature, unless
///   a `dep:` names it) is asked `cfg!(feature = "..")` in every
///   fingerprint, whether or not the function's code names it: `po =
///   ["serde_json/preserve_order"]` changes what `serde_json` computes
///   without any `cfg` in your code.
/// * **Edition**: the same text compiles to other code under another
///   edition (`[1u8, 2, 3].into_iter()` yields values from 2021 on,
///   references before), so the edition of each crate the function
///   reaches — yours and each path dependency's, `2015` when the manifest
///   names none, `edition.workspace = true` read from
///   `[workspace.package]` — is part of its fingerprint.
/// * **Toolchain**: the compiler (`rustc -vV`'s `release` and
///   `commit-hash`) and the target triple are part of every fingerprint,
///   since std's behaviour may differ between them and entries travel
///   between machines (Redis, copied cache directories). A compiler whose
///   `-vV` cannot be read counts as `unknown` (the build warns once).
/// * **`build.rs` output**: code included from `OUT_DIR`
///   (`include!(concat!(env!("OUT_DIR"), "/generated.rs"))`, the prost and
///   bindgen pattern) is indexed like any other source, and
///   `include_str!`/`include_bytes!` of generated files join the hash of
///   the item that reads them.
/// * **A path dependency's `build.rs` output**: when the function reaches
///   an item of a path dependency that has a build script, what that
///   script handed the compiler in this build counts: its
///   `cargo:rustc-cfg`, `cargo:rustc-env` and `cargo:rustc-check-cfg`
///   lines and every file it wrote under its `OUT_DIR` (by name and
///   contents; the directories, which differ between machines, do not
///   count), and code it generates that the dependency `include!`s is
///   indexed like the dependency's other sources. The macro finds them
///   from rustc's command line and cargo's target directory
///   (`<target>/<profile>/build/<package>-<hash>/`).
///
/// ```no_run
/// #[cfg(feature = "fast")]
/// fn kernel(x: u64) -> u64 { x * 2 }
/// #[cfg(not(feature = "fast"))]
/// fn kernel(x: u64) -> u64 { x * 3 }
///
/// const MODE: Option<&str> = option_env!("MODE");
///
/// #[funcache::cache] // one set of entries per feature set and `MODE` value
/// fn scaled(x: u64) -> String {
///     format!("{}:{}", MODE.unwrap_or("default"), kernel(x))
/// }
/// ```
///
/// Limits: where the build's files do not reveal a path dependency's
/// build-script output (no readable compiler command line, a target
/// directory not laid out as cargo lays it out, several runs of that
/// script cargo's files do not tell apart), the build warns once, the
/// dependency is listed by `unresolved()` (so `strict` refuses) and
/// results may be stale after that output changes: bump `version` then.
/// The same holds for a build script of a path proc-macro crate (its
/// sources count, not its `OUT_DIR`). The `cfg` of another package (a
/// path dependency) cannot be evaluated from your crate — its features are its own — so its gated
/// items always count (editing either side recomputes), and what the
/// workspace's manifests ask of dependencies (`features = [..]`,
/// `default-features`, `optional`, and each package's `[features]` table)
/// is part of the fingerprint of a function that reaches such an item.
/// A predicate of its that names no `feature` (`target_feature = "avx2"`,
/// `unix`, `panic = "abort"`, a `--cfg` of `RUSTFLAGS`) has the same
/// answer in your crate, so that answer counts as well: `RUSTFLAGS="-C
/// target-feature=+avx2"` stores apart. `test` is false in a dependency
/// and in another crate of your package (the lib a bin or an integration
/// test uses is built without `--test`): their `#[cfg(test)]` items, test
/// modules in files of their own (`#[cfg(test)] mod tests;`) included, are
/// no part of the closure. The features cargo enabled for each direct
/// dependency of your crate that the function reaches count — a registry
/// or git crate it names; a path dependency when the reached code has a
/// `cfg` naming a feature or its features ask something of its own
/// dependencies (`x = ["serde_json/preserve_order"]`, an optional
/// dependency) — whether a manifest, cargo's command line (`cargo build
/// --features dep/x`) or another member the build selects asked for them:
/// the macro reads them from cargo's record of that
/// dependency's build (`<target>/<profile>/.fingerprint/<package>-<hash>/`,
/// the unit rustc's `--extern` names), by feature name only. Where that
/// record is not found (no readable compiler command line, a target
/// directory not laid out as cargo lays it out) they count as `unknown`,
/// and a feature given on the command line is not seen: bump `version`.
/// `funcache-cli` reads the source
/// without building it: it judges such a fingerprint under the build that
/// stored it (the runtime records that build's answers beside it — a
/// variable's value as a digest, the compiler and target as text), and
/// reports `unknown` (kept by `purge --stale`) when those answers do not
/// settle it, e.g. for code generated into `OUT_DIR`; `explain` lists what
/// the fingerprint depends on. Where no record is at hand (`purge --remote
/// --stale`), it enumerates the `cfg` answers under the compiler and target
/// the CLI itself was built with, so another toolchain's entries there
/// count as stale. State outside the arguments is not seen: a `static`
/// with interior mutability (`AtomicU32`, `Mutex`) written by code the
/// function does not reach changes results without changing the
/// fingerprint — as in every memoizer, such state must be an argument.
/// `cargo build -p a` and `cargo build --workspace` can unify the
/// features of a crate the function reaches only through another
/// dependency differently (another member asks for one) under the same
/// fingerprint: build one way, or bump `version`. A file or an
/// environment variable named by a value the source does not spell out
/// where it is read is not seen either: `include_str!($path)` in a
/// `macro_rules!` body given a path at each call, or
/// `option_env!(concat!("A_", "B"))` — bump `version` when those change.
///
/// # Dependencies
///
/// * **Path dependencies** are indexed like your crate: the items the
///   function reaches in them count, item by item.
/// * **Proc-macro path dependencies**: when an item the function reaches
///   uses a derive or an attribute macro of a path-dependency proc-macro
///   crate (`#[derive(pm::Weight)]`, `#[pm::plus]`), every source file of
///   that crate (and of its path dependencies) counts, since the code it
///   generates is a function of them. A function-like `pm::val!()` counts
///   through the macro function it names, like any call.
/// * **Registry and git dependencies** count by identity from `Cargo.lock`:
///   `name@version` for crates.io, `name@version@source` for any other
///   registry and for git, whose source names the commit
///   (`git+https://…#<commit>`), so a new commit picked up by `cargo update`
///   is a miss though the version stays. Their code is not read.
/// * **Their features**: cargo builds one copy of a registry or git crate
///   with the union of the features every package depending on it asks
///   for. For each one the function reaches, its reverse dependencies in
///   `Cargo.lock` count — registry and git ones by `name@version@source`
///   (their manifests are fixed per version), path ones (your workspace's
///   members, path dependencies) by their `[features]` table and every
///   dependency declaration (`features`, `default-features`, `optional`,
///   target-specific tables kept apart), never by path. So asking
///   `serde_json` for `preserve_order` in any manifest that reaches it, or
///   a new crate depending on it after `cargo update`, is a miss. So is
///   asking it on cargo's command line (`cargo build --features
///   serde_json/preserve_order`) when your crate depends on it directly
///   (see the limits of build inputs above). Not seen: features the
///   command line turns on for a crate the function reaches only through
///   another dependency (`-p other --features x`, where `other` asks it
///   of that crate): bump `version`. Crates the function does
///   not reach by name (a dependency of a dependency whose features change
///   the dependency's behaviour) count only through the dependency's
///   identity.
/// * **`[patch]` and `[replace]` with a `path`** (a lock entry without a
///   source): every source file of the patched package (and its path
///   dependencies) counts, by contents, not location.
///
/// # Requirements
///
/// * Every argument in the key implements `serde::Serialize` (references
///   are fine).
/// * The return type implements `serde::Serialize` and
///   `serde::de::DeserializeOwned` (see [Values](#values) for which of
///   those are stored); with the memory tier on (the default) it is also
///   `Clone + Send + Sync + 'static`.
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
///   `dependencies()`. Once calls have returned, `hits + misses` is the
///   number of calls (a call whose body panicked is a miss);
/// * `f_peek(..)` returns `Some` of what a call with these arguments
///   would return from the cache (memory tier, then disk, then the remote
///   tier if one is configured: a network round trip, bounded by its
///   timeout; a remote hit is not copied to the local tiers), or `None`:
///   it never runs the body, counts neither a hit nor a miss, and leaves
///   the LRU order as it is. It is a plain `fn` even for an `async fn`.
///   For a `Result` return type it answers `Some(Ok(..))` or `None` (an
///   `Err` is not stored); with [`cache_errors`](#cache_errors), a stored
///   `Err` too: `Some(Err(..))`.
///
/// ```no_run
/// #[funcache::cache]
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// assert_eq!(square_peek(4), None); // nothing stored, nothing run
/// square(4);
/// square(4);
/// let info = square_cache().info();
/// assert_eq!((info.hits, info.misses), (1, 1));
/// assert_eq!(square_peek(4), Some(16)); // not counted
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
/// `functools.lru_cache`). The tier holds exactly the `N` most recently used
/// entries: two passes over `N` keys make the second pass `N` memory hits.
/// `memory = 0` turns the tier off: every call reads the disk, and the
/// return type need not be `Clone`.
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
/// `skip` of a function argument is refused: which function is passed
/// usually decides the result, and skipping it would serve the result
/// computed with one function for another. See
/// [Function arguments](#function-arguments) and `skip_fn`. When the
/// signature does not show that an argument is a function (`type Op =
/// fn(u64) -> u64`) and a function pointer, closure or `dyn Fn` is passed,
/// the call runs uncached, with one warning: use `skip_fn` for such an
/// argument.
///
/// `skip` leaves out a whole argument. A *field* left out of an argument's
/// serialization (`#[serde(skip)]`) is another matter: see `trust_serde`
/// below.
///
/// ## `skip_fn(arg, ...)`
///
/// Leaves function arguments out of the key, promising that the result
/// does not depend on which function is passed — a progress or logging
/// callback. For arguments whose type is or holds a function (`impl
/// Fn(..)`, `F: Fn(..)`, `fn(..)`, `dyn Fn(..)`, `Option<F>` …), and for
/// one whose type does not show it (an alias `type Op = fn(u64) -> u64`).
/// On any argument it leaves the argument out as `skip` does, without the
/// run-time check `skip` makes that no function is passed.
///
/// ```no_run
/// #[funcache::cache(skip_fn(log))]
/// fn checksum(data: &[u8], log: fn(&str)) -> u64 {
///     log("summing");
///     data.iter().map(|&b| b as u64).sum()
/// }
/// ```
///
/// ## `trust_serde(arg, ...)`
///
/// Arguments are keyed by their serde serialization, so two values that
/// serialize alike are one key, and one is served the other's result. A
/// serde attribute on a type an argument reaches (through the fields and
/// aliases of the crate and its path dependencies, matched by name) that can
/// make different values serialize alike — `#[serde(skip)]`,
/// `skip_serializing`, `skip_serializing_if`, `serialize_with`, `with`,
/// `into`, `untagged` (`Meters(3)` and `Feet(3)` both write `3`) or
/// `flatten` — makes the call run uncached, with one warning naming the
/// type and the attribute; under `strict` it is a compile error at the
/// argument. The result is always right; only the caching is lost.
///
/// `trust_serde(arg)` keys such an argument by its serialization anyway:
/// the promise that **values that serialize alike give the same result** —
/// a skipped field must not affect the result (a label for logs, a cache
/// of its own, a handle), and a custom serialization must keep every
/// difference the function sees.
///
/// ```no_run
/// #[derive(serde::Serialize)]
/// struct Job {
///     size: u32,
///     #[serde(skip)] // only printed in logs
///     label: String,
/// }
///
/// #[funcache::cache(trust_serde(job))]
/// fn plan(job: &Job) -> u32 {
///     eprintln!("planning {}", job.label);
///     job.size * 2
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
/// ## `strict`
///
/// Makes every reference the index cannot resolve a compile error, at the
/// reference when it is in the function itself — for functions whose
/// results must never be served stale. A function the index cannot analyze
/// at all is an error too, which is why this example is not a doctest (a
/// doctest's code is in no source file of a crate).
///
/// ```ignore
/// fn helper(x: u64) -> u64 {
///     x + 1
/// }
///
/// #[funcache::cache(strict)]
/// fn audited(x: u64) -> u64 {
///     helper(x) * 2
/// }
/// ```
///
/// ## `ttl = "7d"`
///
/// How long a stored result may be served (humantime syntax: `"90s"`,
/// `"12h"`, `"7d"`; a second or more). An older result is a miss: the
/// function runs and its result replaces the old one. For results that
/// depend on the outside world (a price, a remote file) as well as on the
/// source. Age is measured from when the value was computed, by the clock
/// of the machine reading it. A function with a `ttl` has no memory tier:
/// every call reads the disk tier, which checks the age. `ttl` is not part
/// of the fingerprint: changing it keeps the stored results. Expired
/// results are also removed, read again or not: when a program opens the
/// cache directory (in the background), first when the size limit evicts,
/// and by `funcache-cli purge` (the program records its functions' ttls in
/// the directory for that).
///
/// ```no_run
/// #[funcache::cache(ttl = "1h")]
/// fn exchange_rate(currency: &str) -> f64 {
///     // ... ask a remote service ...
/// #   let _ = currency;
/// #   1.0
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
/// ## Caller types the fingerprint cannot see
///
/// The fingerprint is computed when the function's crate compiles, from
/// that crate and its path dependencies. A caller in a crate that depends
/// on it can pass a type of its own, with its own impl of a bound trait:
///
/// ```ignore
/// // crate `weights`
/// pub trait Weigh { fn weight(&self) -> u64; }
///
/// #[funcache::cache]
/// pub fn total<T: Weigh + Serialize + DeserializeOwned + Clone + Send + Sync + 'static>(
///     items: Vec<T>,
/// ) -> u64 {
///     items.iter().map(|i| i.weight()).sum()
/// }
///
/// // crate `app`, which depends on `weights`
/// #[derive(Clone, Serialize, Deserialize)]
/// struct Item(u64);
/// impl weights::Weigh for Item { fn weight(&self) -> u64 { self.0 * 2 } }
///
/// weights::total(vec![Item(1), Item(2)]); // runs uncached, with one warning
/// weights::total(vec![3u64, 4]);          // cached
/// ```
///
/// Editing `impl Weigh for Item` cannot change the fingerprint of `total`,
/// so such a call is never keyed: it runs uncached, with one warning per
/// function. A call is keyed only when every type its type arguments name
/// (`Vec<app::Item>` names `app::Item`; tuples, arrays, references and the
/// traits of a `dyn` count too) is a struct, enum, union or trait written
/// in the function's crate or its path dependencies, a type of std, or a
/// type of an external crate whose version the fingerprint has (with a
/// std or external bound, such as `Serialize`, every dependency's). Not
/// keyed: types of crates that depend on the function's — including a
/// binary of the same package, whose types print the lib's crate name —
/// types written by a macro, closures, function items, types nested in a
/// trait impl's method, and types of crates the function's crate does not
/// depend on directly. To cache such calls, write the type (or its impls
/// of the bound traits) in the function's crate. (A type parameter bound
/// by `Fn`, `FnMut` or `FnOnce` is a function argument's type, keyed as
/// [Function arguments](#function-arguments) says.) `strict` cannot refuse
/// these at compile time, since the callers are not compiled yet: under
/// `strict` too they run uncached, as calls whose type name is ambiguous
/// do (see [Types named alike](#types-named-alike)).
///
/// # Function arguments
///
/// A function passed to a cached function is keyed by which function it is
/// and by its source: `apply(double, 10)` and `apply(triple, 10)` are two
/// entries, and editing `double` — or anything it reaches — invalidates the
/// results computed with it, and only those. Take the argument as a
/// generic function: `f: F` with `F: Fn(..)`, `f: impl Fn(..)`, or a
/// parameter that is a reference to one (`f: &F`, `f: &impl Fn(..)`); a
/// reference passed for `F` (`apply(&double, 10)`) works too, as an entry
/// of its own. The function item's type names its path, and the attribute
/// embeds the fingerprint of every function written in the source of the
/// crate or of its path dependencies that is used as a value somewhere in
/// them: free functions, nested ones and inherent associated functions.
///
/// `std::any::type_name` prints a path, and one path can name several
/// functions: `op` written in two blocks of one function, or a function
/// nested in `fn a` beside one in `mod a`. Such a path is ambiguous, and a
/// call with one of those functions runs uncached, with one warning;
/// rename one of them to cache it. Two nested *cached* functions with one
/// path (`greet` in two blocks of `run`) are located by where they are
/// written, so their fingerprints are their own, and the later one's id
/// names its block (`my_crate::run::greet#2`).
///
/// ```no_run
/// fn double(x: u64) -> u64 { x * 2 }
/// fn triple(x: u64) -> u64 { x * 3 }
///
/// #[funcache::cache]
/// fn apply<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 {
///     f(x)
/// }
///
/// assert_eq!(apply(double, 10), 20);
/// assert_eq!(apply(triple, 10), 30);
/// ```
///
/// What cannot be identified is never confused with something else:
///
/// * a **closure** (its type is named after the function it is written
///   in, shared by every closure there), a trait method, a function written
///   by a macro, a function of a registry dependency, or an ambiguous path
///   (above): the call runs uncached, with one warning;
/// * a **function pointer** (`fn(u64) -> u64`), a **`dyn Fn`**, or a type
///   that holds a function (`Option<F>`, `Vec<fn()>`): a compile error,
///   since which function it is is never known. Make the argument generic,
///   or use `skip_fn` if the result does not depend on it;
/// * a function pointer behind an alias (`type Op = fn(u64) -> u64`): the
///   signature does not show it, so rustc reports the missing `Serialize`;
///   use `skip_fn` if the result does not depend on it.
///
/// # Sets in arguments
///
/// A `HashSet` iterates in another order in every process (and after
/// every rehash), and serde hands it over as a plain sequence. The key
/// therefore recognises unordered sets by their type wherever they sit in
/// the arguments — the argument itself, a struct field, an `Option`, a
/// newtype, behind a `type Tags = HashSet<String>` alias — and keys them
/// by their sorted element digests: equal sets give equal keys. Recognised:
/// std's `HashSet` (any hasher, so `FxHashSet` too), hashbrown's, `ahash`'s
/// `AHashSet`, `dashmap`'s `DashSet`, `im`'s `HashSet`. `BTreeSet`,
/// `Vec` and other sequences keep their order. Another set type whose
/// order varies must be passed sorted.
///
/// Maps alike: the unordered ones — std's `HashMap` (any hasher),
/// hashbrown's, `AHashMap`, `DashMap`, `im`'s, also behind a `Box`, `Rc`,
/// `Arc` or `Cow` — are keyed by their sorted entries, so equal maps hit
/// whatever their insertion order. Every other map keeps its order: an
/// `IndexMap`, a `BTreeMap`, pairs written with `collect_map`. The order
/// of an ordered map is part of its value (`first_key(&map)`), and keying
/// it sorted would serve `{b, a}` the result of `{a, b}`.
///
/// A hand-written `Serialize` hides the set's type from the key: one that
/// writes a `HashSet` (or a `HashMap`'s entries) as a sequence in iteration
/// order (`s.collect_seq(self.0.iter())`) gives equal values different
/// keys, and their calls miss. The run time cannot see this (a value
/// serializes alike twice in one process), so the attribute looks in the
/// source: when an argument's type reaches, through the fields and aliases
/// of the crate and its path dependencies (matched by name), a type whose
/// hand-written `Serialize` mentions such a collection and does not sort
/// (`sort*`, `BTreeSet`/`BTreeMap`, `collect_map`/`serialize_map`), the
/// first call warns once. The call is still cached: a fixed order hits.
/// One that writes a `HashMap` as a map (`serialize_map`, `collect_map`)
/// makes every map of that argument keyed by its sorted entries. Hand-written
/// impls in registry crates are not seen.
///
/// ```no_run
/// use std::collections::HashSet;
///
/// #[derive(serde::Serialize)]
/// struct Query {
///     tags: HashSet<String>,
/// }
///
/// #[funcache::cache]
/// fn matching(query: &Query) -> usize {
///     query.tags.len()
/// }
/// ```
///
/// # Types named alike
///
/// A generic function is keyed by the `std::any::type_name` of its type
/// arguments (and of `Self` in a generic impl), which prints a path. One
/// path can name several types: a `struct P` in each of two blocks of
/// `main` are both `my_crate::main::P`. A call whose type name mentions
/// such a path runs uncached, with one warning; rename one of the types to
/// cache it.
///
/// # Nested functions
///
/// A cached function may be written inside another function. Its id and
/// its fingerprint name the functions it is in (`my_crate::english::greet`),
/// so two nested functions with the same name and tokens in different
/// functions never share results. Names in it resolve as rustc resolves
/// them: through the blocks around it, innermost first (items and `use`s
/// written in those blocks, globs last), then its module. The items it
/// reaches there — a local `fn`, `const`, `struct` and its impls — are
/// part of its fingerprint like any other item; the rest of the enclosing
/// function is not.
///
/// ```no_run
/// fn english() -> String {
///     fn word() -> &'static str {
///         "hello"
///     }
///     #[funcache::cache]
///     fn greet(n: u32) -> String {
///         format!("{} #{n}", word())
///     }
///     greet(1)
/// }
/// ```
///
/// # Values
///
/// A result is stored only if it comes back equal: its stored bytes must
/// decode to a value that serde sees as the same (the same canonical
/// encoding — the one arguments are keyed by — so a `HashMap` read back in
/// another order is equal, and so is a `HashSet`, as in
/// [keys](#sets-in-arguments)) **and**, where the stored type implements
/// `PartialEq`, that is equal to the computed one by `PartialEq`. Two
/// encodings are tried, and the one used is recorded with the entry (an
/// entry written by an encoding this build does not know is a miss):
///
/// * **postcard**, compact and fast, for most types;
/// * **MessagePack**, self-describing, for types whose serde impls must see
///   what comes next, which postcard cannot tell them: internally tagged
///   (`#[serde(tag = "kind")]`) and untagged enums, `#[serde(flatten)]`,
///   `skip_serializing_if`, `serde_json::Value`. Measured on 1,000 rows
///   of four fields: reading back takes 1.6× postcard's time, storing
///   1.2×; on one row, no difference (the `values` section of
///   `funcache-bench`). One serde limit: a value with a `u128` or `i128`
///   anywhere inside an internally tagged or untagged enum, or inside a
///   field marked `#[serde(flatten)]`, is never stored (serde reads those
///   through a buffer that has no 128-bit integers, and a warning says
///   so); elsewhere, in the other fields of such a struct too, 128-bit
///   integers are stored.
///
/// **Why `PartialEq` too.** An encoding can lose what tells two values
/// apart: the variants of an untagged enum that hold the same data
/// serialize alike (`Meters(3)` and `Feet(3)` are both `3`, and read back
/// as the first variant that fits), and a `#[serde(skip)]` field is not
/// written at all. With `PartialEq` such a value is refused, and returned
/// as computed. Without it, the value is checked by its serde encoding
/// only: an untagged enum whose variants serialize alike can come back as
/// another variant, from every tier and on the first call too — derive
/// `PartialEq` to have it checked. A value unequal to itself (one holding
/// a `NaN`) is checked by its encoding only, since `PartialEq` would
/// refuse it whatever it decoded to. The check is chosen on the return
/// type where the function is compiled (`memoize!` alike): in a generic
/// function it applies only if the bounds make the return type
/// `PartialEq` (`T: PartialEq` for `-> Vec<T>`).
///
/// **Every call returns the stored value** — the value as decoded from its
/// bytes — the call that ran the body included. So no caller can tell which
/// tier answered, or whether the body ran: a field marked `#[serde(skip)]`
/// has its `Default` value in every call, in every process — if the type
/// has no `PartialEq`. With one, a value whose skipped field does not hold
/// its default is not equal to what decodes, so it is stored in no tier
/// and returned as computed.
///
/// ```no_run
/// #[derive(Clone, serde::Serialize, serde::Deserialize)] // no `PartialEq`
/// struct Model {
///     weights: Vec<f64>,
///     #[serde(skip)]
///     trained: bool,
/// }
///
/// #[funcache::cache]
/// fn train(n: usize) -> Model {
///     Model { weights: vec![0.5; n], trained: true }
/// }
///
/// assert!(!train(3).trained); // what the cache holds, on the first call too
/// ```
///
/// A value whose serde impls do not round-trip — a `Deserialize` that does
/// not read what `Serialize` wrote, or a value refused by `PartialEq` — is
/// returned as computed and stored in no tier: every call computes it, and
/// a warning says why (once). `skip_serializing_if` on a field without
/// `#[serde(default)]` is such a case when the field is skipped, unless it
/// is an `Option` (serde reads a missing `Option` as `None`, so
/// `skip_serializing_if = "Option::is_none"` round-trips): a skipped `Vec`
/// or `String` is missing when read back, and that value is not stored. With
/// `FUNCACHE_DISABLE=1` no tier is used, and every call returns the value
/// its body computed, as `f_uncached` does.
///
/// # Concurrent calls
///
/// Within a process, calls with the same arguments share one computation:
/// the first call that misses runs the body, the others wait and return its
/// result (counted as hits). If the body panics, the waiters are released and
/// compute the value themselves. A thread waits at most 60 s (two threads
/// whose computations wait for each other would otherwise wait forever), then
/// computes itself; a recursive call with the same arguments does not wait
/// for itself. Calls of an `async fn` wait without blocking their thread,
/// for as long as the computing call's future is alive (dropping it releases
/// them).
///
/// Separate processes on one cache directory wait for each other too: the
/// call that computes holds an OS lock on its entry until the value is
/// stored, and a call in another process that missed waits for it (at most
/// `FUNCACHE_LOCK_WAIT`, default 2 minutes), then reads the stored value.
/// The OS releases the lock when the computing process dies. An `async fn`
/// waits for it too, without blocking its thread: funcache depends on no
/// async runtime, so the wait for a lock another process holds runs on a
/// short-lived thread of its own, which the call awaits (any executor).
///
/// # Environment
///
/// * `FUNCACHE_DIR` — the cache directory.
/// * `FUNCACHE_REFRESH=1` — recompute and overwrite on every call.
/// * `FUNCACHE_DISABLE=1` — bypass every tier.
/// * `FUNCACHE_READONLY=1` — serve hits, never write (untrusted CI jobs,
///   read-only directories).
/// * `FUNCACHE_DURABILITY=batch|sync|lazy` — when results are synced to
///   disk: in background batches at most 0.5 s after the write (default),
///   before each call returns, or only by `funcache::flush()`. A result is
///   committed before its call returns in every mode, so a process crash
///   loses nothing; an OS crash can lose the last unsynced results, which
///   are then recomputed.
/// * `FUNCACHE_MAX_SIZE=2GiB` — the most the cache directory may hold
///   (database pages in use plus large-value files); past it, programs
///   evict the least recently used entries of every function
///   (`funcache::set_max_size` in code). Reads are recorded by sampling,
///   so "recently used" is approximate.
/// * `FUNCACHE_LOCK_WAIT=30s` — how long a call waits for another process
///   that computes the same value before computing it itself (default 2m).
///
/// # Failures
///
/// A cache that cannot be used — a directory that is unwritable or corrupt,
/// a stored value that no longer decodes or fails its checksum,
/// an argument whose `Serialize` fails — is never the caller's failure: the
/// function runs, its correct result is returned, and a `tracing` warning
/// (once per function and cause) says why. A panic in the body is not
/// cached.
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
/// `memory`, `version`, `ttl`, `cache_errors`, `strict` and `crate` work as on
/// the attribute. `skip` is not available (annotate the function instead),
/// nor are `async fn`s or functions of more than 8 arguments.
#[proc_macro]
pub fn memoize(input: TokenStream) -> TokenStream {
    memoize::memoize(input.into()).into()
}
