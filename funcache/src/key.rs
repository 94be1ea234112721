//! Argument keys: a blake3 digest of a call's arguments, identical in every
//! process, on every machine.
//!
//! Arguments are fed through [`KeyWriter`], a serde `Serializer` that writes
//! a tagged, self-delimiting encoding straight into the hasher — there is no
//! intermediate `Vec` of the whole encoding. Two things make it canonical:
//!
//! * every value starts with a tag and every string is length-prefixed, so
//!   distinct argument lists can never encode to the same bytes;
//! * map entries are hashed individually and fed in sorted order, so a
//!   `HashMap` argument hashes the same whatever its (randomised) iteration
//!   order.

use std::fmt;

use serde::Serialize;
use serde::ser;

/// Digest of one call's arguments (and, for generic functions, the concrete
/// type names).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArgsKey(pub(crate) [u8; 32]);

impl ArgsKey {
    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ArgsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArgsKey(")?;
        for byte in &self.0[..8] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "…)")
    }
}

/// Why an argument could not be turned into a key. The call still runs; it
/// just bypasses the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argument could not be serialized for the cache key: {0}")]
pub struct KeyError(String);

impl ser::Error for KeyError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        KeyError(msg.to_string())
    }
}

/// Tags of the key encoding. Changing any of them changes every key, so they
/// are part of the on-disk format ([`crate::envelope::FORMAT_VERSION`] covers
/// them too).
mod tag {
    pub const ARG: u8 = 0x01;
    pub const TYPE_NAME: u8 = 0x02;
    pub const BOOL: u8 = 0x10;
    pub const I8: u8 = 0x11;
    pub const I16: u8 = 0x12;
    pub const I32: u8 = 0x13;
    pub const I64: u8 = 0x14;
    pub const I128: u8 = 0x15;
    pub const U8: u8 = 0x16;
    pub const U16: u8 = 0x17;
    pub const U32: u8 = 0x18;
    pub const U64: u8 = 0x19;
    pub const U128: u8 = 0x1a;
    pub const F32: u8 = 0x1b;
    pub const F64: u8 = 0x1c;
    pub const CHAR: u8 = 0x1d;
    pub const STR: u8 = 0x1e;
    pub const BYTES: u8 = 0x1f;
    pub const NONE: u8 = 0x20;
    pub const SOME: u8 = 0x21;
    pub const UNIT: u8 = 0x22;
    pub const UNIT_STRUCT: u8 = 0x23;
    pub const UNIT_VARIANT: u8 = 0x24;
    pub const NEWTYPE_STRUCT: u8 = 0x25;
    pub const NEWTYPE_VARIANT: u8 = 0x26;
    pub const SEQ: u8 = 0x27;
    pub const TUPLE: u8 = 0x28;
    pub const TUPLE_STRUCT: u8 = 0x29;
    pub const TUPLE_VARIANT: u8 = 0x2a;
    pub const MAP: u8 = 0x2b;
    pub const STRUCT: u8 = 0x2c;
    pub const STRUCT_VARIANT: u8 = 0x2d;
    pub const ELEMENT: u8 = 0x30;
    pub const FIELD: u8 = 0x31;
    pub const END: u8 = 0x3f;
}

/// A blake3 hasher with a small buffer in front: serde emits many tiny
/// writes (a tag byte, a `u32`), and blake3's `update` has a fixed cost per
/// call that would otherwise dominate small keys.
struct BufferedHasher {
    hasher: blake3::Hasher,
    buf: [u8; 256],
    len: usize,
}

impl BufferedHasher {
    fn new() -> Self {
        BufferedHasher {
            hasher: blake3::Hasher::new(),
            buf: [0; 256],
            len: 0,
        }
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn finish(mut self) -> [u8; 32] {
        self.hasher.update(&self.buf[..self.len]);
        self.len = 0;
        *self.hasher.finalize().as_bytes()
    }
}

/// Builds an [`ArgsKey`] from a call's arguments. Generated code calls
/// [`arg`](Self::arg) once per keyed argument, in order.
pub struct KeyBuilder {
    writer: KeyWriter,
    error: Option<KeyError>,
}

impl Default for KeyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyBuilder {
    /// An empty key.
    pub fn new() -> Self {
        KeyBuilder {
            writer: KeyWriter::new(),
            error: None,
        }
    }

