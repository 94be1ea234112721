//! `purge`: each selector, their combination, dry runs, eviction order and
//! the space given back.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::util::{
    cli, computes, contents, copy_cache, entry_counts, entry_sizes, is_table_of, shared,
    size_on_disk, source_copy,
};

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(id, n)| (id.to_string(), *n)).collect()
}

#[test]
fn all_removes_every_entry_and_blob() {
    let cache = copy_cache(&shared().standard);
    let report = cli(&["--dir", &cache.dir_arg(), "purge", "--all", "--json"]).json();
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["removed"]["entries"], 11);
    assert_eq!(report["remaining"]["entries"], 0);
    assert_eq!(report["functions"].as_array().unwrap().len(), 4);
    assert_eq!(report["disk_after"]["blobs"], 0);
    assert!(entry_counts(cache.path()).is_empty());
    assert_eq!(
        std::fs::read_dir(cache.path().join("blobs"))
            .unwrap()
            .count(),
        0
    );
    // The directory is still a cache the program can use.
    let run = crate::util::calls(&shared().fixture, cache.path(), "square=1");
    assert_eq!(run.ran, ["square"]);
}

#[test]
fn fn_selects_the_functions_named() {
    let cache = copy_cache(&shared().standard);
    let text = cli(&[
        "--dir",
        &cache.dir_arg(),
        "purge",
        "--fn",
        "square",
        "--fn",
        "cli::steps::label",
    ])
    .ok()
    .to_owned();
    assert!(
        text.starts_with("removed 7 entries (") && text.contains("of values) from 2 functions:"),
        "{text}"
    );
    assert!(text.contains("on disk: "), "{text}");
    assert_eq!(
        entry_counts(cache.path()),
        counts(&[("cli::steps::shifted", 2), ("cli::steps::table", 2)])
    );
}

#[test]
fn stale_removes_what_the_source_no_longer_produces() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    source.edit("src/steps.rs", "x * factor", "x * factor + 1");
    let manifest = source.path().to_str().unwrap().to_owned();
    let report = cli(&[
        "--dir",
        &cache.dir_arg(),
        "purge",
        "--stale",
        "--manifest-path",
        &manifest,
        "--json",
    ])
    .json();
    assert_eq!(report["removed"]["entries"], 4);
    assert_eq!(report["functions"][0]["id"], "cli::steps::square");
    assert_eq!(
        entry_counts(cache.path()),
        counts(&[
            ("cli::steps::label", 3),
            ("cli::steps::shifted", 2),
            ("cli::steps::table", 2)
        ])
    );
    // Nothing is stale any more.
    let again = cli(&[
        "--dir",
        &cache.dir_arg(),
        "purge",
        "--stale",
        "--manifest-path",
        &manifest,
    ]);
    assert!(again.ok().starts_with("nothing to remove"), "{again:?}");
}

#[test]
fn filters_intersect() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    source.edit("src/steps.rs", "x * factor", "x * factor + 1");
    source.edit("src/steps.rs", "version = 1", "version = 2");
    let manifest = source.path().to_str().unwrap().to_owned();
    let dir = cache.dir_arg();
    // Stale and old: the entries are seconds old, so nothing.
    let none = cli(&[
        "--dir",
        &dir,
        "purge",
        "--stale",
        "--manifest-path",
        &manifest,
        "--older-than",
        "1h",
    ]);
    assert!(none.ok().starts_with("nothing to remove"), "{none:?}");
    // Stale and of `label`: not `square`, though it is stale too.
    let report = cli(&[
        "--dir",
        &dir,
        "purge",
        "--stale",
        "--manifest-path",
        &manifest,
        "--fn",
        "label",
        "--json",
    ])
    .json();
    assert_eq!(report["removed"]["entries"], 3);
    assert_eq!(entry_counts(cache.path())["cli::steps::square"], 4);
    assert!(!entry_counts(cache.path()).contains_key("cli::steps::label"));
}

