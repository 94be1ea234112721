//! Argument keys: the canonical encoding of a call's arguments, identical in
//! every process, on every machine.
//!
//! Arguments are fed through [`KeyWriter`], a serde `Serializer` that writes
//! a tagged, self-delimiting encoding. Two things make it canonical:
//!
//! * every value starts with a tag and every string is length-prefixed, so
//!   distinct argument lists can never encode to the same bytes;
//! * the entries of an unordered map (`HashMap`, hashbrown's, `AHashMap`,
//!   `DashMap`, `im`'s) are hashed individually and fed in sorted order, so
//!   a `HashMap` argument keys the same whatever its (randomised) iteration
//!   order; so are the elements of an unordered set (`HashSet` and the
//!   like), wherever it sits in the arguments: in a struct field, behind a
//!   type alias, in an `Option`, a `Box`. serde hands a set over as a plain
//!   sequence and every map as a map, so an unordered one is recognised by
//!   its type name ([`std::any::type_name`]) where a value of it is
//!   serialized;
//! * every other map (an `IndexMap`, a `BTreeMap`, a `Vec` of pairs written
//!   with `collect_map`) keeps its entries in the order written: its order
//!   may be what the function reads (`first_key`), so sorting it would give
//!   two different arguments one key.
//!
//! The key is then, by length of the encoding:
//!
//! * up to [`INLINE`] bytes — the encoding itself. Most calls (numbers,
//!   short strings, small structs) land here: the key is exact, costs no
//!   hashing, and cannot collide;
//! * longer — its blake3 digest. The bytes beyond the inline buffer stream
//!   straight into the hasher; the arguments are never copied into a `Vec`.
//!
//! A leading kind byte keeps the two forms apart.

use std::borrow::Borrow;
use std::fmt;

use serde::Serialize;
use serde::ser;

/// Encodings up to this many bytes are their own key.
pub const INLINE: usize = 64;

/// Room kept in front of a call's key for the function's fingerprint, so
/// that the database key (fingerprint ‖ argument key) is a slice of the
/// same buffer: no copy is made on a lookup.
pub(crate) const PREFIX: usize = 32;

const KIND_INLINE: u8 = 0;
const KIND_DIGEST: u8 = 1;

/// The key of one call's arguments (and, for generic functions, the
/// concrete type names): a kind byte, then the encoding itself or its
/// blake3 digest.
#[derive(Clone, Copy)]
pub struct ArgsKey {
    len: u8,
    bytes: [u8; 1 + INLINE],
}

// Equality, order and hashing are those of the used bytes, as a slice: the
// memory tier is looked up by `&[u8]` (through `Borrow`), which needs the
// same hash.
impl PartialEq for ArgsKey {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ArgsKey {}

impl PartialOrd for ArgsKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ArgsKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for ArgsKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl Borrow<[u8]> for ArgsKey {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl ArgsKey {
    /// The key's bytes, as stored after the fingerprint.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Reads a key back from its bytes; `None` if they are not a key.
    pub fn from_bytes(bytes: &[u8]) -> Option<ArgsKey> {
        let valid = match bytes.split_first()? {
            (&KIND_INLINE, encoding) => encoding.len() <= INLINE,
            (&KIND_DIGEST, digest) => digest.len() == 32,
            _ => false,
        };
        valid.then(|| ArgsKey::copy_of(bytes))
    }

    /// An owned copy of key bytes already known to be valid.
    #[inline]
    pub(crate) fn copy_of(bytes: &[u8]) -> ArgsKey {
        let mut key = ArgsKey {
            len: bytes.len() as u8,
            bytes: [0; 1 + INLINE],
        };
        key.bytes[..bytes.len()].copy_from_slice(bytes);
        key
    }
}

#[cfg(test)]
impl ArgsKey {
    /// The key of a call with the one argument `value`: what the tests of
    /// every tier and store use to make keys.
    pub(crate) fn of_arg<T: crate::__private::KeyArg + ?Sized>(value: &T) -> ArgsKey {
        let mut builder = KeyBuilder::new();
        builder.arg(value);
        builder.finish().expect("a test argument serializes")
    }
}

impl fmt::Display for ArgsKey {
    /// Hex of the key's bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_bytes()
            .iter()
            .try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for ArgsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArgsKey({self})")
    }
}

/// Why an argument could not be turned into a key. The call still runs; it
/// just bypasses the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeyError {
    /// What went wrong, for warning once per cause: a kind, and the type
    /// it concerns where there is one.
    cause: String,
    message: String,
}

impl KeyError {
    fn new(kind: &str, detail: &str, message: String) -> Self {
        KeyError {
            cause: format!("{kind} {detail}"),
            message,
        }
    }

    /// The cause, for warning once per function and cause.
    pub(crate) fn cause(&self) -> &str {
        &self.cause
    }
}

impl ser::Error for KeyError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let message = msg.to_string();
        KeyError {
            cause: format!("serialize {message}"),
            message: format!("argument could not be serialized for the cache key: {message}"),
        }
    }
}

/// Tags of the key encoding. Changing any of them changes every key, so they
/// are part of the on-disk format ([`crate::envelope::FORMAT_VERSION`] covers
/// them too).
mod tag {
    pub const ARG: u8 = 0x01;
    pub const TYPE_NAME: u8 = 0x02;
    pub const FUNCTION: u8 = 0x03;
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
    pub const SET: u8 = 0x2e;
    /// A map whose entry order is part of its value (anything but the
    /// known unordered maps), entries as written.
    pub const ORDERED_MAP: u8 = 0x2f;
    pub const ELEMENT: u8 = 0x30;
    pub const FIELD: u8 = 0x31;
    pub const END: u8 = 0x3f;
}

/// Where the encoding goes: a buffer holding `prefix ‖ kind ‖ encoding`
/// while the encoding is short; past [`INLINE`] bytes, a blake3 hasher,
/// with the buffer's encoding part batching the many tiny writes serde
/// makes (a tag byte, a `u32`) into larger updates.
struct Sink {
    buf: [u8; PREFIX + 1 + INLINE],
    /// End of the used part of `buf`.
    end: usize,
    /// Boxed so that a short key stays small to build and to move.
    hasher: Option<Box<Spill>>,
}

/// Where a long encoding goes: a hasher, fed in batches of [`SPILL`]
/// bytes. blake3 hashes a batch of whole 1 KiB chunks several at a time;
/// fed 64 bytes at a time, it was a quarter as fast, which made checking a
/// large stored value cost many times its write.
struct Spill {
    hasher: blake3::Hasher,
    pending: Vec<u8>,
}

const SPILL: usize = 16 << 10;

impl Spill {
    fn new() -> Box<Spill> {
        Box::new(Spill {
            hasher: blake3::Hasher::new(),
            pending: Vec::with_capacity(SPILL),
        })
    }

