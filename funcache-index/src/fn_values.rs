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
//!
//! `type_name` prints a path, and one path can name several functions: `op`
//! in two blocks of one function (`app::run::op` both), or a `fn a` holding
//! `fn b` beside a `mod a` holding `fn b`. Such a path is ambiguous, and its
//! entry has no fingerprint: calls with it run uncached. Only functions of
//! one scope (one module, or one block) may share a path, as `#[cfg]`
//! alternatives: rustc lets at most one of them exist.

use std::collections::HashSet;

use crate::analysis::{FallbackGuard, attr_segments, finish, prepare, select_compiled, store};
use crate::dep_build_output::{Reader, RustcDeps};
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
    /// The fingerprint of its source and everything it reaches; `None`
    /// when the path names functions of several scopes (see the module
    /// docs): which one a value is cannot be told from its type name.
    pub fingerprint: Option<Digest>,
}

/// The functions of the crate at `site` (and of the crates in its view)
/// that are used as values somewhere, sorted by path.
pub fn fn_values(site: &MacroSite) -> Result<Vec<FnValue>, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_compiled(&mut world, site)?;
    prepare(&mut world, krate);
    let manifest_dir = crate::world::normalize(&site.manifest_dir);
    let view = world.view(krate);
    // A function of a dependency may be used as a value only by the crate
    // that depends on it: names are collected over the whole view.
    let used = names_used_as_values(&world, &view);
    let mut out = Vec::new();
    for &c in &view {
        for key in passed_as_values(&world, c, &used) {
            let s = Session::new(&world, krate);
            let module = world.module_of(key.item);
            let strip_ref = |a: &syn::Attribute| world.is_cache_attr(module, &attr_segments(a));
            let strip: AttrFilter = &strip_ref;
            let root = node_read::node_info(&s, key, None, strip, &manifest_dir);
            let reader = Reader::Compiler(RustcDeps::of_process());
            let (analysis, computed) = finish(&s, Some(key), &root, b"", &manifest_dir, reader);
            drop(s);
            out.push((
                type_path(&world, c, &root.path),
                scope_of(&world, key),
                analysis.fingerprint,
            ));
            store(&mut world, computed);
        }
    }
    Ok(merge(out))
}

/// Where a function is bound: its crate and module, and for a nested one
/// its file and block. Two functions of one scope never both exist.
pub(crate) type Scope = (CrateId, u32, Option<(u32, u32)>);

fn scope_of(world: &World, key: NodeKey) -> Scope {
    let it = world.item(key.item);
    let block = it.nested.as_ref().map(|n| (it.file, n.block.0));
    (key.item.krate, it.module, block)
}

/// One entry per path: functions of one scope sharing a path are `#[cfg]`
/// alternatives and share an entry covering all of them; functions of
/// several scopes sharing one make it ambiguous.
fn merge(mut found: Vec<(String, Scope, Digest)>) -> Vec<FnValue> {
    found.sort_by(|a, b| (&a.0, a.1, a.2.as_bytes()).cmp(&(&b.0, b.1, b.2.as_bytes())));
    let mut merged: Vec<(FnValue, Scope)> = Vec::with_capacity(found.len());
    for (type_path, scope, fingerprint) in found {
        match merged.last_mut() {
            Some((last, last_scope)) if last.type_path == type_path => {
                last.fingerprint = match last.fingerprint {
                    Some(seen) if *last_scope == scope => {
                        let mut hasher = blake3::Hasher::new();
                        hasher.update(seen.as_bytes());
                        hasher.update(fingerprint.as_bytes());
                        Some(hasher.finalize().into())
                    }
                    _ => None,
                };
            }
            _ => merged.push((
                FnValue {
                    type_path,
                    fingerprint: Some(fingerprint),
                },
                scope,
            )),
        }
    }
    merged.into_iter().map(|(value, _)| value).collect()
}

/// `crate_name::path`, as `type_name` prints it: raw identifiers without
/// `r#`, generic parameters of an impl's self type left out.
pub(crate) fn type_path(world: &World, krate: CrateId, path: &str) -> String {
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

/// Names that appear in the sources of `crates` other than where they are
/// declared or called: `apply(double, 10)`, `.map(Self::parse)`.
fn names_used_as_values(world: &World, crates: &[CrateId]) -> HashSet<String> {
    let mut used = HashSet::new();
    for &krate in crates {
        for file in &world.crates[krate as usize].index.files {
            let Ok(t) = crate::lexer::lex(&file.text) else {
                continue;
            };
            for i in 0..t.toks.len() {
                if t.toks[i].kind != Kind::Ident {
                    continue;
                }
                // `twice::<u8>` may be a value; `module::f` is not `module`.
                let turbofish = t.is_path_sep(i + 1) && t.is_punct(i + 3, b'<');
                let called = t.is_open(i + 1, b'(')
                    || t.is_punct(i + 1, b'!')
                    || (t.is_path_sep(i + 1) && !turbofish);
                let declared = i > 0 && (t.is_ident(i - 1, "fn") || t.is_punct(i - 1, b'.'));
                if !called && !declared && !used.contains(t.text(i)) {
                    used.insert(t.text(i).to_owned());
                }
            }
        }
    }
    used
}

/// Free functions (nested ones too) and inherent associated functions of
/// crate `krate` whose name is in `used`.
fn passed_as_values(world: &World, krate: CrateId, used: &HashSet<String>) -> Vec<NodeKey> {
    let index = &world.crates[krate as usize].index;
    let mut out = Vec::new();
    for (id, it) in index.items.iter().enumerate() {
        let item = ItemRef {
            krate,
            item: id as u32,
        };
        match &it.item.kind {
            ItemKind::Fn(_) if used.contains(&it.item.name) => out.push(NodeKey::item(item)),
            ItemKind::Impl(parts) if parts.trait_.is_none() => {
                for (i, a) in parts.items.iter().enumerate() {
                    if matches!(a.kind, AssocKind::Fn(_)) && used.contains(&a.name) {
                        out.push(NodeKey::assoc(item, i));
                    }
                }
            }
            _ => {}
        }
    }
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
