//! The public entry points: analyze a cached function for the macro (by its
//! source text and where it is), for `memoize!` (by path), and every cached
//! function of a package for the CLI.
//!
//! Every entry point parses under proc_macro2's fallback implementation:
//! inside a proc macro, going through the compiler's token bridge for whole
//! files is slow, and mixing compiler-backed with fallback tokens panics.
//! Results are plain data; no syn or proc_macro2 value leaves this module.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::closure;
use crate::dep_build_output::{self, Reader, RustcDeps};
use crate::ids::{Binding, CrateId, ItemRef, ModRef, NodeKey};
use crate::node::NodeInfo;
use crate::node_read::{self, AttrFilter};
use crate::node_store::{NodeStore, OutlineCrate};
use crate::session::{Session, path_segments};
use crate::shallow::{AssocKind, ItemKind};
use crate::target::{self, TargetKind};
use crate::world::{DepBinding, World, normalize};
use crate::{BuildInputs, CacheOptions, Dependency, Digest, FingerprintInput, IndexError};

/// Where a macro expansion happens (from the proc-macro environment).
#[derive(Debug, Clone)]
pub struct MacroSite {
    /// `CARGO_MANIFEST_DIR`.
    pub manifest_dir: PathBuf,
    /// `CARGO_CRATE_NAME`.
    pub crate_name: String,
    /// `CARGO_BIN_NAME` (binaries and examples).
    pub bin_name: Option<String>,
    /// Absolute path of the file holding the annotated function.
    pub file: PathBuf,
    /// 1-based line of the attribute or the function.
    pub line: usize,
}

/// The impl a cached method belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplContext {
    /// The self type as written, e.g. `Parser` or `Wrapper<T>`.
    pub self_ty: String,
    /// The trait, for a trait impl, as written.
    pub trait_: Option<String>,
    /// Whether the impl has type or const parameters.
    pub generic: bool,
}

/// A reference that resolves to nothing known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The path as written (`helpers::missing`, `mac!`).
    pub path: String,
    /// `file:line:column`, the file relative to the manifest directory.
    pub location: String,
    /// Whether it is in the cached function itself.
    pub in_root: bool,
}

/// Everything the fingerprint of a cached function is made of.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Path of the function below the crate root (`steps::parse`,
    /// `steps::Parser::parse`), without `crate::`.
    pub item_path: String,
    /// Set when the function is an associated function or method.
    pub impl_context: Option<ImplContext>,
    /// The closure, sorted, the function itself included.
    pub dependencies: Vec<Dependency>,
    /// `name@version` of external crates used, sorted.
    pub externals: Vec<String>,
    /// References that could not be resolved.
    pub unresolved: Vec<Unresolved>,
    /// The fingerprint of `dependencies`, `externals` and the salt. The
    /// runtime mixes `build` into it (see [`BuildInputs`]).
    pub fingerprint: Digest,
    /// What the build decides: items that exist only under a `cfg`, the
    /// `cfg` predicates and environment variables read, generated code.
    pub build: BuildInputs,
    /// Files read that rustc does not load for this crate (path
    /// dependencies' sources, `Cargo.lock`): the macro registers them with
    /// `include_bytes!` so that editing them reruns it.
    pub tracked_files: Vec<PathBuf>,
    /// What the compilation should warn about: a path dependency whose
    /// build-script output this build's files did not reveal (it is also
    /// among `unresolved`).
    pub warnings: Vec<String>,
}

/// A cached function found by [`package_cached_fns`].
#[derive(Debug, Clone)]
pub struct CachedFn {
    /// `CARGO_CRATE_NAME` of the target it is in.
    pub crate_name: String,
    /// The tokens inside `#[funcache::cache(...)]`, as written.
    pub options_source: String,
    /// The analysis, equal to what the macro computes.
    pub analysis: Analysis,
}

/// Forces proc_macro2's fallback implementation while alive, and restores
/// detection when dropped (also on unwind).
pub(crate) struct FallbackGuard;

