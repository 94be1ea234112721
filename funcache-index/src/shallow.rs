//! Shallow item recognition over [`crate::lexer`] tokens.
//!
//! Finds the items of a file — their kind, name, attributes and byte ranges —
//! without parsing function bodies, const initializers or type definitions.
//! Those are kept as byte ranges of the file text and parsed with syn only
//! when a closure reaches them; that is what keeps indexing within budget.

use crate::lexer::{Kind, Tokens};

/// A byte range in a file's text.
pub(crate) type Range = (u32, u32);

/// An outer attribute `#[path args]` or `#[path = value]`.
#[derive(Clone, Debug)]
pub(crate) struct Attr {
    /// Path segments, e.g. `["funcache", "cache"]`.
    pub path: Vec<String>,
    /// Inside the parentheses of `#[path(...)]`, if any.
    pub args: Option<Range>,
    /// The string of `#[path = "value"]`, unescaped, if any.
    pub value: Option<String>,
}

/// A `use` tree flattened into one entry per binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UseEntry {
    /// Full path; a leading `::` is the segment `"::"`.
    pub path: Vec<String>,
    /// The name it binds (`None` for a glob or `as _`).
    pub name: Option<String>,
    /// `use path::*`.
    pub glob: bool,
}

/// A path written in an impl header, generic arguments dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct TyPath {
    /// Path segments (empty for tuples, slices, `fn` pointers…).
    pub segs: Vec<String>,
    /// Compact printed form of the whole type, for display.
    pub text: String,
}

/// A function's parts.
#[derive(Clone, Debug)]
pub(crate) struct FnParts {
    /// From the first qualifier (`const`, `async`, `fn` …) to the body.
    pub sig: Range,
    /// Whether the first parameter is `self` (it can be called as a method).
    pub has_self: bool,
}

/// An item inside an `impl` or `trait` block.
#[derive(Clone, Debug)]
pub(crate) struct Assoc {
    pub kind: AssocKind,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub span: Range,
}

/// What an [`Assoc`] is.
#[derive(Clone, Debug)]
pub(crate) enum AssocKind {
    Fn(FnParts),
    Const,
    Type,
    /// A macro invocation in an impl; its expansion is invisible to us.
    Macro,
}

/// An `impl` block's header facts.
#[derive(Clone, Debug)]
pub(crate) struct ImplParts {
    /// `impl … ` up to (not including) the `{`.
    pub header: Range,
    pub self_ty: TyPath,
    pub trait_: Option<TyPath>,
    /// Type and const parameter names of the impl.
    pub generics: Vec<String>,
    pub items: Vec<Assoc>,
}

/// The kind of an item, with what resolution needs.
#[derive(Clone, Debug)]
pub(crate) enum ItemKind {
    Fn(FnParts),
    Struct,
    Enum {
        variants: Vec<String>,
    },
    Union,
    TypeAlias,
    Trait {
        header: Range,
        items: Vec<Assoc>,
    },
    Const,
    Static,
    Use(Vec<UseEntry>),
    ExternCrate {
        krate: String,
    },
    /// `mod name;` (`body: None`) or `mod name { … }`.
    Mod {
        body: Option<Vec<Item>>,
    },
    Impl(ImplParts),
    MacroRules,
    /// An item-position macro call whose contents were not items.
    MacroCall,
    Other,
}

/// One item of a module.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub kind: ItemKind,
    /// The name, `""` for impls, uses and macro calls.
    pub name: String,
    pub attrs: Vec<Attr>,
    /// From the first attribute to the last token.
    pub span: Range,
    /// When the item was written inside an item-position macro call
    /// (`ast_struct! { pub struct S { .. } }`): the macro's path.
    pub via_macro: Option<Vec<String>>,
}

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

/// Outer attributes starting at `i`; returns them and the index after.
fn attrs(t: &Tokens, mut i: usize, hi: usize) -> (Vec<Attr>, usize) {
    let mut out = Vec::new();
    while i + 1 < hi && t.is_punct(i, b'#') && t.is_open(i + 1, b'[') {
        let open = i + 1;
        let close = t.close[open] as usize;
        let mut j = open + 1;
        let (path, after) = path_at(t, j, close);
        j = after;
        let mut args = None;
        let mut value = None;
        if t.is_open(j, b'(') {
            let c = t.close[j] as usize;
            args = Some((t.toks[j].end, t.toks[c].start));
        } else if t.is_punct(j, b'=') && j + 1 < close && t.toks[j + 1].kind == Kind::Literal {
            value = Some(unquote(t.text(j + 1)));
        }
        out.push(Attr { path, args, value });
        i = close + 1;
    }
    (out, i)
}

