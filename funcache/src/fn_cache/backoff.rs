//! How long a function leaves alone a cache directory that did not open.
//!
//! Opening goes through the process's registry of stores, which resolves
//! the directory's real path (system calls) under a lock. A function whose
//! directory is unusable (unwritable, a file, out of map space) would pay
//! that on every call; instead it remembers the failure and computes
//! without a disk tier until the registry's retry time has passed.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::store::RETRY_AFTER;

/// See the module documentation.
#[derive(Debug)]
pub(super) struct OpenBackoff {
    /// Milliseconds on [`now_ms`]'s clock before which no open is tried;
    /// 0 when none failed.
    until_ms: AtomicU64,
}

impl OpenBackoff {
    pub(super) const fn new() -> OpenBackoff {
        OpenBackoff {
            until_ms: AtomicU64::new(0),
        }
    }

    /// Whether an open failed less than the retry time ago.
    pub(super) fn waiting(&self) -> bool {
        let until = self.until_ms.load(Ordering::Relaxed);
        until != 0 && now_ms() < until
    }

    /// When the backoff ends, on this module's clock (0: no failure).
    #[cfg(test)]
    pub(super) fn until_ms(&self) -> u64 {
        self.until_ms.load(Ordering::Relaxed)
    }

    /// Records a failed open: none is tried again for the retry time.
    pub(super) fn failed(&self) {
        let retry = u64::try_from(RETRY_AFTER.as_millis()).unwrap_or(u64::MAX);
        self.until_ms
            .store(now_ms().saturating_add(retry), Ordering::Relaxed);
    }
}

/// Milliseconds since the first call, plus one (so that 0 means "never").
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed().as_millis();
    u64::try_from(elapsed).unwrap_or(u64::MAX).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_only_after_a_failure() {
        let backoff = OpenBackoff::new();
        assert!(!backoff.waiting());
        backoff.failed();
        assert!(backoff.waiting());
    }
}