    #[inline]
    fn update(&mut self, bytes: &[u8]) {
        if self.pending.len() + bytes.len() > SPILL {
            self.hasher.update(&self.pending);
            self.pending.clear();
            if bytes.len() > SPILL {
                self.hasher.update(bytes);
                return;
            }
        }
        self.pending.extend_from_slice(bytes);
    }

    fn finalize(mut self, last: &[u8]) -> blake3::Hash {
        self.hasher.update(&self.pending);
        self.hasher.update(last);
        self.hasher.finalize()
    }
}

const ENCODING: usize = PREFIX + 1;

impl Sink {
    #[inline]
    fn new(prefix: &[u8; PREFIX]) -> Self {
        let mut buf = [0; PREFIX + 1 + INLINE];
        buf[..PREFIX].copy_from_slice(prefix);
        buf[PREFIX] = KIND_INLINE;
        Sink {
            buf,
            end: ENCODING,
            hasher: None,
        }
    }

    /// Writes a fixed-size piece (a tag, a number): with `N` known, the copy
    /// compiles to plain stores instead of a call to `memmove`.
    #[inline(always)]
    fn write_array<const N: usize>(&mut self, bytes: [u8; N]) {
        if let Some(slot) = self.buf.get_mut(self.end..self.end + N) {
            slot.copy_from_slice(&bytes);
            self.end += N;
        } else {
            self.write(&bytes);
        }
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if self.end + bytes.len() <= self.buf.len() {
            self.buf[self.end..self.end + bytes.len()].copy_from_slice(bytes);
            self.end += bytes.len();
            return;
        }
        let mut hasher = self.hasher.take().unwrap_or_else(Spill::new);
        hasher.update(&self.buf[ENCODING..self.end]);
        self.end = ENCODING;
        if bytes.len() > INLINE {
            hasher.update(bytes);
        } else {
            self.buf[ENCODING..ENCODING + bytes.len()].copy_from_slice(bytes);
            self.end += bytes.len();
        }
        self.hasher = Some(hasher);
    }

    /// Finishes the key in place: the inline encoding stays, or (when the
    /// encoding outgrew the buffer) its digest replaces it.
    #[inline]
    fn seal(&mut self) {
        if let Some(hasher) = self.hasher.take() {
            let digest = hasher.finalize(&self.buf[ENCODING..self.end]);
            self.buf[PREFIX] = KIND_DIGEST;
            self.buf[ENCODING..ENCODING + 32].copy_from_slice(digest.as_bytes());
            self.end = ENCODING + 32;
        }
    }

    /// `kind ‖ encoding or digest` (after [`seal`](Self::seal)).
    #[inline]
    fn args_key(&self) -> &[u8] {
        &self.buf[PREFIX..self.end]
    }

    /// `prefix ‖ kind ‖ encoding or digest` (after [`seal`](Self::seal)).
    #[inline]
    fn entry_key(&self) -> &[u8] {
        &self.buf[..self.end]
    }

    /// A fixed-size digest of everything written, short or long.
    fn digest(mut self) -> [u8; 32] {
        match self.hasher.take() {
            None => *blake3::hash(&self.buf[ENCODING..self.end]).as_bytes(),
            Some(hasher) => *hasher.finalize(&self.buf[ENCODING..self.end]).as_bytes(),
        }
    }
}

