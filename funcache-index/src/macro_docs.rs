//! Doc comments as input to code generation.
//!
//! Doc comments are left out of canonical hashes: they are not behaviour.
//! Except where a macro reads them: clap's `Parser` derive turns `///`
//! into help text, schemars and utoipa into schema descriptions, and any
//! non-std derive or attribute macro may. For an item carrying one
//! ([`node_reads_docs`]), the text of every doc comment in and above it
//! (its fields' and variants' too) is part of its hash ([`node_docs`]);
//! elsewhere a doc-only edit still hits.
//!
//! The `///` lines above an item lie outside its text (its span starts at
//! its first attribute), so they are read when a closure is assembled
//! ([`crate::closure`]), never kept with a node's text-keyed facts.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::Digest;
use crate::ids::NodeKey;
use crate::module_tree::ParsedFile;
use crate::shallow::{Attr, ItemKind};
use crate::world::World;

/// Attributes the compiler itself defines (or tools it knows): none of
/// them runs code that could read a doc comment.
const BUILTIN_ATTRS: &[&str] = &[
    "cfg",
    "cfg_attr",
    "allow",
    "warn",
    "deny",
    "forbid",
    "expect",
    "doc",
    "inline",
    "cold",
    "must_use",
    "repr",
    "non_exhaustive",
    "deprecated",
    "test",
    "ignore",
    "should_panic",
    "bench",
    "track_caller",
    "no_mangle",
    "export_name",
    "link_section",
    "link",
    "link_name",
    "used",
    "path",
    "macro_export",
    "macro_use",
    "automatically_derived",
    "target_feature",
    "unsafe",
    "global_allocator",
    "panic_handler",
    "proc_macro",
    "proc_macro_derive",
    "proc_macro_attribute",
    "instruction_set",
    "optimize",
    "coverage",
    "collapse_debuginfo",
    "debugger_visualizer",
    "naked",
    "rustfmt",
    "clippy",
    "diagnostic",
    "rustdoc",
    // funcache's own attribute reads no docs.
    "funcache",
    "cache",
];

/// Derives known not to read doc attributes: std's, and serde's (whose
/// derive ignores `#[doc]`; its `#[serde(..)]` helper with it).
const DOC_BLIND_DERIVES: &[&str] = &[
    "Debug",
    "Clone",
    "Copy",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "Default",
    "Serialize",
    "Deserialize",
];

/// The node's span, and the attributes of its item and of itself (for
/// an item of an impl or trait).
fn node_parts(world: &World, key: NodeKey) -> (crate::shallow::Range, &[Attr], &[Attr]) {
    let it = world.item(key.item);
    let assoc = match (&it.item.kind, key.assoc) {
        (ItemKind::Impl(imp), i) if i != NodeKey::WHOLE => imp.items.get(i as usize),
        (ItemKind::Trait { items, .. }, i) if i != NodeKey::WHOLE => items.get(i as usize),
        _ => None,
    };
    match assoc {
        Some(a) => (a.span, &it.item.attrs, &a.attrs),
        None => (it.item.span, &it.item.attrs, &[]),
    }
}

/// Whether a macro on node `key` (or on the impl or trait it is in) may
/// read its doc comments.
pub(crate) fn node_reads_docs(world: &World, key: NodeKey) -> bool {
    let it = world.item(key.item);
    let file = &world.crates[key.item.krate as usize].index.files[it.file as usize];
    let (_, item_attrs, own_attrs) = node_parts(world, key);
    macro_reads_docs(item_attrs, file) || macro_reads_docs(own_attrs, file)
}

/// The digest of node `key`'s doc comments as its file has them now: those
/// right above it and those inside it. `None` when it has none.
pub(crate) fn node_docs(world: &World, key: NodeKey) -> Option<Digest> {
    let it = world.item(key.item);
    let file = &world.crates[key.item.krate as usize].index.files[it.file as usize];
    let (span, _, _) = node_parts(world, key);
    let leading = leading_comments(&file.text, span.0 as usize);
    doc_digest(&format!("{leading}{}", file.slice(span)))
}

