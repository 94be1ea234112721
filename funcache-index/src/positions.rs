//! Code whose result depends on where it is written.
//!
//! `line!()`, `column!()`, `file!()` and `Location::caller()` evaluate to
//! the position of the code, and a call to a `#[track_caller]` function
//! hands it the caller's position. Canonical hashes ignore layout, so an
//! item that reads positions ([`reads_position`]) or calls a crate
//! `#[track_caller]` function ([`is_track_caller`]) also hashes where it
//! is ([`position_digest`]): its file, the line and column it starts at,
//! and its exact text (which fixes every position inside it). Other items
//! stay position-independent: blank lines above them change nothing.
//!
//! Positions are not a function of an item's text, so they are mixed in
//! when a closure is assembled ([`crate::closure`]), from the files as
//! they are then, never kept with a node's cached facts.

use std::path::Path;

use crate::Digest;
use crate::ids::NodeKey;
use crate::lexer::Kind;
use crate::module_tree::ParsedFile;
use crate::shallow::{ItemKind, Range};
use crate::world::World;

/// Macros that expand to the position of their invocation.
const POSITION_MACROS: &[&str] = &["line", "column", "file"];

/// Whether `text` invokes `line!`, `column!`, `file!` or calls
/// `Location::caller`. Text that does not lex counts (the safe answer).
pub(crate) fn reads_position(text: &str) -> bool {
    let Ok(t) = crate::lexer::lex(text) else {
        return true;
    };
    (0..t.toks.len()).any(|i| {
        t.toks[i].kind == Kind::Ident
            && ((POSITION_MACROS.contains(&t.text(i)) && t.is_punct(i + 1, b'!'))
                || (t.text(i) == "caller"
                    && i >= 3
                    && t.is_punct(i - 1, b':')
                    && t.is_ident(i - 3, "Location")))
    })
}

/// Whether node `key` is a function marked `#[track_caller]`.
pub(crate) fn is_track_caller(world: &World, key: NodeKey) -> bool {
    let it = world.item(key.item);
    let attrs = match (&it.item.kind, key.assoc) {
        (_, NodeKey::WHOLE) => &it.item.attrs,
        (ItemKind::Impl(imp), i) => match imp.items.get(i as usize) {
            Some(a) => &a.attrs,
            None => return false,
        },
        (ItemKind::Trait { items, .. }, i) => match items.get(i as usize) {
            Some(a) => &a.attrs,
            None => return false,
        },
        _ => return false,
    };
    attrs
        .iter()
        .any(|a| a.path.last().is_some_and(|p| p == "track_caller"))
}

/// The file node `key` is written in, and its span there (an impl or
/// trait member's own span, not its block's).
pub(crate) fn node_span(world: &World, key: NodeKey) -> (&ParsedFile, Range) {
    let it = world.item(key.item);
    let file = &world.crates[key.item.krate as usize].index.files[it.file as usize];
    let span = match (&it.item.kind, key.assoc) {
        (ItemKind::Impl(imp), i) if i != NodeKey::WHOLE => {
            imp.items.get(i as usize).map_or(it.item.span, |a| a.span)
        }
        (ItemKind::Trait { items, .. }, i) if i != NodeKey::WHOLE => {
            items.get(i as usize).map_or(it.item.span, |a| a.span)
        }
        _ => it.item.span,
    };
    (file, span)
}

/// Where node `key` is: its file (as `name_file` names it), the line and
/// column of its first byte as the compiler counts them, and its exact
/// text.
pub(crate) fn position_digest(
    world: &World,
    key: NodeKey,
    name_file: &dyn Fn(&Path) -> String,
) -> Digest {
    let (file, span) = node_span(world, key);
    let (line, column) = file.line_column(span.0);
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-position\0");
    hasher.update(name_file(&file.path).as_bytes());
    hasher.update(b"\0");
    hasher.update(&(line as u64).to_le_bytes());
    hasher.update(&(column as u64).to_le_bytes());
    hasher.update(file.slice(span).as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::reads_position;

    #[test]
    fn position_reads_are_recognized() {
        assert!(reads_position("fn f() -> u32 { line!() }"));
        assert!(reads_position("fn f() -> &'static str { core::file!() }"));
        assert!(reads_position(
            "fn f() -> u32 { std::panic::Location::caller().line() }"
        ));
        assert!(!reads_position("fn line() -> u32 { let file = 1; file }"));
        assert!(!reads_position("fn f(l: &Location) -> u32 { l.line() }"));
    }
}
