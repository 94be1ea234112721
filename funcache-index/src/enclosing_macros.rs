//! The macro definitions and invocations whose delimiters enclose a place
//! in a source file, and whether the index can know the scope of a cached
//! function written there.
//!
//! A cached function written inside a `macro_rules!` (or `macro`)
//! definition is compiled wherever the macro is invoked: the module it
//! lands in and what its metavariables stand for are known only there, and
//! the macro's site (its span) points into the definition for every
//! expansion. One inside a user macro's invocation (`wrap! { .. }`) may be
//! moved into another module or rewritten. The index sees neither, so it
//! must not claim to: such a function gets the fallback fingerprint. A
//! `cfg_if!` invocation only selects items where they are written, so it
//! hides no scope.

use crate::lexer::{self, Kind, Tokens};
use crate::shallow::{ImplParts, Item, ItemKind, Range};

/// Invocations known to leave the items they are given where they are.
const TRANSPARENT: &[&str] = &["cfg_if"];

/// Words that may stand before `!` or `! ident` without naming a macro
/// (`if !(a)`, `return !x`).
const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "if", "in", "let", "loop", "match", "move", "mut",
    "return", "static", "unsafe", "where", "while", "yield",
];

/// A macro whose delimiters enclose the place asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Enclosing {
    /// `macro_rules! name { .. }` or `macro name(..) { .. }`.
    Definition(String),
    /// `name!( .. )`, `path::name! { .. }`.
    Invocation(String),
}

/// A place in a file: a byte offset, or (less exactly) a 1-based line.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// Strictly inside the delimiters.
    Offset(u32),
    /// On a line from the opening delimiter's to the closing one's.
    Line(usize),
}

/// The macro definitions and invocations around `place` in `text`,
/// outermost first. A file that does not lex encloses nothing here (its
/// items are not indexed either).
pub(crate) fn enclosing(text: &str, place: Place) -> Vec<Enclosing> {
    enclosing_within(text, (0, text.len() as u32), place)
}

/// [`enclosing`], reading only the bytes `within` of `text` — a whole item
/// around `place`, so that a large file is not lexed for every cached
/// function in it.
pub(crate) fn enclosing_within(text: &str, within: Range, place: Place) -> Vec<Enclosing> {
    let Some(slice) = text.get(within.0 as usize..within.1 as usize) else {
        return Vec::new();
    };
    let Ok(t) = lexer::lex(slice) else {
        return Vec::new();
    };
    let starts = match place {
        Place::Line(_) => lexer::line_starts(text),
        Place::Offset(_) => Vec::new(),
    };
    let line = |offset: u32| lexer::line_column(text, &starts, offset as usize).0;
    let mut out = Vec::new();
    for (open, what) in macro_groups(&t) {
        let close = t.close[open] as usize;
        let (from, to) = (within.0 + t.toks[open].start, within.0 + t.toks[close].end);
        let inside = match place {
            Place::Offset(offset) => from < offset && offset < to,
            Place::Line(l) => line(from) <= l && l <= line(within.0 + t.toks[close].start),
        };
        if inside {
            out.push(what);
        }
    }
    out
}

/// Why the index cannot know the scope of a cached function enclosed by
/// `enclosing` (from [`enclosing`]); `None` when it can.
pub(crate) fn opaque(enclosing: &[Enclosing]) -> Option<String> {
    enclosing.iter().find_map(|e| match e {
        Enclosing::Definition(name) => Some(format!(
            "it is written inside the definition of macro `{name}`, so the module it is \
             compiled in and what the macro's arguments stand for are known only where \
             `{name}!` is invoked"
        )),
        Enclosing::Invocation(name) if !TRANSPARENT.contains(&name.as_str()) => Some(format!(
            "it is written inside an invocation of `{name}!`, which may put it in another \
             module or change it"
        )),
        Enclosing::Invocation(_) => None,
    })
}

/// The bytes of the outermost item of `items` (a file's shallow items)
/// around `offset` that is not a named inline module (whose items are
/// searched instead): all a macro around `offset` can be in. The whole
/// text when no item holds it.
pub(crate) fn item_around(items: &[Item], offset: u32, text_len: u32) -> Range {
    for item in items {
        if !(item.span.0 <= offset && offset < item.span.1) {
            continue;
        }
        return match &item.kind {
            ItemKind::Mod { body: Some(inner) } if !item.name.is_empty() => {
                let found = item_around(inner, offset, text_len);
                if found == (0, text_len) {
                    item.span
                } else {
                    found
                }
            }
            // An impl's or trait's own braces are no macro's: only the
            // item inside them can hold one.
            ItemKind::Impl(ImplParts { items, .. }) | ItemKind::Trait { items, .. } => items
                .iter()
                .map(|a| a.span)
                .find(|span| span.0 <= offset && offset < span.1)
                .unwrap_or(item.span),
            _ => item.span,
        };
    }
    (0, text_len)
}

