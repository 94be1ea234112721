//! Issue 8, inputs other packages decide: each test builds the `depinputs`
//! fixture, edits another package the way a user would, rebuilds and
//! checks the served value is the one the code now computes. Before these
//! were covered, every one of them served the old value.

use std::path::Path;
use std::process::Command;

use super::support::{self, Fixture, Run};

/// Bodies that panic in a debug build run on every call (nothing is
/// stored for them); left out of what `ran` is compared with.
const PANICKING: &[&str] = &["asserted", "overflowed"];

fn reran(run: &Run) -> Vec<&str> {
    run.ran
        .iter()
        .map(String::as_str)
        .filter(|name| !PANICKING.contains(name))
        .collect()
}

/// Edits `file`, rebuilds and runs.
fn edit_and_run(fixture: &Fixture, cache: &Path, file: &str, from: &str, to: &str) -> Run {
    fixture.edit(file, from, to);
    fixture.build();
    fixture.run(cache)
}

/// The fallback fns (`from_out_dir`, `from_shared`, `made`, `read`) cover
/// every path dependency's sources: any edit of one reruns them, as it
/// should.
const FALLBACK: &[&str] = &["from_out_dir", "from_shared", "made", "read"];

fn with_fallback<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = names.iter().chain(FALLBACK).copied().collect();
    all.sort();
    all
}

/// Item 1: a derive and an attribute from a path proc-macro crate write
/// code the closure runs; editing the proc-macro served the old value.
#[test]
fn proc_macro_path_dependencies_are_part_of_the_fingerprint() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.value("derived"), "1900");
    assert_eq!(first.value("attributed"), "100");

    let derive = edit_and_run(&fixture, cache.path(), "pm/src/lib.rs", "1900", "1901");
    assert_eq!(derive.value("derived"), "1901", "stale value served");
    assert_eq!(reran(&derive), with_fallback(&["attributed", "derived"]));

    let attribute = edit_and_run(
        &fixture,
        cache.path(),
        "pm/src/lib.rs",
        "{{ 100 }}",
        "{{ 200 }}",
    );
    assert_eq!(attribute.value("attributed"), "200", "stale value served");
}

/// Item 4: `env!("CARGO_PKG_VERSION")` in a path dependency is that
/// package's version; bumping it served the old one.
#[test]
fn a_path_dependencys_cargo_values_are_its_own() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("versioned"), "0.1.0");
    let bumped = edit_and_run(&fixture, cache.path(), "dep/Cargo.toml", "0.1.0", "0.2.0");
    assert_eq!(bumped.value("versioned"), "0.2.0", "stale value served");
    assert!(bumped.ran.contains(&"versioned".to_owned()));
    assert!(!bumped.ran.contains(&"derived".to_owned()));
}

/// Issue (trial C, kind 4): a path dependency's edition decides what
/// `[1u8, 2, 3].into_iter()` yields; editing it in its manifest served the
/// old value.
#[test]
fn a_path_dependencys_edition_counts() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("editioned"), "3");
    let older = edit_and_run(
        &fixture,
        cache.path(),
        "dep/Cargo.toml",
        "edition = \"2024\"",
        "edition = \"2018\"",
    );
    assert_eq!(older.value("editioned"), "24", "stale value served");
    assert!(older.ran.contains(&"editioned".to_owned()));
    assert!(!older.ran.contains(&"derived".to_owned()));
}

/// Item 5: a closure that reads `env!("CARGO_MANIFEST_DIR")` (its own and
/// a path dependency's) depends on where the checkout is; the others
/// still hit in another checkout.
#[test]
fn path_valued_inputs_count_only_where_they_are_read() {
    let _guard = support::lock();
    let cache = tempfile::tempdir().unwrap();
    let one = Fixture::copy("depinputs");
    one.build();
    let first = one.run(cache.path());
    let other = Fixture::copy("depinputs");
    other.build();
    let second = other.run(cache.path());
    let expected = format!(
        "{}|{}",
        other.path().join("dep").display(),
        other.path().join("app").display()
    );
    assert_eq!(second.value("placed"), expected, "stale value served");
    assert_ne!(first.value("placed"), expected);
    assert_eq!(reran(&second), ["placed"]);
}