/// The value of a string literal (simple escapes only; enough for paths).
pub(crate) fn unquote(lit: &str) -> String {
    if let Some(raw) = lit.strip_prefix('r') {
        let trimmed = raw.trim_matches('#');
        return trimmed
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(trimmed)
            .to_owned();
    }
    let inner = lit
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(lit);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A path `a::b::c` (leading `::` kept as `"::"`) starting at `i`, generic
/// arguments not included. Returns the segments and the index after.
pub(crate) fn path_at(t: &Tokens, mut i: usize, hi: usize) -> (Vec<String>, usize) {
    let mut segs = Vec::new();
    if i + 1 < hi && t.is_path_sep(i) {
        segs.push("::".to_owned());
        i += 2;
    }
    while i < hi && t.toks[i].kind == Kind::Ident {
        segs.push(t.text(i).to_owned());
        i += 1;
        if i + 1 < hi && t.is_path_sep(i) && i + 2 < hi && t.toks[i + 2].kind == Kind::Ident {
            i += 2;
        } else {
            break;
        }
    }
    (segs, i)
}

/// Skips a visibility (`pub`, `pub(crate)`, `pub(in path)`).
fn visibility(t: &Tokens, mut i: usize, hi: usize) -> usize {
    if i < hi && t.is_ident(i, "pub") {
        i += 1;
        if t.is_open(i, b'(') {
            i = t.skip(i);
        }
    }
    i
}

/// Index of the first `;` at this level, or of the first brace group at
/// angle-bracket depth 0 (`<{ N }>` const arguments are not bodies).
fn find_end(t: &Tokens, mut i: usize, hi: usize, brace_ends: bool) -> usize {
    let mut angle = 0i32;
    while i < hi {
        let tok = &t.toks[i];
        match tok.kind {
            Kind::Punct if tok.ch == b';' => return i,
            Kind::Punct if tok.ch == b'<' => angle += 1,
            Kind::Punct if tok.ch == b'>' => {
                // `->` and `=>` are not closing angle brackets.
                let arrow = i > 0 && t.toks[i - 1].joint && matches!(t.toks[i - 1].ch, b'-' | b'=');
                if !arrow && angle > 0 {
                    angle -= 1;
                }
            }
            Kind::Open if tok.ch == b'{' && brace_ends && angle == 0 => return i,
            _ => {}
        }
        i = t.skip(i);
    }
    hi
}

/// Parses one item at `i`; returns it (if any) and the index after it.
pub(crate) fn item(t: &Tokens, start: usize, hi: usize) -> (Option<Item>, usize) {
    let (attrs, i) = attrs(t, start, hi);
    if i >= hi {
        return (None, hi);
    }
    let span_start = t.toks[start].start;
    let make = |kind: ItemKind, name: String, attrs: Vec<Attr>, end: usize| Item {
        kind,
        name,
        attrs,
        span: (span_start, t.toks[end.min(hi - 1)].end),
        via_macro: None,
    };
    let after_vis = visibility(t, i, hi);
    let mut j = after_vis;
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
                // extern "C" { .. }: its declarations belong to this module.
                let open = j + 1;
                let close = t.close[open] as usize;
                let inner = items(t, open + 1, close);
                return (
                    Some(make(
                        ItemKind::Mod { body: Some(inner) },
                        String::new(),
                        attrs,
                        close,
                    )),
                    close + 1,
                );
            }
        }
        // `unsafe impl`, `auto trait`, `default fn`, `async fn`, …
        if t.is_ident(j, "default") && !t.toks.get(j + 1).is_some_and(|x| x.kind == Kind::Ident) {
            break;
        }
        j += 1;
    }
    let name_at = |k: usize| -> String {
        if k < hi && t.toks[k].kind == Kind::Ident {
            t.text(k).to_owned()
        } else {
            String::new()
        }
    };
    let kw = if j < hi && t.toks[j].kind == Kind::Ident {
        t.text(j)
    } else {
        ""
    };
    match kw {
        "fn" => {
            let name = name_at(j + 1);
            let end = find_end(t, j + 2, hi, true);
            let sig = (
                t.toks[after_vis.min(hi - 1)].start,
                t.toks[(end.min(hi) - 1).max(j)].end,
            );
            let sig = (qualifier_start(t, after_vis, j), sig.1);
            let has_self = has_self_param(t, j + 2, end.min(hi));
            let last = if end < hi && t.is_open(end, b'{') {
                t.close[end] as usize
            } else {
                end
            };
            (
                Some(make(
                    ItemKind::Fn(FnParts { sig, has_self }),
                    name,
                    attrs,
                    last,
                )),
                last + 1,
            )
        }
        "struct" | "enum" | "union" | "trait"
            if kw != "union" || t.toks.get(j + 1).is_some_and(|x| x.kind == Kind::Ident) =>
        {
            let name = name_at(j + 1);
            let end = find_end(t, j + 2, hi, true);
            let mut last = end;
            let mut kind = match kw {
                "struct" => ItemKind::Struct,
                "union" => ItemKind::Union,
                "enum" => ItemKind::Enum {
                    variants: Vec::new(),
                },
                _ => ItemKind::Trait {
                    header: (t.toks[start].start, t.toks[end.min(hi) - 1].end),
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
            } else if kw == "struct" || kw == "trait" {
                // Tuple struct or unit struct: runs to the `;`.
                last = find_end(t, j + 2, hi, false);
            }
            (Some(make(kind, name, attrs, last)), last + 1)
        }
        "static" if t.is_ident(j + 1, "ref") => {
            // `lazy_static!` syntax, not an item.
            let end = find_end(t, j, hi, false);
            (
                Some(make(ItemKind::Other, String::new(), attrs, end)),
                end + 1,
            )
        }
        "type" | "const" | "static" => {
            let mut k = j + 1;
            if kw == "static" && t.is_ident(k, "mut") {
                k += 1;
            }
            let name = if kw == "const" && t.is_ident(k, "_") {
                "_".to_owned()
            } else {
                name_at(k)
            };
            let end = find_end(t, k, hi, false);
            let kind = match kw {
                "type" => ItemKind::TypeAlias,
                "const" => ItemKind::Const,
                _ => ItemKind::Static,
            };
            (Some(make(kind, name, attrs, end)), end + 1)
        }
        "use" => {
            let end = find_end(t, j + 1, hi, false);
            let mut entries = Vec::new();
            use_tree(t, j + 1, end, &mut Vec::new(), &mut entries);
            (
                Some(make(ItemKind::Use(entries), String::new(), attrs, end)),
                end + 1,
            )
        }
        "extern" if t.is_ident(j + 1, "crate") => {
            let krate = name_at(j + 2);
            let end = find_end(t, j + 2, hi, false);
            let name = if t.is_ident(j + 3, "as") {
                name_at(j + 4)
            } else {
                krate.clone()
            };
            (
                Some(make(ItemKind::ExternCrate { krate }, name, attrs, end)),
                end + 1,
            )
        }
        "mod" => {
            let name = name_at(j + 1);
            let k = j + 2;
            if t.is_open(k, b'{') {
                let close = t.close[k] as usize;
                let inner = items(t, k + 1, close);
                (
                    Some(make(
                        ItemKind::Mod { body: Some(inner) },
                        name,
                        attrs,
                        close,
                    )),
                    close + 1,
                )
            } else {
                let end = find_end(t, k, hi, false);
                (
                    Some(make(ItemKind::Mod { body: None }, name, attrs, end)),
                    end + 1,
                )
            }
        }
        "impl" => {
            let end = find_end(t, j + 1, hi, true);
            if end >= hi || !t.is_open(end, b'{') {
                return (
                    Some(make(ItemKind::Other, String::new(), attrs, end)),
                    end + 1,
                );
            }
            let close = t.close[end] as usize;
            let mut parts = impl_header(t, j + 1, end);
            parts.header = (qualifier_start(t, after_vis, j), t.toks[end - 1].end);
            parts.items = assoc_items(t, end + 1, close);
            (
                Some(make(ItemKind::Impl(parts), String::new(), attrs, close)),
                close + 1,
            )
        }
        "macro_rules" if t.is_punct(j + 1, b'!') => {
            let name = name_at(j + 2);
            let g = j + 3;
            if g < hi && t.toks[g].kind == Kind::Open {
                let last = group_end(t, g);
                (
                    Some(make(ItemKind::MacroRules, name, attrs, last)),
                    last + 1,
                )
            } else {
                (None, g)
            }
        }
        _ => {
            // An item-position macro call `path! { .. }` / `path!(..);`.
            let (path, k) = path_at(t, j, hi);
            if !path.is_empty() && t.is_punct(k, b'!') {
                let mut g = k + 1;
                if g < hi && t.toks[g].kind == Kind::Ident {
                    g += 1; // `name! ident { .. }`
                }
                if g < hi && t.toks[g].kind == Kind::Open {
                    let last = group_end(t, g);
                    let mut call = make(ItemKind::MacroCall, String::new(), attrs, last);
                    // `ast_struct! { pub struct S { .. } }`: index what is
                    // inside when it reads as plain items.
                    let inner = items(t, g + 1, t.close[g] as usize);
                    let clean = !inner.is_empty()
                        && inner
                            .iter()
                            .all(|it| !matches!(it.kind, ItemKind::Other | ItemKind::MacroCall));
                    if clean {
                        call.kind = ItemKind::Mod {
                            body: Some(tag_macro(inner, &path)),
                        };
                    }
                    call.via_macro = Some(path);
                    return (Some(call), last + 1);
                }
            }
            let end = find_end(t, j, hi, true);
            let last = if end < hi && t.is_open(end, b'{') {
                t.close[end] as usize
            } else {
                end
            };
            (
                Some(make(ItemKind::Other, String::new(), attrs, last)),
                last + 1,
            )
        }
    }
}

