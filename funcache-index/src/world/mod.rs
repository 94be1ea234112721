//! The process-wide index: every crate seen, its path dependencies, parsed
//! files and computed closure nodes, kept across macro expansions.
//!
//! A proc macro is loaded once per rustc process (and once per
//! rust-analyzer session, across edits), so the crate is indexed on the
//! first expansion and reused by later ones. Everything here is plain data
//! (`Send`): proc_macro2 values are `!Send` and are only ever created
//! inside one call. Each call revalidates the files it relies on by length
//! and modification time; any change drops the crates and nodes (files that
//! did not change keep their parse).
//!
//! What the world answers is in its submodules: name resolution
//! (`resolve`), the impl and method tables (`impl_tables`), and which
//! attribute is funcache's (`cache_attr`).

mod cache_attr;
mod impl_tables;
mod resolve;

pub(crate) use resolve::{Ns, path_text};

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::cargo::{Lock, Locked, Manifest};
use crate::ids::{CrateId, ModRef, NodeKey};
use crate::impl_table::Derived;
use crate::module_tree::{CrateIndex, ParsedFile, Stamp};
use crate::node::NodeInfo;
use crate::node_store::NodeStore;
use crate::{Digest, IndexError};

use crate::package_sources::FUNCACHE_PACKAGES;

/// How a crate sees one of its dependencies.
#[derive(Clone, Debug)]
pub(crate) enum DepBinding {
    /// A path dependency (or the package's own lib), indexed.
    Crate(CrateId),
    /// A registry/git dependency: `name@version`.
    External(String),
}

/// One indexed crate.
pub(crate) struct Krate {
    pub index: CrateIndex,
    /// The crate name other crates use for it (its lib name).
    pub name: String,
    pub manifest: Arc<Manifest>,
    /// Dependencies by the name code uses.
    pub deps: HashMap<String, DepBinding>,
    /// Other files whose edits matter (Cargo.toml, Cargo.lock).
    pub extra_files: Vec<(PathBuf, Option<Stamp>)>,
}

/// `dir/Cargo.toml` and the (possible) `Cargo.toml` of each directory
/// above it: a workspace's, whose `[workspace.package]` a member may
/// inherit from.
fn manifest_paths(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors().map(|d| d.join("Cargo.toml")).collect()
}

/// All crates and caches.
#[derive(Default)]
pub(crate) struct World {
    pub crates: Vec<Krate>,
    by_root: HashMap<PathBuf, CrateId>,
    files: HashMap<PathBuf, Arc<ParsedFile>>,
    manifests: HashMap<PathBuf, (Vec<Option<Stamp>>, Arc<Manifest>)>,
    pub derived: HashMap<CrateId, Arc<Derived>>,
    pub nodes: HashMap<NodeKey, Arc<NodeInfo>>,
    /// The use-scope digest of each module (see [`crate::use_scope`]),
    /// computed when first asked: a function of the crates alone, so one
    /// for every cached function of the rustc run.
    pub scopes: RefCell<HashMap<ModRef, Option<Digest>>>,
    /// The on-disk node cache of each root crate analysed (`None`: off).
    pub stores: HashMap<CrateId, Option<Arc<NodeStore>>>,
    /// `OUT_DIR` of the package being compiled, by its manifest directory:
    /// only the rustc run of that package knows it (a path dependency's
    /// build script has another one, which the macro cannot see).
    out_dirs: HashMap<PathBuf, PathBuf>,
}

static WORLD: OnceLock<Mutex<World>> = OnceLock::new();

/// Locks the process-wide world. A panic while it was held leaves it in an
/// unknown state, so a poisoned world is replaced by an empty one.
pub(crate) fn world() -> MutexGuard<'static, World> {
    let mutex = WORLD.get_or_init(|| Mutex::new(World::default()));
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            let mut guard = poisoned.into_inner();
            *guard = World::default();
            mutex.clear_poison();
            guard
        }
    }
}