impl FallbackGuard {
    pub(crate) fn new() -> FallbackGuard {
        proc_macro2::fallback::force();
        FallbackGuard
    }
}

impl Drop for FallbackGuard {
    fn drop(&mut self) {
        proc_macro2::fallback::unforce();
    }
}

/// Analyzes the function `fn_source` annotated with `#[funcache::cache]` at
/// `site`. `fn_source` is the item as rustc handed it to the macro (the
/// attribute removed), as text; `salt` is [`CacheOptions::salt`].
pub fn analyze_cached_fn(
    site: &MacroSite,
    fn_source: &str,
    salt: &[u8],
) -> Result<Analysis, IndexError> {
    let _guard = FallbackGuard::new();
    let parsed: syn::ImplItem =
        syn::parse_str(fn_source).map_err(|e| parse_error(&site.file, site.line, e))?;
    let syn::ImplItem::Fn(item) = parsed else {
        return Err(IndexError::FnNotFound {
            name: fn_source.chars().take(60).collect(),
            context: "`#[funcache::cache]` applies to functions".into(),
        });
    };
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, file) = select_compiled(&mut world, site)?;
    let name = item.sig.ident.to_string();
    let located = file.and_then(|f| locate_fn(&world, krate, f, site.line, &name));
    // Never a guess: a function whose scope the index cannot see falls back.
    let key =
        crate::site_scope::seen_fn(&world, krate, file, &site.file, site.line, &name, located)?;
    prepare(&mut world, krate);
    let s = Session::new(&world, krate);
    let module = world.module_of(key.item);
    let strip_ref = |a: &syn::Attribute| world.is_cache_attr(module, &attr_segments(a));
    let strip: AttrFilter = &strip_ref;
    // The file's version is used when it is the same function (it gives
    // exact locations); otherwise the macro's text wins.
    let from_file = node_read::node_info(&s, key, None, strip, &site.manifest_dir);
    let from_macro = node_read::node_info(&s, key, Some(fn_source), strip, &site.manifest_dir);
    let root = if from_file.hash == from_macro.hash {
        from_file
    } else {
        from_macro
    };
    let reader = Reader::Compiler(RustcDeps::of_process());
    let (mut analysis, computed) = finish(&s, Some(key), &root, salt, &site.manifest_dir, reader);
    drop(s);
    if let Some(ordinal) = block_ordinal(&world, key) {
        analysis.item_path = format!("{}#{ordinal}", analysis.item_path);
    }
    store(&mut world, computed);
    Ok(analysis)
}

/// For a nested function bound in a later block of the function it is in
/// than another function of its name (`run::greet` in two blocks of
/// `run`), its 1-based position among them: both have one path, and the
/// id names the block (`run::greet#2`). `None` for the first one and for
/// every other function.
fn block_ordinal(world: &World, key: NodeKey) -> Option<usize> {
    let it = world.item(key.item);
    let nested = it.nested.as_ref()?;
    if key.assoc != NodeKey::WHOLE {
        return None;
    }
    let index = &world.crates[key.item.krate as usize].index;
    let mut starts: Vec<u32> = index
        .items
        .iter()
        .filter(|other| {
            other.file == it.file
                && other.module == it.module
                && matches!(other.item.kind, ItemKind::Fn(_))
                && other.item.name == it.item.name
                && other
                    .nested
                    .as_ref()
                    .is_some_and(|n| n.enclosing == nested.enclosing)
        })
        .map(|other| other.item.span.0)
        .collect();
    starts.sort_unstable();
    let position = starts.iter().position(|&start| start == it.item.span.0)?;
    (position > 0).then_some(position + 1)
}

