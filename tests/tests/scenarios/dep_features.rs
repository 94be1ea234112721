//! Issue 8, what decides a registry dependency's build: `keys` returns the
//! key order of a `serde_json::Value` object, sorted without serde_json's
//! `preserve_order` and as written with it. Two builds that differ only in
//! that feature (or only in the compiler) share one cache directory, as
//! two machines share a Redis or a copied cache dir; before these were
//! covered the second build was served the first one's value.

use std::path::Path;

use super::support::{self, Fixture, Run};

const SORTED: &str = "alpha,mid,zeta";
const AS_WRITTEN: &str = "zeta,alpha,mid";

fn first_run(fixture: &Fixture, cache: &Path) -> Run {
    fixture.build();
    let run = fixture.run(cache);
    assert_eq!(run.value("keys"), SORTED);
    assert_eq!(run.ran, ["keys"]);
    assert!(fixture.run(cache).ran.is_empty(), "served from the cache");
    run
}

/// Back to the default build: its entry is still there and hits.
fn back_to_the_first_build(fixture: &Fixture, cache: &Path) {
    fixture.build();
    let back = fixture.run(cache);
    assert_eq!(back.value("keys"), SORTED);
    assert!(back.ran.is_empty(), "{:?}", back.ran);
}

/// Kind 1: the package's own feature `po = ["serde_json/preserve_order"]`
/// appears in no `cfg` of the closure, yet changes serde_json's code.
#[test]
fn the_packages_own_features_are_build_answers() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depfeatures");
    let cache = tempfile::tempdir().unwrap();
    first_run(&fixture, cache.path());

    fixture.build_with(&["depfeatures/po"], &[]);
    let with_po = fixture.run(cache.path());
    assert_eq!(with_po.value("keys"), AS_WRITTEN, "stale value served");
    assert_eq!(with_po.ran, ["keys"]);

    back_to_the_first_build(&fixture, cache.path());
}

/// Kind 2: the features a manifest asks of serde_json — the app's own
/// declaration, or a path dependency's (cargo unifies them).
#[test]
fn features_manifests_ask_of_a_registry_dependency_count() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depfeatures");
    let cache = tempfile::tempdir().unwrap();
    first_run(&fixture, cache.path());

    fixture.edit(
        "app/Cargo.toml",
        "serde_json = \"1\"",
        "serde_json = { version = \"1\", features = [\"preserve_order\"] }",
    );
    fixture.build();
    let declared = fixture.run(cache.path());
    assert_eq!(declared.value("keys"), AS_WRITTEN, "stale value served");

    fixture.edit(
        "app/Cargo.toml",
        "serde_json = { version = \"1\", features = [\"preserve_order\"] }",
        "serde_json = \"1\"",
    );
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("keys"), SORTED);

    // The helper, a path dependency the cached fn never calls, starts
    // depending on serde_json with the feature.
    fixture.edit(
        "helper/Cargo.toml",
        "[dependencies]",
        "[dependencies]\nserde_json = { version = \"1\", features = [\"preserve_order\"] }",
    );
    fixture.build();
    let unified = fixture.run(cache.path());
    assert_eq!(unified.value("keys"), AS_WRITTEN, "stale value served");
    assert_eq!(unified.ran, ["keys"]);
}

/// Kind 3: another compiler (here a wrapper that reports another release
/// and commit; cargo rejects a release below a crate's `rust-version`, so
/// a later one) keeps its own entries.
#[test]
fn the_compiler_release_is_a_build_answer() {
    let _guard = support::lock();
    // The compiler cargo runs here (rustup's proxy or the toolchain's).
    let rustc = "rustc";
    let fixture = Fixture::copy("depfeatures");
    let cache = tempfile::tempdir().unwrap();
    first_run(&fixture, cache.path());

    let wrapper = fixture.path().join("other-rustc.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = \"-vV\" ]; then\n  {rustc:?} -vV | sed -e 's/^release: .*/release: 1.999.0/' -e 's/^commit-hash: .*/commit-hash: 0123456789abcdef/'\nelse\n  exec {rustc:?} \"$@\"\nfi\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A target directory of its own: every crate is rebuilt for the
    // "other" compiler, and the shared one keeps the real compiler's.
    let target = tempfile::tempdir().unwrap();
    fixture.build_with(
        &[],
        &[
            ("RUSTC", wrapper.to_str().unwrap()),
            ("CARGO_TARGET_DIR", target.path().to_str().unwrap()),
        ],
    );
    let run = fixture.run_in(target.path(), cache.path());
    assert_eq!(run.value("keys"), SORTED);
    assert_eq!(run.ran, ["keys"], "another compiler's entry was served");
}

/// Kind 4: a feature of a registry dependency asked on cargo's command
/// line, in no manifest. The macro reads the features cargo built
/// serde_json with from cargo's record of that build; before, the second
/// build was served the first one's value.
#[test]
fn features_asked_of_a_dependency_on_cargos_command_line_count() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depfeatures");
    let cache = tempfile::tempdir().unwrap();
    first_run(&fixture, cache.path());

    fixture.build_args(&[
        "-p",
        "depfeatures",
        "--features",
        "serde_json/preserve_order",
    ]);
    let with_po = fixture.run_fresh(cache.path(), &["keys"], "serde_json/preserve_order");
    assert_eq!(with_po.value("keys"), AS_WRITTEN, "stale value served");
    assert_eq!(with_po.ran, ["keys"]);

    back_to_the_first_build(&fixture, cache.path());

    // The CLI, reading the source alone, replays the features each entry
    // was stored under: both are live.
    let output = std::process::Command::new(support::cli::binary())
        .arg("--dir")
        .arg(cache.path())
        .args(["explain", "keys", "--manifest-path"])
        .arg(fixture.path().join("app"))
        .env_remove("FUNCACHE_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("Of 2 entries: 2 live, 0 stale, 0 unknown"),
        "{text}"
    );
    assert!(
        text.contains("  the features cargo enabled for dependency serde_json\n"),
        "{text}"
    );
}

