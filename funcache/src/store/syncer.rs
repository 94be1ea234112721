//! Batch durability: commits are not synced one by one; a background
//! thread syncs every store written since its last sync, at most
//! [`SYNC_DELAY`] after the first unsynced commit. One sync then covers
//! every result stored meanwhile, by every thread of the process.
//!
//! Two windows, two costs (see `writer.rs` for the first):
//!
//! * queued, not committed (a few milliseconds): a killed process loses
//!   these; a normal exit and `flush()` commit them;
//! * committed, not synced (at most [`SYNC_DELAY`]): the result is in the
//!   operating system's page cache, so a process that exits or is killed
//!   loses nothing; only an OS crash or power loss can cost it.
//!
//! Either way a lost result is recomputed; the database stays whole (each
//! batch is one transaction).
//!
//! The same thread writes the usage batches that hits find due (see
//! `journal.rs`), so that a hit never waits for a file write or a commit.

use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// The longest a committed result waits for its sync (batch durability).
pub const SYNC_DELAY: Duration = Duration::from_millis(500);

/// What the background thread has been asked to do.
#[derive(Default)]
struct Pending {
    /// A store has unsynced commits.
    sync: bool,
    /// Writes asked for by the hit path (usage batches), each once.
    tasks: Vec<fn()>,
}

struct Signal {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Whether the thread runs (if it could not be started, callers do
    /// the work themselves).
    running: bool,
}

fn signal() -> &'static Signal {
    static SIGNAL: OnceLock<Signal> = OnceLock::new();
    SIGNAL.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("funcache-sync".into())
            .spawn(run);
        if let Err(error) = &spawned {
            crate::warn::warn_once("syncer", "", || {
                format!("funcache: no background sync ({error}); results are synced by flush()")
            });
        }
        Signal {
            pending: Mutex::default(),
            wake: Condvar::new(),
            running: spawned.is_ok(),
        }
    })
}

fn pending(signal: &Signal) -> std::sync::MutexGuard<'_, Pending> {
    signal
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Tells the syncer that a store has unsynced commits.
pub(crate) fn wake() {
    let signal = signal();
    pending(signal).sync = true;
    signal.wake.notify_one();
}

/// Runs `task` soon on the background thread, so that the call that found
/// it due (a hit) does not wait for its file write and commit. `false`
/// when there is no background thread: the caller runs it.
pub(crate) fn in_background(task: fn()) -> bool {
    let signal = signal();
    if !signal.running {
        return false;
    }
    let mut pending = pending(signal);
    if !pending.tasks.contains(&task) {
        pending.tasks.push(task);
    }
    drop(pending);
    signal.wake.notify_one();
    true
}

fn run() {
    let signal = signal();
    loop {
        let (sync, tasks) = {
            let mut pending = pending(signal);
            while !pending.sync && pending.tasks.is_empty() {
                pending = signal
                    .wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            let tasks = std::mem::take(&mut pending.tasks);
            (std::mem::take(&mut pending.sync), tasks)
        };
        for task in tasks {
            task();
        }
        if sync {
            // Let the batch gather: everything committed in this window
            // shares one sync.
            std::thread::sleep(SYNC_DELAY);
            super::registry::sync_written();
        }
    }
}
