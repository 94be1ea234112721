//! Group commit (batch and lazy durability): a stored inline value is
//! queued, and one background thread per store commits everything queued
//! in one write transaction. While it commits (and for [`GATHER`] after),
//! new values queue up, so the batch grows with the load; the caller's
//! thread pays for a hash-map insert instead of a commit, and wakes the
//! writer only when it is waiting for work.
//!
//! What holds, and how:
//!
//! * This process reads its own writes: a lookup that misses in the
//!   database looks in the queue before it reports a miss
//!   ([`Store::load_with`]).
//! * One computation per key across processes: the call's key lock is
//!   shared with the queued value and released only once it is committed
//!   (`key_lock::held`).
//! * Nothing queued is lost when the process exits normally: an `atexit`
//!   hook waits for the queue, as [`crate::flush`] does; whatever lists or
//!   removes entries in this process waits for it first
//!   ([`Store::settle`]).
//! * Bounded: past [`MAX_QUEUED_BYTES`] or [`MAX_QUEUED`] values, the
//!   caller waits for the batch. A store whose writer thread cannot be
//!   started commits each value on the caller's thread, as `sync` does.
//! * A crash (kill -9, power loss) costs at most the queued values, never
//!   the database's integrity: each batch is one LMDB transaction.
//!
//! A failed batch (disk full, map full) is warned about once per directory
//! and its values are lost (they are recomputed); the calls that computed
//! them have returned already.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

use super::{FunctionKey, KeyLock, Store, add_counts, blob_ref, evict, name_function};
use crate::warn::warn_once;

/// The most bytes of values queued in one store before callers wait.
pub(crate) const MAX_QUEUED_BYTES: usize = 64 << 20;
/// The most values queued in one store before callers wait (few in unit
/// tests, so that they wait often).
pub(crate) const MAX_QUEUED: usize = if cfg!(test) { 16 } else { 100_000 };

/// How long the writer lets values gather after a commit before it
/// takes the next batch: the most a value waits beyond the commit before
/// it.
pub(crate) const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// A value taken for a batch: table key, function id, envelope, and the
/// sequence number it was queued with.
type Taken = (Box<[u8]>, Box<str>, Arc<[u8]>, u64);

/// One queued value.
struct Queued {
    fn_id: Box<str>,
    /// The sealed envelope.
    bytes: Arc<[u8]>,
    /// Tells a value replaced while its batch committed from the batch's.
    seq: u64,
    /// Key locks to release once committed.
    locks: Vec<KeyLock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    NotStarted,
    /// Waiting for values.
    Idle,
    Committing,
    /// Could not be started, or died: callers commit themselves.
    Gone,
}

struct State {
    /// By `entries` table key.
    queued: HashMap<Box<[u8]>, Queued>,
    bytes: usize,
    next_seq: u64,
    writer: Writer,
}

/// The queue of one store.
pub(crate) struct Queue {
    state: Mutex<State>,
    /// Wakes the writer.
    work: Condvar,
    /// Wakes those waiting for the queue to empty.
    settled: Condvar,
    /// Held while a batch commits: batches commit one at a time, each
    /// taken after the one before was committed.
    committing: Mutex<()>,
    /// The store this queue belongs to, for its writer thread (unset: no
    /// writer, values are committed by their callers).
    owner: Weak<Store>,
    /// Whether anything was ever queued (a miss then looks twice).
    used: std::sync::atomic::AtomicBool,
    /// How many values are queued now, as of the last change: a lookup
    /// looks in the queue first only when there are any.
    len: std::sync::atomic::AtomicUsize,
}

/// A value the queue did not take (its envelope): the caller commits it.
pub(crate) struct Refused(pub Vec<u8>);

/// What the queue holds of a key that the database did not.
pub(crate) enum Found {
    /// Nothing, ever.
    Nothing,
    /// Not queued now, but it may have been committed since the database
    /// was read: read it again.
    MaybeCommitted,
    /// This envelope, not committed yet.
    Queued(Arc<[u8]>),
}

