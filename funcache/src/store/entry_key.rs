//! The database key of one entry: the function's fingerprint, then the
//! argument key; in the `entries` table it follows the function's key.
//! Built on the stack: it is made on every disk lookup.

use crate::key::{ArgsKey, INLINE};

const MAX: usize = 32 + 1 + INLINE;

/// Bytes of a [`FunctionKey`].
const FUNCTION_KEY_LEN: usize = 16;

/// LMDB's default limit on key size; every key funcache writes is shorter.
const LMDB_MAX_KEY: usize = 511;
const _: () = assert!(FUNCTION_KEY_LEN + MAX <= LMDB_MAX_KEY);

/// A function's id, hashed to a fixed length: the prefix of its entries in
/// the `entries` table and its key in the `functions` and `stats` tables.
/// (A function id can be any length; LMDB keys cannot.) The `functions`
/// table maps it back to the id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct FunctionKey([u8; FUNCTION_KEY_LEN]);

impl FunctionKey {
    pub(crate) fn of(fn_id: &str) -> FunctionKey {
        let hash = blake3::hash(fn_id.as_bytes());
        let mut key = [0; FUNCTION_KEY_LEN];
        key.copy_from_slice(&hash.as_bytes()[..FUNCTION_KEY_LEN]);
        FunctionKey(key)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `entries` table key of one of this function's entries.
    #[inline]
    pub(crate) fn entry(&self, entry_key: &[u8]) -> TableKey {
        let mut key = TableKey::EMPTY;
        self.entry_into(entry_key, &mut key);
        key
    }

    /// [`entry`](Self::entry), written into `key`. On the hit path: a key
    /// built where it is used is not moved afterwards, and moving it right
    /// after the variable-length copy stalls the CPU (a load that spans
    /// several smaller stores cannot be forwarded from them).
    #[inline(always)]
    pub(crate) fn entry_into(&self, entry_key: &[u8], key: &mut TableKey) {
        let end = FUNCTION_KEY_LEN + entry_key.len();
        key.bytes[..FUNCTION_KEY_LEN].copy_from_slice(&self.0);
        key.bytes[FUNCTION_KEY_LEN..end].copy_from_slice(entry_key);
        key.len = end as u8;
    }

    /// The function key an `entries` table key starts with.
    pub(crate) fn from_prefix(table_key: &[u8]) -> Option<FunctionKey> {
        Some(FunctionKey(
            table_key.get(..FUNCTION_KEY_LEN)?.try_into().ok()?,
        ))
    }

    /// The entry key part of an `entries` table key.
    pub(crate) fn strip(table_key: &[u8]) -> Option<&[u8]> {
        table_key.get(FUNCTION_KEY_LEN..)
    }
}

/// `function key ‖ entry key`, at most 113 bytes, on the stack.
pub(crate) struct TableKey {
    len: u8,
    bytes: [u8; FUNCTION_KEY_LEN + MAX],
}

impl TableKey {
    /// No bytes yet.
    pub(crate) const EMPTY: TableKey = TableKey {
        len: 0,
        bytes: [0; FUNCTION_KEY_LEN + MAX],
    };
}

impl std::ops::Deref for TableKey {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// `fingerprint ‖ args key`, at most 97 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EntryKey {
    len: u8,
    bytes: [u8; MAX],
}

impl EntryKey {
    pub(crate) fn new(fingerprint: &[u8; 32], args: &ArgsKey) -> EntryKey {
        let args = args.as_bytes();
        let mut bytes = [0; MAX];
        bytes[..32].copy_from_slice(fingerprint);
        bytes[32..32 + args.len()].copy_from_slice(args);
        EntryKey {
            len: (32 + args.len()) as u8,
            bytes,
        }
    }

    /// An owned copy of a database key (at most [`MAX`] bytes).
    pub(crate) fn copy_of(bytes: &[u8]) -> EntryKey {
        let mut key = EntryKey {
            len: bytes.len() as u8,
            bytes: [0; MAX],
        };
        key.bytes[..bytes.len()].copy_from_slice(bytes);
        key
    }

    /// Splits stored key bytes back into fingerprint and argument key.
    pub(crate) fn parse(bytes: &[u8]) -> Option<([u8; 32], ArgsKey)> {
        if bytes.len() <= 32 {
            return None;
        }
        let (fingerprint, args) = bytes.split_at(32);
        Some((fingerprint.try_into().ok()?, ArgsKey::from_bytes(args)?))
    }
}

impl AsRef<[u8]> for EntryKey {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl std::ops::Deref for EntryKey {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let mut builder = crate::key::KeyBuilder::new();
        builder.arg("some argument");
        let args = builder.finish().unwrap();
        let key = EntryKey::new(&[3; 32], &args);
        assert_eq!(EntryKey::parse(&key), Some(([3; 32], args)));
        assert_eq!(EntryKey::parse(&[3; 32]), None);
        let function = FunctionKey::of("app::f");
        let table_key = function.entry(&key);
        assert!(table_key.starts_with(function.as_bytes()));
        assert_eq!(FunctionKey::strip(&table_key), Some(&key[..]));
    }
}
