//! The local tier: one function's entries in the LMDB store of its cache
//! directory, shared with every process that uses the directory.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::{Lease, Open, Tier, TierError, Value};
use crate::config::Switches;
use crate::envelope::Payload;
use crate::stats::TierName;
use crate::store::Busy;
use crate::store::{
    self, FingerprintRecord, FunctionKey, LoadError, MaxAge, OpenMode, Store, UsageCounts,
};
use crate::warn::warn_once;

/// The store of the cache directory `dir`, opened (and created, unless
/// `FUNCACHE_READONLY` is set) on first use; `None` when it cannot be
/// (warned about once by the registry) or, read only, does not exist.
pub(crate) fn open_store(dir: &Path) -> Option<Arc<Store>> {
    let readonly = Switches::get().readonly;
    if readonly && !dir.exists() {
        // Nothing to serve and nothing may be written: not a failure.
        return None;
    }
    let mode = if readonly {
        OpenMode::ReadOnly
    } else {
        OpenMode::Create
    };
    store::open_shared(dir, mode).ok()
}

/// What the disk tier needs to know about its function beyond the id:
/// implemented by the function's handle, which owns the counters and the
/// compile-time facts. (`RefUnwindSafe`: a function's handle stays
/// usable across `catch_unwind`.)
pub(crate) trait FunctionFacts: Sync + std::panic::RefUnwindSafe {
    /// Hits and misses since the process started (or the last clear).
    fn usage_totals(&self) -> UsageCounts;
    /// The fingerprint entries are stored under, and what it covers.
    fn fingerprint_record(&self) -> ([u8; 32], FingerprintRecord);
    /// How long a stored value is served (`ttl`), if limited.
    fn ttl(&self) -> Option<Duration> {
        None
    }
}

/// One function's entries in an open store.
pub(crate) struct DiskTier {
    pub(crate) store: Arc<Store>,
    function: FunctionKey,
    pub(super) fn_id: &'static str,
    pub(super) facts: &'static dyn FunctionFacts,
    /// Whether the fingerprint's record was written (once per process).
    fingerprint_recorded: AtomicBool,
    /// Whether this tier is in the registry [`crate::flush`] goes through.
    pub(super) registered: AtomicBool,
    /// Hits and misses already handed to the store's journal.
    pub(super) journaled: [AtomicU64; 2],
}

