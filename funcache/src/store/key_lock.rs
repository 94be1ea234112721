//! One computation per key across processes: an OS advisory lock held from
//! a miss until the value is stored.
//!
//! Each entry's key falls in one of many stripes; a stripe is the lock.
//! Two keys in one stripe only make one wait for the other's computation.
//! The OS releases a lock when its holder exits or is killed, so a crashed
//! computation never blocks others; a waiter gives up after a timeout and
//! computes itself.
//!
//! On Linux a stripe is one byte of a single lock file, `<dir>/locks/keys`,
//! locked with an open file description lock (`F_OFD_SETLK`): a lock of
//! the open file, like `flock`, so it conflicts between two opens of the
//! file even in one process and is released when the file closes or its
//! holder dies (unlike classic `F_SETLK` locks, which belong to the process
//! and go when it closes any descriptor of the file). The file is created
//! once per directory and never deleted, so a miss creates no file; with
//! no file per stripe there can be [`BYTE_STRIPES`] of them, and two
//! processes computing different keys at the same moment rarely wait on
//! each other.
//!
//! Elsewhere, or on a kernel without these locks (before Linux 3.15), a
//! stripe is a byte-free file `<dir>/locks/<stripe>` locked with `flock`,
//! one of [`FILE_STRIPES`], each created by the first miss that falls in
//! it, never deleted (deleting a lock file while another process waits on
//! it would let two processes hold "the" lock). A cache directory used
//! before may hold such files: on Linux they are left alone. funcache
//! versions from before the byte locks use only the files, so such a
//! process and a newer one on the same directory do not keep each other
//! from computing the same key (at worst both compute it, as when a wait
//! times out).
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
//! Since the process is one holder per stripe anyway, it opens the lock
//! file once per directory, for its whole life (as the store's database
//! stays open), and takes every byte lock on that one open file: a miss
//! costs two system calls, lock and unlock, and no open or close. Taking
//! and releasing happen under the mutex of the map of held stripes, so the
//! byte is locked exactly while the map has an entry for it. (A child
//! forked without `exec` would share that open file with its parent, and so
//! its locks; a process that runs funcache has its writer thread, and such
//! a child may only call async-signal-safe functions anyway. `exec` closes
//! the file.)
//!
//! A value stored under batch or lazy durability is committed after its
//! call returns (see `writer.rs`): the queued write takes a handle on the
//! call's lock too ([`held`]), so another process never takes the lock
//! before the value is in the database.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::FunctionKey;

/// Byte locks in the one lock file of a cache directory. A lock is a
/// byte range, which costs nothing until taken: many make two processes
/// computing different keys at the same moment share a stripe seldom.
#[cfg(target_os = "linux")]
const BYTE_STRIPES: u64 = 65536;

/// Lock files per cache directory where there are no byte locks. Each is
/// created by the first miss that falls in it, which on a new directory
/// is a file creation in that miss (tens of microseconds, far more on a
/// file system that has just deleted many files): 256 keep that to a few
/// milliseconds once per directory, while two processes computing
/// different keys at the same moment still share a stripe only once in
/// 256.
const FILE_STRIPES: u64 = 256;

/// The file of the byte locks, in the lock directory.
#[cfg(target_os = "linux")]
const BYTE_LOCK_FILE: &str = "keys";

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
    /// The cache directory, a key of [`LOCKS`].
    cache_dir: Arc<Path>,
    stripe: u64,
    how: Held,
}

#[derive(Debug)]
enum Held {
    /// The stripe's byte of the directory's lock file, unlocked when the
    /// last handle goes.
    #[cfg(target_os = "linux")]
    Byte(Arc<File>),
    /// The stripe's own file: closing it (after [`Locked`]'s `drop`)
    /// releases the flock.
    File(#[allow(dead_code)] File),
}

/// The locks of one cache directory this process has used.
struct DirLocks {
    /// The cache directory, its key in [`LOCKS`].
    cache_dir: Arc<Path>,
    /// The lock file the byte locks are taken on, open for the life of
    /// the process; `None`: a lock file per stripe (always, off Linux).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    bytes: Option<Arc<File>>,
    /// The stripes this process holds.
    held: HashMap<u64, Weak<Locked>>,
}

impl DirLocks {
    fn stripe(&self, hash: u64) -> u64 {
        hash % self.stripes()
    }

