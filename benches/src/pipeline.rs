//! The real pipeline: the `file_statistics` example (one cached call per
//! Rust file) over the local crate registry, uncached, in a new cache
//! directory (every file a miss: the write path), and again on that
//! directory (all hits). Runs are alternated so that drift in the
//! machine's speed touches all three alike; each figure is the loop time
//! the example reports, without its final flush.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::Figure;
use crate::sections::report;

/// Rounds of (uncached, first, second) runs.
const ROUNDS: usize = 3;

/// The crate registry's unpacked sources, if there are any.
fn registry_sources() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))?;
    let sources = home.join("registry").join("src");
    sources.is_dir().then_some(sources)
}

/// Builds the example and returns its path.
fn build_example(workspace: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "funcache",
            "--example",
            "file_statistics",
        ])
        .current_dir(workspace)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "building the file_statistics example failed"
    );
    workspace.join("target/release/examples/file_statistics")
}

/// One run: the loop time in nanoseconds, and the misses it reports.
fn run(example: &Path, sources: &Path, env: &[(&str, &Path)], disable: bool) -> (f64, u64) {
    let mut command = Command::new(example);
    command
        .arg(sources)
        .env_remove("FUNCACHE_DIR")
        .env_remove("FUNCACHE_DURABILITY")
        .env_remove("FUNCACHE_DISABLE");
    for (name, value) in env {
        command.env(name, value);
    }
    if disable {
        command.env("FUNCACHE_DISABLE", "1");
    }
    let output = command.output().expect("run the example");
    assert!(output.status.success(), "the example failed: {output:?}");
    // "<n> files, … in 0.86 s (909 hits, 7387 misses)"
    let text = String::from_utf8_lossy(&output.stdout);
    let seconds: f64 = text
        .split(" in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected output: {text}"));
    let misses = text
        .rsplit(", ")
        .next()
        .and_then(|rest| rest.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (seconds * 1e9, misses)
}

/// The section: prints `RESULT pipeline.{uncached,first,second}` and the
/// count of misses of a first run, or nothing without a crate registry.
pub fn pipeline(workspace: &Path) {
    let Some(sources) = registry_sources() else {
        eprintln!("no crate registry sources: the real-pipeline row is left out");
        return;
    };
    let example = build_example(workspace);
    let mut uncached = Vec::new();
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut misses = 0;
    for _ in 0..ROUNDS {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("cache");
        let env = [("FUNCACHE_DIR", dir.as_path())];
        uncached.push(run(&example, &sources, &env, true).0);
        let (time, missed) = run(&example, &sources, &env, false);
        first.push(time);
        misses = missed;
        second.push(run(&example, &sources, &env, false).0);
    }
    report("pipeline.uncached", Figure::from_samples(uncached));
    report("pipeline.first", Figure::from_samples(first));
    report("pipeline.second", Figure::from_samples(second));
    println!("RESULT pipeline.misses {misses} {misses} {misses}");
}
