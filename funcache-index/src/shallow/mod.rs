//! Shallow item recognition over [`crate::lexer`] tokens.
//!
//! Finds the items of a file — their kind, name, attributes and byte ranges —
//! without parsing function bodies, const initializers or type definitions.
//! Those are kept as byte ranges of the file text and parsed with syn only
//! when a closure reaches them; that is what keeps indexing within budget.

mod cfg_if;
mod data;
mod headers;
mod token_nav;
mod use_tree;

pub(crate) use data::{
    Assoc, AssocKind, Attr, FnParts, ImplParts, Item, ItemKind, Range, UseEntry,
};
pub(crate) use token_nav::path_at;

use crate::lexer::{Kind, Tokens};
use headers::{
    assoc_items, enum_variants, has_self_param, impl_header, qualifier_start, tag_macro,
};
use token_nav::{attrs, find_end, group_end, visibility};
use use_tree::use_tree;

const QUALIFIERS: &[&str] = &[
    "default", "const", "async", "unsafe", "safe", "extern", "auto",
];

/// Parses the items in tokens `lo..hi`. Unknown syntax becomes
/// [`ItemKind::Other`] spanning to the next `;` or brace group.
pub(crate) fn items(t: &Tokens, lo: usize, hi: usize) -> Vec<Item> {
    let mut out = Vec::new();
    let mut i = lo;
    while i < hi {
        // Inner attributes `#![..]` and stray semicolons.
        if t.is_punct(i, b'#') && t.is_punct(i + 1, b'!') && t.is_open(i + 2, b'[') {
            i = t.skip(i + 2);
            continue;
        }
        if t.is_punct(i, b';') {
            i += 1;
            continue;
        }
        let (item, next) = item(t, i, hi);
        out.extend(item);
        i = next.max(i + 1);
    }
    out
}

/// An item being read: its tokens up to `hi`, where its attributes start,
/// where its visibility ends and where its keyword is.
struct Site<'t> {
    t: &'t Tokens<'t>,
    start: usize,
    hi: usize,
    after_vis: usize,
    kw: usize,
}

/// What a keyword's reader found: everything of the item but its
/// attributes and span, which [`item`] adds.
struct Found {
    kind: ItemKind,
    name: String,
    /// Index of its last token.
    last: usize,
}

impl Site<'_> {
    /// The identifier at `k`, or `""`.
    fn name_at(&self, k: usize) -> String {
        if k < self.hi && self.t.toks[k].kind == Kind::Ident {
            self.t.text(k).to_owned()
        } else {
            String::new()
        }
    }

    fn found(&self, kind: ItemKind, name: String, last: usize) -> Found {
        Found { kind, name, last }
    }

    /// The last token of an item whose body may be a brace group at `end`.
    fn through_body(&self, end: usize) -> usize {
        if end < self.hi && self.t.is_open(end, b'{') {
            self.t.close[end] as usize
        } else {
            end
        }
    }
}

/// Parses one item at `i`; returns it (if any) and the index after it.
pub(crate) fn item(t: &Tokens, start: usize, hi: usize) -> (Option<Item>, usize) {
    let (attrs, i) = attrs(t, start, hi);
    if i >= hi {
        return (None, hi);
    }
    let after_vis = visibility(t, i, hi);
    let kw = match skip_qualifiers(t, after_vis, hi) {
        Keyword::At(kw) => kw,
        Keyword::ExternBlock(block) => return finish(t, start, hi, attrs, block, None),
    };
    let site = Site {
        t,
        start,
        hi,
        after_vis,
        kw,
    };
    let word = if kw < hi && t.toks[kw].kind == Kind::Ident {
        t.text(kw)
    } else {
        ""
    };
    let found = match word {
        "fn" => fn_item(&site),
        "struct" | "enum" | "union" | "trait"
            if word != "union" || t.toks.get(kw + 1).is_some_and(|x| x.kind == Kind::Ident) =>
        {
            type_item(&site, word)
        }
        // `lazy_static!` syntax, not an item.
        "static" if t.is_ident(kw + 1, "ref") => {
            site.found(ItemKind::Other, String::new(), find_end(t, kw, hi, false))
        }
        "type" | "const" | "static" => value_item(&site, word),
        "use" => {
            let end = find_end(t, kw + 1, hi, false);
            let mut entries = Vec::new();
            use_tree(t, kw + 1, end, &mut Vec::new(), &mut entries);
            site.found(ItemKind::Use(entries), String::new(), end)
        }
        "extern" if t.is_ident(kw + 1, "crate") => extern_crate(&site),
        "mod" => mod_item(&site),
        "impl" => impl_item(&site),
        "macro_rules" if t.is_punct(kw + 1, b'!') => {
            let g = kw + 3;
            if g < hi && t.toks[g].kind == Kind::Open {
                site.found(ItemKind::MacroRules, site.name_at(kw + 2), group_end(t, g))
            } else {
                return (None, g);
            }
        }
        _ => {
            if let Some(found) = cfg_if_call(&site, &attrs) {
                return finish(t, start, hi, Vec::new(), found, None);
            }
            if let Some((found, path)) = macro_call(&site) {
                return finish(t, start, hi, attrs, found, Some(path));
            }
            let last = site.through_body(find_end(t, kw, hi, true));
            site.found(ItemKind::Other, String::new(), last)
        }
    };
    finish(t, start, hi, attrs, found, None)
}

