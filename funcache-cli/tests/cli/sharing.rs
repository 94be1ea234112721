//! Many processes on one cache directory, with the CLI reading it while
//! they run. Regression: with sled, the first process locked the directory;
//! the others warned "in use by another process", computed everything and
//! stored nothing, and the CLI could not open it while a program ran.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support;
use crate::util::{cli, shared};

/// Processes started together in each wave.
const PROCESSES: usize = 4;
/// Distinct small values each process asks for (plus one blob).
const KEYS: u64 = 30;

fn fixture_binary() -> PathBuf {
    shared(); // built once
    support::fixture_target_dir().join("debug").join("cli")
}

fn calls() -> String {
    let mut calls: Vec<String> = (1..=KEYS).map(|i| format!("square={i}")).collect();
    calls.push("table=150000".into());
    calls.push("label=shared".into());
    calls.join(" ")
}

fn spawn(cache: &Path) -> Child {
    spawn_calls(cache, &calls())
}

fn spawn_calls(cache: &Path, calls: &str) -> Child {
    spawn_threads(cache, calls, 1)
}

fn spawn_threads(cache: &Path, calls: &str, threads: usize) -> Child {
    Command::new(fixture_binary())
        .env("FUNCACHE_DIR", cache)
        .env("FIXTURE_THREADS", threads.to_string())
        .env("FIXTURE_CALLS", calls)
        .env_remove("FUNCACHE_READONLY")
        .env_remove("FUNCACHE_REFRESH")
        .env_remove("FUNCACHE_DISABLE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for one process; checks every value it printed and that it said
/// nothing but its own markers; returns how many bodies it ran.
fn verify(child: Child) -> usize {
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for i in 1..=KEYS {
        let line = format!("square({i})={}", i * i);
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing:\n{stdout}"
        );
    }
    assert!(
        stdout.lines().any(|l| l == "table(150000)=150000"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l == "label(shared)=<shared>"),
        "{stdout}"
    );
    let noise: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("RUN ")).collect();
    assert!(noise.is_empty(), "no errors or warnings: {noise:?}");
    stderr.lines().filter(|l| l.starts_with("RUN ")).count()
}

/// Processes that ask for the same slow values at the same time: each
/// value is computed once, by one of them; the others wait for it and get
/// it from the cache.
#[test]
fn processes_compute_each_key_once_between_them() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let calls: Vec<String> = (1..=5).map(|i| format!("slow_square={i}")).collect();
    let calls = calls.join(" ");
    let processes: Vec<Child> = (0..PROCESSES)
        .map(|_| spawn_calls(&cache, &calls))
        .collect();
    let mut ran = 0;
    for process in processes {
        let output = process.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stdout}\n{stderr}");
        for i in 1..=5u64 {
            let line = format!("slow_square({i})={}", i * i);
            assert!(stdout.lines().any(|l| l == line), "{stdout}");
        }
        assert!(stderr.lines().all(|l| l == "RUN slow_square"), "{stderr}");
        ran += stderr.lines().count();
    }
    assert_eq!(
        ran, 5,
        "each of 5 values computed once by {PROCESSES} processes"
    );
}

#[test]
fn processes_started_together_share_one_new_directory() {
    let temp = tempfile::tempdir().unwrap();
    // Not created yet: the processes create it together.
    let cache = temp.path().join("cache");
    let first: Vec<Child> = (0..PROCESSES).map(|_| spawn(&cache)).collect();
    // The CLI reads the directory while they write it.
    let mut inspected = 0;
    for _ in 0..20 {
        let run = cli(&["--dir", cache.to_str().unwrap(), "inspect", "--json"]);
        if run.code == 0 {
            inspected += 1;
        } else {
            assert!(
                inspected == 0 && run.stderr.contains("does not exist")
                    || run.stderr.contains("not a funcache cache directory"),
                "inspect failed while programs ran: {}",
                run.stderr
            );
        }
    }
    let ran: usize = first.into_iter().map(verify).sum();
    // One computation per key between them (the others waited for it).
    assert_eq!(
        ran,
        KEYS as usize + 2,
        "bodies run by {PROCESSES} processes"
    );

    // Everything any of them computed is a hit for every later process.
    let second: Vec<Child> = (0..PROCESSES).map(|_| spawn(&cache)).collect();
    let ran_again: usize = second.into_iter().map(verify).sum();
    assert_eq!(ran_again, 0, "all hits");
    let report = cli(&["--dir", cache.to_str().unwrap(), "inspect", "--json"]).json();
    let entries: u64 = report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["entries"].as_u64().unwrap())
        .sum();
    assert_eq!(entries, KEYS + 2);
}

