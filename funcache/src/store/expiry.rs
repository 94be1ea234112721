//! Collecting expired entries. A value older than its function's `ttl`
//! is a miss when read (see [`MaxAge`]); this removes such values so they
//! stop taking space, whether or not anyone reads them again.
//!
//! The store does not otherwise know a function's `ttl` (it is in the
//! program's code), so each program records the ones it declares in the
//! `ttls` table, and whoever collects (a program when it opens the
//! directory, an eviction, `funcache-cli purge`) reads them there.

use std::collections::HashSet;
use std::time::Duration;

use super::{FunctionKey, MaxAge, Store};
use crate::envelope::{self, Payload};
use crate::error::Error;

impl Store {
    /// Records `function`'s `ttl` (`None`: it has none), if the table
    /// says otherwise.
    pub(crate) fn record_ttl(
        &self,
        function: &FunctionKey,
        ttl: Option<Duration>,
    ) -> Result<(), Error> {
        let ttl_ms = ttl.map(|ttl| ttl.as_millis().min(u128::from(u64::MAX)) as u64);
        let stored = self.read(|txn, tables| {
            let Some(ttls) = tables.ttls else {
                return Ok(None);
            };
            Ok(ttls.get(txn, function.as_bytes())?.and_then(decode_ms))
        })?;
        if stored == ttl_ms || self.read_only {
            return Ok(());
        }
        self.write(|txn, tables| {
            let Some(ttls) = tables.ttls else {
                return Ok(());
            };
            match ttl_ms {
                Some(ms) => ttls.put(txn, function.as_bytes(), &ms.to_le_bytes()),
                None => ttls.delete(txn, function.as_bytes()).map(drop),
            }
        })
    }

    /// Removes the entries of every function with a recorded `ttl` that
    /// are expired at `now_unix_ms` (the caller's clock, so tests can move
    /// it), and the large-value files only they used. Returns how many
    /// entries were removed.
    ///
    /// The entries are found in a read transaction and removed in a write
    /// transaction that checks each again: a value another process stored
    /// meanwhile under the same key is fresh and stays.
    pub(crate) fn collect_expired(&self, now_unix_ms: u64) -> Result<u64, Error> {
        if self.read_only {
            return Ok(0);
        }
        self.settle();
        let candidates = self.read(|txn, tables| {
            let Some(ttls) = tables.ttls else {
                return Ok(Vec::new());
            };
            let mut candidates = Vec::new();
            for item in ttls.iter(txn)? {
                let (function, ttl) = item?;
                let Some(ttl_ms) = decode_ms(ttl) else {
                    continue;
                };
                let max_age = MaxAge::new(Duration::from_millis(ttl_ms), now_unix_ms);
                for entry in tables.entries.prefix_iter(txn, function)? {
                    let (key, value) = entry?;
                    if expired(key, value, max_age).is_some() {
                        candidates.push((key.to_vec(), max_age));
                    }
                }
            }
            Ok(candidates)
        })?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let mut blobs = HashSet::new();
        let removed = self.write(|txn, tables| {
            let mut removed = 0;
            for (key, max_age) in &candidates {
                let Some(value) = tables.entries.get(txn, key)? else {
                    continue;
                };
                if let Some(blob) = expired(key, value, *max_age) {
                    blobs.extend(blob);
                    tables.entries.delete(txn, key)?;
                    removed += 1;
                }
            }
            Ok(removed)
        })?;
        self.remove_unreferenced_blobs(&blobs)?;
        Ok(removed)
    }
}

/// `Some(the large-value file it references, if any)` when the entry
/// stored under `key` is expired by `max_age`. Entries that do not decode
/// are left to the reads that find them (and overwrite them).
fn expired(key: &[u8], value: &[u8], max_age: MaxAge) -> Option<Option<[u8; 32]>> {
    if value.len() > super::MAX_ENTRY_BYTES {
        return None;
    }
    let (header, _) = envelope::decode(value, key).ok()?;
    if !max_age.expired(header.created_unix_ms) {
        return None;
    }
    Some(match header.payload {
        Payload::Blob { hash, .. } => Some(hash),
        Payload::Inline => None,
    })
}

fn decode_ms(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}
