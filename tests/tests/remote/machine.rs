//! A "machine": [`crate::program`] run as a child process with a cache
//! directory of its own and the environment a test gives it; the
//! [`Outcome`] of a run is what it printed, every returned value checked
//! against [`expected`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::program::{BARRIER, BUILDER, CALLS, CHILD, FUNCTIONS, MARK, SIGNAL, expected};

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
            "program::child_machine",
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
    server: &funcache_testkit::RedisServer,
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
