//! What a type's `#[derive(...)]` list contributes to its hash.
//!
//! The rule: std's derives (`Debug`, `Clone`, `Copy`, `PartialEq`, `Eq`,
//! `PartialOrd`, `Ord`, `Hash`, `Default`) are left out of the type's hash.
//! The code they derive is a function of the type's fields and variants
//! (which the hash has, in order), and adding or removing one cannot change
//! what a cached function computes: code that uses the derived impl does
//! not compile without it, and code that does not use it is not affected.
//! Every other derive stays in the hash: serde's `Serialize`/`Deserialize`
//! (and their attributes) decide how a returned value is encoded and
//! decoded, and other crates' derives can generate arbitrary code.

use syn::punctuated::Punctuated;

use crate::std_names::STD_DERIVES;

/// `item` with std derives removed from its `#[derive]` attributes (and an
/// attribute that derived only those removed). Attributes that do not
/// parse as a derive list are kept as they are.
pub(crate) fn without_std_derives(mut item: syn::Item) -> syn::Item {
    let attrs = match &mut item {
        syn::Item::Struct(s) => &mut s.attrs,
        syn::Item::Enum(e) => &mut e.attrs,
        syn::Item::Union(u) => &mut u.attrs,
        _ => return item,
    };
    attrs.retain_mut(|attr| {
        if !attr.path().is_ident("derive") {
            return true;
        }
        let Ok(paths) =
            attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        else {
            return true;
        };
        let kept: Punctuated<syn::Path, syn::Token![,]> =
            paths.into_iter().filter(|p| !is_std_derive(p)).collect();
        if kept.is_empty() {
            return false;
        }
        *attr = syn::parse_quote!(#[derive(#kept)]);
        true
    });
    item
}

/// `Debug`, `core::fmt::Debug`, `std::hash::Hash` …
fn is_std_derive(path: &syn::Path) -> bool {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let std_root = segs.len() == 1 || matches!(segs[0].as_str(), "std" | "core");
    std_root
        && segs
            .last()
            .is_some_and(|l| STD_DERIVES.contains(&l.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_hash;

    fn hash(src: &str) -> crate::Digest {
        canonical_hash(&without_std_derives(syn::parse_str(src).unwrap()))
    }

    #[test]
    fn std_derives_do_not_count_others_do() {
        let plain = hash("struct S { a: u8 }");
        assert_eq!(plain, hash("#[derive(Debug, Clone)] struct S { a: u8 }"));
        assert_eq!(
            plain,
            hash("#[derive(std::hash::Hash)] #[derive(PartialEq)] struct S { a: u8 }")
        );
        let serde = hash("#[derive(serde::Serialize)] struct S { a: u8 }");
        assert_ne!(plain, serde);
        assert_eq!(
            serde,
            hash("#[derive(Debug, serde::Serialize, Clone)] struct S { a: u8 }")
        );
        assert_ne!(
            serde,
            hash("#[derive(serde::Deserialize)] struct S { a: u8 }")
        );
        // The fields still count.
        assert_ne!(plain, hash("#[derive(Debug)] struct S { a: u16 }"));
    }
}
