//! One computation per key across processes: an OS advisory lock (flock)
//! held from a miss until the value is stored.
//!
//! The locks are byte-free files `<dir>/locks/<stripe>`, one of
//! [`STRIPES`] chosen by the entry's key: bounded in number, never deleted
//! (deleting a lock file while another process waits on it would let two
//! processes hold "the" lock). Two keys in one stripe only make one wait
//! for the other's computation. The OS releases a lock when its holder
//! exits or is killed, so a crashed computation never blocks others; a
//! waiter gives up after a timeout and computes itself.
//!
//! A stripe this process already holds is not waited for but shared: the
//! holder may be the very call that is asking (a cached function calling
//! another whose key falls in the same stripe, or itself recursively), and
//! waiting would stall it until the timeout. Every holder in the process
//! gets a handle on the one OS lock, which is released when the last
//! handle goes, so other processes stay excluded from each key. Threads of
//! one process are kept to one computation per key by the call path, not
//! by these locks.
//!
//! A value stored under batch or lazy durability is committed after its
//! call returns (see `writer.rs`): the queued write takes a handle on the
//! call's lock too ([`held`]), so another process never takes the lock
//! before the value is in the database.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::FunctionKey;

/// Lock files per cache directory. Each is created by the first miss
/// that falls in it, which on a new directory is a file creation in that
/// miss (tens of microseconds, far more on a file system that has just
/// deleted many files): 256 keep that to a few milliseconds once per
/// directory, while two processes computing different keys at the same
/// moment still share a stripe only once in 256.
const STRIPES: u64 = 256;

/// The longest pause between two attempts to take a held lock.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// A held key lock; dropping it and every clone (or the process ending)
/// releases it.
#[derive(Debug, Clone)]
pub(crate) struct KeyLock {
    _locked: Arc<Locked>,
}

#[derive(Debug)]
struct Locked {
    // Closing the file releases the flock.
    _file: File,
    /// The lock file, in [`HELD`] while this lives.
    path: PathBuf,
}

/// Lock files this process holds.
static HELD: Mutex<Option<HashMap<PathBuf, Weak<Locked>>>> = Mutex::new(None);

fn held_files() -> std::sync::MutexGuard<'static, Option<HashMap<PathBuf, Weak<Locked>>>> {
    HELD.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Locked {
    fn drop(&mut self) {
        if let Some(held) = held_files().as_mut()
            // Not a lock of the same file taken since this one's last
            // handle went (it is released when the file closes, after this).
            && held.get(&self.path).is_some_and(|lock| lock.strong_count() == 0)
        {
            held.remove(&self.path);
        }
    }
}

/// Another handle on the lock of the entry `entry_key` of `function`, if
/// this process holds it: a write queued under it keeps it held until the
/// write is committed.
pub(crate) fn held(cache_dir: &Path, function: &FunctionKey, entry_key: &[u8]) -> Option<KeyLock> {
    let path = lock_path(&dir(cache_dir), function, entry_key);
    held_files()
        .as_ref()?
        .get(&path)
        .and_then(Weak::upgrade)
        .map(|locked| KeyLock { _locked: locked })
}

fn lock_path(dir: &Path, function: &FunctionKey, entry_key: &[u8]) -> PathBuf {
    dir.join(format!("{:02x}", stripe(function, entry_key)))
}

/// The directory of lock files in a cache directory.
pub(crate) fn dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join("locks")
}

fn stripe(function: &FunctionKey, entry_key: &[u8]) -> u64 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(function.as_bytes());
    hasher.update(entry_key);
    let hash = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first) % STRIPES
}

/// Takes the lock of one entry, waiting at most `wait` for a holder.
/// `Ok(None)` when the wait ran out: the caller computes anyway.
#[cfg(test)]
pub(crate) fn acquire(
    cache_dir: &Path,
    function: &FunctionKey,
    entry_key: &[u8],
    wait: Duration,
) -> std::io::Result<Option<KeyLock>> {
    attempt(cache_dir, function, entry_key, wait).map(|attempt| match attempt {
        Attempt::Taken(lock) => Some(lock),
        Attempt::HeldElsewhere => None,
    })
}

