//! One computation per key within a process: of the calls that missed
//! every tier, the first leads (looks again, then computes); calls with the
//! same key that miss meanwhile wait for it and then read what it stored.
//! Hits never come here.
//!
//! The leader's [`Leading`] guard releases the waiters when it is dropped:
//! after the value is stored, and equally when the body panics or an async
//! call is cancelled. A released waiter looks up the tiers again and, if
//! the leader left nothing (it panicked, or the value is not storable),
//! computes the value itself — never waiting a second time, so values
//! that are never stored are computed concurrently, not one after another.
//!
//! Blocking waiters wait at most [`WAIT_LIMIT`] (two threads leading
//! calls that wait for each other would otherwise wait forever); a thread
//! that calls itself with the same key does not wait for itself. Async
//! waiters await the leader without blocking their thread.
//!
//! Across processes this is the place for a per-key lock: the leader would
//! take it around its second look and its computation (see `Call::run`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use event_listener::{Event, EventListener, Listener};

use crate::key::ArgsKey;

/// How long a blocked thread waits for another's computation of the same
/// key before computing it itself.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// The keys of one function being computed now.
#[derive(Debug)]
pub(crate) struct Flights {
    running: Mutex<BTreeMap<ArgsKey, Arc<Flight>>>,
}

#[derive(Debug)]
struct Flight {
    finished: Event,
    leader: ThreadId,
}

/// What a call that missed the memory tier does next.
pub(crate) enum Turn<'a> {
    /// Look up the disk and compute; release the waiters when dropped.
    Lead(Leading<'a>),
    /// Wait for the leader, then look up again.
    Wait(Waiting),
    /// Compute without waiting: this thread already leads this key.
    Reentered,
}

/// Held by the call computing a key.
pub(crate) struct Leading<'a> {
    flights: &'a Flights,
    key: ArgsKey,
    flight: Arc<Flight>,
}

/// Held by a call waiting for the leader of its key.
pub(crate) struct Waiting {
    listener: EventListener,
}

impl Flights {
    pub(crate) const fn new() -> Self {
        Flights {
            running: Mutex::new(BTreeMap::new()),
        }
    }

    /// Joins the computation of `key`: leads it if none is running.
    /// `blocking`: the caller would block its thread to wait, so waiting
    /// for a computation its own thread leads is re-entry, not waiting.
    pub(crate) fn enter(&self, key: &[u8], blocking: bool) -> Turn<'_> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(flight) = running.get(key) {
            if blocking && flight.leader == std::thread::current().id() {
                return Turn::Reentered;
            }
            // Listening under the lock the leader takes to leave: its
            // notification cannot come before this listener exists.
            return Turn::Wait(Waiting {
                listener: flight.finished.listen(),
            });
        }
        let key = ArgsKey::copy_of(key);
        let flight = Arc::new(Flight {
            finished: Event::new(),
            leader: std::thread::current().id(),
        });
        running.insert(key, Arc::clone(&flight));
        Turn::Lead(Leading {
            flights: self,
            key,
            flight,
        })
    }
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.flights
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
        self.flight.finished.notify(usize::MAX);
    }
}

impl Waiting {
    /// Blocks until the leader is done or `limit` has passed; whether the
    /// leader is done.
    pub(crate) fn wait(self, limit: Duration) -> bool {
        self.listener.wait_timeout(limit).is_some()
    }

    /// Waits, without blocking the thread, until the leader is done.
    pub(crate) async fn finished(self) {
        self.listener.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Enters `key` from a second thread, which must be told to wait.
    fn wait_on_another_thread(flights: &Flights, key: &[u8]) -> Waiting {
        std::thread::scope(|scope| {
            scope
                .spawn(|| match flights.enter(key, true) {
                    Turn::Wait(waiting) => waiting,
                    _ => panic!("another thread waits"),
                })
                .join()
                .unwrap()
        })
    }

    #[test]
    fn the_first_leads_others_wait_and_are_released_on_drop() {
        let flights = Flights::new();
        let Turn::Lead(leading) = flights.enter(b"k", true) else {
            panic!("nobody runs k yet");
        };
        assert!(
            matches!(flights.enter(b"k", true), Turn::Reentered),
            "same thread"
        );
        let waiting = wait_on_another_thread(&flights, b"k");
        assert!(matches!(flights.enter(b"other", true), Turn::Lead(_)));
        drop(leading);
        assert!(
            waiting.wait(Duration::from_secs(60)),
            "released by the drop"
        );
        assert!(
            matches!(flights.enter(b"k", true), Turn::Lead(_)),
            "k is free again"
        );
    }

    #[test]
    fn a_wait_ends_at_its_limit() {
        let flights = Flights::new();
        let _leading = flights.enter(b"k", true);
        let waiting = wait_on_another_thread(&flights, b"k");
        assert!(!waiting.wait(Duration::from_millis(1)));
    }
}
