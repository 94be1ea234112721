//! Warnings that are logged once per process and cause, not once per call:
//! through `tracing` when the program has a subscriber, on stderr when not.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Logs `message` at `warn` level the first time `(kind, scope)` is seen.
///
/// `kind` names the failure ("store-open", "decode", …) and `scope` what it
/// happened to (a directory, a function id), so that a broken store is
/// reported once, while a second broken store is still reported.
pub(crate) fn warn_once(kind: &'static str, scope: &str, message: impl FnOnce() -> String) {
    static SEEN: OnceLock<Mutex<HashSet<(&'static str, String)>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let first = seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((kind, scope.to_owned()));
    if first {
        let message = message();
        // Without a subscriber a tracing event goes nowhere, and a user
        // would never learn that their cache is off: say it on stderr.
        if tracing::dispatcher::has_been_set() {
            tracing::warn!(target: "funcache", "{message}");
        } else {
            eprintln!("warning: {message}");
        }
    }
}
