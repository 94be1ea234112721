//! A path dependency's out-of-line test modules (`#[cfg(test)] mod
//! tests;`, nom's layout): a dependency is never built with `--test`, so
//! their items are no part of any closure. Before, a closure that reached
//! every impl of the dependency's trait took the test types' impls too, and
//! editing a test file of nom recomputed every cached function using nom.

use super::support::{self, Fixture};

#[test]
fn editing_a_dependencys_test_module_file_recomputes_nothing() {
    let _guard = support::lock();
    let fixture = Fixture::copy("cfgtest");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.ran, ["plain", "rendered"]);
    assert_eq!(first.value("rendered"), "book,book");

    // The dependency's test module file, and the binary's own.
    fixture.edit(
        "shelves/src/branch/tests.rs",
        "custom error message: {}",
        "another message: {}",
    );
    fixture.edit("app/src/tests.rs", "\"fake\"", "\"faker\"");
    fixture.build();
    let tests_edited = fixture.run(cache.path());
    assert!(
        tests_edited.ran.is_empty(),
        "editing test modules recomputed {:?}",
        tests_edited.ran
    );
    assert_eq!(
        tests_edited.value("fingerprint.rendered"),
        first.value("fingerprint.rendered")
    );

    // A real edit of the dependency still recomputes what reaches it.
    fixture.edit("shelves/src/branch/mod.rs", "\"book\"", "\"novel\"");
    fixture.build();
    let edited = fixture.run(cache.path());
    assert_eq!(edited.ran, ["rendered"]);
    assert_eq!(edited.value("rendered"), "novel,novel");
}
