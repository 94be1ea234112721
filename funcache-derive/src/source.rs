//! What the source says about a cached function: its fingerprint and the
//! dependency list embedded beside it, from the call-graph index.
//!
//! When the index cannot analyze the function (a crate layout it does not
//! understand, a doctest, syntax its scanner rejects), the fingerprint falls
//! back to [`funcache_index::fallback_fingerprint`]: the function's own
//! tokens plus a digest of every file the crate's compilation reads (the
//! package's `.rs` files, what they include or load as modules, the build
//! script's `OUT_DIR`), so any edit of them invalidates. With `strict`, the
//! failure is an error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use proc_macro2::Span;
use quote::ToTokens;

use funcache_index::{
    Analysis, ArgSerde, BuildInputs, CacheOptions, Dependency, Digest, FallbackSite, ImplContext,
    MacroSite, Unresolved, canonical_hash,
};

/// The source facts the expansion embeds.
pub(crate) struct SourceInfo {
    /// The function's id in the cache directory when the index located it
    /// (`my_crate::steps::parse`); `None` for the fallback, whose
    /// expansion derives it from `module_path!()` and mixes `line!()` and
    /// `column!()` into the fingerprint.
    pub id: Option<String>,
    /// Where the function sits, when the index could tell: a trait impl
    /// takes no companions, and a generic impl keys on `Self`'s type name.
    pub impl_context: Option<ImplContext>,
    pub fingerprint: [u8; 32],
    /// The closure, sorted by path.
    pub dependencies: Vec<Dependency>,
    pub externals: Vec<String>,
    /// `path (at file:line:column)` of each unresolved reference.
    pub unresolved: Vec<String>,
    /// Files read that rustc does not track for this crate.
    pub tracked_files: Vec<PathBuf>,
    /// What the build decides, for the expansion to evaluate.
    pub build: BuildInputs,
}

/// Where this expansion happens, from the proc-macro environment.
fn macro_site() -> Option<MacroSite> {
    let span = proc_macro::Span::call_site();
    let file = span.local_file()?;
    let file = if file.is_absolute() {
        file
    } else {
        std::env::current_dir().ok()?.join(file)
    };
    Some(MacroSite {
        manifest_dir: std::env::var_os("CARGO_MANIFEST_DIR")?.into(),
        crate_name: std::env::var("CARGO_CRATE_NAME").ok()?,
        bin_name: std::env::var("CARGO_BIN_NAME").ok(),
        file,
        line: span.line(),
    })
}

/// Analyzes `item` through the index, falling back as described above.
pub(crate) fn analyze(item: &syn::ItemFn, options: &CacheOptions) -> syn::Result<SourceInfo> {
    let salt = options.salt();
    let analysis = match macro_site() {
        Some(site) => {
            funcache_index::analyze_cached_fn(&site, &item.to_token_stream().to_string(), &salt)
                .map_err(|error| error.to_string())
        }
        None => Err("the macro is not running under cargo".to_owned()),
    };
    match analysis {
        Ok(analysis) => {
            if let Some(strict) = options.strict {
                check_strict(item, &analysis, strict)?;
            }
            Ok(from_analysis(analysis))
        }
        Err(reason) => match options.strict {
            Some(strict) => Err(syn::Error::new(
                strict,
                format!("`strict`: the source index could not analyze this function: {reason}"),
            )),
            None => Ok(fallback(item, &salt)),
        },
    }
}

/// The functions of this crate (and its path dependencies) that are
/// passed as values somewhere, by the path `type_name` prints, with their
/// source fingerprints (`None` for a path naming several functions),
/// sorted. Empty when the index cannot tell: then every call with a
/// function argument runs uncached (with a warning).
pub(crate) fn function_sources() -> Vec<(String, Option<[u8; 32]>)> {
    let Some(site) = macro_site() else {
        return Vec::new();
    };
    funcache_index::fn_values(&site)
        .map(|table| {
            table
                .into_iter()
                .map(|v| (v.type_path, v.fingerprint.map(|f| *f.as_bytes())))
                .collect()
        })
        .unwrap_or_default()
}

/// What a generic function's type names are checked against (see
/// `funcache_index::type_tables`): for a function the index analyzed, the
/// external crates of its fingerprint; for the fallback, whose fingerprint
/// covers `Cargo.lock`, every dependency. Empty when the index cannot tell:
/// then only std types are keyed, and every other call runs uncached.
pub(crate) fn type_tables(source: &SourceInfo) -> funcache_index::TypeTables {
    let externals = source.id.as_ref().map(|_| source.externals.as_slice());
    macro_site()
        .and_then(|site| funcache_index::type_tables(&site, externals).ok())
        .unwrap_or_default()
}

/// For an argument of type `ty`: what the index says about how it
/// serializes (see `funcache_index::argument_serde`); nothing when the
/// index cannot tell.
pub(crate) fn argument_serde(ty: &syn::Type) -> ArgSerde {
    fn idents(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
                proc_macro2::TokenTree::Group(group) => idents(group.stream(), out),
                _ => {}
            }
        }
    }
    let Some(site) = macro_site() else {
        return ArgSerde::default();
    };
    let mut names = Vec::new();
    idents(ty.to_token_stream(), &mut names);
    funcache_index::argument_serde(&site, &names).unwrap_or_default()
}

