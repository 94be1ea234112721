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
//! serde_json/preserve_order`) are not seen.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use crate::cargo::{Lock, Manifest};
use crate::ids::CrateId;
use crate::world::World;

/// `<name>@<version> (features) #<digest>` for each crate among
/// `externals` (`name@version[@source]`, `|`-joined alternatives) that
/// `Cargo.lock` holds; other strings are left alone.
pub(crate) fn external_features(
    world: &World,
    root_crate: CrateId,
    externals: &BTreeSet<String>,
    workspace_root: &Path,
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
    let manifests = path_manifests(world, workspace_root);
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
                None => path_package(&manifests, &package, &version),
            })
            .collect();
        lines.sort();
        lines.dedup();
        let digest = blake3::hash(lines.join("\n\n").as_bytes()).to_hex();
        out.push(format!("{name}@{version} (features) #{}", &digest[..16]));
    }
    out
}

/// A path package's lines: its `[features]` and every dependency
/// declaration (never its path: a key must not depend on the checkout).
fn path_package(manifests: &[Arc<Manifest>], package: &str, version: &str) -> String {
    match manifests
        .iter()
        .find(|m| m.package == package && m.version.as_deref().is_none_or(|v| v == version))
    {
        Some(manifest) => format!(
            "{package}@{version} (path)\n{}\n{}",
            manifest.features_text,
            manifest.dep_decls.join("\n")
        ),
        None => format!("{package}@{version} (path, manifest not found)"),
    }
}

/// The manifests of the workspace's members and of every package the
/// world has read (path dependencies outside the workspace included).
fn path_manifests(world: &World, workspace_root: &Path) -> Vec<Arc<Manifest>> {
    let mut manifests: Vec<Arc<Manifest>> =
        world.crates.iter().map(|k| k.manifest.clone()).collect();
    let members = crate::workspace::Workspace::at(workspace_root)
        .map(|ws| ws.members())
        .unwrap_or_default();
    for dir in members {
        if manifests.iter().all(|m| m.dir != dir)
            && let Ok(manifest) = Manifest::load(&dir)
        {
            manifests.push(Arc::new(manifest));
        }
    }
    manifests
}
