//! `inspect --remote` and `purge --remote` against a real Redis that the
//! fixture filled (its `table` values are over the 1 MiB cap, so they stay
//! local): counts per function, the same selectors as a directory's purge,
//! and passwords never shown.

use std::collections::BTreeMap;

use funcache_testkit::{RedisOptions, RedisServer};

use crate::util::{Output, cli, command, run, shared, source_copy};

/// Runs the fixture's standard calls with the remote at `url` and a fresh
/// cache directory (a new machine).
fn fill(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let run = shared()
        .fixture
        .run_with(dir.path(), &[("FUNCACHE_REMOTE", url)]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

/// Whether a new machine (empty cache directory) computes `call`.
fn computes(url: &str, call: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let run = shared().fixture.run_with(
        dir.path(),
        &[("FUNCACHE_REMOTE", url), ("FIXTURE_CALLS", call)],
    );
    !run.ran.is_empty()
}

fn remote_counts(url: &str) -> BTreeMap<String, u64> {
    let report = cli(&["inspect", "--remote", url, "--json"]).json();
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let id = f["id"].as_str().unwrap().to_owned();
            (id, f["entries"].as_u64().unwrap())
        })
        .collect()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect()
}

#[test]
fn inspect_remote_counts_entries_per_function_and_hides_the_password() {
    let Some(server) = RedisServer::start(
        "inspect --remote",
        RedisOptions::default().requirepass("hunter2"),
    ) else {
        return;
    };
    let url = server.url();
    let shown = format!("redis://:***@{}/0", server.address());
    fill(&url);
    assert_eq!(
        remote_counts(&url),
        counts(&[
            ("cli::steps::label", 2),
            ("cli::steps::shifted", 1),
            ("cli::steps::square", 3)
        ])
    );
    let table = cli(&["inspect", "--remote", &url]);
    let text = table.ok();
    assert!(text.contains("cli::steps::square"), "{text}");
    assert!(
        text.contains("3 functions, 6 entries") && text.contains(&shown),
        "{text}"
    );
    // The URL from the environment, and one function's entries.
    let output = run(command()
        .env("FUNCACHE_REMOTE", &url)
        .args(["inspect", "square", "--remote", "--json"]));
    let report = output.json();
    assert_eq!(report["remote"], shown.as_str());
    let entries = report["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(
        entries
            .iter()
            .all(|e| e["readable"] == true && e["created"].is_string())
    );
    assert!(entries.iter().all(|e| e["expires_in_seconds"].is_null()));
    for output in [table, output] {
        assert!(!output.stdout.contains("hunter2") && !output.stderr.contains("hunter2"));
    }
    // A second machine hits what the first computed.
    assert!(!computes(&url, "square=2"));
    assert!(computes(&url, "square=99"));
}

#[test]
fn purge_remote_takes_the_directory_purge_s_selectors() {
    let Some(server) = RedisServer::start("purge --remote", RedisOptions::default()) else {
        return;
    };
    let url = server.url();
    fill(&url);
    let dry = cli(&[
        "purge",
        "--remote",
        &url,
        "--fn",
        "label",
        "--dry-run",
        "--json",
    ])
    .json();
    assert_eq!(dry["removed"]["entries"], 2);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        remote_counts(&url)["cli::steps::label"],
        2,
        "a dry run changes nothing"
    );
    let report = cli(&["purge", "--remote", &url, "--fn", "label", "--json"]).json();
    assert_eq!(report["removed"]["entries"], 2);
    assert_eq!(report["remaining"]["entries"], 4);
    assert!(!remote_counts(&url).contains_key("cli::steps::label"));
    assert!(computes(&url, "label=a"), "removed from the remote");

    // Stale: `square` changed in the source; the others did not.
    let source = source_copy();
    source.edit("src/steps.rs", "x * factor", "x * factor + 1");
    let manifest = source.path().to_str().unwrap().to_owned();
    let stale = [
        "purge",
        "--remote",
        &url,
        "--stale",
        "--manifest-path",
        &manifest,
    ];
    let report = cli(&[&stale[..], &["--json"]].concat()).json();
    assert_eq!(report["removed"]["entries"], 3);
    assert_eq!(report["functions"][0]["id"], "cli::steps::square");
    assert!(cli(&stale).ok().starts_with("nothing to remove"));

    // Entries are seconds old.
    let old = cli(&["purge", "--remote", &url, "--older-than", "1h"]);
    assert!(old.ok().starts_with("nothing to remove"), "{old:?}");
    let all = cli(&["purge", "--remote", &url, "--all"]);
    assert!(all.ok().contains("removed"), "{all:?}");
    assert!(remote_counts(&url).is_empty());
}

