//! The parts of an item header the index keys on: an impl's generics,
//! trait and self type, a fn's `self` parameter, an enum's variants, and
//! the items of an impl or trait body.

use super::data::{Assoc, AssocKind, ImplParts, Item, ItemKind, TyPath};
use super::items;
use super::token_nav::{angle_delta, angle_end, attrs, path_at, visibility};
use crate::lexer::{Kind, Tokens};

/// Whether the parameter list after a fn name starts with `self`
/// (`self`, `mut self`, `&self`, `&'a mut self`, `self: Box<Self>`).
pub(super) fn has_self_param(t: &Tokens, from: usize, end: usize) -> bool {
    let Some(open) = (from..end).find(|&k| t.is_open(k, b'(')) else {
        return false;
    };
    let mut k = open + 1;
    while t.is_punct(k, b'&')
        || t.is_ident(k, "mut")
        || t.toks.get(k).is_some_and(|x| x.kind == Kind::Lifetime)
    {
        k += 1;
    }
    k < t.close[open] as usize && t.is_ident(k, "self")
}

pub(super) fn tag_macro(items: Vec<Item>, path: &[String]) -> Vec<Item> {
    items
        .into_iter()
        .map(|mut it| {
            it.via_macro = Some(path.to_vec());
            it
        })
        .collect()
}

/// Byte offset where the qualifiers before keyword `kw_at` begin (after the
/// visibility).
pub(super) fn qualifier_start(t: &Tokens, after_vis: usize, kw_at: usize) -> u32 {
    t.toks[after_vis.min(kw_at)].start
}

/// Variant names of an enum body.
pub(super) fn enum_variants(t: &Tokens, lo: usize, hi: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = lo;
    while i < hi {
        let (_, k) = attrs(t, i, hi);
        let k = visibility(t, k, hi);
        if k < hi && t.toks[k].kind == Kind::Ident {
            out.push(t.text(k).to_owned());
        }
        // Skip to after the next top-level comma.
        let mut m = k;
        while m < hi && !t.is_punct(m, b',') {
            m = t.skip(m);
        }
        i = m + 1;
    }
    out
}

/// Items of an impl or trait body.
pub(super) fn assoc_items(t: &Tokens, lo: usize, hi: usize) -> Vec<Assoc> {
    flatten(items(t, lo, hi))
        .into_iter()
        .filter_map(|it| {
            let kind = match it.kind {
                ItemKind::Fn(parts) => AssocKind::Fn(parts),
                ItemKind::Const => AssocKind::Const,
                ItemKind::TypeAlias => AssocKind::Type,
                ItemKind::MacroCall | ItemKind::Mod { .. } if it.via_macro.is_some() => {
                    AssocKind::Macro
                }
                _ => return None,
            };
            Some(Assoc {
                kind,
                name: it.name,
                attrs: it.attrs,
                span: it.span,
            })
        })
        .collect()
}

/// Items with the items of a `cfg_if!` among them (a nameless item of its
/// written items, each gated) in their place.
fn flatten(found: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(found.len());
    for it in found {
        match it.kind {
            ItemKind::Mod { body: Some(inner) } if it.name.is_empty() && it.via_macro.is_none() => {
                out.extend(flatten(inner))
            }
            kind => out.push(Item { kind, ..it }),
        }
    }
    out
}

/// Generics, trait and self type of `impl<..> Trait for Type where ..`,
/// tokens `lo..hi` being everything after `impl` up to the `{`.
pub(super) fn impl_header(t: &Tokens, lo: usize, hi: usize) -> ImplParts {
    let mut i = lo;
    let mut generics = Vec::new();
    if t.is_punct(i, b'<') {
        let end = angle_end(t, i, hi);
        generics = generic_names(t, i + 1, end);
        i = end + 1;
    }
    if t.is_ident(i, "const") {
        i += 1;
    }
    let negative = t.is_punct(i, b'!');
    if negative {
        i += 1;
    }
    // The first type runs to a top-level `for` (then it was the trait) or to
    // `where` / the end.
    let stop = |from: usize, words: &[&str]| {
        let mut k = from;
        let mut angle = 0i32;
        while k < hi {
            let delta = angle_delta(t, k);
            angle += delta;
            if delta == 0 && angle == 0 && words.iter().any(|w| t.is_ident(k, w)) {
                return k;
            }
            k = t.skip(k);
        }
        hi
    };
    let first_end = stop(i, &["for", "where"]);
    let (trait_, self_from) = if first_end < hi && t.is_ident(first_end, "for") {
        (Some(ty_path(t, i, first_end)), first_end + 1)
    } else {
        (None, i)
    };
    let self_end = stop(self_from, &["where"]);
    ImplParts {
        header: (0, 0),
        self_ty: ty_path(t, self_from, self_end),
        trait_,
        generics,
        items: Vec::new(),
    }
}

