//! How a returned value becomes stored bytes, and back.
//!
//! A value is stored only if its bytes decode to a value equal to it: the
//! canonical encodings of the two ([`canonical_digest`], which orders map
//! entries) must match, and so must the two values by `PartialEq` where the
//! type implements it ([`Equality`]). The encoding alone cannot tell apart
//! what serializes alike: the variants of an untagged enum that hold the
//! same data, or a `#[serde(skip)]` field. Two codecs are tried in order:
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

    /// Inlined for postcard, the codec of almost every value: the decoded
    /// value then stays in registers on its way to the caller.
    #[inline]
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
                    Err(trailing(rest.len()))
                }
            }
            Codec::MessagePack => decode_messagepack(bytes),
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

/// How a decoded value is compared with the computed one besides their
/// canonical encodings: by the type's `PartialEq`, where it has one (the
/// generated code finds out on the concrete type), or not at all.
pub struct Equality<V>(Option<fn(&V, &V) -> bool>);

impl<V> Equality<V> {
    /// By the canonical encoding alone: for types without `PartialEq`.
    pub fn serde_only() -> Self {
        Equality(None)
    }

    /// By `PartialEq` too.
    pub fn partial_eq() -> Self
    where
        V: PartialEq,
    {
        Equality(Some(|computed, decoded| computed == decoded))
    }

    /// The comparison that applies to `value`: none for a value unequal
    /// to itself (a NaN inside), which `PartialEq` would refuse whatever
    /// it decoded to.
    fn for_value(self, value: &V) -> Option<fn(&V, &V) -> bool> {
        self.0.filter(|equal| equal(value, value))
    }
}

impl<V> Clone for Equality<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Equality<V> {}

/// [`encode_checked`] by the canonical encoding alone.
#[cfg(test)]
pub(crate) fn encode<R: Serialize + DeserializeOwned>(
    value: &R,
) -> Result<Encoded<R>, EncodeError> {
    encode_checked(value, Equality::serde_only())
}

/// Encodes `value` with the first codec whose bytes decode back to an
/// equal value: the same canonical encoding and, where `equality` has a
/// `PartialEq`, equal by it.
pub(crate) fn encode_checked<R: Serialize + DeserializeOwned>(
    value: &R,
    equality: Equality<R>,
) -> Result<Encoded<R>, EncodeError> {
    let expected = canonical_digest(value).map_err(EncodeError::Canonical)?;
    let partial_eq = equality.for_value(value);
    let check = |decoded: &R| match canonical_digest(decoded) {
        Err(error) => Err(error.to_string()),
        Ok(digest) if digest != expected => Err("decodes to another value".to_owned()),
        Ok(_) if partial_eq.is_some_and(|equal| !equal(value, decoded)) => {
            Err("decodes to a value its `PartialEq` calls unequal".to_owned())
        }
        Ok(_) => Ok(()),
    };
    let mut failures = Vec::new();
    for codec in [Codec::Postcard, Codec::MessagePack] {
        let attempt = codec.encode(value).and_then(|bytes| {
            let decoded = codec.decode::<R>(&bytes).map_err(|e| e.0)?;
            check(&decoded).map(|()| Encoded {
                codec,
                bytes,
                value: decoded,
            })
        });
        match attempt {
            Ok(encoded) => return Ok(encoded),
            Err(why) => failures.push(format!("{}: {why}", codec.name())),
        }
    }
    Err(EncodeError::RoundTrip(failures.join("; ")))
}

#[cold]
fn trailing(bytes: usize) -> DecodeError {
    DecodeError(format!("{bytes} trailing bytes"))
}

#[inline(never)]
fn decode_messagepack<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, DecodeError> {
    let mut reader = bytes;
    let value = R::deserialize(&mut rmp_serde::Deserializer::new(&mut reader))
        .map_err(|e| DecodeError(e.to_string()))?;
    if reader.is_empty() {
        Ok(value)
    } else {
        Err(trailing(reader.len()))
    }
}

