//! What the source says about a cached function: its fingerprint and the
//! dependency list embedded beside it.

use std::path::PathBuf;

use funcache_index::{CacheOptions, Dependency, FingerprintInput, canonical_hash};

/// Where the function sits, when the index could tell.
pub(crate) struct ImplContext {
    /// The impl's self type as written, e.g. `Parser`.
    pub self_ty: String,
    /// Whether it is a trait impl (companions cannot be added there).
    pub is_trait_impl: bool,
    /// Whether the impl has type or const parameters (then `Self`'s type
    /// name goes into the key).
    pub generic: bool,
}

/// The source facts the expansion embeds.
pub(crate) struct SourceInfo {
    /// Path of the function below the crate root, e.g. `steps::parse`, when
    /// the index located it.
    #[allow(dead_code)] // read once the index locates functions
    pub item_path: Option<String>,
    pub impl_context: Option<ImplContext>,
    pub fingerprint: [u8; 32],
    /// (qualified path, hex hash), sorted.
    pub dependencies: Vec<(String, String)>,
    pub externals: Vec<String>,
    pub unresolved: Vec<String>,
    /// Files read that rustc does not track for this crate.
    pub tracked_files: Vec<PathBuf>,
}

/// Fingerprints the function from its own canonical tokens and the
/// options' salt.
pub(crate) fn analyze(item: &syn::ItemFn, options: &CacheOptions) -> SourceInfo {
    let path = format!("crate::{}", item.sig.ident);
    let hash = canonical_hash(item);
    let input = FingerprintInput {
        dependencies: vec![Dependency {
            path: path.clone(),
            hash,
        }],
        externals: Vec::new(),
        salt: options.salt(),
    };
    SourceInfo {
        item_path: None,
        impl_context: None,
        fingerprint: *input.fingerprint().as_bytes(),
        dependencies: vec![(path, hash.to_string())],
        externals: Vec::new(),
        unresolved: Vec::new(),
        tracked_files: Vec::new(),
    }
}
