//! A full disk: correct results, one warning, and what fitted still hits.
//! Needs a small file system: a tmpfs mounted for the test, which takes
//! root (skipped, saying so, otherwise).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support;
use crate::util::shared;

/// A 4 MiB tmpfs, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(dir.path())
            .status();
        match status {
            Ok(status) if status.success() => Some(SmallDisk { dir }),
            other => {
                eprintln!("SKIPPED: cannot mount a small tmpfs ({other:?}); needs root");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn run(binary: &PathBuf, cache: &Path, calls: &str) -> (String, Vec<String>) {
    let output = Command::new(binary)
        .env("FUNCACHE_DIR", cache)
        .env("FIXTURE_CALLS", calls)
        .env_remove("FUNCACHE_READONLY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (stdout, stderr.lines().map(str::to_owned).collect())
}

#[test]
fn a_full_disk_gives_correct_results_and_one_warning() {
    shared();
    let binary = support::fixture_target_dir().join("debug").join("cli");
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let cache = disk.path().join("cache");
    // Four values of 1.5 MB on a 4 MiB disk, then small ones.
    let mut calls: Vec<String> = (150_000..150_004).map(|r| format!("table={r}")).collect();
    calls.extend((1..=40).map(|i| format!("square={i}")));
    let calls = calls.join(" ");
    let (stdout, stderr) = run(&binary, &cache, &calls);
    for rows in 150_000..150_004 {
        assert!(
            stdout.contains(&format!("table({rows})={rows}")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("square(40)=1600"), "{stdout}");
    let warnings: Vec<&String> = stderr.iter().filter(|l| !l.starts_with("RUN ")).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("No space left"), "{warnings:?}");
    // What was stored is served; only what did not fit is computed again.
    let (_, again) = run(&binary, &cache, &calls);
    let ran: Vec<&String> = again.iter().filter(|l| l.starts_with("RUN ")).collect();
    assert!(ran.iter().all(|l| *l == "RUN table"), "{ran:?}");
    assert!(ran.len() < 4, "some large values were stored: {ran:?}");
}