/// Item 6: a release-like build stored `100u8 + 200` = 44; the debug build
/// (overflow checks, `debug_assert!`) was served 44 where its code panics.
/// An explicit `overflow-checks` in the manifest's `[profile]` counts too.
#[test]
fn debug_and_release_builds_keep_separate_entries() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build_args(&[
        "--config",
        "profile.dev.package.depinputs.debug-assertions=false",
        "--config",
        "profile.dev.package.depinputs.overflow-checks=false",
    ]);
    let release = fixture.run(cache.path());
    assert_eq!(release.value("overflowed"), "44");
    assert_eq!(release.value("asserted"), "9");

    fixture.build();
    let debug = fixture.run(cache.path());
    assert_eq!(debug.value("overflowed"), "panicked", "stale value served");
    assert_eq!(debug.value("asserted"), "panicked", "stale value served");

    let manifest = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!("{manifest}\n[profile.dev.package.depinputs]\noverflow-checks = false\n"),
    );
    fixture.build();
    let unchecked = fixture.run(cache.path());
    assert_eq!(unchecked.value("overflowed"), "44");
    assert_eq!(unchecked.value("asserted"), "panicked");

    fixture.write("Cargo.toml", &manifest);
    fixture.build();
    let checked = fixture.run(cache.path());
    assert_eq!(
        checked.value("overflowed"),
        "panicked",
        "stale value served"
    );
}

/// Item 7: a cached fn written by a `macro_rules!` (which the index does
/// not analyze) calls a path dependency and reads a file with
/// `include_str!`; editing either served the old value. So did (trial S3,
/// S7) an edit of what the build script generates into `OUT_DIR` (through
/// its input, `data/k.txt`) and of a `#[path]` module file outside the
/// package.
#[test]
fn the_fallback_covers_path_dependencies_and_included_files() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.value("made"), "42");
    assert_eq!(first.value("read"), "three");
    let dep = edit_and_run(&fixture, cache.path(), "dep/src/lib.rs", "40", "50");
    assert_eq!(dep.value("made"), "52", "stale value served");
    fixture.write("app/src/data3.txt", "four\n");
    fixture.build();
    let data = fixture.run(cache.path());
    assert_eq!(data.value("read"), "four", "stale value served");
    assert_eq!(reran(&data), FALLBACK);

    assert_eq!(first.value("from_out_dir"), "3");
    fixture.write("app/data/k.txt", "4\n");
    fixture.build();
    let generated = fixture.run(cache.path());
    assert_eq!(generated.value("from_out_dir"), "4", "stale value served");
    assert_eq!(reran(&generated), FALLBACK);

    assert_eq!(first.value("from_shared"), "1");
    let shared = edit_and_run(
        &fixture,
        cache.path(),
        "shared/common.rs",
        "    1\n",
        "    2\n",
    );
    assert_eq!(shared.value("from_shared"), "2", "stale value served");
    assert_eq!(reran(&shared), FALLBACK);
}

/// Item 8: features a workspace manifest asks of a path dependency pick
/// its `cfg`-gated items; the default features' result was served.
#[test]
fn features_asked_of_a_path_dependency_are_part_of_the_fingerprint() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("gated"), "21");
    let featured = edit_and_run(
        &fixture,
        cache.path(),
        "app/Cargo.toml",
        "path = \"../dep\" }",
        "path = \"../dep\", features = [\"x\"] }",
    );
    assert_eq!(featured.value("gated"), "14", "stale value served");
    assert!(!featured.ran.contains(&"derived".to_owned()));
}

/// S8 (trial): a path dependency whose `[lib] name` (`nm`) is not its
/// package name (`named`) was not resolved, so editing it served the old
/// value.
#[test]
fn a_path_dependency_named_by_its_lib_target_is_followed() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("lib_named"), "5");
    let edited = edit_and_run(&fixture, cache.path(), "named/src/lib.rs", "5", "6");
    assert_eq!(edited.value("lib_named"), "6", "stale value served");
    assert_eq!(reran(&edited), with_fallback(&["lib_named"]));
}

