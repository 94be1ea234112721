//! `#[funcache::cache]` in-process: every kind of function it accepts, its
//! companions, options and the `Result` policy.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use serde::{Deserialize, Serialize};

/// Every test in this binary shares one fresh cache directory; functions
/// have distinct ids, so they do not see each other's entries.
fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        funcache::set_cache_dir(dir.join("cache")).unwrap();
    });
}

/// Polls a future that never actually waits to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::yield_now();
    }
}

static SQUARE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn square(x: u64) -> u64 {
    SQUARE_RUNS.fetch_add(1, Ordering::SeqCst);
    x * x
}

#[test]
fn free_function_and_companions() {
    setup();
    assert_eq!(square(3), 9);
    assert_eq!(square(3), 9);
    assert_eq!(square(4), 16);
    assert_eq!(SQUARE_RUNS.load(Ordering::SeqCst), 2);
    let info = square_cache().info();
    assert_eq!(
        (info.hits, info.misses, info.currsize, info.maxsize),
        (1, 2, 2, 128)
    );

    assert_eq!(square_uncached(3), 9);
    assert_eq!(
        SQUARE_RUNS.load(Ordering::SeqCst),
        3,
        "uncached always runs"
    );
    assert_eq!(square_cache().info().misses, 2, "and is not counted");

    assert_eq!(square_refresh(3), 9);
    assert_eq!(SQUARE_RUNS.load(Ordering::SeqCst), 4, "refresh always runs");

    assert!(
        square_cache().id().ends_with("::square"),
        "{}",
        square_cache().id()
    );
    let paths: Vec<&str> = square_cache()
        .dependencies()
        .iter()
        .map(|d| d.path())
        .collect();
    assert_eq!(
        paths,
        ["crate::SQUARE_RUNS", "crate::square"],
        "the static it reads is a dependency"
    );
    assert!(
        square_cache().unresolved().is_empty(),
        "{:?}",
        square_cache().unresolved()
    );
    square_cache().clear().unwrap();
    assert_eq!(square(3), 9);
    assert_eq!(
        SQUARE_RUNS.load(Ordering::SeqCst),
        5,
        "cleared, so recomputed"
    );
}

static TOTAL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn total(prices: &HashMap<String, u32>) -> u32 {
    TOTAL_RUNS.fetch_add(1, Ordering::SeqCst);
    prices.values().sum()
}

#[test]
fn hashmap_arguments_key_by_content() {
    setup();
    let a: HashMap<String, u32> = (0..20).map(|i| (format!("item{i}"), i)).collect();
    let mut b = HashMap::with_capacity(256);
    for i in (0..20).rev() {
        b.insert(format!("item{i}"), i);
    }
    assert_eq!(total(&a), 190);
    assert_eq!(total(&b), 190);
    assert_eq!(TOTAL_RUNS.load(Ordering::SeqCst), 1);
}

static PARSE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn parse_number<T>(text: &str) -> Option<T>
where
    T: std::str::FromStr + Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    PARSE_RUNS.fetch_add(1, Ordering::SeqCst);
    text.parse().ok()
}

#[test]
fn generic_instantiations_never_share_entries() {
    setup();
    assert_eq!(parse_number::<u8>("200"), Some(200u8));
    assert_eq!(parse_number::<i64>("200"), Some(200i64));
    assert_eq!(parse_number::<u8>("300"), None);
    assert_eq!(parse_number::<u16>("300"), Some(300u16));
    assert_eq!(parse_number::<u8>("200"), Some(200u8));
    assert_eq!(PARSE_RUNS.load(Ordering::SeqCst), 4);
}

static FILL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn filled<const N: usize>(value: u8) -> Vec<u8> {
    FILL_RUNS.fetch_add(1, Ordering::SeqCst);
    vec![value; N]
}

#[test]
fn const_generics_are_part_of_the_key() {
    setup();
    assert_eq!(filled::<2>(1), vec![1, 1]);
    assert_eq!(filled::<3>(1), vec![1, 1, 1]);
    assert_eq!(filled::<2>(1), vec![1, 1]);
    assert_eq!(FILL_RUNS.load(Ordering::SeqCst), 2);
}

