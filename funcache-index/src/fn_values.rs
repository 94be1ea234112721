//! Functions passed as values, for cached functions that take a function
//! argument: `apply(double, 10)`.
//!
//! The macro of `apply` cannot see its callers, so it embeds a table of the
//! functions that may be passed: every named function of the crate (and of
//! the crates in its view) whose name appears somewhere other than in call
//! position, by the path `std::any::type_name` gives its type
//! (`my_crate::steps::double`), with the fingerprint of its source. At run
//! time the argument's type name picks its entry, so `apply(double, 10)`
//! and `apply(triple, 10)` key apart, and editing `double` changes the key
//! of calls made with it. A function not in the table (a closure, a
//! pointer, a trait method) cannot be identified and is never keyed.

use std::collections::HashSet;

use crate::analysis::{FallbackGuard, attr_segments, finish, prepare, select_crate, store};
use crate::ids::{CrateId, ItemRef, NodeKey};
use crate::lexer::Kind;
use crate::node_read::{self, AttrFilter};
use crate::session::Session;
use crate::shallow::{AssocKind, ItemKind};
use crate::world::World;
use crate::{Digest, IndexError, MacroSite};

/// A function that may be passed as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnValue {
    /// Its path as `std::any::type_name` of its type prints it, generic
    /// arguments left out: `my_crate::steps::double`.
    pub type_path: String,
    /// The fingerprint of its source and everything it reaches.
    pub fingerprint: Digest,
}

/// The functions of the crate at `site` (and of the crates in its view)
/// that are used as values somewhere, sorted by path.
pub fn fn_values(site: &MacroSite) -> Result<Vec<FnValue>, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_crate(&mut world, site)?;
    prepare(&mut world, krate);
    let manifest_dir = crate::world::normalize(&site.manifest_dir);
    let mut out = Vec::new();
    for c in world.view(krate) {
        for key in passed_as_values(&world, c) {
            let s = Session::new(&world, krate);
            let module = world.module_of(key.item);
            let strip_ref = |a: &syn::Attribute| world.is_cache_attr(module, &attr_segments(a));
            let strip: AttrFilter = &strip_ref;
            let root = node_read::node_info(&s, key, None, strip, &manifest_dir);
            let (analysis, computed) = finish(&s, Some(key), &root, b"", &manifest_dir);
            drop(s);
            out.push(FnValue {
                type_path: type_path(&world, c, &root.path),
                fingerprint: analysis.fingerprint,
            });
            store(&mut world, computed);
        }
    }
    // One path can name several functions (`#[cfg]` alternatives, a name
    // bound in two blocks of one function): the entry covers all of them.
    out.sort_by(|a, b| {
        (&a.type_path, a.fingerprint.as_bytes()).cmp(&(&b.type_path, b.fingerprint.as_bytes()))
    });
    let mut merged: Vec<FnValue> = Vec::with_capacity(out.len());
    for value in out {
        match merged.last_mut() {
            Some(last) if last.type_path == value.type_path => {
                let mut hasher = blake3::Hasher::new();
                hasher.update(last.fingerprint.as_bytes());
                hasher.update(value.fingerprint.as_bytes());
                last.fingerprint = hasher.finalize().into();
            }
            _ => merged.push(value),
        }
    }
    Ok(merged)
}

/// `crate_name::path`, as `type_name` prints it: raw identifiers without
/// `r#`, generic parameters of an impl's self type left out.
fn type_path(world: &World, krate: CrateId, path: &str) -> String {
    let mut out = world.crates[krate as usize].name.clone();
    let mut depth = 0usize;
    let mut segment = String::new();
    for c in format!("{path}::").chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            ':' if !segment.is_empty() => {
                out.push_str("::");
                out.push_str(segment.trim_start_matches("r#"));
                segment.clear();
            }
            ':' => {}
            c if !c.is_whitespace() => segment.push(c),
            _ => {}
        }
    }
    out
}

/// Free functions (nested ones too) and inherent associated functions of
/// crate `krate` whose name appears in its sources other than where it is
/// declared or called: `apply(double, 10)`, `.map(Self::parse)`.
fn passed_as_values(world: &World, krate: CrateId) -> Vec<NodeKey> {
    let index = &world.crates[krate as usize].index;
    let mut by_name: std::collections::HashMap<&str, Vec<NodeKey>> = Default::default();
    for (id, it) in index.items.iter().enumerate() {
        let item = ItemRef {
            krate,
            item: id as u32,
        };
        match &it.item.kind {
            ItemKind::Fn(_) => by_name
                .entry(it.item.name.as_str())
                .or_default()
                .push(NodeKey::item(item)),
            ItemKind::Impl(parts) if parts.trait_.is_none() => {
                for (i, a) in parts.items.iter().enumerate() {
                    if matches!(a.kind, AssocKind::Fn(_)) {
                        by_name
                            .entry(a.name.as_str())
                            .or_default()
                            .push(NodeKey::assoc(item, i));
                    }
                }
            }
            _ => {}
        }
    }
    let mut used: HashSet<&str> = HashSet::new();
    for file in &index.files {
        let Ok(t) = crate::lexer::lex(&file.text) else {
            continue;
        };
        for i in 0..t.toks.len() {
            if t.toks[i].kind != Kind::Ident {
                continue;
            }
            let Some((name, _)) = by_name.get_key_value(t.text(i)) else {
                continue;
            };
            // `twice::<u8>` may be a value; `module::f` is not `module`.
            let turbofish = t.is_path_sep(i + 1) && t.is_punct(i + 3, b'<');
            let called = t.is_open(i + 1, b'(')
                || t.is_punct(i + 1, b'!')
                || (t.is_path_sep(i + 1) && !turbofish);
            let declared = i > 0 && (t.is_ident(i - 1, "fn") || t.is_punct(i - 1, b'.'));
            if !called && !declared {
                used.insert(name);
            }
        }
    }
    let mut out: Vec<NodeKey> = used
        .into_iter()
        .flat_map(|name| by_name[name].iter().copied())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    #[test]
    fn type_paths_are_as_type_name_prints_them() {
        let mut world = World::default();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "").unwrap();
        let id = world
            .load_crate(dir.path(), &dir.path().join("src/main.rs"), "app", None)
            .unwrap();
        assert_eq!(type_path(&world, id, "steps::double"), "app::steps::double");
        assert_eq!(type_path(&world, id, "r#async::f"), "app::async::f");
        assert_eq!(
            type_path(&world, id, "Wrapper<T>::new"),
            "app::Wrapper::new"
        );
        assert_eq!(type_path(&world, id, "english::word"), "app::english::word");
    }
}