    /// Adds one argument. A serialization failure is remembered and reported
    /// by [`finish`](Self::finish).
    #[inline]
    pub fn arg<T: crate::__private::KeyArg + ?Sized>(&mut self, value: &T) {
        if self.error.is_some() {
            return;
        }
        self.writer.sink.write(&[tag::ARG]);
        if let Err(error) = value.serialize(&mut self.writer) {
            self.error = Some(error);
        }
    }

    /// Adds a type name, so that `f::<u32>(1)` and `f::<u64>(1)` differ.
    pub fn type_name(&mut self, name: &str) {
        self.writer.sink.write(&[tag::TYPE_NAME]);
        self.writer.write_str(name);
    }

    /// The finished key, or the first serialization error.
    pub fn finish(self) -> Result<ArgsKey, KeyError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(ArgsKey(self.writer.sink.finish())),
        }
    }
}

/// The canonical key encoding, as a serde `Serializer` over a hasher.
pub(crate) struct KeyWriter {
    sink: BufferedHasher,
}

impl KeyWriter {
    fn new() -> Self {
        KeyWriter {
            sink: BufferedHasher::new(),
        }
    }

    #[inline]
    fn tagged(&mut self, tag: u8, bytes: &[u8]) {
        self.sink.write(&[tag]);
        self.sink.write(bytes);
    }

    #[inline]
    fn write_len(&mut self, len: usize) {
        self.sink.write(&(len as u64).to_le_bytes());
    }

    #[inline]
    fn write_str(&mut self, text: &str) {
        self.write_len(text.len());
        self.sink.write(text.as_bytes());
    }

    /// Digest of one value on its own (a map key or a map value).
    fn digest_of<T: Serialize + ?Sized>(value: &T) -> Result<[u8; 32], KeyError> {
        let mut writer = KeyWriter::new();
        value.serialize(&mut writer)?;
        Ok(writer.sink.finish())
    }
}

