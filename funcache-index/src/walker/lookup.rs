//! Where a path's first segment is bound, looking through the blocks of
//! the walked text before the module: locals, block items, block `use`s.

use std::collections::HashSet;

use crate::ids::{Binding, NodeKey};
use crate::impl_table::TypeKey;
use crate::session::traits_or_unknown;
use crate::shallow::ItemKind;
use crate::ty::Ty;
use crate::world::Ns;

use super::Walker;

/// What the blocks of the walked text make of a path's first segment.
enum InText {
    /// An item declared in the text: its tokens are in the text's hash
    /// and its body is walked where it is written.
    Item,
    /// Bound by a `use` in the text, to these (empty: to nothing).
    Bound(Vec<Binding>),
    /// Possibly provided by a glob of an external crate or std (`use
    /// serde::*;`), whose names the index does not know: these, if
    /// nothing else binds it.
    Maybe(Vec<Binding>),
    /// Not bound in the text.
    Free,
}

impl Walker<'_, '_> {
    /// What the blocks of the walked text bind `segs[0]` to, innermost
    /// block first: its items, then its named `use`s, then its globs; the
    /// last segment in namespace `ns`.
    fn in_text(&self, segs: &[String], ns: Ns) -> InText {
        let Some(first) = segs.first() else {
            return InText::Free;
        };
        let rest = &segs[1..];
        let first_ns = if rest.is_empty() { ns } else { Ns::Type };
        let krate = self.cx.module.krate;
        let mut seen = HashSet::new();
        let mut maybe = Vec::new();
        for scope in self.scopes.iter().rev() {
            if scope.items.contains(first) {
                return InText::Item;
            }
            let mut found = Vec::new();
            for u in scope.uses.iter().filter(|u| !u.glob) {
                if u.name.as_deref() == Some(first.as_str()) {
                    // `use Local::A;` of an item declared in the text.
                    if u.path.first().is_some_and(|p| self.is_local_item(p)) {
                        return InText::Item;
                    }
                    let mut p = self.s.world.use_path(krate, &u.path).into_owned();
                    p.extend_from_slice(rest);
                    found.extend(self.s.world.resolve_from_in(
                        self.cx.module,
                        self.cx.within,
                        &p,
                        ns,
                    ));
                }
            }
            if !found.is_empty() {
                return InText::Bound(found);
            }
            if scope
                .uses
                .iter()
                .any(|u| u.name.as_deref() == Some(first.as_str()))
            {
                // `use missing::thing;`: bound, to nothing known.
                return InText::Bound(Vec::new());
            }
            for u in scope.uses.iter().filter(|u| u.glob) {
                // `use Local::*;` of an enum declared in the text.
                if let [local] = u.path.as_slice()
                    && self
                        .scopes
                        .iter()
                        .filter_map(|s| s.variants.get(local))
                        .any(|variants| variants.contains(first))
                {
                    return InText::Item;
                }
                let path = self.s.world.use_path(krate, &u.path);
                for target in
                    self.s
                        .world
                        .resolve_from_in(self.cx.module, self.cx.within, &path, Ns::Type)
                {
                    found.extend(
                        self.s
                            .world
                            .glob_provides(target, first, first_ns, &mut seen, &mut maybe),
                    );
                }
            }
            if !found.is_empty() {
                return InText::Bound(self.s.world.follow(found, rest, ns, &mut seen));
            }
        }
        if maybe.is_empty() {
            InText::Free
        } else {
            InText::Maybe(self.s.world.follow(maybe, rest, ns, &mut seen))
        }
    }

    /// Bindings of a path, its last segment in namespace `ns`: through the
    /// walked text's blocks, then the blocks around it, then its module.
    /// `None` for an item declared in the text.
    pub(super) fn bindings(&self, segs: &[String], ns: Ns) -> Option<Vec<Binding>> {
        match self.in_text(segs, ns) {
            InText::Item => None,
            InText::Bound(found) => Some(found),
            InText::Maybe(maybe) => {
                let found = self
                    .s
                    .world
                    .resolve_from_in(self.cx.module, self.cx.within, segs, ns);
                Some(if found.is_empty() { maybe } else { found })
            }
            InText::Free => Some(self.s.world.resolve_from_in(
                self.cx.module,
                self.cx.within,
                segs,
                ns,
            )),
        }
    }

