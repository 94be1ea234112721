//! Every error: exit code 2, one line saying what is wrong, and the cache
//! directory exactly as it was.

use std::io::Read;
use std::process::Stdio;

use crate::util::{cli, command, contents, copy_cache, run, shared};

#[test]
fn a_missing_directory_is_reported_and_not_created() {
    let temp = tempfile::tempdir().unwrap();
    let missing = temp.path().join("nope");
    let dir = missing.to_str().unwrap();
    for args in [
        &["--dir", dir, "inspect"][..],
        &["--dir", dir, "purge", "--all"],
    ] {
        let output = cli(args);
        assert_eq!(
            output.error_line(),
            format!("error: no cache directory at {dir}")
        );
    }
    assert!(!missing.exists());

    // The default directory says where it came from.
    let target = temp.path().join("target-dir");
    let output = run(command()
        .env("CARGO_TARGET_DIR", &target)
        .args(["inspect", "--manifest-path"])
        .arg(shared().fixture.path()));
    let line = output.error_line();
    assert!(
        line.contains(&format!(
            "no cache directory at {}",
            target.join("funcache").display()
        )),
        "{line}"
    );
    assert!(line.contains("the default for the package at"), "{line}");
}

#[test]
fn a_directory_that_is_not_a_cache_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("notes.txt"), "mine").unwrap();
    let before = contents(temp.path());
    let dir = temp.path().to_str().unwrap();
    for args in [
        &["--dir", dir, "inspect"][..],
        &["--dir", dir, "purge", "--all"],
    ] {
        let line = cli(args).error_line().to_owned();
        assert!(
            line.ends_with("is not a funcache cache directory (it has no FUNCACHE marker)"),
            "{line}"
        );
    }
    assert_eq!(contents(temp.path()), before);
}

#[test]
fn a_corrupt_store_is_one_line() {
    let cache = copy_cache(&shared().standard);
    let db = cache.path().join("lmdb").join("data.mdb");
    let garbage: Vec<u8> = (0..std::fs::metadata(&db).unwrap().len())
        .map(|i| (i * 7919 % 251) as u8)
        .collect();
    std::fs::write(&db, garbage).unwrap();
    let before = contents(cache.path());
    let line = cli(&["--dir", &cache.dir_arg(), "purge", "--all"])
        .error_line()
        .to_owned();
    assert!(line.contains("is damaged"), "{line}");
    assert_eq!(contents(cache.path()), before);

    let marker = cache.path().join("FUNCACHE");
    std::fs::write(&marker, "funcache cache directory\nformat 99\n").unwrap();
    let line = cli(&["--dir", &cache.dir_arg(), "inspect"])
        .error_line()
        .to_owned();
    assert!(line.contains("format version 99"), "{line}");
}

/// Regression: with sled, a directory a program had open could not be
/// inspected or purged ("in use by a running program").
#[test]
fn a_store_open_in_another_process_can_be_inspected_and_purged() {
    let cache = copy_cache(&shared().standard);
    // This test process holds the directory open, as a running program
    // would; the CLI is another process.
    let held = funcache::CacheDir::open(cache.path()).unwrap();
    let counts = crate::util::entry_counts(cache.path());
    assert_eq!(counts.len(), 4, "inspect reads it: {counts:?}");
    let dir = cache.dir_arg();
    let purged = cli(&["--dir", &dir, "purge", "--fn", "square"]);
    assert_eq!(purged.code, 0, "{}", purged.stderr);
    assert!(
        held.entries("cli::steps::square").unwrap().is_empty(),
        "the holder sees it"
    );
    assert_eq!(crate::util::entry_counts(cache.path()).len(), 3);
}

#[test]
fn unknown_function_ids_suggest_close_ones() {
    let cache = copy_cache(&shared().standard);
    let before = contents(cache.path());
    let dir = cache.dir_arg();
    let line = cli(&["--dir", &dir, "inspect", "nosuch"])
        .error_line()
        .to_owned();
    assert_eq!(line, format!("error: no function `nosuch` in {dir}"));
    let line = cli(&[
        "--dir",
        &dir,
        "purge",
        "--fn",
        "square",
        "--fn",
        "cli::steps::squar",
    ])
    .error_line()
    .to_owned();
    assert!(
        line.contains("did you mean `cli::steps::square`?"),
        "{line}"
    );
    assert_eq!(
        contents(cache.path()),
        before,
        "the valid --fn was not purged either"
    );
}

#[test]
fn bad_ages_and_sizes_are_usage_errors() {
    let cache = copy_cache(&shared().standard);
    let before = contents(cache.path());
    let dir = cache.dir_arg();
    let output = cli(&["--dir", &dir, "purge", "--older-than", "7x"]);
    let line = output.usage_error();
    assert!(
        line.contains("invalid value '7x' for '--older-than <AGE>'"),
        "{line}"
    );
    assert!(line.contains("unknown time unit"), "{line}");
    let output = cli(&["--dir", &dir, "purge", "--max-size", "12 parsecs"]);
    let line = output.usage_error();
    assert!(
        line.contains("invalid value '12 parsecs' for '--max-size <SIZE>'"),
        "{line}"
    );
    let output = cli(&["--dir", &dir, "purge", "--all", "--fn", "square"]);
    assert!(
        output.usage_error().contains("cannot be used with"),
        "{output:?}"
    );
    assert_eq!(contents(cache.path()), before);
}

#[test]
fn purge_without_a_selector_asks_for_one() {
    let cache = copy_cache(&shared().standard);
    let before = contents(cache.path());
    for args in [
        &["purge"][..],
        &["purge", "--dry-run"],
        &["purge", "--json"],
    ] {
        let mut all = vec!["--dir", cache.path().to_str().unwrap()];
        all.extend(args);
        let line = cli(&all).error_line().to_owned();
        assert!(
            line.starts_with("error: purge needs a selector: --all, --fn FN"),
            "{line}"
        );
    }
    assert_eq!(contents(cache.path()), before);
}

/// `funcache-cli inspect | head -0`: the reader is gone before the report
/// is written, which is no error.
#[test]
fn a_closed_output_pipe_is_not_an_error() {
    let cache = copy_cache(&shared().standard);
    let mut child = command()
        .args(["--dir", &cache.dir_arg(), "inspect", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn help_documents_every_command_with_examples() {
    for command in ["inspect", "explain", "purge"] {
        let help = cli(&[command, "--help"]).ok().to_owned();
        assert!(help.contains("Examples:"), "{command}:\n{help}");
        assert!(
            help.contains(&format!("funcache-cli {command}")),
            "{command}:\n{help}"
        );
    }
    let help = cli(&["--help"]).ok().to_owned();
    for command in ["inspect", "explain", "purge"] {
        assert!(help.contains(command), "{help}");
    }
}
