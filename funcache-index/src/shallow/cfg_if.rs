//! A module-level `cfg_if!` invocation read as the items it writes.
//!
//! `cfg_if! { if #[cfg(a)] { .. } else if #[cfg(b)] { .. } else { .. } }`
//! (the cfg-if crate's macro, used by crc32fast, getrandom, libc …) writes
//! every branch's items where the invocation is, each under the branch's
//! predicate: `a`, then `all(b, not(any(a)))`, then `not(any(a, b))`. So
//! its items are indexed like any other, each with that predicate as a
//! `#[cfg]` of its own (an [`Attr`] whose `value` is the predicate), and
//! the build decides which of them count (see [`crate::build_inputs`]).
//! Without that, a name the invocation defines was either found nowhere
//! (only the invocation stood in for it) or found on a `#[cfg]`'d-out
//! sibling written outside it, and a `mod x;` in it was never followed.

use proc_macro2::{TokenStream, TokenTree};

use super::data::{Attr, Item, ItemKind};
use super::items;
use crate::cfg_text;
use crate::lexer::Tokens;

/// The items of the `cfg_if!` arguments in tokens `lo..hi` (inside the
/// invocation's delimiters), each gated by its branch; `None` when the
/// tokens are not `cfg_if!`'s syntax or a predicate does not read as one.
pub(super) fn branch_items(t: &Tokens, lo: usize, hi: usize) -> Option<Vec<Item>> {
    let mut out = Vec::new();
    // Predicates of the branches before this one.
    let mut earlier: Vec<String> = Vec::new();
    let mut i = lo;
    loop {
        let (own, open) = if t.is_ident(i, "if") {
            let (predicate, after) = branch_predicate(t, i + 1, hi)?;
            (Some(predicate), after)
        } else if !earlier.is_empty() {
            (None, i)
        } else {
            return None;
        };
        if open >= hi || !t.is_open(open, b'{') {
            return None;
        }
        let close = t.close[open] as usize;
        let gate = match (&own, earlier.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => normalized(&format!("all({p}, not(any({})))", earlier.join(", ")))?,
            (None, _) => normalized(&format!("not(any({}))", earlier.join(", ")))?,
        };
        let attr = Attr {
            path: vec!["cfg".to_owned()],
            args: None,
            value: Some(gate),
        };
        for mut item in items(t, open + 1, close) {
            add_gate(&mut item, &attr);
            out.push(item);
        }
        i = close + 1;
        let Some(own) = own else {
            // A final `else { .. }` ends the invocation.
            return (i == hi).then_some(out);
        };
        earlier.push(own);
        if i == hi {
            return Some(out);
        }
        if !t.is_ident(i, "else") {
            return None;
        }
        i += 1;
    }
}

/// Gates `item` by `attr` (a `#[cfg]`): a nameless item holding items (a
/// nested `cfg_if!`, an `extern` block) gates each of them, since the index
/// keeps its items and drops it.
pub(super) fn add_gate(item: &mut Item, attr: &Attr) {
    if let ItemKind::Mod { body: Some(inner) } = &mut item.kind
        && item.name.is_empty()
    {
        for it in inner {
            add_gate(it, attr);
        }
    }
    item.attrs.push(attr.clone());
}

/// `#[cfg(..)]` at `i` (after an `if`): its predicate, normalized, and the
/// index after it. cfg-if 0.1 also took a list (`#[cfg(a, b)]`), meaning
/// all of them.
fn branch_predicate(t: &Tokens, i: usize, hi: usize) -> Option<(String, usize)> {
    if !(t.is_punct(i, b'#') && t.is_open(i + 1, b'[')) {
        return None;
    }
    let close = t.close[i + 1] as usize;
    if !(t.is_ident(i + 2, "cfg") && t.is_open(i + 3, b'(') && t.close[i + 3] as usize + 1 == close)
    {
        return None;
    }
    let args = &t.text[t.toks[i + 3].end as usize..t.toks[t.close[i + 3] as usize].start as usize];
    let tokens: TokenStream = args.parse().ok()?;
    let list = tokens
        .clone()
        .into_iter()
        .any(|tree| matches!(tree, TokenTree::Punct(p) if p.as_char() == ','));
    let predicate = if list {
        normalized(&format!("all({args})"))?
    } else {
        cfg_text::predicate(tokens)?
    };
    (close + 1 < hi).then_some((predicate, close + 1))
}

