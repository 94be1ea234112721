//! Name resolution over the module tree: `use` maps (renames, globs, nested
//! groups, `self`/`super`/`crate`), the extern prelude (dependencies by the
//! name code uses) and the std prelude; and, for items written in function
//! bodies, the blocks around them first ([`World::resolve_from`]).
//!
//! Rust keeps types (modules, types, traits) and values (fns, consts,
//! statics, constructors) in separate namespaces: `mod find { pub fn
//! find() {} } pub use find::find;` binds `find` twice in one module. A
//! path's leading segments resolve in the type namespace and its last one
//! in the namespace of where it is written ([`Ns`]); a `use` imports the
//! name in every namespace it exists in. A struct, whose constructor may
//! or may not be a value, and what the index cannot classify are in both.
//!
//! Paths in `use` items of an edition-2015 crate are relative to the
//! crate root, and a leading `::` in any of its paths names the crate root
//! (where `extern crate`s bind their names) rather than the extern prelude
//! ([`World::use_path`]).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::ids::{Binding, CrateId, ItemRef, ModRef};
use crate::shallow::ItemKind;
use crate::std_names::{PRELUDE, STD_CRATES};
use crate::world::{DepBinding, World};

/// The namespace a path's last segment is looked up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Ns {
    /// Modules, types, traits: a type position, a path's prefix.
    Type,
    /// Fns, consts, statics, constructors: a call or value position.
    Value,
    /// Either (a `use`, macro input, or a position not known).
    Any,
}

impl Ns {
    /// Whether an item of `kind` is bound in this namespace.
    fn holds(self, kind: &ItemKind) -> bool {
        match (self, kind) {
            (Ns::Any, _) => true,
            (
                Ns::Value,
                ItemKind::Mod { .. }
                | ItemKind::ExternCrate { .. }
                | ItemKind::Enum { .. }
                | ItemKind::Union
                | ItemKind::TypeAlias
                | ItemKind::Trait { .. },
            ) => false,
            (Ns::Type, ItemKind::Fn(_) | ItemKind::Const | ItemKind::Static) => false,
            _ => true,
        }
    }
}

/// The cycle guard of a resolution: a name looked up in a module and
/// namespace is not looked up again inside that lookup.
pub(crate) type Seen = HashSet<(ModRef, String, Ns)>;

/// The namespace of segment `i` of a path of `len` segments whose last
/// one is looked up in `ns`.
fn ns_at(i: usize, len: usize, ns: Ns) -> Ns {
    if i + 1 == len { ns } else { Ns::Type }
}

/// A path as written, for messages: `::ROOT`, `a::b`.
pub(crate) fn path_text(segs: &[String]) -> String {
    match segs.split_first() {
        Some((first, rest)) if first == "::" => format!("::{}", rest.join("::")),
        _ => segs.join("::"),
    }
}

impl World {
    /// Whether crate `krate` is compiled under edition 2015.
    pub fn is_2015(&self, krate: CrateId) -> bool {
        self.crates[krate as usize].manifest.edition == "2015"
    }