/// The blake3 digest of `value`'s canonical encoding: equal for two values
/// exactly when serde sees them as equal (every map compared regardless of
/// iteration order). How a stored value is checked against the computed
/// one: there the question is whether decoding kept the value, and a map
/// whose hand-written `Serialize` writes a `HashMap` re-encodes in another
/// order.
pub(crate) fn canonical_digest<T: Serialize + ?Sized>(value: &T) -> Result<[u8; 32], KeyError> {
    KeyWriter::digest_of(value, Maps::AllUnordered)
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
    #[inline]
    pub fn new() -> Self {
        Self::with_prefix(&[0; PREFIX])
    }

    /// An empty key with `prefix` (a fingerprint) in front of it, so that
    /// [`entry_key`](Self::entry_key) needs no copy.
    #[inline]
    pub(crate) fn with_prefix(prefix: &[u8; PREFIX]) -> Self {
        KeyBuilder {
            writer: KeyWriter {
                sink: Sink::new(prefix),
                unordered: false,
                maps: Maps::AsTyped,
            },
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
        self.writer.sink.write_array([tag::ARG]);
        if let Err(error) = self.writer.value(value) {
            self.error = Some(error);
        }
    }

    /// Adds one argument whose maps are all keyed regardless of their
    /// order: the index found that its type reaches a hand-written
    /// `Serialize` writing a `HashMap` as a map, which the type name of the
    /// value serialized does not show.
    pub fn arg_unordered_maps<T: crate::__private::KeyArg + ?Sized>(&mut self, value: &T) {
        self.writer.maps = Maps::AllUnordered;
        self.arg(value);
        self.writer.maps = Maps::AsTyped;
    }

    /// Whether an argument or type name failed the key (the call will run
    /// uncached).
    #[inline]
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Adds a type name, so that `f::<u32>(1)` and `f::<u64>(1)` differ.
    pub fn type_name(&mut self, name: &str) {
        self.writer.sink.write_array([tag::TYPE_NAME]);
        self.writer.write_str(name);
    }

    /// Adds a type name, unless it mentions one of the `ambiguous` paths
    /// (sorted), each of which names several types (a `struct P` in each of
    /// two blocks of `main`: both `app::main::P`): then the key fails and
    /// the call runs uncached, since the name cannot tell them apart. (For
    /// the type of a function argument, which [`function`](Self::function)
    /// identifies by its source; any other type argument is checked with
    /// [`type_name_covered`](Self::type_name_covered).)
    pub fn type_name_checked(&mut self, name: &str, ambiguous: &[&str]) {
        if self.error.is_some() || self.fails_ambiguous(name, ambiguous) {
            return;
        }
        self.type_name(name);
    }

    /// Fails the key if type name `name` mentions one of the `ambiguous`
    /// paths (sorted); returns whether it did.
    fn fails_ambiguous(&mut self, name: &str, ambiguous: &[&str]) -> bool {
        let is_path_char = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
        let mentioned = name
            .split(|c: char| !is_path_char(c))
            .find(|path| ambiguous.binary_search(path).is_ok());
        let Some(path) = mentioned else {
            return false;
        };
        self.error = Some(KeyError::new(
            "type-ambiguous",
            path,
            format!(
                "the type `{name}` cannot be identified by its name: `{path}` names several \
                 types (of sibling blocks of one function, or of a function and a module of one \
                 name), so their results could not be told apart; rename one of them to cache \
                 these calls"
            ),
        ));
        true
    }

    /// Adds a type name (`type_name::<T>()` of a generic function's type
    /// argument), unless it cannot tell the call's results apart; then the
    /// key fails and the call runs uncached:
    ///
    /// * it mentions one of the `ambiguous` paths (see
    ///   [`type_name_checked`](Self::type_name_checked));
    /// * it mentions a type the function's fingerprint does not cover: one
    ///   not in `types` (the sorted paths of the types of the function's
    ///   crate and its path dependencies), of no crate in `crates` (sorted:
    ///   the external crates whose versions the fingerprint has) and not
    ///   of std, `core` or `alloc` — a type of a crate downstream of the
    ///   function's, whose impls of the bound traits can change without
    ///   changing the key. A closure or a function item is never covered.
    pub fn type_name_covered(
        &mut self,
        name: &str,
        ambiguous: &[&str],
        types: &[&str],
        crates: &[&str],
    ) {
        if self.error.is_some() || self.fails_ambiguous(name, ambiguous) {
            return;
        }
        if let Some(path) = uncovered_path(name, types, crates) {
            // Once per function: a warning per type would repeat itself.
            self.error = Some(KeyError::new(
                "type-unseen",
                "",
                format!(
                    "the type `{name}` is not covered by the fingerprint: `{path}` is not a \
                     type of the function's crate, of its path dependencies, of a dependency \
                     whose version the fingerprint has, or of std (it is a type of a crate \
                     that depends on the function's, of a binary of its package, written by a \
                     macro, a closure or a function), so editing its impls would not change \
                     the key and an old result would be served. Calls with covered types are \
                     cached; to cache these, define the type (or its impls of the bound \
                     traits) in the function's crate"
                ),
            ));
            return;
        }
        self.type_name(name);
    }

    /// Adds a function argument by its identity: `type_name` is
    /// `std::any::type_name` of its type, which names a function item's
    /// path (`my_crate::steps::double`); `sources` maps such paths
    /// (generic arguments left out) to the fingerprint of the function's
    /// source, so that editing it changes the key, or to `None` when the
    /// path names several functions (`op` in two blocks of one function).
    /// A closure, a function pointer, a function not in `sources` or an
    /// ambiguous path cannot be told apart from another function: the key
    /// fails, and the call runs uncached.
    pub fn function(&mut self, type_name: &str, sources: &[(&str, Option<[u8; 32]>)]) {
        if self.error.is_some() {
            return;
        }
        // `apply(&double, 10)`: a reference to a function item calls it.
        let type_name = type_name.trim_start_matches(['&', ' ']);
        let type_name = type_name.strip_prefix("mut ").unwrap_or(type_name);
        let path = without_generics(type_name);
        match sources.binary_search_by(|(p, _)| (*p).cmp(path.as_str())) {
            Ok(found) => match &sources[found].1 {
                Some(fingerprint) => {
                    self.writer.sink.write_array([tag::FUNCTION]);
                    self.writer.write_str(type_name);
                    self.writer.sink.write(fingerprint);
                }
                None => {
                    self.error = Some(KeyError::new(
                        "function-ambiguous",
                        type_name,
                        format!(
                            "a function argument `{type_name}` cannot be identified: that path \
                             names several functions (of sibling blocks of one function, or a \
                             function and a module of one name), so their results could not be \
                             told apart; rename one of them to cache these calls"
                        ),
                    ));
                }
            },
            Err(_) => {
                self.error = Some(KeyError::new(
                    "function-unknown",
                    type_name,
                    format!(
                        "a function argument of type `{type_name}` cannot be identified, so its \
                         results could not be told apart from another function's. Only named \
                         functions written in the source of the cached function's crate or of \
                         its path dependencies are identified; closures, function pointers, \
                         trait methods, functions written by macros, functions of registry \
                         dependencies, and functions of a crate that depends on the cached \
                         function's crate (a downstream crate, or a binary of its package) are \
                         not"
                    ),
                ));
            }
        }
    }

    /// Checks an argument left out of the key with `skip`: when its type
    /// turns out to be a function (a closure, a function pointer, a `dyn
    /// Fn`), leaving it out would serve one function's result for another,
    /// so the key fails and the call runs uncached. (`skip_fn` is how a
    /// caller says the function does not matter.)
    pub fn skipped(&mut self, type_name: &str) {
        if self.error.is_some() {
            return;
        }
        if type_name.contains("fn(")
            || type_name.contains("{{closure}}")
            || type_name.contains("dyn core::ops::function::Fn")
        {
            self.error = Some(KeyError::new(
                "skipped-function",
                type_name,
                format!(
                    "a skipped argument is a function (`{type_name}`): results computed with \
                     different functions would be shared; use `skip_fn` instead of `skip` if \
                     the result does not depend on which function is passed"
                ),
            ));
        }
    }

    /// Fails the key: argument `arg` reaches type `type_name`, whose serde
    /// `attribute` (`skip`, `untagged`, `serialize_with`, …) can make two
    /// different values serialize alike, so that keying by the encoding
    /// would serve one argument's result for another's. The call runs
    /// uncached (`trust_serde(arg)` says the attribute is safe).
    pub fn lossy_serde(&mut self, arg: &str, type_name: &str, attribute: &str) {
        if self.error.is_some() {
            return;
        }
        self.error = Some(KeyError::new(
            "lossy-serde",
            arg,
            format!(
                "argument `{arg}` is keyed by its serialization, and `{type_name}` has \
                 `#[serde({attribute})]`, which can make two different values serialize \
                 alike: they would share one cached result. If values that serialize alike \
                 always give the same result (a skipped field that does not affect it), add \
                 `trust_serde({arg})` to the attribute"
            ),
        ));
    }

    /// The finished key, or the first serialization error.
    pub fn finish(mut self) -> Result<ArgsKey, KeyError> {
        self.seal().map_err(KeyError::clone)?;
        Ok(ArgsKey::copy_of(self.args_key()))
    }

    /// Finishes the key in place, or returns the first serialization error.
    /// Nothing may be added after sealing.
    #[inline]
    pub(crate) fn seal(&mut self) -> Result<(), &KeyError> {
        match &self.error {
            Some(error) => Err(error),
            None => {
                self.writer.sink.seal();
                Ok(())
            }
        }
    }

    /// The argument key (after [`seal`](Self::seal)).
    #[inline]
    pub(crate) fn args_key(&self) -> &[u8] {
        self.writer.sink.args_key()
    }

    /// The prefix, then the argument key (after [`seal`](Self::seal)).
    #[inline]
    pub(crate) fn entry_key(&self) -> &[u8] {
        self.writer.sink.entry_key()
    }
}

/// Crates whose types every fingerprint covers: std comes with the
/// compiler, and the fingerprint records the build's toolchain.
const STD_CRATES: &[&str] = &["alloc", "core", "std"];

/// Single words a type name may hold besides paths: primitive types, the
/// keywords of reference, pointer, trait object and function pointer
/// types, the inferred `_` (`app::W<_>::g::G`) and const values.
const WORDS: &[&str] = &[
    "_", "as", "bool", "char", "const", "dyn", "extern", "f128", "f16", "f32", "f64", "false",
    "fn", "for", "i128", "i16", "i32", "i64", "i8", "isize", "mut", "str", "true", "u128", "u16",
    "u32", "u64", "u8", "unsafe", "usize",
];

/// The first path in type name `name` that names a type no fingerprint
/// covers: not in `types` (sorted), of no crate in `crates` (sorted) nor of
/// std. Every path in the name counts — generic arguments, tuple and
/// array elements, referents, traits of a `dyn` — each compared without
/// its generic arguments (`app::W<_>::g::G` is `app::W::g::G`). A closure
/// (`app::main::{{closure}}`), or a path below a qualified one
/// (`<app::S as app::T>::m::K`, a type nested in a trait impl's method)
/// is never covered; nor is a word that is not a primitive or a keyword.
fn uncovered_path(name: &str, types: &[&str], crates: &[&str]) -> Option<String> {
    let covered = |path: &str| -> bool {
        match path.split_once("::") {
            None => {
                WORDS.binary_search(&path).is_ok() || path.starts_with(|c: char| c.is_ascii_digit())
            }
            Some((krate, _)) => {
                !path.contains("{{")
                    && (STD_CRATES.contains(&krate)
                        || crates.binary_search(&krate).is_ok()
                        || types.binary_search(&path).is_ok())
            }
        }
    };
    let bytes = name.as_bytes();
    // The path being read; the paths suspended by a generic argument list
    // (`None`: a qualified path's `<`, after which a path is not covered).
    let mut path = String::new();
    let mut suspended: Vec<Option<String>> = Vec::new();
    // Whether `path` may take a generic argument list (it ends in a
    // segment, or in one's arguments).
    let mut open = false;
    let mut i = 0;
    macro_rules! finish {
        () => {
            if !path.is_empty() {
                if !covered(&path) {
                    return Some(std::mem::take(&mut path));
                }
                path.clear();
            }
        };
    }
    while i < bytes.len() {
        let c = bytes[i];
        if is_word_byte(c) {
            let start = i;
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            if !(path.is_empty() || path.ends_with("::")) {
                finish!();
            }
            path.push_str(&name[start..i]);
            open = true;
            continue;
        }
        match c {
            b':' if bytes.get(i + 1) == Some(&b':') => {
                path.push_str("::");
                open = false;
                i += 2;
                continue;
            }
            b'{' => {
                // `{{closure}}`, `{{constant}}`: a segment never covered.
                let end = name[i..].find("}}").map_or(name.len(), |e| i + e + 2);
                path.push_str(&name[i..end]);
                i = end;
                open = true;
                continue;
            }
            b'<' if open => suspended.push(Some(std::mem::take(&mut path))),
            b'<' => {
                finish!();
                suspended.push(None);
            }
            b'>' if i > 0 && bytes[i - 1] == b'-' => {}
            b'>' => {
                finish!();
                match suspended.pop() {
                    Some(Some(outer)) => {
                        path = outer;
                        open = true;
                        i += 1;
                        continue;
                    }
                    // `<A as T>::m`: what follows is below a qualified path.
                    Some(None) => path.push_str("<..>"),
                    None => {}
                }
            }
            b'\'' => {
                // A lifetime (`'_`) or a char (`'a'`, `'-'`, `'\''`): no path.
                finish!();
                i += 1;
                if bytes.get(i) == Some(&b'\\') {
                    let close = name[i + 2..].find('\'').map_or(name.len(), |e| i + 2 + e);
                    i = close + 1;
                } else if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    while i < bytes.len() && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'\'') {
                        i += 1;
                    }
                }
                open = false;
                continue;
            }
            b'"' => {
                // `extern "C" fn`.
                finish!();
                i += 1 + name[i + 1..]
                    .find('"')
                    .map_or(name.len() - i - 1, |e| e + 1);
                open = false;
                continue;
            }
            _ => finish!(),
        }
        open = false;
        i += 1;
    }
    finish!();
    None
}

