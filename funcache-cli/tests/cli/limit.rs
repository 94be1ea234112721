//! `FUNCACHE_MAX_SIZE`: programs keep a cache directory under its limit by
//! evicting the least recently used entries, across functions.

use std::process::Command;

use crate::support;
use crate::util::{cli, command, run, shared};

#[test]
fn programs_keep_the_directory_under_the_size_limit() {
    shared();
    let binary = support::fixture_target_dir().join("debug").join("cli");
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    // Six values of 1.5 MB each (blob files), then a few small ones, in a
    // directory limited to 4 MiB.
    let calls: Vec<String> = (150_000..150_006)
        .map(|rows| format!("table={rows}"))
        .chain((1..=5).map(|i| format!("square={i}")))
        .collect();
    let run = Command::new(&binary)
        .env("FUNCACHE_DIR", &cache)
        .env("FUNCACHE_MAX_SIZE", "4MiB")
        .env("FIXTURE_CALLS", calls.join(" "))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.lines().all(|l| l.starts_with("RUN ")),
        "no warnings: {stderr}"
    );
    let report = cli(&["--dir", cache.to_str().unwrap(), "inspect", "--json"]).json();
    let total = report["disk"]["total"].as_u64().unwrap();
    assert!(total <= 4 << 20, "{total} bytes over the 4 MiB limit");
    // The latest values are the ones kept.
    let kept = |call: &str| {
        let again = Command::new(&binary)
            .env("FUNCACHE_DIR", &cache)
            .env("FUNCACHE_READONLY", "1")
            .env("FIXTURE_CALLS", call)
            .output()
            .unwrap();
        !String::from_utf8_lossy(&again.stderr).contains("RUN ")
    };
    assert!(kept("table=150005"), "the newest large value stays");
    assert!(kept("square=5"));
    assert!(!kept("table=150000"), "the oldest large value was evicted");
}

#[test]
fn inspect_shows_the_limit_in_effect() {
    let cache = crate::util::copy_cache(&shared().standard);
    let dir = cache.dir_arg();
    let json = run(command()
        .env("FUNCACHE_MAX_SIZE", "1GiB")
        .args(["--dir", &dir, "inspect", "--json"]))
    .json();
    assert_eq!(json["disk"]["limit"], 1u64 << 30);
    let table = run(command()
        .env("FUNCACHE_MAX_SIZE", "1GiB")
        .args(["--dir", &dir, "inspect"]));
    assert!(table.stdout.contains("limit 1.0 GiB"), "{}", table.stdout);
    let json = run(command()
        .env_remove("FUNCACHE_MAX_SIZE")
        .args(["--dir", &dir, "inspect", "--json"]))
    .json();
    assert!(json["disk"]["limit"].is_null());
}