/// Decodes bytes written by the codec recorded as `codec`.
#[inline]
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

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(untagged)]
    enum Length {
        Meters(u32),
        Feet(u32),
    }

    /// Regression: `Feet(3)` encodes as `3`, which reads back as
    /// `Meters(3)` — the same canonical encoding, so the encoding alone
    /// stored another value.
    #[test]
    fn partial_eq_refuses_what_the_encoding_cannot_tell_apart() {
        let feet = Length::Feet(3);
        let by_encoding = encode(&feet).unwrap();
        assert_eq!(by_encoding.value, Length::Meters(3), "the limit without it");
        let refused = encode_checked(&feet, Equality::partial_eq());
        assert!(
            matches!(&refused, Err(EncodeError::RoundTrip(why)) if why.contains("PartialEq")),
            "{:?}",
            refused.map(|e| e.value)
        );
        let meters = encode_checked(&Length::Meters(3), Equality::partial_eq()).unwrap();
        assert_eq!(meters.value, Length::Meters(3));
    }

    /// A NaN makes a value unequal to itself: `PartialEq` would refuse it
    /// whatever it decoded to, so the encoding alone decides.
    #[test]
    fn a_value_unequal_to_itself_is_checked_by_its_encoding() {
        let value = (vec![1.0, f64::NAN], Length::Meters(2));
        let encoded = encode_checked(&value, Equality::partial_eq()).unwrap();
        assert!(encoded.value.0[1].is_nan());
        assert_eq!(encoded.value.1, Length::Meters(2));
    }

    /// What the manual states of 128-bit integers: stored, except inside
    /// an internally tagged or untagged enum or a `flatten`ed field, which
    /// serde buffers in a `Content` that has no 128-bit integers.
    #[test]
    fn u128_is_stored_except_where_serde_buffers_content() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Inner {
            big: u128,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Flat {
            #[serde(flatten)]
            inner: Inner,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Beside {
            big: u128,
            #[serde(flatten)]
            rest: Small,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Small {
            n: u8,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        enum Tagged {
            Big { big: i128 },
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(untagged)]
        enum Untagged {
            Big(u128),
        }
        assert!(encode(&Inner { big: u128::MAX }).is_ok());
        assert!(encode(&i128::MIN).is_ok());
        let flat = Flat {
            inner: Inner { big: 1 },
        };
        assert!(matches!(encode(&flat), Err(EncodeError::RoundTrip(_))));
        let beside = Beside {
            big: u128::MAX,
            rest: Small { n: 1 },
        };
        assert!(encode(&beside).is_ok(), "not inside the flattened field");
        let tagged = Tagged::Big { big: -1 };
        assert!(matches!(encode(&tagged), Err(EncodeError::RoundTrip(_))));
        let untagged = Untagged::Big(1);
        assert!(matches!(encode(&untagged), Err(EncodeError::RoundTrip(_))));
    }

    /// What the manual states of `skip_serializing_if` without
    /// `#[serde(default)]`: a skipped `Option` reads back as `None` (serde
    /// fills a missing `Option`), so the value is stored; any other field
    /// is missing when read back, so the value is not.
    #[test]
    fn skip_serializing_if_without_default_is_stored_for_option_only() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct WithOption {
            #[serde(skip_serializing_if = "Option::is_none")]
            note: Option<String>,
        }
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct WithVec {
            #[serde(skip_serializing_if = "Vec::is_empty")]
            tags: Vec<String>,
        }
        let none = WithOption { note: None };
        assert_eq!(round_trip(&none), (Codec::MessagePack, none));
        let empty = WithVec { tags: vec![] };
        assert!(matches!(encode(&empty), Err(EncodeError::RoundTrip(_))));
        let full = WithVec {
            tags: vec!["x".into()],
        };
        assert!(encode(&full).is_ok(), "stored while the field is written");
    }

    #[test]
    fn unknown_codecs_and_trailing_bytes_are_errors() {
        assert!(decode::<u8>(7, &[1]).is_err());
        assert!(decode::<u8>(Codec::Postcard as u8, &[1, 2]).is_err());
        let bytes = rmp_serde::to_vec_named(&(1u8, 2u8)).unwrap();
        assert!(decode::<u8>(Codec::MessagePack as u8, &bytes).is_err());
    }
}
