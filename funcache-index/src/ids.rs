//! The identities everything else refers to: crates, modules, items and
//! the nodes of the dependency graph, and what a path can denote. Plain
//! `Copy` data, so the index, the closure and the caches can key on them.

use crate::module_tree::{ItemId, ModId};

/// Index of a crate in the world's list of crates.
pub(crate) type CrateId = u32;

/// An item of some crate in the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ItemRef {
    pub krate: CrateId,
    pub item: ItemId,
}

/// A module of some crate in the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ModRef {
    pub krate: CrateId,
    pub module: ModId,
}

/// A node of the dependency graph: an item, or an item of an impl/trait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NodeKey {
    pub item: ItemRef,
    /// Index into the impl's or trait's items; [`NodeKey::WHOLE`] for the
    /// item itself.
    pub assoc: u32,
}

impl NodeKey {
    /// `assoc` of a node that is a whole item.
    pub const WHOLE: u32 = u32::MAX;

    /// The node of a whole item.
    pub fn item(item: ItemRef) -> NodeKey {
        NodeKey {
            item,
            assoc: Self::WHOLE,
        }
    }

    /// The node of item `assoc` of impl or trait `item`.
    pub fn assoc(item: ItemRef, assoc: usize) -> NodeKey {
        NodeKey {
            item,
            assoc: assoc as u32,
        }
    }
}

/// What a name or path denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    Item(ItemRef),
    Module(ModRef),
    /// `Type::name` or `Trait::name` where `Type`/`Trait` is an item.
    Assoc(ItemRef, String),
    /// An external crate (or something in it): `name@version`.
    External(String),
    /// std, core, alloc, the prelude, primitives.
    Std,
}