    fn stripes(&self) -> u64 {
        #[cfg(target_os = "linux")]
        if self.bytes.is_some() {
            return BYTE_STRIPES;
        }
        FILE_STRIPES
    }

    fn holder(&self, stripe: u64) -> Option<KeyLock> {
        self.held
            .get(&stripe)
            .and_then(Weak::upgrade)
            .map(|locked| KeyLock { _locked: locked })
    }
}

/// Every cache directory's locks, by cache directory.
static LOCKS: Mutex<Option<HashMap<Arc<Path>, DirLocks>>> = Mutex::new(None);

fn locks() -> MutexGuard<'static, Option<HashMap<Arc<Path>, DirLocks>>> {
    LOCKS.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Locked {
    fn drop(&mut self) {
        let mut locks = locks();
        let Some(dir) = locks.as_mut().and_then(|all| all.get_mut(&self.cache_dir)) else {
            return;
        };
        // Not a lock of the same stripe taken since this one's last handle
        // went: that one is the holder now.
        if dir
            .held
            .get(&self.stripe)
            .is_some_and(|lock| lock.strong_count() == 0)
        {
            dir.held.remove(&self.stripe);
            match &self.how {
                #[cfg(target_os = "linux")]
                Held::Byte(file) => {
                    // Should it fail, the byte stays locked until the
                    // process ends: other processes wait out their
                    // timeout, then compute.
                    let _ = ofd::set(file, ofd::Lock::Unlock, self.stripe);
                }
                Held::File(_) => {}
            }
        }
    }
}

/// Another handle on the lock of the entry `entry_key` of `function`, if
/// this process holds it: a write queued under it keeps it held until the
/// write is committed.
pub(crate) fn held(cache_dir: &Path, function: &FunctionKey, entry_key: &[u8]) -> Option<KeyLock> {
    let hash = key_hash(function, entry_key);
    let locks = locks();
    let dir = locks.as_ref()?.get(cache_dir)?;
    dir.holder(dir.stripe(hash))
}

/// The directory of lock files in a cache directory.
pub(crate) fn dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join("locks")
}

fn stripe_file(cache_dir: &Path, stripe: u64) -> PathBuf {
    dir(cache_dir).join(format!("{stripe:02x}"))
}

/// Where an entry's stripe comes from: the stripe is this modulo the
/// number of stripes. (The file stripes are the same as before the byte
/// locks.)
fn key_hash(function: &FunctionKey, entry_key: &[u8]) -> u64 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(function.as_bytes());
    hasher.update(entry_key);
    let hash = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// Opens a lock file for locking, creating it (and the lock directory)
/// when missing, private to the user.
pub(super) fn open_lock_file(cache_dir: &Path, path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(file) => Ok(file),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            super::layout::create_private_dir(&dir(cache_dir))?;
            options.open(path)
        }
        Err(error) => Err(error),
    }
}

/// The locks of `cache_dir`, opening its lock file on first use.
fn dir_locks<'a>(
    all: &'a mut HashMap<Arc<Path>, DirLocks>,
    cache_dir: &Path,
) -> io::Result<&'a mut DirLocks> {
    if !all.contains_key(cache_dir) {
        #[cfg(target_os = "linux")]
        let bytes = Some(Arc::new(open_lock_file(
            cache_dir,
            &dir(cache_dir).join(BYTE_LOCK_FILE),
        )?));
        #[cfg(not(target_os = "linux"))]
        let bytes = None;
        let cache_dir: Arc<Path> = Arc::from(cache_dir);
        let locks = DirLocks {
            cache_dir: Arc::clone(&cache_dir),
            bytes,
            held: HashMap::new(),
        };
        all.insert(cache_dir, locks);
    }
    Ok(all.get_mut(cache_dir).expect("inserted above"))
}

