//! `explain`: edits to the fixture's source (no rebuild) against the
//! entries its unedited build stored.

use crate::util::{cli, copy_cache, shared, source_copy};

fn explain(cache: &str, manifest: &std::path::Path, function: &str) -> String {
    explain_with(cache, manifest, function, &[])
}

/// `explain` with more options.
fn explain_with(
    cache: &str,
    manifest: &std::path::Path,
    function: &str,
    options: &[&str],
) -> String {
    let manifest = manifest.to_str().unwrap();
    let mut args = vec![
        "--dir",
        cache,
        "explain",
        function,
        "--manifest-path",
        manifest,
    ];
    args.extend_from_slice(options);
    cli(&args).ok().to_owned()
}

#[test]
fn an_unchanged_source_will_hit() {
    let cache = copy_cache(&shared().standard);
    let text = explain(&cache.dir_arg(), shared().fixture.path(), "square");
    assert!(
        text.starts_with("cli::steps::square: the next call will hit"),
        "{text}"
    );
    // Every fingerprint depends on the build (`debug_assertions`).
    assert!(text.contains("Of 4 entries: 4 live"), "{text}");
}

#[test]
fn an_edited_helper_is_named_as_the_change() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    source.edit("src/steps.rs", "x * factor", "x * factor + 1");
    let text = explain(&cache.dir_arg(), source.path(), "cli::steps::square");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "cli::steps::square: the next call will miss.",
        "{text}"
    );
    assert!(
        lines[1].starts_with("Of 4 entries: 0 live, 4 stale"),
        "{text}"
    );
    assert!(lines[2].starts_with("Compared with fingerprint "), "{text}");
    assert_eq!(lines[3], "  changed  crate::steps::scale", "{text}");
    assert!(!lines[4].starts_with("  "), "{text}");
    // Functions that do not reach the helper are unaffected.
    let label = explain(&cache.dir_arg(), source.path(), "label");
    assert!(label.contains("will hit"), "{label}");
}

#[test]
fn items_that_appear_and_disappear_are_named() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    source.edit(
        "src/steps.rs",
        "    scale(x, x)\n",
        "    double(scale(x, x))\n}\n\nfn double(v: u64) -> u64 {\n    v * 2\n",
    );
    let text = explain(&cache.dir_arg(), source.path(), "square");
    assert!(text.contains("  changed   crate::steps::square"), "{text}");
    assert!(text.contains("  appeared  crate::steps::double"), "{text}");

    let source = source_copy();
    source.edit("src/steps.rs", "    scale(x, x)\n", "    x * x\n");
    let text = explain(&cache.dir_arg(), source.path(), "square");
    assert!(
        text.contains("  disappeared  crate::steps::scale"),
        "{text}"
    );
}

#[test]
fn a_new_version_option_is_reported_as_changed_options() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    source.edit("src/steps.rs", "version = 1", "version = 2");
    let text = explain(&cache.dir_arg(), source.path(), "label");
    assert!(text.contains("will miss"), "{text}");
    assert!(text.contains("no item or external crate changed"), "{text}");
    assert!(
        text.contains("the attribute is now #[funcache::cache(version = 2)]"),
        "{text}"
    );
}

#[test]
fn unresolved_references_are_listed_with_locations() {
    let cache = copy_cache(&shared().standard);
    let text = explain(&cache.dir_arg(), shared().fixture.path(), "shifted");
    assert!(text.contains("will hit"), "{text}");
    // `shifted` has a statement under `#[cfg(feature = "tuning")]`: its
    // fingerprint depends on the build, judged from the answers recorded
    // with the stored entries.
    assert!(text.contains("2 live, 0 stale, 0 unknown"), "{text}");
    assert!(text.contains("  cfg(feature = \"tuning\")\n"), "{text}");
    assert!(text.contains("Unresolved reference"), "{text}");
    assert!(text.contains("tuning::adjust  at src/steps.rs:"), "{text}");
}

#[test]
fn nothing_stored_will_miss() {
    let cache = copy_cache(&shared().standard);
    cli(&["--dir", &cache.dir_arg(), "purge", "--fn", "square"]).ok();
    let text = explain(&cache.dir_arg(), shared().fixture.path(), "square");
    assert!(
        text.starts_with("cli::steps::square: the next call will miss: nothing is stored"),
        "{text}"
    );
}

#[test]
fn a_function_not_in_the_source_is_an_error() {
    let cache = copy_cache(&shared().standard);
    let before = crate::util::contents(cache.path());
    let manifest = shared().fixture.path().to_str().unwrap().to_owned();
    let output = cli(&[
        "--dir",
        &cache.dir_arg(),
        "explain",
        "squar",
        "--manifest-path",
        &manifest,
    ]);
    let line = output.error_line();
    assert!(
        line.contains("`squar` is not a cached function in the source at"),
        "{line}"
    );
    assert!(
        line.contains("did you mean `cli::steps::square`?"),
        "{line}"
    );
    assert_eq!(crate::util::contents(cache.path()), before);
}

/// A fingerprint the build decides part of is judged under the build that
/// stored it (the answers the runtime records with it): an edit makes it
/// stale, and a predicate that build was never asked about leaves it
/// unknown.
#[test]
fn build_dependent_fingerprints_are_judged_under_the_recorded_build() {
    let cache = copy_cache(&shared().standard);
    let source = source_copy();
    source.edit("src/steps.rs", "    x + 7\n", "    x + 8\n");
    let text = explain(&cache.dir_arg(), source.path(), "shifted");
    assert!(text.contains("the next call will miss"), "{text}");
    assert!(text.contains("0 live, 2 stale, 0 unknown"), "{text}");
    assert!(text.contains("  changed  crate::steps::shifted"), "{text}");
    assert!(
        !text.contains("disappeared"),
        "answers are not items: {text}"
    );
    let purged = cli(&[
        "--dir",
        &cache.dir_arg(),
        "purge",
        "--stale",
        "--dry-run",
        "--manifest-path",
        source.path().to_str().unwrap(),
    ]);
    assert!(purged.ok().contains("shifted"), "{}", purged.ok());

    let source = source_copy();
    source.edit(
        "src/steps.rs",
        "    x + 7\n",
        "    if cfg!(unix) { x + 7 } else { x + 7 }\n",
    );
    let text = explain(&cache.dir_arg(), source.path(), "shifted");
    assert!(text.contains("0 live, 0 stale, 2 unknown"), "{text}");
    assert!(text.contains("  cfg(unix)\n"), "{text}");
    // Of unknown entries nothing is known to have changed: no claim that
    // the build's answers did (a trial read that as a coming miss).
    assert!(
        !text.contains("no item or external crate changed"),
        "{text}"
    );
}

/// `--covers` lists the closure: the function, the helper it calls, and
/// nothing it does not reach.
#[test]
fn covers_lists_the_items_of_the_fingerprint() {
    let cache = copy_cache(&shared().standard);
    let text = explain_with(
        &cache.dir_arg(),
        shared().fixture.path(),
        "square",
        &["--covers"],
    );
    let listed: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Its fingerprint covers "))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert!(listed.contains(&"crate::steps::square"), "{text}");
    assert!(listed.contains(&"crate::steps::scale"), "{text}");
    assert!(!listed.contains(&"crate::steps::label"), "{text}");
    let plain = explain(&cache.dir_arg(), shared().fixture.path(), "square");
    assert!(!plain.contains("Its fingerprint covers"), "{plain}");
}
