//! What a cached function returns, and how often its body runs: every
//! serde type is stored and served, every tier returns the same value, one
//! computation per key in a process, exact counts, an exact memory bound,
//! and peeking.
//!
//! Cross-process checks run this test binary again: a parent test spawns
//! the `child_*` tests (ignored in a normal run) in fresh processes that
//! share one cache directory, and reads what they print.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::process::Command;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Starts each `key=value` line a child prints (libtest may print its own
/// text on the same line).
const MARK: &str = "@@ ";

/// Set by a parent test: the cache directory of a child process.
const CHILD_DIR: &str = "FUNCACHE_TEST_CHILD_DIR";

/// One cache directory per process: the child's, or a fresh one.
fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = match std::env::var_os(CHILD_DIR) {
            Some(dir) => dir.into(),
            None => tempfile::tempdir().unwrap().keep().join("cache"),
        };
        funcache::set_cache_dir(dir).unwrap();
    });
}

/// Whether this process is a child spawned by [`run_child`]: `child_*`
/// tests do nothing otherwise (`cargo test -- --ignored` runs them too).
fn is_child() -> bool {
    std::env::var_os(CHILD_DIR).is_some()
}

/// Runs the ignored test `name` of this binary in a new process whose
/// cache directory is `dir`, and returns its `key=value` lines.
fn run_child(name: &str, dir: &Path) -> HashMap<String, String> {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| line.split_once(MARK).map(|(_, record)| record))
        .filter_map(|record| record.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn fresh_dir() -> std::path::PathBuf {
    tempfile::tempdir().unwrap().keep().join("cache")
}

// ---------------------------------------------------------------------------
// Storable values: types whose serde impls need a self-describing format.

static SHAPE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
enum Shape {
    Circle { radius: f64 },
    Square { side: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Cell {
    Number(i64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meta {
    source: String,
    rows: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    #[serde(flatten)]
    meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    // Skipped when empty, so it needs a default to be read back: without
    // one, serde itself cannot read what it wrote (no format can).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

#[funcache::cache]
fn word_counts(text: &str) -> HashMap<String, u32> {
    SHAPE_RUNS.fetch_add(1, Ordering::SeqCst);
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_owned()).or_default() += 1;
    }
    counts
}

#[funcache::cache]
fn unique_words(text: &str) -> HashSet<String> {
    SHAPE_RUNS.fetch_add(1, Ordering::SeqCst);
    text.split_whitespace().map(str::to_owned).collect()
}

#[funcache::cache]
fn as_json(n: u32) -> serde_json::Value {
    SHAPE_RUNS.fetch_add(1, Ordering::SeqCst);
    serde_json::json!({ "n": n, "half": f64::from(n) / 2.0, "tags": ["a", null, true], "big": u64::MAX })
}

#[funcache::cache]
fn shapes(n: u32) -> Vec<Shape> {
    SHAPE_RUNS.fetch_add(1, Ordering::SeqCst);
    vec![
        Shape::Circle {
            radius: f64::from(n) + 0.1,
        },
        Shape::Square { side: n },
    ]
}

#[funcache::cache]
fn cells(n: i64) -> Vec<Cell> {
    SHAPE_RUNS.fetch_add(1, Ordering::SeqCst);
    vec![Cell::Number(n), Cell::Text(format!("#{n}"))]
}

#[funcache::cache]
fn records(n: u64) -> Vec<Record> {
    SHAPE_RUNS.fetch_add(1, Ordering::SeqCst);
    let meta = Meta {
        source: "csv".into(),
        rows: 3,
    };
    vec![
        Record {
            id: n,
            meta: meta.clone(),
            note: None,
            tags: vec![],
        },
        Record {
            id: n + 1,
            meta,
            note: Some("checked".into()),
            tags: vec!["x".into()],
        },
    ]
}

/// Calls every function above once and prints what each returned.
fn print_values() {
    let counts = word_counts("a b a c b a d e f g h");
    let mut sorted: Vec<_> = counts.iter().collect();
    sorted.sort();
    println!("@@ counts={sorted:?}");
    let mut unique: Vec<_> = unique_words("a b a c b a d e f g h").into_iter().collect();
    unique.sort();
    println!("@@ unique={unique:?}");
    println!("@@ json={}", as_json(5));
    println!("@@ shapes={:?}", shapes(2));
    println!("@@ cells={:?}", cells(-4));
    println!("@@ records={:?}", records(9));
    println!("@@ runs={}", SHAPE_RUNS.load(Ordering::SeqCst));
}

#[test]
#[ignore = "run by every_serde_type_is_stored_and_served_across_processes"]
fn child_values() {
    if is_child() {
        setup();
        print_values();
    }
}

/// Regression: these types were recomputed by every process ("does not
/// decode back to itself"): a hash map or set decodes in another order, and
/// postcard cannot carry the others.
#[test]
fn every_serde_type_is_stored_and_served_across_processes() {
    let dir = fresh_dir();
    let first = run_child("child_values", &dir);
    let second = run_child("child_values", &dir);
    assert_eq!(first["runs"], "6", "the first process computes each once");
    assert_eq!(second["runs"], "0", "the second process reads every value");
    for key in ["counts", "unique", "json", "shapes", "cells", "records"] {
        assert_eq!(first[key], second[key], "{key}");
    }
    assert!(
        second["json"].contains("18446744073709551615"),
        "{second:?}"
    );
}

// ---------------------------------------------------------------------------
// Every tier returns the same value.

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Model {
    weights: Vec<u32>,
    /// Not serialized: what a stored model comes back with is the default.
    #[serde(skip)]
    #[allow(dead_code)] // read through `Debug`, which the lint ignores
    trained: bool,
}

#[funcache::cache]
fn train(n: u32) -> Model {
    Model {
        weights: vec![n; 3],
        trained: true,
    }
}

#[test]
#[ignore = "run by every_tier_returns_the_same_value"]
fn child_tiers() {
    if is_child() {
        setup();
        println!("@@ first={:?}", train(3));
        println!("@@ second={:?}", train(3));
    }
}

/// Regression: a `#[serde(skip)]` field came back `true` from the memory
/// tier and `false` from disk: a caller could tell which tier answered.
#[test]
fn every_tier_returns_the_same_value() {
    let dir = fresh_dir();
    let first = run_child("child_tiers", &dir);
    let second = run_child("child_tiers", &dir);
    let computed = &first["first"];
    assert_eq!(&first["second"], computed, "memory tier");
    assert_eq!(&second["first"], computed, "disk tier");
    assert_eq!(&second["second"], computed, "memory tier, filled from disk");
    assert!(computed.contains("trained: false"), "{computed}");
}

// ---------------------------------------------------------------------------
// Values that serialize alike: checked by `PartialEq` where the type has it.

/// Untagged: `Meters(3)` and `Feet(3)` both serialize as `3`, so the
/// encoding alone reads `Feet(3)` back as `Meters(3)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Length {
    Meters(u32),
    Feet(u32),
}

#[funcache::cache]
fn in_feet(n: u32) -> Length {
    Length::Feet(n)
}

#[funcache::cache(memory = 0)]
fn in_feet_on_disk(n: u32) -> Length {
    Length::Feet(n)
}

#[funcache::cache]
fn in_feet_or_error(n: u32) -> Result<Length, String> {
    Ok(Length::Feet(n))
}

#[funcache::cache(cache_errors)]
fn in_feet_errors_cached(n: u32) -> Result<Length, String> {
    Ok(Length::Feet(n))
}

#[funcache::cache]
async fn in_feet_async(n: u32) -> Length {
    Length::Feet(n)
}

/// Checked by `PartialEq` through the bound on `T`.
#[funcache::cache]
fn echo<T>(x: T) -> T
where
    T: Clone + PartialEq + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    x
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Fitted {
    weights: Vec<u32>,
    /// Comes back `false`: by its `PartialEq` not the value computed.
    #[serde(skip)]
    trained: bool,
}

#[funcache::cache]
fn fit(n: u32) -> Fitted {
    Fitted {
        weights: vec![n; 2],
        trained: true,
    }
}

static NAN_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Unequal to itself by `PartialEq` (a NaN inside): checked by its
/// encoding, and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reading {
    value: f64,
    unit: Length,
}

#[funcache::cache]
fn reading(n: u32) -> Reading {
    NAN_RUNS.fetch_add(1, Ordering::SeqCst);
    Reading {
        value: f64::NAN,
        unit: Length::Meters(n),
    }
}

/// Calls each function twice, and peeks, printing what each returned.
fn print_alike() {
    println!("@@ plain={:?}", [in_feet(3), in_feet(3)]);
    println!("@@ plain_peek={:?}", in_feet_peek(3));
    println!("@@ disk={:?}", [in_feet_on_disk(3), in_feet_on_disk(3)]);
    println!("@@ disk_peek={:?}", in_feet_on_disk_peek(3));
    println!("@@ ok={:?}", [in_feet_or_error(3), in_feet_or_error(3)]);
    println!("@@ ok_peek={:?}", in_feet_or_error_peek(3));
    println!(
        "@@ errors={:?}",
        [in_feet_errors_cached(3), in_feet_errors_cached(3)]
    );
    println!("@@ errors_peek={:?}", in_feet_errors_cached_peek(3));
    println!(
        "@@ async={:?}",
        join_all(vec![in_feet_async(3), in_feet_async(3)])
    );
    println!("@@ async_peek={:?}", in_feet_async_peek(3));
    println!(
        "@@ generic={:?}",
        [echo(Length::Feet(3)), echo(Length::Feet(3))]
    );
    println!("@@ generic_peek={:?}", echo_peek(Length::Feet(3)));
    println!("@@ fit={:?}", [fit(3), fit(3)]);
    println!("@@ fit_peek={:?}", fit_peek(3));
    println!("@@ nan={:?}", reading(4));
    println!("@@ nan_peek={:?}", reading_peek(4));
    println!("@@ nan_runs={}", NAN_RUNS.load(Ordering::SeqCst));
}

#[test]
#[ignore = "run by values_that_serialize_alike_are_checked_by_partial_eq"]
fn child_alike() {
    if is_child() {
        setup();
        print_alike();
    }
}

/// Regression: `in_feet(3)` returned `Meters(3)` — on the first call too,
/// from every tier and in the next process — because the encoding of an
/// untagged enum names no variant and the value "read back equal" by it.
/// A value its own `PartialEq` calls unequal to what decoded is stored in
/// no tier and returned as computed; one unequal to itself (NaN) is still
/// stored, checked by its encoding.
#[test]
fn values_that_serialize_alike_are_checked_by_partial_eq() {
    let dir = fresh_dir();
    for process in [
        run_child("child_alike", &dir),
        run_child("child_alike", &dir),
    ] {
        for key in ["plain", "disk", "async", "generic"] {
            assert_eq!(process[key], "[Feet(3), Feet(3)]", "{key}");
        }
        for key in ["ok", "errors"] {
            assert_eq!(process[key], "[Ok(Feet(3)), Ok(Feet(3))]", "{key}");
        }
        for key in ["plain", "disk", "ok", "errors", "async", "generic", "fit"] {
            assert_eq!(
                process[&format!("{key}_peek")],
                "None",
                "{key} is not stored"
            );
        }
        let fitted = "Fitted { weights: [3, 3], trained: true }";
        assert_eq!(process["fit"], format!("[{fitted}, {fitted}]"));
        assert_eq!(process["nan"], "Reading { value: NaN, unit: Meters(4) }");
        assert_eq!(process["nan_peek"], format!("Some({})", process["nan"]));
    }
    let second = run_child("child_alike", &dir);
    assert_eq!(second["nan_runs"], "0", "a NaN value is stored and served");
}

// ---------------------------------------------------------------------------
// One computation per key, and exact counts.

static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn slow(x: u64) -> u64 {
    SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
    // Long enough that the other threads arrive while it runs.
    std::thread::sleep(Duration::from_millis(200));
    x * 2
}

/// Eight threads call `slow(7)` at once; prints runs and counts.
fn eight_threads() {
    let barrier = std::sync::Barrier::new(8);
    let results: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    slow(7)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|&value| value == 14), "{results:?}");
    let info = slow_cache().info();
    println!("@@ runs={}", SLOW_RUNS.load(Ordering::SeqCst));
    println!("@@ hits={}", info.hits);
    println!("@@ misses={}", info.misses);
}