/// Takes the lock of one entry, waiting at most `wait` for a holder.
/// `Ok(None)` when the wait ran out: the caller computes anyway.
#[cfg(test)]
pub(crate) fn acquire(
    cache_dir: &Path,
    function: &FunctionKey,
    entry_key: &[u8],
    wait: Duration,
) -> io::Result<Option<KeyLock>> {
    attempt(cache_dir, function, entry_key, wait).map(|attempt| match attempt {
        Attempt::Taken(lock) => Some(lock),
        Attempt::HeldElsewhere => None,
    })
}

/// Whether another process could take the lock of the entry now (tried
/// on an open file of its own, as another process would).
#[cfg(test)]
pub(crate) fn free_for_another_process(
    cache_dir: &Path,
    function: &FunctionKey,
    entry_key: &[u8],
) -> bool {
    let hash = key_hash(function, entry_key);
    let bytes = locks()
        .as_ref()
        .and_then(|all| all.get(cache_dir))
        .is_none_or(|dir| dir.bytes.is_some());
    #[cfg(target_os = "linux")]
    if bytes {
        let path = dir(cache_dir).join(BYTE_LOCK_FILE);
        let Ok(file) = OpenOptions::new().write(true).open(path) else {
            return true;
        };
        // Closing the file releases it.
        return matches!(
            ofd::set(&file, ofd::Lock::Write, hash % BYTE_STRIPES),
            Ok(true)
        );
    }
    let _ = bytes;
    let Ok(file) = OpenOptions::new()
        .write(true)
        .open(stripe_file(cache_dir, hash % FILE_STRIPES))
    else {
        return true;
    };
    fs4::FileExt::try_lock(&file).is_ok()
}