/// Whether another process could take the lock of the entry now (tried
/// on a file handle of its own, as another process would).
#[cfg(test)]
pub(crate) fn free_for_another_process(
    cache_dir: &Path,
    function: &FunctionKey,
    entry_key: &[u8],
) -> bool {
    let path = lock_path(&dir(cache_dir), function, entry_key);
    let Ok(file) = OpenOptions::new().write(true).open(path) else {
        return true;
    };
    fs4::FileExt::try_lock(&file).is_ok()
}

/// A lock (or lease) another process held for the whole wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

/// What taking a key lock came to.
#[derive(Debug)]
pub(crate) enum Attempt {
    Taken(KeyLock),
    /// Another process held it for the whole wait.
    HeldElsewhere,
}

/// [`acquire`], saying why no lock was taken.
pub(crate) fn attempt(
    cache_dir: &Path,
    function: &FunctionKey,
    entry_key: &[u8],
    wait: Duration,
) -> std::io::Result<Attempt> {
    let dir = dir(cache_dir);
    let path = lock_path(&dir, function, entry_key);
    if let Some(lock) = held_files()
        .as_ref()
        .and_then(|held| held.get(&path))
        .and_then(Weak::upgrade)
    {
        // Held by this process: shared (see the module documentation).
        return Ok(Attempt::Taken(KeyLock { _locked: lock }));
    }
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = match options.open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            super::layout::create_private_dir(&dir)?;
            options.open(&path)?
        }
        Err(error) => return Err(error),
    };
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {
                let lock = Arc::new(Locked {
                    _file: file,
                    path: path.clone(),
                });
                held_files()
                    .get_or_insert_with(HashMap::new)
                    .insert(path, Arc::downgrade(&lock));
                return Ok(Attempt::Taken(KeyLock { _locked: lock }));
            }
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(error)) => return Err(error),
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Attempt::HeldElsewhere);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another process's lock, as this test can make one: the lock file
    /// opened and locked on its own.
    fn lock_as_another_process(cache_dir: &Path, function: &FunctionKey, key: &[u8]) -> File {
        let path = dir(cache_dir).join(format!("{:02x}", stripe(function, key)));
        super::super::layout::create_private_dir(&dir(cache_dir)).unwrap();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .unwrap();
        fs4::FileExt::try_lock(&file).unwrap();
        file
    }

    #[test]
    fn a_lock_held_elsewhere_is_waited_for_until_released_or_timed_out() {
        let temp = tempfile::tempdir().unwrap();
        let function = FunctionKey::of("app::f");
        let other = lock_as_another_process(temp.path(), &function, b"k");
        let waited = acquire(temp.path(), &function, b"k", Duration::from_millis(30)).unwrap();
        assert!(waited.is_none(), "held elsewhere: the wait runs out");
        std::thread::scope(|scope| {
            let waiter = scope
                .spawn(|| acquire(temp.path(), &function, b"k", Duration::from_secs(600)).unwrap());
            std::thread::sleep(Duration::from_millis(20));
            // Closing the file releases the lock, as the holder's exit does.
            drop(other);
            assert!(waiter.join().unwrap().is_some(), "released: taken");
        });
    }

    #[test]
    fn a_stripe_this_process_holds_is_shared_not_waited_for() {
        let temp = tempfile::tempdir().unwrap();
        let function = FunctionKey::of("app::f");
        let outer = acquire(temp.path(), &function, b"k", Duration::ZERO).unwrap();
        assert!(outer.is_some());
        // A nested call whose key shares the stripe (here: the same key).
        // Were it waited for, this would take the whole 10 minutes.
        let nested = acquire(temp.path(), &function, b"k", Duration::from_secs(600)).unwrap();
        assert!(nested.is_some(), "a handle on the same lock");
        drop(outer);
        // Another process is still kept out: the nested call computes.
        assert!(!free_for_another_process(temp.path(), &function, b"k"));
        drop(nested);
        assert!(free_for_another_process(temp.path(), &function, b"k"));
        assert!(
            acquire(temp.path(), &function, b"k", Duration::ZERO)
                .unwrap()
                .is_some()
        );
    }
}