#[test]
#[ignore = "run by one_computation_per_key_and_exact_counts_across_processes"]
fn child_threads() {
    if is_child() {
        setup();
        eight_threads();
    }
}

/// Regression: eight threads ran the body eight times, and a second
/// process reported hits=7, misses=0 for eight calls.
#[test]
fn one_computation_per_key_and_exact_counts_across_processes() {
    let dir = fresh_dir();
    let first = run_child("child_threads", &dir);
    assert_eq!(first["runs"], "1", "{first:?}");
    assert_eq!((&*first["hits"], &*first["misses"]), ("7", "1"));
    let second = run_child("child_threads", &dir);
    assert_eq!(second["runs"], "0", "{second:?}");
    assert_eq!((&*second["hits"], &*second["misses"]), ("8", "0"));
}

static FLAKY_RUNS: AtomicUsize = AtomicUsize::new(0);
static FLAKY_PANICKED: AtomicBool = AtomicBool::new(false);

#[funcache::cache]
fn flaky(x: u64) -> u64 {
    FLAKY_RUNS.fetch_add(1, Ordering::SeqCst);
    if !FLAKY_PANICKED.swap(true, Ordering::SeqCst) {
        // The first run waits for the others to queue behind it, then fails.
        std::thread::sleep(Duration::from_millis(200));
        panic!("the first computation fails");
    }
    x + 1
}

