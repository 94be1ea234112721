//! The `use` declarations in scope where a node is written.
//!
//! What a name in a node denotes can depend on more than the items it
//! resolves to: which trait is imported decides which method a call runs
//! (`use tr::NA;` against `use tr::NB;`, or `as _`), and an import can
//! rename a std item (`use std::cmp::max as pick;`), which the closure
//! sees only as std. So a node's hash in a closure also covers the `use`
//! items of the module it is written in ([`scope_digest`]), by their
//! canonical tokens (formatting and comments do not count), and those of
//! the modules its imports go through: every module it glob-imports
//! (`use super::*;` imports that module's imports too), and every module
//! a named import re-exports from (`use crate::prelude::pick;` where the
//! prelude binds `pick` by a `use`), transitively. A `use` inside a
//! function body is part of that function's text already, but not of the
//! text of an item written in that body: for those, the `use` items of
//! the blocks around them count too.
//!
//! Editing an import may cost a needless miss for the nodes written under
//! it; it never serves a stale value. The digest is read from the files as
//! they are now, like [`crate::macro_docs`]; the node store's outline
//! covers `use` items, so a node's cached facts follow an import edit.

use quote::ToTokens;

use crate::Digest;
use crate::hash_tokens;
use crate::ids::{Binding, ItemRef, ModRef};
use crate::shallow::ItemKind;
use crate::world::World;

/// The digest of the `use` items in scope in module `m` (see the module
/// docs) and, for an item written in a function body (`nested`), in the
/// blocks around it; `None` when there are none.
pub(crate) fn scope_digest(world: &World, m: ModRef, nested: Option<ItemRef>) -> Option<Digest> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-use-scope\0");
    let mut any = false;
    if let Some(within) = nested
        && let Some(scope) = &world.item(within).nested
    {
        let index = &world.crates[within.krate as usize].index;
        let it = world.item(within);
        let at = it.item.span.0;
        let file = &index.files[it.file as usize];
        for &id in index.nested.get(&it.file).map_or(&[][..], Vec::as_slice) {
            let n = &index.items[id as usize];
            if let (ItemKind::Use(_), Some(s)) = (&n.item.kind, &n.nested)
                && (s.block == scope.block || (s.block.0 <= at && at < s.block.1))
            {
                any = true;
                hasher.update(&[3]);
                hasher.update(use_digest(file.slice(n.item.span)).as_bytes());
            }
        }
    }
    for module in scope_modules(world, m) {
        let index = &world.crates[module.krate as usize].index;
        hasher.update(&[1]);
        for &id in &index.modules[module.module as usize].items {
            let it = &index.items[id as usize];
            if !matches!(it.item.kind, ItemKind::Use(_)) {
                continue;
            }
            any = true;
            let text = index.files[it.file as usize].slice(it.item.span);
            let digest = use_digest(text);
            hasher.update(&[2]);
            hasher.update(digest.as_bytes());
        }
    }
    any.then(|| hasher.finalize().into())
}

/// The canonical digest of a `use` item's text: doc comments and the
/// trailing commas of groups left out.
fn use_digest(text: &str) -> Digest {
    match syn::parse_str::<syn::ItemUse>(text) {
        Ok(mut item) => {
            item.attrs.retain(|a| !a.path().is_ident("doc"));
            drop_trailing(&mut item.tree);
            hash_tokens(item.into_token_stream())
        }
        Err(_) => match text.parse::<proc_macro2::TokenStream>() {
            Ok(tokens) => hash_tokens(tokens),
            Err(_) => blake3::hash(text.as_bytes()).into(),
        },
    }
}

fn drop_trailing(tree: &mut syn::UseTree) {
    match tree {
        syn::UseTree::Path(p) => drop_trailing(&mut p.tree),
        syn::UseTree::Group(g) => {
            if g.items.trailing_punct() {
                g.items.pop_punct();
            }
            g.items.iter_mut().for_each(drop_trailing);
        }
        _ => {}
    }
}

/// Module `m`, then the modules its imports go through, transitively, in
/// a fixed order.
fn scope_modules(world: &World, m: ModRef) -> Vec<ModRef> {
    let mut out = vec![m];
    let mut at = 0;
    while let Some(&current) = out.get(at) {
        at += 1;
        let index = &world.crates[current.krate as usize].index;
        for entry in &index.modules[current.module as usize].uses {
            let path = world.use_path(current.krate, &entry.path);
            let targets = if entry.glob {
                world.resolve(current, &path)
            } else {
                let Some((last, parent)) = path.split_last() else {
                    continue;
                };
                if parent.is_empty() {
                    continue;
                }
                world
                    .resolve(current, parent)
                    .into_iter()
                    // An item the module defines itself is an edge of the
                    // node; a name it imports is in its scope.
                    .filter(|b| match b {
                        Binding::Module(t) => {
                            let i = &world.crates[t.krate as usize].index;
                            !i.modules[t.module as usize].names.contains_key(last)
                        }
                        _ => false,
                    })
                    .collect()
            };
            for target in targets {
                if let Binding::Module(t) = target
                    && !out.contains(&t)
                {
                    out.push(t);
                }
            }
        }
    }
    out
}
