//! The transitive closure of a cached function over the nodes it reaches.
//!
//! A node is one item (a function, type, const, static, trait, macro) or one
//! item of an impl or trait. Its [`NodeInfo`] — canonical hash, the nodes it
//! reaches, the externals it uses, what could not be resolved — depends only
//! on the crates, so it is computed once per world and shared by every
//! cached function that reaches it.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

use quote::ToTokens;

use crate::build_inputs::BuildCollector;
use crate::ids::{CrateId, NodeKey};
use crate::lexical_path;
use crate::node::NodeInfo;
use crate::node_read;
use crate::session::Session;
use crate::session::macro_calls::{Trigger, joined_invocations};
use crate::trait_sets::{Open, newly_open};
use crate::{BuildInputs, Dependency};

/// The result of a closure.
pub(crate) struct ClosureResult {
    pub dependencies: Vec<Dependency>,
    pub externals: Vec<String>,
    /// `(path, location, in_root)`.
    pub unresolved: Vec<(String, String, bool)>,
    /// What the build decides; `dependencies` leaves out `build.gated`.
    pub build: BuildInputs,
    /// Manifests whose declarations the fingerprint took (see
    /// [`BuildCollector::finish`]).
    pub manifests: Vec<std::path::PathBuf>,
    /// Nodes computed during this closure, to keep in the world.
    pub computed: Vec<(NodeKey, Arc<NodeInfo>)>,
    /// The crates the closure has nodes of.
    pub reached: BTreeSet<CrateId>,
}

