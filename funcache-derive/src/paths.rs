//! Paths the generated code needs: the `funcache` crate, `compile_error!`
//! in every edition, and the default cache directory.

use std::path::Path;

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream, TokenTree};
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

/// `error` as `compile_error!` invocations that compile in every edition.
/// syn writes `::core::compile_error!`, spanned at the user's tokens, so
/// `::core` resolves under the user's edition: in edition 2015 a leading
/// `::` is the crate root, which has no `core` ("cannot find `core` in the
/// crate root"). `compile_error!` is in the macro prelude of every
/// edition, so the path is left out and the spans are kept.
pub(crate) fn compile_error(error: syn::Error) -> TokenStream {
    error
        .into_compile_error()
        .into_iter()
        .filter(|token| match token {
            TokenTree::Punct(p) => p.as_char() != ':',
            TokenTree::Ident(i) => i != "core",
            _ => true,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Trial F: `strict` in an edition-2015 crate showed only "cannot find
    /// `core` in the crate root"; the path-less form compiles there.
    #[test]
    fn compile_errors_name_no_crate() {
        let mut error = syn::Error::new(Span::call_site(), "one");
        error.combine(syn::Error::new(Span::call_site(), "two"));
        assert_eq!(
            compile_error(error).to_string(),
            "compile_error ! { \"one\" } compile_error ! { \"two\" }"
        );
    }
}
