//! Name resolution over the module tree: `use` maps (renames, globs, nested
//! groups, `self`/`super`/`crate`), the extern prelude (dependencies by the
//! name code uses) and the std prelude; and, for items written in function
//! bodies, the blocks around them first ([`World::resolve_from`]).
//!
//! Namespaces are not separated: a name bound as both a module and a
//! function resolves to both. That can only over-include.

use std::collections::HashSet;

use crate::ids::{Binding, CrateId, ItemRef, ModRef};
use crate::shallow::ItemKind;
use crate::std_names::{PRELUDE, STD_CRATES};
use crate::world::{DepBinding, World};

impl World {
    /// The crate root module of crate `krate`.
    pub fn root_of(krate: CrateId) -> ModRef {
        ModRef { krate, module: 0 }
    }

    /// Names bound in module `m` itself: its items, its `use`s and, failing
    /// those, its glob imports.
    pub fn lookup_in_module(
        &self,
        m: ModRef,
        name: &str,
        seen: &mut HashSet<(ModRef, String)>,
    ) -> Vec<Binding> {
        self.lookup_in_module_gated(m, name, seen).0
    }

    /// [`World::lookup_in_module`], and whether what it found shadows what
    /// the name would denote otherwise (an outer scope, a macro invocation
    /// standing in for it): false when it found nothing, or only items and
    /// `use`s under a `#[cfg]` of their own, which the build may compile
    /// out (the index does not evaluate predicates). Those never hide the
    /// alternatives (globs included): both count.
    fn lookup_in_module_gated(
        &self,
        m: ModRef,
        name: &str,
        seen: &mut HashSet<(ModRef, String)>,
    ) -> (Vec<Binding>, bool) {
        if !seen.insert((m, name.to_owned())) {
            return (Vec::new(), false);
        }
        let krate = &self.crates[m.krate as usize];
        let module = &krate.index.modules[m.module as usize];
        let mut out = Vec::new();
        let mut shadows = false;
        if let Some(ids) = module.names.get(name) {
            for &id in ids {
                let it = &krate.index.items[id as usize];
                let before = out.len();
                match (&it.item.kind, it.child) {
                    (ItemKind::Mod { .. }, Some(child)) => out.push(Binding::Module(ModRef {
                        krate: m.krate,
                        module: child,
                    })),
                    (ItemKind::Mod { .. }, None) => {}
                    (ItemKind::ExternCrate { krate: target }, _) => {
                        out.extend(self.extern_crate(m.krate, target));
                    }
                    _ => out.push(Binding::Item(ItemRef {
                        krate: m.krate,
                        item: id,
                    })),
                }
                shadows |= out.len() > before && !krate.index.is_gated(id);
            }
        }
        for (at, entry) in module.uses.iter().enumerate() {
            if !entry.glob && entry.name.as_deref() == Some(name) {
                let found = self.resolve_segments(m, &entry.path, seen);
                shadows |= !found.is_empty() && !module.gated_uses.contains(&at);
                for b in found {
                    push_unique(&mut out, b);
                }
            }
        }
        if !shadows {
            // What a glob provides shadows the rest, as it did when nothing
            // else bound the name.
            for entry in module.uses.iter().filter(|e| e.glob) {
                for target in self.resolve_segments(m, &entry.path, seen) {
                    for b in self.glob_provides(target, name, seen) {
                        shadows = true;
                        push_unique(&mut out, b);
                    }
                }
            }
        }
        seen.remove(&(m, name.to_owned()));
        (out, shadows)
    }

    /// A name as the first segment of a path written in module `m`: the
    /// module's bindings, then the extern prelude, then the std prelude.
    pub fn lookup_in_scope(
        &self,
        m: ModRef,
        name: &str,
        seen: &mut HashSet<(ModRef, String)>,
    ) -> Vec<Binding> {
        // What the module binds under `#[cfg]`s only (see
        // `lookup_in_module_gated`) counts with what it would be otherwise.
        let (mut found, shadows) = self.lookup_in_module_gated(m, name, seen);
        if shadows {
            return found;
        }
        let extern_found = self.extern_crate(m.krate, name);
        if !extern_found.is_empty() {
            for b in extern_found {
                push_unique(&mut found, b);
            }
            return found;
        }
        if PRELUDE.contains(&name) {
            push_unique(&mut found, Binding::Std);
            return found;
        }
        if found.is_empty() {
            return self.macro_call_fallback(m);
        }
        for b in self.macro_call_fallback(m) {
            push_unique(&mut found, b);
        }
        found
    }