/// Whether the item with outer attributes `attrs` (written in `file`)
/// carries a macro that may read its doc comments: a derive outside
/// [`DOC_BLIND_DERIVES`] or an attribute that is neither built in nor
/// serde's helper.
fn macro_reads_docs(attrs: &[Attr], file: &ParsedFile) -> bool {
    attrs.iter().any(|a| {
        let Some(first) = a.path.first() else {
            return false;
        };
        match first.as_str() {
            "derive" => a.args.is_some_and(|r| {
                let Ok(tokens) = crate::lexer::lex(file.slice(r)) else {
                    // Unreadable: assume the worst.
                    return true;
                };
                // The last segment of each path in the list.
                let n = tokens.toks.len();
                (0..n).any(|i| {
                    tokens.toks[i].kind == crate::lexer::Kind::Ident
                        && (i + 1 == n || tokens.is_punct(i + 1, b','))
                        && !DOC_BLIND_DERIVES.contains(&tokens.text(i))
                })
            }),
            "serde" => false,
            // `#[tokio::main]`, `#[utoipa::path(..)]`, `#[my_macro]`; not
            // `#[rustfmt::skip]` or `#[funcache::cache]`.
            name => !BUILTIN_ATTRS.contains(&name),
        }
    })
}

/// The digest of every doc attribute in `text` (`///`, `//!`, `/** */`,
/// `#[doc = ..]`), in order; `None` when it has none or does not lex.
fn doc_digest(text: &str) -> Option<Digest> {
    let tokens: TokenStream = text.parse().ok()?;
    let mut docs = Vec::new();
    collect_docs(tokens, &mut docs);
    if docs.is_empty() {
        return None;
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-docs\0");
    for doc in docs {
        hasher.update(&(doc.len() as u64).to_le_bytes());
        hasher.update(doc.as_bytes());
    }
    Some(hasher.finalize().into())
}

/// The doc comments (and plain comments, blank lines) right above byte
/// `start` of `text`: the lexer skips comments, so an item's span starts
/// at its first attribute or keyword, after its `///` lines.
fn leading_comments(text: &str, start: usize) -> &str {
    let mut from = start.min(text.len());
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    // Up to the start of `start`'s line, if only whitespace is before it.
    let line_start = text[..from].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..from].trim().is_empty() {
        return "";
    }
    from = line_start;
    while from > 0 {
        let prev_start = text[..from - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = text[prev_start..from].trim();
        if line.is_empty() || (line.starts_with("//") && !line.starts_with("//!")) {
            from = prev_start;
        } else {
            break;
        }
    }
    &text[from..start.min(text.len())]
}

fn collect_docs(tokens: TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        if let TokenTree::Group(g) = tree {
            let mut inner = g.stream().into_iter();
            let is_doc = g.delimiter() == Delimiter::Bracket
                && matches!(inner.next(), Some(TokenTree::Ident(i)) if i == "doc");
            if is_doc {
                out.push(g.stream().to_string());
            } else {
                collect_docs(g.stream(), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_digest_sees_every_doc_and_only_docs() {
        let a = doc_digest("/// One.\nstruct S { /// Two.\n a: u8 }").unwrap();
        assert_ne!(
            a,
            doc_digest("/// One.\nstruct S { /// Three.\n a: u8 }").unwrap()
        );
        assert_eq!(
            a,
            doc_digest("/// One.\nstruct S { /// Two.\n // c\n b: u16 }").unwrap()
        );
        assert_eq!(doc_digest("struct S { a: u8 } // not a doc"), None);
    }

    #[test]
    fn leading_comments_stop_at_code() {
        let text = "fn f() {}\n//! inner\n/// One.\n// plain\n\n/// Two.\n#[derive(X)]\nstruct S;";
        let start = text.find("#[derive").unwrap();
        assert_eq!(
            leading_comments(text, start),
            "/// One.\n// plain\n\n/// Two.\n"
        );
        assert_eq!(leading_comments("fn f() {} struct S;", 10), "");
    }
}
