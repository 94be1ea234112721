//! Reads a cached function's signature into what the generated code needs,
//! rejecting (with errors at the right span) what cannot be cached.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Ident, Pat, ReceiverKind, ReturnType, Type};

use funcache_index::CacheOptions;

use crate::fn_args::{FnType, fn_type, fn_type_params, mentions_fn_type};

/// One argument as the wrapper sees it.
pub(crate) struct Arg {
    /// The name the wrapper binds it to (the user's ident, or a generated
    /// one for destructuring patterns).
    pub name: Ident,
    pub ty: Type,
    /// Part of the key (not skipped).
    pub keyed: bool,
    /// `impl Trait` argument: its concrete type name goes into the key.
    pub impl_trait: bool,
    /// A keyed function argument: an expression giving the type name of
    /// the function passed, which keys it by identity and source.
    pub function: Option<TokenStream>,
    /// Left out by `skip` (not `skip_fn`): checked at run time not to be
    /// a function its type did not reveal (`type Op = fn(u64) -> u64`).
    pub skipped: bool,
}

/// Everything the expansion needs to know about the signature.
pub(crate) struct Signature {
    pub receiver: Option<Receiver>,
    pub args: Vec<Arg>,
    /// The return type, `()` when omitted.
    pub ret: Type,
    pub is_async: bool,
    pub is_unsafe: bool,
    /// Type parameters: their names go into the key.
    pub type_params: Vec<Ident>,
    /// Const parameters: their values go into the key.
    pub const_params: Vec<Ident>,
    /// Whether the signature mentions `Self` (so it is inside an impl).
    pub mentions_self: bool,
}

/// The method receiver.
pub(crate) struct Receiver {
    pub keyed: bool,
}

/// Collects several errors so that the user sees all of them at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        let error = syn::Error::new(span, message);
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

fn contains_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == "Self",
        proc_macro2::TokenTree::Group(group) => contains_self(group.stream()),
        _ => false,
    })
}

fn is_mut_reference(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference) if reference.mutability.is_some())
}

fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