    /// [`Walker::resolve_in`] in either namespace.
    pub(crate) fn resolve(&self, segs: &[String]) -> Option<(Vec<NodeKey>, Vec<String>, Ty)> {
        self.resolve_in(segs, Ns::Any)
    }

    /// Resolves a path, its last segment in namespace `ns`, to nodes,
    /// externals and the type it denotes (for constructors and types).
    /// Returns `None` when it is unresolved.
    pub(crate) fn resolve_in(
        &self,
        segs: &[String],
        ns: Ns,
    ) -> Option<(Vec<NodeKey>, Vec<String>, Ty)> {
        let first = segs.first()?;
        let rest = &segs[1..];
        if rest.is_empty() && self.local(first).is_some() {
            return Some((
                Vec::new(),
                Vec::new(),
                self.local(first).cloned().unwrap_or(Ty::Unknown),
            ));
        }
        // `I::create`, `I::Bound::max_value`: through a type parameter's
        // bounds (see [`crate::session::projection`]).
        if let Some(bounds) = self.cx.generic(first) {
            let base = traits_or_unknown(bounds.to_vec());
            if rest.is_empty() {
                return Some((Vec::new(), Vec::new(), base));
            }
            let (nodes, projected) = self.s.param_path(&self.cx, base, &segs[..1], rest);
            return Some((nodes, Vec::new(), projected));
        }
        if first == "Self" {
            let self_ty = self.cx.self_ty.clone().unwrap_or(Ty::Unknown);
            let mut nodes = Vec::new();
            if let Ty::Named(TypeKey::Local(i), _) = &self_ty {
                nodes.push(NodeKey::item(*i));
            }
            let (found, projected) = self
                .s
                .param_path(&self.cx, self_ty.clone(), &segs[..1], rest);
            // `Self::Variant`, `Self::new` of a named type are that type;
            // `Self::CONST` and what a trait's `Self` names may be any.
            let ty = match (&self_ty, &projected) {
                _ if rest.is_empty() => self_ty,
                (_, Ty::Named(..) | Ty::Traits(_)) => projected,
                (Ty::Named(..), Ty::Unknown)
                    if rest.len() == 1 && !found.iter().any(|n| self.s.is_assoc_const(*n)) =>
                {
                    self_ty
                }
                _ => Ty::Unknown,
            };
            nodes.extend(found);
            return Some((nodes, Vec::new(), ty));
        }
        let Some(bindings) = self.bindings(segs, ns) else {
            // Declared in the walked text: covered by its hash.
            return Some((Vec::new(), Vec::new(), Ty::Unknown));
        };
        if bindings.is_empty() {
            return None;
        }
        let mut nodes = Vec::new();
        let mut externals = Vec::new();
        let mut ty = Ty::Unknown;
        let mut ambiguous = false;
        for b in bindings {
            match b {
                Binding::Item(i) => {
                    let kind = &self.s.world.item(i).item.kind;
                    if matches!(
                        kind,
                        ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union
                    ) {
                        // Two types of the name (under other `#[cfg]`s):
                        // which is compiled is the build's to decide.
                        ty = match ty {
                            Ty::Unknown if !ambiguous => Ty::Named(TypeKey::Local(i), Vec::new()),
                            _ => {
                                ambiguous = true;
                                Ty::Unknown
                            }
                        };
                    }
                    if !matches!(
                        kind,
                        ItemKind::Use(_) | ItemKind::Mod { .. } | ItemKind::ExternCrate { .. }
                    ) {
                        nodes.push(NodeKey::item(i));
                    }
                }
                Binding::Assoc(i, name) => {
                    nodes.push(NodeKey::item(i));
                    match &self.s.world.item(i).item.kind {
                        ItemKind::Trait { .. } => {
                            let found = self.s.assoc_of_traits(&[i], &name);
                            nodes.extend(if found.is_empty() {
                                self.s.assoc_by_name(&name)
                            } else {
                                found
                            });
                        }
                        ItemKind::TypeAlias => {
                            let module = self.s.world.module_of(i);
                            if let Some(target) = self.s.world.alias_target(i) {
                                for key in self.s.world.type_keys(module, &target) {
                                    if let TypeKey::Local(t) = &key {
                                        nodes.push(NodeKey::item(*t));
                                    }
                                    nodes.extend(self.s.assoc_of_type(&key, &name));
                                }
                            }
                        }
                        _ => nodes.extend(self.s.assoc_of_type(&TypeKey::Local(i), &name)),
                    }
                }
                Binding::External(x) => {
                    externals.push(x);
                    nodes.extend(self.foreign_assoc(segs));
                }
                Binding::Std => nodes.extend(self.foreign_assoc(segs)),
                Binding::Module(_) => {}
            }
        }
        Some((nodes, externals, ty))
    }

