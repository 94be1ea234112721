//! Builds and runs fixture crates from `fixtures/` the way a user would:
//! copied to a temporary directory, depending on this workspace by path,
//! built with cargo, run with a chosen cache directory, edited, rebuilt.
//!
//! Every fixture build shares one target directory (`target/fixtures`) so
//! that dependencies compile once per test run; builds are serialized by
//! [`Fixture::lock`] because copies of one fixture share binary paths.

#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod cli;
pub mod overlay;
pub mod real_crate;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

/// The workspace root (parent of `tests/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory shared by fixture builds.
pub fn fixture_target_dir() -> PathBuf {
    workspace().join("target").join("fixtures")
}

/// One scenario at a time: copies of a fixture share binary paths.
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fixture crate copied to a temporary directory.
pub struct Fixture {
    dir: tempfile::TempDir,
    name: String,
}

/// What one run of a fixture binary did.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// Names of the cached bodies that executed (`RUN <name>` on stderr).
    pub ran: Vec<String>,
}

impl Run {
    /// What the run said on stderr besides its `RUN <name>` markers:
    /// warnings and errors.
    pub fn warnings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| !line.starts_with("RUN "))
            .collect()
    }

    /// The value printed for `key` (`key=value` on stdout).
    pub fn value(&self, key: &str) -> &str {
        let prefix = format!("{key}=");
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no `{key}=` in stdout:\n{}", self.stdout))
    }
}

/// Copies a directory tree, leaving out any `target/` directory.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn output_text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

impl Fixture {
    /// Copies `fixtures/<name>` to a new temporary directory, pointing its
    /// path dependencies on this workspace at absolute paths and seeding it
    /// with the workspace's Cargo.lock so the build resolves to the
    /// versions already used here.
    pub fn copy(name: &str) -> Fixture {
        Self::copy_into(
            name,
            tempfile::Builder::new()
                .prefix("funcache-fixture-")
                .tempdir()
                .unwrap(),
        )
    }