    /// A name not found in module `m` may be generated by one of its
    /// item-position macro calls (`thread_local!`, `lazy_static!`, syn's
    /// `ast_struct!`): those calls stand in for it.
    fn macro_call_fallback(&self, m: ModRef) -> Vec<Binding> {
        self.crates[m.krate as usize].index.modules[m.module as usize]
            .macro_calls
            .iter()
            .map(|&item| {
                Binding::Item(ItemRef {
                    krate: m.krate,
                    item,
                })
            })
            .collect()
    }

    /// A crate named `name` as seen from crate `from`.
    fn extern_crate(&self, from: CrateId, name: &str) -> Vec<Binding> {
        let name = name.trim_start_matches("r#");
        if STD_CRATES.contains(&name) {
            return vec![Binding::Std];
        }
        let krate = &self.crates[from as usize];
        if name == "self" {
            return vec![Binding::Module(World::root_of(from))];
        }
        match krate.deps.get(name) {
            Some(DepBinding::Crate(id)) => vec![Binding::Module(World::root_of(*id))],
            Some(DepBinding::External(x)) => vec![Binding::External(x.clone())],
            None => self.extern_prelude_alias(from, name),
        }
    }

    /// `extern crate x as name;` at the crate root puts `name` in the
    /// extern prelude of every module of the crate (`extern crate self as
    /// me;` makes `me::m::f` a path to the crate's own `m::f`).
    fn extern_prelude_alias(&self, from: CrateId, name: &str) -> Vec<Binding> {
        let index = &self.crates[from as usize].index;
        let Some(ids) = index.modules[0].names.get(name) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|&id| match &index.items[id as usize].item.kind {
                // An alias of itself (`extern crate x as x;`) is the
                // dependency, already looked up.
                ItemKind::ExternCrate { krate } if krate != name => Some(krate),
                _ => None,
            })
            .flat_map(|krate| self.extern_crate(from, krate))
            .collect()
    }

    /// Resolves a path written in module `m`. An empty result means the path
    /// is unresolved.
    pub fn resolve_segments(
        &self,
        m: ModRef,
        segs: &[String],
        seen: &mut HashSet<(ModRef, String)>,
    ) -> Vec<Binding> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        let mut rest = &segs[1..];
        let current: Vec<Binding> = match first.as_str() {
            "crate" | "$crate" => vec![Binding::Module(World::root_of(m.krate))],
            "self" => vec![Binding::Module(m)],
            "super" => {
                let mut module = m;
                let mut up = 1;
                while rest.first().is_some_and(|s| s == "super") {
                    up += 1;
                    rest = &rest[1..];
                }
                for _ in 0..up {
                    match self.crates[m.krate as usize].index.modules[module.module as usize].parent
                    {
                        Some(p) => module.module = p,
                        None => return Vec::new(),
                    }
                }
                vec![Binding::Module(module)]
            }
            "::" => match rest.first() {
                Some(name) => {
                    let found = self.extern_crate(m.krate, name);
                    rest = &rest[1..];
                    found
                }
                None => return Vec::new(),
            },
            name => self.lookup_in_scope(m, name, seen),
        };
        self.follow(current, rest, seen)
    }

    /// What `name` denotes through a glob import of `target` (`use m::*`,
    /// `use Enum::*`, `use serde::*`).
    pub fn glob_provides(
        &self,
        target: Binding,
        name: &str,
        seen: &mut HashSet<(ModRef, String)>,
    ) -> Vec<Binding> {
        match target {
            Binding::Module(t) => self.lookup_in_module(t, name, seen),
            Binding::Item(e) => match &self.item(e).item.kind {
                ItemKind::Enum { variants } if variants.iter().any(|v| v == name) => {
                    vec![Binding::Item(e)]
                }
                _ => Vec::new(),
            },
            // `use serde::*;`: the name may come from there.
            Binding::External(x) => vec![Binding::External(x)],
            _ => Vec::new(),
        }
    }

    /// The remaining segments of a path whose first segments denote
    /// `current`.
    pub fn follow(
        &self,
        mut current: Vec<Binding>,
        rest: &[String],
        seen: &mut HashSet<(ModRef, String)>,
    ) -> Vec<Binding> {
        for seg in rest {
            let mut next = Vec::new();
            for b in current {
                match b {
                    Binding::Module(t) => {
                        let (mut found, shadows) = self.lookup_in_module_gated(t, seg, seen);
                        if !shadows {
                            found.extend(self.macro_call_fallback(t));
                        }
                        for b in found {
                            push_unique(&mut next, b);
                        }
                    }
                    Binding::Item(i) => {
                        let kind = &self.item(i).item.kind;
                        match kind {
                            ItemKind::Enum { variants } if variants.iter().any(|v| v == seg) => {
                                push_unique(&mut next, Binding::Item(i));
                            }
                            ItemKind::Struct
                            | ItemKind::Enum { .. }
                            | ItemKind::Union
                            | ItemKind::TypeAlias
                            | ItemKind::Trait { .. } => {
                                push_unique(&mut next, Binding::Assoc(i, seg.clone()))
                            }
                            // An invocation standing in for a name it may
                            // write (`State`) stands in for what is under
                            // it (`State::new`).
                            ItemKind::MacroCall => push_unique(&mut next, Binding::Item(i)),
                            _ => {}
                        }
                    }
                    Binding::Assoc(i, name) => push_unique(&mut next, Binding::Assoc(i, name)),
                    other => push_unique(&mut next, other),
                }
            }
            current = next;
            if current.is_empty() {
                break;
            }
        }
        current
    }

    /// Resolves a path written inside item `within` (when it is known):
    /// its first segment through the blocks around `within`, innermost
    /// first, then through module `m`.
    pub fn resolve_from(
        &self,
        m: ModRef,
        within: Option<ItemRef>,
        segs: &[String],
    ) -> Vec<Binding> {
        let mut seen = HashSet::new();
        let mut maybe = Vec::new();
        if let (Some(item), Some(first)) = (within, segs.first())
            && !matches!(
                first.as_str(),
                "crate" | "$crate" | "self" | "super" | "::" | "Self"
            )
        {
            let found = self.lookup_enclosing(item, first, &mut seen, &mut maybe);
            if !found.is_empty() {
                return self.follow(found, &segs[1..], &mut seen);
            }
        }
        let found = self.resolve_segments(m, segs, &mut seen);
        if found.is_empty() && !maybe.is_empty() {
            return self.follow(maybe, &segs[1..], &mut seen);
        }
        found
    }

    /// `name` as bound by the blocks that item `within` is written in:
    /// the innermost block binding it wins; in a block, its items and
    /// named `use`s before its glob imports. Empty when no block binds it.
    /// Globs of external crates and std, whose names are unknown, add to
    /// `maybe`: what the name is if nothing else binds it.
    pub fn lookup_enclosing(
        &self,
        within: ItemRef,
        name: &str,
        seen: &mut HashSet<(ModRef, String)>,
        maybe: &mut Vec<Binding>,
    ) -> Vec<Binding> {
        let index = &self.crates[within.krate as usize].index;
        let it = self.item(within);
        let Some(scope) = &it.nested else {
            return Vec::new();
        };
        let at = it.item.span.0;
        let module = self.module_of(within);
        // Blocks around `at`, innermost (shortest) first; the item's own
        // block is one of them.
        let in_file = index.nested.get(&it.file).map_or(&[][..], Vec::as_slice);
        let mut blocks: Vec<crate::shallow::Range> = in_file
            .iter()
            .map(|&id| &index.items[id as usize])
            .filter_map(|n| n.nested.as_ref().map(|s| s.block))
            .filter(|b| b.0 <= at && at < b.1)
            .collect();
        blocks.push(scope.block);
        blocks.sort_by_key(|b| (b.1 - b.0, b.0));
        blocks.dedup();
        for block in blocks {
            let in_block = || {
                in_file.iter().filter_map(move |&id| {
                    let n = &index.items[id as usize];
                    let s = n.nested.as_ref()?;
                    (s.block == block).then_some((
                        ItemRef {
                            krate: within.krate,
                            item: id,
                        },
                        n,
                    ))
                })
            };
            let mut out = Vec::new();
            for (r, n) in in_block() {
                match &n.item.kind {
                    ItemKind::Use(entries) => {
                        for e in entries.iter().filter(|e| !e.glob) {
                            if e.name.as_deref() == Some(name) {
                                for b in self.resolve_from_seen(module, r, &e.path, seen) {
                                    push_unique(&mut out, b);
                                }
                            }
                        }
                    }
                    ItemKind::Impl(_) => {}
                    _ if n.item.name == name => push_unique(&mut out, Binding::Item(r)),
                    _ => {}
                }
            }
            if out.is_empty() {
                for (r, n) in in_block() {
                    if let ItemKind::Use(entries) = &n.item.kind {
                        for e in entries.iter().filter(|e| e.glob) {
                            for target in self.resolve_from_seen(module, r, &e.path, seen) {
                                if matches!(target, Binding::External(_) | Binding::Std) {
                                    push_unique(maybe, target);
                                    continue;
                                }
                                for b in self.glob_provides(target, name, seen) {
                                    push_unique(&mut out, b);
                                }
                            }
                        }
                    }
                }
            }
            if !out.is_empty() {
                return out;
            }
        }
        Vec::new()
    }

    /// [`World::resolve_from`] for the path of a `use` in a block, with the
    /// caller's cycle guard (`use a::b; use b::a;` in one block).
    fn resolve_from_seen(
        &self,
        m: ModRef,
        use_item: ItemRef,
        segs: &[String],
        seen: &mut HashSet<(ModRef, String)>,
    ) -> Vec<Binding> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        // Guarded by the use item's own start, which no module has.
        let guard = (
            ModRef {
                krate: use_item.krate,
                module: u32::MAX - use_item.item,
            },
            first.clone(),
        );
        if !matches!(first.as_str(), "crate" | "$crate" | "self" | "super" | "::")
            && seen.insert(guard.clone())
        {
            let mut maybe = Vec::new();
            let found = self.lookup_enclosing(use_item, first, seen, &mut maybe);
            seen.remove(&guard);
            if !found.is_empty() {
                return self.follow(found, &segs[1..], seen);
            }
            let found = self.resolve_segments(m, segs, seen);
            if found.is_empty() && !maybe.is_empty() {
                return self.follow(maybe, &segs[1..], seen);
            }
            return found;
        }
        self.resolve_segments(m, segs, seen)
    }

    /// Convenience: [`World::resolve_segments`] with a fresh cycle guard.
    pub fn resolve(&self, m: ModRef, segs: &[String]) -> Vec<Binding> {
        self.resolve_segments(m, segs, &mut HashSet::new())
    }

    /// The indexed item behind a reference.
    pub fn item(&self, r: ItemRef) -> &crate::module_tree::IndexedItem {
        &self.crates[r.krate as usize].index.items[r.item as usize]
    }

    /// The module an item is written in.
    pub fn module_of(&self, r: ItemRef) -> ModRef {
        ModRef {
            krate: r.krate,
            module: self.item(r).module,
        }
    }

    /// `macro_rules!` macros named `name` in crate `krate`.
    pub fn macros_named(&self, krate: CrateId, name: &str) -> Vec<ItemRef> {
        self.crates[krate as usize]
            .index
            .macros
            .get(name)
            .map(|ids| ids.iter().map(|&item| ItemRef { krate, item }).collect())
            .unwrap_or_default()
    }
}