#[test]
fn dry_run_reports_the_same_and_changes_nothing() {
    let cache = copy_cache(&shared().standard);
    let before = contents(cache.path());
    let dry = cli(&[
        "--dir",
        &cache.dir_arg(),
        "purge",
        "--fn",
        "table",
        "--dry-run",
        "--json",
    ])
    .json();
    assert_eq!(dry["dry_run"], true);
    assert!(dry["disk_after"].is_null());
    assert_eq!(contents(cache.path()), before, "a dry run changes no byte");
    let text = cli(&["--dir", &cache.dir_arg(), "purge", "--all", "--dry-run"])
        .ok()
        .to_owned();
    assert!(text.starts_with("would remove 11 entries"), "{text}");
    assert!(text.contains("dry run, nothing changed"), "{text}");
    assert_eq!(contents(cache.path()), before);

    let real = cli(&[
        "--dir",
        &cache.dir_arg(),
        "purge",
        "--fn",
        "table",
        "--json",
    ])
    .json();
    for field in ["removed", "functions", "remaining"] {
        assert_eq!(real[field], dry[field], "{field}");
    }
}

/// `--older-than AGE` / `--unused-for AGE` such that the cut-off falls
/// between the aged cache's two generations (a second either side).
fn age_at_boundary() -> String {
    let age = SystemTime::now().duration_since(shared().boundary).unwrap();
    format!("{}ms", age.as_millis())
}

#[test]
fn older_than_goes_by_creation_and_unused_for_by_last_use() {
    let old = copy_cache(&shared().aged);
    let report = cli(&[
        "--dir",
        &old.dir_arg(),
        "purge",
        "--older-than",
        &age_at_boundary(),
        "--json",
    ])
    .json();
    // Everything computed in the first generation, read since or not.
    assert_eq!(report["removed"]["entries"], 4, "{report}");
    assert!(!computes(old.path(), "square=3"));
    assert!(computes(old.path(), "square=1"));
    assert_eq!(entry_sizes(old.path(), "table").len(), 1);
    assert!(is_table_of(entry_sizes(old.path(), "table")[0], 170_000));

    let unused = copy_cache(&shared().aged);
    let report = cli(&[
        "--dir",
        &unused.dir_arg(),
        "purge",
        "--unused-for",
        &age_at_boundary(),
        "--json",
    ])
    .json();
    // Only what the second generation did not read.
    assert_eq!(report["removed"]["entries"], 2, "{report}");
    assert!(computes(unused.path(), "square=2"));
    assert!(!computes(unused.path(), "square=1"));
    let tables = entry_sizes(unused.path(), "table");
    assert!(
        is_table_of(tables[0], 150_000) && is_table_of(tables[1], 170_000),
        "{tables:?}"
    );

    let both = copy_cache(&shared().aged);
    let report = cli(&[
        "--dir",
        &both.dir_arg(),
        "purge",
        "--older-than",
        &age_at_boundary(),
        "--fn",
        "table",
        "--json",
    ])
    .json();
    assert_eq!(report["removed"]["entries"], 2, "old tables only: {report}");
    assert_eq!(entry_counts(both.path())["cli::steps::square"], 3);
}

