//! How a returned value becomes stored bytes, and back.
//!
//! A value is stored only if its bytes decode to a value serde sees as
//! equal to it: the canonical encodings of the two ([`canonical_digest`],
//! which orders map entries) must match. Two codecs are tried in order:
//!
//! * [`Codec::Postcard`] — compact and fast; what most types use;
//! * [`Codec::MessagePack`] — self-describing, with struct fields by name:
//!   for types whose serde impls need to see what comes next, which
//!   postcard cannot tell them (`#[serde(tag = "..")]`, `untagged`,
//!   `flatten`, `skip_serializing_if`, `serde_json::Value`).
//!
//! Chosen over CBOR (`ciborium`) and JSON after measuring round-trips of
//! those types and of `f64` (NaN, infinities, -0.0, subnormals), `u128`,
//! `i128` and byte strings: MessagePack and CBOR both carried all of them
//! (JSON loses NaN and non-string map keys), and `rmp-serde` encoded and
//! decoded 2–4× faster than `ciborium`.
//!
//! The decoded value is what every tier serves, the call that computed it
//! included, so no caller can tell which tier answered (a
//! `#[serde(skip)]` field has its default value in every one). The codec
//! that wrote an entry is recorded in its envelope; an unknown codec is a
//! miss, never a misread.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::key::{KeyError, canonical_digest};

/// The codec of a stored value, as recorded in its envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Codec {
    /// postcard 1.x.
    Postcard = 0,
    /// MessagePack through `rmp-serde`, structs as maps.
    MessagePack = 1,
}

impl Codec {
    /// The codec recorded as `byte`, if this build knows it.
    pub(crate) fn from_byte(byte: u8) -> Option<Codec> {
        match byte {
            0 => Some(Codec::Postcard),
            1 => Some(Codec::MessagePack),
            _ => None,
        }
    }

    /// The name `funcache-cli inspect` shows.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Codec::Postcard => "postcard",
            Codec::MessagePack => "messagepack",
        }
    }

    fn encode<R: Serialize + ?Sized>(self, value: &R) -> Result<Vec<u8>, String> {
        match self {
            Codec::Postcard => postcard::to_allocvec(value).map_err(|e| e.to_string()),
            Codec::MessagePack => rmp_serde::to_vec_named(value).map_err(|e| e.to_string()),
        }
    }

    fn decode<R: DeserializeOwned>(self, bytes: &[u8]) -> Result<R, DecodeError> {
        match self {
            Codec::Postcard => {
                let (value, rest) = postcard::take_from_bytes::<R>(bytes)
                    .map_err(|e| DecodeError(e.to_string()))?;
                if rest.is_empty() {
                    Ok(value)
                } else {
                    // Bytes left over were written by another type: what
                    // decoded from the rest cannot be trusted.
                    Err(DecodeError(format!("{} trailing bytes", rest.len())))
                }
            }
            Codec::MessagePack => {
                let mut reader = bytes;
                let value = R::deserialize(&mut rmp_serde::Deserializer::new(&mut reader))
                    .map_err(|e| DecodeError(e.to_string()))?;
                if reader.is_empty() {
                    Ok(value)
                } else {
                    Err(DecodeError(format!("{} trailing bytes", reader.len())))
                }
            }
        }
    }
}

/// A value ready to store: its bytes, how they are encoded, and the value
/// they decode to (what every tier serves).
pub(crate) struct Encoded<R> {
    pub codec: Codec,
    pub bytes: Vec<u8>,
    pub value: R,
}

/// Why a value is not stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EncodeError {
    #[error("the value cannot be compared canonically: {0}")]
    Canonical(KeyError),
    #[error("the value does not come back equal from postcard or MessagePack ({0})")]
    RoundTrip(String),
}

/// Why stored bytes did not decode.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct DecodeError(String);

/// Encodes `value` with the first codec whose bytes decode back to an
/// equal value.
pub(crate) fn encode<R: Serialize + DeserializeOwned>(
    value: &R,
) -> Result<Encoded<R>, EncodeError> {
    let expected = canonical_digest(value).map_err(EncodeError::Canonical)?;
    let equal = |decoded: &R| canonical_digest(decoded).map(|digest| digest == expected);
    let mut failures = Vec::new();
    for codec in [Codec::Postcard, Codec::MessagePack] {
        let attempt = codec.encode(value).and_then(|bytes| {
            let decoded = codec.decode::<R>(&bytes).map_err(|e| e.0)?;
            match equal(&decoded) {
                Ok(true) => Ok(Encoded {
                    codec,
                    bytes,
                    value: decoded,
                }),
                Ok(false) => Err("decodes to another value".to_owned()),
                Err(error) => Err(error.to_string()),
            }
        });
        match attempt {
            Ok(encoded) => return Ok(encoded),
            Err(why) => failures.push(format!("{}: {why}", codec.name())),
        }
    }
    Err(EncodeError::RoundTrip(failures.join("; ")))
}