/// A panic in the computing thread releases the threads waiting for it:
/// they compute the value themselves (the test would hang otherwise).
#[test]
fn a_panic_releases_the_waiters() {
    setup();
    let barrier = std::sync::Barrier::new(4);
    let outcomes: Vec<Result<u64, ()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    flaky(1)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(drop))
            .collect()
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1);
    assert!(outcomes.iter().flatten().all(|&value| value == 2));
    let info = flaky_cache().info();
    assert_eq!(info.hits + info.misses, 4, "{info:?}");
}

static ASYNC_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Pending once, then ready: lets the other futures run in between.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            context.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[funcache::cache]
async fn slow_async(x: u64) -> u64 {
    ASYNC_RUNS.fetch_add(1, Ordering::SeqCst);
    for _ in 0..5 {
        YieldOnce(false).await;
    }
    x * 3
}

/// Polls every future in turn until all are ready: eight calls
/// interleaved on one thread, as one task joining them would.
fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut context = Context::from_waker(Waker::noop());
    while outputs.iter().any(Option::is_none) {
        for (future, output) in futures.iter_mut().zip(&mut outputs) {
            if output.is_none()
                && let Poll::Ready(value) = future.as_mut().poll(&mut context)
            {
                *output = Some(value);
            }
        }
    }
    outputs.into_iter().map(Option::unwrap).collect()
}

