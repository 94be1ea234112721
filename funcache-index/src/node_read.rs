//! Reading one node of the dependency graph: its canonical hash, the nodes
//! it reaches, the externals it uses, what could not be resolved. What it
//! finds depends only on the crates, so [`crate::closure`] computes it once
//! per world and shares it between every cached function that reaches it.

use std::path::Path;

use syn::visit::Visit;

use crate::build_inputs::{self};
use crate::cfg_text;
use crate::ids::{ItemRef, NodeKey};
use crate::impl_table::TypeKey;
use crate::lexical_path::relative;
use crate::node::NodeInfo;
use crate::session::Session;
use crate::shallow::ItemKind;
use crate::shallow::Range;
use crate::trait_sets::Open;
use crate::ty::{Ty, TyCx};
use crate::walker::{LocBase, Walker};
use crate::{Digest, canonical_hash, hash_tokens};

/// A method's hash: its impl (or trait) header and its own tokens, so that
/// editing a sibling method does not change it.
pub(crate) fn combine(header: Digest, item: Digest) -> Digest {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-assoc\0");
    hasher.update(header.as_bytes());
    hasher.update(item.as_bytes());
    hasher.finalize().into()
}

/// Hash of text that syn could not parse: its raw tokens, or its bytes.
fn raw_hash(text: &str) -> Digest {
    match text.parse::<proc_macro2::TokenStream>() {
        Ok(tokens) => hash_tokens(tokens),
        Err(_) => blake3::hash(text.as_bytes()).into(),
    }
}

/// Which attributes to remove before hashing a root (the cache attribute
/// itself, which the macro never sees).
pub(crate) type AttrFilter<'a> = &'a dyn Fn(&syn::Attribute) -> bool;

/// Location base of byte `offset` of the file holding `item`.
pub(crate) fn loc_base(s: &Session, item: ItemRef, offset: u32, manifest_dir: &Path) -> LocBase {
    let it = s.world.item(item);
    let file = &s.world.crates[item.krate as usize].index.files[it.file as usize];
    let (line, column) = file.line_column(offset);
    LocBase {
        file: relative(manifest_dir, &file.path),
        line,
        column,
    }
}

/// The path of a node below its crate root.
pub(crate) fn node_path(s: &Session, key: NodeKey) -> String {
    let it = s.world.item(key.item);
    let module = &s.world.crates[key.item.krate as usize].index.modules[it.module as usize];
    let mut parts: Vec<String> = module.path.clone();
    // A nested item's path names what it is written in, as
    // `std::any::type_name` does: `english::greet`.
    if let Some(nested) = &it.nested {
        parts.extend(nested.enclosing.iter().cloned());
    }
    match (&it.item.kind, key.assoc) {
        (ItemKind::Impl(imp), i) if i != NodeKey::WHOLE => {
            let owner = match &imp.trait_ {
                Some(t) => format!("<{} as {}>", imp.self_ty.text, t.text),
                None => imp.self_ty.text.clone(),
            };
            parts.push(owner);
            parts.push(
                imp.items
                    .get(i as usize)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
            );
        }
        (ItemKind::Trait { items, .. }, i) if i != NodeKey::WHOLE => {
            parts.push(it.item.name.clone());
            parts.push(
                items
                    .get(i as usize)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
            );
        }
        (ItemKind::MacroRules, _) => parts.push(format!("{}!", it.item.name)),
        // A module-level invocation: `impl_area!(..)`.
        (ItemKind::MacroCall, _) => parts.push(format!(
            "{}!(..)",
            it.item
                .via_macro
                .as_ref()
                .and_then(|p| p.last())
                .map_or("", String::as_str)
        )),
        _ => parts.push(it.item.name.clone()),
    }
    parts.join("::")
}

/// The byte range of a node's own text in its file, and of its impl's or
/// trait's header for an item of one.
fn node_ranges(s: &Session, key: NodeKey) -> (Range, Option<Range>) {
    let it = s.world.item(key.item);
    match (&it.item.kind, key.assoc) {
        (ItemKind::Impl(imp), i) if i != NodeKey::WHOLE => (
            imp.items.get(i as usize).map_or(it.item.span, |a| a.span),
            Some((it.item.span.0, imp.header.1)),
        ),
        (ItemKind::Trait { items, header }, i) if i != NodeKey::WHOLE => (
            items.get(i as usize).map_or(it.item.span, |a| a.span),
            Some((it.item.span.0, header.1)),
        ),
        _ => (it.item.span, None),
    }
}

/// Computes a node. `text` replaces the node's own text (the root as
/// the macro saw it); `strip` removes attributes before hashing.
pub(crate) fn node_info(
    s: &Session,
    key: NodeKey,
    text: Option<&str>,
    strip: AttrFilter,
    manifest_dir: &Path,
) -> NodeInfo {
    let mut info = node_facts(s, key, text, strip, manifest_dir);
    add_includes(s, key, text, &mut info);
    info
}

