//! The per-call [`Session`] over the world, and what it answers: receiver
//! typing, just enough type knowledge to resolve `x.m()` to the
//! methods of `x`'s type instead of every method named `m`.
//!
//! Naive name matching gives syn's own source a median closure of 962
//! functions; knowing the receiver's type is what makes closures small
//! enough to be useful. Types come from signatures (`self`, typed
//! parameters, return types of called functions), `let x: T`, struct
//! literals and constructors, and struct field declarations; a method is
//! looked up on every type the receiver auto-derefs to (`&T` → `T`,
//! `String` → `str`, `Vec<T>` → `[T]`, `Box`, `Rc`, `Arc`, `Cow`, a crate
//! type's `Deref` target; see [`Session::autoderef`]). When the type is not
//! known, every method of that name in the crate is a candidate.

pub(crate) mod macro_calls;
pub(crate) mod open_bounds;
pub(crate) mod projection;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::Digest;
use crate::ids::{Binding, CrateId, ItemRef, NodeKey};
use crate::impl_table::{Derived, ImplInfo, TypeKey};
use crate::node_store::NodeStore;
use crate::shallow::{AssocKind, ItemKind};
use crate::ty::{DerefStep, Ty, TyCx};
use crate::world::World;

/// A function's parsed signature and the context its types are read in.
pub(crate) struct FnSig {
    pub sig: syn::Signature,
    pub cx: TyCx,
}

/// Per-call state over an immutable [`World`]: the crates in view, their
/// impl tables, and caches of syn values (which must not outlive the call).
pub(crate) struct Session<'w> {
    pub world: &'w World,
    pub root_crate: CrateId,
    pub view: Vec<CrateId>,
    pub derived: Vec<Arc<Derived>>,
    /// The on-disk cache of nodes for this root, if on.
    pub store: Option<Arc<NodeStore>>,
    sigs: RefCell<HashMap<NodeKey, Option<Rc<FnSig>>>>,
    fields: RefCell<HashMap<ItemRef, Option<Rc<syn::Item>>>>,
    /// `Target` of `Deref` impls, parsed once per session.
    deref_targets: RefCell<HashMap<ItemRef, Option<Rc<syn::Type>>>>,
    /// [`Session::macro_members`], by member name.
    member_macros: RefCell<HashMap<String, Rc<[NodeKey]>>>,
}

impl<'w> Session<'w> {
    /// A session over `world` for an analysis rooted in `root_crate`, whose
    /// tables must already be computed.
    pub fn new(world: &'w World, root_crate: CrateId) -> Session<'w> {
        let view = world.view(root_crate);
        let derived = view
            .iter()
            .filter_map(|c| world.derived.get(c).cloned())
            .collect();
        Session {
            world,
            root_crate,
            view,
            derived,
            store: world.stores.get(&root_crate).cloned().flatten(),
            sigs: RefCell::default(),
            fields: RefCell::default(),
            deref_targets: RefCell::default(),
            member_macros: RefCell::default(),
        }
    }

    /// The digest of the `use` items in scope where node `key` is written
    /// (see [`crate::use_scope`]), once per module and world.
    pub fn use_scope(&self, key: NodeKey) -> Option<Digest> {
        let m = self.world.module_of(key.item);
        if self.world.item(key.item).nested.is_some() {
            return crate::use_scope::scope_digest(self.world, m, Some(key.item));
        }
        if let Some(d) = self.world.scopes.borrow().get(&m) {
            return *d;
        }
        let d = crate::use_scope::scope_digest(self.world, m, None);
        self.world.scopes.borrow_mut().insert(m, d);
        d
    }

    /// The crate traits among `bounds`.
    pub fn trait_bounds<'a>(
        &self,
        cx: &TyCx,
        bounds: impl Iterator<Item = &'a syn::TypeParamBound>,
    ) -> Vec<ItemRef> {
        let mut out = Vec::new();
        for bound in bounds {
            if let syn::TypeParamBound::Trait(t) = bound {
                for b in self
                    .world
                    .resolve_from(cx.module, cx.within, &path_segments(&t.path))
                {
                    if let Binding::Item(i) = b
                        && matches!(self.world.item(i).item.kind, ItemKind::Trait { .. })
                    {
                        out.push(i);
                    }
                }
            }
        }
        out
    }

