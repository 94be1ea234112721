//! Paths through type parameters and associated types.
//!
//! Generic code names what it runs through its type parameters:
//! `I::create(..)`, `I::Bound::max_value()`, `<I as Interval>::Bound::f`,
//! `<I::Bound as Bound>::f`, `Self::Bound::f` in a trait's default method,
//! `I::FIRST.f()`. Each step after the parameter is answered like a method
//! on a value of that type: a parameter is known by its bounds, an
//! associated type by the traits bounding it — in its declaration (`type
//! Bound: Bound;`, also in a supertrait) and in where-clauses (`where
//! I::Bound: Shout`). The traits' items and their impls for std, external
//! and blanket types are reached at once; their impls for crate types join
//! with the types the closure has ([`crate::open_bounds`]), which the code
//! that chose the parameter names. Where nothing bounds a step, every
//! impl or trait item of that name in the crates is reached: more than
//! needed, never less.

use super::{Session, path_segments, traits_or_unknown};
use crate::ids::{Binding, ItemRef, NodeKey};
use crate::impl_table::TypeKey;
use crate::shallow::{AssocKind, ItemKind};
use crate::ty::{Ty, TyCx};

/// How deep supertraits are followed to find an associated type.
const SUPERTRAIT_DEPTH: usize = 8;

