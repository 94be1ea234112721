//! Trait members a macro writes (trial H, num-traits' style): a macro
//! invoked inside `impl ToSmall for i64 { .. }`, and module-level
//! invocations whose macro writes a whole impl, an associated const
//! included. Reached by a method call or a `u64::ONE` path on a primitive,
//! each edit of the macro's body served the old value.

use super::support::{self, Fixture};

const FUNCTIONS: [&str; 3] = ["via_assoc_const", "via_impl_body", "via_module_macro"];

#[test]
fn members_written_by_macros_are_never_served_stale() {
    let _guard = support::lock();
    let fixture = Fixture::copy("macromembers");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run_fresh(cache.path(), &FUNCTIONS, "first run");
    assert_eq!(first.ran, FUNCTIONS);
    assert_eq!(first.value("via_impl_body"), "Some(200)");
    assert_eq!(first.value("via_module_macro"), "20");
    assert_eq!(first.value("via_assoc_const"), "10");

    let edits = [
        (
            "Some(*self as u8)",
            "Some((*self as u8) / 2)",
            "via_impl_body",
            "Some(100)",
        ),
        ("self / 2", "self / 4", "via_module_macro", "10"),
        (
            "one_impl!(u64, 1);",
            "one_impl!(u64, 2);",
            "via_assoc_const",
            "20",
        ),
    ];
    for (from, to, reruns, value) in edits {
        fixture.edit("pdep/src/lib.rs", from, to);
        fixture.build();
        let served = fixture.run_fresh(cache.path(), &FUNCTIONS, &format!("{from} -> {to}"));
        assert_eq!(served.value(reruns), value, "{from} -> {to}");
        // A macro in `impl ToSmall for i64` can write only members
        // `ToSmall` declares: the other two do not recompute.
        assert_eq!(served.ran, [reruns], "{from} -> {to}: what recomputed");
    }
}