impl World {
    /// The crate rooted at `root` of the package in `manifest_dir`, built (with
    /// its path dependencies) if needed. `own_lib` is the package's lib
    /// root when `root` is another target of a package that has one.
    pub fn load_crate(
        &mut self,
        manifest_dir: &Path,
        root: &Path,
        name: &str,
        own_lib: Option<&Path>,
    ) -> Result<CrateId, IndexError> {
        if let Some(&id) = self.by_root.get(root) {
            return Ok(id);
        }
        let manifest = self.manifest(manifest_dir)?;
        let index = {
            let files = &mut self.files;
            let dirs = crate::includes::IncludeDirs {
                manifest: manifest_dir,
                out: self.out_dirs.get(manifest_dir).map(PathBuf::as_path),
            };
            CrateIndex::build(root, dirs, &mut |path: &Path| {
                let stamp = Stamp::of(path);
                if let Some(cached) = files.get(path)
                    && Some(cached.stamp) == stamp
                {
                    return Ok(cached.clone());
                }
                let parsed = Arc::new(ParsedFile::read(path)?);
                files.insert(path.to_owned(), parsed.clone());
                Ok(parsed)
            })?
        };
        let id = self.crates.len() as CrateId;
        let lock = Lock::find(manifest_dir)?;
        let mut extra_files: Vec<(PathBuf, Option<Stamp>)> = manifest_paths(manifest_dir)
            .into_iter()
            .map(|path| {
                let stamp = Stamp::of(&path);
                (path, stamp)
            })
            .collect();
        if let Some(lock_path) = &lock.path {
            extra_files.push((lock_path.clone(), Stamp::of(lock_path)));
        }
        self.by_root.insert(root.to_owned(), id);
        self.crates.push(Krate {
            index,
            name: name.to_owned(),
            manifest: manifest.clone(),
            deps: HashMap::new(),
            extra_files,
        });
        let patches = crate::cargo::patched_paths(&crate::workspace::workspace_root(manifest_dir));
        let mut deps = HashMap::new();
        if let Some(lib_root) = own_lib.filter(|l| *l != root) {
            let lib_name = manifest.lib_crate_name();
            let lib = self.load_crate(manifest_dir, lib_root, &lib_name, None)?;
            deps.insert(lib_name, DepBinding::Crate(lib));
        }
        for dep in &manifest.deps {
            // Cargo names a dependency that is not renamed after its lib
            // target (`[lib] name = "dee"` in package `d`: code says `dee`).
            let mut code_name = dep.code_name.clone();
            let binding = match &dep.path {
                Some(dir) if !FUNCACHE_PACKAGES.contains(&dep.package.as_str()) => {
                    match self.load_path_dep(dir) {
                        Ok(Some(dep_id)) => {
                            if !dep.renamed {
                                code_name = self.crates[dep_id as usize].name.clone();
                            }
                            DepBinding::Crate(dep_id)
                        }
                        // A path dependency without a lib (or unreadable)
                        // cannot be named from code; record it as external.
                        Ok(None) | Err(_) => DepBinding::External(external_identity(
                            lock.external(
                                &manifest.package,
                                manifest.version.as_deref(),
                                &dep.package,
                                None,
                            ),
                            &patches,
                        )),
                    }
                }
                _ => DepBinding::External(external_identity(
                    lock.external(
                        &manifest.package,
                        manifest.version.as_deref(),
                        &dep.package,
                        dep.req.as_deref(),
                    ),
                    &patches,
                )),
            };
            deps.insert(code_name, binding);
        }
        self.crates[id as usize].deps = deps;
        Ok(id)
    }

    fn load_path_dep(&mut self, dir: &Path) -> Result<Option<CrateId>, IndexError> {
        let dir = normalize(dir);
        let manifest = self.manifest(&dir)?;
        let Some(lib) = crate::target::targets(&manifest)
            .into_iter()
            .find(|t| t.kind == crate::target::TargetKind::Lib)
        else {
            return Ok(None);
        };
        self.load_crate(&dir, &lib.root, &lib.crate_name, None)
            .map(Some)
    }

