//! Crashes: processes killed with SIGKILL at points spread over their
//! writes leave a directory that opens, serves every value whose write
//! completed, and never a torn one (large values included).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support;
use crate::util::{cli, shared};

/// Calls of one writer: many small values and a few blobs.
fn calls() -> String {
    let mut calls: Vec<String> = (1..=300).map(|i| format!("square={i}")).collect();
    for (n, rows) in (150_000..150_004).enumerate() {
        calls.insert(60 * (n + 1), format!("table={rows}"));
    }
    calls.join(" ")
}

/// Checks every value a run printed; returns how many bodies ran.
fn check_values(stdout: &str) -> usize {
    let mut checked = 0;
    for line in stdout.lines() {
        let (call, value) = line.split_once('=').unwrap();
        let (name, arg) = call.trim_end_matches(')').split_once('(').unwrap();
        let arg: u64 = arg.parse().unwrap();
        let expected = match name {
            "square" => arg * arg,
            "table" => arg,
            other => panic!("unexpected call {other}"),
        };
        assert_eq!(value, expected.to_string(), "{line}");
        checked += 1;
    }
    checked
}

#[test]
fn killed_writers_leave_a_store_that_serves_only_whole_values() {
    let binary = {
        shared();
        support::fixture_target_dir().join("debug").join("cli")
    };
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let delays_ms = [10u64, 25, 50, 80, 120, 160, 200, 250];
    for (round, delay) in delays_ms.into_iter().enumerate() {
        // Two writers per round, killed together mid-write.
        let writers: Vec<_> = (0..2)
            .map(|_| {
                Command::new(&binary)
                    .env("FUNCACHE_DIR", &cache)
                    .env("FIXTURE_CALLS", calls())
                    .env_remove("FUNCACHE_READONLY")
                    .env_remove("FUNCACHE_REFRESH")
                    .env_remove("FUNCACHE_DISABLE")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_millis(delay));
        for mut writer in writers {
            let _ = writer.kill();
            let _ = writer.wait();
        }
        // Between kills, the CLI opens the directory as it was left.
        if cache.join("FUNCACHE").exists() {
            let run = cli(&["--dir", cache.to_str().unwrap(), "inspect", "--json"]);
            assert_eq!(run.code, 0, "round {round}: {}", run.stderr);
        }
    }
    // Everything that was stored is whole; the rest is computed.
    let verify = Command::new(&binary)
        .env("FUNCACHE_DIR", &cache)
        .env("FIXTURE_CALLS", calls())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&verify.stdout);
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "{stderr}");
    assert_eq!(check_values(&stdout), 304);
    let noise: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("RUN ")).collect();
    assert!(noise.is_empty(), "no warnings after the kills: {noise:?}");
    let recomputed = stderr.lines().filter(|l| l.starts_with("RUN ")).count();
    eprintln!(
        "{} writers killed; {} of 304 values were stored whole, {recomputed} recomputed",
        2 * delays_ms.len(),
        304 - recomputed
    );
    // And now every value is stored.
    let again = Command::new(&binary)
        .env("FUNCACHE_DIR", &cache)
        .env("FIXTURE_CALLS", calls())
        .output()
        .unwrap();
    assert_eq!(check_values(&String::from_utf8_lossy(&again.stdout)), 304);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("RUN "));
}
