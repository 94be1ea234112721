//! What decides the features of an external crate the closure reaches:
//! cargo builds one copy of `serde_json@1.0.x` per build with the union of
//! the features every package depending on it asks for, and that union
//! changes its code (`preserve_order` changes the key order of every
//! `Value` object). The macro's `cfg!` cannot ask about another package's
//! features, so the index digests what decides them: the `Cargo.lock`
//! packages that depend on the crate, directly or through others (a
//! registry or git package's manifest is fixed by its version and source),
//! and, for the path packages among them (the workspace's members, path
//! dependencies), their `[features]` and dependency declarations. Features
//! asked on cargo's command line for a dependency (`--features
//! serde_json/preserve_order`) are in no manifest: for a direct
//! dependency, the macro reads what the build enabled
//! ([`crate::enabled_features`]).

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cargo::{Lock, Manifest};
use crate::ids::CrateId;
use crate::world::World;

/// `<name>@<version> (features) #<digest>` for each crate among
/// `externals` (`name@version[@source]`, `|`-joined alternatives) that
/// `Cargo.lock` holds; other strings are left alone. The manifests read
/// are added to `packages`' record (see [`PathPackages::read`]).
pub(crate) fn external_features(
    world: &World,
    root_crate: CrateId,
    externals: &BTreeSet<String>,
    packages: &mut PathPackages,
) -> Vec<String> {
    let crates: Vec<(String, String)> = externals
        .iter()
        .flat_map(|external| external.split('|'))
        .filter_map(|alternative| {
            let mut parts = alternative.splitn(3, '@');
            let (name, version) = (parts.next()?, parts.next()?);
            (!name.is_empty() && !name.contains(' ') && !version.contains(' '))
                .then(|| (name.to_owned(), version.to_owned()))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if crates.is_empty() {
        return Vec::new();
    }
    let root_dir = &world.crates[root_crate as usize].manifest.dir;
    let Ok(lock) = Lock::find(root_dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, version) in crates {
        if !lock.contains(&name, &version) {
            continue;
        }
        let mut lines: Vec<String> = lock
            .dependents(&name, &version)
            .into_iter()
            .map(|(package, version, source)| match source {
                Some(source) => format!("{package}@{version}@{source}"),
                None => packages.path_package(&package, &version),
            })
            .collect();
        lines.sort();
        lines.dedup();
        let digest = blake3::hash(lines.join("\n\n").as_bytes()).to_hex();
        out.push(format!("{name}@{version} (features) #{}", &digest[..16]));
    }
    out
}

/// The path packages of a build, read once per closure when first asked:
/// the manifests of the world's crates, of the workspace's members, and of
/// the path dependencies of any of them, transitively (a member's path
/// dependency outside the workspace may ask features too). Records which
/// manifests' declarations a fingerprint took, so that the expansion can
/// make rustc track them.
pub(crate) struct PathPackages<'w> {
    world: &'w World,
    workspace_root: PathBuf,
    all: OnceCell<Vec<Arc<Manifest>>>,
    read: BTreeSet<PathBuf>,
}

impl<'w> PathPackages<'w> {
    pub fn new(world: &'w World, workspace_root: &Path) -> Self {
        PathPackages {
            world,
            workspace_root: workspace_root.to_owned(),
            all: OnceCell::new(),
            read: BTreeSet::new(),
        }
    }

    /// Every path package's manifest.
    pub fn all(&self) -> &[Arc<Manifest>] {
        self.all
            .get_or_init(|| path_manifests(self.world, &self.workspace_root))
    }

    /// The manifest of path package `package` at `version`, if found.
    pub fn find(&self, package: &str, version: &str) -> Option<Arc<Manifest>> {
        self.all()
            .iter()
            .find(|m| m.package == package && m.version.as_deref().is_none_or(|v| v == version))
            .cloned()
    }

    /// Records that a fingerprint took `manifest`'s declarations.
    pub fn note(&mut self, manifest: &Manifest) {
        self.read.insert(manifest.dir.join("Cargo.toml"));
    }

    /// The manifests a fingerprint took declarations from, as
    /// `<dir>/Cargo.toml` (only those that exist: the expansion
    /// `include_bytes!`s them).
    pub fn read(self) -> Vec<PathBuf> {
        self.read.into_iter().filter(|p| p.is_file()).collect()
    }

    /// A path package's lines: its `[features]` and every dependency
    /// declaration (never its path: a key must not depend on the
    /// checkout; nor its version, which asks nothing of the crates it
    /// depends on: bumping it is no reason to recompute).
    pub fn path_package(&mut self, package: &str, version: &str) -> String {
        match self.find(package, version) {
            Some(manifest) => {
                self.note(&manifest);
                format!(
                    "{package} (path)\n{}\n{}",
                    manifest.features_text,
                    manifest.dep_decls.join("\n")
                )
            }
            None => format!("{package}@{version} (path, manifest not found)"),
        }
    }
}

/// The manifests of every package the world has read, of the workspace's
/// members, and of the path dependencies of any of them, transitively.
fn path_manifests(world: &World, workspace_root: &Path) -> Vec<Arc<Manifest>> {
    let mut manifests: Vec<Arc<Manifest>> = Vec::new();
    let add = |manifests: &mut Vec<Arc<Manifest>>, manifest: Arc<Manifest>| {
        if manifests.iter().all(|m| m.dir != manifest.dir) {
            manifests.push(manifest);
        }
    };
    for krate in &world.crates {
        add(&mut manifests, krate.manifest.clone());
    }
    let members = crate::workspace::Workspace::at(workspace_root)
        .map(|ws| ws.members())
        .unwrap_or_default();
    let mut i = 0;
    let mut pending: Vec<PathBuf> = members;
    loop {
        for dir in pending.drain(..) {
            if manifests.iter().all(|m| m.dir != dir)
                && let Ok(manifest) = Manifest::load_shared(&dir)
            {
                add(&mut manifests, manifest);
            }
        }
        let Some(manifest) = manifests.get(i) else {
            break;
        };
        pending.extend(
            manifest
                .deps
                .iter()
                .filter_map(|d| d.path.as_deref())
                .map(crate::lexical_path::normalize),
        );
        i += 1;
    }
    manifests
}