/// Processes × threads on one directory with overlapping keys: hits and
/// misses mixed, every returned value checked, no warnings; afterwards
/// every key is a hit.
#[test]
fn processes_and_threads_hammering_one_directory_get_only_right_values() {
    const THREADS: usize = 4;
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let range = |p: u64| {
        let calls: Vec<String> = (p * 50 + 1..=p * 50 + 150)
            .map(|i| format!("square={i}"))
            .collect();
        calls.join(" ")
    };
    let check = |child: Child, p: u64| {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let mut answered = 0;
        for line in stdout.lines() {
            let (call, value) = line.split_once('=').unwrap();
            let arg: u64 = call
                .trim_start_matches("square(")
                .trim_end_matches(')')
                .parse()
                .unwrap();
            assert_eq!(value, (arg * arg).to_string(), "{line}");
            assert!((p * 50 + 1..=p * 50 + 150).contains(&arg));
            answered += 1;
        }
        assert_eq!(answered, 150);
        assert!(stderr.lines().all(|l| l == "RUN square"), "{stderr}");
        stderr.lines().count()
    };
    // Each wave: 3 processes of 4 threads; ranges overlap by 100 keys.
    for wave in 0..2 {
        let processes: Vec<(Child, u64)> = (0..3u64)
            .map(|p| (spawn_threads(&cache, &range(p), THREADS), p))
            .collect();
        let ran: usize = processes.into_iter().map(|(c, p)| check(c, p)).sum();
        if wave == 0 {
            assert!(ran >= 250, "250 distinct keys: {ran} bodies ran");
        } else {
            assert_eq!(ran, 0, "the second wave only hits");
        }
    }
}

/// Makes everything under `dir` readable and not writable by anyone
/// (`dir` included), as a cache restored read-only or another user's is.
fn make_read_only(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            make_read_only(&path);
        } else {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
}

/// Runs the fixture on `cache` as a user who cannot write it: `nobody`
/// when the tests run as root (root writes anything), else this user.
fn run_as_other_user(cache: &Path, readonly: bool, calls: &str) -> Option<std::process::Output> {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        command.arg(fixture_binary());
        command
    } else {
        Command::new(fixture_binary())
    };
    command
        .env("FUNCACHE_DIR", cache)
        .env("FIXTURE_CALLS", calls)
        .env_remove("FUNCACHE_REFRESH")
        .env_remove("FUNCACHE_DISABLE");
    if readonly {
        command.env("FUNCACHE_READONLY", "1");
    } else {
        command.env_remove("FUNCACHE_READONLY");
    }
    match command.output() {
        Ok(output) => Some(output),
        Err(error) => {
            eprintln!("SKIPPED: cannot run the fixture as another user: {error}");
            None
        }
    }
}

/// Regression: `FUNCACHE_READONLY=1` on a read-only directory served no
/// hits ("Permission denied"): sled always opened for writing.
#[test]
fn a_read_only_directory_serves_every_stored_hit() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    assert_eq!(
        verify(spawn(&cache)),
        KEYS as usize + 2,
        "first run computes"
    );
    make_read_only(temp.path());
    // A value never stored is computed (and, the directory being
    // unwritable, not stored) without a second warning.
    let calls = format!("{} square=999", calls());
    for readonly in [true, false] {
        let Some(output) = run_as_other_user(&cache, readonly, &calls) else {
            return;
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stdout}\n{stderr}");
        let runs = stderr.lines().filter(|l| l.starts_with("RUN ")).count();
        assert_eq!(runs, 1, "every stored call hits:\n{stderr}");
        assert!(stdout.contains("square(30)=900"), "{stdout}");
        assert!(stdout.contains("square(999)=998001"), "{stdout}");
        let warnings = stderr.lines().filter(|l| l.contains("warning")).count();
        // Asked to only read: silent. Not asked: one warning that nothing
        // new will be stored.
        assert_eq!(warnings, usize::from(!readonly), "{stderr}");
    }
    // Let the temporary directory be removed.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    for sub in ["lmdb", "blobs"] {
        std::fs::set_permissions(cache.join(sub), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A process killed while it computes (holding the entry's lock) does not
/// keep others waiting: the OS releases its lock. (Were it not released,
/// the second process would wait the whole FUNCACHE_LOCK_WAIT of 10
/// minutes.)
#[test]
fn a_killed_computation_does_not_keep_others_waiting() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    // Creates the directory, so the next process starts computing at once.
    verify_quietly(spawn_calls(&cache, "square=1"));
    let mut holder = spawn_calls(&cache, "slow_square=9");
    // Inside its 200 ms body, holding the lock, when killed.
    std::thread::sleep(std::time::Duration::from_millis(100));
    holder.kill().unwrap();
    holder.wait().unwrap();
    let waiter = Command::new(fixture_binary())
        .env("FUNCACHE_DIR", &cache)
        .env("FIXTURE_CALLS", "slow_square=9")
        .env("FUNCACHE_LOCK_WAIT", "10m")
        .output()
        .unwrap();
    assert!(waiter.status.success());
    assert_eq!(
        String::from_utf8_lossy(&waiter.stdout).trim(),
        "slow_square(9)=81"
    );
}

fn verify_quietly(child: Child) {
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
}
