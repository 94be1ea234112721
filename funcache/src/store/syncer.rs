//! Batch durability: commits are not synced one by one; a background
//! thread syncs every store written since its last sync, at most
//! [`SYNC_DELAY`] after the first unsynced commit. One sync then covers
//! every result stored meanwhile, by every thread of the process.
//!
//! A committed result is already in the operating system's page cache, so
//! a process that exits or is killed before the sync loses nothing; only an
//! OS crash or power loss within that window can cost the last results.

use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// The longest a committed result waits for its sync (batch durability).
pub const SYNC_DELAY: Duration = Duration::from_millis(500);

struct Signal {
    pending: Mutex<bool>,
    wake: Condvar,
}

fn signal() -> &'static Signal {
    static SIGNAL: OnceLock<Signal> = OnceLock::new();
    SIGNAL.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("funcache-sync".into())
            .spawn(run);
        if let Err(error) = spawned {
            crate::warn::warn_once("syncer", "", || {
                format!("funcache: no background sync ({error}); results are synced by flush()")
            });
        }
        Signal {
            pending: Mutex::new(false),
            wake: Condvar::new(),
        }
    })
}

/// Tells the syncer that a store has unsynced commits.
pub(crate) fn wake() {
    let signal = signal();
    *signal
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = true;
    signal.wake.notify_one();
}

fn run() {
    let signal = signal();
    loop {
        {
            let mut pending = signal
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            while !*pending {
                pending = signal
                    .wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            *pending = false;
        }
        // Let the batch gather: everything committed in this window shares
        // one sync.
        std::thread::sleep(SYNC_DELAY);
        super::registry::sync_written();
    }
}