/// The item from what was found, and the index after it.
fn finish(
    t: &Tokens,
    start: usize,
    hi: usize,
    attrs: Vec<Attr>,
    found: Found,
    via_macro: Option<Vec<String>>,
) -> (Option<Item>, usize) {
    let item = Item {
        kind: found.kind,
        name: found.name,
        attrs,
        span: (t.toks[start].start, t.toks[found.last.min(hi - 1)].end),
        via_macro,
    };
    (Some(item), found.last + 1)
}

/// Skips qualifiers (`unsafe impl`, `auto trait`, `default fn`, `async
/// fn`, `extern "C" fn` …) from `i`: the index of the keyword, or an
/// `extern "C" { .. }` block, whose declarations belong to the module.
fn skip_qualifiers(t: &Tokens, i: usize, hi: usize) -> Keyword {
    let mut j = i;
    while j < hi && QUALIFIERS.iter().any(|q| t.is_ident(j, q)) {
        // `const NAME:` / `const _:` is a const item, not a qualifier.
        if t.is_ident(j, "const")
            && !(t.is_ident(j + 1, "fn") || QUALIFIERS.iter().any(|q| t.is_ident(j + 1, q)))
        {
            break;
        }
        if t.is_ident(j, "extern") {
            if t.is_ident(j + 1, "crate") {
                break;
            }
            if j + 1 < hi && t.toks[j + 1].kind == Kind::Literal {
                j += 1;
            }
            if t.is_open(j + 1, b'{') {
                let open = j + 1;
                let close = t.close[open] as usize;
                let inner = items(t, open + 1, close);
                return Keyword::ExternBlock(Found {
                    kind: ItemKind::Mod { body: Some(inner) },
                    name: String::new(),
                    last: close,
                });
            }
        }
        if t.is_ident(j, "default") && !t.toks.get(j + 1).is_some_and(|x| x.kind == Kind::Ident) {
            break;
        }
        j += 1;
    }
    Keyword::At(j)
}

/// Where [`skip_qualifiers`] stopped.
enum Keyword {
    /// At the item's keyword (or whatever is there).
    At(usize),
    /// After an `extern "C" { .. }` block, read whole.
    ExternBlock(Found),
}

/// `fn name(..) -> R where .. { body }` or a declaration ending in `;`.
fn fn_item(s: &Site) -> Found {
    let (t, hi, j) = (s.t, s.hi, s.kw);
    let end = find_end(t, j + 2, hi, true);
    // The signature starts at the qualifiers: `const unsafe fn f`.
    let sig = (
        qualifier_start(t, s.after_vis, j),
        t.toks[(end.min(hi) - 1).max(j)].end,
    );
    let has_self = has_self_param(t, j + 2, end.min(hi));
    s.found(
        ItemKind::Fn(FnParts { sig, has_self }),
        s.name_at(j + 1),
        s.through_body(end),
    )
}

/// `struct`, `enum`, `union` or `trait` (`word`), with its body.
fn type_item(s: &Site, word: &str) -> Found {
    let (t, hi, j) = (s.t, s.hi, s.kw);
    let end = find_end(t, j + 2, hi, true);
    let mut last = end;
    let mut kind = match word {
        "struct" => ItemKind::Struct,
        "union" => ItemKind::Union,
        "enum" => ItemKind::Enum {
            variants: Vec::new(),
        },
        _ => ItemKind::Trait {
            header: (t.toks[s.start].start, t.toks[end.min(hi) - 1].end),
            items: Vec::new(),
        },
    };
    if end < hi && t.is_open(end, b'{') {
        last = t.close[end] as usize;
        match &mut kind {
            ItemKind::Enum { variants } => *variants = enum_variants(t, end + 1, last),
            ItemKind::Trait { items, .. } => *items = assoc_items(t, end + 1, last),
            _ => {}
        }
    } else if word == "struct" || word == "trait" {
        // Tuple struct or unit struct: runs to the `;`.
        last = find_end(t, j + 2, hi, false);
    }
    s.found(kind, s.name_at(j + 1), last)
}