/// A predicate written as text, in [`cfg_text::predicate`]'s spelling.
fn normalized(text: &str) -> Option<String> {
    cfg_text::predicate(text.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use crate::lexer::lex;
    use crate::shallow::{Item, ItemKind, items};

    /// Each item of a module-level `cfg_if!` with the predicate its branch
    /// writes it under.
    fn gated(src: &str) -> Vec<(String, Vec<String>)> {
        let t = lex(src).unwrap();
        let mut out = Vec::new();
        for item in items(&t, 0, t.toks.len()) {
            flatten(src, item, &mut out);
        }
        out
    }

    fn flatten(src: &str, item: Item, out: &mut Vec<(String, Vec<String>)>) {
        if let ItemKind::Mod { body: Some(inner) } = item.kind
            && item.name.is_empty()
        {
            assert!(item.via_macro.is_none());
            for it in inner {
                flatten(src, it, out);
            }
            return;
        }
        let gates = item
            .attrs
            .iter()
            .filter(|a| a.path == ["cfg"])
            .map(|a| match (&a.value, a.args) {
                (Some(v), _) => v.clone(),
                (None, Some(r)) => src[r.0 as usize..r.1 as usize].to_owned(),
                (None, None) => "?".to_owned(),
            })
            .collect();
        out.push((item.name, gates));
    }

    #[test]
    fn cfg_if_branches_are_items_under_their_predicates() {
        let got = gated(
            "cfg_if::cfg_if! {\n if #[cfg(unix)] { mod fast; pub use self::fast::State; pub fn a() {} }\n\
             else if #[cfg(target_pointer_width = \"32\")] { pub fn a() {} }\n\
             else { pub fn a() {} } }\n\
             #[cfg(feature = \"x\")] cfg_if! { if #[cfg(windows)] { fn b() {} } }\n\
             cfg_if! { if #[cfg(a, b)] { fn c() {} } else { cfg_if! { if #[cfg(d)] { fn e() {} } } } }",
        );
        let show: Vec<String> = got
            .iter()
            .map(|(name, gates)| format!("{name}: {}", gates.join(" & ")))
            .collect();
        assert_eq!(
            show,
            [
                "fast: unix",
                ": unix",
                "a: unix",
                "a: all (target_pointer_width = \"32\" , not (any (unix)))",
                "a: not (any (unix , target_pointer_width = \"32\"))",
                "b: windows & feature = \"x\"",
                "c: all (a , b)",
                "e: d & not (any (all (a , b)))",
            ]
        );
    }

    /// In an impl or a trait, `cfg_if!`'s items are members, each gated.
    #[test]
    fn cfg_if_in_an_impl_writes_members() {
        let src = "impl S { cfg_if! { if #[cfg(unix)] { fn a(&self) {} } else { fn a(&self) {} } } fn b() {} }";
        let t = lex(src).unwrap();
        let found = items(&t, 0, t.toks.len());
        let ItemKind::Impl(parts) = &found[0].kind else {
            panic!("{found:?}")
        };
        let members: Vec<(&str, Option<&str>)> = parts
            .items
            .iter()
            .map(|a| {
                let gate = a.attrs.iter().find_map(|x| x.value.as_deref());
                (a.name.as_str(), gate)
            })
            .collect();
        assert_eq!(
            members,
            [
                ("a", Some("unix")),
                ("a", Some("not (any (unix))")),
                ("b", None)
            ]
        );
    }

    #[test]
    fn other_syntax_is_read_as_any_invocation() {
        for src in [
            "cfg_if! { fn f() {} }",
            "cfg_if! { if #[cfg(unix)] { fn f() {} } else }",
            "cfg_if! { if #[cfg($m)] { fn f() {} } }",
            "cfg_if! { else { fn f() {} } }",
        ] {
            let t = lex(src).unwrap();
            let found = items(&t, 0, t.toks.len());
            // Read as any other invocation, not as `cfg_if!`'s branches.
            assert!(found[0].via_macro.is_some(), "{src}: {found:?}");
        }
    }
}
