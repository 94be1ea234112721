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
mod cache_dir;
mod canonical;
mod cargo;
mod cfg_text;
mod closure;
mod dep_build_output;
mod dep_features;
#[cfg(test)]
mod dep_features_tests;
mod derives;
mod digest;
mod enabled_features;
mod enclosing_macros;
mod error;
mod fallback;
mod fingerprint;
mod fn_values;
mod hidden_order;
mod ids;
mod impl_table;
mod includes;
mod lexer;
mod lexical_path;
mod macro_builtins;
mod macro_docs;
mod module_refs;
mod module_tree;
mod nested;
mod node;
mod node_read;
mod node_store;
mod options;
mod package_inputs;
#[cfg(test)]
mod package_inputs_tests;
mod package_sources;
mod positions;
mod serde_attrs;
mod session;
mod shallow;
mod site_scope;
mod std_names;
mod target;
mod text_memo;
mod toml_text;
mod trait_sets;
mod ty;
mod type_paths;
mod use_scope;
mod walker;
mod workspace;
mod world;

#[cfg(test)]
mod reach_tests;

#[cfg(test)]
mod deref_tests;

pub use analysis::{
    Analysis, CachedFn, ImplContext, IndexStats, MacroSite, Unresolved, analyze_cached_fn,
    analyze_fn_path, index_stats, package_cached_fns, package_crate_names,
};
pub use cache_dir::{default_cache_dir, find_manifest_dir};
pub use canonical::{CANONICAL_FORMAT, Canonical, Normalizer, canonical_hash, hash_tokens};
pub use digest::{Digest, ParseDigestError};
pub use enabled_features::{UNKNOWN_FEATURES, dep_features_in_build};
pub use error::IndexError;
pub use fallback::{
    FALLBACK_CALL_SITE, FALLBACK_CARGO_FILES, FALLBACK_MACRO_PACKAGE_SOURCES, FALLBACK_OUT_DIR,
    FALLBACK_PACKAGE_SOURCES, Fallback, FallbackSite, fallback_fingerprint,
};
pub use fingerprint::{BuildInputs, Dependency, DirectDep, FINGERPRINT_FORMAT, FingerprintInput};
pub use fn_values::{FnValue, fn_values};
pub use hidden_order::{ArgSerde, argument_serde};
pub use node_store::{NODE_CACHE_ENV, NodeCacheStats, node_cache_stats};
pub use options::{CacheOptions, Spanned};
pub use type_paths::{TypeTables, external_crate_names, type_tables};
pub use workspace::{Workspace, package_dirs, package_name, workspace_root};
