//! One open store per cache directory per process.
//!
//! sled holds an exclusive lock on its directory, so a second handle in the
//! same process would fail just like one in another process. Every cached
//! function that uses a directory shares the handle opened here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::Store;
use crate::error::Error;
use crate::warn::warn_once;

/// After a failed open, wait this long before trying again: the process
/// holding the lock may have finished by then.
const RETRY_AFTER: Duration = Duration::from_secs(10);

enum Slot {
    Open(Arc<Store>),
    Failed { at: Instant },
}

fn slots() -> &'static Mutex<HashMap<PathBuf, Slot>> {
    static SLOTS: OnceLock<Mutex<HashMap<PathBuf, Slot>>> = OnceLock::new();
    SLOTS.get_or_init(Default::default)
}

/// The process's handle on `dir`, opening it on first use. A failure is
/// logged once per directory; the caller carries on without a disk tier.
pub(crate) fn open_shared(dir: &Path, create: bool) -> Result<Arc<Store>, Error> {
    let key = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut slots = slots().lock().unwrap_or_else(PoisonError::into_inner);
    match slots.get(&key) {
        Some(Slot::Open(store)) => return Ok(Arc::clone(store)),
        Some(Slot::Failed { at }) if at.elapsed() < RETRY_AFTER => {
            return Err(Error::Unavailable { path: key });
        }
        _ => {}
    }
    match Store::open(&key, create) {
        Ok(store) => {
            let store = Arc::new(store);
            slots.insert(key, Slot::Open(Arc::clone(&store)));
            Ok(store)
        }
        Err(error) => {
            let message = error.to_string();
            warn_once("store-open", &key.to_string_lossy(), || {
                format!(
                    "funcache: disk cache disabled: {message}; results are computed but not persisted"
                )
            });
            slots.insert(key, Slot::Failed { at: Instant::now() });
            Err(error)
        }
    }
}

/// Flushes every store opened by this process.
pub(crate) fn flush_all() -> Result<(), Error> {
    let stores: Vec<Arc<Store>> = slots()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .filter_map(|slot| match slot {
            Slot::Open(store) => Some(Arc::clone(store)),
            Slot::Failed { .. } => None,
        })
        .collect();
    stores.iter().try_for_each(|store| store.flush())
}