/// Follows every edge from `root` and collects the closure.
pub(crate) fn closure(
    s: &Session,
    root_key: Option<NodeKey>,
    root: &NodeInfo,
    known: &std::collections::HashMap<NodeKey, Arc<NodeInfo>>,
    manifest_dir: &Path,
) -> ClosureResult {
    let prefix = |krate: CrateId| -> String {
        if krate == s.root_crate {
            "crate".to_owned()
        } else {
            s.world.crates[krate as usize].name.clone()
        }
    };
    let join = |krate: CrateId, path: &str| {
        if path.is_empty() {
            prefix(krate)
        } else {
            format!("{}::{path}", prefix(krate))
        }
    };
    let mut bodies = crate::macro_builtins::Bodies::default();
    let root_invoked =
        root_key.map(|k| crate::macro_builtins::invoked(s.world, k, &root.edges, &mut bodies));
    let mut dependencies = vec![Dependency {
        path: join(root_key.map_or(s.root_crate, |k| k.item.krate), &root.path),
        hash: match (root_key, &root_invoked) {
            (Some(key), Some(invoked)) => placed_hash(s, key, root, invoked, manifest_dir),
            _ => root.hash,
        },
    }];
    let mut externals: BTreeSet<String> = root.externals.iter().cloned().collect();
    let mut unresolved: Vec<(String, String, bool)> = root
        .unresolved
        .iter()
        .map(|(p, l)| (p.clone(), l.clone(), true))
        .collect();
    if let (Some(key), Some(invoked)) = (root_key, &root_invoked) {
        unresolved.extend(invoked_unresolved(s, key, invoked, manifest_dir, true));
    }
    let root_crate = root_key.map_or(s.root_crate, |k| k.item.krate);
    let mut build = BuildCollector::new(s.world, &s.view, root_crate);
    // The cached function is compiled, so its own gate holds.
    build.add_text(root_key, root_crate, &root.inputs);
    if let Some(invoked) = &root_invoked {
        build.add_text(root_key, root_crate, &invoked_inputs(invoked));
    }
    if let Some(key) = root_key {
        build.add_item(key);
    }
    let mut computed = Vec::new();
    let mut seen: BTreeSet<NodeKey> = root_key.into_iter().collect();
    // Nodes reached but never compiled in this build (kept in `seen` so
    // that they are not reached again).
    let mut never: BTreeSet<NodeKey> = BTreeSet::new();
    let mut queue: Vec<NodeKey> = root.edges.clone();
    let mut local: BTreeMap<NodeKey, Arc<NodeInfo>> = BTreeMap::new();
    // Module-level macro invocations and what makes each join, computed
    // when first needed.
    let mut triggers: Option<Vec<Trigger>> = None;
    // Traits whose impls all join (caller-chosen types, trait objects in
    // data), and those already joined.
    let mut open = root_key.map_or_else(|| root.sig_open.clone(), |k| s.root_open(k));
    if !open.foreign.is_empty() {
        // A caller-chosen type may be any dependency's, with its impls of
        // those std or external traits: every dependency's version counts.
        externals.extend(every_external(s));
    }
    open.add(&root.open);
    let mut applied = Open::default();
    let mut by_name: HashSet<String> = root.by_name.iter().cloned().collect();
    let exported = exported_fns(s);
    let mut uses = root.uses;
    loop {
        if queue.is_empty() {
            s.close(&mut open);
            if let Some(fresh) = newly_open(&open, &mut applied) {
                queue.extend(
                    s.open_nodes(&fresh)
                        .into_iter()
                        .filter(|n| !seen.contains(n)),
                );
            }
            if queue.is_empty() {
                queue.extend(s.joined_impls(&seen, &by_name, uses));
            }
            if queue.is_empty() {
                let triggers = triggers.get_or_insert_with(|| {
                    s.invocation_triggers(&mut |k| {
                        fetch(s, k, known, &mut local, &mut computed, manifest_dir)
                    })
                });
                queue.extend(joined_invocations(triggers, &seen));
            }
            if queue.is_empty() {
                break;
            }
        }
        let Some(key) = queue.pop() else { break };
        if !seen.insert(key) {
            continue;
        }
        let info = fetch(s, key, known, &mut local, &mut computed, manifest_dir);
        // Another crate's `#[cfg(test)]` code: never compiled here, so
        // neither it nor what only it reaches counts.
        if build.never_compiled(key.item.krate, info.gate.as_deref()) {
            never.insert(key);
            continue;
        }
        let invoked = crate::macro_builtins::invoked(s.world, key, &info.edges, &mut bodies);
        let dependency = Dependency {
            path: join(key.item.krate, &info.path),
            hash: placed_hash(s, key, &info, &invoked, manifest_dir),
        };
        build.add_text(Some(key), key.item.krate, &info.inputs);
        build.add_text(Some(key), key.item.krate, &invoked_inputs(&invoked));
        unresolved.extend(invoked_unresolved(s, key, &invoked, manifest_dir, false));
        build.add_item(key);
        match build.gate(key.item.krate, info.gate.as_deref()) {
            Some(predicate) => build.add_gated(predicate, dependency),
            None => dependencies.push(dependency),
        }
        externals.extend(info.externals.iter().cloned());
        open.add(&info.open);
        by_name.extend(info.by_name.iter().cloned());
        uses.add(info.uses);
        unresolved.extend(
            info.unresolved
                .iter()
                .map(|(p, l)| (p.clone(), l.clone(), false)),
        );
        queue.extend(info.edges.iter().filter(|e| !seen.contains(e)));
        // A function declared in an `extern` block runs the crate's
        // `#[no_mangle]` (or `#[export_name]`) function of that name.
        if key.assoc == NodeKey::WHOLE {
            let item = &s.world.item(key.item).item;
            if matches!(item.kind, crate::shallow::ItemKind::Fn(_))
                && let Some(definitions) = exported.get(item.name.as_str())
            {
                queue.extend(definitions.iter().filter(|d| !seen.contains(d)));
            }
        }
    }
    dependencies.sort();
    dependencies.dedup();
    unresolved.sort();
    unresolved.dedup();
    if !unresolved.is_empty() {
        // A name the index cannot place may be an external crate's under a
        // name it does not know (package `md-5` is used as `md5`): every
        // dependency's version counts, so upgrading it is never missed.
        externals.extend(every_external(s));
    }
    seen.retain(|key| !never.contains(key));
    let (build, manifests) = build.finish(&seen, &mut externals);
    let reached = seen.iter().map(|key| key.item.krate).collect();
    ClosureResult {
        reached,
        dependencies,
        build,
        manifests,
        externals: externals.into_iter().collect(),
        unresolved,
        computed,
    }
}

/// A node's hash with what its file adds beyond its text (both read from
/// the files as they are now, because a node's cached facts depend on its
/// text only): its position, when its result depends on it (it reads its
/// position or calls a `#[track_caller]` function, see
/// [`crate::positions`]); its doc comments, when a macro on it may read
/// them (see [`crate::macro_docs`]); the `use` items in scope where it is
/// written (see [`crate::use_scope`]).
fn placed_hash(
    s: &Session,
    key: NodeKey,
    info: &NodeInfo,
    invoked: &crate::macro_builtins::Invoked,
    manifest_dir: &Path,
) -> crate::Digest {
    let mut hash = info.hash;
    let positional = info.positional
        || invoked.positional
        || info
            .edges
            .iter()
            .any(|e| crate::positions::is_track_caller(s.world, *e));
    if positional {
        let name_file = |p: &Path| lexical_path::relative(manifest_dir, p);
        let place = crate::positions::position_digest(s.world, key, &name_file);
        hash = node_read::combine(hash, place);
    }
    if info.reads_docs
        && let Some(docs) = crate::macro_docs::node_docs(s.world, key)
    {
        hash = node_read::combine(hash, docs);
    }
    if let Some(scope) = s.use_scope(key) {
        hash = node_read::combine(hash, scope);
    }
    hash
}