    /// Whether `segs` names a std item (and nothing of the crates'), seen
    /// through the body's `use`s and the module's.
    pub(crate) fn names_std(&self, segs: &[String]) -> bool {
        if segs.len() == 1 && (self.local(&segs[0]).is_some() || self.is_local_item(&segs[0])) {
            return false;
        }
        if segs.first().is_some_and(|s| s == "Self") || self.cx.generic(&segs[0]).is_some() {
            return false;
        }
        // `None`: declared in the walked text, so not std.
        self.bindings(segs, Ns::Any).is_some_and(|bindings| {
            !bindings.is_empty() && bindings.iter().all(|b| matches!(b, Binding::Std))
        })
    }

    /// `String::from` → the crate's own impls for the foreign type, if any.
    pub(super) fn foreign_assoc(&self, segs: &[String]) -> Vec<NodeKey> {
        if segs.len() >= 2 {
            let key = TypeKey::Foreign(segs[segs.len() - 2].clone());
            self.s.assoc_of_type(&key, &segs[segs.len() - 1])
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{analysis_in_edition, closure_in_edition, closure_of};

    /// A block's glob of a module whose own glob is of std (`pub(crate)
    /// mod net { pub use std::net::*; }`, url 2.5.8) may provide any name
    /// from std, but hides nothing: the module's `helper` is still reached
    /// (a glob that claimed it would drop the dependency), and `Ipv4Addr`
    /// is not listed as unresolved.
    #[test]
    fn a_blocks_glob_reaching_std_hides_nothing() {
        let lib = "pub fn helper() -> u8 { 1 }\n\
                   pub(crate) mod net { pub use std::net::*; }\n\
                   pub fn f() -> u8 { use crate::net::*; let _ = Ipv4Addr::new(1, 2, 3, 4); helper() }\n\
                   pub fn g() -> u8 { fn inner() -> u8 { helper() } use crate::net::*; inner() }";
        assert_eq!(closure_of(lib, "f"), ["f", "helper"]);
        assert_eq!(closure_of(lib, "g"), ["g", "helper"]);
        let a = analysis_in_edition(lib, "f", "edition = \"2021\"\n");
        assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
        // The same through a glob of an external crate (which, before,
        // claimed `helper` too).
        let manifest =
            "edition = \"2021\"\n[dependencies]\nrx = { package = \"regex\", version = \"1\" }\n";
        let lib = lib.replace("std::net::*", "rx::*");
        assert_eq!(closure_in_edition(&lib, "f", manifest), ["f", "helper"]);
    }

    #[test]
    fn block_items_and_uses_come_before_the_module() {
        let closure = closure_of(
            "pub fn helper() {}\nmod m { pub fn helper() {} }\n\
             pub fn f() { fn helper() {} helper() }\n\
             pub fn g() { use crate::m::helper; helper() }",
            "f",
        );
        assert!(!closure.contains(&"helper".to_owned()), "{closure:?}");
        let closure = closure_of(
            "pub fn helper() {}\nmod m { pub fn helper() {} }\n\
             pub fn g() { use crate::m::helper; helper() }",
            "g",
        );
        assert_eq!(closure, ["g", "m::helper"]);
    }
}
