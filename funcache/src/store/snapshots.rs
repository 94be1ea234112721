//! Read transactions kept open between lookups, so that a hit does not
//! begin and end one of its own.
//!
//! Beginning an LMDB read transaction allocates and zeroes it, and ending
//! it frees it: most of the work of a lookup (a transaction and the `get`
//! of a small value take ~94 ns on the benchmark's machine, the `get`
//! alone ~16 ns; see BENCHMARKS.md). LMDB's answer is to reset and renew a
//! transaction (`mdb_txn_reset`), which heed does not offer
//! (meilisearch/heed#301); so a lookup here reuses the transaction its
//! thread's last lookup began, when that is still the latest snapshot:
//!
//! * A kept transaction is reused only while no commit, by any process,
//!   came after it: its id is the database's last transaction id (read
//!   from the memory map's meta page, no lock, no system call). So a
//!   lookup reads exactly what a transaction begun at that moment would:
//!   a value another process stored, replaced or removed is seen at once.
//! * A kept transaction holds a reader slot and, once something newer is
//!   committed, keeps its snapshot's pages from reuse, like any long read.
//!   A background thread ends those begun more than [`KEEP_FOR`] ago that
//!   no lookup is using, so an idle thread pins nothing for long, and it
//!   sleeps while nothing is kept. At exit the process ends its own.
//!
//! Each thread has a slot of its own ([`thread_id`]), up to [`SLOTS`]:
//! threads never wait for each other here. A thread that finds its slot
//! taken (a nested lookup, or threads beyond the slots sharing the last
//! one) begins a transaction of its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, TryLockError, Weak};
use std::time::Duration;

use heed::{EnvInfo, RoTxn, WithoutTls};

use super::lmdb::LmdbEnv;
use crate::thread_id;

/// Slots per environment: threads beyond the first `SLOTS - 1` share the
/// last one. Each kept transaction holds a reader slot in the lock file
/// (see `lmdb::MAX_READERS`), as each reading thread did when reader slots
/// were bound to threads.
const SLOTS: usize = 64;

/// How long an unused transaction is kept: the longest an idle thread
/// keeps old pages from reuse is about twice this.
const KEEP_FOR: Duration = Duration::from_millis(20);

/// A read transaction that may outlive the call that began it.
type Txn = RoTxn<'static, WithoutTls>;

struct Kept {
    txn: Txn,
    /// [`EPOCH`] when it began.
    epoch: u64,
}

/// A slot on a cache line of its own: threads on different slots share
/// no line.
#[repr(align(64))]
struct Slot(Mutex<Option<Kept>>);

impl Slot {
    /// The slot, unless another read holds it. One that a panicking read
    /// (a `Deserialize` of the caller's) left poisoned is emptied and
    /// used again: the transaction itself is intact, but nothing is
    /// gained by trusting it.
    #[inline]
    fn take(&self) -> Option<MutexGuard<'_, Option<Kept>>> {
        match self.0.try_lock() {
            Ok(kept) => Some(kept),
            Err(TryLockError::WouldBlock) => None,
            Err(TryLockError::Poisoned(poisoned)) => {
                let mut kept = poisoned.into_inner();
                *kept = None;
                self.0.clear_poison();
                Some(kept)
            }
        }
    }
}

/// The kept read transactions of one environment.
pub(crate) struct Snapshots {
    slots: [Slot; SLOTS],
}

/// Advanced by the sweeper every [`KEEP_FOR`]: a kept transaction begun in
/// an earlier epoch and not in use is ended.
static EPOCH: AtomicU64 = AtomicU64::new(0);

