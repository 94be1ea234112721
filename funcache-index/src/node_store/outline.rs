//! The outline of the crates an analysis sees: everything a node's facts
//! may depend on besides its own text.
//!
//! A node's [`NodeInfo`](crate::node::NodeInfo) is computed from its own
//! text and from the index of the crates in view: module tree, items and
//! their names, `use` maps, signatures, struct fields, impl headers, trait
//! items, attributes, dependencies. It never reads another function's
//! body: signatures are parsed from their signature range, and a body that
//! holds items (nested `fn`, `impl`, `use`, `macro_rules!` …) is never left
//! out (see below). So the outline is every file's text with the bodies of
//! functions replaced by a marker, plus what the world knows besides text
//! (paths, `OUT_DIR`, dependency bindings). Editing a function body — the
//! common edit — leaves the outline, and so every other node's cached
//! facts, valid; editing a signature, a type or a `use` changes it.
//!
//! Left in (never blanked), because other nodes or the index may read them:
//! bodies holding nested items, bodies of functions written inside a macro
//! call (`ast_struct! { .. }` is read whole), and nested functions' bodies.

use crate::Digest;
use crate::module_tree::CrateIndex;
use crate::shallow::{AssocKind, ItemKind, Range};

/// One crate of a view, as the outline sees it.
pub(crate) struct OutlineCrate<'a> {
    /// The name other crates use for it.
    pub name: &'a str,
    pub index: &'a CrateIndex,
    /// Its edition, which decides what its `use` paths are relative to.
    pub edition: &'a str,
    /// Each dependency by the name code uses, and what it binds to:
    /// `crate <position in the view>` or `external <name@version>`.
    pub deps: Vec<(String, String)>,
}

/// The outline digest of a view (a root crate first, then the crates it
/// sees).
pub(crate) fn digest(view: &[&OutlineCrate]) -> Digest {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-outline\0");
    field(&mut hasher, &(view.len() as u64).to_le_bytes());
    for krate in view {
        let index = krate.index;
        field(&mut hasher, krate.name.as_bytes());
        field(&mut hasher, krate.edition.as_bytes());
        field(&mut hasher, index.manifest_dir.to_string_lossy().as_bytes());
        let out_dir = index.out_dir.as_ref().map(|d| d.to_string_lossy());
        field(
            &mut hasher,
            out_dir.as_deref().unwrap_or("\0none").as_bytes(),
        );
        field(&mut hasher, &[u8::from(index.unread_includes)]);
        let mut deps: Vec<&(String, String)> = krate.deps.iter().collect();
        deps.sort();
        field(&mut hasher, &(deps.len() as u64).to_le_bytes());
        for (name, to) in deps {
            field(&mut hasher, name.as_bytes());
            field(&mut hasher, to.as_bytes());
        }
        field(&mut hasher, &(index.missing.len() as u64).to_le_bytes());
        for missing in &index.missing {
            field(&mut hasher, missing.to_string_lossy().as_bytes());
        }
        let bodies = blankable_bodies(index);
        field(&mut hasher, &(index.files.len() as u64).to_le_bytes());
        for (file_id, file) in index.files.iter().enumerate() {
            field(&mut hasher, file.path.to_string_lossy().as_bytes());
            let text = file.text.as_bytes();
            let mut at = 0usize;
            for &(start, end) in bodies.get(file_id).map_or(&[][..], Vec::as_slice) {
                field(&mut hasher, &text[at..start as usize]);
                // The marker: a body was here.
                hasher.update(&[2]);
                at = end as usize;
            }
            field(&mut hasher, &text[at..]);
            hasher.update(&[3]);
        }
    }
    hasher.finalize().into()
}

/// A length-prefixed field (tag 1), so no two inputs hash alike.
fn field(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    hasher.update(&[1]);
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// Per file, the sorted, disjoint byte ranges of the function bodies that
/// the outline leaves out.
fn blankable_bodies(index: &CrateIndex) -> Vec<Vec<Range>> {
    let mut out: Vec<Vec<Range>> = vec![Vec::new(); index.files.len()];
    // Where nested items are: a body holding one is kept.
    let mut nested_starts: Vec<Vec<u32>> = vec![Vec::new(); index.files.len()];
    for it in &index.items {
        if it.nested.is_some() {
            nested_starts[it.file as usize].push(it.item.span.0);
        }
    }
    for starts in &mut nested_starts {
        starts.sort_unstable();
    }
    for it in &index.items {
        if it.nested.is_some() || it.item.via_macro.is_some() {
            continue;
        }
        let file = it.file as usize;
        let mut push = |sig: Range, span: Range| {
            let body = (sig.1, span.1);
            let holds_items = {
                let starts = &nested_starts[file];
                let first = starts.partition_point(|&s| s < body.0);
                starts.get(first).is_some_and(|&s| s < body.1)
            };
            if span.0 <= sig.0 && body.0 <= body.1 && !holds_items {
                out[file].push(body);
            }
        };
        match &it.item.kind {
            ItemKind::Fn(parts) => push(parts.sig, it.item.span),
            ItemKind::Impl(parts) => {
                for a in &parts.items {
                    if let AssocKind::Fn(f) = &a.kind {
                        push(f.sig, a.span);
                    }
                }
            }
            ItemKind::Trait { items, .. } => {
                for a in items {
                    if let AssocKind::Fn(f) = &a.kind {
                        push(f.sig, a.span);
                    }
                }
            }
            _ => {}
        }
    }
    for ranges in &mut out {
        ranges.sort_unstable();
        // Disjoint by construction; two that overlap are both kept in.
        let mut kept: Vec<Range> = Vec::with_capacity(ranges.len());
        // End of the last range dropped for an overlap.
        let mut dropped_to = 0;
        for &r in ranges.iter() {
            if r.0 < dropped_to {
                dropped_to = dropped_to.max(r.1);
            } else if let Some(&last) = kept.last().filter(|last| r.0 < last.1) {
                kept.pop();
                dropped_to = last.1.max(r.1);
            } else {
                kept.push(r);
            }
        }
        *ranges = kept;
    }
    out
}
