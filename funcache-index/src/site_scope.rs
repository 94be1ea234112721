//! Whether the index can see the scope of the cached function at a macro
//! site: the one thing it must never guess. A function the index places
//! in the wrong module (or in one module when it is compiled in several)
//! gets the wrong id and a fingerprint of the wrong code, and two
//! functions then share results. When the scope is not seen, the analysis
//! fails and the macro falls back (see [`crate::fallback`]).

use std::path::Path;

use crate::IndexError;
use crate::enclosing_macros::{self, Enclosing, Place};
use crate::ids::{CrateId, NodeKey};
use crate::module_tree::{CrateIndex, ParsedFile};
use crate::shallow::{AssocKind, ItemKind, Range};
use crate::world::{World, normalize};

/// The cached function named `name` at line `site_line` of `site_file`
/// (the macro's site): `located`, the function of that name around that
/// line in the index, when the site is its head (its attributes) and
/// nothing around it hides its scope; otherwise why not, as an error.
///
/// A function the index has no item for is never analyzed: it was written
/// by a macro, or inside a module-level `cfg_if!` it cannot read, whose other items the
/// index does not read either, so the names it uses could not be followed.
pub(crate) fn seen_fn(
    world: &World,
    krate: CrateId,
    file: Option<u32>,
    site_file: &Path,
    site_line: usize,
    name: &str,
    located: Option<NodeKey>,
) -> Result<NodeKey, IndexError> {
    let unseen = |reason: String| IndexError::Unseen {
        name: name.to_owned(),
        reason,
    };
    let index = &world.crates[krate as usize].index;
    let Some(file) = file else {
        return Err(unseen(format!(
            "{} is not a module file of crate `{}` (a macro defined elsewhere, an `include!` \
             inside a function or a doctest wrote it there)",
            site_file.display(),
            world.crates[krate as usize].name
        )));
    };
    if let Some(reason) = shared_file(index, file) {
        return Err(unseen(reason));
    }
    let parsed = &index.files[file as usize];
    if let Some(key) = located
        && let Some((start, sig)) = head(world, key)
        && (parsed.line_column(start).0..=parsed.line_column(sig).0).contains(&site_line)
    {
        let around = enclosing_around(parsed, start);
        return match enclosing_macros::opaque(&around) {
            Some(reason) => Err(unseen(reason)),
            None => Ok(key),
        };
    }
    let around = enclosing_macros::enclosing(&parsed.text, Place::Line(site_line));
    Err(unseen(enclosing_macros::opaque(&around).unwrap_or_else(
        || {
            format!(
                "no function `{name}` is written at {}:{} as the index reads it (a macro wrote \
             it, or it is inside a module-level `cfg_if!` it cannot read)",
                site_file.display(),
                site_line
            )
        },
    )))
}

/// For `memoize!(path)` at line `site_line` of `site_file`: why the module `path` would be resolved
/// from is unknown (the invocation is written inside a macro's definition,
/// or in no single module's file); `None` when it is known. Invocations
/// around it do not count: they leave an expression where it is.
pub(crate) fn unseen_module(
    world: &World,
    krate: CrateId,
    file: Option<u32>,
    site_file: &Path,
    site_line: usize,
) -> Option<String> {
    let index = &world.crates[krate as usize].index;
    let Some(file) = file else {
        return Some(format!(
            "{} is not a module file of crate `{}`",
            site_file.display(),
            world.crates[krate as usize].name
        ));
    };
    if let Some(reason) = shared_file(index, file) {
        return Some(reason);
    }
    let around =
        enclosing_macros::enclosing(&index.files[file as usize].text, Place::Line(site_line));
    let definitions: Vec<Enclosing> = around
        .into_iter()
        .filter(|e| matches!(e, Enclosing::Definition(_)))
        .collect();
    enclosing_macros::opaque(&definitions)
}

/// Whether the cached function `key` found by the index is one the macro
/// would analyze (the CLI's view of the same rule): nothing around it
/// hides its scope and its file is one module's.
pub(crate) fn analyzable(world: &World, key: NodeKey) -> bool {
    let index = &world.crates[key.item.krate as usize].index;
    let file = world.item(key.item).file;
    let Some((start, _)) = head(world, key) else {
        return false;
    };
    shared_file(index, file).is_none()
        && enclosing_macros::opaque(&enclosing_around(&index.files[file as usize], start)).is_none()
}

/// The macros around byte `offset` of `parsed`, from the item around it.
fn enclosing_around(parsed: &ParsedFile, offset: u32) -> Vec<Enclosing> {
    let within = enclosing_macros::item_around(&parsed.items, offset, parsed.text.len() as u32);
    enclosing_macros::enclosing_within(&parsed.text, within, Place::Offset(offset))
}

/// Why `file` is no single module's source: it is loaded for several
/// modules (`#[path]` to one file twice, `include!`d twice or also a
/// module file), so one site in it is several functions.
fn shared_file(index: &CrateIndex, file: u32) -> Option<String> {
    if index.guessed_files.contains(&file) {
        return Some(format!(
            "{} is a module only if a macro invocation declares it (`mod $m;`), and its \
             module is known only where that expands",
            index.files[file as usize].path.display()
        ));
    }
    // Lexically normalized: `a/../common.rs` and `b/../common.rs` are one
    // file.
    let path = normalize(&index.files[file as usize].path);
    let loads = index
        .files
        .iter()
        .filter(|f| normalize(&f.path) == path)
        .count();
    let reincluded = index.reincluded.iter().any(|p| normalize(p) == path);
    (loads > 1 || reincluded).then(|| {
        format!(
            "{} is the source of more than one module, and which one this is cannot be told \
             from it",
            path.display()
        )
    })
}

/// Byte offsets of where function `key` starts (its first attribute) and
/// where its signature starts: the cache attribute is between them.
fn head(world: &World, key: NodeKey) -> Option<(u32, u32)> {
    let it = world.item(key.item);
    let (span, sig): (Range, Range) = match (&it.item.kind, key.assoc) {
        (ItemKind::Fn(parts), NodeKey::WHOLE) => (it.item.span, parts.sig),
        (ItemKind::Impl(p), i) => match p.items.get(i as usize) {
            Some(a) => match &a.kind {
                AssocKind::Fn(parts) => (a.span, parts.sig),
                _ => return None,
            },
            None => return None,
        },
        _ => return None,
    };
    Some((span.0, sig.0))
}
