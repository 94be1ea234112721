//! Items written inside function bodies (nested items): `fn`, `struct`,
//! `enum`, `const`, `static`, `impl`, `use`, `macro_rules!` … in a block.
//!
//! They are part of the crate like any other item: a nested cached fn is
//! located by the index, its names resolve through the blocks around it
//! (innermost first) before its module, and its path — and so its identity —
//! names the functions it is written in (`english::greet`). Found here with
//! the same flat tokens as module items, scanning only the bodies of
//! functions; each is recorded with the block it is visible in.

use crate::lexer::{Kind, Tokens};
use crate::shallow::{self, AssocKind, Item, ItemKind, Range};

/// An item written in a block.
#[derive(Clone, Debug)]
pub(crate) struct Nested {
    pub item: Item,
    /// Bytes of the block (braces included) the item is visible in.
    pub block: Range,
    /// Names of what the block is in, outermost first, below the module:
    /// `["english"]`, `["Parser", "parse"]` for a method.
    pub enclosing: Vec<String>,
}

/// The nested items of a file whose module-level items are `items`.
pub(crate) fn scan(t: &Tokens, items: &[Item]) -> Vec<Nested> {
    let mut out = Vec::new();
    for item in items {
        insides(t, item, &[], &mut out);
    }
    out
}

/// Token index of the token starting at byte `offset`.
fn token_at(t: &Tokens, offset: u32) -> Option<usize> {
    t.toks.binary_search_by_key(&offset, |tok| tok.start).ok()
}

/// The `{` whose group ends at byte `end` and starts at or after `from`.
fn body_open(t: &Tokens, span: Range) -> Option<usize> {
    let first = token_at(t, span.0)?;
    let last = t
        .toks
        .partition_point(|tok| tok.end <= span.1)
        .checked_sub(1)?;
    if !(t.toks[last].kind == Kind::Close && t.toks[last].ch == b'}') {
        return None;
    }
    (first..last).find(|&k| t.is_open(k, b'{') && t.close[k] as usize == last)
}

fn with(enclosing: &[String], name: &str) -> Vec<String> {
    let mut out = enclosing.to_vec();
    if !name.is_empty() {
        out.push(name.to_owned());
    }
    out
}

/// Scans the code inside `item` (fn bodies, method bodies, initializers)
/// for nested items. `enclosing` is empty at module level.
fn insides(t: &Tokens, item: &Item, enclosing: &[String], out: &mut Vec<Nested>) {
    match &item.kind {
        ItemKind::Fn(_) => {
            if let Some(open) = body_open(t, item.span) {
                block(t, open, &with(enclosing, &item.name), out);
            }
        }
        ItemKind::Impl(parts) => {
            let owner = with(
                enclosing,
                parts.self_ty.segs.last().map_or("", String::as_str),
            );
            assoc_bodies(t, &parts.items, &owner, out);
        }
        ItemKind::Trait { items, .. } => {
            assoc_bodies(t, items, &with(enclosing, &item.name), out);
        }
        ItemKind::Mod { body: Some(inner) } => {
            // A module's own items are module items; only a module written
            // inside a function adds to the path of what it contains.
            let inner_enclosing = if enclosing.is_empty() {
                Vec::new()
            } else {
                with(enclosing, &item.name)
            };
            for it in inner {
                insides(t, it, &inner_enclosing, out);
            }
        }
        ItemKind::Const | ItemKind::Static => {
            if let (Some(first), Some(last)) = (
                token_at(t, item.span.0),
                t.toks
                    .partition_point(|tok| tok.end <= item.span.1)
                    .checked_sub(1),
            ) {
                groups(t, first, last + 1, &with(enclosing, &item.name), out);
            }
        }
        _ => {}
    }
}

fn assoc_bodies(t: &Tokens, items: &[shallow::Assoc], owner: &[String], out: &mut Vec<Nested>) {
    for a in items {
        if matches!(a.kind, AssocKind::Fn(_))
            && let Some(open) = body_open(t, a.span)
        {
            block(t, open, &with(owner, &a.name), out);
        }
    }
}

/// Brace groups anywhere in tokens `lo..hi` are blocks (or struct literals,
/// which hold no item starts).
fn groups(t: &Tokens, lo: usize, hi: usize, enclosing: &[String], out: &mut Vec<Nested>) {
    let mut i = lo;
    while i < hi {
        if t.toks[i].kind == Kind::Open {
            if t.toks[i].ch == b'{' {
                block(t, i, enclosing, out);
            } else {
                groups(t, i + 1, t.close[i] as usize, enclosing, out);
            }
            i = t.close[i] as usize + 1;
        } else {
            i += 1;
        }
    }
}

/// The block opening at token `open`: items at statement starts are
/// recorded; every group inside is scanned for blocks of its own.
fn block(t: &Tokens, open: usize, enclosing: &[String], out: &mut Vec<Nested>) {
    let close = t.close[open] as usize;
    let range = (t.toks[open].start, t.toks[close].end);
    let mut i = open + 1;
    let mut statement_start = true;
    while i < close {
        if statement_start && item_starts(t, i, close) {
            let (found, next) = shallow::item(t, i, close);
            if let Some(item) = found.filter(is_block_item) {
                insides(t, &item, enclosing, out);
                out.push(Nested {
                    item,
                    block: range,
                    enclosing: enclosing.to_vec(),
                });
            }
            i = next.max(i + 1);
            continue;
        }
        let tok = t.toks[i];
        if tok.kind == Kind::Open {
            if tok.ch == b'{' {
                block(t, i, enclosing, out);
            } else {
                groups(t, i + 1, t.close[i] as usize, enclosing, out);
            }
            // `if c { } fn f() {}`: an item may follow a block.
            statement_start = tok.ch == b'{';
            i = t.close[i] as usize + 1;
            continue;
        }
        statement_start = t.is_punct(i, b';');
        i += 1;
    }
}