impl Signature {
    pub(crate) fn read(sig: &syn::Signature, options: &CacheOptions) -> syn::Result<Signature> {
        let mut errors = Errors::default();
        let skipped = |name: &str| options.skip.iter().any(|s| s == name);
        let skipped_fn = |name: &str| options.skip_fn.iter().any(|s| s == name);
        let fn_params = fn_type_params(sig);

        if let Some(constness) = &sig.constness {
            errors.push(
                constness.span(),
                "a `const fn` cannot be cached: it runs at compile time",
            );
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(variadic.span(), "variadic functions cannot be cached");
        }

        let mut receiver = None;
        let mut args = Vec::new();
        let mut names_seen: Vec<String> = Vec::new();
        for (index, input) in sig.inputs.iter().enumerate() {
            match input {
                FnArg::Receiver(recv) => {
                    let keyed = !skipped("self");
                    let mutable = matches!(recv.kind, ReceiverKind::Reference(_, _, Some(_)));
                    if mutable && keyed {
                        errors.push(
                            recv.span(),
                            "`&mut self` would be mutated only when the cache misses; \
                             cache a `&self` method instead, or add `skip(self)` if the \
                             mutation does not affect the result",
                        );
                    }
                    names_seen.push("self".into());
                    receiver = Some(Receiver { keyed });
                }
                FnArg::Typed(pat_type) => {
                    let (name, user_name) = match &*pat_type.pat {
                        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                            (pat.ident.clone(), Some(pat.ident.to_string()))
                        }
                        _ => (format_ident!("__funcache_arg{}", index), None),
                    };
                    let keyed = !user_name.as_deref().is_some_and(skipped);
                    let ty = (*pat_type.ty).clone();
                    let shown = user_name.as_deref().unwrap_or("name");
                    let is_skipped_fn = user_name.as_deref().is_some_and(skipped_fn);
                    let function = match fn_type(&ty, &name, &fn_params) {
                        _ if !keyed && mentions_fn_type(&ty, &fn_params) => {
                            errors.push(
                                pat_type.ty.span(),
                                format!(
                                    "`skip({shown})` would serve the result computed with one \
                                     function for another: `{shown}` is or holds a function, and which \
                                     function it is is part of the key. If the result does not \
                                     depend on it (a progress or logging callback), say so with \
                                     `skip_fn({shown})`"
                                ),
                            );
                            None
                        }
                        Some(_) if is_skipped_fn => None,
                        Some(FnType::Identifiable(type_name)) => Some(type_name),
                        Some(FnType::Unidentifiable(what)) => {
                            errors.push(
                                pat_type.ty.span(),
                                format!(
                                    "`{shown}` is {what}: which function it is cannot be known, \
                                     so results computed with different functions could not be \
                                     told apart. Take a generic function instead (`impl Fn(..)` \
                                     or `F: Fn(..)`): a named function passed to it is keyed by \
                                     its path and its source. If the result does not depend on \
                                     which function is passed, add `skip_fn({shown})`"
                                ),
                            );
                            None
                        }
                        // Holds a function (`Option<F>`, `Vec<fn()>`): which
                        // functions cannot be keyed.
                        None if keyed && !is_skipped_fn && mentions_fn_type(&ty, &fn_params) => {
                            errors.push(
                                pat_type.ty.span(),
                                format!(
                                    "`{shown}` holds a function: which function it holds cannot \
                                     be known, so results computed with different functions could \
                                     not be told apart. Take the function itself as a generic \
                                     argument (`f: F` with `F: Fn(..)`, `f: impl Fn(..)`, or \
                                     `f: &F`): a named function passed to it is keyed by its path \
                                     and its source. If the result does not depend on which \
                                     function is passed, add `skip_fn({shown})`"
                                ),
                            );
                            None
                        }
                        // `skip_fn` of an argument whose type does not show a
                        // function (an alias `type Op = fn(..)`, anything else)
                        // leaves it out as `skip` does, without `skip`'s run-time
                        // check for functions.
                        None => None,
                    };
                    let keyed = keyed && !is_skipped_fn;
                    if keyed && is_mut_reference(&ty) {
                        errors.push(
                            pat_type.ty.span(),
                            format!(
                                "a `&mut` argument would be mutated only when the cache misses; \
                                 pass it by shared reference, or add `skip({})` if it does not \
                                 affect the result",
                                user_name.as_deref().unwrap_or("name")
                            ),
                        );
                    }
                    if let Some(user_name) = user_name {
                        names_seen.push(user_name);
                    }
                    let impl_trait = contains_impl_trait(&ty);
                    args.push(Arg {
                        name,
                        ty,
                        keyed,
                        impl_trait: impl_trait && function.is_none(),
                        function,
                        skipped: !keyed && !is_skipped_fn,
                    });
                }
            }
        }
        for skip in options.skip.iter().chain(&options.skip_fn) {
            if !names_seen.iter().any(|name| skip == name) {
                errors.push(
                    skip.span(),
                    format!(
                        "`skip({skip})` names no argument of this function (arguments bound by a \
                         destructuring pattern cannot be skipped by name)"
                    ),
                );
            }
        }
        for trusted in &options.trust_serde {
            if !names_seen.iter().any(|name| trusted == name) {
                errors.push(
                    trusted.span(),
                    format!("`trust_serde({trusted})` names no argument of this function"),
                );
            }
        }

        let ret = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        if contains_impl_trait(&ret) {
            errors.push(
                ret.span(),
                "a function returning `impl Trait` cannot be cached: stored values need a \
                 concrete type to be read back as",
            );
        }
        if let Type::Reference(reference) = &ret {
            errors.push(
                reference.span(),
                "a function returning a reference cannot be cached: a stored value is read \
                 back as an owned value; return an owned type (e.g. `String`, `Vec<T>`, `Arc<T>`)",
            );
        }

        let mut type_params = Vec::new();
        let mut const_params = Vec::new();
        for param in &sig.generics.params {
            match param {
                GenericParam::Type(param) => type_params.push(param.ident.clone()),
                GenericParam::Const(param) => const_params.push(param.ident.clone()),
                GenericParam::Lifetime(_) => {}
            }
        }

        errors.finish()?;
        Ok(Signature {
            mentions_self: receiver.is_some() || contains_self(sig.to_token_stream()),
            receiver,
            args,
            ret,
            is_async: sig.asyncness.is_some(),
            is_unsafe: matches!(sig.safety, syn::Safety::Unsafe(_)),
            type_params,
            const_params,
        })
    }

    /// Explicit generic arguments for calling the companion: type and const
    /// parameters (lifetimes are inferred; late-bound ones cannot be given).
    pub(crate) fn turbofish(&self) -> TokenStream {
        let params = self.type_params.iter().chain(&self.const_params);
        if self.type_params.is_empty() && self.const_params.is_empty() {
            TokenStream::new()
        } else {
            quote!(::<#(#params),*>)
        }
    }
}