/// A byte of an identifier, a number or a non-ASCII character.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// A type name without its generic argument lists: `a::f<u8>` → `a::f`.
/// (A trait method's `<a::S as a::T>::m` becomes `::m`, which names no
/// function: trait methods are not identified.)
fn without_generics(type_name: &str) -> String {
    let mut out = String::with_capacity(type_name.len());
    let mut depth = 0usize;
    for c in type_name.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The canonical key encoding, as a serde `Serializer` over a [`Sink`].
pub(crate) struct KeyWriter {
    sink: Sink,
    /// The value being serialized is an unordered set or map: its sequence
    /// or map is keyed by sorted digests. Set by [`KeyWriter::value`],
    /// taken by the sequence or map it serializes as.
    unordered: bool,
    maps: Maps,
}

/// Which maps are keyed regardless of their entries' order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Maps {
    /// The known unordered maps, by type name; every other map keeps its
    /// order (an `IndexMap`'s order is part of its value).
    AsTyped,
    /// Every map (see [`canonical_digest`] and
    /// [`KeyBuilder::arg_unordered_maps`]).
    AllUnordered,
}

/// Type names (references and smart pointers stripped) of sets and maps
/// whose iteration order is not a function of their contents, and of the
/// iterators a hand-written `Serialize` passes to `collect_seq` or
/// `collect_map`. Only these may be keyed in sorted order: sorting any
/// other collection would give two arguments that differ in order one key.
const UNORDERED: &[&str] = &[
    "std::collections::hash::set::HashSet<",
    "std::collections::hash::set::Iter<",
    "std::collections::hash::map::HashMap<",
    "std::collections::hash::map::Iter<",
    "hashbrown::set::HashSet<",
    "hashbrown::set::Iter<",
    "hashbrown::map::HashMap<",
    "hashbrown::map::Iter<",
    "ahash::hash_set::AHashSet<",
    "ahash::hash_map::AHashMap<",
    "dashmap::set::DashSet<",
    "dashmap::DashMap<",
    "im::hash::set::HashSet<",
    "im::hash::map::HashMap<",
    "im_rc::hash::set::HashSet<",
    "im_rc::hash::map::HashMap<",
];