    /// The path of a `use` written in crate `krate`, as any other path:
    /// in edition 2015 a `use` path not starting with `crate`, `self`,
    /// `super` or `::` is relative to the crate root (`use table::K;`), so
    /// it gets a leading `::` (see [`World::resolve_segments`]).
    pub fn use_path<'p>(&self, krate: CrateId, path: &'p [String]) -> Cow<'p, [String]> {
        match path.first() {
            Some(first)
                if self.is_2015(krate)
                    && !matches!(first.as_str(), "crate" | "$crate" | "self" | "super" | "::") =>
            {
                let mut out = Vec::with_capacity(path.len() + 1);
                out.push("::".to_owned());
                out.extend_from_slice(path);
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(path),
        }
    }

    /// Resolves the path of a `use` written in module `m`, in every
    /// namespace.
    pub fn resolve_use(&self, m: ModRef, path: &[String]) -> Vec<Binding> {
        self.resolve(m, &self.use_path(m.krate, path))
    }

    /// The crate root module of crate `krate`.
    pub fn root_of(krate: CrateId) -> ModRef {
        ModRef { krate, module: 0 }
    }

    /// Names bound in module `m` itself in namespace `ns`: its items, its
    /// `use`s and, failing those, its glob imports.
    pub fn lookup_in_module(&self, m: ModRef, name: &str, ns: Ns, seen: &mut Seen) -> Vec<Binding> {
        self.lookup_in_module_gated(m, name, ns, seen).0
    }

    /// [`World::lookup_in_module`], and whether what it found shadows what
    /// the name would denote otherwise (an outer scope, a macro invocation
    /// standing in for it): false when it found nothing, or only items and
    /// `use`s under a `#[cfg]` of their own, which the build may compile
    /// out (the index does not evaluate predicates). Those never hide the
    /// alternatives (globs included): both count.
    ///
    /// A glob of std or of an external crate (`pub use std::net::*;`),
    /// whose names the index does not know, may provide any name the
    /// module does not bind otherwise: that std or external path is among
    /// what the name denotes, but it hides nothing (the name may not be
    /// there), so the alternatives count too.
    fn lookup_in_module_gated(
        &self,
        m: ModRef,
        name: &str,
        ns: Ns,
        seen: &mut Seen,
    ) -> (Vec<Binding>, bool) {
        let mut maybe = Vec::new();
        let (mut out, shadows) = self.lookup_in_module_maybe(m, name, ns, seen, &mut maybe);
        for b in maybe {
            push_unique(&mut out, b);
        }
        (out, shadows)
    }

    /// [`World::lookup_in_module_gated`], what globs of std or of external
    /// crates may provide added to `maybe` rather than to the result.
    fn lookup_in_module_maybe(
        &self,
        m: ModRef,
        name: &str,
        ns: Ns,
        seen: &mut Seen,
        maybe: &mut Vec<Binding>,
    ) -> (Vec<Binding>, bool) {
        let key = (m, name.to_owned(), ns);
        if !seen.insert(key.clone()) {
            return (Vec::new(), false);
        }
        let krate = &self.crates[m.krate as usize];
        let module = &krate.index.modules[m.module as usize];
        let mut out = Vec::new();
        let mut shadows = false;
        if let Some(ids) = module.names.get(name) {
            for &id in ids {
                let it = &krate.index.items[id as usize];
                if !ns.holds(&it.item.kind) {
                    continue;
                }
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
                let path = self.use_path(m.krate, &entry.path);
                let found = self.resolve_segments(m, &path, ns, seen);
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
                let path = self.use_path(m.krate, &entry.path);
                for target in self.resolve_segments(m, &path, Ns::Type, seen) {
                    for b in self.glob_provides(target, name, ns, seen, maybe) {
                        shadows = true;
                        push_unique(&mut out, b);
                    }
                }
            }
        }
        seen.remove(&key);
        (out, shadows)
    }

    /// A name as the first segment of a path written in module `m`: the
    /// module's bindings in namespace `ns`, then the extern prelude, then
    /// the std prelude.
    pub fn lookup_in_scope(&self, m: ModRef, name: &str, ns: Ns, seen: &mut Seen) -> Vec<Binding> {
        // What the module binds under `#[cfg]`s only (see
        // `lookup_in_module_gated`) counts with what it would be otherwise.
        let (mut found, shadows) = self.lookup_in_module_gated(m, name, ns, seen);
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

    /// Resolves a path written in module `m`, its last segment in
    /// namespace `ns`. An empty result means the path is unresolved.
    pub fn resolve_segments(
        &self,
        m: ModRef,
        segs: &[String],
        ns: Ns,
        seen: &mut Seen,
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
                    let name_ns = ns_at(0, rest.len(), ns);
                    rest = &rest[1..];
                    // Edition 2015: the crate root, where `extern crate`
                    // binds names (std's implicitly), then the extern
                    // prelude.
                    let (mut found, shadows) = if self.is_2015(m.krate) {
                        self.lookup_in_module_gated(World::root_of(m.krate), name, name_ns, seen)
                    } else {
                        (Vec::new(), false)
                    };
                    if !shadows {
                        for b in self.extern_crate(m.krate, name) {
                            push_unique(&mut found, b);
                        }
                    }
                    found
                }
                None => return Vec::new(),
            },
            name => self.lookup_in_scope(m, name, ns_at(0, segs.len(), ns), seen),
        };
        self.follow(current, rest, ns, seen)
    }

    /// What `name` denotes in namespace `ns` through a glob import of
    /// `target` (`use m::*`, `use Enum::*`). What a glob of std or of an
    /// external crate (`use serde::*;`, `use std::net::*;`), whose names
    /// the index does not know, may provide goes to `maybe` instead, also
    /// through a module's globs: it hides nothing (see
    /// [`World::lookup_in_module_gated`]).
    pub fn glob_provides(
        &self,
        target: Binding,
        name: &str,
        ns: Ns,
        seen: &mut Seen,
        maybe: &mut Vec<Binding>,
    ) -> Vec<Binding> {
        match target {
            Binding::Module(t) => self.lookup_in_module_maybe(t, name, ns, seen, maybe).0,
            Binding::Item(e) => match &self.item(e).item.kind {
                ItemKind::Enum { variants } if variants.iter().any(|v| v == name) => {
                    vec![Binding::Item(e)]
                }
                _ => Vec::new(),
            },
            Binding::External(_) | Binding::Std => {
                push_unique(maybe, target);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The remaining segments of a path whose first segments denote
    /// `current`, the last one in namespace `ns`.
    pub fn follow(
        &self,
        mut current: Vec<Binding>,
        rest: &[String],
        ns: Ns,
        seen: &mut Seen,
    ) -> Vec<Binding> {
        for (i, seg) in rest.iter().enumerate() {
            let seg_ns = ns_at(i, rest.len(), ns);
            let mut next = Vec::new();
            for b in current {
                match b {
                    Binding::Module(t) => {
                        let (mut found, shadows) =
                            self.lookup_in_module_gated(t, seg, seg_ns, seen);
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
    /// first, then through module `m`; its last segment in either
    /// namespace.
    pub fn resolve_from(
        &self,
        m: ModRef,
        within: Option<ItemRef>,
        segs: &[String],
    ) -> Vec<Binding> {
        self.resolve_from_in(m, within, segs, Ns::Any)
    }

    /// [`World::resolve_from`], the last segment in namespace `ns`.
    pub fn resolve_from_in(
        &self,
        m: ModRef,
        within: Option<ItemRef>,
        segs: &[String],
        ns: Ns,
    ) -> Vec<Binding> {
        let mut seen = HashSet::new();
        let mut maybe = Vec::new();
        if let (Some(item), Some(first)) = (within, segs.first())
            && !matches!(
                first.as_str(),
                "crate" | "$crate" | "self" | "super" | "::" | "Self"
            )
        {
            let first_ns = ns_at(0, segs.len(), ns);
            let found = self.lookup_enclosing(item, first, first_ns, &mut seen, &mut maybe);
            if !found.is_empty() {
                return self.follow(found, &segs[1..], ns, &mut seen);
            }
        }
        let found = self.resolve_segments(m, segs, ns, &mut seen);
        if found.is_empty() && !maybe.is_empty() {
            return self.follow(maybe, &segs[1..], ns, &mut seen);
        }
        found
    }

    /// `name` as bound in namespace `ns` by the blocks that item `within`
    /// is written in: the innermost block binding it wins; in a block, its
    /// items and named `use`s before its glob imports. Empty when no block
    /// binds it. Globs of external crates and std, whose names are unknown,
    /// add to `maybe`: what the name is if nothing else binds it.
    pub fn lookup_enclosing(
        &self,
        within: ItemRef,
        name: &str,
        ns: Ns,
        seen: &mut Seen,
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
                                let path = self.use_path(within.krate, &e.path);
                                for b in self.resolve_from_seen(module, r, &path, ns, seen) {
                                    push_unique(&mut out, b);
                                }
                            }
                        }
                    }
                    ItemKind::Impl(_) => {}
                    kind if n.item.name == name && ns.holds(kind) => {
                        push_unique(&mut out, Binding::Item(r))
                    }
                    _ => {}
                }
            }
            if out.is_empty() {
                for (r, n) in in_block() {
                    if let ItemKind::Use(entries) = &n.item.kind {
                        for e in entries.iter().filter(|e| e.glob) {
                            let path = self.use_path(within.krate, &e.path);
                            for target in self.resolve_from_seen(module, r, &path, Ns::Type, seen) {
                                for b in self.glob_provides(target, name, ns, seen, maybe) {
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
        ns: Ns,
        seen: &mut Seen,
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
            ns_at(0, segs.len(), ns),
        );
        if !matches!(first.as_str(), "crate" | "$crate" | "self" | "super" | "::")
            && seen.insert(guard.clone())
        {
            let mut maybe = Vec::new();
            let first_ns = ns_at(0, segs.len(), ns);
            let found = self.lookup_enclosing(use_item, first, first_ns, seen, &mut maybe);
            seen.remove(&guard);
            if !found.is_empty() {
                return self.follow(found, &segs[1..], ns, seen);
            }
            let found = self.resolve_segments(m, segs, ns, seen);
            if found.is_empty() && !maybe.is_empty() {
                return self.follow(maybe, &segs[1..], ns, seen);
            }
            return found;
        }
        self.resolve_segments(m, segs, ns, seen)
    }

    /// Convenience: [`World::resolve_segments`] in either namespace with a
    /// fresh cycle guard.
    pub fn resolve(&self, m: ModRef, segs: &[String]) -> Vec<Binding> {
        self.resolve_in(m, segs, Ns::Any)
    }

    /// [`World::resolve`], the last segment in namespace `ns`.
    pub fn resolve_in(&self, m: ModRef, segs: &[String], ns: Ns) -> Vec<Binding> {
        self.resolve_segments(m, segs, ns, &mut HashSet::new())
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
        match path.strip_prefix("::") {
            Some(rest) => std::iter::once("::")
                .chain(rest.split("::"))
                .map(str::to_owned)
                .collect(),
            None => path.split("::").map(str::to_owned).collect(),
        }
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

    /// No `edition` key: edition 2015.
    const MANIFEST: &str = "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\n[dependencies]\nrx = { package = \"regex\", version = \"1\" }\n";
    const EDITION_2021: &str = "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\nrx = { package = \"regex\", version = \"1\" }\n";

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

    /// Trial F, E: `mod find { pub fn find() }` re-exported as `pub use
    /// crate::find::find;` (memchr's `memchr::memchr`, base64's
    /// `crate::encode`): `find` and `crate::find` as a value resolved to
    /// the module alone, as the `use`'s own `crate::find` was cut by the
    /// cycle guard, so edits of the fn were served stale.
    #[test]
    fn values_and_types_resolve_in_their_own_namespace() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", EDITION_2021),
            (
                "src/lib.rs",
                "mod find { pub fn find() {} }
pub use crate::find::find;
                 pub mod sf { pub mod conv { pub fn conv() {} } pub use self::conv::conv; }
                 mod g { pub fn g() {} }
use g::*;
                 pub struct Both;
pub const Both2: u8 = 0;
",
            ),
        ]);
        let root = World::root_of(id);
        let r = |p: &str, ns: Ns| names(&world, &world.resolve_in(root, &segs(p), ns));
        assert_eq!(r("find", Ns::Value), ["find"]);
        assert_eq!(r("crate::find", Ns::Value), ["find"]);
        assert_eq!(r("self::find", Ns::Value), ["find"]);
        assert_eq!(r("find", Ns::Type), ["mod find"]);
        assert_eq!(r("find", Ns::Any), ["mod find", "find"]);
        assert_eq!(r("find::find", Ns::Value), ["find"]);
        assert_eq!(r("sf::conv", Ns::Value), ["conv"]);
        assert_eq!(r("crate::sf::conv", Ns::Type), ["mod sf::conv"]);
        assert_eq!(r("sf::conv::conv", Ns::Value), ["conv"]);
        // A glob supplies the value its module's own name hides.
        assert_eq!(r("g", Ns::Value), ["g"]);
        assert_eq!(r("g", Ns::Type), ["mod g"]);
        // A struct may be a constructor: in both.
        assert_eq!(r("Both", Ns::Value), ["Both"]);
        assert_eq!(r("Both", Ns::Type), ["Both"]);
        assert!(r("Both2", Ns::Type).is_empty());
    }

    /// Trial F, A (crc32fast 1.2.1): in edition 2015 a `use` path is
    /// relative to the crate root (`use table::K;` in a submodule) and
    /// `::ROOT` is the crate root's item; both were unresolved, so edits
    /// of `K` or `ROOT` were served stale.
    #[test]
    fn edition_2015_use_paths_and_leading_colons_start_at_the_crate_root() {
        let files = |manifest| {
            world_for(&[
                ("Cargo.toml", manifest),
                (
                    "src/lib.rs",
                    "mod table; mod cached; pub const ROOT: u32 = 1; extern crate rx as rr;",
                ),
                ("src/table.rs", "pub const K: u32 = 1;"),
                (
                    "src/cached.rs",
                    "use table::K; use table::*; use rr::Regex; pub fn f() {}
                     pub mod inner { use table; pub fn g() {} }",
                ),
            ])
        };
        let (_dir, world, id) = files(MANIFEST);
        assert!(world.is_2015(id));
        let cached = world.resolve(World::root_of(id), &segs("cached"))[0].clone();
        let Binding::Module(cached) = cached else {
            panic!()
        };
        let r = |m: ModRef, p: &str| names(&world, &world.resolve(m, &segs(p)));
        assert_eq!(r(cached, "K"), ["K"]);
        assert_eq!(r(cached, "::ROOT"), ["ROOT"]);
        assert_eq!(r(cached, "::table::K"), ["K"]);
        assert_eq!(r(cached, "::std::mem::swap"), ["std"]);
        assert_eq!(r(cached, "::rx::Regex"), ["ext regex@1"]);
        assert_eq!(r(cached, "::rr::Regex"), ["ext regex@1"]);
        assert_eq!(r(cached, "Regex"), ["ext regex@1"]);
        assert_eq!(r(cached, "inner::table::K"), ["K"]);
        // In a later edition the same paths are not the crate root's.
        let (_dir, world, id) = files(EDITION_2021);
        assert!(!world.is_2015(id));
        let Binding::Module(cached) = world.resolve(World::root_of(id), &segs("cached"))[0] else {
            panic!()
        };
        let r = |m: ModRef, p: &str| names(&world, &world.resolve(m, &segs(p)));
        assert!(r(cached, "K").is_empty());
        assert!(r(cached, "::ROOT").is_empty());
        assert_eq!(r(cached, "::rx::Regex"), ["ext regex@1"]);
    }

    /// Trial C: a name bound only under `#[cfg]`s (which the index does
    /// not evaluate) may be compiled out, and then the glob, the outer
    /// scope or the macro invocation that would bind it does: both count.
    /// An item without a `#[cfg]` still shadows them.
    #[test]
    fn gated_bindings_never_hide_the_alternatives() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", EDITION_2021),
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

    /// Trial J (url 2.5.8): `pub(crate) mod net { pub use std::net::*; }`
    /// then `use crate::net::Ipv4Addr;` left `Ipv4Addr` unresolved, as a
    /// glob of std provided nothing, so `strict` refused it. Such a glob
    /// (or one of an external crate) may provide any name the module does
    /// not bind itself, also through a glob of that module; what the
    /// module binds, and the extern prelude, still count.
    #[test]
    fn globs_of_std_and_external_crates_provide_names_they_may_hold() {
        let (_dir, world, id) = world_for(&[
            ("Cargo.toml", EDITION_2021),
            (
                "src/lib.rs",
                "pub(crate) mod net { pub use std::net::*; pub fn own() {} pub struct Ipv6Addr; }
                 use crate::net::Ipv4Addr;
                 mod again { pub use crate::net::*; }
                 mod both { pub use std::net::*; pub use rx::*; }
                 mod dep { pub use std::io::*; make!(Made); }
",
            ),
        ]);
        let root = World::root_of(id);
        let r = |p: &str| {
            let mut got = names(&world, &world.resolve(root, &segs(p)));
            got.sort();
            got
        };
        assert_eq!(r("Ipv4Addr"), ["std"]);
        assert_eq!(r("Ipv4Addr::new"), ["std"]);
        assert_eq!(r("net::Ipv4Addr::new"), ["std"]);
        assert_eq!(r("again::Ipv4Addr"), ["std"]);
        // What the module binds itself wins over its glob.
        assert_eq!(r("net::own"), ["own"]);
        assert_eq!(r("net::Ipv6Addr"), ["Ipv6Addr"]);
        assert_eq!(r("again::own"), ["own"]);
        // Two globs out of the world: either may provide it.
        assert_eq!(r("both::Anything"), ["ext regex@1", "std"]);
        // A glob of std hides neither a macro call standing in for a name
        // nor the extern prelude.
        assert_eq!(r("dep::Made"), ["", "std"]);
        let Binding::Module(dep) = world.resolve(root, &segs("dep"))[0] else {
            panic!()
        };
        let mut got = names(&world, &world.resolve(dep, &segs("rx::Regex")));
        got.sort();
        assert_eq!(got, ["ext regex@1", "std"]);
        let mut got = names(&world, &world.resolve(dep, &segs("Made")));
        got.sort();
        assert_eq!(got, ["", "std"]);
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