/// Async waiters wait without blocking the thread: eight interleaved
/// calls on one thread run the body once.
#[test]
fn async_calls_compute_once_per_key() {
    setup();
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&slow_async(0)); // a multi-threaded executor can run it
    assert_eq!(slow_async_peek(5), None);
    let results = join_all((0..8).map(|_| slow_async(5)).collect());
    assert_eq!(slow_async_peek(5), Some(15), "a plain fn for an async fn");
    assert_eq!(results, [15; 8]);
    assert_eq!(ASYNC_RUNS.load(Ordering::SeqCst), 1);
    let info = slow_async_cache().info();
    assert_eq!((info.hits, info.misses), (7, 1));
}

// ---------------------------------------------------------------------------
// The memory tier holds exactly `memory = N` entries, most recently used.

#[funcache::cache(memory = 1024)]
fn ident_1024(x: u32) -> u32 {
    x
}

#[funcache::cache(memory = 5000)]
fn ident_5000(x: u32) -> u32 {
    x
}

/// Regression: two passes over 1024 keys with `memory = 1024` gave 499
/// memory hits and currsize 1011 (the sharded LRU lost capacity).
#[test]
fn the_memory_tier_keeps_exactly_the_n_most_recently_used() {
    setup();
    for (n, function, info) in [
        (
            1024,
            ident_1024 as fn(u32) -> u32,
            (|| ident_1024_cache().info()) as fn() -> funcache::CacheInfo,
        ),
        (5000, ident_5000, || ident_5000_cache().info()),
    ] {
        for _pass in 0..2 {
            for x in 0..n {
                assert_eq!(function(x), x);
            }
        }
        let after = info();
        assert_eq!(after.memory.hits, u64::from(n), "{after:?}");
        assert_eq!(after.currsize, n as usize);
        // One more key evicts exactly the least recently used: 0.
        function(n);
        assert_eq!(function(1), 1);
        assert_eq!(info().memory.hits, u64::from(n) + 1);
        assert_eq!(function(0), 0);
        assert_eq!(info().memory.hits, u64::from(n) + 1, "0 was evicted");
        assert_eq!(info().currsize, n as usize);
    }
}

