//! The 32-byte digest type shared by item hashes and fingerprints.

use std::fmt;
use std::str::FromStr;

/// A blake3 digest of canonical source tokens (an item hash) or of a whole
/// dependency closure (a fingerprint).
///
/// Displayed and parsed as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first `n` hex digits, for compact display.
    pub fn short(&self, n: usize) -> String {
        let mut hex = self.to_string();
        hex.truncate(n.min(64));
        hex
    }
}

impl From<blake3::Hash> for Digest {
    fn from(hash: blake3::Hash) -> Self {
        Digest(*hash.as_bytes())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.short(16))
    }
}

/// Error parsing a [`Digest`] from hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected 64 hex digits, found {0:?}")]
pub struct ParseDigestError(String);

impl FromStr for Digest {
    type Err = ParseDigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hash = blake3::Hash::from_hex(s).map_err(|_| ParseDigestError(s.to_owned()))?;
        Ok(hash.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let digest = Digest::from(blake3::hash(b"funcache"));
        let hex = digest.to_string();
        assert_eq!(hex.len(), 64);
        assert_eq!(hex.parse::<Digest>().unwrap(), digest);
        assert_eq!(digest.short(8), hex[..8]);
    }

    #[test]
    fn rejects_malformed_hex() {
        assert!("xyz".parse::<Digest>().is_err());
        assert!("ab".repeat(31).parse::<Digest>().is_err());
    }
}
