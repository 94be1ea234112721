//! The source side of funcache: canonical item hashes, the options of
//! `#[funcache::cache]`, and (as it grows) the call-graph index that turns a
//! cached function into a fingerprint of everything it reaches.
//!
//! This is a plain library so that both the `#[funcache::cache]` proc macro
//! and `funcache-cli` can use it; a proc-macro crate can export nothing but
//! macros. Users never depend on it directly.

mod canonical;
mod fingerprint;
mod item_hash;
mod options;

pub use canonical::{CANONICAL_FORMAT, Canonical, Normalizer, canonical_hash, hash_tokens};
pub use fingerprint::{Dependency, FINGERPRINT_FORMAT, FingerprintInput};
pub use item_hash::{Digest, ParseDigestError};
pub use options::{CacheOptions, Spanned};