// ---------------------------------------------------------------------------
// Peeking.

static PEEK_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache]
fn cube(x: u64) -> u64 {
    PEEK_RUNS.fetch_add(1, Ordering::SeqCst);
    x * x * x
}

#[funcache::cache(memory = 0)]
fn cube_on_disk(x: u64) -> u64 {
    PEEK_RUNS.fetch_add(1, Ordering::SeqCst);
    x * x * x
}

#[funcache::cache]
fn checked_cube(x: u64) -> Result<u64, String> {
    PEEK_RUNS.fetch_add(1, Ordering::SeqCst);
    x.checked_pow(3).ok_or_else(|| "overflow".to_owned())
}

#[funcache::cache(cache_errors)]
fn checked_cube_errors_kept(x: u64) -> Result<u64, String> {
    x.checked_pow(3).ok_or_else(|| "overflow".to_owned())
}

/// The manual said a `Result` peek answers `Some(Ok(..))` or `None`; with
/// `cache_errors` a stored `Err` is an answer too.
#[test]
fn peek_answers_a_stored_error_with_cache_errors() {
    setup();
    assert_eq!(checked_cube_errors_kept_peek(u64::MAX), None);
    assert_eq!(checked_cube_errors_kept(u64::MAX), Err("overflow".into()));
    assert_eq!(
        checked_cube_errors_kept_peek(u64::MAX),
        Some(Err("overflow".into()))
    );
    assert_eq!(checked_cube_errors_kept_cache().info().misses, 1);
}

#[test]
fn peek_answers_from_the_tiers_without_running_or_counting() {
    setup();
    assert_eq!(cube_peek(3), None);
    assert_eq!(cube_on_disk_peek(3), None);
    assert_eq!(checked_cube_peek(3), None);
    assert_eq!(PEEK_RUNS.load(Ordering::SeqCst), 0, "peek never runs");
    assert_eq!(cube(3), 27);
    assert_eq!(cube_on_disk(3), 27);
    assert_eq!(checked_cube(3), Ok(27));
    assert_eq!(checked_cube(u64::MAX), Err("overflow".into()));
    let before = (
        cube_cache().info(),
        cube_on_disk_cache().info(),
        checked_cube_cache().info(),
    );
    assert_eq!(cube_peek(3), Some(27));
    assert_eq!(cube_on_disk_peek(3), Some(27), "from disk");
    assert_eq!(checked_cube_peek(3), Some(Ok(27)));
    assert_eq!(checked_cube_peek(u64::MAX), None, "errors are not stored");
    assert_eq!(cube_peek(4), None);
    assert_eq!(PEEK_RUNS.load(Ordering::SeqCst), 4);
    let after = (
        cube_cache().info(),
        cube_on_disk_cache().info(),
        checked_cube_cache().info(),
    );
    assert_eq!(before, after, "peeking counts neither hit nor miss");
}

