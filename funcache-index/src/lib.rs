//! The source side of funcache: canonical item hashes, the options of
//! `#[funcache::cache]`, and the call-graph index that turns a cached
//! function into a fingerprint of everything it reaches.
//!
//! This is a plain library so that both the `#[funcache::cache]` proc macro
//! and `funcache-cli` can use it; a proc-macro crate can export nothing but
//! macros. Users never depend on it directly.
//!
//! Entry points: [`analyze_cached_fn`] (the attribute), [`analyze_fn_path`]
//! (`memoize!`), [`package_cached_fns`] (the CLI). Each returns an
//! [`Analysis`]: the closure of items the function reaches, with their
//! canonical hashes, the external crates it uses, and its fingerprint.

mod analysis;
mod build_inputs;
mod cache;
mod cache_attr;
mod cache_dir;
mod canonical;
mod cargo;
mod cfg_text;
mod closure;
mod derives;
mod error;
mod fingerprint;
mod fn_values;
mod hidden_order;
mod impls;
mod includes;
mod infer;
mod item_hash;
mod lexer;
mod macro_calls;
mod module_tree;
mod nested;
mod open_bounds;
mod options;
mod projection;
mod receiver;
mod refs;
mod scope;
mod serde_attrs;
mod shallow;
mod target;

pub use analysis::{
    Analysis, CachedFn, ImplContext, IndexStats, MacroSite, Unresolved, analyze_cached_fn,
    analyze_fn_path, index_stats, package_cached_fns, package_crate_names,
};
pub use build_inputs::file_build_inputs;
pub use cache_dir::{default_cache_dir, find_manifest_dir, workspace_root};
pub use canonical::{CANONICAL_FORMAT, Canonical, Normalizer, canonical_hash, hash_tokens};
pub use error::IndexError;
pub use fingerprint::{BuildInputs, Dependency, FINGERPRINT_FORMAT, FingerprintInput};
pub use fn_values::{FnValue, fn_values};
pub use hidden_order::hidden_unordered;
pub use item_hash::{Digest, ParseDigestError};
pub use options::{CacheOptions, Spanned};
