//! A "machine": this test binary run again as a child process, with its
//! own cache directory and the environment a test gives it, making a list
//! of cached calls and printing what they returned, how often each body
//! ran, and its tier counts.
//!
//! The child side is the ignored test [`child_machine`]; the parent side is
//! [`Machine`] and the [`Outcome`] of a run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Starts each `key=value` line a child prints (libtest may print its own
/// text on the same line).
const MARK: &str = "@@ ";

/// Set in a child process; `child_machine` does nothing without it.
const CHILD: &str = "FUNCACHE_TEST_MACHINE";
/// The calls a child makes: `name:arg,name:arg,…`.
const CALLS: &str = "FUNCACHE_TEST_CALLS";
/// `INDEX:SIGNAL:PID:PORT`: before call number INDEX the child sends
/// SIGNAL to PID (a Redis server); after `KILL` it waits until PORT
/// refuses connections, so the calls after it meet a dead server.
const SIGNAL: &str = "FUNCACHE_TEST_SIGNAL";
/// `DIR:N`: the child marks itself ready in DIR and starts its calls only
/// when N children are ready, so that they start together.
const BARRIER: &str = "FUNCACHE_TEST_BARRIER";
/// `URL MAX_VALUE_BYTES`: configure the remote in code
/// (`funcache::set_remote`) instead of through `FUNCACHE_REMOTE`.
const BUILDER: &str = "FUNCACHE_TEST_BUILDER";

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