/// Decodes bytes written by the codec recorded as `codec`.
pub(crate) fn decode<R: DeserializeOwned>(codec: u8, bytes: &[u8]) -> Result<R, DecodeError> {
    Codec::from_byte(codec)
        .ok_or_else(|| DecodeError(format!("unknown codec {codec}")))?
        .decode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::{HashMap, HashSet};

    fn round_trip<R: Serialize + DeserializeOwned>(value: &R) -> (Codec, R) {
        let encoded = encode(value).unwrap();
        let decoded = decode::<R>(encoded.codec as u8, &encoded.bytes).unwrap();
        (encoded.codec, decoded)
    }

    #[test]
    fn plain_types_use_postcard() {
        let value = (1u8, "x".to_owned(), vec![0.1f64, f64::NAN, -0.0], u128::MAX);
        let (codec, decoded) = round_trip(&value);
        assert_eq!(codec, Codec::Postcard);
        assert_eq!(format!("{decoded:?}"), format!("{value:?}"));
    }

    #[test]
    fn a_hash_map_is_stored_with_postcard_though_it_comes_back_reordered() {
        let map: HashMap<String, u32> = (0..50).map(|i| (format!("k{i}"), i)).collect();
        let (codec, decoded) = round_trip(&map);
        assert_eq!(codec, Codec::Postcard);
        assert_eq!(decoded, map);
    }

    #[test]
    fn a_hash_set_is_stored_though_it_comes_back_reordered() {
        let set: HashSet<String> = (0..50).map(|i| format!("k{i}")).collect();
        let nested: Vec<HashSet<u32>> = vec![(0..40).collect(), (5..30).collect()];
        assert_eq!(round_trip(&set), (Codec::Postcard, set));
        assert_eq!(round_trip(&nested), (Codec::Postcard, nested));
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "kind")]
    enum Tagged {
        A { x: u32 },
        B { y: String },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(untagged)]
    enum Untagged {
        N(i64),
        S(String),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sparse {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<u8>,
        rest: Option<Vec<u8>>,
    }

    #[test]
    fn self_describing_types_use_messagepack() {
        let tagged = vec![Tagged::A { x: 1 }, Tagged::B { y: "b".into() }];
        assert_eq!(round_trip(&tagged), (Codec::MessagePack, tagged));
        let untagged = vec![Untagged::N(-1), Untagged::S("s".into())];
        assert_eq!(round_trip(&untagged), (Codec::MessagePack, untagged));
    }

    /// Regression: postcard decodes these bytes of `{a: None, rest:
    /// Some([0])}` as `{a: Some(1), rest: None}`, which re-encodes to the
    /// very same bytes — a byte comparison would have stored a wrong value.
    #[test]
    fn a_misread_that_re_encodes_identically_is_caught() {
        let value = Sparse {
            a: None,
            rest: Some(vec![0]),
        };
        let bytes = postcard::to_allocvec(&value).unwrap();
        let misread: Sparse = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(postcard::to_allocvec(&misread).unwrap(), bytes);
        assert_ne!(misread, value);
        assert_eq!(round_trip(&value), (Codec::MessagePack, value));
    }

    #[test]
    fn a_skipped_field_comes_back_as_its_default() {
        #[derive(Debug, Serialize, Deserialize)]
        struct Model {
            w: u32,
            #[serde(skip)]
            trained: bool,
        }
        let encoded = encode(&Model {
            w: 1,
            trained: true,
        })
        .unwrap();
        assert!(
            !encoded.value.trained,
            "the served value is the decoded one"
        );
    }

    #[test]
    fn values_that_never_come_back_equal_are_refused() {
        /// Serializes as a number, deserializes as another.
        #[derive(Debug)]
        struct Drifting(u32);
        impl Serialize for Drifting {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u32(self.0)
            }
        }
        impl<'de> Deserialize<'de> for Drifting {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                u32::deserialize(d).map(|n| Drifting(n + 1))
            }
        }
        assert!(matches!(
            encode(&Drifting(1)),
            Err(EncodeError::RoundTrip(_))
        ));
    }

    #[test]
    fn unknown_codecs_and_trailing_bytes_are_errors() {
        assert!(decode::<u8>(7, &[1]).is_err());
        assert!(decode::<u8>(Codec::Postcard as u8, &[1, 2]).is_err());
        let bytes = rmp_serde::to_vec_named(&(1u8, 2u8)).unwrap();
        assert!(decode::<u8>(Codec::MessagePack as u8, &bytes).is_err());
    }
}
