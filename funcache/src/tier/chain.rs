//! The protocol over the tiers behind memory: read them in order (the
//! first hit fills the tiers in front of it), write to all of them, lease
//! a computation in each. Failures are warned about once and read as
//! misses: a tier never fails a call.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{Lease, Tier, TierError, Value};
use crate::codec;
use crate::stats::{Counters, TierName};
use crate::store::MaxAge;
use crate::warn::warn_once;

/// Tiers a chain holds at most: local, remote.
const MAX_TIERS: usize = 2;

/// Which look at the tiers a lookup is, for the counters (and the
/// last-used samples) of each tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// A call's first look: hits and misses are counted.
    First,
    /// A second look of a call whose misses are counted: hits only.
    Again,
    /// `f_peek`: nothing is counted, sampled or reordered.
    Peek,
}

/// One function's tiers behind memory, in lookup order, with what a call
/// reports to: its counters and its id (for warnings).
pub(crate) struct Chain<'a> {
    tiers: [Option<&'a dyn Tier>; MAX_TIERS],
    counters: &'a Counters,
    fn_id: &'static str,
    /// Whether values may be written (`FUNCACHE_READONLY` unset): a hit in
    /// a later tier fills the ones in front only then.
    writable: bool,
}

impl<'a> Chain<'a> {
    /// A chain of `tiers` (absent ones skipped), in lookup order.
    #[inline]
    pub(crate) fn new(
        tiers: [Option<&'a dyn Tier>; MAX_TIERS],
        counters: &'a Counters,
        fn_id: &'static str,
        writable: bool,
    ) -> Chain<'a> {
        Chain {
            tiers,
            counters,
            fn_id,
            writable,
        }
    }

    #[inline]
    pub(super) fn tiers(&self) -> impl Iterator<Item = &'a dyn Tier> + '_ {
        self.tiers.iter().flatten().copied()
    }

    /// The first tier's value of `key`, decoded; the tiers in front of the
    /// one that had it are filled with it (unless peeking).
    #[inline]
    pub(crate) fn read<R: DeserializeOwned>(
        &self,
        key: &[u8],
        look: Look,
        max_age: Option<MaxAge>,
    ) -> Option<R> {
        for (index, tier) in self.tiers().enumerate() {
            let mut found = None;
            let mut open = |value: &Value<'_>| {
                found = Some(codec::decode::<R>(value.codec, value.bytes)?);
                if look != Look::Peek && self.writable {
                    self.tiers()
                        .take(index)
                        .for_each(|front| self.put(front, key, value));
                }
                Ok(())
            };
            let result = match look {
                Look::Peek => tier.peek(key, max_age, &mut open),
                Look::First | Look::Again => tier.get(key, max_age, &mut open),
            };
            match result {
                Ok(true) if found.is_some() => {
                    if look != Look::Peek {
                        self.counters.tier_hit(tier.name());
                    }
                    return found;
                }
                Ok(_) => {}
                Err(error) => self.warn_read(tier.name(), &error),
            }
            if look == Look::First {
                self.counters.tier_miss(tier.name());
            }
        }
        None
    }

    /// Stores `value` under `key` in every tier.
    pub(crate) fn write(&self, key: &[u8], value: &Value<'_>) {
        for tier in self.tiers() {
            self.put(tier, key, value);
        }
    }

    /// The lease on computing `key` of every tier that gives one; each
    /// waits at most `wait`.
    pub(crate) fn lease(&self, key: &[u8], wait: Duration) -> Vec<Lease> {
        self.tiers()
            .filter_map(|tier| tier.lease(key, wait))
            .collect()
    }

    fn put(&self, tier: &dyn Tier, key: &[u8], value: &Value<'_>) {
        if let Err(error) = tier.put(key, value) {
            if matches!(&error, TierError::Failed(error) if error.is_damaged_database()) {
                return;
            }
            let id = self.fn_id;
            let name = tier.name();
            warn_once("write", &scope(name, id), || {
                format!("funcache: result of {id} not stored in the {name} tier: {error}")
            });
        }
    }

    fn warn_read(&self, name: TierName, error: &TierError) {
        let id = self.fn_id;
        match error {
            // The store warned, once.
            TierError::Failed(error) if error.is_damaged_database() => {}
            TierError::Failed(error) => warn_once("read", &scope(name, id), || {
                format!("funcache: reading the {name} tier of {id} failed: {error}")
            }),
            // Damage where the values are kept, met by every function
            // whose values it hit: one warning per tier.
            TierError::Unreadable(error) if fails_its_checksum(error.as_ref()) => {
                warn_once("checksum", &name.to_string(), || {
                    format!(
                        "funcache: stored values in the {name} tier do not match their checksum \
                         (damaged where they were kept; first seen for {id}); each is recomputed \
                         and overwritten"
                    )
                })
            }
            TierError::Unreadable(error) => warn_once("decode", &scope(name, id), || {
                format!(
                    "funcache: a stored value of {id} in the {name} tier could not be read \
                     back ({error}); recomputing and overwriting it"
                )
            }),
        }
    }
}