fn push_unique(out: &mut Vec<Binding>, b: Binding) {
    if !out.contains(&b) {
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn world_for(files: &[(&str, &str)]) -> (tempfile::TempDir, World, CrateId) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut world = World::default();
        let root = dir.path().join("src/lib.rs");
        let id = world
            .load_crate(dir.path(), &root, "fixture", None)
            .unwrap();
        (dir, world, id)
    }

    fn segs(path: &str) -> Vec<String> {
        path.split("::").map(str::to_owned).collect()
    }

    fn names(world: &World, bindings: &[Binding]) -> Vec<String> {
        bindings
            .iter()
            .map(|b| match b {
                Binding::Item(i) => world.item(*i).item.name.clone(),
                Binding::Module(m) => format!(
                    "mod {}",
                    world.crates[m.krate as usize].index.modules[m.module as usize]
                        .path
                        .join("::")
                ),
                Binding::Assoc(i, n) => format!("{}::{n}", world.item(*i).item.name),
                Binding::External(x) => format!("ext {x}"),
                Binding::Std => "std".into(),
            })
            .collect()
    }

    const MANIFEST: &str = "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\n[dependencies]\nrx = { package = \"regex\", version = \"1\" }\n";

    #[test]
    fn use_maps() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", MANIFEST),
            (
                "src/lib.rs",
                "mod a; mod b; pub use a::deep::{self as dd, target as renamed}; use b::*; use rx::Regex as R; enum E { V1, V2 } use E::*;",
            ),
            (
                "src/a.rs",
                "pub mod deep { pub fn target() {} pub fn other() {} } pub fn up() { } ",
            ),
            (
                "src/b.rs",
                "pub fn globbed() {} pub use super::a::up as up2; pub mod c { use super::super::a; pub fn f() {} }",
            ),
        ]);
        let root = World::root_of(id);
        let r = |p: &str| names(&world, &world.resolve(root, &segs(p)));
        assert_eq!(r("renamed"), ["target"]);
        assert_eq!(r("dd::other"), ["other"]);
        assert_eq!(r("globbed"), ["globbed"]);
        assert_eq!(r("up2"), ["up"]);
        assert_eq!(r("crate::b::c::f"), ["f"]);
        assert_eq!(r("self::a::up"), ["up"]);
        assert_eq!(r("R"), ["ext regex@1"]);
        assert_eq!(r("rx::bytes::Regex"), ["ext regex@1"]);
        assert_eq!(r("V2"), ["E"]);
        assert_eq!(r("E::V1"), ["E"]);
        assert_eq!(r("E::new"), ["E::new"]);
        assert_eq!(r("std::mem::swap"), ["std"]);
        assert_eq!(r("Vec"), ["std"]);
        assert!(r("missing").is_empty());
        assert!(r("a::missing").is_empty());
        // `super` and `crate` from inside a nested module.
        let c = world.resolve(root, &segs("b::c"));
        let Binding::Module(cm) = c[0] else { panic!() };
        assert_eq!(names(&world, &world.resolve(cm, &segs("a::up"))), ["up"]);
        assert_eq!(
            names(&world, &world.resolve(cm, &segs("super::globbed"))),
            ["globbed"]
        );
        assert_eq!(names(&world, &world.resolve(cm, &segs("crate::E"))), ["E"]);
        let _ = Path::new("");
    }

    #[test]
    fn nested_items_resolve_through_their_blocks_innermost_first() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", MANIFEST),
            (
                "src/lib.rs",
                "fn word() {} enum Kind { A } mod m { pub fn deep() {} }\n\
                 fn outer() {\n    fn word() {}\n    use crate::Kind::*;\n    use crate::m::deep as d;\n    use rx::*;\n    {\n        fn word() {}\n        fn inner() {}\n    }\n    fn sibling() {}\n}\n",
            ),
        ]);
        let index = &world.crates[id as usize].index;
        let nested = |name: &str| {
            let ids: Vec<ItemRef> = index.nested[&0]
                .iter()
                .filter(|&&i| index.items[i as usize].item.name == name)
                .map(|&item| ItemRef { krate: id, item })
                .collect();
            ids
        };
        let root = World::root_of(id);
        let from = |within: ItemRef, path: &str| {
            world
                .resolve_from(root, Some(within), &segs(path))
                .into_iter()
                .map(|b| match b {
                    Binding::Item(i) => {
                        let it = world.item(i);
                        let line = world.crates[id as usize].index.files[0]
                            .line_column(it.item.span.0)
                            .0;
                        format!("{}@{line}", it.item.name)
                    }
                    other => names(&world, &[other]).join(""),
                })
                .collect::<Vec<_>>()
        };
        let inner = nested("inner")[0];
        let sibling = nested("sibling")[0];
        // The innermost block's `word`, then the outer block's, then the
        // module's.
        assert_eq!(from(inner, "word"), ["word@8"]);
        assert_eq!(from(sibling, "word"), ["word@3"]);
        let module_level = ItemRef {
            krate: id,
            item: index
                .items
                .iter()
                .position(|it| it.item.name == "outer")
                .unwrap() as u32,
        };
        assert_eq!(from(module_level, "word"), ["word@1"]);
        // Globs and renames of the outer block reach the inner one; a glob
        // of an external crate never hides a name that resolves otherwise.
        assert_eq!(from(inner, "A"), ["Kind@1"]);
        assert_eq!(from(inner, "d"), ["deep@1"]);
        assert_eq!(from(inner, "m::deep"), ["deep@1"]);
        assert_eq!(from(inner, "Regex"), ["ext regex@1"]);
        assert!(from(inner, "crate::nothing").is_empty());
    }

    /// S8 (trial): a path dependency whose `[lib] name` differs from its
    /// package name is named after the lib in code (`dee::tag` for package
    /// `d`); it stayed unresolved, so editing `d` served stale values. A
    /// renamed entry (`package = ".."`) is named after its key instead,
    /// also when the rename is inherited from `[workspace.dependencies]`.
    #[test]
    fn path_dependencies_are_named_after_their_lib_target_unless_renamed() {
        let lib = |package: &str, lib: &str| {
            format!(
                "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\n[lib]\nname = \"{lib}\"\n"
            )
        };
        let (_dir, world, id) = world_for(&[
            (
                "Cargo.toml",
                "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\n[dependencies]\n\
                 d = { path = \"d\" }\nalias = { path = \"r\", package = \"r\" }\n\
                 my-dep = { path = \"h\" }\ninherited = { workspace = true }\n\
                 [workspace]\n[workspace.dependencies]\ninherited = { path = \"w\", package = \"w\" }\n",
            ),
            ("src/lib.rs", ""),
            ("d/Cargo.toml", &lib("d", "dee")),
            ("d/src/lib.rs", "pub fn tag() {}"),
            ("r/Cargo.toml", &lib("r", "arr")),
            ("r/src/lib.rs", "pub fn tag() {}"),
            (
                "h/Cargo.toml",
                "[package]\nname = \"my-dep\"\nversion = \"0.1.0\"\n",
            ),
            ("h/src/lib.rs", "pub fn tag() {}"),
            ("w/Cargo.toml", &lib("w", "double-u")),
            ("w/src/lib.rs", "pub fn tag() {}"),
        ]);
        let root = World::root_of(id);
        let r = |p: &str| names(&world, &world.resolve(root, &segs(p)));
        assert_eq!(r("dee::tag"), ["tag"]);
        assert!(r("d::tag").is_empty());
        assert_eq!(r("alias::tag"), ["tag"]);
        assert!(r("arr::tag").is_empty());
        assert_eq!(r("my_dep::tag"), ["tag"]);
        assert_eq!(r("inherited::tag"), ["tag"]);
        assert!(r("double_u::tag").is_empty());
    }

    /// Trial C: a name bound only under `#[cfg]`s (which the index does
    /// not evaluate) may be compiled out, and then the glob, the outer
    /// scope or the macro invocation that would bind it does: both count.
    /// An item without a `#[cfg]` still shadows them.
    #[test]
    fn gated_bindings_never_hide_the_alternatives() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", MANIFEST),
            (
                "src/lib.rs",
                "mod inner { pub fn pick() {} pub fn plain() {} pub fn k() {} pub fn Regex() {} }
                 mod a { pub fn k() {} }
                 mod imp {
    #[cfg(windows)] pub fn pick() {}
    pub fn plain() {}
    pub use crate::inner::*;
                     #[cfg(windows)] use crate::a::k;
    #[cfg(windows)] pub fn Vec() {}
    #[cfg(windows)] pub fn rx() {}
                     #[cfg(unix)] pub fn made() {}
    make!(made);
}
",
            ),
        ]);
        let root = World::root_of(id);
        let r = |p: &str| {
            let mut got = names(&world, &world.resolve(root, &segs(p)));
            got.sort();
            got
        };
        assert_eq!(r("imp::pick"), ["pick", "pick"]);
        assert_eq!(r("imp::plain"), ["plain"]);
        assert_eq!(r("imp::k"), ["k", "k"]);
        // The macro call reads as a nameless item.
        assert_eq!(r("imp::made"), ["", "made"]);
        let imp = world.resolve(root, &segs("imp"));
        let Binding::Module(imp) = imp[0] else {
            panic!()
        };
        let s = |p: &str| {
            let mut got = names(&world, &world.resolve(imp, &segs(p)));
            got.sort();
            got
        };
        assert_eq!(s("Vec"), ["Vec", "std"]);
        assert_eq!(s("rx"), ["ext regex@1", "rx"]);
    }

    #[test]
    fn glob_cycles_terminate() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", MANIFEST),
            (
                "src/lib.rs",
                "mod a { pub use super::b::*; } mod b { pub use super::a::*; } use a::*;",
            ),
        ]);
        assert!(
            world
                .resolve(World::root_of(id), &segs("nothing"))
                .is_empty()
        );
    }
}