fn is_block_item(item: &Item) -> bool {
    matches!(
        item.kind,
        ItemKind::Fn(_)
            | ItemKind::Struct
            | ItemKind::Enum { .. }
            | ItemKind::Union
            | ItemKind::TypeAlias
            | ItemKind::Trait { .. }
            | ItemKind::Const
            | ItemKind::Static
            | ItemKind::Use(_)
            | ItemKind::Impl(_)
            | ItemKind::MacroRules
    ) && (!item.name.is_empty() || matches!(item.kind, ItemKind::Use(_) | ItemKind::Impl(_)))
}

/// Whether an item (not an expression or `let`) starts at token `i`:
/// attributes, visibility and qualifiers, then an item keyword followed by
/// what only an item has there (`unsafe {`, `const {`, `async move {` and
/// `static ||` are expressions).
fn item_starts(t: &Tokens, mut i: usize, hi: usize) -> bool {
    while i + 1 < hi && t.is_punct(i, b'#') && t.is_open(i + 1, b'[') {
        i = t.close[i + 1] as usize + 1;
    }
    if t.is_ident(i, "pub") {
        i += 1;
        if t.is_open(i, b'(') {
            i = t.close[i] as usize + 1;
        }
    }
    let ident_at = |k: usize| {
        k < hi && t.toks[k].kind == Kind::Ident && !t.is_ident(k, "move") && !t.is_ident(k, "mut")
    };
    loop {
        if i >= hi || t.toks[i].kind != Kind::Ident {
            return false;
        }
        match t.text(i) {
            "fn" | "struct" | "enum" | "trait" | "mod" | "type" => return ident_at(i + 1),
            "union" => return ident_at(i + 1),
            "use" | "impl" => return true,
            "macro_rules" => return t.is_punct(i + 1, b'!'),
            "static" => return ident_at(i + 1) || t.is_ident(i + 1, "mut"),
            "const" if ident_at(i + 1) && !t.is_ident(i + 1, "fn") => return true,
            "const" | "async" | "unsafe" | "safe" | "default" | "auto" => i += 1,
            "extern" => {
                i += 1;
                if i < hi && t.toks[i].kind == Kind::Literal {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(src: &str) -> Vec<(String, String, &str)> {
        let tokens = crate::lexer::lex(src).unwrap();
        let items = shallow::items(&tokens, 0, tokens.toks.len());
        scan(&tokens, &items)
            .into_iter()
            .map(|n| {
                let kind = match n.item.kind {
                    ItemKind::Fn(_) => "fn",
                    ItemKind::Use(_) => "use",
                    ItemKind::Impl(_) => "impl",
                    ItemKind::Struct => "struct",
                    ItemKind::Const => "const",
                    ItemKind::Static => "static",
                    ItemKind::MacroRules => "macro",
                    _ => "other",
                };
                let path = with(&n.enclosing, &n.item.name).join("::");
                (
                    format!("{kind} {path}"),
                    src[n.block.0 as usize..n.block.1 as usize]
                        .chars()
                        .take(12)
                        .collect(),
                    &src[n.item.span.0 as usize..n.item.span.1 as usize],
                )
            })
            .collect()
    }

    #[test]
    fn finds_items_in_blocks_with_their_block_and_path() {
        let src = "fn english() -> String { fn word() -> &'static str { \"hello\" } \
                   #[funcache::cache] fn greet(n: u32) -> String { format!(\"{} #{n}\", word()) } \
                   greet(1) }\n\
                   fn kind_glob(a: bool) -> u32 { use crate::Kind::*; let k = if a { A } else { B }; \
                   match k { A => { const C: u32 = 1; C } B => helpers::two() } }\n\
                   impl S { fn m(&self) { struct Local; impl Local { fn new() { static X: u8 = 0; } } } }\n\
                   mod m { fn f() { if x < y { fn inside() {} } let c = || { macro_rules! mac { () => {} } }; } }";
        let got = nested(src);
        let names: Vec<&str> = got.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "fn english::word",
                "fn english::greet",
                "use kind_glob",
                "const kind_glob::C",
                "struct S::m::Local",
                "static S::m::Local::new::X",
                "impl S::m",
                "fn f::inside",
                "macro f::mac",
            ]
        );
        assert!(got[1].2.starts_with("#[funcache::cache] fn greet"));
        assert!(got[0].1.starts_with("{ fn word"));
        assert!(got[3].1.starts_with("{ const C"));
    }

    #[test]
    fn expressions_are_not_items() {
        let src = "fn f() { unsafe { g() }; const { 1 }; let s = async move { 1 }; \
                   let t = static || 1; S { r#type: 1 }; match x { A => {} } \
                   pub(crate) static mut Y: u8 = 0; }";
        let got = nested(src);
        let names: Vec<&str> = got.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(names, ["static f::Y"]);
    }
}
