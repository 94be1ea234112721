//! Waiting for another process's lease from async code, without blocking
//! the executor's thread and without depending on any runtime.
//!
//! Taking a lease that another process holds means waiting for an OS lock
//! (or a remote lease) to be released: a blocking wait, and funcache knows
//! no runtime whose `spawn_blocking` or timer it could use. So the wait
//! runs on a thread of its own, started only when the lease is held
//! elsewhere (rare: another process computes the same arguments at this
//! moment), and the call awaits that thread's answer through an
//! `event_listener` event, which works under any executor.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use event_listener::Event;

use super::{Chain, Lease, Tier};

/// The answer of a waiting thread.
struct Answer {
    lease: Mutex<Option<Option<Lease>>>,
    ready: Event,
}

impl Chain<'static> {
    /// The lease on computing `key` of every tier that gives one, as
    /// [`lease`](Chain::lease) takes them, for an async call: a lease held
    /// elsewhere is waited for (at most `wait`) on a thread of its own
    /// while the call awaits.
    pub(crate) async fn lease_async(&self, key: &[u8], wait: Duration) -> Vec<Lease> {
        let mut leases = Vec::new();
        for tier in self.tiers() {
            let lease = match tier.try_lease(key) {
                Ok(lease) => lease,
                Err(_busy) => wait_off_thread(tier, key, wait).await,
            };
            leases.extend(lease);
        }
        leases
    }
}

/// `tier.lease(key, wait)` on a new thread, awaited. `None` (compute
/// without a lease) if no thread can be started.
async fn wait_off_thread(tier: &'static dyn Tier, key: &[u8], wait: Duration) -> Option<Lease> {
    let answer = Arc::new(Answer {
        lease: Mutex::new(None),
        ready: Event::new(),
    });
    let mut listener = answer.ready.listen();
    let key = key.to_vec();
    let sent = Arc::clone(&answer);
    let spawned = std::thread::Builder::new()
        .name("funcache-lease".into())
        .spawn(move || {
            let lease = tier.lease(&key, wait);
            *sent.lease.lock().unwrap_or_else(PoisonError::into_inner) = Some(lease);
            sent.ready.notify(usize::MAX);
        });
    if spawned.is_err() {
        return None;
    }
    loop {
        if let Some(lease) = answer
            .lease
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            return lease;
        }
        // The listener existed before the thread started: its
        // notification cannot be missed.
        listener.await;
        listener = answer.ready.listen();
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::stats::{Counters, TierName};
    use crate::store::Busy;

    /// A tier whose lease another "process" holds until `released`.
    struct HeldElsewhere {
        released: AtomicBool,
    }

    impl Tier for HeldElsewhere {
        fn name(&self) -> TierName {
            TierName::Disk
        }
        fn get(
            &self,
            _: &[u8],
            _: Option<crate::store::MaxAge>,
            _: &mut super::super::Open<'_>,
        ) -> Result<bool, super::super::TierError> {
            Ok(false)
        }
        // `peek` is the trait's default: `get`, which records nothing here.
        fn put(
            &self,
            _: &[u8],
            _: &super::super::Value<'_>,
        ) -> Result<(), super::super::TierError> {
            Ok(())
        }
        fn lease(&self, _: &[u8], wait: Duration) -> Option<Lease> {
            let deadline = std::time::Instant::now() + wait;
            while !self.released.load(Ordering::SeqCst) {
                if std::time::Instant::now() >= deadline {
                    return None;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Some(Lease::new(()))
        }
        fn try_lease(&self, _: &[u8]) -> Result<Option<Lease>, Busy> {
            if self.released.load(Ordering::SeqCst) {
                Ok(Some(Lease::new(())))
            } else {
                Err(Busy)
            }
        }
    }

    /// An async call whose lease is held elsewhere is pending, with its
    /// thread free (each poll returns at once), until the holder lets go;
    /// then it has the lease.
    #[test]
    fn a_lease_held_elsewhere_is_awaited_without_blocking_the_poller() {
        let tier: &'static HeldElsewhere = Box::leak(Box::new(HeldElsewhere {
            released: AtomicBool::new(false),
        }));
        let counters: &'static Counters = Box::leak(Box::new(Counters::new()));
        let chain = Chain::new([Some(tier), None], counters, "t::lease", true);
        let mut future = pin!(chain.lease_async(b"k", Duration::from_secs(600)));
        let mut context = Context::from_waker(Waker::noop());
        for _ in 0..20 {
            assert!(future.as_mut().poll(&mut context).is_pending());
            std::thread::sleep(Duration::from_millis(1));
        }
        tier.released.store(true, Ordering::SeqCst);
        let leases = loop {
            if let Poll::Ready(leases) = future.as_mut().poll(&mut context) {
                break leases;
            }
            std::thread::yield_now();
        };
        assert_eq!(leases.len(), 1, "the lease, once released");
    }
}