impl<'a> ser::Serializer for &'a mut KeyWriter {
    type Ok = ();
    type Error = KeyError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = MapEntries<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), KeyError> {
        self.tagged(tag::BOOL, &[v as u8]);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), KeyError> {
        self.tagged(tag::I8, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), KeyError> {
        self.tagged(tag::I16, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), KeyError> {
        self.tagged(tag::I32, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), KeyError> {
        self.tagged(tag::I64, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), KeyError> {
        self.tagged(tag::I128, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), KeyError> {
        self.tagged(tag::U8, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), KeyError> {
        self.tagged(tag::U16, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), KeyError> {
        self.tagged(tag::U32, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), KeyError> {
        self.tagged(tag::U64, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), KeyError> {
        self.tagged(tag::U128, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), KeyError> {
        self.tagged(tag::F32, &v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), KeyError> {
        self.tagged(tag::F64, &v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), KeyError> {
        self.tagged(tag::CHAR, &(v as u32).to_le_bytes());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), KeyError> {
        self.sink.write(&[tag::STR]);
        self.write_str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), KeyError> {
        self.sink.write(&[tag::BYTES]);
        self.write_len(v.len());
        self.sink.write(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), KeyError> {
        self.sink.write(&[tag::NONE]);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), KeyError> {
        self.sink.write(&[tag::SOME]);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), KeyError> {
        self.sink.write(&[tag::UNIT]);
        Ok(())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), KeyError> {
        self.sink.write(&[tag::UNIT_STRUCT]);
        self.write_str(name);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), KeyError> {
        self.sink.write(&[tag::UNIT_VARIANT]);
        self.write_variant(name, index, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.sink.write(&[tag::NEWTYPE_STRUCT]);
        self.write_str(name);
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.sink.write(&[tag::NEWTYPE_VARIANT]);
        self.write_variant(name, index, variant);
        value.serialize(self)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, KeyError> {
        self.sink.write(&[tag::SEQ]);
        Ok(Compound { writer: self })
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, KeyError> {
        self.sink.write(&[tag::TUPLE]);
        Ok(Compound { writer: self })
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyError> {
        self.sink.write(&[tag::TUPLE_STRUCT]);
        self.write_str(name);
        Ok(Compound { writer: self })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyError> {
        self.sink.write(&[tag::TUPLE_VARIANT]);
        self.write_variant(name, index, variant);
        Ok(Compound { writer: self })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapEntries<'a>, KeyError> {
        Ok(MapEntries {
            writer: self,
            entries: Vec::with_capacity(len.unwrap_or(0)),
            pending_key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>, KeyError> {
        self.sink.write(&[tag::STRUCT]);
        self.write_str(name);
        Ok(Compound { writer: self })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyError> {
        self.sink.write(&[tag::STRUCT_VARIANT]);
        self.write_variant(name, index, variant);
        Ok(Compound { writer: self })
    }
    fn is_human_readable(&self) -> bool {
        // Compact forms are just as deterministic and cheaper to hash.
        false
    }
}

impl KeyWriter {
    fn write_variant(&mut self, name: &str, index: u32, variant: &str) {
        self.write_str(name);
        self.sink.write(&index.to_le_bytes());
        self.write_str(variant);
    }
}

/// Sequences, tuples and structs: each element is introduced by a tag, and
/// the whole is closed by `END`, so nesting is unambiguous without knowing
/// lengths up front.
pub(crate) struct Compound<'a> {
    writer: &'a mut KeyWriter,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        self.writer.sink.write(&[tag::ELEMENT]);
        value.serialize(&mut *self.writer)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), KeyError> {
        self.writer.sink.write(&[tag::FIELD]);
        self.writer.write_str(key);
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), KeyError> {
        self.writer.sink.write(&[tag::END]);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        self.element(value)
    }
    fn end(self) -> Result<(), KeyError> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        self.element(value)
    }
    fn end(self) -> Result<(), KeyError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        self.element(value)
    }
    fn end(self) -> Result<(), KeyError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        self.element(value)
    }
    fn end(self) -> Result<(), KeyError> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), KeyError> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), KeyError> {
        Compound::end(self)
    }
}

/// Maps: each entry is reduced to (digest of key, digest of value); the
/// pairs are sorted before they reach the parent hasher, which makes the
/// result independent of iteration order.
pub(crate) struct MapEntries<'a> {
    writer: &'a mut KeyWriter,
    entries: Vec<([u8; 32], [u8; 32])>,
    pending_key: Option<[u8; 32]>,
}

impl ser::SerializeMap for MapEntries<'_> {
    type Ok = ();
    type Error = KeyError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), KeyError> {
        self.pending_key = Some(KeyWriter::digest_of(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| <KeyError as ser::Error>::custom("map value without a key"))?;
        self.entries.push((key, KeyWriter::digest_of(value)?));
        Ok(())
    }

    fn end(mut self) -> Result<(), KeyError> {
        self.entries.sort_unstable();
        self.writer.sink.write(&[tag::MAP]);
        self.writer.write_len(self.entries.len());
        for (key, value) in &self.entries {
            self.writer.sink.write(key);
            self.writer.sink.write(value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    fn key_of<T: Serialize + ?Sized>(value: &T) -> ArgsKey {
        let mut builder = KeyBuilder::new();
        builder.arg(value);
        builder.finish().unwrap()
    }

    #[test]
    fn equal_arguments_give_equal_keys() {
        assert_eq!(key_of(&(1u32, "a")), key_of(&(1u32, "a")));
        assert_eq!(key_of("text"), key_of(&String::from("text")));
    }

    #[test]
    fn different_arguments_give_different_keys() {
        assert_ne!(key_of(&1u32), key_of(&2u32));
        assert_ne!(key_of(&1u32), key_of(&1u64), "integer widths are distinct");
        assert_ne!(
            key_of(&("ab", "c")),
            key_of(&("a", "bc")),
            "strings are length-prefixed"
        );
        assert_ne!(
            key_of(&vec![vec![1u8], vec![]]),
            key_of(&vec![vec![], vec![1u8]])
        );
        assert_ne!(key_of(&Some(0u8)), key_of(&None::<u8>));
        assert_ne!(key_of(&0.0f64), key_of(&-0.0f64));
    }

    #[test]
    fn argument_boundaries_are_part_of_the_key() {
        let mut two = KeyBuilder::new();
        two.arg(&1u8);
        two.arg(&2u8);
        let mut one = KeyBuilder::new();
        one.arg(&(1u8, 2u8));
        assert_ne!(two.finish().unwrap(), one.finish().unwrap());
    }

    #[test]
    fn type_names_separate_instantiations() {
        let mut a = KeyBuilder::new();
        a.arg(&1u8);
        a.type_name("u32");
        let mut b = KeyBuilder::new();
        b.arg(&1u8);
        b.type_name("u64");
        assert_ne!(a.finish().unwrap(), b.finish().unwrap());
    }

    #[test]
    fn hashmap_key_ignores_iteration_order() {
        // Two maps with the same entries but built in different orders and
        // with different capacities iterate differently in practice.
        let mut small: HashMap<String, u32> = HashMap::new();
        let mut large: HashMap<String, u32> = HashMap::with_capacity(1024);
        for i in 0..100 {
            small.insert(format!("k{i}"), i);
        }
        for i in (0..100).rev() {
            large.insert(format!("k{i}"), i);
        }
        let sorted: BTreeMap<_, _> = small.iter().map(|(k, v)| (k.clone(), *v)).collect();
        assert_eq!(key_of(&small), key_of(&large));
        assert_eq!(key_of(&small), key_of(&sorted));
        large.insert("k0".into(), 1000);
        assert_ne!(key_of(&small), key_of(&large));
    }

    /// A map whose iteration order comes from this process's random hasher
    /// seed, and its key in hex.
    fn process_local_map_key() -> String {
        let map: HashMap<String, Vec<u32>> = (0..50)
            .map(|i| (format!("entry-{i}"), vec![i, i * 2]))
            .collect();
        let mut builder = KeyBuilder::new();
        builder.arg(&map);
        builder.arg("tail");
        builder
            .finish()
            .unwrap()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn hashmap_key_is_identical_in_another_process() {
        const CHILD: &str = "FUNCACHE_KEY_TEST_CHILD";
        if std::env::var_os(CHILD).is_some() {
            println!("KEY={}", process_local_map_key());
            return;
        }
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "key::tests::hashmap_key_is_identical_in_another_process",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let child_key = stdout
            .lines()
            .find_map(|line| line.split("KEY=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("child printed no key:\n{stdout}"));
        assert_eq!(child_key, process_local_map_key());
    }

    #[test]
    fn key_is_pinned() {
        // Keys must be identical across processes, machines and releases of
        // the same format; this digest guards the encoding.
        let key = key_of(&(42u64, "answer", vec![1.5f64]));
        let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, PINNED_KEY);
    }

    const PINNED_KEY: &str = "4ebb513001f143a194f3910ec94419d2b6dcb8016c9e037fefc73ffba5593cf6";

    #[test]
    fn serialization_errors_are_reported_not_panicked() {
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(ser::Error::custom("not today"))
            }
        }
        let mut builder = KeyBuilder::new();
        builder.arg(&1u8);
        builder.arg(&Refuses);
        let error = builder.finish().unwrap_err();
        assert!(error.to_string().contains("not today"));
    }
}