/// Resolves `path` (as written in `funcache::memoize!(path)`) from the
/// module of `site` and analyzes that function. Also returns its signature
/// as source text.
pub fn analyze_fn_path(
    site: &MacroSite,
    path: &str,
    salt: &[u8],
) -> Result<(Analysis, String), IndexError> {
    let _guard = FallbackGuard::new();
    let parsed: syn::Path =
        syn::parse_str(path).map_err(|e| parse_error(&site.file, site.line, e))?;
    let segs = path_segments(&parsed);
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, file) = select_compiled(&mut world, site)?;
    // A path from the crate root means the same everywhere; any other is
    // resolved from the module around the site, which must be known.
    if segs.first().map(String::as_str) != Some("crate")
        && let Some(reason) =
            crate::site_scope::unseen_module(&world, krate, file, &site.file, site.line)
    {
        return Err(IndexError::Unseen {
            name: path.to_owned(),
            reason: format!("{reason}; write the path from the crate root (`crate::…`)"),
        });
    }
    prepare(&mut world, krate);
    let module = module_at_line(&world, krate, file, site.line);
    let s = Session::new(&world, krate);
    let mut found: Vec<NodeKey> = Vec::new();
    let mut other = Vec::new();
    // A fn is a value: `memoize!(crate::find)` where module `find` holds
    // fn `find` re-exported at the root is the fn.
    for b in world.resolve_in(module, &segs, crate::world::Ns::Value) {
        match b {
            Binding::Item(i) if matches!(world.item(i).item.kind, ItemKind::Fn(_)) => {
                found.push(NodeKey::item(i))
            }
            Binding::Assoc(i, name) => {
                let keys = match world.item(i).item.kind {
                    ItemKind::Trait { .. } => s.trait_items_named(i, &name),
                    _ => s.assoc_of_type(&crate::impl_table::TypeKey::Local(i), &name),
                };
                // Inherent methods first: that is what `Type::f` names.
                let mut keys: Vec<NodeKey> =
                    keys.into_iter().filter(|k| is_fn(&world, *k)).collect();
                keys.sort_by_key(|k| !is_inherent(&world, *k));
                found.extend(keys.into_iter().take(1));
            }
            Binding::External(x) => other.push(format!("external crate item {x}")),
            Binding::Std => other.push("a std item".to_owned()),
            Binding::Item(i) => {
                other.push(format!("a non-function item `{}`", world.item(i).item.name))
            }
            Binding::Module(_) => other.push("a module".to_owned()),
        }
    }
    let Some(key) = found.first().copied() else {
        return Err(IndexError::NotAFunction {
            path: path.to_owned(),
            detail: if other.is_empty() {
                "nothing of that name is in scope".to_owned()
            } else {
                other.join(", ")
            },
        });
    };
    let root_module = world.module_of(key.item);
    let strip_ref = |a: &syn::Attribute| world.is_cache_attr(root_module, &attr_segments(a));
    let root = node_read::node_info(&s, key, None, &strip_ref, &site.manifest_dir);
    let signature = fn_signature(&world, key).unwrap_or_default();
    let reader = Reader::Compiler(RustcDeps::of_process());
    let (analysis, computed) = finish(&s, Some(key), &root, salt, &site.manifest_dir, reader);
    drop(s);
    store(&mut world, computed);
    Ok((analysis, signature))
}