static DOUBLE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn double_display(value: impl std::fmt::Display + Serialize) -> String {
    DOUBLE_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{value}{value}")
}

#[test]
fn impl_trait_arguments_key_by_concrete_type() {
    setup();
    assert_eq!(double_display(1u8), "11");
    assert_eq!(double_display(1u16), "11");
    assert_eq!(double_display(1u8), "11");
    assert_eq!(DOUBLE_RUNS.load(Ordering::SeqCst), 2);
}

static FETCH_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
async fn fetch(id: u32) -> String {
    FETCH_RUNS.fetch_add(1, Ordering::SeqCst);
    std::future::ready(()).await;
    format!("record {id}")
}

#[test]
fn async_functions() {
    setup();
    assert_eq!(block_on(fetch(1)), "record 1");
    assert_eq!(block_on(fetch(1)), "record 1");
    assert_eq!(block_on(fetch_uncached(1)), "record 1");
    assert_eq!(FETCH_RUNS.load(Ordering::SeqCst), 2);
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Debug)]
struct Model {
    weights: Vec<i64>,
}

static SCORE_RUNS: AtomicUsize = AtomicUsize::new(0);
static BUILD_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Model {
    #[funcache::cache]
    fn score(&self, x: i64) -> i64 {
        SCORE_RUNS.fetch_add(1, Ordering::SeqCst);
        self.weights.iter().map(|w| w * x).sum()
    }

    #[funcache::cache]
    fn build(size: usize) -> Self {
        BUILD_RUNS.fetch_add(1, Ordering::SeqCst);
        Model {
            weights: (0..size as i64).collect(),
        }
    }
}

#[test]
fn methods_key_on_self_and_associated_functions_work() {
    setup();
    let small = Model {
        weights: vec![1, 2],
    };
    let large = Model {
        weights: vec![10, 20],
    };
    assert_eq!(small.score(2), 6);
    assert_eq!(large.score(2), 60);
    assert_eq!(small.score(2), 6);
    assert_eq!(
        SCORE_RUNS.load(Ordering::SeqCst),
        2,
        "self is part of the key"
    );
    assert_eq!(Model::score_cache().info().hits, 1);

    assert_eq!(
        Model::build(3),
        Model {
            weights: vec![0, 1, 2]
        }
    );
    assert_eq!(
        Model::build(3),
        Model {
            weights: vec![0, 1, 2]
        }
    );
    assert_eq!(BUILD_RUNS.load(Ordering::SeqCst), 1);
}

struct Connection {
    queries: usize,
}

static LOOKUP_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(skip(conn))]
fn lookup(conn: &mut Connection, user: u32) -> String {
    LOOKUP_RUNS.fetch_add(1, Ordering::SeqCst);
    conn.queries += 1;
    format!("user-{user}")
}

#[test]
fn skipped_arguments_are_passed_but_not_keyed() {
    setup();
    let mut first = Connection { queries: 0 };
    let mut second = Connection { queries: 100 };
    assert_eq!(lookup(&mut first, 7), "user-7");
    assert_eq!(lookup(&mut second, 7), "user-7");
    assert_eq!(LOOKUP_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!((first.queries, second.queries), (1, 100));
}

static CHECK_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn check(value: i32) -> Result<i32, String> {
    CHECK_RUNS.fetch_add(1, Ordering::SeqCst);
    if value < 0 {
        Err(format!("{value} is negative"))
    } else {
        Ok(value)
    }
}

static STRICT_CHECK_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(cache_errors)]
fn check_keeping_errors(value: i32) -> Result<i32, String> {
    STRICT_CHECK_RUNS.fetch_add(1, Ordering::SeqCst);
    if value < 0 {
        Err(format!("{value} is negative"))
    } else {
        Ok(value)
    }
}

type IoResult<T> = std::io::Result<T>;

static IO_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(memory = 0)]
fn read_flag(fail: bool) -> IoResult<u8> {
    IO_RUNS.fetch_add(1, Ordering::SeqCst);
    if fail {
        Err(std::io::Error::other("boom"))
    } else {
        Ok(1)
    }
}

