//! Paths in `macro_rules!` bodies resolve where the macro is invoked
//! (trial G): `super::f()`, `self::g()`, `crate::hook()` and a plain
//! `hook()` written in a macro's body were resolved in the module (or the
//! crate) that defines the macro, so editing the item the expansion
//! really calls served the old value. Only `$crate::` names the defining
//! crate.

use super::support::{self, Fixture};

#[test]
fn macro_body_paths_resolve_at_the_invocation_site() {
    let _guard = support::lock();
    let fixture = Fixture::copy("macroinvoke");
    let cache = tempfile::tempdir().unwrap();
    let names = [
        "via_super",
        "via_generated",
        "via_self",
        "via_crate",
        "via_bare",
    ];
    fixture.build();
    let first = fixture.run_fresh(cache.path(), &names, "first run");
    assert_eq!(
        first.ran,
        [
            "via_bare",
            "via_crate",
            "via_generated",
            "via_self",
            "via_super"
        ]
    );
    assert_eq!(first.value("via_super"), "40");
    assert_eq!(first.value("via_generated"), "5");
    assert_eq!(first.value("via_self"), "2");
    assert_eq!(first.value("via_crate"), "7");
    assert_eq!(first.value("via_bare"), "7");

    // `super::f()` invoked in `y::z`: `y::f`.
    fixture.edit("src/main.rs", "        40\n", "        41\n");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "y::f edited");
    assert!(
        edited.ran.contains(&"via_super".to_owned()),
        "{:?}",
        edited.ran
    );
    assert_eq!(edited.value("via_super"), "41");

    // `self::g()` invoked in `y`: `y::g`.
    fixture.edit("src/main.rs", "        2\n", "        3\n");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "y::g edited");
    assert!(
        edited.ran.contains(&"via_self".to_owned()),
        "{:?}",
        edited.ran
    );
    assert_eq!(edited.value("via_self"), "3");

    // `made()`, generated in `y::z`, calls `super::sfn()`: `y::sfn`.
    fixture.edit("src/main.rs", "        5\n", "        6\n");
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "y::sfn edited");
    assert!(
        edited.ran.contains(&"via_generated".to_owned()),
        "{:?}",
        edited.ran
    );
    assert_eq!(edited.value("via_generated"), "6");

    // `mdep`'s `crate::hook()` and `hook()` invoked here: this crate's.
    fixture.edit(
        "src/main.rs",
        "pub fn hook() -> u32 {\n    7",
        "pub fn hook() -> u32 {\n    8",
    );
    fixture.build();
    let edited = fixture.run_fresh(cache.path(), &names, "hook edited");
    assert_eq!(edited.ran, ["via_bare", "via_crate"]);
    assert_eq!(edited.value("via_crate"), "8");
    assert_eq!(edited.value("via_bare"), "8");
}