/// Every function of the package in `manifest_dir` carrying the funcache
/// cache attribute, in all targets, analyzed exactly as the macro would.
/// Functions whose options do not parse (the macro rejects them) are
/// skipped.
pub fn package_cached_fns(manifest_dir: &Path) -> Result<Vec<CachedFn>, IndexError> {
    let _guard = FallbackGuard::new();
    let manifest_dir = normalize(manifest_dir);
    let mut world = crate::world::world();
    world.revalidate();
    let (targets, lib_root) = package_targets(&mut world, &manifest_dir)?;
    let mut out = Vec::new();
    for t in &targets {
        let own_lib = lib_root.as_deref().filter(|_| t.kind != TargetKind::Lib);
        let krate = world.load_crate(&manifest_dir, &t.root, &t.crate_name, own_lib)?;
        prepare(&mut world, krate);
        let mut roots: Vec<(NodeKey, String)> = Vec::new();
        for (id, it) in world.crates[krate as usize].index.items.iter().enumerate() {
            let item = ItemRef {
                krate,
                item: id as u32,
            };
            let module = world.module_of(item);
            let options = |attrs: &[crate::shallow::Attr]| {
                attrs
                    .iter()
                    .find(|a| world.is_cache_attr(module, &a.path))
                    .map(|a| {
                        a.args
                            .map(|r| {
                                world.crates[krate as usize].index.files[it.file as usize]
                                    .slice(r)
                                    .to_owned()
                            })
                            .unwrap_or_default()
                    })
            };
            match &it.item.kind {
                ItemKind::Fn(_) => {
                    if let Some(o) = options(&it.item.attrs) {
                        roots.push((NodeKey::item(item), o));
                    }
                }
                ItemKind::Impl(parts) => {
                    for (i, a) in parts.items.iter().enumerate() {
                        if matches!(a.kind, AssocKind::Fn(_))
                            && let Some(o) = options(&a.attrs)
                        {
                            roots.push((NodeKey::assoc(item, i), o));
                        }
                    }
                }
                _ => {}
            }
        }
        for (key, options_source) in roots {
            // The macro falls back for these; its fingerprint cannot be
            // computed here.
            if !crate::site_scope::analyzable(&world, key) {
                continue;
            }
            let Ok(options) = syn::parse_str::<CacheOptions>(&options_source) else {
                continue;
            };
            let s = Session::new(&world, krate);
            let module = world.module_of(key.item);
            let strip_ref = |a: &syn::Attribute| world.is_cache_attr(module, &attr_segments(a));
            let root = node_read::node_info(&s, key, None, &strip_ref, &manifest_dir);
            let salt = options.salt();
            let (analysis, computed) =
                finish(&s, Some(key), &root, &salt, &manifest_dir, Reader::Source);
            drop(s);
            store(&mut world, computed);
            out.push(CachedFn {
                crate_name: t.crate_name.clone(),
                options_source,
                analysis,
            });
        }
    }
    Ok(out)
}

/// The crate name (`CARGO_CRATE_NAME`) of every target of the package at
/// `manifest_dir`, declared or found by cargo's conventions: the names its
/// cached functions' ids start with.
pub fn package_crate_names(manifest_dir: &Path) -> Result<Vec<String>, IndexError> {
    let mut world = crate::world::world();
    let (targets, _) = package_targets(&mut world, &normalize(manifest_dir))?;
    Ok(targets
        .into_iter()
        .map(|target| target.crate_name)
        .collect())
}

/// Size of an index, from [`index_stats`].
#[derive(Debug, Clone, Default)]
pub struct IndexStats {
    /// Crates indexed for the site: the crate and its path dependencies.
    pub crates: usize,
    /// Source files read.
    pub files: usize,
    /// Lines in those files.
    pub lines: usize,
    /// Items found (impl and trait items not counted separately).
    pub items: usize,
}

/// Builds (or revalidates) the index of the crate at `site` and reports its
/// size. The macro does not need this; it is for benchmarks and
/// diagnostics (`examples/index_time.rs`).
pub fn index_stats(site: &MacroSite) -> Result<IndexStats, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_compiled(&mut world, site)?;
    prepare(&mut world, krate);
    let mut stats = IndexStats::default();
    for c in world.view(krate) {
        let index = &world.crates[c as usize].index;
        stats.crates += 1;
        stats.files += index.files.len();
        stats.lines += index
            .files
            .iter()
            .map(|f| f.line_starts.len())
            .sum::<usize>();
        stats.items += index.items.len();
    }
    Ok(stats)
}

/// `OUT_DIR` of the package being compiled: in a proc macro, the
/// environment is the rustc run's, which cargo gives the package's build
/// script output directory.
fn site_out_dir() -> Option<PathBuf> {
    std::env::var_os("OUT_DIR").map(PathBuf::from)
}

