//! Name resolution across builds: each path below was once resolved to
//! nothing, or to the wrong item, so that editing what it names served the
//! old value (trial F).

use super::support::{self, Fixture};

/// A: edition 2015 (crc32fast 1.2.1). `use table::K;` is relative to the
/// crate root and `::ROOT` is the crate root's item; both were listed as
/// unresolved (`K`, `::::ROOT`) and their edits served stale. And under
/// `strict` the error itself did not compile there (`::core` is no crate
/// root item in 2015): "cannot find `core` in the crate root".
#[test]
fn edition_2015_paths_are_resolved_from_the_crate_root() {
    let _guard = support::lock();
    let fixture = Fixture::copy("edition2015");
    let cache = tempfile::tempdir().unwrap();
    let names = ["via_use", "via_root"];
    fixture.build();
    let first = fixture.run_fresh(cache.path(), &names, "first run");
    assert_eq!(first.ran, ["via_root", "via_use"]);
    assert_eq!(first.value("via_use"), "11");
    assert_eq!(first.value("via_root"), "101");
    assert_eq!(first.value("unresolved.via_use"), "[]");
    assert_eq!(first.value("unresolved.via_root"), "[]");

    fixture.edit("src/table.rs", "K: u32 = 10", "K: u32 = 20");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "K edited");
    assert_eq!(edited.ran, ["via_use"]);
    assert_eq!(edited.value("via_use"), "21");

    fixture.edit("src/main.rs", "ROOT: u32 = 100", "ROOT: u32 = 200");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "ROOT edited");
    assert_eq!(edited.ran, ["via_root"]);
    assert_eq!(edited.value("via_root"), "201");

    // `strict`'s error compiles in edition 2015 and is the only one about
    // the cached fn (the fn itself is still emitted).
    fixture.edit(
        "src/cached.rs",
        "#[funcache::cache]\npub fn via_root",
        "#[funcache::cache(strict)]\npub fn probe() -> u32 {\n    ::ROOT + not_there::f()\n}\n\n\
         #[funcache::cache]\npub fn via_root",
    );
    let output = fixture.cargo_build();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "strict build passed:\n{stderr}");
    assert!(
        stderr.contains("`strict`: cannot resolve `not_there::f`"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot find `core`"), "{stderr}");
    assert!(!stderr.contains("`::ROOT`"), "{stderr}");
}

/// E: a fn re-exported under the name of the module that holds it
/// (memchr's `memchr::memchr`, base64's `crate::encode`). `crate::find(x)`
/// and `find(x)` resolved to the module alone, so editing the fn was
/// served stale, silently (no dependency, nothing unresolved).
#[test]
fn a_fn_named_as_its_module_is_followed_through_its_reexport() {
    let _guard = support::lock();
    let fixture = Fixture::copy("namespaces");
    let cache = tempfile::tempdir().unwrap();
    let names = ["via_reexport", "unqualified", "nested"];
    fixture.build();
    let first = fixture.run_fresh(cache.path(), &names, "first run");
    assert_eq!(first.ran, ["nested", "unqualified", "via_reexport"]);
    assert_eq!(first.value("via_reexport"), "2");
    assert_eq!(first.value("nested"), "3");

    fixture.edit("src/main.rs", "x + 1", "x + 2");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "find edited");
    assert_eq!(edited.ran, ["unqualified", "via_reexport"]);
    assert_eq!(edited.value("via_reexport"), "3");

    fixture.edit("src/main.rs", "x * 3", "x * 4");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "conv edited");
    assert_eq!(edited.ran, ["nested"]);
    assert_eq!(edited.value("nested"), "4");
}
