//! The database key of one entry: the function's fingerprint, then the
//! argument key. Built on the stack: it is made on every disk lookup.

use crate::key::{ArgsKey, INLINE};

const MAX: usize = 32 + 1 + INLINE;

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
    }
}