impl Session<'_> {
    /// What `base_name::steps[0]::…` reaches when `base_name` (a type
    /// parameter, `Self`, the `I` of `<I as Trait>::…`) is known as `base`:
    /// the items each step names, and the type the whole path denotes when
    /// its last step is an associated type (`Unknown` otherwise).
    pub fn param_path(
        &self,
        cx: &TyCx,
        base: Ty,
        base_name: &[String],
        steps: &[String],
    ) -> (Vec<NodeKey>, Ty) {
        let mut nodes = Vec::new();
        let mut ty = base;
        let mut name = base_name.to_vec();
        for step in steps {
            let found = self.assoc_of(&ty, step);
            name.push(step.clone());
            ty = self.project(cx, &name, &ty, step);
            if matches!(ty, Ty::Unknown) {
                // `I::FIRST`: a value of the type its trait declares.
                ty = self.const_ty(&found);
            }
            nodes.extend(found);
        }
        nodes.sort();
        nodes.dedup();
        (nodes, ty)
    }

    /// The type `Self::Bound` or `I::Bound::Unit` denotes, `segs[0]`
    /// (`Self`, a type parameter) being known as `base`.
    pub fn projected_ty(&self, cx: &TyCx, segs: &[String], base: Ty) -> Ty {
        let mut ty = base;
        for i in 1..segs.len() {
            ty = self.project(cx, &segs[..=i], &ty, &segs[i]);
        }
        ty
    }

    /// The type `<Q as Trait>::Bound` or `<Q>::Bound` denotes.
    pub fn qualified_ty(&self, cx: &TyCx, tp: &syn::TypePath) -> Ty {
        let Some(q) = &tp.qself else {
            return Ty::Unknown;
        };
        let segs = path_segments(&tp.path);
        let position = q.position.min(segs.len());
        let mut ty = self.qualified_base(cx, q, &segs[..position]);
        let mut name = qself_name(q);
        for step in &segs[position..] {
            name.push(step.clone());
            ty = self.project(cx, &name, &ty, step);
        }
        ty
    }

    /// What `Q` of `<Q as Trait>::…` is known as for what follows: the
    /// crate traits `trait_segs` names, or else `Q`'s own type.
    pub fn qualified_base(&self, cx: &TyCx, q: &syn::QSelf, trait_segs: &[String]) -> Ty {
        let traits: Vec<ItemRef> = if trait_segs.is_empty() {
            Vec::new()
        } else {
            self.world
                .resolve_from(cx.module, cx.within, trait_segs)
                .into_iter()
                .filter_map(|b| match b {
                    Binding::Item(i)
                        if matches!(self.world.item(i).item.kind, ItemKind::Trait { .. }) =>
                    {
                        Some(i)
                    }
                    _ => None,
                })
                .collect()
        };
        if traits.is_empty() {
            self.ty_of(cx, &q.ty)
        } else {
            Ty::Traits(traits)
        }
    }

    /// Items named `name` that `T::name` reaches with `T` known as `ty`:
    /// a type's own (its impls', its traits' defaults); the bounding
    /// traits' and their impls for non-crate types; every item of that
    /// name when the traits do not declare it or nothing is known.
    pub fn assoc_of(&self, ty: &Ty, name: &str) -> Vec<NodeKey> {
        match ty.peel() {
            Ty::Named(TypeKey::Foreign(n), _) if n == "?" => self.assoc_by_name(name),
            Ty::Named(key, _) => self.assoc_of_type(&key, name),
            Ty::Traits(traits) => {
                let found = self.assoc_of_traits(&traits, name);
                if found.is_empty() {
                    self.assoc_by_name(name)
                } else {
                    found
                }
            }
            Ty::Unknown => self.assoc_by_name(name),
        }
    }

    /// The declared type of the trait consts among `nodes` (`const FIRST:
    /// Self::Bound;`, read with `Self` the trait), when they agree on a
    /// named type or on traits; `Unknown` otherwise.
    fn const_ty(&self, nodes: &[NodeKey]) -> Ty {
        let mut found = Vec::new();
        for &node in nodes {
            let it = self.world.item(node.item);
            let ItemKind::Trait { items, .. } = &it.item.kind else {
                continue;
            };
            let Some(a) = items.get(node.assoc as usize) else {
                continue;
            };
            if !matches!(a.kind, AssocKind::Const) {
                continue;
            }
            let file = &self.world.crates[node.item.krate as usize].index.files[it.file as usize];
            if let Ok(syn::TraitItem::Const(c)) =
                syn::parse_str::<syn::TraitItem>(file.slice(a.span))
            {
                let mut cx = TyCx::plain(self.world.module_of(node.item));
                cx.within = it.nested.as_ref().map(|_| node.item);
                cx.self_ty = Some(Ty::Traits(vec![node.item]));
                found.push(self.ty_of(&cx, &c.ty));
            }
        }
        match found.len() {
            1 => found.pop().unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }

    /// Whether some trait or impl in view has an associated type `name`.
    fn is_assoc_type_name(&self, name: &str) -> bool {
        self.assoc_by_name(name)
            .into_iter()
            .any(|node| matches!(self.assoc_kind(node), Some(AssocKind::Type)))
    }

    /// Whether `node` is an associated const of an impl or trait.
    pub fn is_assoc_const(&self, node: NodeKey) -> bool {
        matches!(self.assoc_kind(node), Some(AssocKind::Const))
    }

    /// The kind of the impl or trait item `node` names; `None` for a whole
    /// item or a node that is no impl or trait member.
    fn assoc_kind(&self, node: NodeKey) -> Option<&AssocKind> {
        if node.assoc == NodeKey::WHOLE {
            return None;
        }
        let items = match &self.world.item(node.item).item.kind {
            ItemKind::Impl(parts) => &parts.items,
            ItemKind::Trait { items, .. } => items,
            _ => return None,
        };
        items.get(node.assoc as usize).map(|a| &a.kind)
    }

    /// Associated type `name` of `ty`, the path `path` (`I::Bound`) naming
    /// it: for a named type, what its impl sets it to; for a trait-bounded
    /// one, the traits bounding it in its declaration, and in any case
    /// those of where-clauses on `path`.
    fn project(&self, cx: &TyCx, path: &[String], ty: &Ty, name: &str) -> Ty {
        let mut traits = match ty.peel() {
            Ty::Named(key, _) => return self.assoc_type_of(&key, name),
            Ty::Traits(ts) => ts
                .iter()
                .flat_map(|&t| self.assoc_type_bounds(t, name, SUPERTRAIT_DEPTH))
                .collect(),
            Ty::Unknown => Vec::new(),
        };
        if let Some(bounds) = cx.generic(&path.join("::")) {
            traits.extend_from_slice(bounds);
        }
        traits.sort();
        traits.dedup();
        traits_or_unknown(traits)
    }

    /// The crate traits bounding associated type `name` of trait `t` (or
    /// of its supertraits, when `t` does not declare it).
    fn assoc_type_bounds(&self, t: ItemRef, name: &str, depth: usize) -> Vec<ItemRef> {
        let it = self.world.item(t);
        let ItemKind::Trait { items, header } = &it.item.kind else {
            return Vec::new();
        };
        let file = &self.world.crates[t.krate as usize].index.files[it.file as usize];
        let mut cx = TyCx::plain(self.world.module_of(t));
        cx.within = it.nested.as_ref().map(|_| t);
        let declared: Vec<_> = items
            .iter()
            .filter(|a| matches!(a.kind, AssocKind::Type) && a.name == name)
            .collect();
        if !declared.is_empty() {
            return declared
                .iter()
                .filter_map(|a| syn::parse_str::<syn::TraitItem>(file.slice(a.span)).ok())
                .flat_map(|item| match item {
                    syn::TraitItem::Type(ty) => self.trait_bounds(&cx, ty.bounds.iter()),
                    _ => Vec::new(),
                })
                .collect();
        }
        // Most steps are no associated type at all (`Self::new`): no
        // supertrait need be parsed unless the crates declare one so named.
        if depth == 0 || !self.is_assoc_type_name(name) {
            return Vec::new();
        }
        // `trait Sub: Interval` or `trait Sub where Self: Interval`.
        let text = format!("{} {{}}", file.slice((it.item.span.0, header.1)));
        let Ok(parsed) = syn::parse_str::<syn::ItemTrait>(&text) else {
            return Vec::new();
        };
        let mut supers = self.trait_bounds(&cx, parsed.supertraits.iter());
        if let Some(where_clause) = &parsed.generics.where_clause {
            for predicate in &where_clause.predicates {
                if let syn::WherePredicate::Type(p) = predicate
                    && matches!(&p.bounded_ty, syn::Type::Path(tp) if tp.path.is_ident("Self"))
                {
                    supers.extend(self.trait_bounds(&cx, p.bounds.iter()));
                }
            }
        }
        supers
            .into_iter()
            .filter(|&s| s != t)
            .flat_map(|s| self.assoc_type_bounds(s, name, depth - 1))
            .collect()
    }

    /// What the impls of `key` set associated type `name` to, when exactly
    /// one does.
    fn assoc_type_of(&self, key: &TypeKey, name: &str) -> Ty {
        let mut found = Vec::new();
        for d in &self.derived {
            for &imp in d.by_type.get(key).map(Vec::as_slice).unwrap_or(&[]) {
                let it = self.world.item(imp);
                let ItemKind::Impl(parts) = &it.item.kind else {
                    continue;
                };
                let file = &self.world.crates[imp.krate as usize].index.files[it.file as usize];
                for a in &parts.items {
                    if !(matches!(a.kind, AssocKind::Type) && a.name == name) {
                        continue;
                    }
                    if let Ok(syn::ImplItem::Type(t)) =
                        syn::parse_str::<syn::ImplItem>(file.slice(a.span))
                    {
                        let mut cx = TyCx::plain(self.world.module_of(imp));
                        cx.within = it.nested.as_ref().map(|_| imp);
                        // The impl's own parameters are not known here.
                        cx.generics
                            .extend(parts.generics.iter().map(|g| (g.clone(), Vec::new())));
                        found.push(self.ty_of(&cx, &t.ty));
                    }
                }
            }
        }
        match found.len() {
            1 => found.pop().unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }
}

/// The path of `Q` in `<Q as Trait>::…` when it is a plain path (`I`,
/// `I::Bound`), for where-clauses on what follows.
pub(crate) fn qself_name(q: &syn::QSelf) -> Vec<String> {
    match q.ty.as_ref() {
        syn::Type::Path(tp) if tp.qself.is_none() => path_segments(&tp.path),
        _ => Vec::new(),
    }
}