/// `type`, `const` or `static` (`word`): runs to its `;`.
fn value_item(s: &Site, word: &str) -> Found {
    let (t, hi) = (s.t, s.hi);
    let mut k = s.kw + 1;
    if word == "static" && t.is_ident(k, "mut") {
        k += 1;
    }
    let name = if word == "const" && t.is_ident(k, "_") {
        "_".to_owned()
    } else {
        s.name_at(k)
    };
    let kind = match word {
        "type" => ItemKind::TypeAlias,
        "const" => ItemKind::Const,
        _ => ItemKind::Static,
    };
    s.found(kind, name, find_end(t, k, hi, false))
}

/// `extern crate krate;` or `extern crate krate as name;`.
fn extern_crate(s: &Site) -> Found {
    let j = s.kw;
    let krate = s.name_at(j + 2);
    let end = find_end(s.t, j + 2, s.hi, false);
    let name = if s.t.is_ident(j + 3, "as") {
        s.name_at(j + 4)
    } else {
        krate.clone()
    };
    s.found(ItemKind::ExternCrate { krate }, name, end)
}

/// `mod name { .. }` (its items read now) or `mod name;` (a file).
fn mod_item(s: &Site) -> Found {
    let (t, k) = (s.t, s.kw + 2);
    let name = s.name_at(s.kw + 1);
    if t.is_open(k, b'{') {
        let close = t.close[k] as usize;
        let inner = items(t, k + 1, close);
        s.found(ItemKind::Mod { body: Some(inner) }, name, close)
    } else {
        let end = find_end(t, k, s.hi, false);
        s.found(ItemKind::Mod { body: None }, name, end)
    }
}

/// `impl<..> Trait for Type where .. { items }`.
fn impl_item(s: &Site) -> Found {
    let (t, hi, j) = (s.t, s.hi, s.kw);
    let end = find_end(t, j + 1, hi, true);
    if end >= hi || !t.is_open(end, b'{') {
        return s.found(ItemKind::Other, String::new(), end);
    }
    let close = t.close[end] as usize;
    let mut parts = impl_header(t, j + 1, end);
    parts.header = (qualifier_start(t, s.after_vis, j), t.toks[end - 1].end);
    parts.items = assoc_items(t, end + 1, close);
    s.found(ItemKind::Impl(parts), String::new(), close)
}

/// `cfg_if! { .. }` (any path ending in `cfg_if`) as a nameless item
/// holding the items it writes, each gated by its branch and by the
/// invocation's own `#[cfg]`s (see [`cfg_if`]); `None` for anything else.
fn cfg_if_call(s: &Site, attrs: &[Attr]) -> Option<Found> {
    let (t, hi) = (s.t, s.hi);
    let (path, k) = path_at(t, s.kw, hi);
    if path.last().is_none_or(|last| last != "cfg_if") || !t.is_punct(k, b'!') {
        return None;
    }
    let g = k + 1;
    if g >= hi || t.toks[g].kind != Kind::Open {
        return None;
    }
    let mut inner = cfg_if::branch_items(t, g + 1, t.close[g] as usize)?;
    for attr in attrs.iter().filter(|a| a.path == ["cfg"]) {
        for item in &mut inner {
            cfg_if::add_gate(item, attr);
        }
    }
    Some(s.found(
        ItemKind::Mod { body: Some(inner) },
        String::new(),
        group_end(t, g),
    ))
}

