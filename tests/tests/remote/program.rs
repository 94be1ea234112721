//! The program a "machine" runs: this test binary started again as a
//! child process, running the ignored test [`child_machine`], which makes
//! the cached calls its environment lists and prints (after [`MARK`]) what
//! each returned, how often each body ran, its tier counts and the Redis
//! key prefix of each function. [`crate::machine`] starts it.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Starts each `key=value` line a child prints (libtest may print its own
/// text on the same line).
pub const MARK: &str = "@@ ";

/// Set in a child process; `child_machine` does nothing without it.
pub const CHILD: &str = "FUNCACHE_TEST_MACHINE";
/// The calls a child makes: `name:arg,name:arg,…`.
pub const CALLS: &str = "FUNCACHE_TEST_CALLS";
/// `INDEX:SIGNAL:PID:PORT`: before call number INDEX the child sends
/// SIGNAL to PID (a Redis server); after `KILL` it waits until PORT
/// refuses connections, so the calls after it meet a dead server.
pub const SIGNAL: &str = "FUNCACHE_TEST_SIGNAL";
/// `DIR:N`: the child marks itself ready in DIR and starts its calls only
/// when N children are ready, so that they start together.
pub const BARRIER: &str = "FUNCACHE_TEST_BARRIER";
/// `URL MAX_VALUE_BYTES`: configure the remote in code
/// (`funcache::set_remote`) instead of through `FUNCACHE_REMOTE`.
pub const BUILDER: &str = "FUNCACHE_TEST_BUILDER";

/// Length of a [`blob`] value: big enough that a few fill a small server,
/// below the default per-value cap of 1 MiB.
pub const BLOB_LEN: usize = 64 * 1024;
/// Length of a [`large`] value.
pub const LARGE_LEN: usize = 3 << 19;
/// How long [`slow`] takes: long enough for a second machine to arrive
/// while the first computes.
const SLOW: Duration = Duration::from_millis(1500);

/// The cached functions a child can call, by name.
pub const FUNCTIONS: [&str; 6] = ["square", "cube", "blob", "large", "forecast", "slow"];

static RUNS: Mutex<Vec<(&str, u64)>> = Mutex::new(Vec::new());

fn ran(name: &'static str) {
    let mut runs = RUNS.lock().unwrap();
    match runs.iter_mut().find(|(n, _)| *n == name) {
        Some((_, count)) => *count += 1,
        None => runs.push((name, 1)),
    }
}

fn runs_of(name: &str) -> u64 {
    let runs = RUNS.lock().unwrap();
    runs.iter().find(|(n, _)| *n == name).map_or(0, |r| r.1)
}

#[funcache::cache]
fn square(x: u64) -> u64 {
    ran("square");
    x * x
}

#[funcache::cache]
fn cube(x: u64) -> u64 {
    ran("cube");
    x * x * x
}

#[funcache::cache(memory = 0)]
fn blob(i: u64) -> Vec<u8> {
    ran("blob");
    blob_bytes(i)
}

/// 1.5 MiB: over the default per-value cap of the remote, and stored as a
/// large-value file in a cache directory.
#[funcache::cache(memory = 0)]
fn large(i: u64) -> Vec<u8> {
    ran("large");
    large_bytes(i)
}

fn blob_bytes(i: u64) -> Vec<u8> {
    bytes_of(i, BLOB_LEN)
}

fn large_bytes(i: u64) -> Vec<u8> {
    bytes_of(i, LARGE_LEN)
}

fn bytes_of(i: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|j| ((i * 7 + j * 13) % 251) as u8)
        .collect()
}

#[funcache::cache(ttl = "1h")]
fn forecast(day: u64) -> String {
    ran("forecast");
    format!("day {day}: sunny")
}

#[funcache::cache]
fn slow(x: u64) -> u64 {
    ran("slow");
    std::thread::sleep(SLOW);
    x + 1
}

/// What a call of `name(arg)` returns, as the child prints it: computed
/// here without any cache, so the parent can check every answer.
pub fn expected(name: &str, arg: u64) -> String {
    match name {
        "square" => (arg * arg).to_string(),
        "cube" => (arg * arg * arg).to_string(),
        "blob" => digest(&blob_bytes(arg)),
        "large" => digest(&large_bytes(arg)),
        "forecast" => format!("day {arg}: sunny"),
        "slow" => (arg + 1).to_string(),
        _ => panic!("no function {name}"),
    }
}

