//! Read transactions kept open between lookups, so that a hit does not
//! begin and end one of its own.
//!
//! Beginning an LMDB read transaction allocates and zeroes it, and ending
//! it frees it: most of the work of a lookup (a transaction and the `get`
//! of a small value take ~94 ns on the benchmark's machine, the `get`
//! alone ~16 ns; see BENCHMARKS.md). LMDB's answer is to reset and renew a transaction
//! (`mdb_txn_reset`), which heed does not offer (meilisearch/heed#301); so
//! a lookup here reuses the transaction the thread's last lookup opened,
//! for a short while:
//!
//! * A transaction reads the snapshot it began with. One kept for reuse is
//!   at most [`KEEP_FOR`] old (twice that when a lookup is running as the
//!   sweeper passes): a value another process stored after it began is a
//!   miss until then, and the call protocol's second look, under the
//!   entry's lock, reads the [latest](Freshness::Latest) snapshot. So it
//!   costs at most a wait for the entry's lock, never a recomputation or a
//!   wrong value: an entry's value only changes when its function is
//!   refreshed, and an entry another process removed (a purge, an
//!   eviction) may be served for as long, as it would have been a moment
//!   before.
//! * This process's own commits are seen at once: each one makes every
//!   kept transaction [`outdated`](Snapshots::outdate).
//! * A kept transaction holds a reader slot and keeps the pages of its
//!   snapshot from reuse, like any long read. A background thread closes
//!   those older than [`KEEP_FOR`], so an idle thread pins nothing for
//!   long, and it sleeps while nothing is kept.
//!
//! Each thread has a slot of its own ([`thread_id`]), up to [`SLOTS`]:
//! threads never wait for each other here. A thread that finds its slot
//! taken (a nested lookup, or threads beyond the slots sharing the last
//! one) opens a transaction of its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, TryLockError, Weak};
use std::time::Duration;

use heed::{RoTxn, WithoutTls};

use super::lmdb::LmdbEnv;
use crate::thread_id;

/// Slots per environment: threads beyond the first `SLOTS - 1` share the
/// last one. Each kept transaction holds a reader slot in the lock file
/// (see `lmdb::MAX_READERS`), as each reading thread did when reader slots
/// were bound to threads.
const SLOTS: usize = 64;

/// How long a read transaction is reused: the longest another process's
/// new value may stay unseen by a lookup's first look.
pub(crate) const KEEP_FOR: Duration = Duration::from_millis(20);

/// Which snapshot a read needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// A kept transaction will do (a call's first look).
    Recent,
    /// A transaction begun now: what another process committed is seen
    /// (a look under the entry's lock, a peek, a listing).
    Latest,
}

/// A read transaction that may outlive the call that opened it.
type Txn = RoTxn<'static, WithoutTls>;

struct Kept {
    txn: Txn,
    /// [`Snapshots::generation`] when it began.
    generation: u64,
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
    /// Counts this process's commits: a transaction begun before the last
    /// one is not reused.
    generation: AtomicU64,
}

/// Advanced by the sweeper every [`KEEP_FOR`]: a transaction begun in an
/// earlier epoch is not reused.
static EPOCH: AtomicU64 = AtomicU64::new(0);

impl Snapshots {
    /// Empty slots, swept by the background thread while any is full.
    pub(crate) fn new() -> Arc<Snapshots> {
        let snapshots = Arc::new(Snapshots {
            slots: [const { Slot(Mutex::new(None)) }; SLOTS],
            generation: AtomicU64::new(0),
        });
        sweeper()
            .all
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&snapshots));
        snapshots
    }

    /// Runs `read` in a read transaction of `env`: the one this thread
    /// kept, if `freshness` allows and it is current, else one begun now
    /// (and kept for the next read).
    #[inline]
    pub(crate) fn read<T>(
        &self,
        env: &LmdbEnv,
        freshness: Freshness,
        read: impl FnOnce(&RoTxn<'_, WithoutTls>) -> T,
    ) -> heed::Result<T> {
        let slot = &self.slots[thread_id::slot(SLOTS)];
        let Some(mut kept) = slot.take() else {
            // Taken by an outer read on this thread, or by another
            // thread sharing the slot.
            return Ok(read(&env.read_txn()?));
        };
        // Read before the transaction begins: a commit after this load
        // may be in the snapshot, but one before it certainly is.
        let generation = self.generation.load(Ordering::Acquire);
        let epoch = EPOCH.load(Ordering::Relaxed);
        let reusable = freshness == Freshness::Recent
            && kept
                .as_ref()
                .is_some_and(|kept| kept.generation == generation && kept.epoch == epoch);
        if !reusable {
            // The old one ends first: its reader slot is free again.
            *kept = None;
            if !sweeper().running {
                return Ok(read(&env.read_txn()?));
            }
            let txn = env.clone().static_read_txn()?;
            *kept = Some(Kept {
                txn,
                generation,
                epoch,
            });
            arm_sweeper();
        }
        let kept = kept.as_ref().expect("kept above");
        Ok(read(&kept.txn))
    }

    /// Called after each commit of this process: kept transactions are
    /// not reused any more.
    pub(crate) fn outdate(&self) {
        self.generation.fetch_add(1, Ordering::Release);
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