/// The environment variables a node's crate macro invocations may read and
/// the `cfg` predicates they pass to `cfg!($p)` (see
/// [`crate::macro_builtins`]), as build inputs.
fn invoked_inputs(invoked: &crate::macro_builtins::Invoked) -> crate::cfg_text::TextInputs {
    crate::cfg_text::TextInputs {
        env: invoked.env.clone(),
        cfgs: invoked.cfgs.clone(),
        ..Default::default()
    }
}

/// The `cfg!($p)` a node's crate macro invocations evaluate: predicates
/// the index cannot read, listed as unresolved so `strict` refuses them.
fn invoked_unresolved(
    s: &Session,
    key: NodeKey,
    invoked: &crate::macro_builtins::Invoked,
    manifest_dir: &Path,
    root: bool,
) -> Vec<(String, String, bool)> {
    if invoked.param_cfg.is_empty() {
        return Vec::new();
    }
    let it = s.world.item(key.item);
    let file = &s.world.crates[key.item.krate as usize].index.files[it.file as usize];
    let (line, column) = file.line_column(it.item.span.0);
    let location = format!(
        "{}:{line}:{column}",
        lexical_path::relative(manifest_dir, &file.path)
    );
    invoked
        .param_cfg
        .iter()
        .map(|p| (p.clone(), location.clone(), root))
        .collect()
}

/// A node's info: known to the world, computed earlier in this closure,
/// or computed now (and kept in `local` and `computed`).
fn fetch(
    s: &Session,
    key: NodeKey,
    known: &std::collections::HashMap<NodeKey, Arc<NodeInfo>>,
    local: &mut BTreeMap<NodeKey, Arc<NodeInfo>>,
    computed: &mut Vec<(NodeKey, Arc<NodeInfo>)>,
    manifest_dir: &Path,
) -> Arc<NodeInfo> {
    if let Some(info) = known.get(&key).or_else(|| local.get(&key)) {
        return info.clone();
    }
    let info = Arc::new(node_read::reached_node_info(s, key, manifest_dir));
    local.insert(key, info.clone());
    computed.push((key, info.clone()));
    info
}

/// The signature of a function item as source text.
pub(crate) fn signature_text(sig: &syn::Signature) -> String {
    sig.to_token_stream().to_string()
}

/// The `name@version` entries of every registry and git dependency of the
/// crates in view.
fn every_external(s: &Session) -> Vec<String> {
    s.view
        .iter()
        .flat_map(|&c| s.world.crates[c as usize].deps.values())
        .filter_map(|d| match d {
            crate::world::DepBinding::External(x) => Some(x.clone()),
            crate::world::DepBinding::Crate(_) => None,
        })
        .collect()
}

/// The functions of the crates in view that the linker knows by a name of
/// their own, by that name: `#[no_mangle]` (its own name), `#[export_name
/// = "x"]`, and `#[unsafe(..)]` (edition 2024's spelling of both, taken as
/// its own name).
fn exported_fns(s: &Session) -> std::collections::HashMap<String, Vec<NodeKey>> {
    let mut out: std::collections::HashMap<String, Vec<NodeKey>> = Default::default();
    for &c in &s.view {
        for (id, it) in s.world.crates[c as usize].index.items.iter().enumerate() {
            if !matches!(it.item.kind, crate::shallow::ItemKind::Fn(_)) {
                continue;
            }
            for attr in &it.item.attrs {
                let name = match attr.path.as_slice() {
                    [p] if p == "no_mangle" || p == "unsafe" => Some(it.item.name.clone()),
                    [p] if p == "export_name" => attr.value.clone(),
                    _ => None,
                };
                if let Some(name) = name {
                    let item = crate::ids::ItemRef {
                        krate: c,
                        item: id as u32,
                    };
                    out.entry(name).or_default().push(NodeKey::item(item));
                }
            }
        }
    }
    out
}