impl Snapshots {
    /// Empty slots, swept by the background thread while any is full.
    pub(crate) fn new() -> Arc<Snapshots> {
        let snapshots = Arc::new(Snapshots {
            slots: [const { Slot(Mutex::new(None)) }; SLOTS],
        });
        sweeper()
            .all
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&snapshots));
        snapshots
    }

    /// Runs `read` in a read transaction of `env` that sees every commit
    /// made before the call: the one this thread kept, if nothing was
    /// committed since it began, else one begun now (and kept). `read`
    /// also gets the environment's state as read after the transaction
    /// began: every page of its snapshot is among the pages in use there.
    #[inline]
    pub(crate) fn read<T, F>(&self, env: &LmdbEnv, read: F) -> heed::Result<T>
    where
        F: FnOnce(&RoTxn<'_, WithoutTls>, &EnvInfo) -> T,
    {
        // A transaction of the call's own, not kept.
        let once = |read: F| -> heed::Result<T> {
            let txn = env.read_txn()?;
            Ok(read(&txn, &env.info()))
        };
        let slot = &self.slots[thread_id::slot(SLOTS)];
        let Some(mut kept) = slot.take() else {
            // Taken by an outer read on this thread, or by another
            // thread sharing the slot.
            return once(read);
        };
        let mut info = env.info();
        let latest = kept
            .as_ref()
            .is_some_and(|kept| kept.txn.id() == info.last_txn_id);
        if !latest {
            // The old one ends first: its reader slot is free again.
            *kept = None;
            if !sweeper().running {
                return once(read);
            }
            *kept = Some(Kept {
                txn: env.clone().static_read_txn()?,
                epoch: EPOCH.load(Ordering::Relaxed),
            });
            info = env.info();
            arm_sweeper();
        }
        let kept = kept.as_ref().expect("kept above");
        Ok(read(&kept.txn, &info))
    }

    /// Ends every kept transaction not in use (at exit: a process that
    /// ends leaves no reader slot behind for others to clear).
    pub(crate) fn end_all(&self) {
        self.end_where(|_| true);
    }

    /// Ends the kept transactions not in use for which `old` holds;
    /// whether any transaction is still kept (or a slot was in use).
    fn end_where(&self, old: impl Fn(&Kept) -> bool) -> bool {
        let mut left = false;
        for slot in &self.slots {
            match slot.take() {
                Some(mut kept) => {
                    if kept.as_ref().is_some_and(&old) {
                        *kept = None;
                    }
                    left |= kept.is_some();
                }
                None => left = true,
            }
        }
        left
    }

    /// Whether a panicking read left a slot poisoned.
    #[cfg(test)]
    pub(crate) fn any_poisoned(&self) -> bool {
        self.slots.iter().any(|slot| slot.0.is_poisoned())
    }

    /// How many transactions are kept now.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        let kept = |slot: &Slot| {
            slot.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some()
        };
        self.slots.iter().filter(|slot| kept(slot)).count()
    }
}

/// The background thread that ends old kept transactions.
struct Sweeper {
    /// Every environment's snapshots (weak: a dropped store is forgotten).
    all: Mutex<Vec<Weak<Snapshots>>>,
    /// Whether a transaction may be kept: the thread sweeps until none is.
    armed: AtomicBool,
    /// Whether the thread runs: without it, nothing is kept.
    running: bool,
    wake: Condvar,
    sleeping: Mutex<()>,
}

fn sweeper() -> &'static Sweeper {
    static SWEEPER: OnceLock<Sweeper> = OnceLock::new();
    SWEEPER.get_or_init(|| {
        // Without the thread, transactions would be kept for as long as
        // their threads live: none is kept then.
        let spawned = std::thread::Builder::new()
            .name("funcache-snapshots".into())
            .spawn(sweep_forever)
            .is_ok();
        Sweeper {
            all: Mutex::new(Vec::new()),
            armed: AtomicBool::new(false),
            running: spawned,
            wake: Condvar::new(),
            sleeping: Mutex::new(()),
        }
    })
}

/// Has the sweeper run (it sleeps while nothing is kept).
#[inline]
fn arm_sweeper() {
    let sweeper = sweeper();
    if !sweeper.armed.load(Ordering::Relaxed) && !sweeper.armed.swap(true, Ordering::AcqRel) {
        let _sleeping = sweeper
            .sleeping
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sweeper.wake.notify_one();
    }
}

fn sweep_forever() {
    let sweeper = sweeper();
    loop {
        {
            let mut sleeping = sweeper
                .sleeping
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            while !sweeper.armed.load(Ordering::Acquire) {
                sleeping = sweeper
                    .wake
                    .wait(sleeping)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        std::thread::sleep(KEEP_FOR);
        // Disarmed before sweeping: a transaction kept from now on arms
        // it again.
        sweeper.armed.store(false, Ordering::Release);
        let epoch = EPOCH.fetch_add(1, Ordering::Relaxed) + 1;
        let all: Vec<Arc<Snapshots>> = {
            let mut all = sweeper.all.lock().unwrap_or_else(PoisonError::into_inner);
            all.retain(|weak| weak.strong_count() > 0);
            all.iter().filter_map(Weak::upgrade).collect()
        };
        let mut left = false;
        for snapshots in all {
            left |= snapshots.end_where(|kept| kept.epoch != epoch);
        }
        if left {
            sweeper.armed.store(true, Ordering::Release);
        }
    }
}