/// A short text for a blob: its length and a position-weighted sum, which
/// any changed byte changes.
fn digest(bytes: &[u8]) -> String {
    let sum = bytes.iter().enumerate().fold(0u64, |sum, (i, &b)| {
        sum.wrapping_add((i as u64 + 1) * u64::from(b))
    });
    format!("{}#{sum:x}", bytes.len())
}

fn call(name: &str, arg: u64) -> String {
    match name {
        "square" => square(arg).to_string(),
        "cube" => cube(arg).to_string(),
        "blob" => digest(&blob(arg)),
        "large" => digest(&large(arg)),
        "forecast" => forecast(arg),
        "slow" => slow(arg).to_string(),
        _ => panic!("no function {name}"),
    }
}

fn info(name: &str) -> funcache::CacheInfo {
    match name {
        "square" => square_cache().info(),
        "cube" => cube_cache().info(),
        "blob" => blob_cache().info(),
        "large" => large_cache().info(),
        "forecast" => forecast_cache().info(),
        "slow" => slow_cache().info(),
        _ => panic!("no function {name}"),
    }
}

fn handle(name: &str) -> &'static funcache::FnCache {
    match name {
        "square" => square_cache(),
        "cube" => cube_cache(),
        "blob" => blob_cache(),
        "large" => large_cache(),
        "forecast" => forecast_cache(),
        "slow" => slow_cache(),
        _ => panic!("no function {name}"),
    }
}

#[test]
#[ignore = "a child process of the remote tests"]
fn child_machine() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    if let Ok(spec) = std::env::var(BUILDER) {
        let (url, max) = spec.split_once(' ').unwrap();
        let remote = funcache::Remote::new(url)
            .expect("a remote URL")
            .max_value_size(max.parse().unwrap());
        funcache::set_remote(remote);
    }
    let calls = std::env::var(CALLS).unwrap_or_default();
    let signal = std::env::var(SIGNAL).ok();
    if let Ok(barrier) = std::env::var(BARRIER) {
        wait_for_others(&barrier);
    }
    for (index, item) in calls.split(',').filter(|c| !c.is_empty()).enumerate() {
        if let Some(signal) = &signal {
            send_signal_before(signal, index);
        }
        let (name, arg) = item.split_once(':').unwrap();
        println!("{MARK}{item}={}", call(name, arg.parse().unwrap()));
    }
    let (mut remote_hits, mut disk_hits, mut memory_hits) = (0, 0, 0);
    for name in FUNCTIONS {
        let info = info(name);
        remote_hits += info.remote.hits;
        disk_hits += info.disk.hits;
        memory_hits += info.memory.hits;
        println!("{MARK}runs.{name}={}", runs_of(name));
        let cache = handle(name);
        println!(
            "{MARK}prefix.{name}=funcache:v{}:{}:{}:",
            funcache::FORMAT_VERSION,
            cache.id(),
            cache.fingerprint()
        );
    }
    println!("{MARK}hits.remote={remote_hits}");
    println!("{MARK}hits.disk={disk_hits}");
    println!("{MARK}hits.memory={memory_hits}");
}

fn send_signal_before(spec: &str, index: usize) {
    let mut parts = spec.split(':');
    let at: usize = parts.next().unwrap().parse().unwrap();
    let (signal, pid, port) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    if at != index {
        return;
    }
    funcache_testkit::send_signal(pid.parse().unwrap(), signal);
    if signal == "KILL" {
        // The server is the parent's child: it stays a zombie until the
        // parent reaps it, but its listening socket closes at once.
        let port = port.parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !funcache_testkit::refused(port) {
            assert!(Instant::now() < deadline, "the killed server still listens");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn wait_for_others(spec: &str) {
    let (dir, count) = spec.rsplit_once(':').unwrap();
    let count: usize = count.parse().unwrap();
    let dir = Path::new(dir);
    std::fs::write(dir.join(std::process::id().to_string()), "").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(dir).unwrap().count() < count {
        assert!(Instant::now() < deadline, "the other machines never came");
        std::thread::sleep(Duration::from_millis(5));
    }
}