#[test]
#[ignore = "run by peek_reads_the_disk_tier_of_an_earlier_process"]
fn child_peek() {
    if is_child() {
        setup();
        println!("@@ peek={:?}", cube_peek(5));
        println!("@@ runs={}", PEEK_RUNS.load(Ordering::SeqCst));
        println!("@@ calls={}", {
            let info = cube_cache().info();
            info.hits + info.misses
        });
        println!("@@ value={}", cube(5));
    }
}

#[test]
fn peek_reads_the_disk_tier_of_an_earlier_process() {
    let dir = fresh_dir();
    let first = run_child("child_peek", &dir);
    assert_eq!(first["peek"], "None");
    assert_eq!(first["runs"], "0");
    let second = run_child("child_peek", &dir);
    assert_eq!(second["peek"], "Some(125)");
    assert_eq!((&*second["runs"], &*second["calls"]), ("0", "0"));
}

#[test]
fn memo_entries_are_listed_most_recently_used_first() {
    let memo = funcache::Memo::with_capacity(3, |x: u32| x * 10);
    for x in [1, 2, 3, 1, 4] {
        memo.call(x);
    }
    let entries: Vec<(u32, u32)> = memo.entries().collect();
    assert_eq!(entries, [(4, 40), (1, 10), (3, 30)], "2 was evicted");
    let info = memo.info();
    assert_eq!(memo.peek(&3), Some(30));
    assert_eq!(memo.peek(&2), None);
    assert_eq!(memo.info(), info, "peeking counts nothing");
    let order: Vec<u32> = memo.entries().map(|(x, _)| x).collect();
    assert_eq!(order, [4, 1, 3], "and reorders nothing");
}

// ---------------------------------------------------------------------------
// Group commit: results are committed by a background writer after their
// calls return; none is lost when the process exits, and the process reads
// its own.

static QUEUED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[funcache::cache(memory = 0)]
fn queued(x: u64) -> u64 {
    QUEUED_RUNS.fetch_add(1, Ordering::SeqCst);
    x + 1000
}

/// How many values the exit children store.
const QUEUED_VALUES: u64 = 2000;

/// Stores [`QUEUED_VALUES`] values without `flush()`, calls the first one
/// again (a hit from the queue or the database: the disk tier alone), and
/// exits as `how` says.
fn store_queued_then_exit(how: &str) {
    setup();
    for x in 0..QUEUED_VALUES {
        assert_eq!(queued(x), x + 1000);
    }
    assert_eq!(queued(0), 1000);
    println!("@@ runs={}", QUEUED_RUNS.load(Ordering::SeqCst));
    println!("@@ hits={}", queued_cache().info().hits);
    if how == "exit" {
        std::process::exit(0);
    }
}

#[test]
#[ignore = "run by values_queued_at_exit_are_committed"]
fn child_queued_return() {
    if is_child() {
        store_queued_then_exit("return");
    }
}

#[test]
#[ignore = "run by values_queued_at_exit_are_committed"]
fn child_queued_exit() {
    if is_child() {
        store_queued_then_exit("exit");
    }
}

/// A process that stores results and exits at once (returning from main,
/// or `std::process::exit`) without `funcache::flush()` leaves every one of
/// them in its directory: the exit hook commits what was still queued.
#[test]
fn values_queued_at_exit_are_committed() {
    for child in ["child_queued_return", "child_queued_exit"] {
        let dir = fresh_dir();
        let ran = run_child(child, &dir);
        assert_eq!(ran["runs"], QUEUED_VALUES.to_string(), "{child}: {ran:?}");
        assert_eq!(ran["hits"], "1", "{child}: read its own write");
        let stored = funcache::CacheDir::open(&dir)
            .unwrap()
            .entries(queued_cache().id())
            .unwrap()
            .len();
        assert_eq!(stored as u64, QUEUED_VALUES, "{child}");
    }
}
