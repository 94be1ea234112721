//! The fingerprint on crates nobody here wrote (issue 8): a published
//! crate's source, taken from the registry at an exact version, with cached
//! wrappers around its internals appended to its own modules
//! (`fixtures/real-crates/<name>/`). Each edit of a case is applied to the
//! pristine copy on its own, the crate rebuilt and the probe run against the
//! one cache directory that the pristine build filled:
//!
//! * a wrapper whose served value differs from what its body computes now
//!   (`<name>_uncached`) is **stale** — the bug this product must not have;
//! * a wrapper that recomputed although its value did not change is a
//!   **needless** miss — counted and reported, never failed.
//!
//! Every edit states which wrappers' values it changes, and the test checks
//! that answer against the bodies themselves, so the list stays honest.
//! An edit whose kind is not fixed yet carries `known_stale_until_merged`:
//! its stale results are printed, not failed. Run with `--nocapture` to see
//! the tables; without the registry (and no cached copy) each case prints
//! `SKIPPED` and passes.

mod support;

/// The runner and one module of edits per crate, in `real_crates/`.
mod real_crates {
    pub mod check;
    pub mod index_cache;
    pub mod regex_syntax;
    pub mod semver;
}

use real_crates::{check, index_cache, regex_syntax, semver};

#[test]
fn regex_syntax_edits_are_never_served_stale() {
    check::check(&regex_syntax::CASE);
}

/// The index's on-disk node cache, empty, warm, corrupted or off, gives
/// regex-syntax's wrappers the same fingerprints; with it warm, a body edit
/// still recomputes what it changes.
#[test]
fn regex_syntax_fingerprints_do_not_depend_on_the_node_cache() {
    index_cache::check(&regex_syntax::CASE);
}

#[test]
fn semver_edits_are_never_served_stale() {
    check::check(&semver::CASE);
}

/// The registry lookup behind the skip: a version that was never published
/// is an error, whether or not the registry can be reached.
#[test]
fn registry_source_refuses_an_unpublished_version() {
    let error = support::real_crate::registry_source("semver", "0.0.999").unwrap_err();
    assert!(!error.is_empty());
}