// ---------------------------------------------------------------------------
// The child: cached functions and the program that calls them.

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
    crate::support::redis_server::send_signal(pid.parse().unwrap(), signal);
    if signal == "KILL" {
        // The server is the parent's child: it stays a zombie until the
        // parent reaps it, but its listening socket closes at once.
        let port = port.parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !crate::support::redis_server::refused(port) {
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

// ---------------------------------------------------------------------------
// The parent: machines, and what their runs did.

/// `name(arg)` for each `arg` of `args`.
pub fn calls(name: &'static str, args: std::ops::Range<u64>) -> Vec<(&'static str, u64)> {
    args.map(|arg| (name, arg)).collect()
}

/// A machine: an empty cache directory of its own and an environment.
pub struct Machine {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    /// A machine with an empty cache directory and no remote.
    pub fn new() -> Machine {
        Machine {
            dir: tempfile::Builder::new()
                .prefix("funcache-machine-")
                .tempdir()
                .unwrap(),
            env: Vec::new(),
        }
    }

    /// A machine using the remote at `url` (`FUNCACHE_REMOTE`), with a
    /// timeout of 2 s instead of 250 ms: a loaded CI machine can stall a
    /// loopback command past the default, and a test that expects no
    /// warning would fail. Tests of timeouts set their own.
    pub fn with_remote(url: &str) -> Machine {
        Machine::new()
            .env("FUNCACHE_REMOTE", url)
            .env("FUNCACHE_REMOTE_TIMEOUT", "2s")
    }

    /// Sets an environment variable for its runs.
    pub fn env(mut self, name: &str, value: &str) -> Machine {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Its cache directory (`FUNCACHE_DIR`; created by the first run).
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Runs `calls` in a new process and waits for it; panics if it fails
    /// or any call returned a wrong value.
    pub fn run(&self, calls: &[(&str, u64)]) -> Outcome {
        self.run_with(calls, &[])
    }

    /// Like [`run`](Self::run), with extra variables for this run only.
    pub fn run_with(&self, calls: &[(&str, u64)], env: &[(&str, &str)]) -> Outcome {
        let output = self.command(calls, env).output().unwrap();
        Outcome::from_output(&output, calls)
    }

    /// Like [`run`](Self::run) on this machine's directory, with its remote
    /// left out.
    pub fn run_without_remote(&self, calls: &[(&str, u64)]) -> Outcome {
        let mut command = self.command(calls, &[]);
        command.env_remove("FUNCACHE_REMOTE");
        Outcome::from_output(&command.output().unwrap(), calls)
    }

    /// Starts `calls` in a new process; [`Outcome::of`] waits for it.
    pub fn spawn(&self, calls: &[(&str, u64)], env: &[(&str, &str)]) -> Child {
        self.command(calls, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn command(&self, calls: &[(&str, u64)], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args([
            "machine::child_machine",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ]);
        // Nothing of the developer's own funcache settings leaks in.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("FUNCACHE_") {
                command.env_remove(name);
            }
        }
        let list: Vec<String> = calls.iter().map(|(n, a)| format!("{n}:{a}")).collect();
        command
            .env(CHILD, "1")
            .env("FUNCACHE_DIR", self.cache_dir())
            .env(CALLS, list.join(","))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(env.iter().copied());
        command
    }
}

/// The environment entry that makes a child kill (or stop) `server`
/// before its call number `index`.
pub fn signal_before(
    index: usize,
    signal: &str,
    server: &crate::support::redis_server::RedisServer,
) -> (&'static str, String) {
    (
        SIGNAL,
        format!("{index}:{signal}:{}:{}", server.pid(), server.port()),
    )
}

/// The environment entry that holds `count` children until all are ready
/// (`dir` must be empty and shared by them).
pub fn barrier(dir: &Path, count: usize) -> (&'static str, String) {
    (BARRIER, format!("{}:{count}", dir.display()))
}

/// The environment entry that configures the remote in code.
pub fn builder(url: &str, max_value_bytes: u64) -> (&'static str, String) {
    (BUILDER, format!("{url} {max_value_bytes}"))
}

/// What a machine's run printed.
#[derive(Debug)]
pub struct Outcome {
    values: HashMap<String, String>,
    /// Everything the child wrote on stderr.
    pub stderr: String,
}

impl Outcome {
    /// Waits for a spawned child (see [`Machine::spawn`]).
    pub fn of(child: Child, calls: &[(&str, u64)]) -> Outcome {
        Outcome::from_output(&child.wait_with_output().unwrap(), calls)
    }

    fn from_output(output: &Output, calls: &[(&str, u64)]) -> Outcome {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "the machine failed:\n{stdout}\n{stderr}"
        );
        let values: HashMap<String, String> = stdout
            .lines()
            .filter_map(|line| line.split_once(MARK).map(|(_, record)| record))
            .filter_map(|record| record.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        let outcome = Outcome { values, stderr };
        for (name, arg) in calls {
            assert_eq!(
                outcome.value(&format!("{name}:{arg}")),
                expected(name, *arg),
                "{name}({arg}) returned a wrong value; stderr:\n{}",
                outcome.stderr
            );
        }
        outcome
    }

    fn value(&self, key: &str) -> &str {
        self.values
            .get(key)
            .unwrap_or_else(|| panic!("the machine printed no {key}: {:?}", self.values))
    }

    /// How many times the body of `name` ran.
    pub fn runs(&self, name: &str) -> u64 {
        self.value(&format!("runs.{name}")).parse().unwrap()
    }

    /// How many times any body ran.
    pub fn total_runs(&self) -> u64 {
        FUNCTIONS.iter().map(|name| self.runs(name)).sum()
    }

    /// Calls the remote tier answered.
    pub fn remote_hits(&self) -> u64 {
        self.value("hits.remote").parse().unwrap()
    }

    /// Calls the local disk tier answered.
    pub fn disk_hits(&self) -> u64 {
        self.value("hits.disk").parse().unwrap()
    }

    /// Calls the memory tier answered.
    pub fn memory_hits(&self) -> u64 {
        self.value("hits.memory").parse().unwrap()
    }

    /// The Redis key prefix of `name`'s entries:
    /// `funcache:v{FORMAT_VERSION}:{fn id}:{fingerprint}:`.
    pub fn prefix(&self, name: &str) -> &str {
        self.value(&format!("prefix.{name}"))
    }

    /// The warnings funcache printed (`warning: …` lines on stderr).
    pub fn warnings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| line.starts_with("warning:"))
            .collect()
    }

    /// Asserts exactly one warning and returns it.
    pub fn one_warning(&self) -> &str {
        let warnings = self.warnings();
        assert_eq!(
            warnings.len(),
            1,
            "expected exactly one warning, stderr:\n{}",
            self.stderr
        );
        warnings[0]
    }

    /// Asserts that nothing was warned about.
    pub fn no_warnings(&self) {
        assert!(
            self.warnings().is_empty(),
            "unexpected warnings:\n{}",
            self.stderr
        );
    }
}

/// The value keys (not lease keys) among `keys` under `prefix`.
pub fn values_under<'k>(keys: &'k [String], prefix: &str) -> Vec<&'k str> {
    keys.iter()
        .map(String::as_str)
        .filter(|key| key.starts_with(prefix) && !key.ends_with(":lease"))
        .collect()
}
