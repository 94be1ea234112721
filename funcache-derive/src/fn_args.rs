//! Which arguments are functions, read from their types: a type parameter
//! or `impl Trait` bounded by `Fn*` names the function item passed (keyed
//! by identity and source); a function pointer or `dyn Fn` says nothing
//! about which function it is.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericParam, Ident, Type};

/// What a parameter's type says about it being a function.
pub(crate) enum FnType {
    /// A type parameter or `impl Trait` bounded by `Fn*`: the concrete
    /// type names the function item passed.
    Identifiable(TokenStream),
    /// A function pointer or `dyn Fn*`: which function it is cannot be
    /// known. The text says which of the two.
    Unidentifiable(&'static str),
}

/// Whether a trait bound is `Fn(..)`, `FnMut(..)` or `FnOnce(..)`.
fn is_fn_bound(bound: &syn::TypeParamBound) -> bool {
    match bound {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| {
            ["Fn", "FnMut", "FnOnce"].iter().any(|f| s.ident == f)
                && matches!(s.arguments, syn::PathArguments::Parenthesized(_))
        }),
        _ => false,
    }
}

/// Type parameters of `sig` bounded by `Fn*`, inline or in the `where`
/// clause.
pub(crate) fn fn_type_params(sig: &syn::Signature) -> Vec<Ident> {
    let mut out = Vec::new();
    for param in &sig.generics.params {
        if let GenericParam::Type(t) = param
            && t.bounds.iter().any(is_fn_bound)
        {
            out.push(t.ident.clone());
        }
    }
    for predicate in sig.generics.where_clause.iter().flat_map(|w| &w.predicates) {
        if let syn::WherePredicate::Type(p) = predicate
            && let Type::Path(path) = &p.bounded_ty
            && let Some(ident) = path.path.get_ident()
            && p.bounds.iter().any(is_fn_bound)
        {
            out.push(ident.clone());
        }
    }
    out
}

/// Whether a function type appears anywhere in `ty` (`Option<F>`,
/// `Vec<fn()>`, `Box<dyn Fn()>`): skipping it would share results between
/// functions.
pub(crate) fn mentions_fn_type(ty: &Type, fn_params: &[Ident]) -> bool {
    struct Finder<'a>(&'a [Ident], bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_type(&mut self, ty: &'ast Type) {
            match ty {
                Type::FnPtr(_) => self.1 = true,
                Type::ImplTrait(t) if t.bounds.iter().any(is_fn_bound) => self.1 = true,
                Type::TraitObject(t) if t.bounds.iter().any(is_fn_bound) => self.1 = true,
                Type::Path(p) if p.path.get_ident().is_some_and(|i| self.0.contains(i)) => {
                    self.1 = true
                }
                _ => syn::visit::visit_type(self, ty),
            }
        }
    }
    let mut finder = Finder(fn_params, false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.1
}

/// Classifies an argument `name: ty` as a function, when it is one.
pub(crate) fn fn_type(ty: &Type, name: &Ident, fn_params: &[Ident]) -> Option<FnType> {
    let mut inner = ty;
    let mut refs = 0;
    while let Type::Reference(r) = inner {
        inner = &r.elem;
        refs += 1;
    }
    loop {
        match inner {
            Type::Paren(p) => inner = &p.elem,
            Type::Group(g) => inner = &g.elem,
            _ => break,
        }
    }
    match inner {
        Type::Path(p) if p.qself.is_none() => {
            if let Some(ident) = p.path.get_ident()
                && fn_params.contains(ident)
            {
                return Some(FnType::Identifiable(
                    quote!(::core::any::type_name::<#ident>()),
                ));
            }
            // `Box<dyn Fn(..)>`, `Arc<dyn Fn(..)>`.
            let last = p.path.segments.last()?;
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments
                && args.args.iter().any(|a| {
                    matches!(a, syn::GenericArgument::Type(Type::TraitObject(o))
                        if o.bounds.iter().any(is_fn_bound))
                })
            {
                return Some(FnType::Unidentifiable("a boxed `dyn Fn` closure"));
            }
            None
        }
        Type::ImplTrait(t) if t.bounds.iter().any(is_fn_bound) => {
            // `type_name_of_val` of the value itself, through references.
            let value = match refs {
                0 => quote!(&#name),
                _ => {
                    let stars = (1..refs).map(|_| quote!(*));
                    quote!(#(#stars)* #name)
                }
            };
            Some(FnType::Identifiable(
                quote!(::core::any::type_name_of_val(#value)),
            ))
        }
        Type::TraitObject(o) if o.bounds.iter().any(is_fn_bound) => {
            Some(FnType::Unidentifiable("a `dyn Fn` closure"))
        }
        Type::FnPtr(_) => Some(FnType::Unidentifiable("a function pointer")),
        _ => None,
    }
}