/// An item-position macro call `path! { .. }` / `path!(..);`, and the
/// macro's path. `ast_struct! { pub struct S { .. } }` reads as a module
/// of the items inside when they are plain items.
fn macro_call(s: &Site) -> Option<(Found, Vec<String>)> {
    let (t, hi) = (s.t, s.hi);
    let (path, k) = path_at(t, s.kw, hi);
    if path.is_empty() || !t.is_punct(k, b'!') {
        return None;
    }
    let mut g = k + 1;
    if g < hi && t.toks[g].kind == Kind::Ident {
        g += 1; // `name! ident { .. }`
    }
    if g >= hi || t.toks[g].kind != Kind::Open {
        return None;
    }
    let last = group_end(t, g);
    let inner = items(t, g + 1, t.close[g] as usize);
    let clean = !inner.is_empty()
        && inner
            .iter()
            .all(|it| !matches!(it.kind, ItemKind::Other | ItemKind::MacroCall));
    let kind = if clean {
        ItemKind::Mod {
            body: Some(tag_macro(inner, &path)),
        }
    } else {
        ItemKind::MacroCall
    };
    Some((s.found(kind, String::new(), last), path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn parse(src: &str) -> Vec<Item> {
        let t = lex(src).unwrap();
        items(&t, 0, t.toks.len())
    }

    fn text(src: &str, r: Range) -> &str {
        &src[r.0 as usize..r.1 as usize]
    }

    #[test]
    fn finds_functions_and_their_bodies() {
        let src = "/// doc\n#[inline] pub(crate) const unsafe fn f<const N: usize>() -> Foo<{ N + 1 }> where T: X { body() }\nfn g();";
        let items = parse(src);
        assert_eq!(items.len(), 2);
        let ItemKind::Fn(parts) = &items[0].kind else {
            panic!()
        };
        assert_eq!(items[0].name, "f");
        assert_eq!(items[0].attrs[0].path, ["inline"]);
        assert!(text(src, items[0].span).ends_with("{ body() }"));
        assert!(text(src, parts.sig).starts_with("const unsafe fn f"));
        assert!(text(src, items[0].span).starts_with("#[inline]"));
        assert_eq!(items[1].name, "g");
    }

    #[test]
    fn flattens_use_trees() {
        let items =
            parse("use a::{b as c, d::{self, e}, f::*, g as _}; pub use ::ext::h; use crate::x;");
        let mut entries = Vec::new();
        for it in items {
            if let ItemKind::Use(e) = it.kind {
                entries.extend(e);
            }
        }
        let show: Vec<String> = entries
            .iter()
            .map(|e| {
                format!(
                    "{}={}{}",
                    e.name.clone().unwrap_or_default(),
                    e.path.join("/"),
                    if e.glob { "/*" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            show,
            [
                "c=a/b",
                "d=a/d",
                "e=a/d/e",
                "=a/f/*",
                "=a/g",
                "h=::/ext/h",
                "x=crate/x"
            ]
        );
    }

    #[test]
    fn impl_headers() {
        let src = "impl<T: Clone, const N: usize> fmt::Display for Wrapper<T, N> where T: Debug { fn fmt(&self) {} const C: u8 = 1; }\nunsafe impl Send for &'a mut Foo {}\nimpl Bar { }";
        let items = parse(src);
        let ItemKind::Impl(a) = &items[0].kind else {
            panic!()
        };
        assert_eq!(a.generics, ["T", "N"]);
        assert_eq!(a.trait_.as_ref().unwrap().segs, ["fmt", "Display"]);
        assert_eq!(a.self_ty.segs, ["Wrapper"]);
        assert_eq!(a.self_ty.text, "Wrapper<T, N>");
        assert_eq!(a.items.len(), 2);
        assert!(text(src, a.header).starts_with("impl<T"));
        let ItemKind::Impl(b) = &items[1].kind else {
            panic!()
        };
        assert_eq!(b.self_ty.segs, ["Foo"]);
        let ItemKind::Impl(c) = &items[2].kind else {
            panic!()
        };
        assert!(c.trait_.is_none());
        assert_eq!(c.self_ty.segs, ["Bar"]);
    }

    #[test]
    fn other_items() {
        let src = "struct A(u8); struct B { x: u8 } enum E { X = 1, #[a] Y(u8), Z { q: u8 } } const C: S = S { a: 1 }; static mut M: u8 = 0; type T<X> = Vec<X>; mod m; mod n { fn inner() {} } macro_rules! mac { () => {} } trait Tr: Sized { fn d(&self) { } fn e(); } extern crate foo as bar; union U { a: u8 } ast_struct! { pub struct Gen { a: u8 } } lazy_static! { static ref X: u8 = 1; }";
        let items = parse(src);
        let names: Vec<_> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "A", "B", "E", "C", "M", "T", "m", "n", "mac", "Tr", "bar", "U", "", ""
            ]
        );
        let ItemKind::Enum { variants } = &items[2].kind else {
            panic!()
        };
        assert_eq!(variants, &["X", "Y", "Z"]);
        let ItemKind::Trait {
            items: trait_items, ..
        } = &items[9].kind
        else {
            panic!()
        };
        assert_eq!(trait_items.len(), 2);
        let ItemKind::Mod {
            body: Some(generated),
        } = &items[12].kind
        else {
            panic!()
        };
        assert_eq!(generated[0].name, "Gen");
        assert_eq!(
            generated[0].via_macro.as_deref(),
            Some(&["ast_struct".to_owned()][..])
        );
        assert!(matches!(items[13].kind, ItemKind::MacroCall));
    }

    #[test]
    fn path_attribute_values() {
        let items = parse("#[path = \"a/b.rs\"] mod x; #[path = r\"c.rs\"] mod y;");
        assert_eq!(items[0].attrs[0].value.as_deref(), Some("a/b.rs"));
        assert_eq!(items[1].attrs[0].value.as_deref(), Some("c.rs"));
    }
}
