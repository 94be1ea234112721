//! The impl and method tables of one crate, as data: what
//! [`World::derive_tables`](crate::world::World::derive_tables) computes
//! once per crate and the world keeps.

use std::collections::HashMap;

use crate::ids::{ItemRef, NodeKey};
use crate::shallow::AssocKind;

/// A type as impls and receivers name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TypeKey {
    /// A struct, enum or union of a crate in the world.
    Local(ItemRef),
    /// Anything else (std, external, primitive), by its last path segment.
    Foreign(String),
}

/// Facts about one impl block.
#[derive(Clone, Debug)]
pub(crate) struct ImplInfo {
    /// `None` for a blanket impl (`impl<T> Trait for T`).
    pub self_keys: Vec<TypeKey>,
    /// The trait, when it is an item of a crate in the world.
    pub trait_item: Option<ItemRef>,
    /// Whether it is a trait impl at all.
    pub is_trait_impl: bool,
    /// Last segment of the trait path (`Deref`, `Display`, …).
    pub trait_name: Option<String>,
    /// Whether the trait path resolves to std (or core, alloc).
    pub std_trait: bool,
}

impl ImplInfo {
    /// The std trait this impl is of, when its impls join only closures
    /// that may use it ([`crate::trait_sets::GATED`]).
    pub fn gated_trait(&self) -> Option<&str> {
        let name = self.trait_name.as_deref()?;
        (self.std_trait && crate::trait_sets::is_gated(name)).then_some(name)
    }
}

/// The impl and method tables of one crate.
#[derive(Default)]
pub(crate) struct Derived {
    pub impls: HashMap<ItemRef, ImplInfo>,
    pub by_type: HashMap<TypeKey, Vec<ItemRef>>,
    pub by_trait: HashMap<ItemRef, Vec<ItemRef>>,
    pub blanket: Vec<ItemRef>,
    /// Impls of std or external traits by the crate types their header
    /// names besides the self type: `impl From<Align> for char` under
    /// `Align`. The orphan rule makes every such impl name a local type,
    /// and std reaches it through blanket impls (`.into()`, `?`,
    /// `.try_into()`, `==` on the foreign side) without naming it.
    pub by_mention: HashMap<TypeKey, Vec<ItemRef>>,
    /// Functions of impls and traits taking `self`, by name.
    pub methods: HashMap<String, Vec<NodeKey>>,
    /// All functions, consts and types of impls and traits, by name (for
    /// `T::f`, `T::CONST`, `T::Assoc` with `T` not known).
    pub assoc_items: HashMap<String, Vec<NodeKey>>,
    /// Macro invocations written in impl and trait bodies
    /// (`impl ToP for i64 { inner! { .. } }`): the members they write have
    /// no name the index sees, so every member lookup may reach them.
    pub body_macros: Vec<NodeKey>,
    /// Module-level macro invocations (`imp!(i64);`): their expansion may
    /// write impls whose members lookup by name cannot see.
    pub macro_calls: Vec<ItemRef>,
}

impl Derived {
    pub fn add_assoc(&mut self, a: &crate::shallow::Assoc, key: NodeKey) {
        if let AssocKind::Fn(parts) = &a.kind
            && parts.has_self
        {
            self.methods.entry(a.name.clone()).or_default().push(key);
        }
        if matches!(a.kind, AssocKind::Macro) {
            self.body_macros.push(key);
        }
        if matches!(
            a.kind,
            AssocKind::Fn(_) | AssocKind::Const | AssocKind::Type
        ) {
            self.assoc_items
                .entry(a.name.clone())
                .or_default()
                .push(key);
        }
    }
}
