//! `funcache::memoize!(path::to::f)`: durable, source-aware caching for a
//! function that is not annotated, without modifying it.
//!
//! The expansion never writes the function's argument types (they may not
//! be in scope where `memoize!` is used): a generic runtime helper of the
//! right arity takes the function item and returns a cached closure, and
//! the return type's adapter (`Ok`-only for a `Result`) is chosen from a
//! `PhantomData` inferred from the function item.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{ExprPath, Token};

use funcache_index::CacheOptions;

use crate::expand::{DEFAULT_MEMORY, cache_static};
use crate::paths;
use crate::source;

/// The largest arity the runtime has a helper for.
const MAX_ARITY: usize = 8;

struct MemoizeInput {
    path: ExprPath,
    options: CacheOptions,
}

impl Parse for MemoizeInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path: ExprPath = input.parse()?;
        let options = if input.parse::<Option<Token![,]>>()?.is_some() {
            input.parse()?
        } else {
            CacheOptions::default()
        };
        Ok(MemoizeInput { path, options })
    }
}

pub(crate) fn memoize(input: TokenStream) -> TokenStream {
    expand(input).unwrap_or_else(crate::paths::compile_error)
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let MemoizeInput { path, options } = syn::parse2(input)?;
    if let Some(first) = options.skip.first().or(options.skip_fn.first()) {
        return Err(syn::Error::new(
            first.span(),
            "`memoize!` cannot skip arguments; annotate the function with \
             `#[funcache::cache(skip(..))]` instead",
        ));
    }
    if path.qself.is_some() {
        return Err(syn::Error::new_spanned(
            &path,
            "`memoize!` takes a plain path, e.g. `steps::parse`",
        ));
    }
    // The index resolves names; generic arguments stay in the expansion.
    let plain = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    let plain = if path.path.leading_colon.is_some() {
        format!("::{plain}")
    } else {
        plain
    };
    let (source, signature) = source::analyze_path(&plain, &options, &path)?;
    let arity = signature.inputs.len();
    if arity > MAX_ARITY {
        return Err(syn::Error::new_spanned(
            &path,
            format!(
                "`memoize!` supports functions of up to {MAX_ARITY} arguments; this one has \
                 {arity}. Annotate it with `#[funcache::cache]` instead"
            ),
        ));
    }
    if signature.asyncness.is_some() {
        return Err(syn::Error::new_spanned(
            &path,
            "`memoize!` cannot wrap an `async fn`; annotate it with `#[funcache::cache]`",
        ));
    }
    let generic = signature
        .generics
        .params
        .iter()
        .any(|param| !matches!(param, syn::GenericParam::Lifetime(_)));

    let krate = paths::runtime_crate(&options);
    let memory = options.memory.as_ref().map_or(DEFAULT_MEMORY, |m| m.value);
    let name = signature.ident.to_string();
    let fallback_id = quote!(::core::concat!(::core::module_path!(), "::", #name));
    let ttl_secs = options.ttl.as_ref().map_or(0, |t| t.value);
    let static_item = cache_static(&krate, &source, memory, ttl_secs, fallback_id);
    let memoize = format_ident!("memoize{}", arity, span = Span::call_site());
    let returns = format_ident!("returns{}", arity, span = Span::call_site());
    let returned = quote!(#krate::__private::#returns(&__funcache_function));
    let adapter = if options.cache_errors.is_some() {
        quote!(#krate::__private::Plain::of(#returned))
    } else {
        quote!((&#returned).__funcache_adapter())
    };
    // Compared by `PartialEq` too where the stored type implements it, as
    // in `#[funcache::cache]`.
    let adapter = quote! {{
        #[allow(unused_imports)]
        use #krate::__private::{
            PartialEqKind as _, PlainKind as _, ResultKind as _, SerdeOnlyKind as _,
        };
        let __funcache_adapter = #adapter;
        let __funcache_equality = (&__funcache_adapter.stored()).__funcache_equality();
        __funcache_adapter.compared(__funcache_equality)
    }};
    let adapter = if memory == 0 {
        quote!(#krate::__private::DiskOnly(#adapter))
    } else {
        adapter
    };
    Ok(quote! {{
        #static_item
        let __funcache_function = #path;
        let __funcache_adapter = #adapter;
        #krate::__private::#memoize(&__FUNCACHE, __funcache_function, __funcache_adapter, #generic)
    }})
}
