//! One open store per cache directory per process.
//!
//! LMDB requires it: a second environment on the same file in one process
//! would release the first one's locks when closed. So every cached
//! function and every [`CacheDir`](crate::CacheDir) that uses a directory
//! shares the handle opened here, keyed by the directory's canonical path,
//! and the handle stays open for the life of the process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::{OpenMode, Store};
use crate::config::Switches;
use crate::error::Error;
use crate::warn::warn_once;

/// After a failed open, wait this long before trying again (for the
/// runtime; [`CacheDir`](crate::CacheDir) always tries).
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(10);

enum Slot {
    Open(Arc<Store>),
    Failed { at: Instant },
}

fn slots() -> &'static Mutex<HashMap<PathBuf, Slot>> {
    static SLOTS: OnceLock<Mutex<HashMap<PathBuf, Slot>>> = OnceLock::new();
    SLOTS.get_or_init(Default::default)
}

/// The key of a directory: its canonical path once it exists, so that two
/// spellings of one directory (relative, through a symlink) share a handle.
fn key_of(dir: &Path) -> PathBuf {
    dir.canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// The process's handle on `dir`, opening it on first use. For the
/// runtime: a failure is logged once per directory and remembered for a
/// while; the caller carries on without a disk tier.
pub(crate) fn open_shared(dir: &Path, mode: OpenMode) -> Result<Arc<Store>, Error> {
    let mut slots = slots().lock().unwrap_or_else(PoisonError::into_inner);
    let key = key_of(dir);
    match slots.get(&key) {
        Some(Slot::Open(store)) => return Ok(Arc::clone(store)),
        Some(Slot::Failed { at }) if at.elapsed() < RETRY_AFTER => {
            return Err(Error::Unavailable { path: key });
        }
        _ => {}
    }
    match open_into(&mut slots, dir, mode) {
        Ok(store) => {
            if !store.is_read_only() {
                // Expired entries of functions with a `ttl`, whether or
                // not they are read again.
                super::in_background(collect_expired_everywhere);
            }
            if store.is_read_only() && mode != OpenMode::ReadOnly {
                warn_once("store-readonly", &key.to_string_lossy(), || {
                    format!(
                        "funcache: {} cannot be written by this user; serving stored results \
                         without storing new ones",
                        key.display()
                    )
                });
            }
            Ok(store)
        }
        Err(error) => {
            let message = error.to_string();
            warn_once("store-open", &key.to_string_lossy(), || {
                if error.is_damaged_database() {
                    // Only a program that may write moves it aside.
                    format!(
                        "funcache: disk cache disabled: {message}; results are computed; a \
                         program that may write the directory moves the database aside and \
                         starts a new one"
                    )
                } else {
                    format!(
                        "funcache: disk cache disabled: {message}; results are computed but not \
                         persisted"
                    )
                }
            });
            slots.insert(key, Slot::Failed { at: Instant::now() });
            Err(error)
        }
    }
}

/// The process's handle on an existing `dir`, for inspection: opened now
/// if it is not open, whatever earlier attempts found.
pub(crate) fn open_existing(dir: &Path) -> Result<Arc<Store>, Error> {
    let mut slots = slots().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(Slot::Open(store)) = slots.get(&key_of(dir)) {
        return Ok(Arc::clone(store));
    }
    open_into(&mut slots, dir, OpenMode::Existing)
}

fn open_into(
    slots: &mut HashMap<PathBuf, Slot>,
    dir: &Path,
    mode: OpenMode,
) -> Result<Arc<Store>, Error> {
    let store = with_queue(Store::open(dir, mode, Switches::get().durability)?);
    static AT_EXIT: std::sync::Once = std::sync::Once::new();
    super::at_exit::register(&AT_EXIT, settle_and_release_at_exit);
    // The directory exists now: key it by its canonical path.
    slots.insert(key_of(dir), Slot::Open(Arc::clone(&store)));
    Ok(store)
}

/// The store with its write queue, which holds a weak handle on it.
fn with_queue(mut store: Store) -> Arc<Store> {
    Arc::new_cyclic(|this| {
        store.queue = super::writer::Queue::new(this.clone());
        store
    })
}

/// A handle on `dir` that this process's background tasks (expiry, sync)
/// do not see: for tests that must know when entries leave, as the expiry
/// sweep that any other test's first open starts would race them.
#[cfg(test)]
pub(crate) fn open_unregistered(dir: &Path, mode: OpenMode) -> Result<Arc<Store>, Error> {
    Ok(with_queue(Store::open(
        dir,
        mode,
        Switches::get().durability,
    )?))
}

/// Syncs every store written since its last sync (for the background
/// syncer).
pub(crate) fn sync_written() {
    let stores: Vec<Arc<Store>> = open_stores();
    for store in stores {
        store.sync_if_written();
    }
}

fn open_stores() -> Vec<Arc<Store>> {
    slots()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .filter_map(|slot| match slot {
            Slot::Open(store) => Some(Arc::clone(store)),
            Slot::Failed { .. } => None,
        })
        .collect()
}

/// Removes expired entries from every store this process opened (one
/// warning per directory if that fails).
fn collect_expired_everywhere() {
    for store in open_stores() {
        if let Err(error) = store.collect_expired(crate::envelope::now_unix_ms()) {
            warn_once("expire", &store.dir().to_string_lossy(), || {
                format!(
                    "funcache: expired entries in {} were not removed: {error}",
                    store.dir().display()
                )
            });
        }
    }
}

/// Commits what every store opened by this process has queued, and ends
/// its kept read transactions (at exit).
extern "C" fn settle_and_release_at_exit() {
    super::at_exit::run(|| {
        for store in open_stores() {
            store.settle();
            store.snapshots.end_all();
        }
    });
}

/// Flushes every store opened by this process.
pub(crate) fn flush_all() -> Result<(), Error> {
    open_stores().iter().try_for_each(|store| store.flush())
}
