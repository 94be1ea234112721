//! `inspect`: the numbers shown are the ones the fixture's runs produced.

use crate::util::{STANDARD, cli, copy_cache, shared, source_copy};

/// The row of `table` whose last column is `id`, split on whitespace.
fn row<'a>(table: &'a str, id: &str) -> Vec<&'a str> {
    table
        .lines()
        .find(|line| line.ends_with(&format!("  {id}")))
        .unwrap_or_else(|| panic!("no row for {id} in\n{table}"))
        .split_whitespace()
        .collect()
}

#[test]
fn table_shows_each_function_with_the_counts_the_runs_produced() {
    let cache = copy_cache(&shared().standard);
    let output = cli(&["--dir", &cache.dir_arg(), "inspect"]);
    let table = output.ok();
    assert!(table.starts_with("ENTRIES"), "{table}");
    for (id, entries) in STANDARD {
        let cells = row(table, id);
        assert_eq!(cells[0], entries.to_string(), "entries of {id}");
        let n = cells.len();
        assert_eq!(cells[n - 3], (entries - 1).to_string(), "hits of {id}");
        assert_eq!(cells[n - 2], entries.to_string(), "misses of {id}");
    }
    let table_row = row(table, "cli::steps::table").join(" ");
    assert!(
        table_row.contains("2.9 MiB"),
        "the blobs' size: {table_row}"
    );
    assert!(table.contains("4 functions, 11 entries"), "{table}");
    assert!(table.contains("on disk: "), "{table}");
    assert!(
        table
            .lines()
            .all(|l| l.len() <= 80 || l.contains("on disk")),
        "fits 80 columns:\n{table}"
    );
}

#[test]
fn json_has_the_same_numbers_and_the_disk_usage() {
    let cache = copy_cache(&shared().standard);
    let report = cli(&["--dir", &cache.dir_arg(), "inspect", "--json"]).json();
    assert_eq!(report["dir"], cache.dir_arg());
    assert!(report["source"].is_null());
    let functions = report["functions"].as_array().unwrap();
    let ids: Vec<&str> = functions
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, STANDARD.map(|(id, _)| id));
    for (function, (_, entries)) in functions.iter().zip(STANDARD) {
        assert_eq!(function["entries"], entries);
        assert_eq!(function["hits"], entries - 1);
        assert_eq!(function["misses"], entries);
        let fingerprints = function["fingerprints"].as_array().unwrap();
        assert_eq!(fingerprints.len(), 1);
        assert_eq!(fingerprints[0]["entries"], entries);
        assert_eq!(fingerprints[0]["fingerprint"].as_str().unwrap().len(), 64);
        assert!(fingerprints[0]["status"].is_null());
        assert!(function["oldest"].as_str().unwrap() <= function["newest"].as_str().unwrap());
    }
    let table_bytes = functions[3]["bytes"].as_u64().unwrap();
    assert!(table_bytes > 2 << 20, "two blobs: {table_bytes}");
    let disk = &report["disk"];
    let (database, blobs) = (
        disk["database"].as_u64().unwrap(),
        disk["blobs"].as_u64().unwrap(),
    );
    assert_eq!(disk["total"].as_u64().unwrap(), database + blobs);
    // Entry sizes also count each blob reference (an envelope of ~60 bytes).
    assert!(blobs >= table_bytes - 200, "the blob is on disk: {disk}");
    // The pages in use: at most the file, which keeps freed pages.
    let file = crate::util::size_on_disk(&cache.path().join("lmdb"));
    assert!(database > 0 && database <= file, "{database} of {file}");
}

#[test]
fn inspect_fn_lists_its_entries() {
    let cache = copy_cache(&shared().standard);
    let dir = cache.dir_arg();
    // An unambiguous ending of the id is enough.
    let table = cli(&["--dir", &dir, "inspect", "square"]).ok().to_owned();
    let mut lines = table.lines();
    // Sizes vary by a byte with the compute time's varint; the rest is fixed.
    let title = lines.next().unwrap();
    assert!(
        title.starts_with("cli::steps::square: 4 entries, "),
        "{title}"
    );
    assert!(
        title.ends_with(" B, 1 fingerprint, 3 hits, 4 misses"),
        "{title}"
    );
    assert!(lines.next().unwrap().starts_with("FINGERPRINT  ARGS#"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{table}");
    let mut tags: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap())
        .collect();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), 4, "each entry's arguments tell apart: {table}");
    assert!(rows.iter().all(|r| r.contains(" db ")), "{table}");

    let report = cli(&["--dir", &dir, "inspect", "cli::steps::square", "--json"]).json();
    let entries = report["entries"].as_array().unwrap();
    let mut keys: Vec<&str> = entries
        .iter()
        .map(|e| e["args_key"].as_str().unwrap())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 4, "distinct argument keys");
    assert!(
        keys.iter()
            .all(|k| !k.is_empty() && k.len() % 2 == 0 && k.chars().all(|c| c.is_ascii_hexdigit())),
        "{keys:?}"
    );
    for entry in entries {
        assert_eq!(entry["blob"], false);
        assert_eq!(entry["readable"], true);
        assert!(entry["last_used"].as_str().unwrap() >= entry["created"].as_str().unwrap());
        assert!(entry["compute_seconds"].as_f64().unwrap() >= 0.0);
    }

    let table = cli(&["--dir", &dir, "inspect", "steps::table", "--json"]).json();
    for blob in table["entries"].as_array().unwrap() {
        assert_eq!(blob["blob"], true);
        assert!(blob["size"].as_u64().unwrap() > 1 << 20);
    }
}

#[test]
fn manifest_path_marks_fingerprints_live_stale_or_gone() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    // A helper `square` calls changes; `shifted` is renamed away.
    source.edit("src/steps.rs", "x * factor", "x * factor + 1");
    source.edit("src/steps.rs", "pub fn shifted(", "pub fn moved(");
    let manifest = source.path().join("Cargo.toml");
    let manifest = manifest.to_str().unwrap();

    let report = cli(&[
        "--dir",
        &cache.dir_arg(),
        "inspect",
        "--manifest-path",
        manifest,
        "--json",
    ])
    .json();
    assert_eq!(report["source"], source.path().to_str().unwrap());
    let status: Vec<(&str, &str)> = report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["fingerprints"][0]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("cli::steps::label", "live"),
            ("cli::steps::shifted", "gone"),
            ("cli::steps::square", "stale"),
            ("cli::steps::table", "live"),
        ]
    );

    let table = cli(&[
        "--dir",
        &cache.dir_arg(),
        "inspect",
        "--manifest-path",
        manifest,
    ])
    .ok()
    .to_owned();
    assert!(
        table.lines().next().unwrap().contains("SOURCE  FUNCTION"),
        "{table}"
    );
    assert!(
        row(&table, "cli::steps::square").contains(&"stale"),
        "{table}"
    );
    assert!(
        row(&table, "cli::steps::label").contains(&"live"),
        "{table}"
    );

    let entries = cli(&[
        "--dir",
        &cache.dir_arg(),
        "inspect",
        "square",
        "--manifest-path",
        manifest,
    ])
    .ok()
    .to_owned();
    assert_eq!(
        entries.lines().filter(|l| l.ends_with("  stale")).count(),
        4,
        "{entries}"
    );
}

#[test]
fn functions_come_from_funcache_dir_when_no_dir_is_given() {
    let cache = copy_cache(&shared().standard);
    let output = crate::util::run(
        crate::util::command()
            .env("FUNCACHE_DIR", cache.path())
            .args(["inspect", "--json"]),
    );
    assert_eq!(output.json()["functions"].as_array().unwrap().len(), 4);
}
