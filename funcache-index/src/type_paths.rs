//! Type names of generic cached functions: which name several types, and
//! which the fingerprint covers.
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
//!
//! A type argument may also be a type the fingerprint never saw: one of a
//! crate downstream of the function's (`u::total::<a::Item>`, with `impl
//! u::Weigh for a::Item` in `a`), or of a binary of the function's package
//! (it prints the lib's crate name). Editing its impls changed the result
//! and not the key: a stale value. So the tables also list the types the
//! index covers — the structs, enums, unions and traits of the crate and
//! of the crates in its view, whose impls of the bound traits the
//! fingerprint joins — and the external crates whose versions it includes;
//! a type name mentioning any other path is not keyed either.

use std::collections::HashMap;

use crate::analysis::{FallbackGuard, prepare, select_crate};
use crate::fn_values::{Scope, type_path};
use crate::shallow::ItemKind;
use crate::world::DepBinding;
use crate::{IndexError, MacroSite};

/// What the type names of a generic cached function's calls are checked
/// against, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeTables {
    /// Paths, as `type_name` prints them (`app::main::P`), that name types
    /// of several scopes in the crate or the crates in its view.
    pub ambiguous: Vec<String>,
    /// The paths of the structs, enums, unions and traits of the crate and
    /// the crates in its view (its path dependencies, a binary's own lib):
    /// the caller-chosen types whose impls the fingerprint covers.
    pub types: Vec<String>,
    /// The external crates whose versions the fingerprint includes, by the
    /// name `type_name` prints (`serde_json`): any of their types is
    /// covered. Never a crate of the view, whose types are in `types`.
    pub crates: Vec<String>,
}

/// The [`TypeTables`] of the crate at `site`. `externals` are the
/// fingerprint's (`Analysis::externals`); `None` for a function the index
/// could not analyze, whose fallback fingerprint covers `Cargo.lock`, so
/// every dependency of the crates in view counts.
pub fn type_tables(
    site: &MacroSite,
    externals: Option<&[String]>,
) -> Result<TypeTables, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_crate(&mut world, site)?;
    prepare(&mut world, krate);
    let view = world.view(krate);
    let mut scopes: HashMap<String, Vec<Scope>> = HashMap::new();
    for &c in &view {
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
    let mut ambiguous: Vec<String> = scopes
        .iter()
        .filter(|(_, scopes)| scopes.len() > 1)
        .map(|(path, _)| path.clone())
        .collect();
    ambiguous.sort();
    let mut types: Vec<String> = scopes.into_keys().collect();
    types.sort();
    let all_deps: Vec<String>;
    let externals = match externals {
        Some(externals) => externals,
        None => {
            all_deps = view
                .iter()
                .flat_map(|&c| world.crates[c as usize].deps.values())
                .filter_map(|d| match d {
                    DepBinding::External(x) => Some(x.clone()),
                    DepBinding::Crate(_) => None,
                })
                .collect();
            &all_deps
        }
    };
    let own: Vec<&str> = view
        .iter()
        .map(|&c| world.crates[c as usize].name.as_str())
        .collect();
    let crates = external_crate_names(externals)
        .into_iter()
        .filter(|name| !own.contains(&name.as_str()))
        .collect();
    Ok(TypeTables {
        ambiguous,
        types,
        crates,
    })
}

/// The crate names, as `type_name` prints them, of the external crates in
/// a fingerprint's `externals` that carry a version: `serde_json` for
/// `serde-json@1.0.1` (a renamed dependency is listed under its package),
/// each of `|`-joined alternatives; strings that are no crate's version
/// (`<cargo features> #…`, an unlocked `name@*`) give none. Sorted.
pub fn external_crate_names(externals: &[String]) -> Vec<String> {
    let mut out: Vec<String> = externals
        .iter()
        .flat_map(|x| x.split('|'))
        .filter_map(|x| {
            let (name, rest) = x.split_once('@')?;
            let is_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            (is_name && rest.starts_with(|c: char| c.is_ascii_digit()))
                .then(|| name.replace('-', "_"))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_crate_names_are_as_type_name_prints_them() {
        let externals = [
            "<cargo features> #0123".to_owned(),
            "regex@1.10.2".to_owned(),
            "regex@1.10.2 (features) #abcd".to_owned(),
            "serde-json@1.0.1@git+https://example.com/x".to_owned(),
            "old@0.1.0|old@0.2.0".to_owned(),
            "unlocked@*".to_owned(),
            "pm (proc-macro) #ff".to_owned(),
        ];
        assert_eq!(
            external_crate_names(&externals),
            ["old", "regex", "serde_json"]
        );
    }
}