/// A node a closure reaches (never a root): its facts from the node cache
/// when it holds them, else computed and stored there.
pub(crate) fn reached_node_info(s: &Session, key: NodeKey, manifest_dir: &Path) -> NodeInfo {
    let it = s.world.item(key.item);
    let file = &s.world.crates[key.item.krate as usize].index.files[it.file as usize];
    let (span, header_range) = node_ranges(s, key);
    let own = file.slice(span);
    let header = header_range.map_or("", |r| file.slice(r));
    // The two places locations are counted from (see `node_facts`).
    let at = loc_base(s, key.item, span.0, manifest_dir);
    let item_at = loc_base(s, key.item, it.item.span.0, manifest_dir);
    let locs = format!(
        "{}:{}:{} {}:{}",
        at.file, at.line, at.column, item_at.line, item_at.column
    );
    let no_strip: AttrFilter = &|_| false;
    let mut info =
        crate::node_store::cached(s.store.as_deref(), key, &[own, header], &locs, || {
            node_facts(s, key, None, no_strip, manifest_dir)
        });
    add_includes(s, key, None, &mut info);
    info
}

/// Files pulled in with include!/include_str!/include_bytes! are part
/// of the item, though none of its tokens change when they do. Never
/// cached: the files are read every time.
fn add_includes(s: &Session, key: NodeKey, text: Option<&str>, info: &mut NodeInfo) {
    let it = s.world.item(key.item);
    let index = &s.world.crates[key.item.krate as usize].index;
    let file = &index.files[it.file as usize];
    let own_text = text.unwrap_or_else(|| file.slice(node_ranges(s, key).0));
    let file_dir = file.path.parent().unwrap_or(&index.manifest_dir);
    if let Some(included) = crate::includes::digest(own_text, file_dir, index.include_dirs()) {
        info.hash = combine(info.hash, included);
    }
}

