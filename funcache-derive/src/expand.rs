//! Code generation for `#[funcache::cache]`.
//!
//! For a function `f` the expansion is:
//!
//! * `f` — same signature; hashes the keyed arguments, asks the cache, and
//!   on a miss calls `f_uncached` and stores the result;
//! * `f_uncached` — the original body, untouched;
//! * `f_refresh` — like `f`, but always recomputes and overwrites;
//! * `f_cache` — returns the `&'static FnCache` that holds the tiers,
//!   the counters and the fingerprint;
//! * `f_peek` — what the tiers hold for given arguments, as an `Option`,
//!   without running the body or counting.
//!
//! Inside a trait impl no companion can be added, so there `f` holds the
//! body inline and the cache lives in a `static` inside it.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ItemFn, Pat, PatIdent};

use funcache_index::{BuildInputs, CacheOptions};

use crate::paths;
use crate::signature::Signature;
use crate::source::{self, SourceInfo};

/// Entries kept in memory when `memory = N` is not given: the default of
/// Python's `functools.lru_cache`.
pub(crate) const DEFAULT_MEMORY: usize = 128;

/// Entry point: never fails, errors become `compile_error!`s emitted next
/// to the unchanged function, so the rest of the crate still type-checks
/// against it and the user sees only the real error.
pub(crate) fn cache(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "#[funcache::cache] applies to functions and methods with a body",
            );
            let mut tokens = crate::paths::compile_error(error);
            tokens.extend(item);
            return tokens;
        }
    };
    match expand(args, &function) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = crate::paths::compile_error(error);
            tokens.extend(function.into_token_stream());
            tokens
        }
    }
}

fn expand(args: TokenStream, function: &ItemFn) -> syn::Result<TokenStream> {
    let options: CacheOptions = syn::parse2(args)?;
    let signature = Signature::read(&function.sig, &options)?;
    let source = source::analyze(function, &options)?;
    let mut expansion = Expansion::new(function, &options, &signature, &source);
    if signature
        .args
        .iter()
        .any(|arg| arg.keyed && arg.function.is_some())
    {
        expansion.function_sources = source::function_sources();
    }
    let generic_impl = source.impl_context.as_ref().is_some_and(|c| c.generic);
    if !signature.type_params.is_empty()
        || signature.args.iter().any(|a| a.keyed && a.impl_trait)
        || generic_impl
        || (source.id.is_none() && expansion.in_impl)
    {
        expansion.type_tables = source::type_tables(&source);
    }
    let mut errors = crate::signature::Errors::default();
    let mut keyed: Vec<(String, syn::Type, Span)> = signature
        .args
        .iter()
        .filter(|a| a.keyed && a.function.is_none())
        .map(|a| (a.name.to_string(), a.ty.clone(), a.ty.span()))
        .collect();
    // A keyed receiver is serialized as its impl's self type.
    if signature.receiver.as_ref().is_some_and(|r| r.keyed)
        && let Some(context) = &source.impl_context
        && let Ok(ty) = syn::parse_str::<syn::Type>(&context.self_ty)
    {
        let span = function
            .sig
            .inputs
            .first()
            .map_or(Span::call_site(), |r| r.span());
        keyed.push(("self".to_owned(), ty, span));
    }
    for (name, ty, span) in keyed {
        expansion.check_serde(&options, name, &ty, span, &mut errors);
    }
    errors.finish()?;
    Ok(expansion.generate())
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

/// `cfg`, `cfg_attr` and lint levels: what every generated companion must
/// share with the original so that it exists (and lints) alike.
fn is_cfg_or_lint(attr: &Attribute) -> bool {
    [
        "cfg", "cfg_attr", "allow", "warn", "deny", "forbid", "expect",
    ]
    .iter()
    .any(|name| attr.path().is_ident(name))
}

struct Expansion<'a> {
    function: &'a ItemFn,
    signature: &'a Signature,
    source: &'a SourceInfo,
    krate: TokenStream,
    memory: usize,
    /// `ttl = "..."` in seconds; 0: none.
    ttl_secs: u64,
    cache_errors: bool,
    /// Inside an impl block: companions are reached through `Self::`.
    in_impl: bool,
    /// Inside a trait impl: no companions can be added.
    in_trait_impl: bool,
    /// For function arguments: the functions that may be passed, by type
    /// path, with their source fingerprints (sorted by path).
    function_sources: Vec<(String, Option<[u8; 32]>)>,
    /// Keyed arguments, with a type they reach whose hand-written
    /// `Serialize` may write a set in iteration order: warned at run time.
    hidden_orders: Vec<(String, String)>,
    /// For a generic function: the type paths printed for several types,
    /// the type paths the fingerprint covers and the external crates whose
    /// versions it has (each sorted). A type name keyed that mentions an
    /// ambiguous or an uncovered path runs the call uncached.
    type_tables: funcache_index::TypeTables,
    /// Keyed arguments reaching a hand-written `Serialize` that writes a
    /// `HashMap` as a map: all their maps are keyed regardless of order.
    unordered_maps: Vec<String>,
    /// Keyed arguments reaching a lossy serde attribute, with the type and
    /// the attribute: these calls run uncached.
    lossy: Vec<(String, String, String)>,
}