#[test]
fn remote_errors_exit_2_with_one_line_and_no_password() {
    let line = cli(&["inspect", "--remote", "redis://u:hunter2@127.0.0.1:port"])
        .error_line()
        .to_owned();
    assert_eq!(
        line,
        "error: invalid remote URL redis://u:***@127.0.0.1:port: `port` is not a port number"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("redis://:hunter2@127.0.0.1:{port}/0");
    let line = cli(&["purge", "--remote", &unreachable, "--all"])
        .error_line()
        .to_owned();
    assert!(
        line.starts_with(&format!(
            "error: remote redis://:***@127.0.0.1:{port}/0 failed"
        )),
        "{line}"
    );
    let output = run(command()
        .env_remove("FUNCACHE_REMOTE")
        .args(["inspect", "--remote"]));
    assert_eq!(
        output.error_line(),
        "error: no remote given: pass --remote URL or set FUNCACHE_REMOTE"
    );
    for (option, value) in [("--unused-for", "1d"), ("--max-size", "1MiB")] {
        let line = cli(&["purge", "--remote", &unreachable, option, value])
            .error_line()
            .to_owned();
        assert!(
            line.contains(&format!("{option} does not apply with --remote")),
            "{line}"
        );
    }
    assert!(
        cli(&["purge", "--remote", &unreachable])
            .error_line()
            .contains("needs a selector")
    );
}

/// `--remote` takes an optional URL, so `inspect --remote square` used to
/// hand `square` over as the URL. Every form that means "the remote from
/// FUNCACHE_REMOTE" or "this URL" works; a value that is no URL is a usage
/// error that says how to write what was meant.
#[test]
fn remote_takes_a_url_alone_or_nothing_and_says_how_when_given_a_function() {
    let Some(server) = RedisServer::start("--remote forms", RedisOptions::default()) else {
        return;
    };
    let url = server.url();
    fill(&url);
    let with_env = |args: &[&str]| run(command().env("FUNCACHE_REMOTE", &url).args(args));

    let square = |output: Output| {
        let report = output.json();
        assert_eq!(report["function"]["id"], "cli::steps::square", "{report}");
        report["entries"].as_array().unwrap().len()
    };
    assert_eq!(
        square(with_env(&["inspect", "square", "--remote", "--json"])),
        3
    );
    assert_eq!(
        square(with_env(&["inspect", "--remote", "--json", "square"])),
        3
    );
    let equals = format!("--remote={url}");
    assert_eq!(square(cli(&["inspect", "square", &equals, "--json"])), 3);
    assert_eq!(
        square(cli(&["inspect", "--remote", &url, "square", "--json"])),
        3
    );

    // The function where the URL goes: refused before anything connects,
    // with FUNCACHE_REMOTE set or not.
    for args in [
        &["inspect", "--remote", "square"][..],
        &["inspect", "--remote=square"],
    ] {
        let line = with_env(args).usage_error().to_owned();
        assert!(
            line.contains("`square` is not a Redis URL")
                && line.ends_with("write `inspect square --remote`"),
            "{line}"
        );
    }
    let line = cli(&["purge", "--remote", "square", "--all"])
        .usage_error()
        .to_owned();
    assert!(
        line.contains("`square` is not a Redis URL")
            && line.ends_with("write `purge --fn square --remote`"),
        "{line}"
    );
    assert_eq!(
        remote_counts(&url)["cli::steps::square"],
        3,
        "nothing purged"
    );

    // purge's forms.
    let dry = with_env(&["purge", "--fn", "square", "--remote", "--dry-run", "--json"]).json();
    assert_eq!(dry["removed"]["entries"], 3, "{dry}");
    let removed = cli(&["purge", &equals, "--fn", "square", "--json"]).json();
    assert_eq!(removed["removed"]["entries"], 3, "{removed}");
    assert!(!remote_counts(&url).contains_key("cli::steps::square"));
}

/// The column names of a table's header line.
fn header(table: &str) -> Vec<&str> {
    table.lines().next().unwrap().split_whitespace().collect()
}

/// The keys of the first function in an `inspect --json` report.
fn function_keys(report: &serde_json::Value) -> Vec<String> {
    report["functions"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn inspect_remote_has_the_directory_s_columns_but_hits_and_misses() {
    let Some(server) = RedisServer::start("inspect --remote columns", RedisOptions::default())
    else {
        return;
    };
    let url = server.url();
    fill(&url);
    let dir = crate::util::copy_cache(&shared().standard);
    let local = cli(&["--dir", &dir.dir_arg(), "inspect"]);
    let remote = cli(&["inspect", "--remote", &url]);
    let mut expected = header(local.ok());
    expected.retain(|column| !["HITS", "MISSES"].contains(column));
    assert_eq!(header(remote.ok()), expected);

    let local = cli(&["--dir", &dir.dir_arg(), "inspect", "--json"]).json();
    let remote = cli(&["inspect", "--remote", &url, "--json"]).json();
    let mut expected = function_keys(&local);
    expected.retain(|key| key != "hits" && key != "misses");
    assert_eq!(function_keys(&remote), expected);
}