impl DiskTier {
    pub(crate) fn new(
        store: Arc<Store>,
        fn_id: &'static str,
        facts: &'static dyn FunctionFacts,
    ) -> DiskTier {
        DiskTier {
            store,
            function: FunctionKey::of(fn_id),
            fn_id,
            facts,
            fingerprint_recorded: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            journaled: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    #[inline]
    fn found(
        &self,
        key: &[u8],
        max_age: Option<MaxAge>,
        open: &mut Open<'_>,
    ) -> Result<bool, TierError> {
        let found = self
            .store
            .load_with(&self.function, key, max_age, |header, body| {
                open(&Value::of(header, body))
            });
        match found {
            Ok(found) => Ok(found.is_some()),
            Err(LoadError::Store(error)) => Err(TierError::Failed(error)),
            Err(error) => Err(TierError::Unreadable(Box::new(error))),
        }
    }

    /// Writes the record of the fingerprint, and the function's `ttl`, the
    /// first time a value is stored: so the CLI can explain misses, and
    /// whoever collects expired entries knows the ttl (one warning if that
    /// fails).
    fn record_fingerprint(&self) {
        if self.fingerprint_recorded.swap(true, Ordering::Relaxed) {
            return;
        }
        let (fingerprint, record) = self.facts.fingerprint_record();
        let recorded = self
            .store
            .record_fingerprint(&fingerprint, &record)
            .and_then(|()| self.store.record_ttl(&self.function, self.facts.ttl()));
        // A damaged store warned about itself, once.
        if let Err(error) = recorded
            && !error.is_damaged_database()
        {
            warn_once("record", self.fn_id, || {
                format!(
                    "funcache: dependency list and ttl of {} not recorded: {error}",
                    self.fn_id
                )
            });
        }
    }
}

impl Tier for DiskTier {
    fn name(&self) -> TierName {
        TierName::Disk
    }

    #[inline]
    fn get(
        &self,
        key: &[u8],
        max_age: Option<MaxAge>,
        open: &mut Open<'_>,
    ) -> Result<bool, TierError> {
        let hit = self.found(key, max_age, open)?;
        if hit {
            self.note_read(key);
        }
        Ok(hit)
    }

    fn peek(
        &self,
        key: &[u8],
        max_age: Option<MaxAge>,
        open: &mut Open<'_>,
    ) -> Result<bool, TierError> {
        self.found(key, max_age, open)
    }

    fn put(&self, key: &[u8], value: &Value<'_>) -> Result<(), TierError> {
        // The store writes the buffered usage in the value's transaction.
        self.hand_over_counts();
        let header = value.header(Payload::Inline);
        self.store
            .put_value(self.fn_id, key, header, value.bytes)
            .map_err(TierError::Failed)?;
        self.record_fingerprint();
        Ok(())
    }

    fn lease(&self, key: &[u8], wait: Duration) -> Option<Lease> {
        self.store
            .lock_entry(&self.function, key, wait)
            .map(Lease::new)
    }

    fn try_lease(&self, key: &[u8]) -> Result<Option<Lease>, Busy> {
        self.store
            .try_lock_entry(&self.function, key, Duration::ZERO)
            .map(|lock| lock.map(Lease::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_shared;

    struct Facts;
    impl FunctionFacts for Facts {
        fn usage_totals(&self) -> UsageCounts {
            UsageCounts { hits: 2, misses: 1 }
        }
        fn fingerprint_record(&self) -> ([u8; 32], FingerprintRecord) {
            let record = FingerprintRecord {
                fn_id: "t::disk".into(),
                dependencies: vec![],
                externals: vec![],
                unresolved: vec![],
                recorded_unix_ms: 1,
            };
            ([4; 32], record)
        }
    }

    fn value(bytes: &[u8]) -> Value<'_> {
        Value {
            codec: 0,
            created_unix_ms: 1_700_000_000_000,
            compute_micros: 12,
            bytes,
        }
    }

    fn read(tier: &DiskTier, key: &[u8], peek: bool) -> Result<Option<(u64, Vec<u8>)>, TierError> {
        let mut found = None;
        let mut open = |value: &Value<'_>| {
            found = Some((value.created_unix_ms, value.bytes.to_vec()));
            Ok(())
        };
        let hit = if peek {
            tier.peek(key, None, &mut open)?
        } else {
            tier.get(key, None, &mut open)?
        };
        assert_eq!(hit, found.is_some());
        Ok(found)
    }

    #[test]
    fn stores_and_serves_values_with_their_times_and_records_the_fingerprint() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_shared(temp.path(), OpenMode::Create).unwrap();
        let tier = DiskTier::new(Arc::clone(&store), "t::disk", &Facts);
        let key = [7u8; 40];
        assert!(read(&tier, &key, false).unwrap().is_none());
        tier.put(&key, &value(b"abc")).unwrap();
        let expected = Some((1_700_000_000_000, b"abc".to_vec()));
        assert_eq!(read(&tier, &key, false).unwrap(), expected);
        assert_eq!(read(&tier, &key, true).unwrap(), expected);
        let large = vec![9u8; crate::envelope::BLOB_THRESHOLD];
        tier.put(&key, &value(&large)).unwrap();
        assert_eq!(read(&tier, &key, true).unwrap().unwrap().1, large);
        let records = store.fingerprint_records().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].0, [4; 32]);
        assert_eq!(
            store.usage_counts().unwrap()["t::disk"],
            Facts.usage_totals()
        );
    }

    #[test]
    fn a_directory_that_cannot_be_made_has_no_store() {
        let temp = tempfile::tempdir().unwrap();
        assert!(open_store(&temp.path().join("cache")).is_some());
        let file = temp.path().join("a-file");
        std::fs::write(&file, "not a directory").unwrap();
        assert!(open_store(&file.join("cache")).is_none());
    }

    #[test]
    fn a_value_of_another_type_is_unreadable_and_a_lease_is_exclusive() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_shared(temp.path(), OpenMode::Create).unwrap();
        let tier = DiskTier::new(store, "t::disk2", &Facts);
        let key = [8u8; 40];
        tier.put(&key, &value(b"abc")).unwrap();
        let refused = tier.get(&key, None, &mut |_: &Value<'_>| {
            Err(crate::codec::decode::<u64>(99, b"").unwrap_err())
        });
        assert!(
            matches!(refused, Err(TierError::Unreadable(_))),
            "{refused:?}"
        );
        let free = || crate::store::test_support::entry_lock_free(&tier.store, "t::disk2", &key);
        let held = tier.lease(&key, Duration::ZERO);
        assert!(held.is_some());
        assert!(!free(), "held against other processes");
        drop(held);
        assert!(free());
        assert!(tier.lease(&key, Duration::ZERO).is_some());
    }
}
