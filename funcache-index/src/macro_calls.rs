//! `macro_rules!` macros in the closure.
//!
//! A macro's expansion is code the index never sees, so it stands in for
//! it by what it can see: the definition (whose body is scanned as tokens:
//! paths, macros it invokes, methods it calls) and, for an item-position
//! invocation at module level (`impl_area!(A8, 9);`), the invocation itself
//! — a node whose hash covers its tokens and whose edges reach its macro.
//!
//! - A macro is found by name: `macro_rules!` scoping is textual and
//!   `use`/`#[macro_export]` re-export it anywhere, so every definition of
//!   that name counts (the invoking crate's, else every crate's in view).
//! - An invocation joins a closure when the closure reaches an item named
//!   in its tokens (`A8`), or a trait its macro's body names (the impls it
//!   may generate), or a name its module lacks (it may generate that
//!   name; see `World::lookup_in_scope`). A macro found by name never
//!   brings its module's invocations.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use crate::cache::{CrateId, World};
use crate::closure::NodeInfo;
use crate::receiver::Session;
use crate::scope::{ItemRef, NodeKey};
use crate::shallow::ItemKind;

/// The `macro_rules!` definitions an invocation of `segs` may run, for code
/// in crate `krate`: a path written as local (`m!`, `crate::m!`,
/// `$crate::m!`, `self::m!`, `super::m!`) takes `krate`'s definitions of
/// that name when it has any; otherwise every crate in view's.
pub(crate) fn macros_by_name(s: &Session, krate: CrateId, segs: &[String]) -> Vec<ItemRef> {
    let Some(name) = segs.last() else {
        return Vec::new();
    };
    let local_form = segs.len() == 1
        || matches!(
            segs[0].as_str(),
            "crate" | "$crate" | "self" | "super"
        );
    let own = s.world.macros_named(krate, name);
    if local_form && !own.is_empty() {
        return own;
    }
    let mut out = own;
    for &c in s.view.iter().filter(|&&c| c != krate) {
        out.extend(s.world.macros_named(c, name));
    }
    out
}

/// Whether `key` is a module-level item-position macro invocation.
pub(crate) fn is_invocation(world: &World, key: NodeKey) -> bool {
    matches!(world.item(key.item).item.kind, ItemKind::MacroCall)
}

/// What makes one invocation join a closure.
pub(crate) struct Trigger {
    pub invocation: NodeKey,
    /// Items named in its tokens, and traits its macro's body names.
    pub items: HashSet<ItemRef>,
}

impl Session<'_> {
    /// The module-level invocations of the crates in view, each with its
    /// trigger items; `info` computes (or finds) a node.
    pub fn invocation_triggers(
        &self,
        info: &mut dyn FnMut(NodeKey) -> Arc<NodeInfo>,
    ) -> Vec<Trigger> {
        let mut out = Vec::new();
        for &c in &self.view {
            for module in &self.world.crates[c as usize].index.modules {
                for &item in &module.macro_calls {
                    let invocation = NodeKey::item(ItemRef { krate: c, item });
                    let mut items = HashSet::new();
                    for &edge in &info(invocation).edges {
                        if matches!(self.world.item(edge.item).item.kind, ItemKind::MacroRules) {
                            // Its macro: the traits its body names.
                            for &e in &info(edge).edges {
                                if matches!(
                                    self.world.item(e.item).item.kind,
                                    ItemKind::Trait { .. }
                                ) {
                                    items.insert(e.item);
                                }
                            }
                        } else {
                            items.insert(edge.item);
                        }
                    }
                    out.push(Trigger { invocation, items });
                }
            }
        }
        out
    }
}

/// The invocations not in `seen` whose trigger items `seen` reaches.
pub(crate) fn joined_invocations(triggers: &[Trigger], seen: &BTreeSet<NodeKey>) -> Vec<NodeKey> {
    let reached: HashSet<ItemRef> = seen.iter().map(|k| k.item).collect();
    triggers
        .iter()
        .filter(|t| !seen.contains(&t.invocation) && t.items.iter().any(|i| reached.contains(i)))
        .map(|t| t.invocation)
        .collect()
}