    /// Like [`copy`](Self::copy), into a directory of the caller's choosing.
    pub fn copy_into(name: &str, dir: tempfile::TempDir) -> Fixture {
        let source = workspace().join("fixtures").join(name);
        copy_dir(&source, dir.path());
        let manifest = dir.path().join("Cargo.toml");
        let text = fs::read_to_string(&manifest).unwrap();
        let absolute = workspace().join("funcache");
        let text = text.replace(
            "\"../../funcache\"",
            &format!("{:?}", absolute.to_str().unwrap()),
        );
        fs::write(&manifest, text).unwrap();
        fs::copy(
            workspace().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        Fixture {
            dir,
            name: name.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Builds the fixture's binary; panics with cargo's output on failure.
    pub fn build(&self) {
        let output = self.cargo_build();
        if !output.status.success() {
            let (stdout, stderr) = output_text(&output);
            panic!("building fixture {} failed:\n{stdout}\n{stderr}", self.name);
        }
    }

    /// Builds and returns cargo's output, success or not.
    pub fn cargo_build(&self) -> Output {
        self.cargo_build_with(&[], &[])
    }

    /// Builds with cargo `features` enabled and extra environment variables
    /// set for cargo (and so for rustc, build scripts and `env!`); panics
    /// with cargo's output on failure.
    pub fn build_with(&self, features: &[&str], env: &[(&str, &str)]) {
        let output = self.cargo_build_with(features, env);
        if !output.status.success() {
            let (stdout, stderr) = output_text(&output);
            panic!("building fixture {} failed:\n{stdout}\n{stderr}", self.name);
        }
    }

    /// Builds with extra arguments for `cargo build` (`--config ..`);
    /// panics with cargo's output on failure.
    pub fn build_args(&self, args: &[&str]) {
        let output = self.cargo_build_command(&[], &[], args);
        if !output.status.success() {
            let (stdout, stderr) = output_text(&output);
            panic!("building fixture {} failed:\n{stdout}\n{stderr}", self.name);
        }
    }

    fn cargo_build_with(&self, features: &[&str], env: &[(&str, &str)]) -> Output {
        self.cargo_build_command(features, env, &[])
    }

    fn cargo_build_command(
        &self,
        features: &[&str],
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Output {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(["build", "--quiet", "--manifest-path"])
            .arg(self.path().join("Cargo.toml"))
            .args(args);
        if !features.is_empty() {
            command.arg("--features").arg(features.join(","));
        }
        command
            .env("CARGO_TARGET_DIR", fixture_target_dir())
            // Debug info only slows these builds down.
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .env_remove("FUNCACHE_DIR")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    /// Runs the built binary with `cache_dir` as `FUNCACHE_DIR` and extra
    /// environment variables.
    pub fn run_with(&self, cache_dir: &Path, env: &[(&str, &str)]) -> Run {
        self.run_binary(&fixture_target_dir(), &self.name, cache_dir, env)
    }

    /// Runs the binary served (with `cache_dir`) and uncached
    /// (`FUNCACHE_DISABLE=1`), asserts the two agree on each of `names`
    /// (`when` says which step failed), and returns the served run.
    pub fn run_fresh(&self, cache_dir: &Path, names: &[&str], when: &str) -> Run {
        let served = self.run(cache_dir);
        let uncached = self.run_with(cache_dir, &[("FUNCACHE_DISABLE", "1")]);
        for name in names {
            assert_eq!(
                served.value(name),
                uncached.value(name),
                "{when}: {name} served stale"
            );
        }
        served
    }

    /// Runs another binary of the fixture, `bin`, with `cache_dir` as
    /// `FUNCACHE_DIR`.
    pub fn run_bin(&self, bin: &str, cache_dir: &Path) -> Run {
        self.run_binary(&fixture_target_dir(), bin, cache_dir, &[])
    }

    /// Runs the binary built into another target directory (a build with
    /// `CARGO_TARGET_DIR` set) with `cache_dir` as `FUNCACHE_DIR`.
    pub fn run_in(&self, target_dir: &Path, cache_dir: &Path) -> Run {
        self.run_binary(target_dir, &self.name, cache_dir, &[])
    }

    fn run_binary(
        &self,
        target_dir: &Path,
        bin: &str,
        cache_dir: &Path,
        env: &[(&str, &str)],
    ) -> Run {
        let binary = target_dir.join("debug").join(bin);
        let mut command = Command::new(&binary);
        command.env("FUNCACHE_DIR", cache_dir);
        for var in [
            "FUNCACHE_REFRESH",
            "FUNCACHE_DISABLE",
            "FUNCACHE_READONLY",
            "FUNCACHE_REMOTE",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let (stdout, stderr) = output_text(&output);
        assert!(
            output.status.success(),
            "fixture {} failed:\n{stdout}\n{stderr}",
            self.name
        );
        let mut ran: Vec<String> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("RUN "))
            .map(str::to_owned)
            .collect();
        ran.sort();
        Run {
            stdout,
            stderr,
            ran,
        }
    }

    pub fn run(&self, cache_dir: &Path) -> Run {
        self.run_with(cache_dir, &[])
    }

    /// Replaces `from` with `to` in one file (it must occur) and moves the
    /// file's mtime forward so cargo cannot miss the edit.
    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.path().join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
        bump_mtime(&path);
    }

    /// Writes a whole file.
    pub fn write(&self, file: &str, contents: &str) {
        let path = self.path().join(file);
        fs::write(&path, contents).unwrap();
        bump_mtime(&path);
    }

    pub fn read(&self, file: &str) -> String {
        fs::read_to_string(self.path().join(file)).unwrap()
    }
}

/// Sets a file's mtime a few seconds past any earlier build, so cargo's
/// freshness check sees the change even within one filesystem tick.
fn bump_mtime(path: &Path) {
    static NEXT: Mutex<Option<SystemTime>> = Mutex::new(None);
    let mut next = NEXT.lock().unwrap_or_else(PoisonError::into_inner);
    let now = SystemTime::now() + Duration::from_secs(2);
    let time = match *next {
        Some(previous) if previous >= now => previous + Duration::from_secs(1),
        _ => now,
    };
    *next = Some(time);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}