impl<'a> Expansion<'a> {
    fn new(
        function: &'a ItemFn,
        options: &CacheOptions,
        signature: &'a Signature,
        source: &'a SourceInfo,
    ) -> Self {
        let context = source.impl_context.as_ref();
        Expansion {
            function,
            signature,
            source,
            krate: paths::runtime_crate(options),
            memory: options.memory.as_ref().map_or(DEFAULT_MEMORY, |m| m.value),
            ttl_secs: options.ttl.as_ref().map_or(0, |t| t.value),
            cache_errors: options.cache_errors.is_some(),
            in_impl: context.is_some() || signature.mentions_self,
            in_trait_impl: context.is_some_and(|c| c.trait_.is_some()),
            function_sources: Vec::new(),
            hidden_orders: Vec::new(),
            unordered_maps: Vec::new(),
            lossy: Vec::new(),
            type_tables: funcache_index::TypeTables::default(),
        }
    }

    /// What the index says about how keyed argument `name` of type `ty`
    /// serializes: warnings, map ordering, and a lossy serde attribute
    /// (uncached, or under `strict` an error at `span`).
    fn check_serde(
        &mut self,
        options: &CacheOptions,
        name: String,
        ty: &syn::Type,
        span: Span,
        errors: &mut crate::signature::Errors,
    ) {
        let serde = source::argument_serde(ty);
        if let Some(type_name) = serde.hidden_unordered {
            self.hidden_orders.push((name.clone(), type_name));
        }
        if serde.unordered_map_impl.is_some() {
            self.unordered_maps.push(name.clone());
        }
        let trusted = options.trust_serde.iter().any(|t| *t == name);
        if let Some((type_name, attribute)) = serde.lossy.filter(|_| !trusted) {
            match options.strict {
                Some(_) => errors.push(
                    span,
                    format!(
                        "`strict`: `{name}` is keyed by its serialization, and `{type_name}` \
                         has `#[serde({attribute})]`, which can make two different values \
                         serialize alike: they would share one cached result. If values that \
                         serialize alike always give the same result, add \
                         `trust_serde({name})`"
                    ),
                ),
                None => self.lossy.push((name, type_name, attribute)),
            }
        }
    }

    fn name(&self) -> &syn::Ident {
        &self.function.sig.ident
    }