fn is_fn(world: &World, key: NodeKey) -> bool {
    match (&world.item(key.item).item.kind, key.assoc) {
        (ItemKind::Impl(p), i) => p
            .items
            .get(i as usize)
            .is_some_and(|a| matches!(a.kind, AssocKind::Fn(_))),
        (ItemKind::Trait { items, .. }, i) => items
            .get(i as usize)
            .is_some_and(|a| matches!(a.kind, AssocKind::Fn(_))),
        (ItemKind::Fn(_), _) => true,
        _ => false,
    }
}

fn is_inherent(world: &World, key: NodeKey) -> bool {
    matches!(&world.item(key.item).item.kind, ItemKind::Impl(p) if p.trait_.is_none())
}

fn fn_signature(world: &World, key: NodeKey) -> Option<String> {
    let it = world.item(key.item);
    let parts = match (&it.item.kind, key.assoc) {
        (ItemKind::Fn(parts), _) => parts,
        (ItemKind::Impl(p), i) => match &p.items.get(i as usize)?.kind {
            AssocKind::Fn(parts) => parts,
            _ => return None,
        },
        _ => return None,
    };
    let text = world.crates[key.item.krate as usize].index.files[it.file as usize].slice(parts.sig);
    let sig: syn::Signature = syn::parse_str(text).ok()?;
    Some(closure::signature_text(&sig))
}

pub(crate) fn attr_segments(attr: &syn::Attribute) -> Vec<String> {
    path_segments(attr.path())
}

fn parse_error(file: &Path, line: usize, e: syn::Error) -> IndexError {
    IndexError::Parse {
        path: file.to_owned(),
        line,
        column: 1,
        message: e.to_string(),
    }
}

/// The targets of the package at `manifest_dir`, and the root file of its
/// lib (which its other targets see as a dependency).
fn package_targets(
    world: &mut World,
    manifest_dir: &Path,
) -> Result<(Vec<target::Target>, Option<PathBuf>), IndexError> {
    let manifest = world.manifest(manifest_dir)?;
    let targets = target::targets(&manifest);
    let lib_root = targets
        .iter()
        .find(|t| t.kind == TargetKind::Lib)
        .map(|t| t.root.clone());
    Ok((targets, lib_root))
}

/// [`select_crate`] in the rustc run compiling the crate at `site`: the
/// `OUT_DIR`s of the package and of its path dependencies are known (see
/// [`dep_build_output::dep_out_dirs`]), so code their build scripts
/// generate is indexed like the rest of their sources.
pub(crate) fn select_compiled(
    world: &mut World,
    site: &MacroSite,
) -> Result<(CrateId, Option<u32>), IndexError> {
    world.set_out_dir(&site.manifest_dir, site_out_dir());
    let selected = select_crate(world, site)?;
    let Ok(rustc) = RustcDeps::of_process() else {
        return Ok(selected);
    };
    let mut changed = false;
    for (manifest_dir, out_dir) in dep_build_output::dep_out_dirs(world, selected.0, rustc) {
        changed |= world.set_out_dir(&manifest_dir, Some(out_dir));
    }
    if changed {
        select_crate(world, site)
    } else {
        Ok(selected)
    }
}