#[test]
fn only_ok_results_are_stored_unless_cache_errors() {
    setup();
    assert!(check(-1).is_err());
    assert!(check(-1).is_err());
    assert_eq!(CHECK_RUNS.load(Ordering::SeqCst), 2, "errors are retried");
    assert_eq!(check(1), Ok(1));
    assert_eq!(check(1), Ok(1));
    assert_eq!(CHECK_RUNS.load(Ordering::SeqCst), 3, "ok values are stored");

    assert!(check_keeping_errors(-1).is_err());
    assert!(check_keeping_errors(-1).is_err());
    assert_eq!(
        STRICT_CHECK_RUNS.load(Ordering::SeqCst),
        1,
        "cache_errors stores Err"
    );
}

#[test]
fn result_policy_sees_through_type_aliases() {
    setup();
    // io::Error is not serializable, which is fine: Err is never stored.
    assert!(read_flag(true).is_err());
    assert!(read_flag(true).is_err());
    assert_eq!(read_flag(false).unwrap(), 1);
    assert_eq!(read_flag(false).unwrap(), 1);
    assert_eq!(IO_RUNS.load(Ordering::SeqCst), 3);
}

#[funcache::cache(version = 1)]
fn salted_one() -> u8 {
    1
}

mod other_version {
    #[funcache::cache(version = 2)]
    pub fn salted_one() -> u8 {
        1
    }
}

#[test]
fn version_changes_the_fingerprint() {
    setup();
    assert_eq!(salted_one() + other_version::salted_one(), 2);
    assert_ne!(
        salted_one_cache().fingerprint(),
        other_version::salted_one_cache().fingerprint()
    );
}

static PANIC_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn panics_first(x: u8) -> u8 {
    if PANIC_RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
        panic!("first call fails");
    }
    x
}

#[test]
fn panics_are_not_cached() {
    setup();
    assert!(std::panic::catch_unwind(|| panics_first(1)).is_err());
    assert_eq!(panics_first(1), 1);
    assert_eq!(panics_first(1), 1);
    assert_eq!(PANIC_RUNS.load(Ordering::SeqCst), 2);
}

static PATTERN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn area((width, height): (u32, u32), mut scale: u32) -> u32 {
    PATTERN_RUNS.fetch_add(1, Ordering::SeqCst);
    scale += 0;
    width * height * scale
}

#[test]
fn destructuring_and_mut_parameters() {
    setup();
    assert_eq!(area((2, 3), 1), 6);
    assert_eq!(area((2, 3), 1), 6);
    assert_eq!(area((3, 2), 1), 6);
    assert_eq!(PATTERN_RUNS.load(Ordering::SeqCst), 2);
}

static HELPER_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Model {
    /// An associated function whose signature never mentions `Self`: only
    /// the index can tell the macro it is inside an impl.
    #[funcache::cache]
    fn scale(x: i64) -> i64 {
        HELPER_RUNS.fetch_add(1, Ordering::SeqCst);
        x * 100
    }
}