/// S9 (trial): a sibling workspace member asking a feature of the app's
/// path dependency rebuilds it with the feature (cargo unifies features
/// across the workspace); the default features' result was served. Then
/// an edit of the sibling's declaration that leaves the dependency's build
/// as it was: cargo rebuilds nothing the app depends on, and only because
/// rustc tracks the sibling's manifest does the app's crate recompile and
/// its fingerprint follow the manifests.
#[test]
fn features_a_sibling_member_asks_of_a_path_dependency_count() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("gated"), "21");
    let featured = edit_and_run(
        &fixture,
        cache.path(),
        "sib/Cargo.toml",
        "path = \"../dep\" }",
        "path = \"../dep\", features = [\"x\"] }",
    );
    assert_eq!(featured.value("gated"), "14", "stale value served");
    assert_eq!(reran(&featured), ["gated"]);

    let declared = edit_and_run(
        &fixture,
        cache.path(),
        "sib/Cargo.toml",
        "features = [\"x\"] }",
        "features = [\"x\"], default-features = false }",
    );
    assert_eq!(declared.value("gated"), "14");
    assert_eq!(
        reran(&declared),
        ["gated"],
        "the app's crate was not rebuilt"
    );

    let back = edit_and_run(
        &fixture,
        cache.path(),
        "sib/Cargo.toml",
        ", features = [\"x\"], default-features = false }",
        " }",
    );
    assert_eq!(back.value("gated"), "21", "stale value served");
}

/// Whether `git` can be run; when not, a loud SKIPPED line (a failure on
/// CI, which installs it).
fn git_available(test: &str) -> bool {
    if Command::new("git").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: git is missing on CI"
    );
    eprintln!("SKIPPED {test}: no `git` binary");
    false
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn cargo_update(fixture: &Fixture) {
    let output = Command::new(env!("CARGO"))
        .args(["update", "--quiet", "-p", "gitdep", "--manifest-path"])
        .arg(fixture.path().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo update: {output:?}");
}

/// Items 2 and 3: a new commit of a git dependency (same version, `cargo
/// update`) served the old value; so did an edit of a `[patch]` with a
/// path, whose lock entry has no source.
#[test]
fn git_commits_and_patched_paths_identify_a_dependency() {
    let test = "git_commits_and_patched_paths_identify_a_dependency";
    if !git_available(test) {
        return;
    }
    let _guard = support::lock();
    let repo = tempfile::tempdir().unwrap();
    let manifest = "[package]\nname = \"gitdep\"\nversion = \"0.1.0\"\nedition = \"2024\"\n";
    write(&repo.path().join("Cargo.toml"), manifest);
    let lib = |v: u64| format!("pub fn g() -> u64 {{ {v} }}\n");
    write(&repo.path().join("src/lib.rs"), &lib(1));
    git(repo.path(), &["init", "--quiet"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "one"]);
    let url = format!("file://{}", repo.path().display());

    let fixture = Fixture::copy("depinputs");
    let cache = tempfile::tempdir().unwrap();
    fixture.edit(
        "app/Cargo.toml",
        "[dependencies]\n",
        &format!("[dependencies]\ngitdep = {{ git = {url:?} }}\n"),
    );
    fixture.write(
        "app/src/gitted.rs",
        "#[funcache::cache]\npub fn gitted() -> u64 {\n    eprintln!(\"RUN gitted\");\n    gitdep::g()\n}\n",
    );
    fixture.edit("app/src/main.rs", "// mod gitted;", "mod gitted;");
    fixture.edit("app/src/main.rs", "// gitted: ", "");
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("gitted"), "1");

    write(&repo.path().join("src/lib.rs"), &lib(2));
    git(repo.path(), &["commit", "--quiet", "-am", "two"]);
    cargo_update(&fixture);
    fixture.build();
    let updated = fixture.run(cache.path());
    assert_eq!(updated.value("gitted"), "2", "stale value served");
    // The macro-written functions count the whole Cargo.lock: coarse.
    assert_eq!(reran(&updated), with_fallback(&["gitted"]));

    // The same package patched with a local copy.
    write(&fixture.path().join("gitlocal/Cargo.toml"), manifest);
    write(&fixture.path().join("gitlocal/src/lib.rs"), &lib(3));
    let root = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!("{root}\n[patch.{url:?}]\ngitdep = {{ path = \"gitlocal\" }}\n"),
    );
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("gitted"), "3");
    let patched = edit_and_run(&fixture, cache.path(), "gitlocal/src/lib.rs", "3", "4");
    assert_eq!(patched.value("gitted"), "4", "stale value served");
}