/// Chooses the target being compiled and loads it. Returns the crate and
/// the id of `site.file` in it, if it is one of its module files.
pub(crate) fn select_crate(
    world: &mut World,
    site: &MacroSite,
) -> Result<(CrateId, Option<u32>), IndexError> {
    let manifest_dir = normalize(&site.manifest_dir);
    let (targets, lib_root) = package_targets(world, &manifest_dir)?;
    let candidates = target::candidates(&targets, &site.crate_name, site.bin_name.as_deref());
    if candidates.is_empty() {
        return Err(IndexError::NoCrateTarget {
            manifest_dir: site.manifest_dir.clone(),
            crate_name: site.crate_name.clone(),
            bin_name: site.bin_name.clone(),
        });
    }
    let file = normalize(&site.file);
    let canonical = std::fs::canonicalize(&site.file).ok();
    let mut first = None;
    for t in candidates {
        let own_lib = lib_root.as_deref().filter(|_| t.kind != TargetKind::Lib);
        let krate = world.load_crate(&manifest_dir, &t.root, &t.crate_name, own_lib)?;
        first.get_or_insert(krate);
        let index = &world.crates[krate as usize].index;
        let found = index.file_id(&file).or_else(|| {
            let canonical = canonical.as_ref()?;
            index
                .files
                .iter()
                .position(|f| std::fs::canonicalize(&f.path).ok().as_ref() == Some(canonical))
                .map(|i| i as u32)
        });
        if let Some(id) = found {
            return Ok((krate, Some(id)));
        }
    }
    Ok((first.expect("candidates is not empty"), None))
}

/// Computes the impl tables of every crate in view of `krate`, and opens
/// its node cache.
pub(crate) fn prepare(world: &mut World, krate: CrateId) {
    for c in world.view(krate) {
        if !world.derived.contains_key(&c) {
            let d = Arc::new(world.derive_tables(c));
            world.derived.insert(c, d);
        }
    }
    if !world.stores.contains_key(&krate) {
        let view = world.view(krate);
        let outline: Vec<(CrateId, OutlineCrate)> = view
            .iter()
            .map(|&c| (c, outline_crate(world, c, &view)))
            .collect();
        let manifest_dir = &world.crates[krate as usize].index.manifest_dir;
        let store = NodeStore::open(&outline, manifest_dir).map(Arc::new);
        world.stores.insert(krate, store);
    }
}

/// Crate `c` of `view` as the node cache's outline sees it.
fn outline_crate<'w>(world: &'w World, c: CrateId, view: &[CrateId]) -> OutlineCrate<'w> {
    let krate = &world.crates[c as usize];
    let deps = krate
        .deps
        .iter()
        .map(|(name, binding)| {
            let to = match binding {
                DepBinding::Crate(id) => match view.iter().position(|v| v == id) {
                    Some(position) => format!("crate {position}"),
                    None => format!("crate outside the view {id}"),
                },
                DepBinding::External(x) => format!("external {x}"),
            };
            (name.clone(), to)
        })
        .collect();
    OutlineCrate {
        name: &krate.name,
        index: &krate.index,
        edition: &krate.manifest.edition,
        deps,
    }
}

/// The innermost module at `line` of `file` (the crate root if unknown).
fn module_at_line(world: &World, krate: CrateId, file: Option<u32>, line: usize) -> ModRef {
    let index = &world.crates[krate as usize].index;
    let module = file
        .and_then(|f| {
            let parsed = &index.files[f as usize];
            let offset = parsed
                .line_starts
                .get(line.saturating_sub(1))
                .copied()
                .unwrap_or(0);
            index.module_at(f, offset)
        })
        .unwrap_or(0);
    ModRef { krate, module }
}

/// The function named `name` in `file` whose span covers `line` (or the
/// nearest one of that name).
fn locate_fn(world: &World, krate: CrateId, file: u32, line: usize, name: &str) -> Option<NodeKey> {
    let index = &world.crates[krate as usize].index;
    let parsed = &index.files[file as usize];
    // Nearest first; among functions covering the line, the innermost (a
    // nested `fn f` inside a `fn f`).
    let mut best: Option<((usize, u32), NodeKey)> = None;
    let mut consider = |key: NodeKey, span: (u32, u32)| {
        let (first, _) = parsed.line_column(span.0);
        let (last, _) = parsed.line_column(span.1);
        let distance = if (first..=last).contains(&line) {
            0
        } else {
            first.abs_diff(line).min(last.abs_diff(line))
        };
        let rank = (distance, span.1 - span.0);
        if best.is_none_or(|(r, _)| rank < r) {
            best = Some((rank, key));
        }
    };
    for (id, it) in index.items.iter().enumerate() {
        if it.file != file {
            continue;
        }
        let item = ItemRef {
            krate,
            item: id as u32,
        };
        match &it.item.kind {
            ItemKind::Fn(_) if it.item.name == name => consider(NodeKey::item(item), it.item.span),
            ItemKind::Impl(parts) => {
                for (i, a) in parts.items.iter().enumerate() {
                    if a.name == name && matches!(a.kind, AssocKind::Fn(_)) {
                        consider(NodeKey::assoc(item, i), a.span);
                    }
                }
            }
            _ => {}
        }
    }
    best.map(|(_, k)| k)
}

