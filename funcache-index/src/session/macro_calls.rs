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
//!   in its tokens (`A8`) or in an impl header of its macro's body (a trait
//!   it may implement, a type it may implement one for; other items it
//!   generates are reached by name), or a name its module lacks (it may
//!   generate that name; see `World::lookup_in_scope`; such names are
//!   listed as unresolved when the macro is the crate's). A macro found by
//!   name never brings its module's invocations.
//! - Items are not hygienic: a path in a macro's body that does not start
//!   with `$crate` (`f`, `self::g`, `super::f`, `crate::h`) resolves where
//!   the macro is invoked, so it resolves both where the macro is defined
//!   and in every module that may invoke it, in the defining crate and in
//!   the crates in view that depend on it (see [`invoking_crates`]); so
//!   does a macro such a body invokes by a plain or `crate::` path.
//! - A method called in a macro's body (`$x.calc9()`) has a receiver of
//!   unknown type: the rule for unknown receivers applies (the methods of
//!   that name of the crate types in the closure join); `$t::new()`
//!   reaches every associated function of that name.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use proc_macro2::TokenTree;

use super::Session;
use crate::ids::{CrateId, ItemRef, ModRef, NodeKey};
use crate::module_tree::ModId;
use crate::node::NodeInfo;
use crate::shallow::ItemKind;
use crate::world::World;

/// The `macro_rules!` definitions an invocation of `segs` may run, for code
/// in crate `krate`: a path written as local (`m!`, `crate::m!`,
/// `$crate::m!`, `self::m!`, `super::m!`) takes `krate`'s definitions of
/// that name when it has any; otherwise every crate in view's.
pub(crate) fn macros_by_name(s: &Session, krate: CrateId, segs: &[String]) -> Vec<ItemRef> {
    let Some(name) = segs.last() else {
        return Vec::new();
    };
    let local_form =
        segs.len() == 1 || matches!(segs[0].as_str(), "crate" | "$crate" | "self" | "super");
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

/// The `macro_rules!` definitions a macro name may denote through `use`
/// renames in crate `krate` (`pub(crate) use mac_a as mm;` makes `mm!`
/// run `mac_a`), transitively. Which module's `use` binds the name is not
/// checked: every rename of it in the crate counts, which can only
/// over-include.
pub(crate) fn macros_through_uses(s: &Session, krate: CrateId, segs: &[String]) -> Vec<ItemRef> {
    let Some(name) = segs.last() else {
        return Vec::new();
    };
    let index = &s.world.crates[krate as usize].index;
    let mut names = vec![name.clone()];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(current) = names.get(at).cloned() {
        at += 1;
        for entry in index.modules.iter().flat_map(|m| &m.uses) {
            if entry.glob || entry.name.as_ref() != Some(&current) {
                continue;
            }
            let Some(target) = entry.path.last() else {
                continue;
            };
            if target == &current {
                continue;
            }
            for m in macros_by_name(s, krate, &entry.path) {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
            if !names.contains(target) {
                names.push(target.clone());
            }
        }
    }
    out
}

/// The modules of crate `krate` that bind `name` themselves (an item or a
/// `use` of that name, or a glob providing it).
pub(crate) fn modules_binding(world: &World, krate: CrateId, name: &str) -> Vec<ModRef> {
    let count = world.crates[krate as usize].index.modules.len();
    (0..count)
        .map(|module| ModRef {
            krate,
            module: module as ModId,
        })
        .filter(|&m| {
            !world
                .lookup_in_module(m, name, crate::world::Ns::Any, &mut HashSet::new())
                .is_empty()
        })
        .collect()
}

/// The crates in view that may invoke a macro defined in `krate`: `krate`
/// and every crate in view that depends on it (directly, or through a
/// crate that re-exports it).
pub(crate) fn invoking_crates(s: &Session, krate: CrateId) -> Vec<CrateId> {
    let mut out = vec![krate];
    for &c in &s.view {
        if c != krate && s.world.view(c).contains(&krate) {
            out.push(c);
        }
    }
    out
}

/// Whether `key` is a module-level item-position macro invocation.
pub(crate) fn is_invocation(world: &World, key: NodeKey) -> bool {
    matches!(world.item(key.item).item.kind, ItemKind::MacroCall)
}

/// Whether `key` is a module-level invocation of a `macro_rules!` macro of
/// the crates in view: a name reached only through such invocations is
/// generated by code the index cannot expand, so it is listed as
/// unresolved (and `strict` refuses it), though the invocations join.
pub(crate) fn is_crate_macro_invocation(s: &Session, key: NodeKey) -> bool {
    let item = &s.world.item(key.item).item;
    matches!(item.kind, ItemKind::MacroCall)
        && item
            .via_macro
            .as_ref()
            .and_then(|p| p.last())
            .is_some_and(|name| {
                s.view
                    .iter()
                    .any(|&c| !s.world.macros_named(c, name).is_empty())
            })
}

/// What makes one invocation join a closure.
pub(crate) struct Trigger {
    pub invocation: NodeKey,
    /// Items named in its tokens, and in impl headers of its macro's body.
    pub items: HashSet<ItemRef>,
}

impl Session<'_> {
    /// The module-level invocations of the crates in view, each with its
    /// trigger items; `info` computes (or finds) a node.
    pub fn invocation_triggers(
        &self,
        info: &mut dyn FnMut(NodeKey) -> Arc<NodeInfo>,
    ) -> Vec<Trigger> {
        let mut headers = HashMap::new();
        let mut out = Vec::new();
        for &c in &self.view {
            for module in &self.world.crates[c as usize].index.modules {
                for &item in &module.macro_calls {
                    let invocation = NodeKey::item(ItemRef { krate: c, item });
                    let items = self.trigger_items(invocation, info, &mut headers);
                    out.push(Trigger { invocation, items });
                }
            }
        }
        out
    }

    /// The items named in `invocation`'s tokens, and those named in the
    /// impl headers of its macro's body (and of the macros that body
    /// invokes): the traits it may implement, the types it may implement
    /// them for. `headers` memoizes each macro's header names.
    fn trigger_items(
        &self,
        invocation: NodeKey,
        info: &mut dyn FnMut(NodeKey) -> Arc<NodeInfo>,
        headers: &mut HashMap<ItemRef, Rc<HashSet<String>>>,
    ) -> HashSet<ItemRef> {
        let mut items = HashSet::new();
        let mut macros = HashSet::new();
        let mut queue = vec![invocation];
        while let Some(key) = queue.pop() {
            let names = (key != invocation).then(|| {
                headers
                    .entry(key.item)
                    .or_insert_with(|| Rc::new(self.impl_header_names(key.item)))
                    .clone()
            });
            for &edge in &info(key).edges {
                let edge_item = &self.world.item(edge.item).item;
                match edge_item.kind {
                    ItemKind::MacroRules if macros.insert(edge) => queue.push(edge),
                    // Another invocation stands in for a name this one
                    // uses: reaching it does not make this one run.
                    ItemKind::MacroRules | ItemKind::MacroCall | ItemKind::Impl(_) => {}
                    _ if names
                        .as_ref()
                        .is_none_or(|names| names.contains(&edge_item.name)) =>
                    {
                        items.insert(edge.item);
                    }
                    _ => {}
                }
            }
        }
        items
    }

    /// The identifiers in the `impl .. {` headers of a macro's text: the
    /// traits and types of the impls it may generate.
    fn impl_header_names(&self, item: ItemRef) -> HashSet<String> {
        let it = self.world.item(item);
        let file = &self.world.crates[item.krate as usize].index.files[it.file as usize];
        let mut out = HashSet::new();
        if let Ok(tokens) = file.slice(it.item.span).parse::<proc_macro2::TokenStream>() {
            header_names(tokens, &mut out);
        }
        out
    }
}

fn header_names(tokens: proc_macro2::TokenStream, out: &mut HashSet<String>) {
    let mut in_header = false;
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) if i == "impl" => in_header = true,
            TokenTree::Ident(i) if in_header => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) if in_header && g.delimiter() == proc_macro2::Delimiter::Brace => {
                in_header = false;
                header_names(g.stream(), out);
            }
            TokenTree::Group(g) => header_names(g.stream(), out),
            _ => {}
        }
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

