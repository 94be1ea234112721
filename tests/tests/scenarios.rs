//! Scenario tests: build a fixture crate, run it, edit it, rebuild, run
//! again, and check which cached bodies executed and what they returned.

mod support;

use support::Fixture;

#[test]
fn second_run_is_served_from_disk_and_edits_invalidate_exactly() {
    let _guard = support::lock();
    let fixture = Fixture::copy("basic");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();

    let first = fixture.run(cache.path());
    assert_eq!(first.ran, ["double", "greet", "total"]);
    assert_eq!(first.value("double"), "42");
    assert_eq!(first.value("greet"), "hello world");
    assert_eq!(first.value("total"), "6");

    let second = fixture.run(cache.path());
    assert!(
        second.ran.is_empty(),
        "second run executed {:?}",
        second.ran
    );
    assert_eq!(second.stdout, first.stdout);

    // A real edit of one function's body: only it recomputes.
    fixture.edit("src/steps.rs", "x * 2", "x * 2 + 1");
    fixture.build();
    let edited = fixture.run(cache.path());
    assert_eq!(edited.ran, ["double"]);
    assert_eq!(edited.value("double"), "43");
    assert_ne!(
        edited.value("fingerprint.double"),
        first.value("fingerprint.double")
    );

    // Comments, doc comments and formatting only: nothing recomputes.
    fixture.edit(
        "src/steps.rs",
        "/// Doubles its input.",
        "/// Doubles its input, plus one.\n// (a comment)",
    );
    fixture.edit(
        "src/steps.rs",
        "pub fn greet(name: &str) -> String {\n    eprintln!(\"RUN greet\");\n    format!(\"hello {name}\")\n}",
        "pub fn greet(\n    name: &str,\n) -> String {\n    // greet politely\n    eprintln!(\"RUN greet\",);\n    format!(\n        \"hello {name}\",\n    )\n}",
    );
    fixture.build();
    let cosmetic = fixture.run(cache.path());
    assert!(
        cosmetic.ran.is_empty(),
        "cosmetic edits recomputed {:?}",
        cosmetic.ran
    );
    assert_eq!(
        cosmetic.value("fingerprint.double"),
        edited.value("fingerprint.double")
    );

    // Environment switches.
    let refreshed = fixture.run_with(cache.path(), &[("FUNCACHE_REFRESH", "1")]);
    assert_eq!(refreshed.ran, ["double", "greet", "total"]);
    let disabled = fixture.run_with(cache.path(), &[("FUNCACHE_DISABLE", "1")]);
    assert_eq!(disabled.ran, ["double", "greet", "total"]);
    let fresh = tempfile::tempdir().unwrap();
    let readonly = fixture.run_with(fresh.path(), &[("FUNCACHE_READONLY", "1")]);
    assert_eq!(readonly.ran, ["double", "greet", "total"]);
    assert!(
        !fresh.path().join("FUNCACHE").exists(),
        "read-only runs write nothing"
    );
    let served = fixture.run_with(cache.path(), &[("FUNCACHE_READONLY", "1")]);
    assert!(served.ran.is_empty(), "read-only runs still serve hits");
}

#[test]
fn renamed_dependency_works() {
    let _guard = support::lock();
    let fixture = Fixture::copy("renamed");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).ran, ["triple"]);
    let second = fixture.run(cache.path());
    assert!(second.ran.is_empty());
    assert_eq!(second.value("triple"), "15");
}

#[test]
fn unusable_cache_directory_still_gives_correct_results() {
    let _guard = support::lock();
    let fixture = Fixture::copy("basic");
    fixture.build();
    let temp = tempfile::tempdir().unwrap();

    // A directory that is not a funcache cache: refused, never written.
    let foreign = temp.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let run = fixture.run(&foreign);
    assert_eq!(run.value("double"), "42");
    assert_eq!(run.ran, ["double", "greet", "total"]);
    assert_eq!(
        std::fs::read_dir(&foreign).unwrap().count(),
        1,
        "nothing was added"
    );

    // A path below a regular file: cannot be created.
    let file = temp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let run = fixture.run(&file.join("cache"));
    assert_eq!(run.value("total"), "6");

    // A corrupt database directory.
    let corrupt = temp.path().join("corrupt");
    fixture.run(&corrupt);
    for entry in walk(&corrupt.join("db")) {
        std::fs::write(&entry, b"\xff\xfe garbage garbage garbage").unwrap();
    }
    let run = fixture.run(&corrupt);
    assert_eq!(run.value("greet"), "hello world");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}
