//! Diagnostics of `#[funcache::cache]`: one file per error, each checked
//! against the compiler output it should produce.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