#[test]
fn associated_functions_without_self_and_ids_with_the_type() {
    setup();
    assert_eq!(Model::scale(2), 200);
    assert_eq!(Model::scale(2), 200);
    assert_eq!(HELPER_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(Model::scale_cache().id(), "attribute::Model::scale");
    assert_eq!(Model::score_cache().id(), "attribute::Model::score");
    assert_eq!(square_cache().id(), "attribute::square");
}

#[derive(Clone, Serialize, Deserialize)]
struct Wrapper<T> {
    items: Vec<T>,
}

static LEN_RUNS: AtomicUsize = AtomicUsize::new(0);

impl<T: Serialize> Wrapper<T> {
    /// In a generic impl the concrete `Self` is part of the key, though the
    /// signature names neither `Self` nor `T`.
    #[funcache::cache]
    fn describe(count: usize) -> String {
        LEN_RUNS.fetch_add(1, Ordering::SeqCst);
        format!("{count} x {}", std::any::type_name::<T>())
    }
}

#[test]
fn generic_impls_key_on_the_concrete_self_type() {
    setup();
    assert_eq!(Wrapper::<u8>::describe(3), "3 x u8");
    assert_eq!(Wrapper::<u16>::describe(3), "3 x u16");
    assert_eq!(Wrapper::<u8>::describe(3), "3 x u8");
    assert_eq!(LEN_RUNS.load(Ordering::SeqCst), 2);
}

trait Scorer {
    fn total(&self) -> i64;
}

static TOTAL_SCORE_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Scorer for Model {
    /// In a trait impl no companion can be added; the method is still
    /// cached.
    #[funcache::cache]
    fn total(&self) -> i64 {
        TOTAL_SCORE_RUNS.fetch_add(1, Ordering::SeqCst);
        self.weights.iter().sum()
    }
}

#[test]
fn trait_impl_methods_are_cached_inline() {
    setup();
    let model = Model {
        weights: vec![4, 5],
    };
    assert_eq!(model.total(), 9);
    assert_eq!(model.total(), 9);
    assert_eq!(TOTAL_SCORE_RUNS.load(Ordering::SeqCst), 1);
}

// Sets inside arguments (issue 9.5): a `HashSet` in a field, behind an
// alias or as the argument itself once missed on every call, silently.
type Tags = std::collections::HashSet<String>;

#[derive(Serialize)]
struct TagQuery {
    tags: Tags,
    limit: u32,
}

static TAG_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn tag_count(query: &TagQuery, extra: std::collections::HashSet<u32>) -> usize {
    TAG_RUNS.fetch_add(1, Ordering::SeqCst);
    query.tags.len().min(query.limit as usize) + extra.len()
}

#[test]
fn hash_sets_inside_arguments_key_by_content() {
    setup();
    let forward = TagQuery {
        tags: (0..40).map(|i| format!("t{i}")).collect(),
        limit: 100,
    };
    let mut backward = TagQuery {
        tags: Tags::with_capacity(512),
        limit: 100,
    };
    for i in (0..40).rev() {
        backward.tags.insert(format!("t{i}"));
    }
    let extra_a: std::collections::HashSet<u32> = (0..30).collect();
    let extra_b: std::collections::HashSet<u32> = (0..30).rev().collect();
    assert_eq!(tag_count(&forward, extra_a.clone()), 70);
    assert_eq!(tag_count(&backward, extra_b), 70);
    assert_eq!(TAG_RUNS.load(Ordering::SeqCst), 1, "equal sets hit");
    backward.tags.insert("new".into());
    assert_eq!(tag_count(&backward, extra_a), 71);
    assert_eq!(TAG_RUNS.load(Ordering::SeqCst), 2, "different sets miss");
}

// Body-level `use` (issue 8.1): a glob of an enum once hid every other path
// of the body from the fingerprint.
#[derive(Clone, Copy)]
enum Kind {
    A,
    B,
}

mod kind_helpers {
    pub fn one() -> u32 {
        1
    }
    pub fn two() -> u32 {
        2
    }
}

#[funcache::cache]
fn kind_glob(a: bool) -> u32 {
    use crate::Kind::*;
    let k = if a { A } else { B };
    match k {
        A => kind_helpers::one(),
        B => crate::kind_helpers::two(),
    }
}

#[test]
fn body_level_use_keeps_every_path_in_the_fingerprint() {
    setup();
    assert_eq!(kind_glob(true), 1);
    let paths: Vec<&str> = kind_glob_cache()
        .dependencies()
        .iter()
        .map(|d| d.path())
        .collect();
    for expected in [
        "crate::Kind",
        "crate::kind_glob",
        "crate::kind_helpers::one",
        "crate::kind_helpers::two",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
    assert!(
        kind_glob_cache().unresolved().is_empty(),
        "{:?}",
        kind_glob_cache().unresolved()
    );
}

// Nested cached fns (issue 9.1): two `greet`s with identical tokens in two
// functions once shared one entry, so `french` served "hello #1".
fn english() -> (String, &'static str) {
    fn word() -> &'static str {
        "hello"
    }
    #[funcache::cache]
    fn greet(n: u32) -> String {
        format!("{} #{n}", word())
    }
    (greet(1), greet_cache().id())
}

fn french() -> (String, &'static str) {
    fn word() -> &'static str {
        "bonjour"
    }
    #[funcache::cache]
    fn greet(n: u32) -> String {
        format!("{} #{n}", word())
    }
    (greet(1), greet_cache().id())
}