/// Resolves `path` (as written in `memoize!`) from the call site and
/// analyzes the function it names; also returns its signature.
pub(crate) fn analyze_path(
    path: &str,
    options: &CacheOptions,
    written: &dyn ToTokens,
) -> syn::Result<(SourceInfo, syn::Signature)> {
    let error = |message: String| syn::Error::new_spanned(written, message);
    let site =
        macro_site().ok_or_else(|| error("`memoize!` needs to be compiled by cargo".into()))?;
    let (analysis, signature) = funcache_index::analyze_fn_path(&site, path, &options.salt())
        .map_err(|e| error(format!("`memoize!({path})`: {e}")))?;
    let signature: syn::Signature = syn::parse_str(&signature)
        .map_err(|e| error(format!("`memoize!({path})`: unreadable signature: {e}")))?;
    if let Some(strict) = options.strict {
        let unresolved: Vec<String> = analysis
            .unresolved
            .iter()
            .map(|u| format!("`{}` (at {})", u.path, u.location))
            .collect();
        if !unresolved.is_empty() {
            return Err(syn::Error::new(
                strict,
                format!("`strict`: cannot resolve {}", unresolved.join(", ")),
            ));
        }
    }
    Ok((from_analysis(analysis), signature))
}

fn from_analysis(analysis: Analysis) -> SourceInfo {
    let crate_name = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    SourceInfo {
        id: Some(format!("{crate_name}::{}", analysis.item_path)),
        impl_context: analysis.impl_context,
        fingerprint: *analysis.fingerprint.as_bytes(),
        dependencies: analysis.dependencies,
        externals: analysis.externals,
        unresolved: analysis
            .unresolved
            .iter()
            .map(|unresolved| format!("{} (at {})", unresolved.path, unresolved.location))
            .collect(),
        tracked_files: analysis.tracked_files,
        build: analysis.build,
    }
}

/// `strict`: every unresolved reference is an error, at its own span when
/// it is in the function itself.
fn check_strict(item: &syn::ItemFn, analysis: &Analysis, strict: Span) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    for unresolved in &analysis.unresolved {
        let span = if unresolved.in_root {
            span_of(item, unresolved).unwrap_or(strict)
        } else {
            strict
        };
        let error = syn::Error::new(
            span,
            format!(
                "`strict`: cannot resolve `{}` (at {}); changes to it would not invalidate \
                 this cache",
                unresolved.path, unresolved.location
            ),
        );
        match &mut errors {
            Some(existing) => existing.combine(error),
            None => errors = Some(error),
        }
    }
    errors.map_or(Ok(()), Err)
}

/// The span of the first identifier in the function that matches the last
/// segment of an unresolved path.
fn span_of(item: &syn::ItemFn, unresolved: &Unresolved) -> Option<Span> {
    let last = unresolved
        .path
        .trim_end_matches('!')
        .rsplit(['.', ':'])
        .next()
        .filter(|name| !name.is_empty())?;
    fn find(tokens: proc_macro2::TokenStream, name: &str) -> Option<Span> {
        tokens.into_iter().find_map(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) if ident == name => Some(ident.span()),
            proc_macro2::TokenTree::Group(group) => find(group.stream(), name),
            _ => None,
        })
    }
    find(item.block.to_token_stream(), last)
}

/// The index's fallback fingerprint (see the module docs), from the
/// function's own tokens, where it is written and its package's sources.
fn fallback(item: &syn::ItemFn, salt: &[u8]) -> SourceInfo {
    let site = macro_site();
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    // Set by cargo for a crate with a build script: what it generated.
    let out_dir = std::env::var_os("OUT_DIR").map(PathBuf::from);
    let name = item.sig.ident.to_string();
    let own_hash = canonical_hash(item);
    let expansion = expansion_ordinal(site.as_ref(), &name, own_hash);
    let fallback = funcache_index::fallback_fingerprint(
        &name,
        own_hash,
        manifest_dir.as_deref().map(|manifest_dir| FallbackSite {
            manifest_dir,
            file: site.as_ref().map(|site| site.file.as_path()),
            line: site.as_ref().map_or(0, |site| site.line),
            out_dir: out_dir.as_deref(),
            expansion,
        }),
        salt,
    );
    SourceInfo {
        id: None,
        impl_context: None,
        fingerprint: *fallback.fingerprint.as_bytes(),
        dependencies: fallback.dependencies,
        externals: Vec::new(),
        unresolved: Vec::new(),
        tracked_files: Vec::new(),
        build: fallback.build,
    }
}

/// How many fallback expansions of function `name` with tokens `own_hash`
/// at `site` this compilation (this rustc process: a crate's macros all
/// expand in one) saw before this one. A `macro_rules!` that writes a
/// cached function expands it once per invocation, every time at the
/// definition's site.
fn expansion_ordinal(site: Option<&MacroSite>, name: &str, own_hash: Digest) -> usize {
    type Seen = HashMap<(Option<PathBuf>, usize, String, Digest), usize>;
    static SEEN: Mutex<Option<Seen>> = Mutex::new(None);
    let key = (
        site.map(|site| site.file.clone()),
        site.map_or(0, |site| site.line),
        name.to_owned(),
        own_hash,
    );
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let count = seen
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert(0);
    *count += 1;
    *count - 1
}