/// Makes this process lock the stripes of `cache_dir` with a file each,
/// as where byte locks are missing (before it first locks there).
#[cfg(test)]
pub(crate) fn use_lock_files(cache_dir: &Path) {
    let cache_dir: Arc<Path> = Arc::from(cache_dir);
    let files = DirLocks {
        cache_dir: Arc::clone(&cache_dir),
        bytes: None,
        held: HashMap::new(),
    };
    locks()
        .get_or_insert_with(HashMap::new)
        .insert(cache_dir, files);
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
) -> io::Result<Attempt> {
    let hash = key_hash(function, entry_key);
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    // Where there are no byte locks: the stripe's file, opened once.
    let mut own_file: Option<(u64, File)> = None;
    loop {
        if let Some(lock) = try_once(cache_dir, hash, &mut own_file)? {
            return Ok(Attempt::Taken(lock));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Attempt::HeldElsewhere);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// One try at the lock of the entry whose key hashes to `hash`: `None`
/// while another process holds it.
fn try_once(
    cache_dir: &Path,
    hash: u64,
    own_file: &mut Option<(u64, File)>,
) -> io::Result<Option<KeyLock>> {
    let (dir_key, stripe) = {
        let mut locks = locks();
        let dir = dir_locks(locks.get_or_insert_with(HashMap::new), cache_dir)?;
        match try_byte(dir, hash)? {
            ByteTry::Taken(lock) => return Ok(Some(lock)),
            ByteTry::Busy => return Ok(None),
            ByteTry::NoByteLocks => {}
        }
        let stripe = dir.stripe(hash);
        if let Some(lock) = dir.holder(stripe) {
            // Held by this process: shared (see the module documentation).
            return Ok(Some(lock));
        }
        (Arc::clone(&dir.cache_dir), stripe)
    };
    // A file per stripe: opened (perhaps created) outside the map's mutex.
    let file = match own_file {
        Some((opened, file)) if *opened == stripe => file,
        _ => {
            let path = stripe_file(cache_dir, stripe);
            &mut own_file
                .insert((stripe, open_lock_file(cache_dir, &path)?))
                .1
        }
    };
    match fs4::FileExt::try_lock(&*file) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => return Ok(None),
        Err(fs4::TryLockError::Error(error)) => return Err(error),
    }
    let Some((_, file)) = own_file.take() else {
        unreachable!("opened above");
    };
    // No other thread here holds the stripe: its open file's flock would
    // have kept this one out (it is closed after its entry is removed).
    let locked = Arc::new(Locked {
        cache_dir: dir_key,
        stripe,
        how: Held::File(file),
    });
    if let Some(dir) = locks().as_mut().and_then(|all| all.get_mut(cache_dir)) {
        dir.held.insert(stripe, Arc::downgrade(&locked));
    }
    Ok(Some(KeyLock { _locked: locked }))
}

/// What one try at a byte lock came to.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
enum ByteTry {
    /// Taken, or shared with a holder in this process.
    Taken(KeyLock),
    /// Another process holds it.
    Busy,
    /// The directory's stripes are files.
    NoByteLocks,
}

/// With byte locks, one try at the entry's byte, under the map's mutex
/// (so that the byte is locked exactly while the map has an entry for
/// it).
#[cfg(target_os = "linux")]
fn try_byte(dir: &mut DirLocks, hash: u64) -> io::Result<ByteTry> {
    let Some(file) = &dir.bytes else {
        return Ok(ByteTry::NoByteLocks);
    };
    let stripe = dir.stripe(hash);
    if let Some(lock) = dir.holder(stripe) {
        // Held by this process: shared (see the module documentation).
        return Ok(ByteTry::Taken(lock));
    }
    match ofd::set(file, ofd::Lock::Write, stripe) {
        Ok(true) => {
            let locked = Arc::new(Locked {
                cache_dir: Arc::clone(&dir.cache_dir),
                stripe,
                how: Held::Byte(Arc::clone(file)),
            });
            dir.held.insert(stripe, Arc::downgrade(&locked));
            Ok(ByteTry::Taken(KeyLock { _locked: locked }))
        }
        Ok(false) => Ok(ByteTry::Busy),
        Err(error) if error.raw_os_error() == Some(libc::EINVAL) => {
            // A kernel without open file description locks (before 3.15):
            // a file per stripe from now on (nothing is held here yet, or
            // the lock would have worked).
            dir.bytes = None;
            Ok(ByteTry::NoByteLocks)
        }
        Err(error) => Err(error),
    }
}

#[cfg(not(target_os = "linux"))]
#[allow(clippy::unnecessary_wraps)]
fn try_byte(_: &mut DirLocks, _: u64) -> io::Result<ByteTry> {
    Ok(ByteTry::NoByteLocks)
}

/// Open file description locks on one byte (Linux).
#[cfg(target_os = "linux")]
mod ofd {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;

    #[derive(Debug, Clone, Copy)]
    pub(super) enum Lock {
        Write,
        Unlock,
    }

    /// Locks or unlocks byte `byte` of `file` for its open file
    /// description, without waiting: `Ok(false)` when another open file
    /// holds it. `EINVAL` where the kernel has no such locks.
    pub(super) fn set(file: &File, lock: Lock, byte: u64) -> io::Result<bool> {
        let start = libc::off_t::try_from(byte).map_err(|_| io::ErrorKind::InvalidInput)?;
        let kind = match lock {
            Lock::Write => libc::F_WRLCK,
            Lock::Unlock => libc::F_UNLCK,
        };
        match fcntl_ofd_setlk(file, kind as libc::c_short, start) {
            Ok(()) => Ok(true),
            Err(error)
                if matches!(
                    error.raw_os_error(),
                    Some(libc::EAGAIN | libc::EACCES | libc::EINTR)
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    /// `fcntl(F_OFD_SETLK)` on the one byte at `start`.
    #[allow(unsafe_code)]
    fn fcntl_ofd_setlk(file: &File, kind: libc::c_short, start: libc::off_t) -> io::Result<()> {
        // SAFETY: `zeroed` is a valid `flock` (a plain C struct of
        // integers; `l_pid` must be 0 for these locks). `fcntl` with
        // `F_OFD_SETLK` only reads the struct, which lives across the
        // call, and the descriptor is open while `file` is borrowed.
        let result = unsafe {
            let mut lock: libc::flock = std::mem::zeroed();
            lock.l_type = kind;
            lock.l_whence = libc::SEEK_SET as libc::c_short;
            lock.l_start = start;
            lock.l_len = 1;
            libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &lock)
        };
        if result == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another process's lock, as this test can make one: the lock file
    /// opened and locked on its own.
    fn lock_as_another_process(cache_dir: &Path, function: &FunctionKey, key: &[u8]) -> File {
        let hash = key_hash(function, key);
        super::super::layout::create_private_dir(&dir(cache_dir)).unwrap();
        let files = locks()
            .as_ref()
            .and_then(|all| all.get(cache_dir))
            .is_some_and(|dir| dir.bytes.is_none());
        let path = if files || cfg!(not(target_os = "linux")) {
            stripe_file(cache_dir, hash % FILE_STRIPES)
        } else {
            dir(cache_dir).join("keys")
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .unwrap();
        #[cfg(target_os = "linux")]
        if !files {
            assert!(ofd::set(&file, ofd::Lock::Write, hash % BYTE_STRIPES).unwrap());
            return file;
        }
        fs4::FileExt::try_lock(&file).unwrap();
        file
    }

    /// Both lock schemes: byte locks (where there are) and a file per stripe.
    fn each_scheme(test: impl Fn(&Path)) {
        let temp = tempfile::tempdir().unwrap();
        test(temp.path());
        let temp = tempfile::tempdir().unwrap();
        use_lock_files(temp.path());
        test(temp.path());
    }

    #[test]
    fn a_lock_held_elsewhere_is_waited_for_until_released_or_timed_out() {
        each_scheme(|cache_dir| {
            let function = FunctionKey::of("app::f");
            let other = lock_as_another_process(cache_dir, &function, b"k");
            let waited = acquire(cache_dir, &function, b"k", Duration::from_millis(30)).unwrap();
            assert!(waited.is_none(), "held elsewhere: the wait runs out");
            std::thread::scope(|scope| {
                let waiter = scope.spawn(|| {
                    acquire(cache_dir, &function, b"k", Duration::from_secs(600)).unwrap()
                });
                std::thread::sleep(Duration::from_millis(20));
                // Closing the file releases the lock, as the holder's exit does.
                drop(other);
                assert!(waiter.join().unwrap().is_some(), "released: taken");
            });
        });
    }

    #[test]
    fn a_stripe_this_process_holds_is_shared_not_waited_for() {
        each_scheme(|cache_dir| {
            let function = FunctionKey::of("app::f");
            let outer = acquire(cache_dir, &function, b"k", Duration::ZERO).unwrap();
            assert!(outer.is_some());
            assert!(held(cache_dir, &function, b"k").is_some());
            // A nested call whose key shares the stripe (here: the same key).
            // Were it waited for, this would take the whole 10 minutes.
            let nested = acquire(cache_dir, &function, b"k", Duration::from_secs(600)).unwrap();
            assert!(nested.is_some(), "a handle on the same lock");
            drop(outer);
            // Another process is still kept out: the nested call computes.
            assert!(!free_for_another_process(cache_dir, &function, b"k"));
            drop(nested);
            assert!(held(cache_dir, &function, b"k").is_none());
            assert!(free_for_another_process(cache_dir, &function, b"k"));
            assert!(
                acquire(cache_dir, &function, b"k", Duration::ZERO)
                    .unwrap()
                    .is_some()
            );
        });
    }

    /// Two keys in different stripes, `(function, key)` pairs.
    fn two_stripes() -> (FunctionKey, Vec<u8>, Vec<u8>) {
        let function = FunctionKey::of("app::g");
        let first = b"0".to_vec();
        let stripe = key_hash(&function, &first) % FILE_STRIPES;
        let second = (1..)
            .map(|n: u32| n.to_string().into_bytes())
            .find(|key| key_hash(&function, key) % FILE_STRIPES != stripe)
            .unwrap();
        (function, first, second)
    }

    /// Regression (byte locks): the stripes of one lock file are separate
    /// locks between two open files, and one stripe is one lock.
    #[cfg(target_os = "linux")]
    #[test]
    fn byte_locks_of_two_open_files_exclude_on_one_stripe_only() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("keys");
        let open = || {
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .unwrap()
        };
        let (one, two) = (open(), open());
        assert!(ofd::set(&one, ofd::Lock::Write, 7).unwrap());
        assert!(
            ofd::set(&two, ofd::Lock::Write, 8).unwrap(),
            "another stripe"
        );
        assert!(
            !ofd::set(&two, ofd::Lock::Write, 7).unwrap(),
            "the same stripe"
        );
        assert!(ofd::set(&one, ofd::Lock::Write, 65535).unwrap());
        assert!(ofd::set(&one, ofd::Lock::Unlock, 7).unwrap());
        assert!(ofd::set(&two, ofd::Lock::Write, 7).unwrap(), "unlocked");
        drop(two);
        let three = open();
        assert!(ofd::set(&three, ofd::Lock::Write, 8).unwrap(), "closed");
        assert!(!ofd::set(&three, ofd::Lock::Write, 65535).unwrap());
    }

    #[test]
    fn keys_of_different_stripes_are_locked_apart() {
        each_scheme(|cache_dir| {
            let (function, first, second) = two_stripes();
            let other = lock_as_another_process(cache_dir, &function, &first);
            let taken = acquire(cache_dir, &function, &second, Duration::ZERO).unwrap();
            assert!(taken.is_some(), "another stripe is free");
            assert!(!free_for_another_process(cache_dir, &function, &second));
            assert!(
                acquire(cache_dir, &function, &first, Duration::ZERO)
                    .unwrap()
                    .is_none(),
                "the held stripe is not"
            );
            drop(other);
            drop(taken);
            assert!(free_for_another_process(cache_dir, &function, &second));
        });
    }

    /// Regression: dropping the last handle frees the stripe for other
    /// processes (byte locks are not released by closing a file: the
    /// process keeps its lock file open).
    #[test]
    fn a_dropped_lock_frees_its_stripe() {
        each_scheme(|cache_dir| {
            let function = FunctionKey::of("app::h");
            let lock = acquire(cache_dir, &function, b"k", Duration::ZERO).unwrap();
            let copy = lock.clone();
            assert!(!free_for_another_process(cache_dir, &function, b"k"));
            drop(lock);
            assert!(!free_for_another_process(cache_dir, &function, b"k"));
            drop(copy);
            assert!(free_for_another_process(cache_dir, &function, b"k"));
            let _other = lock_as_another_process(cache_dir, &function, b"k");
            assert!(
                acquire(cache_dir, &function, b"k", Duration::ZERO)
                    .unwrap()
                    .is_none()
            );
        });
    }

    /// With byte locks a miss creates no file: the one lock file serves
    /// every key (an old directory's stripe files are left alone).
    #[cfg(target_os = "linux")]
    #[test]
    fn byte_locks_use_one_lock_file() {
        let temp = tempfile::tempdir().unwrap();
        super::super::layout::create_private_dir(&dir(temp.path())).unwrap();
        std::fs::write(stripe_file(temp.path(), 0x3b), b"").unwrap();
        let function = FunctionKey::of("app::many");
        let locks: Vec<_> = (0..64u32)
            .map(|n| acquire(temp.path(), &function, &n.to_be_bytes(), Duration::ZERO).unwrap())
            .collect();
        assert!(locks.iter().all(Option::is_some));
        let mut names: Vec<_> = std::fs::read_dir(dir(temp.path()))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["3b", "keys"]);
    }
}