/// What a node is, from its own text (or `text`) and the index: all of
/// [`NodeInfo`] but the files it includes ([`add_includes`]). Besides the
/// text, it reads only what the node cache's outline covers.
fn node_facts(
    s: &Session,
    key: NodeKey,
    text: Option<&str>,
    strip: AttrFilter,
    manifest_dir: &Path,
) -> NodeInfo {
    let world = s.world;
    let it = world.item(key.item);
    let file = &world.crates[key.item.krate as usize].index.files[it.file as usize];
    let module = world.module_of(key.item);
    let path = node_path(s, key);
    let (span, header_range) = node_ranges(s, key);
    let own_text = text.unwrap_or_else(|| file.slice(span));
    // With replacement text, positions inside it only approximate the
    // file's; the item's own start is still right.
    let loc = loc_base(s, key.item, span.0, manifest_dir);
    let mut walker = Walker::new(s, TyCx::plain(module), loc.clone());
    walker.set_within(key.item);
    let mut extra_edges: Vec<NodeKey> = Vec::new();
    let hash = match (&it.item.kind, key.assoc) {
        (ItemKind::Impl(_), i) if i != NodeKey::WHOLE => {
            let header_text = format!("{} {{}}", file.slice(header_range.unwrap_or_default()));
            let (header, header_hash) = parse_header(&header_text, syn::Item::Impl);
            if let Some(h) = &header {
                let mut header_walker =
                    header_walker(s, key.item, module, manifest_dir, &h.generics);
                if let Some((trait_path, _)) = &h.trait_ {
                    header_walker.visit_path_as_type(trait_path);
                }
                header_walker.visit_type(&h.self_ty);
                merge(&mut walker, header_walker);
                walker.set_self(s.impl_self_ty(key.item).unwrap_or(Ty::Unknown), &h.generics);
                // The trait's declaration of this item (its signature,
                // its default) is part of what the impl means.
                if let Some(info) = s.impl_info(key.item)
                    && let (Some(t), ItemKind::Impl(imp)) = (info.trait_item, &it.item.kind)
                    && let Some(a) = imp.items.get(i as usize)
                {
                    extra_edges.extend(s.trait_items_named(t, &a.name));
                }
            }
            let item_hash = walk_assoc(s, &mut walker, own_text, strip, false);
            combine(header_hash, item_hash)
        }
        (ItemKind::Trait { .. }, i) if i != NodeKey::WHOLE => {
            let header_text = format!("{} {{}}", file.slice(header_range.unwrap_or_default()));
            let (header, header_hash) = parse_header(&header_text, syn::Item::Trait);
            if let Some(h) = &header {
                let mut header_walker =
                    header_walker(s, key.item, module, manifest_dir, &h.generics);
                for bound in &h.supertraits {
                    header_walker.visit_type_param_bound(bound);
                }
                merge(&mut walker, header_walker);
                walker.set_self(Ty::Traits(vec![key.item]), &h.generics);
            }
            combine(
                header_hash,
                walk_assoc(s, &mut walker, own_text, strip, true),
            )
        }
        (ItemKind::Fn(_), _) => walk_assoc(s, &mut walker, own_text, strip, false),
        (ItemKind::MacroRules, _) => match own_text.parse::<proc_macro2::TokenStream>() {
            Ok(tokens) => {
                walker.in_macro_body = true;
                walker.scan_tokens(tokens.clone());
                hash_tokens(tokens)
            }
            Err(_) => blake3::hash(own_text.as_bytes()).into(),
        },
        (ItemKind::Trait { .. }, _) => match syn::parse_str::<syn::ItemTrait>(own_text) {
            Ok(mut t) => {
                walker.add_generics(&t.generics);
                walker.visit_generics(&t.generics);
                for bound in &t.supertraits {
                    walker.visit_type_param_bound(bound);
                }
                walker.set_self(Ty::Traits(vec![key.item]), &t.generics);
                for item in &mut t.items {
                    match item {
                        syn::TraitItem::Fn(f) => {
                            walker.walk_fn(&f.sig, None);
                            // Default bodies count only when called.
                            if f.default.take().is_some() {
                                f.semi_token = Some(Default::default());
                            }
                        }
                        other => walker.visit_trait_item(other),
                    }
                }
                canonical_hash(&syn::Item::Trait(t))
            }
            Err(_) => raw_hash(own_text),
        },
        _ => match syn::parse_str::<syn::Item>(own_text) {
            Ok(item) => {
                walker.dyn_opens = true;
                walker.in_static = matches!(item, syn::Item::Static(_));
                if let Some(generics) = item_generics(&item) {
                    walker.add_generics(generics);
                }
                walker.visit_item(&item);
                walk_derives(&mut walker, &item);
                canonical_hash(&crate::derives::without_std_derives(item))
            }
            Err(_) => raw_hash(own_text),
        },
    };
    // Types bring their trait impls: they run implicitly (operators,
    // Display, Drop, Deref, From via `?`, Iterator in `for`).
    if key.assoc == NodeKey::WHOLE
        && matches!(
            it.item.kind,
            ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union
        )
    {
        extra_edges.extend(trait_impl_items(s, &TypeKey::Local(key.item)));
    }
    // An invocation that may write `mod x;` reaches what x's file holds.
    if matches!(it.item.kind, ItemKind::MacroCall) {
        let index = &world.crates[key.item.krate as usize].index;
        for item in index.macro_module_items(key.item.item) {
            let r = crate::ids::ItemRef {
                krate: key.item.krate,
                item,
            };
            match &world.item(r).item.kind {
                ItemKind::Impl(parts) if !parts.items.is_empty() => {
                    extra_edges.extend((0..parts.items.len()).map(|i| NodeKey::assoc(r, i)));
                }
                ItemKind::Trait { items, .. } => {
                    extra_edges.push(NodeKey::item(r));
                    extra_edges.extend((0..items.len()).map(|i| NodeKey::assoc(r, i)));
                }
                _ => extra_edges.push(NodeKey::item(r)),
            }
        }
    }
    if let Some(via) = &it.item.via_macro
        && let Some(name) = via.last()
    {
        extra_edges.extend(
            world
                .macros_named(key.item.krate, name)
                .into_iter()
                .map(NodeKey::item),
        );
    }
    let mut inputs = cfg_text::scan(own_text);
    if let Some(header) = header_range {
        inputs.extend(cfg_text::scan(file.slice(header)));
    }
    let mut out = walker.out;
    out.nodes.extend(extra_edges);
    out.nodes.remove(&key);
    NodeInfo {
        path,
        hash,
        edges: out.nodes.into_iter().collect(),
        externals: out.externals.into_iter().collect(),
        unresolved: out.unresolved,
        open: out.open,
        by_name: out.by_name.into_iter().collect(),
        uses: out.uses,
        sig_open: Open::default(),
        gate: build_inputs::gate(world, key),
        inputs,
        positional: crate::positions::reads_position(own_text),
        reads_docs: crate::macro_docs::node_reads_docs(world, key),
    }
}

/// A walker for an impl's or trait's header, its generics declared.
fn header_walker<'a, 'w>(
    s: &'a Session<'w>,
    item: ItemRef,
    module: crate::ids::ModRef,
    manifest_dir: &Path,
    generics: &syn::Generics,
) -> Walker<'a, 'w> {
    let start = s.world.item(item).item.span.0;
    let mut walker = Walker::new(
        s,
        TyCx::plain(module),
        loc_base(s, item, start, manifest_dir),
    );
    walker.set_within(item);
    walker.add_generics(generics);
    walker.visit_generics(generics);
    walker
}

