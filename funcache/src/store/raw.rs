//! A bare LMDB table, for the benchmark's floor: what one read transaction
//! and one `get` cost with funcache's environment settings, so the
//! benchmark compares the disk tier with LMDB itself. Not for anything
//! else: it writes into the `entries` table of a cache directory of its
//! own, opened through the registry like any other.

use std::path::Path;
use std::sync::Arc;

use super::{OpenMode, Store};
use crate::error::Error;

/// See the module documentation.
#[doc(hidden)]
pub struct RawTable {
    store: Arc<Store>,
}

impl RawTable {
    /// Opens (creating) the cache directory `dir`.
    pub fn create(dir: &Path) -> Result<RawTable, Error> {
        Ok(RawTable {
            store: super::open_shared(dir, OpenMode::Create)?,
        })
    }

    /// Stores `pairs` in one transaction.
    pub fn put_all<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<(), Error> {
        self.store.write(|txn, tables| {
            for (key, value) in pairs {
                tables.entries.put(txn, key, value)?;
            }
            Ok(())
        })
    }

    /// One read transaction and one `get`: the value's length, if stored.
    #[inline]
    pub fn get_len(&self, key: &[u8]) -> Option<usize> {
        let txn = self.store.env.read_txn().ok()?;
        let len = self.store.tables.entries.get(&txn, key).ok()??.len();
        Some(len)
    }

    /// One read transaction, one `get` and an owned copy of the value: the
    /// floor for a caller that needs the value as its own (one allocation
    /// and one free, like a hit returning a `String`).
    #[inline]
    pub fn get_owned(&self, key: &[u8]) -> Option<Box<[u8]>> {
        let txn = self.store.env.read_txn().ok()?;
        let value = self.store.tables.entries.get(&txn, key).ok()??;
        Some(value.into())
    }
}