/// Wrappers whose `Serialize` is the wrapped value's.
const TRANSPARENT: &[&str] = &[
    "alloc::boxed::Box<",
    "alloc::rc::Rc<",
    "alloc::sync::Arc<",
    "alloc::borrow::Cow<",
];

/// Whether a value of the type named `type_name` is an unordered set or
/// map (or an iterator over one).
#[inline]
fn is_unordered(type_name: &str) -> bool {
    let mut name = type_name;
    loop {
        name = name.trim_start_matches(['&', ' ']);
        name = name.strip_prefix("mut ").unwrap_or(name);
        match TRANSPARENT.iter().find_map(|w| name.strip_prefix(w)) {
            Some(inner) => name = inner,
            None => break,
        }
    }
    matches!(
        name.as_bytes().first(),
        Some(b's' | b'h' | b'a' | b'd' | b'i')
    ) && UNORDERED.iter().any(|set| name.starts_with(set))
}

impl KeyWriter {
    #[inline]
    fn new(maps: Maps) -> Self {
        KeyWriter {
            sink: Sink::new(&[0; PREFIX]),
            unordered: false,
            maps,
        }
    }

    /// Serializes one value, noting first whether its type is an unordered
    /// set or map (the only place its type is known).
    #[inline]
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        self.unordered = is_unordered(std::any::type_name::<T>());
        let result = value.serialize(&mut *self);
        self.unordered = false;
        result
    }

    #[inline(always)]
    fn tagged<const N: usize>(&mut self, tag: u8, bytes: [u8; N]) {
        self.sink.write_array([tag]);
        self.sink.write_array(bytes);
    }

    #[inline]
    fn write_len(&mut self, len: usize) {
        self.sink.write_array((len as u64).to_le_bytes());
    }

    #[inline]
    fn write_str(&mut self, text: &str) {
        self.write_len(text.len());
        self.sink.write(text.as_bytes());
    }

    /// Digest of one value on its own (a map key or a map value).
    fn digest_of<T: Serialize + ?Sized>(value: &T, maps: Maps) -> Result<[u8; 32], KeyError> {
        let mut writer = KeyWriter::new(maps);
        writer.value(value)?;
        Ok(writer.sink.digest())
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

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), KeyError> {
        self.tagged(tag::BOOL, [v as u8]);
        Ok(())
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result<(), KeyError> {
        self.tagged(tag::I8, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result<(), KeyError> {
        self.tagged(tag::I16, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result<(), KeyError> {
        self.tagged(tag::I32, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result<(), KeyError> {
        self.tagged(tag::I64, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_i128(self, v: i128) -> Result<(), KeyError> {
        self.tagged(tag::I128, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result<(), KeyError> {
        self.tagged(tag::U8, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result<(), KeyError> {
        self.tagged(tag::U16, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result<(), KeyError> {
        self.tagged(tag::U32, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result<(), KeyError> {
        self.tagged(tag::U64, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_u128(self, v: u128) -> Result<(), KeyError> {
        self.tagged(tag::U128, v.to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_f32(self, v: f32) -> Result<(), KeyError> {
        self.tagged(tag::F32, v.to_bits().to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Result<(), KeyError> {
        self.tagged(tag::F64, v.to_bits().to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_char(self, v: char) -> Result<(), KeyError> {
        self.tagged(tag::CHAR, (v as u32).to_le_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), KeyError> {
        self.sink.write_array([tag::STR]);
        self.write_str(v);
        Ok(())
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<(), KeyError> {
        self.sink.write_array([tag::BYTES]);
        self.write_len(v.len());
        self.sink.write(v);
        Ok(())
    }
    #[inline]
    fn serialize_none(self) -> Result<(), KeyError> {
        self.sink.write_array([tag::NONE]);
        Ok(())
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), KeyError> {
        self.sink.write_array([tag::SOME]);
        self.value(value)
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), KeyError> {
        self.sink.write_array([tag::UNIT]);
        Ok(())
    }
    #[inline]
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), KeyError> {
        self.sink.write_array([tag::UNIT_STRUCT]);
        self.write_str(name);
        Ok(())
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), KeyError> {
        self.sink.write_array([tag::UNIT_VARIANT]);
        self.write_variant(name, index, variant);
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.sink.write_array([tag::NEWTYPE_STRUCT]);
        self.write_str(name);
        self.value(value)
    }
    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        self.sink.write_array([tag::NEWTYPE_VARIANT]);
        self.write_variant(name, index, variant);
        self.value(value)
    }
    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, KeyError> {
        if std::mem::take(&mut self.unordered) {
            return Ok(Compound {
                writer: self,
                set: Some(Vec::with_capacity(len.unwrap_or(0))),
            });
        }
        self.sink.write_array([tag::SEQ]);
        Ok(Compound {
            writer: self,
            set: None,
        })
    }
    fn collect_seq<I>(self, iter: I) -> Result<(), KeyError>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        // A hand-written `Serialize` may pass a set (or its iterator) here
        // without going through `value`.
        if is_unordered(std::any::type_name::<I>()) {
            self.unordered = true;
        }
        let iter = iter.into_iter();
        let mut seq = ser::Serializer::serialize_seq(self, Some(iter.size_hint().0))?;
        for item in iter {
            ser::SerializeSeq::serialize_element(&mut seq, &item)?;
        }
        ser::SerializeSeq::end(seq)
    }
    #[inline]
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, KeyError> {
        self.sink.write_array([tag::TUPLE]);
        Ok(Compound {
            writer: self,
            set: None,
        })
    }
    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyError> {
        self.sink.write_array([tag::TUPLE_STRUCT]);
        self.write_str(name);
        Ok(Compound {
            writer: self,
            set: None,
        })
    }
    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyError> {
        self.sink.write_array([tag::TUPLE_VARIANT]);
        self.write_variant(name, index, variant);
        Ok(Compound {
            writer: self,
            set: None,
        })
    }
    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<MapEntries<'a>, KeyError> {
        let unordered = std::mem::take(&mut self.unordered) || self.maps == Maps::AllUnordered;
        if !unordered {
            self.sink.write_array([tag::ORDERED_MAP]);
        }
        Ok(MapEntries {
            writer: self,
            entries: unordered.then(|| Vec::with_capacity(len.unwrap_or(0))),
            pending_key: None,
        })
    }
    fn collect_map<K, V, I>(self, iter: I) -> Result<(), KeyError>
    where
        K: Serialize,
        V: Serialize,
        I: IntoIterator<Item = (K, V)>,
    {
        // A hand-written `Serialize` may pass a map's iterator here.
        if is_unordered(std::any::type_name::<I>()) {
            self.unordered = true;
        }
        let iter = iter.into_iter();
        let mut map = ser::Serializer::serialize_map(self, Some(iter.size_hint().0))?;
        for (key, value) in iter {
            ser::SerializeMap::serialize_entry(&mut map, &key, &value)?;
        }
        ser::SerializeMap::end(map)
    }
    #[inline]
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>, KeyError> {
        self.sink.write_array([tag::STRUCT]);
        self.write_str(name);
        Ok(Compound {
            writer: self,
            set: None,
        })
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, KeyError> {
        self.sink.write_array([tag::STRUCT_VARIANT]);
        self.write_variant(name, index, variant);
        Ok(Compound {
            writer: self,
            set: None,
        })
    }
    fn is_human_readable(&self) -> bool {
        // Compact forms are just as deterministic and cheaper to hash.
        false
    }
}

impl KeyWriter {
    fn write_variant(&mut self, name: &str, index: u32, variant: &str) {
        self.write_str(name);
        self.sink.write_array(index.to_le_bytes());
        self.write_str(variant);
    }
}

/// Sequences, tuples and structs: each element is introduced by a tag, and
/// the whole is closed by `END`, so nesting is unambiguous without knowing
/// lengths up front.
///
/// The sequence of an unordered set is reduced like a map: one digest per
/// element, sorted, written at the end.
pub(crate) struct Compound<'a> {
    writer: &'a mut KeyWriter,
    set: Option<Vec<[u8; 32]>>,
}

impl Compound<'_> {
    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        if let Some(set) = &mut self.set {
            set.push(KeyWriter::digest_of(value, self.writer.maps)?);
            return Ok(());
        }
        self.writer.sink.write_array([tag::ELEMENT]);
        self.writer.value(value)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), KeyError> {
        self.writer.sink.write_array([tag::FIELD]);
        self.writer.write_str(key);
        self.writer.value(value)
    }

    #[inline]
    fn end(self) -> Result<(), KeyError> {
        if let Some(mut set) = self.set {
            set.sort_unstable();
            self.writer.sink.write_array([tag::SET]);
            self.writer.write_len(set.len());
            for digest in &set {
                self.writer.sink.write(digest);
            }
            return Ok(());
        }
        self.writer.sink.write_array([tag::END]);
        Ok(())
    }
}

/// serde's compound traits differ only in their names: the positional ones
/// add an element, the named ones a field.
macro_rules! compound {
    ($($trait:ident :: $method:ident),* ; $($named:ident),*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = KeyError;
            #[inline]
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
                self.element(value)
            }
            fn end(self) -> Result<(), KeyError> {
                Compound::end(self)
            }
        })*
        $(impl ser::$named for Compound<'_> {
            type Ok = ();
            type Error = KeyError;
            #[inline]
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
        })*
    };
}

compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field;
    SerializeStruct,
    SerializeStructVariant
);

/// Maps. An unordered one: each entry is reduced to (digest of key,
/// digest of value); the pairs are sorted before they reach the parent
/// hasher, which makes the result independent of iteration order. Any
/// other: `ORDERED_MAP`, then each key and value as written, then `END`.
pub(crate) struct MapEntries<'a> {
    writer: &'a mut KeyWriter,
    /// `Some` for an unordered map.
    entries: Option<Vec<([u8; 32], [u8; 32])>>,
    pending_key: Option<[u8; 32]>,
}

impl ser::SerializeMap for MapEntries<'_> {
    type Ok = ();
    type Error = KeyError;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), KeyError> {
        if self.entries.is_none() {
            self.writer.sink.write_array([tag::ELEMENT]);
            return self.writer.value(key);
        }
        self.pending_key = Some(KeyWriter::digest_of(key, self.writer.maps)?);
        Ok(())
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        let Some(entries) = &mut self.entries else {
            return self.writer.value(value);
        };
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| <KeyError as ser::Error>::custom("map value without a key"))?;
        entries.push((key, KeyWriter::digest_of(value, self.writer.maps)?));
        Ok(())
    }

    fn end(self) -> Result<(), KeyError> {
        let Some(mut entries) = self.entries else {
            self.writer.sink.write_array([tag::END]);
            return Ok(());
        };
        entries.sort_unstable();
        self.writer.sink.write_array([tag::MAP]);
        self.writer.write_len(entries.len());
        for (key, value) in &entries {
            self.writer.sink.write(key);
            self.writer.sink.write(value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
        assert_eq!(key_of(&small), key_of(&large));
        // A `BTreeMap` is keyed in its own (sorted) order: another
        // encoding, but one argument has one type.
        let sorted: BTreeMap<_, _> = small.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let reversed: BTreeMap<_, _> = large.iter().map(|(k, v)| (k.clone(), *v)).collect();
        assert_eq!(key_of(&sorted), key_of(&reversed));
        large.insert("k0".into(), 1000);
        assert_ne!(key_of(&small), key_of(&large));
    }

    /// Sets in every place serde can put them, built in different orders
    /// and capacities (so they iterate differently).
    #[derive(Serialize)]
    struct Query {
        tags: Tags,
        maybe: Option<HashSet<u32>>,
        nested: Vec<HashSet<String>>,
    }
    type Tags = HashSet<String>;
    #[derive(Serialize)]
    struct Wrapped(HashSet<String>);

    fn query(order: impl Iterator<Item = u32> + Clone, capacity: usize) -> Query {
        let mut tags = Tags::with_capacity(capacity);
        let mut maybe = HashSet::with_capacity(capacity);
        for i in order.clone() {
            tags.insert(format!("tag-{i}"));
            maybe.insert(i);
        }
        Query {
            tags,
            maybe: Some(maybe),
            nested: vec![order.map(|i| format!("n{i}")).collect()],
        }
    }

    #[test]
    fn hashset_key_ignores_iteration_order_wherever_it_is() {
        // Sets inside fields and behind aliases once hashed in iteration
        // order: equal arguments missed every time (issue 9.5).
        let a = query(0..60, 0);
        let b = query((0..60).rev(), 1024);
        assert_eq!(key_of(&a), key_of(&b));
        assert_eq!(key_of(&a.tags), key_of(&b.tags));
        assert_eq!(
            key_of(&Wrapped(a.tags.clone())),
            key_of(&Wrapped(b.tags.clone()))
        );
        let c = query(1..61, 0);
        assert_ne!(key_of(&a), key_of(&c), "different contents still differ");
        // A hand-written impl passing the set to `collect_seq`.
        struct Manual<'a>(&'a HashSet<String>);
        impl Serialize for Manual<'_> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter())
            }
        }
        assert_eq!(key_of(&Manual(&a.tags)), key_of(&Manual(&b.tags)));
    }

    #[test]
    fn ordered_collections_keep_their_order() {
        // Only unordered sets are sorted: a Vec of sets, a BTreeSet and a
        // Vec keep their sequence semantics.
        let one: HashSet<u8> = [1].into();
        let two: HashSet<u8> = [2].into();
        assert_ne!(
            key_of(&vec![one.clone(), two.clone()]),
            key_of(&vec![two, one])
        );
        assert_ne!(key_of(&vec![1u8, 2]), key_of(&vec![2u8, 1]));
        let forward: BTreeSet<u8> = (0..50).collect();
        let backward: BTreeSet<u8> = (0..50).rev().collect();
        assert_eq!(key_of(&forward), key_of(&backward));
        assert_eq!(key_of(&forward), key_of(&(0..50u8).collect::<Vec<_>>()));
        // HashMap keys are ordered canonically already.
        let m1: HashMap<(u8, u8), u8> = (0..50).map(|i| ((i, i), i)).collect();
        let m2: HashMap<(u8, u8), u8> = (0..50).rev().map(|i| ((i, i), i)).collect();
        assert_eq!(key_of(&m1), key_of(&m2));
    }

    /// A map whose entry order is part of its value: `IndexMap`'s impl,
    /// or a `Vec` of pairs written with `collect_map`.
    struct Pairs(Vec<(&'static str, i64)>);
    impl Serialize for Pairs {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
        }
    }
    struct Manual(Vec<(&'static str, i64)>);
    impl Serialize for Manual {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    #[test]
    fn ordered_maps_keep_their_order() {
        // Every map was keyed with its entries sorted: `first_key` of
        // `{b, a}` was served the result of `{a, b}`.
        let ab = vec![("a", 1), ("b", 2)];
        let ba = vec![("b", 2), ("a", 1)];
        assert_ne!(key_of(&Pairs(ab.clone())), key_of(&Pairs(ba.clone())));
        assert_ne!(key_of(&Manual(ab.clone())), key_of(&Manual(ba.clone())));
        assert_ne!(
            key_of(&Pairs(ab.clone())),
            key_of(&Pairs(vec![("a", 1), ("b", 3)]))
        );
        // Unordered maps still key by content, wherever they are.
        let m1: HashMap<String, u8> = (0..40).map(|i| (format!("k{i}"), i)).collect();
        let mut m2: HashMap<String, u8> = HashMap::with_capacity(512);
        m2.extend((0..40).rev().map(|i| (format!("k{i}"), i)));
        assert_eq!(key_of(&Box::new(m1.clone())), key_of(&Box::new(m2.clone())));
        assert_eq!(
            key_of(&Some(Box::new(m1.clone()))),
            key_of(&Some(Box::new(m2.clone())))
        );
        // A hand-written impl writing a `HashMap`'s iterator.
        struct ByIter<'a>(&'a HashMap<String, u8>);
        impl Serialize for ByIter<'_> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter())
            }
        }
        assert_eq!(key_of(&ByIter(&m1)), key_of(&ByIter(&m2)));
        // An argument the index flags (a hand-written impl that writes a
        // `HashMap` entry by entry) has every map keyed unordered.
        let flagged = |pairs: Vec<(&'static str, i64)>| {
            let mut builder = KeyBuilder::new();
            builder.arg_unordered_maps(&Manual(pairs));
            builder.finish().unwrap()
        };
        assert_eq!(flagged(ab.clone()), flagged(ba.clone()));
        // Comparing a decoded value with the computed one ignores order.
        assert_eq!(
            canonical_digest(&Manual(ab)).unwrap(),
            canonical_digest(&Manual(ba)).unwrap()
        );
    }

    /// A map and sets whose iteration order comes from this process's
    /// random hasher seed, and their key in hex.
    fn process_local_map_key() -> String {
        let map: HashMap<String, Vec<u32>> = (0..50)
            .map(|i| (format!("entry-{i}"), vec![i, i * 2]))
            .collect();
        let mut builder = KeyBuilder::new();
        builder.arg(&map);
        builder.arg(&query(0..40, 0));
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
        let short = key_of(&(42u64, "answer", vec![1.5f64]));
        assert_eq!(short.to_string(), PINNED_SHORT);
        let long = key_of(&"a string long enough to make the encoding exceed the inline buffer");
        assert_eq!(long.to_string(), PINNED_LONG);
    }

    /// Kind 00, then the encoding: ARG, TUPLE, ELEMENT U64 42, ELEMENT STR
    /// len 6 "answer", ELEMENT SEQ ELEMENT F64 1.5, END, END.
    const PINNED_SHORT: &str = "0001283019\
        2a000000000000003\
        01e0600000000000000616e73776572\
        3027301c000000000000f83f3f3f";
    /// Kind 01, then the blake3 digest of the encoding.
    const PINNED_LONG: &str = "0121fe9b9c79fb99283048eda472384c356984f8abec5347f23eb876b6ff45e068";

    #[test]
    fn short_encodings_are_their_own_key_and_long_ones_a_digest() {
        let short = key_of(&7u64);
        assert_eq!(short.as_bytes()[0], KIND_INLINE);
        assert_eq!(
            short.as_bytes().len(),
            1 + 1 + 1 + 8,
            "kind, ARG, U64, 8 bytes"
        );
        let long = key_of(&vec![0u8; 500]);
        assert_eq!(long.as_bytes()[0], KIND_DIGEST);
        assert_eq!(long.as_bytes().len(), 33);
        for key in [short, long] {
            assert_eq!(ArgsKey::from_bytes(key.as_bytes()), Some(key));
        }
        assert_eq!(ArgsKey::from_bytes(&[9, 1, 2]), None);
        assert_eq!(ArgsKey::from_bytes(&[KIND_DIGEST, 1, 2]), None);
    }

    #[test]
    fn keys_just_below_and_above_the_inline_limit_differ() {
        // 1 ARG + 1 STR + 8 length = 10 bytes of overhead.
        let at_limit = "x".repeat(INLINE - 10);
        let over = "x".repeat(INLINE - 9);
        assert_eq!(key_of(at_limit.as_str()).as_bytes()[0], KIND_INLINE);
        assert_eq!(key_of(over.as_str()).as_bytes()[0], KIND_DIGEST);
        assert_ne!(key_of(at_limit.as_str()), key_of(over.as_str()));
    }

    #[test]
    fn function_arguments_key_by_identity_and_source() {
        // Named functions passed as arguments (issue 9.2): keyed by their
        // path and their source's fingerprint; anything else fails the key.
        let sources = [
            ("app::double", Some([1; 32])),
            ("app::triple", Some([2; 32])),
        ];
        let key = |name: &str, sources: &[(&str, Option<[u8; 32]>)]| {
            let mut builder = KeyBuilder::new();
            builder.arg(&10u64);
            builder.function(name, sources);
            builder.finish()
        };
        let double = key("app::double", &sources).unwrap();
        assert_ne!(double, key("app::triple", &sources).unwrap());
        let edited = [
            ("app::double", Some([3; 32])),
            ("app::triple", Some([2; 32])),
        ];
        assert_ne!(double, key("app::double", &edited).unwrap());
        let twice = [("app::twice", Some([4; 32]))];
        assert_ne!(
            key("app::twice<u8>", &twice).unwrap(),
            key("app::twice<u16>", &twice).unwrap()
        );
        for unknown in ["app::main::{{closure}}", "fn(u64) -> u64", "app::other"] {
            let error = key(unknown, &sources).unwrap_err();
            assert!(error.to_string().contains(unknown), "{error}");
        }
        // A reference to a function item keys as the function itself.
        assert_eq!(double, key("&app::double", &sources).unwrap());
        assert_eq!(double, key("&&mut app::double", &sources).unwrap());
        // A path naming several functions (two blocks' `op`) is never keyed.
        let error = key("app::run::op", &[("app::run::op", None)]).unwrap_err();
        assert!(error.to_string().contains("several functions"), "{error}");
        // Each cause is its own: warned once per function and cause.
        assert_ne!(
            key("app::other", &sources).unwrap_err().cause(),
            key("app::run::op", &[("app::run::op", None)])
                .unwrap_err()
                .cause()
        );
    }

    #[test]
    fn ambiguous_type_names_fail_the_key() {
        // Two block-local `struct P` of `main` print one type name: keyed
        // by it, the second was served the first one's result.
        let ambiguous = ["app::main::P", "app::run::Q"];
        let key = |name: &str| {
            let mut builder = KeyBuilder::new();
            builder.type_name_checked(name, &ambiguous);
            builder.finish()
        };
        for name in [
            "app::main::P",
            "alloc::vec::Vec<app::main::P>",
            "(u8, &app::run::Q)",
        ] {
            let error = key(name).unwrap_err();
            assert!(error.to_string().contains("several types"), "{error}");
        }
        let mut plain = KeyBuilder::new();
        plain.type_name("app::main::Pa");
        assert_eq!(key("app::main::Pa").unwrap(), plain.finish().unwrap());
        assert!(key("app::main::P2").is_ok());
    }

    #[test]
    fn type_names_the_fingerprint_does_not_cover_fail_the_key() {
        // `u::total::<a::Item>` with `impl u::Weigh for a::Item` in a crate
        // downstream of `u`: `u`'s fingerprint never saw the impl, and
        // editing it served the old total (trial B, S1). Only types of the
        // crate and its path dependencies (`types`), of external crates
        // whose versions the fingerprint has (`crates`) and of std key.
        let types = [
            "u::Item",
            "u::Weigh",
            "u::Wrapper",
            "u::Wrapper::run::Local",
            "u::run::Local",
            "v::Thing",
        ];
        let crates = ["serde_json"];
        let key = |name: &str| {
            let mut builder = KeyBuilder::new();
            builder.type_name_covered(name, &[], &types, &crates);
            builder.finish()
        };
        for name in [
            "u64",
            "alloc::string::String",
            "u::Item",
            "v::Thing",
            "u::run::Local",
            "u::Wrapper<u::Item>",
            "alloc::vec::Vec<(u8, [u::Item; 2], &mut str, *const bool)>",
            "std::collections::hash::map::HashMap<alloc::string::String, serde_json::value::Value>",
            "alloc::boxed::Box<dyn u::Weigh + core::marker::Send>",
            "dyn core::ops::function::Fn(&'_ u8) -> u::Item",
            "u::Wrapper<_>::run::Local",
            "u::Wrapper<3, 'a', '\\'', true>",
            "fn(u8) -> u8",
            "unsafe extern \"C\" fn(u8)",
        ] {
            assert!(key(name).is_ok(), "{name}: {:?}", key(name).err());
        }
        for (name, path) in [
            ("a::Item", "a::Item"),
            ("alloc::vec::Vec<a::Item>", "a::Item"),
            ("u::Wrapper<a::Item>", "a::Item"),
            ("(u64, &a::shapes::Tri)", "a::shapes::Tri"),
            ("[a::Item; 3]", "a::Item"),
            ("alloc::boxed::Box<dyn a::Tr>", "a::Tr"),
            ("u::Other", "u::Other"),
            ("u::double", "u::double"),
            ("u::run::{{closure}}", "u::run::{{closure}}"),
            (
                "core::option::Option<u::main::{{closure}}>",
                "u::main::{{closure}}",
            ),
            ("<u::Item as u::Weigh>::weight::K", "<..>::weight::K"),
            ("regex::Regex", "regex::Regex"),
            ("Item", "Item"),
            ("u::Wrapper<u::Wrapper<v::Thing>, v::Other>", "v::Other"),
        ] {
            let error = key(name).unwrap_err();
            let text = error.to_string();
            assert!(text.contains(&format!("`{path}`")), "{name}: {text}");
            assert!(text.contains("not covered by the fingerprint"), "{text}");
            // One warning per function, whatever the type.
            assert_eq!(error.cause(), key("a::Item").unwrap_err().cause());
        }
        // An ambiguous path fails as ambiguous, covered or not.
        let mut builder = KeyBuilder::new();
        builder.type_name_covered("u::run::Local", &["u::run::Local"], &types, &crates);
        let error = builder.finish().unwrap_err();
        assert!(error.to_string().contains("several types"), "{error}");
        assert!(WORDS.is_sorted() && STD_CRATES.is_sorted());
        // A covered name keys as before.
        let mut plain = KeyBuilder::new();
        plain.type_name("u::Wrapper<u::Item>");
        assert_eq!(key("u::Wrapper<u::Item>").unwrap(), plain.finish().unwrap());
    }

    #[test]
    fn lossy_serde_arguments_fail_the_key_naming_type_and_attribute() {
        let mut builder = KeyBuilder::new();
        builder.arg(&3u32);
        builder.lossy_serde("len", "Len", "untagged");
        let error = builder.finish().unwrap_err();
        for part in ["`len`", "`Len`", "#[serde(untagged)]", "trust_serde(len)"] {
            assert!(error.to_string().contains(part), "{error}");
        }
    }

    #[test]
    fn skipped_functions_fail_the_key() {
        for function in [
            "fn(u64) -> u64",
            "&dyn core::ops::function::Fn(u64) -> u64",
            "alloc::boxed::Box<dyn core::ops::function::FnMut()>",
            "app::main::{{closure}}",
        ] {
            let mut builder = KeyBuilder::new();
            builder.skipped(function);
            assert!(builder.finish().is_err(), "{function}");
        }
        let mut builder = KeyBuilder::new();
        builder.skipped("&mut app::Progress");
        builder.skipped("app::Connection");
        assert!(builder.finish().is_ok());
    }

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
