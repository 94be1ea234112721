//! `funcache-cli inspect --remote` and `purge --remote` against a real
//! Redis that requires a password, and the password kept out of every
//! line the CLI and the runtime print.

use std::process::Command;

use crate::machine::{Machine, calls, values_under};
use crate::redis_data::ServerData;
use crate::support::cli;
use funcache_testkit::{RedisOptions, RedisServer};

const PASSWORD: &str = "hunter2-s3cret";

/// One run of the CLI: exit code, stdout, stderr.
pub struct CliRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl CliRun {
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "funcache-cli failed:\n{}\n{}",
            self.stdout,
            self.stderr
        );
        &self.stdout
    }

    fn assert_redacted(&self) {
        assert!(
            !self.stdout.contains(PASSWORD) && !self.stderr.contains(PASSWORD),
            "the password was printed:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `funcache-cli ARGS` in an empty directory, with an empty cache
/// directory and `env` (nothing of the developer's funcache settings).
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> CliRun {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(cli::binary());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FUNCACHE_") {
            command.env_remove(name);
        }
    }
    let output = command
        .args(args)
        .env("FUNCACHE_DIR", dir.path().join("cache"))
        .env_remove("CARGO_TARGET_DIR")
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let run = CliRun {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    run.assert_redacted();
    run
}

/// The line of a table that names `function` (the id ends with it).
pub fn row<'t>(table: &'t str, function: &str) -> Option<&'t str> {
    table.lines().find(|line| {
        line.split_whitespace()
            .any(|cell| cell == function || cell.ends_with(&format!("::{function}")))
    })
}

#[test]
fn inspect_and_purge_the_remote_without_printing_the_password() {
    let Some(server) = RedisServer::start(
        "inspect_and_purge_the_remote_without_printing_the_password",
        RedisOptions::default().requirepass(PASSWORD),
    ) else {
        return;
    };
    let url = server.url();
    let mut work = calls("square", 0..3);
    work.extend(calls("cube", 0..2));
    let stored = Machine::with_remote(&url).run(&work);
    stored.no_warnings();

    // Counts per function, from the URL given, or from FUNCACHE_REMOTE.
    for inspect in [
        run_cli(&["inspect", "--remote", &url], &[]),
        run_cli(&["inspect", "--remote"], &[("FUNCACHE_REMOTE", &url)]),
    ] {
        let table = inspect.ok();
        for (function, entries) in [("square", "3"), ("cube", "2")] {
            let line = row(table, function).unwrap_or_else(|| panic!("no {function} in:\n{table}"));
            // The first column counts the entries.
            assert_eq!(line.split_whitespace().next(), Some(entries), "{table}");
        }
    }

    // A dry run changes nothing; a purge of one function removes exactly
    // its entries.
    run_cli(
        &["purge", "--remote", &url, "--fn", "square", "--dry-run"],
        &[],
    )
    .ok();
    assert_eq!(server.dbsize(), 5);
    run_cli(&["purge", "--remote", &url, "--fn", "square"], &[]).ok();
    let keys = server.keys();
    assert!(
        values_under(&keys, stored.prefix("square")).is_empty(),
        "{keys:?}"
    );
    assert_eq!(
        values_under(&keys, stored.prefix("cube")).len(),
        2,
        "{keys:?}"
    );
    let after = run_cli(&["inspect", "--remote", &url], &[]);
    assert!(row(after.ok(), "square").is_none(), "{}", after.stdout);

    // The password from FUNCACHE_REMOTE_PASSWORD, with a URL without one.
    let hits = Machine::with_remote(&server.url_without_password())
        .env("FUNCACHE_REMOTE_PASSWORD", PASSWORD)
        .run(&calls("cube", 0..2));
    assert_eq!(hits.total_runs(), 0, "{}", hits.stderr);
    hits.no_warnings();

    // A wrong password: an error or a warning, never the password.
    let wrong = url.replace(PASSWORD, &format!("{PASSWORD}-wrong"));
    let refused = run_cli(&["inspect", "--remote", &wrong], &[]);
    assert!(
        refused.code != Some(0) || !refused.stderr.is_empty(),
        "a refused password went unnoticed"
    );
    let warned = Machine::with_remote(&wrong).run(&calls("square", 0..2));
    warned.one_warning();
    assert!(!warned.stderr.contains(PASSWORD), "{}", warned.stderr);
}