/// Names of type and const parameters in `<..>` contents.
pub(super) fn generic_names(t: &Tokens, lo: usize, hi: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut k = lo;
    let mut at_param_start = true;
    let mut depth = 0i32;
    while k < hi {
        if t.is_punct(k, b'<') {
            depth += 1;
        } else if t.is_punct(k, b'>')
            && !(k > 0 && t.toks[k - 1].joint && matches!(t.toks[k - 1].ch, b'-' | b'='))
        {
            depth -= 1;
        } else if depth == 0 && t.is_punct(k, b',') {
            at_param_start = true;
            k += 1;
            continue;
        } else if at_param_start && depth == 0 {
            if t.is_ident(k, "const") {
                k += 1;
                continue;
            }
            if t.toks[k].kind == Kind::Ident {
                out.push(t.text(k).to_owned());
            }
            if t.toks[k].kind != Kind::Punct || t.toks[k].ch != b'#' {
                at_param_start = false;
            }
        }
        k = t.skip(k);
    }
    out
}

/// The path of a type in tokens `lo..hi`, references and `dyn` peeled.
pub(super) fn ty_path(t: &Tokens, lo: usize, hi: usize) -> TyPath {
    let mut text = String::new();
    let mut prev_word = false;
    for k in lo..hi {
        let word = matches!(t.toks[k].kind, Kind::Ident | Kind::Literal | Kind::Lifetime);
        if (word && prev_word)
            || (k > lo && t.toks[k - 1].kind == Kind::Punct && t.toks[k - 1].ch == b',')
        {
            text.push(' ');
        }
        text.push_str(t.text(k));
        prev_word = word;
    }
    let mut i = lo;
    while i < hi
        && (t.is_punct(i, b'&')
            || t.is_punct(i, b'*')
            || t.toks[i].kind == Kind::Lifetime
            || t.is_ident(i, "mut")
            || t.is_ident(i, "const")
            || t.is_ident(i, "dyn"))
    {
        i += 1;
    }
    let (segs, _) = if t.is_open(i, b'[') {
        (vec!["[]".to_owned()], i)
    } else {
        path_at(t, i, hi)
    };
    TyPath { segs, text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn whole<T>(src: &str, f: impl Fn(&Tokens, usize, usize) -> T) -> T {
        let t = lex(src).unwrap();
        f(&t, 0, t.toks.len())
    }

    #[test]
    fn impl_header_finds_trait_self_type_and_generics() {
        let parts = whole(
            "<T, const N: usize> !Send for &'a Vec<T> where T: X",
            impl_header,
        );
        assert_eq!(parts.generics, ["T", "N"]);
        assert_eq!(parts.trait_.unwrap().segs, ["Send"]);
        assert_eq!(parts.self_ty.segs, ["Vec"]);
        assert_eq!(parts.self_ty.text, "&'a Vec<T>");
        let inherent = whole("Wrapper<fn() -> u8>", impl_header);
        assert!(inherent.trait_.is_none());
        assert_eq!(inherent.self_ty.segs, ["Wrapper"]);
    }

    #[test]
    fn self_parameters_and_enum_variants() {
        for (params, expected) in [
            ("(&'a mut self, x: u8)", true),
            ("(self: Box<Self>)", true),
            ("(x: Self)", false),
            ("()", false),
        ] {
            assert_eq!(whole(params, has_self_param), expected, "{params}");
        }
        let variants = whole(
            "#[a] A = 1, pub B(u8), C { x: Vec<(u8, u8)> }",
            enum_variants,
        );
        assert_eq!(variants, ["A", "B", "C"]);
    }

    #[test]
    fn assoc_items_keep_fns_consts_types_and_macros() {
        let items = whole(
            "fn a(&self) {} const B: u8 = 1; type C = u8; m! { fn d() {} } struct X;",
            assoc_items,
        );
        let names: Vec<&str> = items.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a", "B", "C", ""]);
        assert!(matches!(items[3].kind, AssocKind::Macro));
    }
}
