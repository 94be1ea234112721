//! Trait impls a closure reaches without naming the type they are for.
//!
//! A call through a trait (`x.weight()` with `x: T`, `T: Weight`, or a
//! `dyn Weight`) runs the impl of whatever type the value has. A value of a
//! crate type is made by code that names the type, so such calls resolve to
//! the trait's declaration (and its impls for std, external and blanket
//! types), and the impls for crate types join when the closure has the
//! type ([`Session::joined_impls`]). A generic fn instantiated as
//! `sum_weights::<Item>` then reaches `impl Weight for Item`, not `impl
//! Weight for Other`.
//!
//! Values can also come from outside the closure: the arguments of the
//! cached function (a caller-chosen `T: Display`, an `impl Debug`, a `dyn
//! Weight`) and trait objects stored in fields or statics. Their traits are
//! *open*: every impl of them in the crates is in the closure
//! ([`Session::open_nodes`]), std traits included (`impl Display for
//! Square` under `fn label<T: Display>`), and so is every crate type that
//! derives one.

use std::collections::{BTreeSet, HashSet};

use syn::visit::Visit;

use super::{Session, path_segments};
use crate::ids::{Binding, ItemRef, ModRef, NodeKey};
use crate::shallow::ItemKind;
use crate::trait_sets::{Open, Uses};

/// std traits a bound implies, through supertraits or std's blanket impls
/// (`T: ToString` is `T: Display`; `T: Into<U>` runs `U: From<T>`).
const STD_IMPLIED: &[(&str, &[&str])] = &[
    ("Error", &["Debug", "Display"]),
    ("Ord", &["PartialOrd", "Eq", "PartialEq"]),
    ("PartialOrd", &["PartialEq"]),
    ("Eq", &["PartialEq"]),
    ("Copy", &["Clone"]),
    ("ToString", &["Display"]),
    ("Into", &["From"]),
    ("TryInto", &["TryFrom"]),
    ("IntoIterator", &["Iterator"]),
    ("DoubleEndedIterator", &["Iterator"]),
    ("ExactSizeIterator", &["Iterator"]),
    ("FusedIterator", &["Iterator"]),
    ("DeserializeOwned", &["Deserialize"]),
];

/// Bounds that run no code of the type: no impl of theirs is opened.
const MARKERS: &[&str] = &[
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Any",
    "UnwindSafe",
    "RefUnwindSafe",
];

/// Collects the trait paths of every bound in what it visits.
#[derive(Default)]
struct Bounds(Vec<syn::Path>);

impl<'ast> Visit<'ast> for Bounds {
    fn visit_trait_bound(&mut self, b: &'ast syn::TraitBound) {
        self.0.push(b.path.clone());
        syn::visit::visit_trait_bound(self, b);
    }
}

