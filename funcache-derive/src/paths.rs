//! Paths the generated code needs: the `funcache` crate, and the default
//! cache directory.

use std::path::Path;

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::Span;
use quote::quote;

use funcache_index::CacheOptions;

/// The path generated code uses for the runtime crate: `crate = ...` when
/// given, else the name `funcache` has in the user's Cargo.toml (it may be
/// renamed), else `::funcache`.
pub(crate) fn runtime_crate(options: &CacheOptions) -> proc_macro2::TokenStream {
    if let Some(path) = &options.krate {
        return quote!(#path);
    }
    match crate_name("funcache") {
        // Inside funcache itself (its lib declares `extern crate self as
        // funcache`) and its own examples and tests, `::funcache` resolves.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::funcache),
        Ok(FoundCrate::Name(name)) => {
            let ident = syn::Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
    }
}

/// The directory cached functions use when `FUNCACHE_DIR` is not set (see
/// [`funcache_index::default_cache_dir`]), as the macro sees it at build
/// time.
pub(crate) fn default_cache_dir() -> String {
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return String::new();
    };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR");
    funcache_index::default_cache_dir(Path::new(&manifest_dir), target_dir.as_deref())
        .to_string_lossy()
        .into_owned()
}