    /// Lints the companions must not raise: `dead_code`, since a program
    /// uses the companions it needs and no more (a cached fn written by a
    /// `macro_rules!` got warnings for its unused `_refresh` and `_peek`),
    /// and `non_snake_case` when their names are not snake case although
    /// the function's is: `gen_` gets `gen__uncached`.
    fn companion_lints(&self) -> TokenStream {
        if self.name().to_string().ends_with('_') {
            quote!(#[allow(dead_code, non_snake_case)])
        } else {
            quote!(#[allow(dead_code)])
        }
    }

    fn companion(&self, suffix: &str) -> syn::Ident {
        let name = self.name();
        format_ident!("{}_{}", name, suffix, span = name.span())
    }

    /// Intra-doc link target of the cached function.
    fn link(&self) -> String {
        if self.in_impl {
            format!("Self::{}", self.name())
        } else {
            self.name().to_string()
        }
    }

    fn self_prefix(&self) -> TokenStream {
        if self.in_impl {
            quote!(Self::)
        } else {
            TokenStream::new()
        }
    }

    fn generate(&self) -> TokenStream {
        if self.in_trait_impl {
            return self.wrapper(WrapperKind::Inline);
        }
        let wrapper = self.wrapper(WrapperKind::Cached);
        let refresh = self.wrapper(WrapperKind::Refresh);
        let uncached = self.uncached();
        let handle = self.handle();
        let peek = self.peek();
        quote! {
            #wrapper
            #refresh
            #uncached
            #handle
            #peek
        }
    }

    /// The wrapper's signature: patterns replaced by plain names (the body
    /// is elsewhere) and `mut` bindings dropped (the wrapper mutates
    /// nothing).
    fn wrapper_signature(&self, ident: syn::Ident) -> syn::Signature {
        let mut sig = self.function.sig.clone();
        sig.ident = ident;
        let mut names = self.signature.args.iter().map(|arg| &arg.name);
        for input in sig.inputs.iter_mut() {
            match input {
                FnArg::Receiver(receiver) => receiver.mutability = None,
                FnArg::Typed(pat_type) => {
                    let name = names.next().expect("one name per typed argument").clone();
                    *pat_type.pat = Pat::Ident(PatIdent {
                        attrs: Vec::new(),
                        by_ref: None,
                        mutability: None,
                        ident: name,
                        subpat: None,
                    });
                }
            }
        }
        sig
    }

    /// Statements that add the arguments to `__funcache_call`'s key.
    fn key_statements(&self) -> TokenStream {
        let mut statements = TokenStream::new();
        if self.signature.receiver.as_ref().is_some_and(|r| r.keyed) {
            if self.unordered_maps.iter().any(|name| name == "self") {
                statements.extend(quote!(__funcache_call.arg_unordered_maps(&self);));
            } else {
                statements.extend(quote!(__funcache_call.arg(&self);));
            }
        }
        if self
            .signature
            .args
            .iter()
            .any(|a| a.keyed && a.function.is_some())
        {
            let entries =
                self.function_sources
                    .iter()
                    .map(|(path, fingerprint)| match fingerprint {
                        Some(f) => quote!((#path, ::core::option::Option::Some([#(#f),*]))),
                        None => quote!((#path, ::core::option::Option::None)),
                    });
            statements.extend(quote! {
                const __FUNCACHE_FNS: &[(&str, ::core::option::Option<[u8; 32]>)] =
                    &[#(#entries),*];
            });
        }
        for (arg, type_name) in &self.hidden_orders {
            // Checked once per call site, not formatted on every call.
            statements.extend(quote! {{
                static __FUNCACHE_WARNED: ::core::sync::atomic::AtomicBool =
                    ::core::sync::atomic::AtomicBool::new(false);
                if !__FUNCACHE_WARNED.swap(true, ::core::sync::atomic::Ordering::Relaxed) {
                    __funcache_call.unordered_serialize(#arg, #type_name);
                }
            }});
        }
        let funcache_index::TypeTables {
            ambiguous,
            types,
            crates,
        } = &self.type_tables;
        statements.extend(quote! {
            #[allow(dead_code)]
            const __FUNCACHE_TYPES: &[&str] = &[#(#ambiguous),*];
            #[allow(dead_code)]
            const __FUNCACHE_COVERED: &[&str] = &[#(#types),*];
            #[allow(dead_code)]
            const __FUNCACHE_CRATES: &[&str] = &[#(#crates),*];
        });
        for (arg, type_name, attribute) in &self.lossy {
            statements.extend(quote! {
                __funcache_call.lossy_serde(#arg, #type_name, #attribute);
            });
        }
        for arg in self.signature.args.iter().filter(|arg| arg.skipped) {
            // A skipped function its type did not reveal (an alias, a
            // trait bound) must not share results: checked at run time.
            let name = &arg.name;
            statements.extend(quote! {
                __funcache_call.skipped(::core::any::type_name_of_val(&#name));
            });
        }
        for arg in self.signature.args.iter().filter(|arg| arg.keyed) {
            let name = &arg.name;
            if let Some(type_name) = &arg.function {
                // A function: keyed by which one it is and its source.
                statements.extend(quote! {
                    __funcache_call.function(#type_name, __FUNCACHE_FNS);
                });
                continue;
            }
            // Spanned at the type so that a missing `Serialize` points at
            // the argument's type.
            let method = if self.unordered_maps.contains(&name.to_string()) {
                quote_spanned!(arg.ty.span()=> arg_unordered_maps)
            } else {
                quote_spanned!(arg.ty.span()=> arg)
            };
            statements.extend(quote_spanned!(arg.ty.span()=> __funcache_call.#method(&#name);));
            if arg.impl_trait {
                statements.extend(quote! {
                    __funcache_call.type_name_covered(
                        ::core::any::type_name_of_val(&#name),
                        __FUNCACHE_TYPES,
                        __FUNCACHE_COVERED,
                        __FUNCACHE_CRATES,
                    );
                });
            }
        }
        // Parameters bound by `Fn`/`FnMut`/`FnOnce` are the types of
        // function arguments (anything else holding a function is refused
        // at compile time): `function` identifies a keyed one by its path
        // and source, and under `skip_fn` which function it is does not
        // matter. No impl of the caller's is at stake.
        let function_params = crate::fn_args::fn_type_params(&self.function.sig);
        for param in &self.signature.type_params {
            if function_params.contains(param) {
                statements.extend(quote! {
                    __funcache_call.type_name_checked(
                        ::core::any::type_name::<#param>(),
                        __FUNCACHE_TYPES,
                    );
                });
                continue;
            }
            statements.extend(quote! {
                __funcache_call.type_name_covered(
                    ::core::any::type_name::<#param>(),
                    __FUNCACHE_TYPES,
                    __FUNCACHE_COVERED,
                    __FUNCACHE_CRATES,
                );
            });
        }
        for param in &self.signature.const_params {
            statements.extend(quote!(__funcache_call.arg(&#param);));
        }
        let generic_impl = self.source.impl_context.as_ref().is_some_and(|c| c.generic);
        // The fallback cannot tell a generic impl (`impl<T> W<T>`, whose
        // one static serves every `W<_>`) from a plain one: in any impl it
        // keys on `Self`.
        let fallback_in_impl = self.source.id.is_none() && self.in_impl;
        if generic_impl || fallback_in_impl {
            statements.extend(quote! {
                __funcache_call.type_name_covered(
                    ::core::any::type_name::<Self>(),
                    __FUNCACHE_TYPES,
                    __FUNCACHE_COVERED,
                    __FUNCACHE_CRATES,
                );
            });
        }
        statements
    }

    /// What the adapter runs on a miss: a closure for a sync function, the
    /// body's (lazy, unpolled) future for an async one.
    fn compute(&self, kind: WrapperKind) -> TokenStream {
        let block = &self.function.block;
        let ret = &self.signature.ret;
        let unsafe_ = self.signature.is_unsafe.then(|| quote!(unsafe));
        let body = match kind {
            WrapperKind::Inline => {
                // Inline bodies were written against the original parameter
                // patterns; bind them to the wrapper's plain names by a
                // `match`, whose arm takes the user's block as it is: a
                // block inside a block made rustc's `unused_braces` lint
                // point at the user's braces (with a suggestion that does
                // not compile).
                let pats: Vec<&Pat> = self
                    .function
                    .sig
                    .inputs
                    .iter()
                    .filter_map(|input| match input {
                        FnArg::Typed(pat_type) => Some(&*pat_type.pat),
                        FnArg::Receiver(_) => None,
                    })
                    .collect();
                let names = self.signature.args.iter().map(|arg| &arg.name);
                let body = match &unsafe_ {
                    Some(_) => quote!({ #unsafe_ #block }),
                    None => quote!(#block),
                };
                if pats.is_empty() {
                    body
                } else {
                    quote!({ match (#(#names,)*) { (#(#pats,)*) => #body } })
                }
            }
            WrapperKind::Cached | WrapperKind::Refresh => {
                let prefix = self.self_prefix();
                let uncached = self.companion("uncached");
                let turbofish = self.signature.turbofish();
                let receiver = self.signature.receiver.as_ref().map(|_| quote!(self,));
                let args = self.signature.args.iter().map(|arg| &arg.name);
                let call = quote!(#prefix #uncached #turbofish (#receiver #(#args),*));
                if self.signature.is_async {
                    // An async fn's future: calling it runs nothing yet.
                    return match unsafe_ {
                        Some(_) => quote!(unsafe { #call }),
                        None => call,
                    };
                }
                quote!({ #unsafe_ { #call } })
            }
        };
        if self.signature.is_async {
            quote!(async move #body)
        } else {
            quote!(move || -> #ret #body)
        }
    }

    fn wrapper(&self, kind: WrapperKind) -> TokenStream {
        let ret = &self.signature.ret;
        let ret_span = ret.span();
        let vis = &self.function.vis;
        let (ident, attrs, doc) = match kind {
            WrapperKind::Cached | WrapperKind::Inline => (
                self.name().clone(),
                self.function.attrs.iter().collect::<Vec<_>>(),
                None,
            ),
            WrapperKind::Refresh => {
                let doc = format!(
                    "Recomputes [`{}`]({}) and overwrites its cached result in every tier.",
                    self.name(),
                    self.link()
                );
                let attrs = self
                    .function
                    .attrs
                    .iter()
                    .filter(|a| is_cfg_or_lint(a))
                    .collect();
                let lints = self.companion_lints();
                (
                    self.companion("refresh"),
                    attrs,
                    Some(quote!(#[doc = #doc] #lints)),
                )
            }
        };
        let sig = self.wrapper_signature(ident);
        let keys = self.key_statements();
        let handle = match kind {
            WrapperKind::Inline => {
                let static_item = self.static_item();
                quote!({ #static_item &__FUNCACHE })
            }
            _ => {
                let prefix = self.self_prefix();
                let handle = self.companion("cache");
                quote!(#prefix #handle())
            }
        };
        let refresh = matches!(kind, WrapperKind::Refresh);
        let adapter = self.adapter();
        let run = match (self.signature.is_async, self.memory == 0) {
            (false, false) => "run",
            (false, true) => "run_disk",
            (true, false) => "run_async",
            (true, true) => "run_async_disk",
        };
        // A return type without serde or `Clone` is reported once, by this
        // call, with the return type labelled. (Spanning the whole call at
        // the type makes rustc suggest returning `&T` instead, which is
        // wrong advice here.)
        let run = syn::Ident::new(run, ret_span);
        let await_ = self.signature.is_async.then(|| quote!(.await));
        let compute = self.compute(kind);
        let run = quote!(#adapter.#run(&mut __funcache_call, #compute) #await_);
        quote! {
            #(#attrs)*
            #doc
            #vis #sig {
                let mut __funcache_call = #handle.call(#refresh);
                #keys
                #run
            }
        }
    }

    /// The adapter, which decides what is stored — for a `Result` only the
    /// `Ok` value (unless `cache_errors`), for anything else the value —
    /// and how a decoded value is compared with the computed one: by
    /// `PartialEq` too where the stored type implements it.
    fn adapter(&self) -> TokenStream {
        let krate = &self.krate;
        let ret = &self.signature.ret;
        let adapter = if self.cache_errors {
            quote!(#krate::__private::Plain::<#ret>::new())
        } else {
            quote!((&#krate::__private::__PhantomData::<#ret>).__funcache_adapter())
        };
        quote! {{
            #[allow(unused_imports)]
            use #krate::__private::{
                PartialEqKind as _, PlainKind as _, ResultKind as _, SerdeOnlyKind as _,
            };
            let __funcache_adapter = #adapter;
            let __funcache_equality = (&__funcache_adapter.stored()).__funcache_equality();
            __funcache_adapter.compared(__funcache_equality)
        }}
    }

    /// `f_peek`: the wrapper's arguments, `Option` of its return type, a
    /// plain `fn` even for an `async fn` (it never runs the body).
    fn peek(&self) -> TokenStream {
        let krate = &self.krate;
        let ret = &self.signature.ret;
        let vis = &self.function.vis;
        let mut sig = self.wrapper_signature(self.companion("peek"));
        sig.asyncness = None;
        sig.safety = syn::Safety::Default;
        sig.constness = None;
        sig.output = syn::parse_quote!(-> ::core::option::Option<#ret>);
        let attrs = self.function.attrs.iter().filter(|a| is_cfg_or_lint(a));
        let doc = format!(
            "What the cache holds for these arguments of [`{}`]({}), from any tier, \
             without running it and without counting a hit or a miss.",
            self.name(),
            self.link()
        );
        let keys = self.key_statements();
        let prefix = self.self_prefix();
        let handle = self.companion("cache");
        let adapter = self.adapter();
        // The same adapter method as the wrapper's, so a return type
        // without serde is reported once. For an `async fn` its future is
        // polled once: a peek never waits.
        let run = match (self.signature.is_async, self.memory == 0) {
            (false, false) => "run",
            (false, true) => "run_disk",
            (true, false) => "run_async",
            (true, true) => "run_async_disk",
        };
        let run = syn::Ident::new(run, ret.span());
        let peek = quote!(#adapter.#run(&mut __funcache_call, #krate::__private::PeekOnly));
        let peek = if self.signature.is_async {
            quote!(#krate::__private::now(#peek).flatten())
        } else {
            peek
        };
        let lints = self.companion_lints();
        quote! {
            #(#attrs)*
            #[doc = #doc]
            #[allow(unused_variables)]
            #lints
            #vis #sig {
                let mut __funcache_call = #prefix #handle().call(false);
                #keys
                #peek
            }
        }
    }

    fn uncached(&self) -> TokenStream {
        let mut function = self.function.clone();
        function.sig.ident = self.companion("uncached");
        function.attrs.retain(|attr| !is_doc(attr));
        let doc = format!(
            "Runs [`{}`]({})'s body without reading or writing any cache tier.",
            self.name(),
            self.link()
        );
        let lints = self.companion_lints();
        quote! {
            #[doc = #doc]
            #lints
            #function
        }
    }

    fn handle(&self) -> TokenStream {
        let krate = &self.krate;
        let vis = &self.function.vis;
        let ident = self.companion("cache");
        let attrs = self.function.attrs.iter().filter(|a| is_cfg_or_lint(a));
        let doc = format!(
            "The cache of [`{}`]({}): statistics, fingerprint, dependencies, clear.",
            self.name(),
            self.link()
        );
        let static_item = self.static_item();
        let lints = self.companion_lints();
        quote! {
            #(#attrs)*
            #[doc = #doc]
            #lints
            #vis fn #ident() -> &'static #krate::FnCache {
                #static_item
                &__FUNCACHE
            }
        }
    }

    /// The `static` holding the cache, with everything the macro knows.
    fn static_item(&self) -> TokenStream {
        let suffix = format!("::{}", self.name());
        let id = quote!(::core::concat!(::core::module_path!(), #suffix));
        cache_static(&self.krate, self.source, self.memory, self.ttl_secs, id)
    }
}

/// The `static __FUNCACHE` item (and the `include_bytes!` that make cargo
/// rebuild when a tracked file changes). `fallback_id` is used when the
/// index did not locate the function.
pub(crate) fn cache_static(
    krate: &TokenStream,
    source: &SourceInfo,
    memory: usize,
    ttl_secs: u64,
    fallback_id: TokenStream,
) -> TokenStream {
    let id = match &source.id {
        Some(id) => quote!(#id),
        None => fallback_id,
    };
    let fingerprint = source.fingerprint;
    let default_dir = paths::default_cache_dir();
    // One string literal (see `FnMeta::dependencies`): `<length>:<path>`
    // `<length>:<hash>` for each.
    let mut dependencies = String::new();
    for dependency in &source.dependencies {
        let (path, hash) = (&dependency.path, dependency.hash.to_string());
        dependencies.push_str(&format!("{}:{path}{}:{hash}", path.len(), hash.len()));
    }
    let externals = &source.externals;
    let unresolved = &source.unresolved;
    let tracked = source.tracked_files.iter().map(|path| {
        let path = path.to_string_lossy();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    let warnings = source
        .warnings
        .iter()
        .map(|warning| compile_warning(warning));
    let mut build = build_inputs(krate, &source.build);
    if source.id.is_none() {
        // The fallback: the compiler says where this expansion is.
        build.push(quote!(#krate::__private::BuildInput::Expansion {
            line: ::core::line!(),
            column: ::core::column!(),
        }));
    }
    quote! {
        #(#tracked)*
        #(#warnings)*
        // A predicate the crate did not declare warns at its own `#[cfg]`
        // already.
        #[allow(unexpected_cfgs)]
        static __FUNCACHE: #krate::__private::FnCache =
            #krate::__private::FnCache::new(#krate::__private::FnMeta {
                id: #id,
                fingerprint: [#(#fingerprint),*],
                memory: #memory,
                ttl_secs: #ttl_secs,
                dir: #krate::__private::DirChoice::Default(#default_dir),
                dependencies: #dependencies,
                externals: &[#(#externals),*],
                unresolved: &[#(#unresolved),*],
                build: &[#(#build),*],
            });
    }
}

/// A warning the compiler shows (stable Rust lets a proc macro warn only
/// through a lint): the use of a deprecated item whose note is `message`.
fn compile_warning(message: &str) -> TokenStream {
    quote! {
        const _: () = {
            #[deprecated(note = #message)]
            struct FuncacheWarning;
            let _ = FuncacheWarning;
        };
    }
}

/// The `BuildInput`s of the closure: each `cfg` predicate and environment
/// variable becomes `cfg!(..)` / `option_env!(..)`, which the compiler
/// evaluates (and tracks) where the function is compiled; each direct
/// dependency's features are read now (see
/// [`funcache_index::dep_features_in_build`]).
fn build_inputs(krate: &TokenStream, build: &BuildInputs) -> Vec<TokenStream> {
    let input = quote!(#krate::__private::BuildInput);
    // A predicate that does not read back as tokens (never seen) keeps its
    // item in: a needless miss at worst.
    let cfg = |predicate: &str| match predicate.parse::<TokenStream>() {
        Ok(tokens) => quote!(::core::cfg!(#tokens)),
        Err(_) => quote!(true),
    };
    let mut out = Vec::new();
    // One `GatedItems` per predicate, its items packed as the closure is
    // (a crate gated by features has hundreds of such items).
    let mut gated: std::collections::BTreeMap<&str, String> = Default::default();
    for (predicate, dependency) in &build.gated {
        let (path, hash) = (&dependency.path, dependency.hash.to_string());
        gated
            .entry(predicate.as_str())
            .or_default()
            .push_str(&format!("{}:{path}{}:{hash}", path.len(), hash.len()));
    }
    for (predicate, items) in gated {
        let active = cfg(predicate);
        out.push(quote!(#input::GatedItems {
            predicate: #predicate,
            active: #active,
            items: #items,
        }));
    }
    for predicate in &build.cfgs {
        let active = cfg(predicate);
        out.push(quote!(#input::Cfg { predicate: #predicate, active: #active }));
    }
    for name in &build.env {
        out.push(quote!(#input::Env { name: #name, value: ::core::option_env!(#name) }));
    }
    // The compiler cannot answer these: read from cargo's record of each
    // dependency's build, here, where the rustc run names its libs.
    for dep in &build.dep_features {
        let package = &dep.package;
        let features = funcache_index::dep_features_in_build(dep);
        out.push(quote!(#input::DepFeatures { package: #package, features: #features }));
    }
    out
}

#[derive(Clone, Copy)]
enum WrapperKind {
    /// `f`, calling `f_uncached`.
    Cached,
    /// `f_refresh`.
    Refresh,
    /// `f` with the body inline (trait impls).
    Inline,
}