/// Whether a value could not be read back because its bytes fail their
/// checksum (rather than being of another format or type).
fn fails_its_checksum(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |error| error.source()).any(|error| {
        matches!(
            error.downcast_ref::<crate::envelope::EnvelopeError>(),
            Some(crate::envelope::EnvelopeError::Checksum)
        )
    })
}

/// What a warning is about: one tier of one function.
fn scope(tier: TierName, fn_id: &str) -> String {
    format!("{tier} {fn_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tier::fake::FakeTier;

    fn stored(tier: &FakeTier, key: &[u8], value: u64) {
        let bytes = postcard::to_allocvec(&value).unwrap();
        let value = Value {
            codec: crate::codec::Codec::Postcard as u8,
            created_unix_ms: 5,
            compute_micros: 6,
            bytes: &bytes,
        };
        tier.put(key, &value).unwrap();
        tier.log.lock().unwrap().clear();
    }

    fn chain<'a>(local: &'a FakeTier, remote: &'a FakeTier, counters: &'a Counters) -> Chain<'a> {
        Chain::new([Some(local), Some(remote)], counters, "t::chain", true)
    }

    #[test]
    fn a_hit_in_a_later_tier_fills_the_ones_in_front() {
        let (local, remote) = (
            FakeTier::new(TierName::Disk),
            FakeTier::new(TierName::Remote),
        );
        let counters = Counters::new();
        stored(&remote, b"k", 42);
        let chain = chain(&local, &remote, &counters);
        assert_eq!(chain.read::<u64>(b"k", Look::First, None), Some(42));
        assert_eq!(
            local.values.lock().unwrap()[&b"k"[..]].1,
            5,
            "created time kept"
        );
        assert_eq!(*local.log.lock().unwrap(), ["get", "put"]);
        assert_eq!(chain.read::<u64>(b"k", Look::First, None), Some(42));
        assert_eq!(remote.log.lock().unwrap().len(), 1, "now served locally");
        let info = counters.snapshot(Default::default());
        assert_eq!((info.disk.hits, info.disk.misses), (1, 1));
    }

    #[test]
    fn peeking_fills_and_counts_nothing() {
        let (local, remote) = (
            FakeTier::new(TierName::Disk),
            FakeTier::new(TierName::Remote),
        );
        let counters = Counters::new();
        stored(&remote, b"k", 1);
        let chain = chain(&local, &remote, &counters);
        assert_eq!(chain.read::<u64>(b"k", Look::Peek, None), Some(1));
        assert!(local.values.lock().unwrap().is_empty());
        assert_eq!(*remote.log.lock().unwrap(), ["peek"]);
        assert_eq!(counters.snapshot(Default::default()).disk.misses, 0);
    }

    #[test]
    fn a_failing_or_unreadable_tier_is_a_miss_and_the_next_one_answers() {
        let mut local = FakeTier::new(TierName::Disk);
        local.fail = true;
        let remote = FakeTier::new(TierName::Remote);
        let counters = Counters::new();
        stored(&remote, b"k", 3);
        let chain = chain(&local, &remote, &counters);
        assert_eq!(chain.read::<u64>(b"k", Look::First, None), Some(3));
        assert_eq!(counters.snapshot(Default::default()).disk.misses, 1);
        // A value that does not decode as the asked type is no hit anywhere.
        assert_eq!(chain.read::<String>(b"k", Look::Again, None), None);
        chain.write(
            b"w",
            &Value {
                codec: 0,
                created_unix_ms: 1,
                compute_micros: 1,
                bytes: b"x",
            },
        );
        assert!(remote.values.lock().unwrap().contains_key(&b"w"[..]));
        assert_eq!(chain.lease(b"w", Duration::ZERO).len(), 2);
    }
}
