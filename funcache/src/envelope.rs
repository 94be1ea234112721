//! The versioned envelope every stored value travels in.
//!
//! ```text
//! byte 0        FORMAT_VERSION
//! postcard      Header { created_unix_ms, compute_micros, codec, payload: Inline | Blob { hash, len } }
//! then          Inline: the value, encoded by `codec`; Blob: nothing (the bytes are in blobs/<hash>)
//! last 8 bytes  checksum: XXH3-64 of everything before it, seeded with the
//!               XXH3-64 of the entry's database key; little-endian
//! ```
//!
//! The checksum covers the key too: a flipped bit in a stored key could
//! otherwise turn one call's entry into another's (the key of `f(3)` into
//! the key of `f(2)`) and serve its value as the other's.
//!
//! A reader that finds another version byte, a checksum that does not
//! match (a flipped bit on disk, a torn or stray write), bytes that do not
//! decode, or a codec it does not know (see `codec.rs`), treats the entry
//! as a miss: it recomputes and overwrites. It never panics and never
//! returns a wrong value.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Version of everything funcache writes: envelope layout, key encoding and
/// cache-directory layout. Entries written under another version are
/// ignored (recomputed and overwritten).
///
/// 1: sled database in `db/`. 2: the same with a codec byte in the header.
/// 3: LMDB database in `lmdb/`, checksummed envelopes.
pub const FORMAT_VERSION: u8 = 3;

/// Values whose encoding reaches this size are stored as files under
/// `blobs/` instead of inside the database.
pub(crate) const BLOB_THRESHOLD: usize = 1 << 20;

/// What is known about a stored value besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// When the value was computed, in milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// How long the computation took, in microseconds.
    pub compute_micros: u64,
    /// Which codec wrote the value (`codec::Codec` as a byte; kept raw so
    /// that an entry of an unknown codec can still be listed).
    pub codec: u8,
    /// Where the value's bytes are.
    pub payload: Payload,
}

/// Where an envelope's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Payload {
    /// Right after the header.
    Inline,
    /// In the content-addressed file `blobs/<hex hash>`.
    Blob {
        /// blake3 of the file's bytes.
        hash: [u8; 32],
        /// Length of the file in bytes.
        len: u64,
    },
}

/// Milliseconds since the Unix epoch (0 if the clock is set before it):
/// the time stamps funcache writes into a cache directory.
pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Header {
    pub(crate) fn new(compute: Duration, codec: u8, payload: Payload) -> Self {
        Header {
            created_unix_ms: now_unix_ms(),
            compute_micros: compute.as_micros().min(u64::MAX as u128) as u64,
            codec,
            payload,
        }
    }
}

/// Why stored bytes could not be read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EnvelopeError {
    #[error("empty entry")]
    Empty,
    // The version byte comes before anything it could be checked by: a
    // damaged one reads as another version.
    #[error(
        "marked as format version {found} (written by another funcache build, or damaged); \
         this build reads version {FORMAT_VERSION}"
    )]
    Version { found: u8 },
    #[error("corrupt envelope header")]
    Header,
    // Said of a value read from the disk or from the remote: it names
    // neither (the caller says which tier it came from).
    #[error("the stored bytes do not match their checksum (damaged where they were kept)")]
    Checksum,
}

/// Bytes of the checksum at the end of an envelope.
const CHECKSUM_LEN: usize = 8;

/// XXH3-64: it catches damage (a flipped bit, a torn or stray write) with
/// certainty for short bursts and 2^-64 chance of a miss otherwise, at a
/// few nanoseconds per entry: it runs on every disk hit, where blake3
/// cost 95 ns, more than the LMDB read itself. (It is not a defence against
/// someone forging entries: whoever can write the database can write any
/// value anyway.)
fn checksum(key: &[u8], bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    checksum_seeded(KeySeed::of(key), bytes).to_le_bytes()
}

#[inline]
fn checksum_seeded(seed: KeySeed, bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(bytes, seed.0)
}

/// The part of an envelope's checksum that depends on its database key
/// alone: computed by the hit path before it reads, where the processor
/// overlaps it with the read instead of waiting for it after.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySeed(u64);

impl KeySeed {
    #[inline]
    pub(crate) fn of(key: &[u8]) -> KeySeed {
        KeySeed(xxhash_rust::xxh3::xxh3_64(key))
    }
}

