//! The `use` declarations in scope where a reached node is written decide
//! what its names denote (which trait's method a call runs, what a renamed
//! std item or macro is): editing one must change the fingerprint, while
//! editing a comment must not.

use super::*;

fn lib(src: &str) -> Fixture {
    Fixture::new(&[("Cargo.toml", MANIFEST), ("src/lib.rs", src)])
}

/// Fingerprint of `name`, then after each edit: a comment edit keeps it,
/// the `use` edit changes it.
fn use_edit_changes(f: &Fixture, name: &str, from: &str, to: &str) {
    let before = f.analyze("src/lib.rs", name).fingerprint;
    f.edit("src/lib.rs", "// note", "// note, longer");
    assert_eq!(f.analyze("src/lib.rs", name).fingerprint, before);
    f.edit("src/lib.rs", from, to);
    assert_ne!(
        f.analyze("src/lib.rs", name).fingerprint,
        before,
        "{from} -> {to}"
    );
}

const TRAITS: &str = "pub struct Core;\n\
     mod tr { pub trait NA { fn name(&self) -> u32 { 1 } } pub trait NB { fn name(&self) -> u32 { 2 } }\n\
     impl NA for super::Core {} impl NB for super::Core {} }\n";

/// Which trait is in scope decides the method a call runs.
#[test]
fn trait_in_scope_is_part_of_the_fingerprint() {
    let f = lib(&format!(
        "{TRAITS}// note\nuse tr::NA;\n#[funcache::cache]\npub fn which() -> u32 {{ Core.name() }}\n"
    ));
    use_edit_changes(&f, "which", "use tr::NA;", "use tr::{NB};");
}

/// The same with an anonymous import, in a module that glob-imports its
/// parent's imports.
#[test]
fn anonymous_trait_imports_through_globs_are_in_the_fingerprint() {
    let f = lib(&format!(
        "{TRAITS}// note\nuse tr::NA as _;\nmod inner {{ use super::*;\n\
         #[funcache::cache]\npub fn which() -> u32 {{ Core.name() }} }}\n"
    ));
    use_edit_changes(&f, "which", "use tr::NA as _;", "use tr::NB as _;");
}

/// A reached function's own module's imports count too.
#[test]
fn imports_of_reached_nodes_are_in_the_fingerprint() {
    let f = lib(&format!(
        "{TRAITS}mod m {{ // note\n use super::tr::NA; use super::Core;\n\
         pub fn helper() -> u32 {{ Core.name() }} }}\n\
         #[funcache::cache]\npub fn root() -> u32 {{ m::helper() }}\n"
    ));
    use_edit_changes(&f, "root", "use super::tr::NA;", "use super::tr::NB;");
}

/// A renamed std function or type: `pick(1, 2)` is `max` or `min`.
#[test]
fn std_items_renamed_by_use_are_in_the_fingerprint() {
    let f = lib(
        "// note\nuse std::cmp::max as pick;\nuse std::collections::BTreeSet as Set;\n\
         #[funcache::cache]\npub fn f() -> u32 { pick(1, 2) }\n\
         #[funcache::cache]\npub fn g() -> Vec<u32> { let s: Set<u32> = [3, 1, 2].into_iter().collect(); s.into_iter().collect() }\n",
    );
    use_edit_changes(&f, "f", "std::cmp::max as pick", "std::cmp::min as pick");
    use_edit_changes(
        &f,
        "g",
        "std::collections::BTreeSet as Set",
        "std::collections::HashSet as Set",
    );
}

/// A re-export through another module (`use crate::prelude::Pick` where
/// the prelude renames a std function) counts as well.
#[test]
fn renames_in_re_exporting_modules_are_in_the_fingerprint() {
    let f = lib(
        "mod prelude { // note\n pub use std::cmp::max as pick; }\nuse prelude::pick;\n\
         #[funcache::cache]\npub fn f() -> u32 { pick(1, 2) }\n",
    );
    use_edit_changes(&f, "f", "std::cmp::max as pick", "std::cmp::min as pick");
}

/// A macro called through a `use` alias resolves to its definition
/// (editing it changes the fingerprint, nothing is unresolved), and
/// re-pointing the alias changes it too.
#[test]
fn macros_through_use_aliases() {
    let f = lib(
        "macro_rules! mac_a { () => { 1 } }\nmacro_rules! mac_b { () => { 2 } }\n\
         // note\npub(crate) use mac_a as mm;\n\
         #[funcache::cache]\npub fn g() -> u32 { mm!() }\n",
    );
    let a = f.analyze("src/lib.rs", "g");
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    f.edit("src/lib.rs", "() => { 1 }", "() => { 10 }");
    let edited = f.analyze("src/lib.rs", "g").fingerprint;
    assert_ne!(edited, a.fingerprint);
    f.edit("src/lib.rs", "() => { 2 }", "() => { 20 }");
    assert_eq!(f.analyze("src/lib.rs", "g").fingerprint, edited);
    use_edit_changes(&f, "g", "use mac_a as mm", "use mac_b as mm");
}

/// Formatting and comments inside a `use` do not matter.
#[test]
fn use_formatting_keeps_the_fingerprint() {
    let f = lib("use std::cmp::{max as pick, min};\n\
         #[funcache::cache]\npub fn f() -> u32 { pick(1, 2) }\n");
    let before = f.analyze("src/lib.rs", "f").fingerprint;
    f.edit(
        "src/lib.rs",
        "use std::cmp::{max as pick, min};",
        "use std::cmp::{\n    max as pick, // the larger\n    min,\n};",
    );
    assert_eq!(f.analyze("src/lib.rs", "f").fingerprint, before);
}

/// An item written in a function body sees the `use`s of the blocks
/// around it, which are not in its own text.
#[test]
fn block_imports_around_nested_items_are_in_the_fingerprint() {
    let f = lib(&format!(
        "{TRAITS}pub fn outer() -> u32 {{\n    // note\n    use tr::NA;\n\
         #[funcache::cache]\n    fn which() -> u32 {{ Core.name() }}\n    which()\n}}\n"
    ));
    let before = f
        .analyze_nth("", "fixture", "src/lib.rs", "which", 0)
        .fingerprint;
    f.edit("src/lib.rs", "// note", "// note, longer");
    let after = f
        .analyze_nth("", "fixture", "src/lib.rs", "which", 0)
        .fingerprint;
    assert_eq!(after, before);
    f.edit("src/lib.rs", "use tr::NA;", "use tr::{NB};");
    let after = f
        .analyze_nth("", "fixture", "src/lib.rs", "which", 0)
        .fingerprint;
    assert_ne!(after, before);
}
