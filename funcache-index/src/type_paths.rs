//! Type names that name several types, for generic cached functions.
//!
//! A generic cached function keys each instantiation by
//! `std::any::type_name` of its type arguments (and of `Self` in a generic
//! impl). That name is a path, and one path can name several types: a
//! `struct P` in each of two blocks of `main` both print `app::main::P`,
//! and so do a `struct P` in a block of `fn a` and one in `mod a`. Keyed by
//! that name, `tval::<P>()` of the second `P` was served the first one's
//! result. This lists such paths, as [`crate::fn_values`] does for
//! functions passed as values; the generated code refuses to key a type
//! name that mentions one, and the call runs uncached with a warning.
//! Types of one scope sharing a path are `#[cfg]` alternatives: rustc lets
//! at most one of them exist.

use std::collections::HashMap;

use crate::analysis::{FallbackGuard, prepare, select_crate};
use crate::fn_values::{Scope, type_path};
use crate::shallow::ItemKind;
use crate::{IndexError, MacroSite};

/// The paths, as `type_name` prints them (`app::main::P`), that name types
/// of several scopes in the crate at `site` or the crates in its view,
/// sorted.
pub fn ambiguous_type_paths(site: &MacroSite) -> Result<Vec<String>, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_crate(&mut world, site)?;
    prepare(&mut world, krate);
    let mut scopes: HashMap<String, Vec<Scope>> = HashMap::new();
    for c in world.view(krate) {
        let index = &world.crates[c as usize].index;
        for it in &index.items {
            if !matches!(
                it.item.kind,
                ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union | ItemKind::Trait { .. }
            ) {
                continue;
            }
            let module = &index.modules[it.module as usize];
            let mut parts = module.path.clone();
            if let Some(nested) = &it.nested {
                parts.extend(nested.enclosing.iter().cloned());
            }
            parts.push(it.item.name.clone());
            let path = type_path(&world, c, &parts.join("::"));
            let block = it.nested.as_ref().map(|n| (it.file, n.block.0));
            let scope = (c, it.module, block);
            let seen = scopes.entry(path).or_default();
            if !seen.contains(&scope) {
                seen.push(scope);
            }
        }
    }
    let mut out: Vec<String> = scopes
        .into_iter()
        .filter(|(_, scopes)| scopes.len() > 1)
        .map(|(path, _)| path)
        .collect();
    out.sort();
    Ok(out)
}