/// Starts an envelope: version byte and header. For an inline value, the
/// caller appends the value's encoding; then [`seal`] it.
pub(crate) fn start(header: &Header) -> Vec<u8> {
    // Integers and a unit-or-array enum cannot fail to serialize into a Vec.
    // Were it ever to, the empty result decodes as `Empty`, a miss: safe.
    postcard::to_extend(header, vec![FORMAT_VERSION]).unwrap_or_default()
}

/// Ends an envelope to be stored under `key`: appends the checksum of the
/// key and of everything in the envelope.
pub(crate) fn seal(bytes: &mut Vec<u8>, key: &[u8]) {
    let sum = checksum(key, bytes);
    bytes.extend_from_slice(&sum);
}

/// Checks stored bytes and splits them into header and inline body.
///
/// This runs on every disk hit, so the header is read by hand rather than
/// through serde: postcard's encoding of it is two LEB128 varints, a raw
/// byte, a varint variant index and (for a blob) 32 raw bytes and a varint. The golden-bytes test pins
/// that encoding; `decodes_what_postcard_encodes` checks the two agree.
#[inline]
pub(crate) fn decode<'a>(bytes: &'a [u8], key: &[u8]) -> Result<(Header, &'a [u8]), EnvelopeError> {
    decode_seeded(bytes, KeySeed::of(key))
}

/// [`decode`] with the key's part of the checksum computed beforehand.
#[inline(always)]
pub(crate) fn decode_seeded(bytes: &[u8], seed: KeySeed) -> Result<(Header, &[u8]), EnvelopeError> {
    let (&version, _) = bytes.split_first().ok_or(EnvelopeError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(EnvelopeError::Version { found: version });
    }
    let sealed = bytes
        .len()
        .checked_sub(CHECKSUM_LEN)
        .filter(|&len| len >= 1)
        .ok_or(EnvelopeError::Header)?;
    let (content, sum) = bytes.split_at(sealed);
    if checksum_seeded(seed, content).to_le_bytes() != sum {
        return Err(EnvelopeError::Checksum);
    }
    // The reader may look past the header into the checksum (see
    // `Reader::varint`), never past the content.
    let mut reader = Reader {
        bytes,
        at: 1,
        end: sealed,
    };
    let created_unix_ms = reader.varint()?;
    let compute_micros = reader.varint()?;
    let codec = reader.take(1)?[0];
    let payload = match reader.varint()? {
        0 => Payload::Inline,
        1 => {
            let hash = reader
                .take(32)?
                .try_into()
                .map_err(|_| EnvelopeError::Header)?;
            Payload::Blob {
                hash,
                len: reader.varint()?,
            }
        }
        _ => return Err(EnvelopeError::Header),
    };
    Ok((
        Header {
            created_unix_ms,
            compute_micros,
            codec,
            payload,
        },
        &content[reader.at..],
    ))
}

/// A cursor over the header: `bytes[at..end]` is what is left of the
/// content; `bytes[end..]` is the checksum, which a read may look at but
/// never takes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
}

/// The high bit of every byte of a word: LEB128's "more bytes follow".
const CONTINUATION_BITS: u64 = 0x8080_8080_8080_8080;

impl<'a> Reader<'a> {
    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], EnvelopeError> {
        if self.end - self.at < n {
            return Err(EnvelopeError::Header);
        }
        let taken = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(taken)
    }

    /// An unsigned LEB128 varint of at most 10 bytes (a `u64`).
    ///
    /// This runs on every disk hit (a created time is a 6-byte varint), so
    /// a longer varint of up to 8 bytes is read as one little-endian word: its
    /// length is where the first clear high bit is, and its 7-bit groups
    /// are packed together in three shift-and-mask steps, without a loop.
    /// Eight bytes are always there to read: the checksum follows the
    /// content.
    #[inline(always)]
    fn varint(&mut self) -> Result<u64, EnvelopeError> {
        // Most varints are one byte (a payload kind, a compute time under
        // 128 µs).
        if let Some(&byte) = self.bytes[self.at..self.end].first()
            && byte < 0x80
        {
            self.at += 1;
            return Ok(u64::from(byte));
        }
        if let Some(word) = self.bytes[self.at..].first_chunk::<8>() {
            let word = u64::from_le_bytes(*word);
            let last_bytes = !word & CONTINUATION_BITS;
            if last_bytes != 0 {
                let len = (last_bytes.trailing_zeros() / 8 + 1) as usize;
                if len > self.end - self.at {
                    return Err(EnvelopeError::Header);
                }
                self.at += len;
                let groups = word & (u64::MAX >> (64 - 8 * len)) & !CONTINUATION_BITS;
                return Ok(pack_groups(groups));
            }
        }
        self.varint_bytewise()
    }

    /// [`varint`](Self::varint) a byte at a time: 9- and 10-byte varints.
    #[cold]
    fn varint_bytewise(&mut self) -> Result<u64, EnvelopeError> {
        let mut value = 0u64;
        let rest = &self.bytes[self.at..self.end];
        for (index, &byte) in rest.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                self.at += index + 1;
                return Ok(value);
            }
        }
        Err(EnvelopeError::Header)
    }
}