    /// The manifest of `dir`, cached by its stamp and those of the
    /// workspace manifests above it (`edition.workspace = true` and other
    /// inherited `[package]` keys).
    pub fn manifest(&mut self, dir: &Path) -> Result<Arc<Manifest>, IndexError> {
        let stamp: Vec<Option<Stamp>> = manifest_paths(dir).iter().map(|p| Stamp::of(p)).collect();
        if let Some((cached_stamp, manifest)) = self.manifests.get(dir)
            && *cached_stamp == stamp
        {
            return Ok(manifest.clone());
        }
        let manifest = Arc::new(Manifest::load(dir)?);
        self.manifests
            .insert(dir.to_owned(), (stamp, manifest.clone()));
        Ok(manifest)
    }

    /// Records the `OUT_DIR` of the package at `manifest_dir` (the rustc run
    /// compiling it has it in its environment; a path dependency's is
    /// found in the target directory). A different one than before drops
    /// every crate, as an edit would, and returns true.
    pub fn set_out_dir(&mut self, manifest_dir: &Path, out_dir: Option<PathBuf>) -> bool {
        let manifest_dir = normalize(manifest_dir);
        if self.out_dirs.get(&manifest_dir) == out_dir.as_ref() {
            return false;
        }
        match out_dir {
            Some(dir) => self.out_dirs.insert(manifest_dir, dir),
            None => self.out_dirs.remove(&manifest_dir),
        };
        self.drop_crates();
        true
    }

    /// Drops every crate and node if any file they were built from changed
    /// (parsed files stay cached by stamp, so only edited files are re-read).
    pub fn revalidate(&mut self) {
        let stale = self.crates.iter().any(|k| {
            k.index
                .files
                .iter()
                .any(|f| Stamp::of(&f.path) != Some(f.stamp))
                || k.index.missing.iter().any(|p| p.exists())
                || k.extra_files.iter().any(|(p, s)| Stamp::of(p) != *s)
        });
        if stale {
            self.drop_crates();
        }
    }

    /// Drops every crate and node, so that the next analysis computes
    /// them again (or reads them from the node cache); for its tests.
    #[cfg(test)]
    pub fn forget(&mut self) {
        self.drop_crates();
    }

    fn drop_crates(&mut self) {
        self.crates.clear();
        self.by_root.clear();
        self.derived.clear();
        self.nodes.clear();
        self.scopes.get_mut().clear();
        self.stores.clear();
    }

    /// The crate and every crate it depends on, transitively.
    pub fn view(&self, root: CrateId) -> Vec<CrateId> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            for dep in self.crates[out[i] as usize].deps.values() {
                if let DepBinding::Crate(id) = dep
                    && !out.contains(id)
                {
                    out.push(*id);
                }
            }
            i += 1;
        }
        out
    }
}

/// What an external crate contributes to a fingerprint: `name@version`
/// (`@source` outside crates.io), or for a package `[patch]`ed or
/// `[replace]`d with a local directory, `name@version@path#<digest>` of
/// that directory's sources and path dependencies (not its location).
fn external_identity(locked: Locked, patches: &BTreeMap<String, PathBuf>) -> String {
    match locked {
        Locked::Remote(identity) => identity,
        Locked::Path { package, version } => {
            match patches
                .get(&package)
                .and_then(|dir| crate::package_sources::sources_with_path_deps(dir))
            {
                Some((digest, _)) => format!("{package}@{version}@path#{digest}"),
                // A path package this reader cannot find (funcache itself
                // in a fixture): its version is what is known.
                None => format!("{package}@{version}"),
            }
        }
    }
}

pub(crate) use crate::lexical_path::normalize;
