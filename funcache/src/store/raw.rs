//! A bare LMDB table, for the benchmark's floor: what one read transaction
//! and one `get` cost in LMDB at its cheapest (its default thread-bound
//! reader slots, the same map size and flags as a cache directory), so the
//! benchmark compares the disk tier with LMDB itself. Not for anything
//! else: it is one table in a directory of its own, not a cache directory.

use std::path::Path;

use heed::{RoTxn, WithTls};

use super::lmdb::{self, Access, Table};
use crate::error::Error;

/// See the module documentation.
#[doc(hidden)]
pub struct RawTable {
    env: heed::Env<WithTls>,
    table: Table,
}

/// A read transaction of a [`RawTable`] held open: the floor of a `get`
/// alone.
#[doc(hidden)]
pub struct RawReader<'a> {
    txn: RoTxn<'a, WithTls>,
    table: Table,
}

fn error(dir: &Path, source: heed::Error) -> Error {
    Error::Store {
        path: dir.to_path_buf(),
        source: Box::new(source),
    }
}

impl RawTable {
    /// Opens (creating) the table in `dir`.
    pub fn create(dir: &Path) -> Result<RawTable, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let open = || {
            let env = lmdb::open_env_thread_bound(dir, Access::Write { sync_each: false })?;
            let mut txn = env.write_txn()?;
            let table = env.create_database(&mut txn, Some("entries"))?;
            txn.commit()?;
            Ok(RawTable { env, table })
        };
        open().map_err(|source| error(dir, source))
    }

    /// Stores `pairs` in one transaction.
    pub fn put_all<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<(), Error> {
        let write = || {
            let mut txn = self.env.write_txn()?;
            for (key, value) in pairs {
                self.table.put(&mut txn, key, value)?;
            }
            txn.commit()
        };
        write().map_err(|source| error(self.env.path(), source))
    }

    /// One read transaction and one `get`: the value's length, if stored.
    #[inline]
    pub fn get_len(&self, key: &[u8]) -> Option<usize> {
        let txn = self.env.read_txn().ok()?;
        let len = self.table.get(&txn, key).ok()??.len();
        Some(len)
    }

    /// One read transaction, one `get` and an owned copy of the value: the
    /// floor for a caller that needs the value as its own (one allocation
    /// and one free, like a hit returning a `String`).
    #[inline]
    pub fn get_owned(&self, key: &[u8]) -> Option<Box<[u8]>> {
        let txn = self.env.read_txn().ok()?;
        let value = self.table.get(&txn, key).ok()??;
        Some(value.into())
    }

    /// A read transaction to `get` from without beginning one each time.
    pub fn reader(&self) -> Option<RawReader<'_>> {
        Some(RawReader {
            txn: self.env.read_txn().ok()?,
            table: self.table,
        })
    }
}

impl RawReader<'_> {
    /// One `get` in the open transaction: the value's length, if stored.
    #[inline]
    pub fn get_len(&self, key: &[u8]) -> Option<usize> {
        Some(self.table.get(&self.txn, key).ok()??.len())
    }
}