#[test]
fn nested_cached_fns_are_told_apart_by_their_enclosing_fn() {
    setup();
    let (en, en_id) = english();
    let (fr, fr_id) = french();
    assert_eq!(format!("{en} | {fr}"), "hello #1 | bonjour #1");
    assert!(en_id.ends_with("::english::greet"), "{en_id}");
    assert!(fr_id.ends_with("::french::greet"), "{fr_id}");
    assert_eq!(english().0, "hello #1");
    assert_eq!(french().0, "bonjour #1");
}

// Functions as arguments (issue 9.2): a named function is keyed by its
// identity (and its source, see the scenario test); a closure cannot be
// identified, so a call with one runs uncached and is never confused with
// another closure's.
fn double(x: u64) -> u64 {
    x * 2
}

fn triple(x: u64) -> u64 {
    x * 3
}

fn plus<const N: u64>(x: u64) -> u64 {
    x + N
}

static APPLY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn apply<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 {
    APPLY_RUNS.fetch_add(1, Ordering::SeqCst);
    f(x)
}

static APPLY_IMPL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn apply_impl(f: &impl Fn(u64) -> u64, x: u64) -> u64 {
    APPLY_IMPL_RUNS.fetch_add(1, Ordering::SeqCst);
    f(x)
}

static LOGGED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(skip_fn(log))]
fn logged(x: u64, log: fn(&str)) -> u64 {
    LOGGED_RUNS.fetch_add(1, Ordering::SeqCst);
    log("computing");
    x + 1
}

#[test]
fn named_functions_as_arguments_key_by_identity() {
    setup();
    assert_eq!(apply(double, 10), 20);
    assert_eq!(apply(triple, 10), 30);
    assert_eq!(apply(double, 10), 20);
    assert_eq!(apply(triple, 10), 30);
    assert_eq!(APPLY_RUNS.load(Ordering::SeqCst), 2);
    // Instantiations of one generic function are told apart.
    assert_eq!(apply(plus::<1>, 10), 11);
    assert_eq!(apply(plus::<2>, 10), 12);
    assert_eq!(apply(plus::<1>, 10), 11);
    assert_eq!(APPLY_RUNS.load(Ordering::SeqCst), 4);
    assert_eq!(apply_impl(&double, 4), 8);
    assert_eq!(apply_impl(&triple, 4), 12);
    assert_eq!(apply_impl(&triple, 4), 12);
    assert_eq!(APPLY_IMPL_RUNS.load(Ordering::SeqCst), 2);
}

static CLOSURE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn apply_closure(f: impl Fn(u64) -> u64, x: u64) -> u64 {
    CLOSURE_RUNS.fetch_add(1, Ordering::SeqCst);
    f(x)
}

#[test]
fn closures_as_arguments_run_uncached_never_confused() {
    setup();
    // With `skip(f)` these once gave `11, 11` and `20, 20`.
    assert_eq!(apply_closure(|x| x + 1, 10), 11);
    assert_eq!(apply_closure(|x| x * 100, 10), 1000);
    for k in [2, 3] {
        assert_eq!(apply_closure(move |x| x * k, 10), 10 * k);
    }
    assert_eq!(apply_closure(|x| x + 1, 10), 11);
    assert_eq!(CLOSURE_RUNS.load(Ordering::SeqCst), 5, "every call ran");
    assert_eq!(apply_closure_cache().info().hits, 0);
}

#[test]
fn skip_fn_leaves_a_function_out_of_the_key() {
    setup();
    fn quiet(_: &str) {}
    fn loud(message: &str) {
        let _ = message.len();
    }
    assert_eq!(logged(1, quiet), 2);
    assert_eq!(logged(1, loud), 2);
    assert_eq!(LOGGED_RUNS.load(Ordering::SeqCst), 1);
}