impl Session<'_> {
    /// The open traits of cached function `root`: bounds of its and its
    /// impl's type parameters, and the traits of `impl Trait` and `dyn
    /// Trait` in its parameters.
    pub fn root_open(&self, root: NodeKey) -> Open {
        let Some(sig) = self.fn_sig(root) else {
            return Open::default();
        };
        let mut open = Open::default();
        let mut bounds = Bounds::default();
        let it = self.world.item(root.item);
        if let ItemKind::Impl(parts) = &it.item.kind {
            let file = &self.world.crates[root.item.krate as usize].index.files[it.file as usize];
            let header = format!("{} {{}}", file.slice((it.item.span.0, parts.header.1)));
            if let Ok(imp) = syn::parse_str::<syn::ItemImpl>(&header) {
                bounds.visit_generics(&imp.generics);
            }
        }
        for path in &bounds.0 {
            self.add_bound(&mut open, sig.cx.module, path);
        }
        open.add(&self.sig_open(&sig.sig, sig.cx.module));
        self.close(&mut open);
        open
    }

    /// The open traits of a function's own signature in `module`: bounds
    /// of its type parameters, `impl Trait` and `dyn Trait` parameters.
    pub fn sig_open(&self, sig: &syn::Signature, module: ModRef) -> Open {
        let mut bounds = Bounds::default();
        bounds.visit_generics(&sig.generics);
        for input in &sig.inputs {
            if let syn::FnArg::Typed(p) = input {
                bounds.visit_type(&p.ty);
            }
        }
        let mut open = Open::default();
        for path in &bounds.0 {
            self.add_bound(&mut open, module, path);
        }
        self.close(&mut open);
        open
    }

    /// Adds the trait `path` names in `module` to `open`: a crate trait,
    /// or else a std or external one by its last segment (markers left out).
    pub fn add_bound(&self, open: &mut Open, module: ModRef, path: &syn::Path) {
        let segs = path_segments(path);
        let mut local = false;
        for b in self.world.resolve(module, &segs) {
            if let Binding::Item(i) = b
                && matches!(self.world.item(i).item.kind, ItemKind::Trait { .. })
            {
                open.local.insert(i);
                local = true;
            }
        }
        // std, external or not found: by name (over-includes, never misses).
        if !local
            && let Some(last) = segs.last()
            && !MARKERS.contains(&last.as_str())
        {
            open.foreign.insert(last.clone());
        }
    }

    /// Adds what open traits imply: for a crate trait, the bounds of its
    /// blanket impls (`impl<X: Display> Shout for X` makes any `Display`
    /// type a `Shout`); for a std trait, its supertraits and blanket
    /// routes ([`STD_IMPLIED`]).
    ///
    /// A crate trait's own supertraits need nothing here: a type chosen for
    /// `T: Sub` is one of the self types of `Sub`'s impls, which join with
    /// all their std impls ([`Session::open_nodes`]), or a std or external
    /// type, which has no crate impls of std traits.
    pub fn close(&self, open: &mut Open) {
        loop {
            let before = open.clone();
            for t in &before.local {
                for d in &self.derived {
                    for &imp in d.by_trait.get(t).map(Vec::as_slice).unwrap_or(&[]) {
                        if !d.blanket.contains(&imp) {
                            continue;
                        }
                        let it = self.world.item(imp);
                        let ItemKind::Impl(parts) = &it.item.kind else {
                            continue;
                        };
                        let file =
                            &self.world.crates[imp.krate as usize].index.files[it.file as usize];
                        let text = format!("{} {{}}", file.slice((it.item.span.0, parts.header.1)));
                        if let Ok(header) = syn::parse_str::<syn::ItemImpl>(&text) {
                            let mut bounds = Bounds::default();
                            bounds.visit_generics(&header.generics);
                            for path in &bounds.0 {
                                self.add_bound(open, self.world.module_of(imp), path);
                            }
                        }
                    }
                }
            }
            for name in &before.foreign {
                if let Some((_, implied)) = STD_IMPLIED.iter().find(|(n, _)| n == name) {
                    open.foreign.extend(implied.iter().map(|s| (*s).to_owned()));
                }
            }
            if *open == before {
                return;
            }
        }
    }

    /// Every item of every impl of an open trait, the crate types those
    /// impls are for (with them, their std impls), and every crate type
    /// that derives an open std or external trait.
    pub fn open_nodes(&self, open: &Open) -> Vec<NodeKey> {
        let mut out = Vec::new();
        if open.is_empty() {
            return out;
        }
        for d in &self.derived {
            for (&imp, info) in &d.impls {
                let hit = match info.trait_item {
                    Some(t) => open.local.contains(&t),
                    None => info
                        .trait_name
                        .as_ref()
                        .is_some_and(|n| open.foreign.contains(n)),
                };
                if hit && let ItemKind::Impl(parts) = &self.world.item(imp).item.kind {
                    out.extend((0..parts.items.len()).map(|i| NodeKey::assoc(imp, i)));
                    if info.trait_item.is_some() {
                        out.extend(info.self_keys.iter().filter_map(|k| match k {
                            crate::impl_table::TypeKey::Local(t) => Some(NodeKey::item(*t)),
                            crate::impl_table::TypeKey::Foreign(_) => None,
                        }));
                    }
                }
            }
        }
        if !open.foreign.is_empty() {
            for &c in &self.view {
                out.extend(self.deriving(c, &open.foreign).map(NodeKey::item));
            }
        }
        out
    }

    /// Types of crate `c` whose `derive` (or `cfg_attr(.., derive(..))`)
    /// names one of `traits`.
    fn deriving<'a>(
        &'a self,
        c: crate::ids::CrateId,
        traits: &'a BTreeSet<String>,
    ) -> impl Iterator<Item = ItemRef> + 'a {
        let index = &self.world.crates[c as usize].index;
        index.items.iter().enumerate().filter_map(move |(id, it)| {
            if !matches!(
                it.item.kind,
                ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union
            ) {
                return None;
            }
            let file = &index.files[it.file as usize];
            let derives = it.item.attrs.iter().any(|a| {
                let derive_attr =
                    a.path.len() == 1 && (a.path[0] == "derive" || a.path[0] == "cfg_attr");
                derive_attr
                    && a.args.is_some_and(|r| {
                        crate::lexer::lex(file.slice(r)).is_ok_and(|t| {
                            (0..t.toks.len()).any(|i| {
                                t.toks[i].kind == crate::lexer::Kind::Ident
                                    && traits.contains(t.text(i))
                            })
                        })
                    })
            });
            derives.then_some(ItemRef {
                krate: c,
                item: id as u32,
            })
        })
    }

    /// Items of crate-type impls the closure calls without naming the type,
    /// for the crate types it has: for each trait item in `seen`, the
    /// same-named items of the impls of that trait whose self type is a
    /// crate type in `seen`; for each method called on an unknown receiver
    /// (`by_name`), the same-named methods of the impls of the crate types
    /// in `seen`; the impls of the gated std traits the closure `uses` for
    /// the crate types in `seen`. Only nodes not yet in `seen`.
    pub fn joined_impls(
        &self,
        seen: &BTreeSet<NodeKey>,
        by_name: &HashSet<String>,
        uses: Uses,
    ) -> Vec<NodeKey> {
        let types: HashSet<ItemRef> = seen
            .iter()
            .filter(|k| {
                k.assoc == NodeKey::WHOLE
                    && matches!(
                        self.world.item(k.item).item.kind,
                        ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union
                    )
            })
            .map(|k| k.item)
            .collect();
        let mut out = Vec::new();
        for &t in &types {
            let key = crate::impl_table::TypeKey::Local(t);
            for d in &self.derived {
                for &imp in d.by_type.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                    let ItemKind::Impl(parts) = &self.world.item(imp).item.kind else {
                        continue;
                    };
                    let used_gated = d
                        .impls
                        .get(&imp)
                        .is_some_and(|i| i.gated_trait().is_some_and(|n| uses.has(n)));
                    for (i, a) in parts.items.iter().enumerate() {
                        let node = NodeKey::assoc(imp, i);
                        // A macro in the impl body may write any method
                        // its trait allows.
                        let called = by_name.contains(&a.name)
                            || (matches!(a.kind, crate::shallow::AssocKind::Macro)
                                && by_name.iter().any(|n| self.body_macro_may_write(node, n)));
                        if (used_gated || called) && !seen.contains(&node) {
                            out.push(node);
                        }
                    }
                }
                // `impl From<T> for char`: std reaches it through the
                // type it names, without the closure naming the trait
                // (`io::Error::other(t)` converts `t` inside std). No std
                // function takes `impl TryInto<…>`: `TryFrom` impls wait
                // for code that converts.
                for &imp in d.by_mention.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                    let waits = d.impls.get(&imp).is_some_and(|i| {
                        i.gated_trait() == Some("TryFrom") && !uses.has("TryFrom")
                    });
                    let ItemKind::Impl(parts) = &self.world.item(imp).item.kind else {
                        continue;
                    };
                    if !waits {
                        out.extend(
                            (0..parts.items.len())
                                .map(|i| NodeKey::assoc(imp, i))
                                .filter(|n| !seen.contains(n)),
                        );
                    }
                }
            }
        }
        for key in seen {
            if key.assoc == NodeKey::WHOLE {
                continue;
            }
            let ItemKind::Trait { items, .. } = &self.world.item(key.item).item.kind else {
                continue;
            };
            let Some(name) = items.get(key.assoc as usize).map(|a| &a.name) else {
                continue;
            };
            for d in &self.derived {
                for &imp in d.by_trait.get(&key.item).map(Vec::as_slice).unwrap_or(&[]) {
                    let for_seen_type = d.impls.get(&imp).is_some_and(|i| {
                        i.self_keys.iter().any(
                            |k| matches!(k, crate::impl_table::TypeKey::Local(t) if types.contains(t)),
                        )
                    });
                    if for_seen_type {
                        out.extend(
                            self.impl_items_named(imp, name)
                                .into_iter()
                                .filter(|n| !seen.contains(n)),
                        );
                    }
                }
            }
        }
        out
    }
}