/// Keywords: never a path's first segment in token soup (`self`, `super`,
/// `crate` and `Self` start paths and are resolved).
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "static",
    "struct",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "yield",
    "macro_rules",
];

/// Keywords after which an identifier is the name being defined. Not
/// `const`, `static` or `mut`: a type follows them in `*const T`,
/// `&'static T` and `&mut T` (and `const X: T` is a name before `:`).
const DEFINING: &[&str] = &[
    "fn", "struct", "enum", "union", "trait", "type", "mod", "let",
];

/// Whether ident `i` of `trees` names no item whatever the scope: a
/// keyword, a fragment specifier (`expr` in `$x:expr`), the name a
/// `macro_rules!` or an item definition defines, a lifetime, a field or
/// parameter name. Resolving these would find nothing but the
/// module's invocations (the fallback for a missing name).
pub(crate) fn names_no_item(trees: &[TokenTree], i: usize) -> bool {
    let punct =
        |k: usize, c: char| matches!(trees.get(k), Some(TokenTree::Punct(p)) if p.as_char() == c);
    let ident = |k: usize| matches!(trees.get(k), Some(TokenTree::Ident(_)));
    let TokenTree::Ident(this) = &trees[i] else {
        return false;
    };
    if KEYWORDS.iter().any(|k| this == k) {
        return true;
    }
    if i >= 3 && punct(i - 1, ':') && ident(i - 2) && punct(i - 3, '$') {
        return true;
    }
    // A lifetime (`'a`), or a name being defined (`fn span`, `struct S`).
    if i >= 1 && punct(i - 1, '\'') {
        return true;
    }
    if i >= 1 && matches!(&trees[i - 1], TokenTree::Ident(d) if DEFINING.iter().any(|k| d == k)) {
        return true;
    }
    // A field or parameter name (`span: Span`, `S { span: s }`), not a
    // path (`a::b`).
    if punct(i + 1, ':') && !punct(i + 2, ':') && !(i >= 1 && punct(i - 1, ':')) {
        return true;
    }
    i >= 2
        && punct(i - 1, '!')
        && matches!(&trees[i - 2], TokenTree::Ident(m) if m == "macro_rules")
}