#[test]
fn max_size_evicts_the_least_recently_used_first() {
    let cache = copy_cache(&shared().aged);
    let dir = cache.dir_arg();
    let inspect = cli(&["--dir", &dir, "inspect", "--json"]).json();
    let total = inspect["disk"]["total"].as_u64().unwrap();
    let tables = entry_sizes(cache.path(), "table");
    assert!(is_table_of(tables[1], 160_000), "{tables:?}");
    // Room for everything but the 160000-row table and a little: the
    // least recently used are square(2) (10 bytes, not enough) and then
    // that table — not the older 150000-row one, which was read since.
    let limit = (total - tables[1] + 1024).to_string();
    let dry = cli(&[
        "--dir",
        &dir,
        "purge",
        "--max-size",
        &limit,
        "--dry-run",
        "--json",
    ])
    .json();
    assert_eq!(dry["evicted"]["entries"], 2, "{dry}");
    assert_eq!(dry["removed"], dry["evicted"]);

    let real = cli(&["--dir", &dir, "purge", "--max-size", &limit, "--json"]).json();
    assert_eq!(real["evicted"], dry["evicted"], "{real}");
    assert!(real["disk_after"]["total"].as_u64().unwrap() <= limit.parse().unwrap());
    let tables = entry_sizes(cache.path(), "table");
    assert!(
        is_table_of(tables[0], 150_000) && is_table_of(tables[1], 170_000),
        "{tables:?}"
    );
    assert!(computes(cache.path(), "square=2"));
    assert!(!computes(cache.path(), "square=1"));

    // Tighter: the first generation goes, read or not, before the second.
    let cache = copy_cache(&shared().aged);
    let sizes = entry_sizes(cache.path(), "table");
    let limit = (total - sizes[0] - sizes[1] + 1024).to_string();
    let text = cli(&["--dir", &cache.dir_arg(), "purge", "--max-size", &limit])
        .ok()
        .to_owned();
    assert!(
        text.contains("4 entries evicted, least recently used first"),
        "{text}"
    );
    let tables = entry_sizes(cache.path(), "table");
    assert_eq!(tables.len(), 1);
    assert!(is_table_of(tables[0], 170_000), "{tables:?}");
    assert_eq!(entry_counts(cache.path())["cli::steps::square"], 1);
    assert!(!computes(cache.path(), "square=3"));
}

#[test]
fn max_size_combines_with_filters() {
    let cache = copy_cache(&shared().aged);
    let dir = cache.dir_arg();
    let total = cli(&["--dir", &dir, "inspect", "--json"]).json()["disk"]["total"]
        .as_u64()
        .unwrap();
    // Remove the squares, then fit in what is left minus one table: the
    // least recently used table, the 160000-row one, goes.
    let tables = entry_sizes(cache.path(), "table");
    let limit = (total - tables[1] + 1024).to_string();
    let report = cli(&[
        "--dir",
        &dir,
        "purge",
        "--fn",
        "square",
        "--max-size",
        &limit,
        "--json",
    ])
    .json();
    assert_eq!(report["removed"]["entries"], 4, "{report}");
    assert_eq!(report["evicted"]["entries"], 1, "{report}");
    assert_eq!(
        entry_counts(cache.path()),
        counts(&[("cli::steps::table", 2)])
    );
}

#[test]
fn a_real_purge_frees_database_pages() {
    let fixture = &shared().fixture;
    let cache = tempfile::tempdir().unwrap();
    let squares: Vec<String> = (1..=1500).map(|i| format!("square={i}")).collect();
    crate::util::calls(fixture, cache.path(), &squares.join(" "));
    crate::util::calls(fixture, cache.path(), "table=150000");
    let dir = cache.path().to_str().unwrap();
    let report = cli(&["--dir", dir, "purge", "--fn", "square", "--json"]).json();
    assert_eq!(report["removed"]["entries"], 1500);
    let before = report["disk_before"]["database"].as_u64().unwrap();
    let after = report["disk_after"]["database"].as_u64().unwrap();
    assert!(
        after * 2 < before,
        "the removed entries' pages are free: {before} -> {after}"
    );
    assert!(
        after <= size_on_disk(&cache.path().join("lmdb")),
        "measured from the database, not estimated"
    );
    assert_eq!(
        report["reclaimed"].as_i64().unwrap(),
        report["disk_before"]["total"].as_i64().unwrap()
            - report["disk_after"]["total"].as_i64().unwrap()
    );
    // What is left still hits.
    assert!(!computes(cache.path(), "table=150000"));

    // Nothing to remove: nothing is rewritten.
    let before = contents(cache.path());
    cli(&["--dir", dir, "purge", "--fn", "table", "--older-than", "1d"]).ok();
    assert_eq!(contents(cache.path()), before);
}