static GENERIC_LOGGED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(skip_fn(log))]
fn logged_generic<F: Fn(&str)>(x: u64, log: F) -> u64 {
    GENERIC_LOGGED_RUNS.fetch_add(1, Ordering::SeqCst);
    log("computing");
    x + 1
}

// The type parameter of a function argument names no caller type whose
// impls the fingerprint must see (a closure never counts as covered):
// under `skip_fn` a closure still caches.
#[test]
fn skip_fn_of_a_generic_function_argument_caches_a_closure() {
    setup();
    let log = |message: &str| {
        let _ = message.len();
    };
    assert_eq!(logged_generic(1, log), 2);
    assert_eq!(logged_generic(1, log), 2);
    assert_eq!(GENERIC_LOGGED_RUNS.load(Ordering::SeqCst), 1);
}

// A function its type does not reveal (an alias), skipped: never shared.
type Op = fn(u64) -> u64;

static OP_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(skip(op))]
fn apply_op(op: Op, x: u64) -> u64 {
    OP_RUNS.fetch_add(1, Ordering::SeqCst);
    op(x)
}

#[test]
fn skipped_functions_behind_aliases_run_uncached() {
    setup();
    assert_eq!(apply_op(double, 10), 20);
    assert_eq!(apply_op(triple, 10), 30);
    assert_eq!(OP_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(apply_op_cache().info().hits, 0);
}

static RATE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(ttl = "1h")]
fn rate(currency: &str) -> u64 {
    RATE_RUNS.fetch_add(1, Ordering::SeqCst);
    currency.len() as u64
}

/// `ttl`: within it, results are served from disk (no memory tier: the age
/// is checked on every call). Expiry itself is tested in the store, with an
/// injected clock.
#[test]
fn ttl_results_are_served_from_disk_within_it() {
    setup();
    assert_eq!(rate("EUR"), 3);
    assert_eq!(rate("EUR"), 3);
    assert_eq!(RATE_RUNS.load(Ordering::SeqCst), 1);
    let info = rate_cache().info();
    assert_eq!((info.maxsize, info.memory.hits, info.disk.hits), (0, 0, 1));
}

// Two nested fns with one path (issue 9, trial 1): `fn_blocks::op` in two
// blocks of one function shared one table entry, so the second call was
// served the first one's result (`(20, 20)`). A path `type_name` cannot tell
// apart runs uncached.
static BLOCK_APPLY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn apply_in_blocks<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 {
    BLOCK_APPLY_RUNS.fetch_add(1, Ordering::SeqCst);
    f(x)
}

fn fn_blocks() -> (u64, u64) {
    let a = {
        fn op(x: u64) -> u64 {
            x * 2
        }
        apply_in_blocks(op, 10)
    };
    let b = {
        fn op(x: u64) -> u64 {
            x * 3
        }
        apply_in_blocks(op, 10)
    };
    (a, b)
}

#[test]
fn functions_sharing_a_path_are_never_shared() {
    setup();
    assert_eq!(fn_blocks(), (20, 30));
    assert_eq!(fn_blocks(), (20, 30));
    assert_eq!(apply_in_blocks_cache().info().hits, 0);
    assert_eq!(BLOCK_APPLY_RUNS.load(Ordering::SeqCst), 4, "every call ran");
}

// Nested cached fns with identical tokens in sibling blocks of one function
// (issue 9, trial 1): each block's `word` is its own, so they never share
// an entry, and their ids differ.
fn sibling_blocks() -> [(String, &'static str); 2] {
    let a = {
        fn word() -> &'static str {
            "hello"
        }
        #[funcache::cache]
        fn greet(n: u32) -> String {
            format!("{} #{n}", word())
        }
        (greet(1), greet_cache().id())
    };
    let b = {
        fn word() -> &'static str {
            "bonjour"
        }
        #[funcache::cache]
        fn greet(n: u32) -> String {
            format!("{} #{n}", word())
        }
        (greet(1), greet_cache().id())
    };
    [a, b]
}

