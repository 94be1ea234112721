//! A path dependency's build-script output: code it generates into its
//! `OUT_DIR`, `cargo:rustc-env` values and `cargo:rustc-cfg` flags change
//! what the dependency compiles to. The macro cannot see that dependency's
//! build environment; before these were covered, each edit below served
//! the old value with no warning.

use super::support::{self, Fixture, Run};

/// The warning the macro gives when it cannot find a dependency's
/// build-script output.
const NOT_FOUND: &str = "funcache: the build-script output of path dependency";

/// Writes `contents` to `file`, builds (asserting the build did not warn
/// that it could not find a build-script output) and runs.
fn write_and_run(fixture: &Fixture, cache: &std::path::Path, file: &str, contents: &str) -> Run {
    fixture.write(file, contents);
    build_without_warning(fixture);
    fixture.run(cache)
}

fn build_without_warning(fixture: &Fixture) {
    let output = fixture.cargo_build();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "build failed:\n{stderr}");
    assert!(!stderr.contains(NOT_FOUND), "build warned:\n{stderr}");
}

#[test]
fn a_path_dependencys_build_script_output_is_part_of_the_fingerprint() {
    let _guard = support::lock();
    let fixture = Fixture::copy("depbuild");
    let cache = tempfile::tempdir().unwrap();
    build_without_warning(&fixture);
    let first = fixture.run(cache.path());
    assert_eq!(first.value("generated"), "3");
    assert_eq!(first.value("wrapped"), "103");
    assert_eq!(first.value("moded"), "slow");
    assert_eq!(first.value("speed"), "1");
    assert_eq!(
        first.ran,
        ["generated", "moded", "plain", "speed", "wrapped"]
    );
    assert!(fixture.run(cache.path()).ran.is_empty());

    // S4: code generated into OUT_DIR and `include!`d.
    let regenerated = write_and_run(&fixture, cache.path(), "scripted/data/k.txt", "4\n");
    assert_eq!(regenerated.value("generated"), "4", "stale value served");
    assert_eq!(regenerated.value("wrapped"), "104", "stale value served");
    assert!(
        !regenerated.ran.contains(&"plain".to_owned()),
        "{:?}",
        regenerated.ran
    );
    assert!(
        !regenerated.ran.contains(&"speed".to_owned()),
        "{:?}",
        regenerated.ran
    );

    // A function of the dependency that only the generated code calls.
    fixture.edit("scripted/src/lib.rs", "    0\n", "    10\n");
    build_without_warning(&fixture);
    let based = fixture.run(cache.path());
    assert_eq!(based.value("generated"), "14", "stale value served");
    assert_eq!(based.value("wrapped"), "114", "stale value served");

    // S5: a `cargo:rustc-env` value read with `env!`.
    let remoded = write_and_run(&fixture, cache.path(), "scripted/data/mode.txt", "fast\n");
    assert_eq!(remoded.value("moded"), "fast", "stale value served");

    // S6: a `cargo:rustc-cfg` flag that picks which `speed` is compiled.
    let flagged = write_and_run(&fixture, cache.path(), "flagged/data/flag.txt", "fast\n");
    assert_eq!(flagged.value("speed"), "2", "stale value served");
    assert_eq!(flagged.ran, ["speed"]);

    // Back to the first outputs: their entries are served again.
    fixture.edit("scripted/src/lib.rs", "    10\n", "    0\n");
    fixture.write("scripted/data/k.txt", "3\n");
    fixture.write("scripted/data/mode.txt", "slow\n");
    let back = write_and_run(&fixture, cache.path(), "flagged/data/flag.txt", "slow\n");
    assert_eq!(back.value("generated"), "3");
    assert_eq!(back.value("moded"), "slow");
    assert_eq!(back.value("speed"), "1");
    assert!(back.ran.is_empty(), "recomputed {:?}", back.ran);
}

/// Building with another feature set leaves a second run of `flagged`'s
/// build script in the target directory, with its own output; `flagged`
/// reads no `OUT_DIR`, so cargo's fingerprints tell which run a build
/// used. Picking the other run (or none) served the old value.
#[test]
fn the_build_script_run_of_this_feature_set_counts() {
    let _guard = support::lock();
    let cache = tempfile::tempdir().unwrap();
    let fixture = Fixture::copy("depbuild");
    build_without_warning(&fixture);
    assert_eq!(fixture.run(cache.path()).value("speed"), "1");
    fixture.build_with(&["extra"], &[]);
    let extra = fixture.run(cache.path());
    assert_eq!(extra.value("speed"), "1");
    // Only the run of the feature set being built sees the edit.
    fixture.write("flagged/data/flag.txt", "fast\n");
    fixture.build_with(&["extra"], &[]);
    let fast = fixture.run(cache.path());
    assert_eq!(fast.value("speed"), "2", "stale value served");
    assert_eq!(fast.ran, ["speed"]);
}
