//! "At most once per period", shared by the threads of a process: for
//! work a hot or frequent path triggers but need not repeat (clearing dead
//! readers after commits, starting a new window of recorded reads).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct OncePer {
    period_ms: u64,
    /// When it was last due, in milliseconds since the Unix epoch.
    last_ms: AtomicU64,
}

impl OncePer {
    pub(crate) const fn new(period: Duration) -> OncePer {
        OncePer {
            period_ms: period.as_millis() as u64,
            last_ms: AtomicU64::new(0),
        }
    }

    /// Whether the period has passed since it was last due; if so, one
    /// caller (of those asking at once) gets `true` and starts the next.
    pub(crate) fn due(&self) -> bool {
        let now = crate::envelope::now_unix_ms();
        let last = self.last_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= self.period_ms
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_once_per_period() {
        let once = OncePer::new(Duration::from_secs(3600));
        assert!(once.due(), "due at first");
        assert!(!once.due(), "not again within the period");
        let always = OncePer::new(Duration::ZERO);
        assert!(always.due() && always.due());
    }
}