/// Every group that is a macro's body or input: its opening token, what
/// it belongs to; in text order.
fn macro_groups(t: &Tokens) -> Vec<(usize, Enclosing)> {
    let ident = |i: usize| t.toks[i].kind == Kind::Ident;
    let name = |i: usize| ident(i) && !KEYWORDS.contains(&t.text(i));
    let mut out = Vec::new();
    for g in 0..t.toks.len() {
        if t.toks[g].kind != Kind::Open {
            continue;
        }
        if g >= 3 && t.is_ident(g - 3, "macro_rules") && t.is_punct(g - 2, b'!') && ident(g - 1) {
            out.push((g, Enclosing::Definition(t.text(g - 1).to_owned())));
        } else if g >= 2 && t.is_ident(g - 2, "macro") && ident(g - 1) {
            // `macro name { .. }` or `macro name(..) { .. }`.
            out.push((g, Enclosing::Definition(t.text(g - 1).to_owned())));
            let after = t.close[g] as usize + 1;
            if t.toks[g].ch == b'(' && t.is_open(after, b'{') {
                out.push((after, Enclosing::Definition(t.text(g - 1).to_owned())));
            }
        } else if g >= 2 && t.is_punct(g - 1, b'!') && name(g - 2) {
            out.push((g, Enclosing::Invocation(t.text(g - 2).to_owned())));
        } else if g >= 3 && ident(g - 1) && t.is_punct(g - 2, b'!') && name(g - 3) {
            // `name! ident { .. }`
            out.push((g, Enclosing::Invocation(t.text(g - 3).to_owned())));
        }
    }
    out.sort_by_key(|(g, _)| *g);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, marker: &str) -> Vec<Enclosing> {
        let offset = text.find(marker).unwrap() as u32;
        enclosing(text, Place::Offset(offset))
    }

    fn def(name: &str) -> Enclosing {
        Enclosing::Definition(name.to_owned())
    }

    fn call(name: &str) -> Enclosing {
        Enclosing::Invocation(name.to_owned())
    }

    #[test]
    fn definitions_and_invocations_around_a_place() {
        let text = "macro_rules! make {\n    ($v:expr) => { mod m { #[A] fn f() {} } };\n}\n\
                    cfg_if::cfg_if! { if #[cfg(unix)] { #[B] fn g() {} } }\n\
                    fn outer() { wrap! { #[C] fn h() {} } if !(x) { #[D] fn i() {} } }\n\
                    macro m2($x:expr) { #[E] fn j() {} }\n\
                    #[F] fn plain() -> String { format!(\"{}\", 1) }\n\
                    foo! name { #[G] fn k() {} }\n";
        assert_eq!(at(text, "#[A]"), [def("make")]);
        assert_eq!(at(text, "#[B]"), [call("cfg_if")]);
        assert_eq!(at(text, "#[C]"), [call("wrap")]);
        assert_eq!(at(text, "#[D]"), []);
        assert_eq!(at(text, "#[E]"), [def("m2")]);
        assert_eq!(at(text, "#[F]"), []);
        assert_eq!(at(text, "#[G]"), [call("foo")]);
        // By line: the definition's lines, not the line after it.
        assert_eq!(enclosing(text, Place::Line(2)), [def("make")]);
        assert_eq!(enclosing(text, Place::Line(3)), [def("make")]);
        assert_eq!(enclosing(text, Place::Line(7)), [call("format")]);
    }

    #[test]
    fn reading_the_item_around_finds_the_same() {
        let text = "mod m {\n    fn before() {}\n    macro_rules! make { () => { #[A] fn f() {} } }\n    \
                    fn outer() { wrap! { #[C] fn h() {} } }\n}\nwrap! { #[D] fn k() {} }\nfn plain() {}\n\
                    impl S {\n    fn a() {}\n    #[E] fn b() { m! { #[F] fn c() {} } }\n}\n";
        let t = crate::lexer::lex(text).unwrap();
        let items = crate::shallow::items(&t, 0, t.toks.len());
        for marker in [
            "#[A]",
            "#[C]",
            "#[D]",
            "fn plain",
            "fn before",
            "#[E]",
            "#[F]",
        ] {
            let offset = text.find(marker).unwrap() as u32;
            let within = item_around(&items, offset, text.len() as u32);
            assert!(within.1 - within.0 < text.len() as u32, "{marker}");
            assert_eq!(
                enclosing_within(text, within, Place::Offset(offset)),
                enclosing(text, Place::Offset(offset)),
                "{marker}"
            );
        }
        let offset = text.find("#[A]").unwrap() as u32;
        assert_eq!(
            enclosing_within(
                text,
                item_around(&items, offset, text.len() as u32),
                Place::Offset(offset)
            ),
            [def("make")]
        );
    }

    #[test]
    fn only_cfg_if_keeps_the_scope_known() {
        assert_eq!(opaque(&[]), None);
        assert_eq!(opaque(&[call("cfg_if")]), None);
        let reason = opaque(&[call("cfg_if"), def("make")]).unwrap();
        assert!(reason.contains("definition of macro `make`"), "{reason}");
        let reason = opaque(&[call("wrap")]).unwrap();
        assert!(reason.contains("`wrap!`"), "{reason}");
    }
}
