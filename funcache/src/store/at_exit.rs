//! What a process does for its cache directories when it exits normally
//! (returning from `main`, `std::process::exit`): Rust runs no destructor
//! for the process-wide stores, so `atexit(3)` hooks commit what is
//! queued, write the buffered usage (hits, last reads) and end the kept
//! read transactions, whose reader slots would otherwise stay taken until
//! another process cleared them.
//!
//! A process forked from the one that registered the hooks runs none of
//! them: LMDB environments are not usable after `fork`, and the queue and
//! reader slots it would touch are its parent's.

use std::sync::{Once, OnceLock};

/// The process that registered the hooks.
static PID: OnceLock<u32> = OnceLock::new();

/// Registers `hook` to run at a normal exit, once for `once`.
pub(crate) fn register(once: &'static Once, hook: extern "C" fn()) {
    once.call_once(|| {
        let _ = PID.set(std::process::id());
        register_at_exit(hook);
    });
}

/// Runs `task` for a hook: not in a forked child, and never unwinding
/// (unwinding out of an `extern "C"` function aborts; a panic here costs
/// what the task had left to write).
pub(crate) fn run(task: fn()) {
    if PID.get() != Some(&std::process::id()) {
        return;
    }
    let _ = std::panic::catch_unwind(task);
}

/// `atexit(3)`.
#[allow(unsafe_code)]
fn register_at_exit(hook: extern "C" fn()) {
    // SAFETY: `atexit` stores a function pointer for `exit` to call; it
    // reads no memory of ours and may be called from any thread. The hook
    // is a plain `extern "C" fn` with no arguments that cannot unwind
    // (it catches panics, see `run`), as `atexit` requires. A failure (no
    // room for more hooks) only means what is buffered at exit is lost.
    let _ = unsafe { libc::atexit(hook) };
}
