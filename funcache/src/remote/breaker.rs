//! The circuit breaker: after [`TRIPS_AFTER`] failures in a row the remote
//! is left alone for [`OPEN_FOR`]; then one call probes it, and its outcome
//! closes the breaker or opens it again. A dead or hanging server so costs
//! a few timeouts per 30 s, not one per call.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Consecutive failures that open the breaker.
pub(crate) const TRIPS_AFTER: u32 = 3;
/// How long an open breaker keeps calls away from the remote.
pub(crate) const OPEN_FOR: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In use; counts failures in a row.
    Closed { failures: u32 },
    /// Not in use until then.
    Open { until: Instant },
    /// One call is probing; the others stay away meanwhile.
    Probing,
}

/// What a breaker tells a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permit {
    /// Use the remote.
    Go,
    /// Use the remote: the breaker was open and this call is its probe.
    Probe,
    /// Leave it alone.
    Refused,
}

/// What a call's outcome did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    None,
    /// It just opened.
    Opened,
    /// A probe succeeded: it closed again.
    Recovered,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    state: Mutex<State>,
}

impl Breaker {
    pub(crate) fn new() -> Breaker {
        Breaker {
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a call at `now` may use the remote.
    pub(crate) fn permit(&self, now: Instant) -> Permit {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Permit::Go,
            State::Open { until } if now >= until => {
                *state = State::Probing;
                Permit::Probe
            }
            State::Open { .. } | State::Probing => Permit::Refused,
        }
    }

    /// The remote answered.
    pub(crate) fn success(&self) -> Change {
        let mut state = self.lock();
        let change = match *state {
            State::Probing | State::Open { .. } => Change::Recovered,
            State::Closed { .. } => Change::None,
        };
        *state = State::Closed { failures: 0 };
        change
    }

    /// The remote failed (unreachable, timed out, dropped the connection)
    /// at `now`.
    pub(crate) fn failure(&self, now: Instant) -> Change {
        let mut state = self.lock();
        match *state {
            State::Closed { failures } if failures + 1 < TRIPS_AFTER => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                Change::None
            }
            State::Closed { .. } | State::Probing => {
                *state = State::Open {
                    until: now + OPEN_FOR,
                };
                Change::Opened
            }
            // A call that started before the breaker opened.
            State::Open { .. } => Change::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_three_failures_in_a_row_and_probes_after_thirty_seconds() {
        let breaker = Breaker::new();
        let t0 = Instant::now();
        assert_eq!(breaker.failure(t0), Change::None);
        assert_eq!(breaker.success(), Change::None, "the run is broken");
        assert_eq!(breaker.failure(t0), Change::None);
        assert_eq!(breaker.failure(t0), Change::None);
        assert_eq!(breaker.permit(t0), Permit::Go);
        assert_eq!(breaker.failure(t0), Change::Opened);
        assert_eq!(breaker.permit(t0 + OPEN_FOR / 2), Permit::Refused);
        // After 30 s exactly one call probes.
        assert_eq!(breaker.permit(t0 + OPEN_FOR), Permit::Probe);
        assert_eq!(breaker.permit(t0 + OPEN_FOR), Permit::Refused);
        // A failed probe opens it for another 30 s.
        let t1 = t0 + OPEN_FOR;
        assert_eq!(breaker.failure(t1), Change::Opened);
        assert_eq!(breaker.permit(t1 + OPEN_FOR / 2), Permit::Refused);
        assert_eq!(breaker.permit(t1 + OPEN_FOR), Permit::Probe);
        // A good probe closes it.
        assert_eq!(breaker.success(), Change::Recovered);
        assert_eq!(breaker.permit(t1 + OPEN_FOR), Permit::Go);
        assert_eq!(breaker.failure(t1), Change::None, "counting starts over");
    }
}