/// Whether the parameter list after a fn name starts with `self`
/// (`self`, `mut self`, `&self`, `&'a mut self`, `self: Box<Self>`).
fn has_self_param(t: &Tokens, from: usize, end: usize) -> bool {
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

fn tag_macro(items: Vec<Item>, path: &[String]) -> Vec<Item> {
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
fn qualifier_start(t: &Tokens, after_vis: usize, kw_at: usize) -> u32 {
    t.toks[after_vis.min(kw_at)].start
}

/// Variant names of an enum body.
fn enum_variants(t: &Tokens, lo: usize, hi: usize) -> Vec<String> {
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
fn assoc_items(t: &Tokens, lo: usize, hi: usize) -> Vec<Assoc> {
    items(t, lo, hi)
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

/// Generics, trait and self type of `impl<..> Trait for Type where ..`,
/// tokens `lo..hi` being everything after `impl` up to the `{`.
fn impl_header(t: &Tokens, lo: usize, hi: usize) -> ImplParts {
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

/// The last token of a macro item whose group opens at `g`: the group's
/// close, or the `;` after it.
fn group_end(t: &Tokens, g: usize) -> usize {
    let close = t.close[g] as usize;
    if t.is_punct(close + 1, b';') {
        close + 1
    } else {
        close
    }
}

/// How the token at `k` changes angle-bracket depth: `<` opens, `>` closes
/// unless it ends `->` or `=>`.
fn angle_delta(t: &Tokens, k: usize) -> i32 {
    if t.is_punct(k, b'<') {
        1
    } else if t.is_punct(k, b'>')
        && !(k > 0 && t.toks[k - 1].joint && matches!(t.toks[k - 1].ch, b'-' | b'='))
    {
        -1
    } else {
        0
    }
}

/// Index of the `>` closing the `<` at `i`.
fn angle_end(t: &Tokens, i: usize, hi: usize) -> usize {
    let mut depth = 0i32;
    let mut k = i;
    while k < hi {
        let delta = angle_delta(t, k);
        depth += delta;
        if delta < 0 && depth == 0 {
            return k;
        }
        k = t.skip(k);
    }
    hi
}

/// Names of type and const parameters in `<..>` contents.
fn generic_names(t: &Tokens, lo: usize, hi: usize) -> Vec<String> {
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
fn ty_path(t: &Tokens, lo: usize, hi: usize) -> TyPath {
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

/// Flattens a use tree at `i..hi` under `prefix` into `out`.
fn use_tree(
    t: &Tokens,
    mut i: usize,
    hi: usize,
    prefix: &mut Vec<String>,
    out: &mut Vec<UseEntry>,
) {
    let depth = prefix.len();
    if i + 1 < hi && t.is_path_sep(i) {
        if prefix.is_empty() {
            prefix.push("::".to_owned());
        }
        i += 2;
    }
    loop {
        if i >= hi {
            break;
        }
        if t.is_punct(i, b'*') {
            out.push(UseEntry {
                path: prefix.clone(),
                name: None,
                glob: true,
            });
            break;
        }
        if t.is_open(i, b'{') {
            let close = t.close[i] as usize;
            let mut k = i + 1;
            while k < close {
                let mut end = k;
                while end < close && !t.is_punct(end, b',') {
                    end = t.skip(end);
                }
                if end > k {
                    use_tree(t, k, end, prefix, out);
                }
                k = end + 1;
            }
            break;
        }
        if t.toks[i].kind != Kind::Ident {
            break;
        }
        let seg = t.text(i).to_owned();
        if i + 1 < hi && t.is_path_sep(i + 1) {
            prefix.push(seg);
            i += 3;
            continue;
        }
        // Last segment: `name`, `name as alias`, `self`.
        let alias = if t.is_ident(i + 1, "as") && i + 2 < hi {
            Some(t.text(i + 2).to_owned())
        } else {
            None
        };
        let (path, default_name) = if seg == "self" {
            (prefix.clone(), prefix.last().cloned().unwrap_or_default())
        } else {
            let mut p = prefix.clone();
            p.push(seg.clone());
            (p, seg)
        };
        let name = alias.unwrap_or(default_name);
        out.push(UseEntry {
            path,
            name: (name != "_").then_some(name),
            glob: false,
        });
        break;
    }
    prefix.truncate(depth);
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