impl Queue {
    pub(crate) fn new(owner: Weak<Store>) -> Queue {
        Queue {
            state: Mutex::new(State {
                queued: HashMap::new(),
                bytes: 0,
                next_seq: 0,
                writer: Writer::NotStarted,
            }),
            work: Condvar::new(),
            settled: Condvar::new(),
            committing: Mutex::new(()),
            owner,
            used: std::sync::atomic::AtomicBool::new(false),
            len: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes how many values `state` holds (after a change, under
    /// the lock).
    fn count(&self, state: &State) {
        self.len
            .store(state.queued.len(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Queues `bytes` for `table_key` of `fn_id`, holding `lock` until it
    /// is committed. Waits when the queue is full.
    pub(crate) fn push(
        &self,
        table_key: &[u8],
        fn_id: &str,
        bytes: Vec<u8>,
        lock: Option<KeyLock>,
    ) -> Result<(), Refused> {
        let mut state = self.state();
        if state.writer == Writer::NotStarted {
            state.writer = self.start();
        }
        if state.writer == Writer::Gone {
            return Err(Refused(bytes));
        }
        self.used.store(true, std::sync::atomic::Ordering::Relaxed);
        let seq = state.next_seq;
        state.next_seq += 1;
        state.bytes += bytes.len();
        let mut queued = Queued {
            fn_id: fn_id.into(),
            bytes: bytes.into(),
            seq,
            locks: lock.into_iter().collect(),
        };
        if let Some(replaced) = state.queued.remove(table_key) {
            state.bytes -= replaced.bytes.len();
            queued.locks.extend(replaced.locks);
        }
        state.queued.insert(table_key.into(), queued);
        self.count(&state);
        if state.writer == Writer::Idle {
            self.work.notify_one();
        }
        if state.bytes > MAX_QUEUED_BYTES || state.queued.len() > MAX_QUEUED {
            // Backpressure: wait for the writer to make room (half the
            // bounds, so that the next values do not wait again at once).
            self.wait_until(state, |state| {
                state.bytes <= MAX_QUEUED_BYTES / 2 && state.queued.len() <= MAX_QUEUED / 2
            });
        }
        Ok(())
    }

    /// Starts the writer thread, if this queue has an owner.
    fn start(&self) -> Writer {
        let Some(store) = self.owner.upgrade() else {
            return Writer::Gone;
        };
        let dir = store.dir().to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("funcache-writer".into())
            .spawn(move || run(&store));
        match spawned {
            Ok(_) => Writer::Committing,
            Err(error) => {
                warn_once("writer", &dir.to_string_lossy(), || {
                    format!(
                        "funcache: no background writer for {} ({error}); each result is \
                         committed by its call",
                        dir.display()
                    )
                });
                Writer::Gone
            }
        }
    }

    /// The queued envelope of `table_key`, if any: newer than the
    /// database's (a refresh, a value replacing a damaged one). Costs one
    /// atomic load while nothing is queued.
    #[inline]
    pub(crate) fn queued(&self, table_key: &[u8]) -> Option<Arc<[u8]>> {
        if self.len.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            return None;
        }
        let state = self.state();
        state
            .queued
            .get(table_key)
            .map(|queued| Arc::clone(&queued.bytes))
    }

    /// The queued envelope of `table_key`, for a lookup that missed in
    /// the database.
    pub(crate) fn find(&self, table_key: &[u8]) -> Found {
        if !self.used.load(std::sync::atomic::Ordering::Relaxed) {
            return Found::Nothing;
        }
        // Values leave the queue once committed.
        self.queued(table_key)
            .map_or(Found::MaybeCommitted, Found::Queued)
    }

    /// Waits until everything queued so far is committed (or failed).
    /// Nothing to wait for on the thread that commits (whose size checks
    /// list entries).
    pub(crate) fn settle(&self) {
        if !self.used.load(std::sync::atomic::Ordering::Relaxed) || COMMITTING.get() {
            return;
        }
        let state = self.state();
        // Values queued later (by other threads) are not waited for.
        let before = state.next_seq;
        self.wait_until(state, |state| {
            state.queued.values().all(|queued| queued.seq >= before)
        });
    }

    /// Waits until `done` holds, committing on this thread if there is no
    /// writer.
    fn wait_until<'a>(&'a self, mut state: MutexGuard<'a, State>, done: impl Fn(&State) -> bool) {
        while !done(&state) {
            match state.writer {
                Writer::Idle => {
                    self.work.notify_one();
                }
                Writer::Committing => {}
                Writer::NotStarted | Writer::Gone => {
                    // No writer: commit here.
                    drop(state);
                    if let Some(store) = self.owner.upgrade() {
                        commit_next(&store);
                    } else {
                        let mut state = self.state();
                        state.queued.clear();
                        self.count(&state);
                    }
                    state = self.state();
                    continue;
                }
            }
            state = self
                .settled
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

thread_local! {
    /// Whether this thread is committing a batch.
    static COMMITTING: Cell<bool> = const { Cell::new(false) };
}

/// Clears [`COMMITTING`] when dropped (a panic included).
struct Committed;

impl Drop for Committed {
    fn drop(&mut self) {
        COMMITTING.set(false);
    }
}

/// The writer thread of `store`: commits the queue, batch after batch.
fn run(store: &Store) {
    let queue = &store.queue;
    loop {
        {
            let mut state = queue.state();
            state.writer = Writer::Idle;
            while state.queued.is_empty() {
                state = queue
                    .work
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            state.writer = Writer::Committing;
        }
        let committed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit_next(store)));
        if committed.is_err() {
            queue.state().writer = Writer::Gone;
            queue.settled.notify_all();
            return;
        }
        // Let the next batch gather: callers wake the writer only when it
        // waits, so a run of misses costs them no wake-up each.
        std::thread::sleep(GATHER);
    }
}

/// Commits everything queued in one transaction, then removes it from the
/// queue (but values replaced meanwhile) and releases its key locks.
fn commit_next(store: &Store) {
    let queue = &store.queue;
    let _committing = queue
        .committing
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let batch: Vec<Taken> = queue
        .state()
        .queued
        .iter()
        .map(|(key, queued)| {
            (
                key.clone(),
                queued.fn_id.clone(),
                Arc::clone(&queued.bytes),
                queued.seq,
            )
        })
        .collect();
    if batch.is_empty() {
        return;
    }
    COMMITTING.set(true);
    let _done = Committed;
    store.commit_batch(&batch);
    {
        let mut state = queue.state();
        for (key, _, _, seq) in &batch {
            if state
                .queued
                .get(key)
                .is_some_and(|queued| queued.seq == *seq)
                && let Some(queued) = state.queued.remove(key)
            {
                state.bytes -= queued.bytes.len();
                // Released after the commit (another process that takes
                // one finds the value), before the value leaves the queue
                // (one that flushed finds them released).
                drop(queued.locks);
            }
        }
        queue.count(&state);
    }
    queue.settled.notify_all();
}

impl Store {
    /// Commits one batch of queued values in one transaction, with the
    /// buffered usage, then does what a stored value asks: deletes the
    /// large-value files replaced entries referenced, appends the reads,
    /// checks the size limit. Failures are warned about once.
    fn commit_batch(&self, batch: &[Taken]) {
        if let Err(error) = evict::keep_map_room(self) {
            warn_once("evict", &self.dir().to_string_lossy(), || {
                format!(
                    "funcache: room in the cache database of {} could not be made: {error}",
                    self.dir().display()
                )
            });
        }
        let (touches, counts) = self.journal.take();
        let mut replaced = HashSet::new();
        let written = self.write(|txn, tables| {
            let mut named = HashSet::new();
            for (key, fn_id, bytes, _) in batch {
                if let Some(old) = tables.entries.get(txn, key)? {
                    blob_ref(key, old, &mut replaced);
                }
                tables.entries.put(txn, key, bytes)?;
                if named.insert(&**fn_id) {
                    name_function(txn, tables, &FunctionKey::of(fn_id), fn_id)?;
                }
            }
            add_counts(txn, tables, &counts)
        });
        let after = match written {
            // Warned about once for the directory.
            Err(error) if self.map_trouble(&error).is_some() => Ok(()),
            Err(error) => Err(error),
            // Queued values are inline: no file of theirs is among these.
            Ok(()) => self
                .remove_unreferenced_blobs(&replaced)
                .and_then(|()| self.append_reads(&touches)),
        };
        if let Err(error) = after {
            if error.is_damaged_database() {
                return;
            }
            warn_once("write", &self.dir().to_string_lossy(), || {
                format!(
                    "funcache: results were computed but not stored in {}: {error}",
                    self.dir().display()
                )
            });
            return;
        }
        let stored = batch.len() as u64;
        let before = self
            .puts
            .fetch_add(stored, std::sync::atomic::Ordering::Relaxed);
        if let Some(limit) = crate::config::max_size()
            && before / evict::CHECK_EVERY != (before + stored) / evict::CHECK_EVERY
        {
            self.enforce_limit(limit);
        }
    }
}