#[test]
fn nested_cached_fns_in_sibling_blocks_are_told_apart() {
    setup();
    let [(en, en_id), (fr, fr_id)] = sibling_blocks();
    assert_eq!(format!("{en} | {fr}"), "hello #1 | bonjour #1");
    let [(en, _), (fr, _)] = sibling_blocks();
    assert_eq!(format!("{en} | {fr}"), "hello #1 | bonjour #1");
    assert_ne!(en_id, fr_id);
}

// `apply(&double, 10)` (issue 9 trial): the manual said a reference to a
// generic function works; it ran uncached. A reference to a function item
// is keyed as the function.
static REF_APPLY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn apply_ref<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 {
    REF_APPLY_RUNS.fetch_add(1, Ordering::SeqCst);
    f(x)
}

#[test]
#[allow(clippy::needless_borrows_for_generic_args)] // the borrow is the case
fn references_to_named_functions_key_as_the_function() {
    setup();
    assert_eq!(apply_ref(&double, 10), 20);
    assert_eq!(apply_ref(&triple, 10), 30);
    assert_eq!(apply_ref(&double, 10), 20);
    assert_eq!(REF_APPLY_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(apply_ref_cache().info().hits, 1);
}

// `skip_fn` of a function behind an alias (issue 9 trial): refused with
// "use `skip`", while `skip` ran uncached saying "use `skip_fn`". Now
// `skip_fn` leaves it out.
static ALIAS_SKIP_FN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(skip_fn(op))]
fn apply_op_skip_fn(op: Op, x: u64) -> u64 {
    ALIAS_SKIP_FN_RUNS.fetch_add(1, Ordering::SeqCst);
    op(x)
}

#[test]
fn skip_fn_leaves_out_a_function_behind_an_alias() {
    setup();
    assert_eq!(apply_op_skip_fn(double, 10), 20);
    assert_eq!(apply_op_skip_fn(double, 10), 20);
    assert_eq!(ALIAS_SKIP_FN_RUNS.load(Ordering::SeqCst), 1);
}

// Arguments whose serialization loses information (trial after issue 9):
// `Feet(3)` was served `Meters(3)`'s 300, and a struct differing only in
// a `#[serde(skip)]` field was served the other's result. Such calls run
// uncached (one warning), unless `trust_serde` says the attribute is safe.
#[derive(Serialize)]
#[serde(untagged)]
enum Len {
    Meters(u32),
    Feet(u32),
}

static TO_CM_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn to_cm(len: Len) -> u32 {
    TO_CM_RUNS.fetch_add(1, Ordering::SeqCst);
    match len {
        Len::Meters(m) => m * 100,
        Len::Feet(f) => f * 30,
    }
}

#[derive(Serialize)]
struct Scaled {
    base: u32,
    #[serde(skip)]
    factor: u32,
}

#[derive(Serialize)]
struct Measured {
    base: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<u32>,
    #[serde(serialize_with = "as_zero")]
    offset: u32,
}

fn as_zero<S: serde::Serializer>(_: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(0)
}

#[funcache::cache]
fn scaled(s: &Scaled) -> u32 {
    s.base * s.factor
}

#[funcache::cache]
fn measured(m: Option<&Measured>) -> u32 {
    m.map_or(0, |m| m.base + m.extra.unwrap_or(0) + m.offset)
}

#[derive(Serialize)]
struct Job {
    n: u32,
    /// Only for logs: never affects the result.
    #[serde(skip)]
    label: String,
}

static JOB_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(trust_serde(job))]
fn job_double(job: &Job) -> u32 {
    JOB_RUNS.fetch_add(1, Ordering::SeqCst);
    let _ = &job.label;
    job.n * 2
}