/// The fixture with a feature `loud` of the helper that changes what
/// `helper::greeting` returns, and a cached `greet` in the app calling it.
fn loud_helper() -> Fixture {
    let fixture = Fixture::copy("depfeatures");
    fixture.edit(
        "helper/Cargo.toml",
        "[dependencies]",
        "[features]\nloud = []\n\n[dependencies]",
    );
    fixture.write(
        "helper/src/lib.rs",
        "pub const NAME: &str = \"helper\";\n\n\
         pub fn greeting() -> &'static str {\n    \
         if cfg!(feature = \"loud\") { \"HELLO\" } else { \"hello\" }\n}\n",
    );
    fixture.edit(
        "app/src/main.rs",
        "fn main() {",
        "#[funcache::cache]\nfn greet() -> String {\n    eprintln!(\"RUN greet\");\n    \
         helper::greeting().to_owned()\n}\n\nfn main() {\n    println!(\"greet={}\", greet());",
    );
    fixture
}

/// Kind 4 for a path dependency: `--features helper/loud` changes what
/// the helper's `cfg!(feature = "loud")` says, a predicate of another
/// package the app's build cannot evaluate.
#[test]
fn features_asked_of_a_path_dependency_on_cargos_command_line_count() {
    let _guard = support::lock();
    let fixture = loud_helper();
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.value("greet"), "hello");
    assert!(first.ran.contains(&"greet".to_owned()), "{:?}", first.ran);

    fixture.build_args(&["-p", "depfeatures", "--features", "helper/loud"]);
    let loud = fixture.run_fresh(cache.path(), &["greet"], "helper/loud");
    assert_eq!(loud.value("greet"), "HELLO", "stale value served");
    assert_eq!(loud.ran, ["greet"]);

    fixture.build();
    let back = fixture.run(cache.path());
    assert_eq!(back.value("greet"), "hello");
    assert!(back.ran.is_empty(), "{:?}", back.ran);
}

/// `cargo build -p depfeatures` and a build of the whole workspace unify
/// the helper's features differently when another member asks `loud` of
/// it: each build keeps its own entries (the README said to build one way
/// or bump `version`).
#[test]
fn a_path_dependencys_features_unified_by_another_member_count() {
    let _guard = support::lock();
    let fixture = loud_helper();
    fixture.edit(
        "Cargo.toml",
        "members = [\"app\", \"helper\"]",
        "members = [\"app\", \"helper\", \"other\"]",
    );
    std::fs::create_dir_all(fixture.path().join("other/src")).unwrap();
    fixture.write(
        "other/Cargo.toml",
        "[package]\nname = \"other\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nhelper = { path = \"../helper\", features = [\"loud\"] }\n",
    );
    fixture.write("other/src/lib.rs", "pub use helper::NAME;\n");
    let cache = tempfile::tempdir().unwrap();
    fixture.build_args(&["-p", "depfeatures"]);
    let alone = fixture.run(cache.path());
    assert_eq!(alone.value("greet"), "hello");

    fixture.build();
    let unified = fixture.run_fresh(cache.path(), &["greet"], "whole workspace");
    assert_eq!(unified.value("greet"), "HELLO", "stale value served");
    assert_eq!(unified.ran, ["greet"]);

    fixture.build_args(&["-p", "depfeatures"]);
    let back = fixture.run(cache.path());
    assert_eq!(back.value("greet"), "hello");
    assert!(back.ran.is_empty(), "{:?}", back.ran);
}