pub(crate) fn store(world: &mut World, computed: Vec<(NodeKey, Arc<NodeInfo>)>) {
    world.nodes.extend(computed);
}

/// Runs the closure from `root` and assembles the analysis.
pub(crate) fn finish(
    s: &Session,
    root_key: Option<NodeKey>,
    root: &NodeInfo,
    salt: &[u8],
    manifest_dir: &Path,
    reader: Reader,
) -> (Analysis, Vec<(NodeKey, Arc<NodeInfo>)>) {
    let mut result = closure::closure(s, root_key, root, &s.world.nodes, manifest_dir);
    if let Some(store) = &s.store {
        store.flush();
    }
    let dep_builds = dep_build_output::inputs(s.world, s.root_crate, &result.reached, reader);
    result.externals.extend(dep_builds.externals);
    result.externals.sort();
    result.externals.dedup();
    result.unresolved.extend(dep_builds.unresolved);
    result.unresolved.sort();
    result.build.out_dir |= dep_builds.out_dir;
    let fingerprint = FingerprintInput {
        dependencies: result.dependencies.clone(),
        externals: result.externals.clone(),
        salt: salt.to_vec(),
    }
    .fingerprint();
    let impl_context = root_key.and_then(|k| match &s.world.item(k.item).item.kind {
        ItemKind::Impl(p) => Some(ImplContext {
            self_ty: p.self_ty.text.clone(),
            trait_: p.trait_.as_ref().map(|t| t.text.clone()),
            generic: !p.generics.is_empty(),
        }),
        _ => None,
    });
    let mut tracked_files: Vec<PathBuf> = Vec::new();
    for &c in &s.view {
        let krate = &s.world.crates[c as usize];
        if c != s.root_crate {
            tracked_files.extend(krate.index.files.iter().map(|f| f.path.clone()));
        }
        tracked_files.extend(
            krate
                .extra_files
                .iter()
                .filter(|(p, _)| p.file_name().is_some_and(|n| n == "Cargo.lock"))
                .map(|(p, _)| p.clone()),
        );
    }
    // Another package's manifest may change what the fingerprint says
    // while cargo finds nothing of this crate's build changed.
    tracked_files.extend(result.manifests.iter().cloned());
    tracked_files.sort();
    tracked_files.dedup();
    let analysis = Analysis {
        item_path: root.path.clone(),
        impl_context,
        dependencies: result.dependencies,
        externals: result.externals,
        unresolved: result
            .unresolved
            .into_iter()
            .map(|(path, location, in_root)| Unresolved {
                path,
                location,
                in_root,
            })
            .collect(),
        fingerprint,
        build: result.build,
        tracked_files,
        warnings: dep_builds.warnings,
    };
    (analysis, result.computed)
}

impl Analysis {
    /// The closure as `path hash` lines, for debugging and explanations.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for d in &self.dependencies {
            out.push_str(&format!("{} {}\n", d.hash.short(12), d.path));
        }
        for e in &self.externals {
            out.push_str(&format!("external {e}\n"));
        }
        out
    }
}

#[cfg(test)]
#[path = "analysis_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "node_cache_tests.rs"]
mod node_cache_tests;