#[test]
fn arguments_serialized_lossily_are_never_served_another_ones_result() {
    setup();
    assert_eq!(to_cm(Len::Meters(3)), 300);
    assert_eq!(to_cm(Len::Feet(3)), 90);
    assert_eq!(to_cm(Len::Feet(3)), 90);
    assert_eq!(TO_CM_RUNS.load(Ordering::SeqCst), 3, "runs uncached");
    assert_eq!(scaled(&Scaled { base: 2, factor: 2 }), 4);
    assert_eq!(scaled(&Scaled { base: 2, factor: 3 }), 6);
    let m = |extra, offset| Measured {
        base: 1,
        extra,
        offset,
    };
    assert_eq!(measured(Some(&m(None, 0))), 1);
    assert_eq!(measured(Some(&m(None, 5))), 6);
    assert_eq!(measured(Some(&m(Some(2), 5))), 8);
    // `trust_serde`: the skipped field is the user's promise.
    let job = |label: &str| Job {
        n: 4,
        label: label.into(),
    };
    assert_eq!(job_double(&job("first")), 8);
    assert_eq!(job_double(&job("second")), 8);
    assert_eq!(JOB_RUNS.load(Ordering::SeqCst), 1, "trusted: cached");
}

// Ordered maps (trial after issue 9): every map was keyed with its entries
// sorted, so `first_key` of `{b, a}` was served the result of `{a, b}`.
#[funcache::cache]
fn first_key(map: &indexmap::IndexMap<String, i64>) -> String {
    map.keys().next().cloned().unwrap_or_default()
}

#[derive(Serialize)]
struct Pairs {
    #[serde(serialize_with = "as_map")]
    entries: Vec<(String, i64)>,
}

fn as_map<S: serde::Serializer>(entries: &[(String, i64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(entries.iter().map(|(k, v)| (k, v)))
}

#[funcache::cache]
fn first_pair(pairs: &Pairs) -> String {
    pairs
        .entries
        .first()
        .map(|(k, _)| k.clone())
        .unwrap_or_default()
}

#[test]
fn ordered_maps_are_keyed_in_their_order() {
    setup();
    let ab: indexmap::IndexMap<String, i64> = [("a".into(), 1), ("b".into(), 2)].into();
    let ba: indexmap::IndexMap<String, i64> = [("b".into(), 2), ("a".into(), 1)].into();
    assert_eq!(first_key(&ab), "a");
    assert_eq!(first_key(&ba), "b");
    assert_eq!(first_key(&ab), "a");
    assert_eq!(first_key_cache().info().hits, 1);
    let pairs = |entries: &[(&str, i64)]| Pairs {
        entries: entries.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    };
    assert_eq!(first_pair(&pairs(&[("a", 1), ("b", 2)])), "a");
    assert_eq!(first_pair(&pairs(&[("b", 2), ("a", 1)])), "b");
}

// Type names that name several types (trial after issue 9): a `struct P`
// in each of two blocks prints one `type_name`, and `tval::<P>()` of the
// second was served the first one's result.
trait Describe {
    fn describe() -> String;
}

static TVAL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn tval<T: Describe>() -> String {
    TVAL_RUNS.fetch_add(1, Ordering::SeqCst);
    T::describe()
}

struct Unique;
impl Describe for Unique {
    fn describe() -> String {
        "unique".into()
    }
}

#[test]
fn types_of_one_printed_name_are_never_confused() {
    setup();
    let first = {
        struct P;
        impl Describe for P {
            fn describe() -> String {
                "first".into()
            }
        }
        tval::<P>()
    };
    let second = {
        struct P;
        impl Describe for P {
            fn describe() -> String {
                "second".into()
            }
        }
        tval::<P>()
    };
    assert_eq!((first.as_str(), second.as_str()), ("first", "second"));
    assert_eq!(tval::<Unique>(), "unique");
    assert_eq!(tval::<Unique>(), "unique");
    assert_eq!(
        TVAL_RUNS.load(Ordering::SeqCst),
        3,
        "a named type is cached"
    );
}

// A receiver is an argument too: `self` of a type with a skipped field.
#[derive(Serialize)]
struct Rate {
    per: u32,
    #[serde(skip)]
    factor: u32,
}

impl Rate {
    #[funcache::cache]
    fn apply_rate(&self, x: u32) -> u32 {
        x * self.per * self.factor
    }
}

#[test]
fn a_receiver_serialized_lossily_is_never_served_another_ones_result() {
    setup();
    assert_eq!(Rate { per: 1, factor: 2 }.apply_rate(3), 6);
    assert_eq!(Rate { per: 1, factor: 3 }.apply_rate(3), 9);
}