/// Packs the 7-bit groups held in the low 7 bits of each byte of `word`
/// into one 56-bit number: pairs of bytes, then pairs of pairs, then the
/// two halves.
#[inline(always)]
fn pack_groups(word: u64) -> u64 {
    let word = (word & 0x007f_007f_007f_007f) | ((word & 0x7f00_7f00_7f00_7f00) >> 1);
    let word = (word & 0x0000_3fff_0000_3fff) | ((word & 0x3fff_0000_3fff_0000) >> 2);
    (word & 0x0000_0000_0fff_ffff) | ((word & 0x0fff_ffff_0000_0000) >> 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key the test envelopes are stored under.
    const KEY: &[u8] = b"key";

    fn sealed(mut bytes: Vec<u8>) -> Vec<u8> {
        seal(&mut bytes, KEY);
        bytes
    }

    fn fixed_header(payload: Payload) -> Header {
        Header {
            created_unix_ms: 1_700_000_000_000,
            compute_micros: 1500,
            codec: 1,
            payload,
        }
    }

    #[test]
    fn inline_round_trip() {
        let bytes = start(&fixed_header(Payload::Inline));
        let bytes = sealed(postcard::to_extend(&("value", 7u32), bytes).unwrap());
        let (header, body) = decode(&bytes, KEY).unwrap();
        assert_eq!(header, fixed_header(Payload::Inline));
        assert_eq!(
            postcard::from_bytes::<(String, u32)>(body).unwrap(),
            ("value".into(), 7)
        );
    }

    #[test]
    fn blob_round_trip() {
        let payload = Payload::Blob {
            hash: [7; 32],
            len: 3 << 20,
        };
        let bytes = sealed(start(&fixed_header(payload)));
        let (header, body) = decode(&bytes, KEY).unwrap();
        assert_eq!(header.payload, payload);
        assert!(body.is_empty());
    }

    #[test]
    fn other_versions_are_rejected() {
        let mut bytes = sealed(start(&fixed_header(Payload::Inline)));
        bytes[0] = FORMAT_VERSION + 1;
        assert!(matches!(
            decode(&bytes, KEY),
            Err(EnvelopeError::Version { .. })
        ));
        assert!(matches!(decode(&[], KEY), Err(EnvelopeError::Empty)));
    }

    #[test]
    fn truncated_header_is_an_error_not_a_panic() {
        let bytes = start(&fixed_header(Payload::Blob {
            hash: [1; 32],
            len: 9,
        }));
        for cut in 1..bytes.len() {
            // Sealed after the cut: the checksum matches, the header is short.
            let cut = sealed(bytes[..cut].to_vec());
            assert!(matches!(decode(&cut, KEY), Err(EnvelopeError::Header)));
        }
        let whole = sealed(bytes);
        for cut in 0..whole.len() {
            assert!(decode(&whole[..cut], KEY).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn decodes_what_postcard_encodes() {
        let headers = [
            Header {
                created_unix_ms: 0,
                compute_micros: 0,
                codec: 0,
                payload: Payload::Inline,
            },
            Header {
                created_unix_ms: u64::MAX,
                compute_micros: 1 << 35,
                codec: 255,
                payload: Payload::Inline,
            },
            Header {
                created_unix_ms: 1_763_000_000_123,
                compute_micros: 127,
                codec: 1,
                payload: Payload::Blob {
                    hash: [0xab; 32],
                    len: u64::MAX - 1,
                },
            },
        ];
        for header in headers {
            let mut bytes = start(&header);
            bytes.extend_from_slice(b"body");
            let bytes = sealed(bytes);
            let (decoded, body) = decode(&bytes, KEY).unwrap();
            assert_eq!(decoded, header);
            assert_eq!(body, b"body");
            let via_postcard: (Header, &[u8]) = postcard::take_from_bytes(&bytes[1..]).unwrap();
            assert_eq!(via_postcard.0, decoded);
        }
        // An overlong varint is an error, not a wrap-around.
        assert!(
            decode(
                &sealed(vec![
                    FORMAT_VERSION,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0xff,
                    0x01
                ]),
                KEY
            )
            .is_err()
        );
        assert!(
            decode(&sealed(vec![FORMAT_VERSION, 0, 0, 0, 7]), KEY).is_err(),
            "unknown payload kind"
        );
    }

    /// A flipped bit anywhere in a stored value is a miss, never a wrong
    /// value.
    #[test]
    fn every_flipped_bit_is_detected() {
        let bytes = sealed(
            postcard::to_extend(&(17u32, "seventeen"), start(&fixed_header(Payload::Inline)))
                .unwrap(),
        );
        for index in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[index] ^= 1 << bit;
                assert!(decode(&damaged, KEY).is_err(), "byte {index} bit {bit}");
            }
        }
    }

    proptest::proptest! {
        /// Any bytes at all: an error or a header, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = decode(&bytes, KEY);
            let mut versioned = bytes.clone();
            versioned.insert(0, FORMAT_VERSION);
            let _ = decode(&sealed(versioned), KEY);
        }

        /// Every header postcard writes, with any integers (varints of
        /// every length, from 1 to 10 bytes), reads back as written.
        #[test]
        fn every_header_reads_back(
            created in proptest::num::u64::ANY,
            compute_bits in 0u32..64,
            compute in proptest::num::u64::ANY,
            codec in proptest::num::u8::ANY,
            blob_len in proptest::option::of(proptest::num::u64::ANY),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..12),
        ) {
            let payload = blob_len.map_or(Payload::Inline, |len| Payload::Blob { hash: [3; 32], len });
            let header = Header { created_unix_ms: created, compute_micros: compute >> compute_bits, codec, payload };
            let mut bytes = start(&header);
            bytes.extend_from_slice(&body);
            let bytes = sealed(bytes);
            let (decoded, rest) = decode(&bytes, KEY).unwrap();
            proptest::prop_assert_eq!(decoded, header);
            proptest::prop_assert_eq!(rest, &body[..]);
        }

        /// A valid envelope with bytes overwritten is rejected.
        #[test]
        fn mutated_envelopes_are_rejected(
            created in proptest::num::u64::ANY,
            value in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            at in proptest::num::usize::ANY,
            xor in 1u8..=255,
        ) {
            let header = Header { created_unix_ms: created, compute_micros: 1, codec: 0, payload: Payload::Inline };
            let bytes = sealed(postcard::to_extend(&value, start(&header)).unwrap());
            let (decoded, body) = decode(&bytes, KEY).unwrap();
            proptest::prop_assert_eq!(decoded, header);
            proptest::prop_assert_eq!(postcard::from_bytes::<Vec<u8>>(body).unwrap(), value);
            let mut damaged = bytes.clone();
            damaged[at % bytes.len()] ^= xor;
            proptest::prop_assert!(decode(&damaged, KEY).is_err());
        }
    }

    /// The same envelope under another key (a flipped bit in the stored
    /// key) is rejected.
    #[test]
    fn an_envelope_under_another_key_is_rejected() {
        let bytes =
            sealed(postcard::to_extend(&3u8, start(&fixed_header(Payload::Inline))).unwrap());
        assert!(decode(&bytes, KEY).is_ok());
        assert!(matches!(
            decode(&bytes, b"kez"),
            Err(EnvelopeError::Checksum)
        ));
    }

    #[test]
    fn golden_bytes() {
        // Pins the on-disk envelope. If this fails, the format changed:
        // bump FORMAT_VERSION and update the bytes deliberately.
        let bytes =
            sealed(postcard::to_extend(&"hi", start(&fixed_header(Payload::Inline))).unwrap());
        assert_eq!(
            bytes,
            [
                3, // format version
                128, 208, 149, 255, 188, 49, // created_unix_ms varint (1_700_000_000_000)
                220, 11, // compute_micros varint (1500)
                1,  // codec (MessagePack)
                0,  // Payload::Inline
                2, b'h', b'i', // the value
                98, 158, 193, 14, 231, 168, 128, 115, // checksum (with the key)
            ]
        );
        let seed = xxhash_rust::xxh3::xxh3_64(KEY);
        assert_eq!(
            bytes[14..],
            xxhash_rust::xxh3::xxh3_64_with_seed(&bytes[..14], seed).to_le_bytes()
        );
    }
}