/// Parses a function or impl/trait item, walks it and returns its hash.
fn walk_assoc(
    _s: &Session,
    walker: &mut Walker,
    text: &str,
    strip: AttrFilter,
    in_trait: bool,
) -> Digest {
    if in_trait {
        return match syn::parse_str::<syn::TraitItem>(text) {
            Ok(mut item) => {
                match &item {
                    syn::TraitItem::Fn(f) => walker.walk_fn(&f.sig, f.default.as_ref()),
                    other => walker.visit_trait_item(other),
                }
                if let syn::TraitItem::Fn(f) = &mut item {
                    f.attrs.retain(|a| !strip(a));
                }
                canonical_hash(&item)
            }
            Err(_) => raw_hash(text),
        };
    }
    match syn::parse_str::<syn::ImplItem>(text) {
        Ok(mut item) => {
            match &item {
                syn::ImplItem::Fn(f) => walker.walk_fn(&f.sig, Some(&f.block)),
                syn::ImplItem::Verbatim(tokens) => walker.scan_tokens(tokens.clone()),
                other => walker.visit_impl_item(other),
            }
            if let syn::ImplItem::Fn(f) = &mut item {
                f.attrs.retain(|a| !strip(a));
            }
            canonical_hash(&item)
        }
        Err(_) => raw_hash(text),
    }
}

/// Every item of the impls of `key` for traits that std or external
/// code may call implicitly: std and external traits (operators,
/// `Display` in `format!`, `Drop`, `Deref`, `From` via `?`, `Iterator`
/// in `for`, serde's traits …), including blanket impls of them.
///
/// Impls of the gated traits (`From`, `TryFrom`) are left out: they join
/// the closures of code that may use them ([`crate::trait_sets::GATED`]).
/// So are impls that name the type only in the trait (`impl From<T> for
/// char`), which join with the type ([`Session::joined_impls`]).
///
/// Impls of the crates' own traits are left out here on purpose: only
/// code in these crates can call their methods, and every such call is
/// followed (by receiver type, by trait bound, or by name when the
/// receiver is unknown), which reaches those impls when they can run.
fn trait_impl_items(s: &Session, key: &TypeKey) -> Vec<NodeKey> {
    let mut out = Vec::new();
    for d in &s.derived {
        let typed = d.by_type.get(key).map(Vec::as_slice).unwrap_or(&[]);
        for &imp in typed.iter().chain(&d.blanket) {
            if d.impls.get(&imp).is_some_and(|i| {
                i.is_trait_impl && i.trait_item.is_none() && i.gated_trait().is_none()
            }) && let ItemKind::Impl(parts) = &s.world.item(imp).item.kind
            {
                out.extend((0..parts.items.len()).map(|i| NodeKey::assoc(imp, i)));
            }
        }
    }
    out
}

fn item_generics(item: &syn::Item) -> Option<&syn::Generics> {
    match item {
        syn::Item::Struct(s) => Some(&s.generics),
        syn::Item::Enum(e) => Some(&e.generics),
        syn::Item::Union(u) => Some(&u.generics),
        syn::Item::Type(t) => Some(&t.generics),
        _ => None,
    }
}

/// Adds what a header walker found to the item's walker.
fn merge(into: &mut Walker, from: Walker) {
    into.out.nodes.extend(from.out.nodes);
    into.out.externals.extend(from.out.externals);
    into.out.unresolved.extend(from.out.unresolved);
    into.out.open.add(&from.out.open);
    into.out.by_name.extend(from.out.by_name);
    // A header declares what it implements; it uses nothing by that.
}

/// Parses an impl or trait header (`impl<..> X for Y where .. {}`) and
/// hashes it; unparsable text is hashed raw.
fn parse_header<T: syn::parse::Parse + Clone>(
    text: &str,
    as_item: fn(T) -> syn::Item,
) -> (Option<T>, Digest) {
    let header: Option<T> = syn::parse_str(text).ok();
    let hash = header
        .clone()
        .map_or_else(|| raw_hash(text), |h| canonical_hash(&as_item(h)));
    (header, hash)
}

/// `#[derive(serde::Serialize)]`: derive macros from external crates are
/// externals; local or std ones add nothing and are never unresolved.
fn walk_derives(walker: &mut Walker, item: &syn::Item) {
    let attrs = match item {
        syn::Item::Struct(s) => &s.attrs,
        syn::Item::Enum(e) => &e.attrs,
        syn::Item::Union(u) => &u.attrs,
        _ => return,
    };
    for attr in attrs {
        if attr.path().is_ident("derive")
            && let syn::Meta::List(list) = &attr.meta
        {
            walker.in_derive = true;
            walker.scan_tokens(list.tokens.clone());
            walker.in_derive = false;
        }
    }
}