    /// The type a syntactic type denotes in context `cx`.
    pub fn ty_of(&self, cx: &TyCx, ty: &syn::Type) -> Ty {
        match ty {
            syn::Type::Reference(r) => self.ty_of(cx, &r.elem),
            syn::Type::Paren(p) => self.ty_of(cx, &p.elem),
            syn::Type::Group(g) => self.ty_of(cx, &g.elem),
            syn::Type::Ptr(p) => self.ty_of(cx, &p.elem),
            syn::Type::Slice(s) => {
                Ty::Named(TypeKey::Foreign("[]".into()), vec![self.ty_of(cx, &s.elem)])
            }
            syn::Type::Array(a) => {
                Ty::Named(TypeKey::Foreign("[]".into()), vec![self.ty_of(cx, &a.elem)])
            }
            syn::Type::TraitObject(t) => traits_or_unknown(self.trait_bounds(cx, t.bounds.iter())),
            syn::Type::ImplTrait(t) => traits_or_unknown(self.trait_bounds(cx, t.bounds.iter())),
            syn::Type::Path(tp) if tp.qself.is_none() => self.path_ty(cx, &tp.path),
            syn::Type::Path(tp) => self.qualified_ty(cx, tp),
            _ => Ty::Unknown,
        }
    }

    fn path_ty(&self, cx: &TyCx, path: &syn::Path) -> Ty {
        let segs = path_segments(path);
        let args: Vec<Ty> = match path.segments.last().map(|s| &s.arguments) {
            Some(syn::PathArguments::AngleBracketed(a)) => a
                .args
                .iter()
                .filter_map(|arg| match arg {
                    syn::GenericArgument::Type(t) => Some(self.ty_of(cx, t)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if segs.len() == 1 {
            if segs[0] == "Self" {
                return cx.self_ty.clone().unwrap_or(Ty::Unknown);
            }
            if let Some(bounds) = cx.generic(&segs[0]) {
                return traits_or_unknown(bounds.to_vec());
            }
        }
        // `Self::Bound`, `I::Bound`: an associated type.
        if let Some(first) = segs.first() {
            let base = if first == "Self" {
                Some(cx.self_ty.clone().unwrap_or(Ty::Unknown))
            } else {
                cx.generic(first).map(|b| traits_or_unknown(b.to_vec()))
            };
            if let Some(base) = base {
                return self.projected_ty(cx, &segs, base);
            }
        }
        let bindings = self.world.resolve_from(cx.module, cx.within, &segs);
        // Several types of that name (under other `#[cfg]`s: which one is
        // compiled is the build's to decide) make the type unknown, so
        // that what is looked up on it is looked up on any type.
        let mut found: Option<Ty> = None;
        for b in &bindings {
            if let Binding::Item(i) = b {
                let ty = match self.world.item(*i).item.kind {
                    ItemKind::Trait { .. } => Ty::Traits(vec![*i]),
                    ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union => {
                        Ty::Named(TypeKey::Local(*i), args.clone())
                    }
                    ItemKind::TypeAlias => match self
                        .world
                        .type_keys_from(cx.module, cx.within, &segs)
                        .into_iter()
                        .next()
                    {
                        Some(key) => Ty::Named(key, args.clone()),
                        None => continue,
                    },
                    _ => continue,
                };
                match &found {
                    None => found = Some(ty),
                    Some(other) if *other == ty => {}
                    Some(_) => return Ty::Unknown,
                }
            }
        }
        if let Some(ty) = found {
            return ty;
        }
        match (bindings.first(), segs.last()) {
            (Some(Binding::Std | Binding::External(_)), Some(last)) => {
                Ty::Named(TypeKey::Foreign(last.clone()), args)
            }
            _ => Ty::Unknown,
        }
    }

    /// Impls and traits of every crate in view.
    fn tables(&self) -> impl Iterator<Item = &Derived> {
        self.derived.iter().map(|d| d.as_ref())
    }

    /// The facts of impl `imp`, when it is an impl of a crate in view.
    pub fn impl_info(&self, imp: ItemRef) -> Option<&ImplInfo> {
        self.tables().find_map(|d| d.impls.get(&imp))
    }

    /// Items named `name` of the impls of `key` (inherent, trait and
    /// blanket impls) and default items of the traits they implement.
    pub fn assoc_of_type(&self, key: &TypeKey, name: &str) -> Vec<NodeKey> {
        let mut out = self.assoc_of_type_depth(key, name, 0);
        out.extend(
            self.macro_members(name)
                .iter()
                .copied()
                .filter(|&m| self.macro_may_serve(m, key)),
        );
        out.sort();
        out.dedup();
        out
    }

    /// What may write a member (method, associated const or type) named
    /// `name` that lookup by name cannot see: every macro invocation in an
    /// impl or trait body (`impl ToP for i64 { inner! { .. } }`), and every
    /// module-level invocation whose tokens or whose macro's body name
    /// `name` (`imp!(i64);` with `impl ToP for $t { fn to_u8 .. }`). Each
    /// node hashes its tokens and reaches its macro. Over-includes on
    /// purpose: a member written by a macro must not be served stale.
    pub fn macro_members(&self, name: &str) -> Rc<[NodeKey]> {
        if let Some(found) = self.member_macros.borrow().get(name) {
            return found.clone();
        }
        let mut out: Vec<NodeKey> = Vec::new();
        for d in self.tables() {
            out.extend(
                d.body_macros
                    .iter()
                    .copied()
                    .filter(|&key| self.body_macro_may_write(key, name)),
            );
            for &call in &d.macro_calls {
                if self.macro_call_names(call, name) {
                    out.push(NodeKey::item(call));
                }
            }
        }
        out.sort();
        out.dedup();
        let out: Rc<[NodeKey]> = out.into();
        self.member_macros
            .borrow_mut()
            .insert(name.to_owned(), out.clone());
        out
    }

    /// Whether the macro invocation `key` in an impl or trait body may
    /// write a member named `name`. In an impl of a trait of the world
    /// whose body declares its items plainly, only a member the trait
    /// declares: an impl defines nothing else. Anywhere else (an inherent
    /// impl, a std trait, a trait whose own items a macro writes), any
    /// member.
    pub(crate) fn body_macro_may_write(&self, key: NodeKey, name: &str) -> bool {
        let Some(trait_ref) = self.impl_info(key.item).and_then(|i| i.trait_item) else {
            return true;
        };
        let ItemKind::Trait { items, .. } = &self.world.item(trait_ref).item.kind else {
            return true;
        };
        items
            .iter()
            .any(|a| a.name == name || matches!(a.kind, AssocKind::Macro))
    }

    /// Whether what macro node `m` writes (see [`Session::macro_members`])
    /// may be a member of type `key`: a module-level invocation or a macro
    /// in a trait body may write anyone's; a macro in an impl body writes
    /// members of that impl's self type, or of any type for a blanket impl
    /// (`impl<T: Buf> Buf for &mut T`).
    fn macro_may_serve(&self, m: NodeKey, key: &TypeKey) -> bool {
        if m.assoc == NodeKey::WHOLE {
            return true;
        }
        match self.impl_info(m.item) {
            Some(info) => info.self_keys.is_empty() || info.self_keys.contains(key),
            None => true,
        }
    }

    /// Whether module-level invocation `call`'s tokens contain the
    /// identifier `name`, or the body of a macro it may invoke defines it
    /// (`fn name`, `const name`, `type name`).
    fn macro_call_names(&self, call: ItemRef, name: &str) -> bool {
        let text_of = |r: ItemRef| {
            let it = self.world.item(r);
            self.world.crates[r.krate as usize].index.files[it.file as usize].slice(it.item.span)
        };
        if has_ident(text_of(call), name) || pastes_member_name(text_of(call)) {
            return true;
        }
        let Some(segs) = self.world.item(call).item.via_macro.as_ref() else {
            return false;
        };
        let mut macros = macro_calls::macros_by_name(self, call.krate, segs);
        macros.extend(macro_calls::macros_through_uses(self, call.krate, segs));
        macros.into_iter().any(|m| defines_member(text_of(m), name))
    }

    fn assoc_of_type_depth(&self, key: &TypeKey, name: &str, depth: usize) -> Vec<NodeKey> {
        let mut out = Vec::new();
        let mut derefs = Vec::new();
        for d in self.tables() {
            let typed = d.by_type.get(key).map(Vec::as_slice).unwrap_or(&[]);
            for (blanket, impls) in [(false, typed), (true, d.blanket.as_slice())] {
                for &imp in impls {
                    let found = self.impl_items_named(imp, name);
                    let info = &d.impls[&imp];
                    if found.is_empty() {
                        if let Some(t) = info.trait_item {
                            // A default method of the implemented trait.
                            out.extend(self.trait_items_named(t, name));
                        }
                    } else {
                        out.extend(found);
                    }
                    if !blanket && info.trait_name.as_deref() == Some("Deref") {
                        derefs.push(imp);
                    }
                }
            }
        }
        if out.is_empty() && depth < 3 {
            for imp in derefs {
                for target in self.deref_targets(imp) {
                    out.extend(self.assoc_of_type_depth(&target, name, depth + 1));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// `Target` of a `Deref` impl.
    fn deref_targets(&self, imp: ItemRef) -> Vec<TypeKey> {
        let it = self.world.item(imp);
        let ItemKind::Impl(parts) = &it.item.kind else {
            return Vec::new();
        };
        let file = &self.world.crates[imp.krate as usize].index.files[it.file as usize];
        for a in &parts.items {
            if matches!(a.kind, AssocKind::Type)
                && a.name == "Target"
                && let Ok(syn::ImplItem::Type(t)) =
                    syn::parse_str::<syn::ImplItem>(file.slice(a.span))
                && let syn::Type::Path(tp) = &t.ty
            {
                return self
                    .world
                    .type_keys(self.world.module_of(imp), &path_segments(&tp.path));
            }
        }
        Vec::new()
    }

    /// Items named `name` of impl `imp`.
    pub fn impl_items_named(&self, imp: ItemRef, name: &str) -> Vec<NodeKey> {
        match &self.world.item(imp).item.kind {
            ItemKind::Impl(parts) => parts
                .items
                .iter()
                .enumerate()
                .filter(|&(i, a)| {
                    a.name == name
                        || (matches!(a.kind, AssocKind::Macro)
                            && self.body_macro_may_write(NodeKey::assoc(imp, i), name))
                })
                .map(|(i, _)| NodeKey::assoc(imp, i))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Items named `name` of trait `t`.
    pub fn trait_items_named(&self, t: ItemRef, name: &str) -> Vec<NodeKey> {
        match &self.world.item(t).item.kind {
            ItemKind::Trait { items, .. } => items
                .iter()
                .enumerate()
                .filter(|(_, a)| a.name == name)
                .map(|(i, _)| NodeKey::assoc(t, i))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Item `name` of traits `traits` and of their impls for types other
    /// than crate types (std, external, blanket impls). The impls for crate
    /// types join in the closure, with the types it has (see
    /// [`crate::session::open_bounds`]): a value of a crate type comes from code
    /// that names it.
    pub fn assoc_of_traits(&self, traits: &[ItemRef], name: &str) -> Vec<NodeKey> {
        let mut out = Vec::new();
        for &t in traits {
            let declared = self.trait_items_named(t, name);
            if declared.is_empty() {
                continue;
            }
            out.extend(declared);
            for d in self.tables() {
                for &imp in d.by_trait.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
                    if !self.is_crate_type_impl(imp) {
                        out.extend(self.impl_items_named(imp, name));
                    }
                }
            }
        }
        // A member a macro writes in an impl of these traits came with the
        // impl's items above (or joins with the crate type, as the impl's
        // other items do); one a module-level invocation writes may be
        // anywhere.
        if !out.is_empty() {
            out.extend(
                self.macro_members(name)
                    .iter()
                    .copied()
                    .filter(|m| m.assoc == NodeKey::WHOLE),
            );
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every impl or trait method (taking `self`) named `name` in view: the
    /// fallback for a method call on an unknown receiver.
    pub fn by_name(&self, name: &str) -> Vec<NodeKey> {
        let mut out: Vec<NodeKey> = self
            .tables()
            .flat_map(|d| d.methods.get(name).map(Vec::as_slice).unwrap_or(&[]))
            .copied()
            .collect();
        out.extend(self.macro_members(name).iter().copied());
        out.sort();
        out.dedup();
        out
    }

    /// Every impl or trait function, const or type named `name` in view
    /// (a function with or without `self`): the fallback for `T::name`
    /// with `T` unknown.
    pub fn assoc_by_name(&self, name: &str) -> Vec<NodeKey> {
        let mut out: Vec<NodeKey> = self
            .tables()
            .flat_map(|d| d.assoc_items.get(name).map(Vec::as_slice).unwrap_or(&[]))
            .copied()
            .collect();
        out.extend(self.macro_members(name).iter().copied());
        out.sort();
        out.dedup();
        out
    }

    /// Candidates for method `name` on a receiver of type `recv`: the
    /// methods of every type auto-deref reaches from it (see
    /// [`Session::autoderef`]), outer ones included: an impl for `Box<B>`
    /// and one for `B` both answer `Box::new(B).m()`, and rustc picks the
    /// first step whose candidates apply, which the index cannot always
    /// tell.
    pub fn methods(&self, recv: &Ty, name: &str) -> Vec<NodeKey> {
        self.method_lookup(recv, name, false).0
    }

    /// What a method call reaches by itself, and whether the rest joins by
    /// name: on a receiver whose type is not known, the methods named
    /// `name` of the crate types the closure has join later (see
    /// [`crate::session::open_bounds`]), so only trait declarations and impls for
    /// std, external and blanket types are returned here.
    pub fn method_call(&self, recv: &Ty, name: &str) -> (Vec<NodeKey>, bool) {
        self.method_lookup(recv, name, true)
    }

    /// [`Session::methods`] (`defer` false: an unknown step takes every
    /// method of the name) or [`Session::method_call`] (`defer`: the crate
    /// types' ones join later).
    fn method_lookup(&self, recv: &Ty, name: &str, defer: bool) -> (Vec<NodeKey>, bool) {
        let (steps, open) = self.autoderef(recv);
        let mut out = Vec::new();
        let mut join = false;
        // Whether some step's type is not known exactly: then a member a
        // macro writes anywhere may be the one called. (A known type's
        // step takes those of its own impls.)
        let mut inexact = open;
        let mut unknown = |out: &mut Vec<NodeKey>| {
            inexact = true;
            if defer {
                out.extend(self.opaque_methods(name));
                join = true;
            } else {
                out.extend(self.by_name(name));
            }
        };
        for step in &steps {
            match step {
                // A known type: its impls only. Nothing found means a
                // method of a derived or external trait, or of std.
                Ty::Named(key, _) => out.extend(self.assoc_of_type(key, name)),
                Ty::Traits(traits) => {
                    let found = self.assoc_of_traits(traits, name);
                    if found.is_empty() {
                        unknown(&mut out);
                    } else {
                        out.extend(found);
                    }
                }
                Ty::Unknown => unknown(&mut out),
            }
        }
        if open {
            out.extend(self.opaque_methods(name));
        }
        if inexact {
            // Deferred, a macro in an impl for a crate type joins when the
            // closure has the type (see `Session::joined_impls`), as the
            // impl's other methods do.
            out.extend(self.macro_members(name).iter().copied().filter(|m| {
                !defer || m.assoc == NodeKey::WHOLE || !self.is_crate_type_impl(m.item)
            }));
        }
        out.sort();
        out.dedup();
        (out, join)
    }

    /// The methods named `name` of every impl except those for crate
    /// types (and of traits): the candidates on a std or external type
    /// not known exactly (an integer literal, what a std method returned,
    /// what an external type derefs to).
    fn opaque_methods(&self, name: &str) -> Vec<NodeKey> {
        self.by_name(name)
            .into_iter()
            .filter(|k| !self.is_crate_type_impl(k.item))
            .collect()
    }

    /// The types method lookup tries for a receiver of type `recv`, as
    /// rustc's auto-deref does (`String` → `str`, `Vec<T>` → `[T]`,
    /// `Box<T>`/`Rc<T>`/`Arc<T>` → `T`, `Cow<B>` → `B`, a crate type's
    /// `Deref` impl → its `Target`; arrays are `[T]` already and `&T`,
    /// `&mut T` are `T`, as impl tables key them), `recv` first; and
    /// whether some step may deref to a foreign type the index does not
    /// know (an external type, or a std type returned opaquely).
    pub fn autoderef(&self, recv: &Ty) -> (Vec<Ty>, bool) {
        /// Ends a `Deref` cycle or a long chain; past it, anything foreign.
        const MAX_STEPS: usize = 16;
        let mut steps: Vec<Ty> = Vec::new();
        let mut open = false;
        let mut todo = vec![recv.clone()];
        while let Some(ty) = todo.pop() {
            if steps.contains(&ty) {
                continue;
            }
            if steps.len() == MAX_STEPS {
                open = true;
                break;
            }
            match &ty {
                Ty::Named(TypeKey::Foreign(n), _) if n == "?" => open = true,
                Ty::Named(TypeKey::Local(_), _) => {
                    for imp in self.deref_impls(&ty) {
                        todo.push(self.deref_target_ty(imp, &ty));
                    }
                }
                Ty::Named(TypeKey::Foreign(_), args) => match ty.std_deref() {
                    DerefStep::To(next) => todo.push(next),
                    DerefStep::End => {}
                    DerefStep::Unknown => {
                        // `triomphe::Arc<T>` → `T`, `SmallVec<[T; N]>` → `[T]`.
                        open = true;
                        todo.extend(args.iter().cloned());
                    }
                },
                Ty::Traits(_) | Ty::Unknown => {}
            }
            steps.push(ty);
        }
        (steps, open)
    }

    /// The `Deref` impls of crate type `ty`.
    fn deref_impls(&self, ty: &Ty) -> Vec<ItemRef> {
        let Ty::Named(key, _) = ty else {
            return Vec::new();
        };
        self.tables()
            .flat_map(|d| {
                d.by_type
                    .get(key)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|imp| d.impls[imp].trait_name.as_deref() == Some("Deref"))
            })
            .copied()
            .collect()
    }

    /// `Target` of `Deref` impl `imp` for receiver `recv`: a parameter of
    /// the impl (`impl<T> Deref for W<T> { type Target = T; }`) is the
    /// receiver's argument in its place, unknown if that is not known.
    fn deref_target_ty(&self, imp: ItemRef, recv: &Ty) -> Ty {
        let it = self.world.item(imp);
        let ItemKind::Impl(parts) = &it.item.kind else {
            return Ty::Unknown;
        };
        let target = self
            .deref_targets
            .borrow_mut()
            .entry(imp)
            .or_insert_with(|| {
                let file = &self.world.crates[imp.krate as usize].index.files[it.file as usize];
                parts.items.iter().find_map(|a| {
                    if !(matches!(a.kind, AssocKind::Type) && a.name == "Target") {
                        return None;
                    }
                    match syn::parse_str::<syn::ImplItem>(file.slice(a.span)) {
                        Ok(syn::ImplItem::Type(t)) => Some(Rc::new(t.ty)),
                        _ => None,
                    }
                })
            })
            .clone();
        let Some(target) = target else {
            return Ty::Unknown;
        };
        if let Some(param) = bare_param(&target, &parts.generics) {
            return impl_arg_position(&parts.self_ty.text, param)
                .map_or(Ty::Unknown, |i| recv.arg(i));
        }
        let mut cx = TyCx::plain(self.world.module_of(imp));
        cx.within = it.nested.as_ref().map(|_| imp);
        cx.self_ty = Some(recv.clone());
        cx.generics
            .extend(parts.generics.iter().map(|g| (g.clone(), Vec::new())));
        self.ty_of(&cx, &target)
    }

    /// Whether `item` is an impl whose self type is a crate type.
    pub fn is_crate_type_impl(&self, item: ItemRef) -> bool {
        self.impl_info(item).is_some_and(|i| {
            !i.self_keys.is_empty() && i.self_keys.iter().all(|k| matches!(k, TypeKey::Local(_)))
        })
    }

    /// The signature of function node `key`, parsed once per session.
    pub fn fn_sig(&self, key: NodeKey) -> Option<Rc<FnSig>> {
        if let Some(cached) = self.sigs.borrow().get(&key) {
            return cached.clone();
        }
        let sig = self.parse_sig(key).map(Rc::new);
        self.sigs.borrow_mut().insert(key, sig.clone());
        sig
    }

    fn parse_sig(&self, key: NodeKey) -> Option<FnSig> {
        let world = self.world;
        let it = world.item(key.item);
        let file = &world.crates[key.item.krate as usize].index.files[it.file as usize];
        let module = world.module_of(key.item);
        let mut cx = TyCx::plain(module);
        cx.within = it.nested.as_ref().map(|_| key.item);
        let parts = match (&it.item.kind, key.assoc) {
            (ItemKind::Fn(parts), NodeKey::WHOLE) => parts,
            (ItemKind::Impl(imp), i) if i != NodeKey::WHOLE => {
                cx.self_ty = imp
                    .self_ty
                    .segs
                    .is_empty()
                    .then_some(Ty::Unknown)
                    .or_else(|| self.impl_self_ty(key.item));
                cx.generics
                    .extend(imp.generics.iter().map(|g| (g.clone(), Vec::new())));
                match &imp.items.get(i as usize)?.kind {
                    AssocKind::Fn(parts) => parts,
                    _ => return None,
                }
            }
            (ItemKind::Trait { items, .. }, i) if i != NodeKey::WHOLE => {
                cx.self_ty = Some(Ty::Traits(vec![key.item]));
                match &items.get(i as usize)?.kind {
                    AssocKind::Fn(parts) => parts,
                    _ => return None,
                }
            }
            _ => return None,
        };
        let sig: syn::Signature = syn::parse_str(file.slice(parts.sig)).ok()?;
        self.add_generics(&mut cx, &sig.generics);
        Some(FnSig { sig, cx })
    }

    /// The self type of impl `imp`.
    pub fn impl_self_ty(&self, imp: ItemRef) -> Option<Ty> {
        self.impl_info(imp)
            .and_then(|info| info.self_keys.first().cloned())
            .map(|k| Ty::Named(k, Vec::new()))
    }

    /// The return type of function node `key`.
    pub fn return_ty(&self, key: NodeKey) -> Ty {
        let Some(sig) = self.fn_sig(key) else {
            return Ty::Unknown;
        };
        match &sig.sig.output {
            syn::ReturnType::Type(_, ty) => self.ty_of(&sig.cx, ty),
            syn::ReturnType::Default => Ty::Unknown,
        }
    }

    /// The declared type of field `member` of `ty`.
    pub fn field_ty(&self, ty: &Ty, member: &syn::Member) -> Ty {
        let Ty::Named(TypeKey::Local(item), _) = ty.peel() else {
            return Ty::Unknown;
        };
        let parsed = {
            let mut cache = self.fields.borrow_mut();
            cache
                .entry(item)
                .or_insert_with(|| {
                    let it = self.world.item(item);
                    let file =
                        &self.world.crates[item.krate as usize].index.files[it.file as usize];
                    syn::parse_str::<syn::Item>(file.slice(it.item.span))
                        .ok()
                        .map(Rc::new)
                })
                .clone()
        };
        let Some(parsed) = parsed else {
            return Ty::Unknown;
        };
        let (fields, generics) = match parsed.as_ref() {
            syn::Item::Struct(s) => (&s.fields, &s.generics),
            syn::Item::Union(u) => (&syn::Fields::Named(u.fields.clone()), &u.generics),
            _ => return Ty::Unknown,
        };
        let mut cx = TyCx::plain(self.world.module_of(item));
        self.add_generics(&mut cx, generics);
        let field = match member {
            syn::Member::Named(name) => fields.iter().find(|f| f.ident.as_ref() == Some(name)),
            syn::Member::Unnamed(index) => fields.iter().nth(index.index as usize),
        };
        field.map_or(Ty::Unknown, |f| self.ty_of(&cx, &f.ty))
    }

    /// Adds the parameters (and `where` bounds) of `generics` to `cx`.
    pub fn add_generics(&self, cx: &mut TyCx, generics: &syn::Generics) {
        for param in &generics.params {
            match param {
                syn::GenericParam::Type(t) => {
                    let bounds = self.trait_bounds(cx, t.bounds.iter());
                    cx.generics.push((t.ident.to_string(), bounds));
                }
                syn::GenericParam::Const(c) => cx.generics.push((c.ident.to_string(), Vec::new())),
                _ => {}
            }
        }
        if let Some(where_clause) = &generics.where_clause {
            for predicate in &where_clause.predicates {
                if let syn::WherePredicate::Type(p) = predicate
                    && let syn::Type::Path(tp) = &p.bounded_ty
                {
                    let bounds = self.trait_bounds(cx, p.bounds.iter());
                    if let Some(ident) = tp.path.get_ident() {
                        let name = ident.to_string();
                        if let Some(entry) = cx.generics.iter_mut().rev().find(|g| g.0 == name) {
                            entry.1.extend(bounds);
                        }
                    } else if let Some(name) = projection_name(cx, tp) {
                        // `where I::Bound: Shout`: read by
                        // [`Session::param_path`] under the name `I::Bound`.
                        match cx.generics.iter_mut().rev().find(|g| g.0 == name) {
                            Some(entry) => entry.1.extend(bounds),
                            None => cx.generics.push((name, bounds)),
                        }
                    }
                }
            }
        }
    }
}

/// `I::Bound` for `I::Bound` or `<I as Interval>::Bound` with `I` a type
/// parameter of `cx` or `Self`: the name its where-clause bounds are kept
/// under.
fn projection_name(cx: &TyCx, tp: &syn::TypePath) -> Option<String> {
    let segs = path_segments(&tp.path);
    let path = match &tp.qself {
        Some(q) => {
            let syn::Type::Path(base) = q.ty.as_ref() else {
                return None;
            };
            let mut path = path_segments(&base.path);
            path.extend_from_slice(segs.get(q.position..)?);
            path
        }
        None => segs,
    };
    let first = path.first()?;
    if path.len() < 2 || (first != "Self" && cx.generic(first).is_none()) {
        return None;
    }
    Some(path.join("::"))
}

/// The impl parameter among `generics` that `ty` is, references peeled.
fn bare_param<'a>(ty: &syn::Type, generics: &'a [String]) -> Option<&'a str> {
    match ty {
        syn::Type::Reference(r) => bare_param(&r.elem, generics),
        syn::Type::Paren(p) => bare_param(&p.elem, generics),
        syn::Type::Group(g) => bare_param(&g.elem, generics),
        syn::Type::Path(tp) if tp.qself.is_none() => {
            let ident = tp.path.get_ident()?.to_string();
            generics.iter().find(|g| **g == ident).map(String::as_str)
        }
        _ => None,
    }
}

/// The position of parameter `param` among the type arguments of an
/// impl's self type (`W<'a, K, T>` and `T`: 1), as a [`Ty`]'s arguments
/// count them.
fn impl_arg_position(self_ty: &str, param: &str) -> Option<usize> {
    let syn::Type::Path(tp) = syn::parse_str::<syn::Type>(self_ty).ok()? else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &tp.path.segments.last()?.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .position(|t| matches!(t, syn::Type::Path(p) if p.path.is_ident(param)))
}

pub(crate) fn traits_or_unknown(traits: Vec<ItemRef>) -> Ty {
    if traits.is_empty() {
        Ty::Unknown
    } else {
        Ty::Traits(traits)
    }
}

/// The segments of a syn path, a leading `::` as `"::"`.
pub(crate) fn path_segments(path: &syn::Path) -> Vec<String> {
    let mut out = Vec::with_capacity(path.segments.len() + 1);
    if path.leading_colon.is_some() {
        out.push("::".to_owned());
    }
    out.extend(path.segments.iter().map(|s| s.ident.to_string()));
    out
}

/// Whether `text` contains `name` as a whole identifier.
fn has_ident(text: &str, name: &str) -> bool {
    ident_starts(text, name).next().is_some()
}

/// Where `name` starts as a whole identifier in `text`.
fn ident_starts<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).map(|(i, _)| i).filter(move |&i| {
        !name.is_empty()
            && !text[..i].chars().next_back().is_some_and(is_ident)
            && !text[i + name.len()..].chars().next().is_some_and(is_ident)
    })
}

/// Whether `text` defines a member `name`: `fn name`, `const name` or
/// `type name`, or a member whose name `paste!` builds (`fn [<get_ $f>]`),
/// which may be any name.
fn defines_member(text: &str, name: &str) -> bool {
    pastes_member_name(text) || ident_starts(text, name).any(|i| after_member_keyword(&text[..i]))
}

/// Whether `before` ends with `fn`, `const` or `type` as a whole word.
fn after_member_keyword(before: &str) -> bool {
    let before = before.trim_end();
    ["fn", "const", "type"].iter().any(|kw| {
        before.strip_suffix(kw).is_some_and(|rest| {
            !rest
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// Whether `text` defines a member whose name `paste!` builds:
/// `fn [<..>]`, `const [<..>]`, `type [<..>]`.
fn pastes_member_name(text: &str) -> bool {
    text.match_indices("[<")
        .any(|(i, _)| after_member_keyword(&text[..i]))
}
