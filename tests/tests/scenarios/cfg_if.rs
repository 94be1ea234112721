//! Code the build picks with `cfg`s the index does not evaluate (trials C
//! and D): items in a module-level `cfg_if!` beside a same-named sibling
//! under a `#[cfg]` that is off, a fn a `macro_rules!` writes beside such
//! a sibling, a cached fn inside a module-level `cfg_if!`, a module declared
//! in a `cfg_if!` (crc32fast's `specialized/mod.rs`) and modules a
//! `macro_rules!` declares (`mod $m;`, `#[path = $p] mod $m;`). Before,
//! each edit below served the old value.

use super::support::{self, Fixture};

const VALUES: [&str; 5] = ["declared", "inside", "picked", "spec", "written"];

/// The cached bodies that ran in `run` (each body runs once more for its
/// uncached call).
fn cached_ran(run: &support::Run) -> Vec<&str> {
    let mut names: Vec<&str> = run.ran.iter().map(String::as_str).collect();
    names.sort();
    names.dedup();
    names.retain(|name| run.ran.iter().filter(|r| r == name).count() > 1);
    names
}

#[test]
fn edits_of_code_a_cfg_or_a_macro_picks_are_never_served_stale() {
    let _guard = support::lock();
    let fixture = Fixture::copy("cfgif");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    for (name, value) in [
        ("picked", "2"),
        ("written", "3"),
        ("inside", "4"),
        ("spec", "11"),
        ("declared", "1102"),
    ] {
        assert_eq!(first.value(name), value, "{name}");
    }
    let second = fixture.run(cache.path());
    assert!(cached_ran(&second).is_empty(), "{:?}", second.ran);

    let edits: [(&str, &str, &str, &str, &str); 6] = [
        // C: the active branch of `cfg_if!`, beside a `#[cfg(windows)]` fn.
        ("src/main.rs", "{ 2 }", "{ 5 }", "picked", "5"),
        // C without `cfg_if!`: the macro writes the active fn.
        (
            "src/main.rs",
            "make_pick!(3)",
            "make_pick!(6)",
            "written",
            "6",
        ),
        // A cached fn inside a module-level `cfg_if!`, and what it reads.
        (
            "src/main.rs",
            "INSIDE: u64 = 4",
            "INSIDE: u64 = 7",
            "inside",
            "7",
        ),
        // D: a module declared inside `cfg_if!`.
        ("src/specialized/fast.rs", "+ 10", "+ 20", "spec", "21"),
        // D with a `macro_rules!` that writes `mod $m;` ...
        (
            "src/declared/plain.rs",
            "+ 100",
            "+ 200",
            "declared",
            "1202",
        ),
        // ... and `#[path = $p] mod $m;`.
        (
            "src/declared/impls/at_path_impl.rs",
            "+ 1000",
            "+ 2000",
            "declared",
            "2202",
        ),
    ];
    for (file, from, to, name, value) in edits {
        fixture.edit(file, from, to);
        fixture.build();
        let run = fixture.run(cache.path());
        for shown in VALUES {
            assert_eq!(
                run.value(shown),
                run.value(&format!("{shown}.uncached")),
                "{shown} served a stale value after {to:?} in {file}"
            );
        }
        assert_eq!(run.value(name), value, "{name} after {to:?}");
        assert_eq!(cached_ran(&run), [name], "after {to:?}");
        let again = fixture.run(cache.path());
        assert!(cached_ran(&again).is_empty(), "{:?}", again.ran);
    }
}
