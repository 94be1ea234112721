//! Build inputs that other packages' manifests and sources decide, known to
//! the index but not to `cfg!`/`option_env!` where the cached function is
//! compiled: a path dependency's `CARGO_PKG_*` values and location, the
//! sources of a proc-macro crate whose derive or attribute a closure item
//! uses, the features the workspace's manifests ask of path dependencies,
//! the workspace's `[profile.*]` tables, and the edition of each crate
//! whose code the closure reaches. Each becomes one string among
//! a fingerprint's externals (`<what> #<digest>` or `<what>=<value>`), so
//! `explain` can name it.

use std::path::Path;
use std::sync::Arc;

use proc_macro2::{TokenStream, TokenTree};

use crate::cargo::{Lock, Manifest};
use crate::dep_features::PathPackages;

use crate::cfg_text::FILE_MACRO;
use crate::ids::{CrateId, NodeKey};
use crate::shallow::{Attr, ItemKind};
use crate::std_names::STD_DERIVES;
use crate::world::{DepBinding, World};

/// Attributes the compiler or a tool implements (first path segment).
const BUILTIN_ATTRIBUTES: &[&str] = &[
    "allow",
    "automatically_derived",
    "bench",
    "cfg",
    "cfg_attr",
    "clippy",
    "cold",
    "deny",
    "deprecated",
    "derive",
    "diagnostic",
    "doc",
    "expect",
    "export_name",
    "forbid",
    "funcache",
    "global_allocator",
    "ignore",
    "inline",
    "link",
    "link_name",
    "link_section",
    "macro_export",
    "macro_use",
    "must_use",
    "naked",
    "no_mangle",
    "non_exhaustive",
    "path",
    "proc_macro",
    "proc_macro_attribute",
    "proc_macro_derive",
    "repr",
    "rustfmt",
    "should_panic",
    "target_feature",
    "test",
    "track_caller",
    "unsafe",
    "used",
    "warn",
];

fn digest_text(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..16].to_owned()
}

/// `<package> [package] #<digest>`: what every `CARGO_PKG_*` (and
/// `CARGO_CRATE_NAME`) of another package read by the closure is a
/// function of. The macro's `option_env!` would give the compiling
/// package's values, which are not that package's.
pub(crate) fn package_metadata(world: &World, krate: CrateId) -> String {
    let manifest = &world.crates[krate as usize].manifest;
    format!(
        "{} [package] #{}",
        manifest.package,
        digest_text(&manifest.package_text)
    )
}

/// `<package> edition=<edition>` for a crate whose code the closure
/// reaches, its own crate's included: the same text compiles to other code
/// under another edition (`[1, 2].into_iter()` yields values from 2021 on,
/// references before), and neither `cfg!` nor `option_env!` tells it.
pub(crate) fn edition(world: &World, krate: CrateId) -> String {
    let manifest = &world.crates[krate as usize].manifest;
    format!("{} edition={}", manifest.package, manifest.edition)
}

/// `<package> <VARIABLE>=<value>` for a path-valued variable of another
/// package (`CARGO_MANIFEST_DIR`, `CARGO_MANIFEST_PATH`), whose value the
/// index knows; `None` for one it does not.
pub(crate) fn package_path(world: &World, krate: CrateId, variable: &str) -> Option<String> {
    let manifest = &world.crates[krate as usize].manifest;
    let value = match variable {
        "CARGO_MANIFEST_DIR" => manifest.dir.clone(),
        "CARGO_MANIFEST_PATH" => manifest.dir.join("Cargo.toml"),
        _ => return None,
    };
    Some(format!(
        "{} {variable}={}",
        manifest.package,
        value.display()
    ))
}

/// `file!()=<path>` for a `file!()` in the item of `key`: the path rustc
/// gives, relative to the workspace root when the file is under it, else
/// absolute (a path dependency outside the workspace).
pub(crate) fn file_macro(world: &World, key: NodeKey, workspace_root: &Path) -> String {
    let index = &world.crates[key.item.krate as usize].index;
    let file = &index.files[world.item(key.item).file as usize].path;
    let shown = file.strip_prefix(workspace_root).unwrap_or(file);
    format!("{FILE_MACRO}={}", shown.display())
}

/// `<crate> (proc-macro) #<digest>` for each path-dependency proc-macro
/// crate whose derive or attribute the item of `key` (or its impl member)
/// uses: the code it generates is a function of that crate's sources. A
/// macro named by one segment (imported with `use`) may be any of the
/// crate's proc-macro path dependencies; all of them count.
pub(crate) fn proc_macro_sources(world: &World, key: NodeKey) -> Vec<String> {
    let krate = key.item.krate;
    let it = world.item(key.item);
    let index = &world.crates[krate as usize].index;
    let text = |attr: &Attr| {
        attr.args
            .map(|range| index.files[it.file as usize].slice(range).to_owned())
    };
    let mut attrs: Vec<&Attr> = it.item.attrs.iter().collect();
    if key.assoc != NodeKey::WHOLE
        && let ItemKind::Impl(parts) = &it.item.kind
        && let Some(member) = parts.items.get(key.assoc as usize)
    {
        attrs.extend(member.attrs.iter());
    }
    let mut macro_paths: Vec<Vec<String>> = Vec::new();
    for attr in attrs {
        if attr.path == ["derive"] {
            let Some(args) = text(attr).and_then(|t| t.parse::<TokenStream>().ok()) else {
                continue;
            };
            macro_paths.extend(
                derive_paths(args)
                    .into_iter()
                    .filter(|p| !(p.len() == 1 && STD_DERIVES.contains(&p[0].as_str()))),
            );
        } else if let Some(first) = attr.path.first()
            && !BUILTIN_ATTRIBUTES.contains(&first.as_str())
        {
            macro_paths.push(attr.path.clone());
        }
    }
    if macro_paths.is_empty() {
        return Vec::new();
    }
    let deps = &world.crates[krate as usize].deps;
    let mut found: Vec<CrateId> = Vec::new();
    for path in &macro_paths {
        let candidates: Vec<&DepBinding> = match path.as_slice() {
            [first, _, ..] => deps
                .get(first.trim_start_matches("::"))
                .into_iter()
                .collect(),
            _ => deps.values().collect(),
        };
        for binding in candidates {
            if let DepBinding::Crate(id) = binding
                && world.crates[*id as usize].manifest.proc_macro
                && !found.contains(id)
            {
                found.push(*id);
            }
        }
    }
    found
        .into_iter()
        .filter_map(|id| {
            let manifest = &world.crates[id as usize].manifest;
            let (digest, _) = crate::package_sources::sources_with_path_deps(&manifest.dir)?;
            Some(format!("{} (proc-macro) #{digest}", manifest.package))
        })
        .collect()
}

/// The paths of a `derive(..)` argument list.
fn derive_paths(args: TokenStream) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for tree in args {
        match tree {
            TokenTree::Ident(ident) => current.push(ident.to_string()),
            TokenTree::Punct(p) if p.as_char() == ',' => {
                out.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            }
            _ => {}
        }
    }
    out.extend((!current.is_empty()).then_some(current));
    out
}

/// `<cargo features> #<digest>` of what the manifests that decide the
/// features of `view`'s path packages ask of their dependencies
/// (`features`, `default-features`, `optional`) and their own `[features]`
/// tables: a path dependency's `cfg(feature = ..)` is decided by them, and
/// `cfg!` where the cached function is compiled cannot tell it. Those
/// manifests are `view`'s own and, as for a registry crate (see
/// [`crate::dep_features`]), those of every path package that depends on a
/// path package of `view` outside the root crate's package, directly or
/// through others (`Cargo.lock`'s reverse dependencies): cargo unifies the
/// features the workspace's members ask, so a sibling member asking
/// `features = ["fast"]` rebuilds the dependency with them. Without a lock
/// entry, every path package counts. Features passed on cargo's command
/// line to a dependency (`--features dep/x`), and the narrower union of a
/// build of some members only (`-p`), are not seen.
pub(crate) fn features(
    world: &World,
    view: &[CrateId],
    root_crate: CrateId,
    packages: &mut PathPackages,
) -> String {
    let root_dir = &world.crates[root_crate as usize].manifest.dir;
    let mut manifests: Vec<Arc<Manifest>> = view
        .iter()
        .map(|&c| world.crates[c as usize].manifest.clone())
        .collect();
    let foreign: Vec<Arc<Manifest>> = manifests
        .iter()
        .filter(|m| m.dir != *root_dir)
        .cloned()
        .collect();
    if !foreign.is_empty() {
        let lock = Lock::find(root_dir).unwrap_or_default();
        for package in foreign {
            let version = package.version.as_deref().unwrap_or("0.0.0");
            if !lock.contains(&package.package, version) {
                manifests.extend(packages.all().iter().cloned());
                continue;
            }
            for (name, version, source) in lock.dependents(&package.package, version) {
                if source.is_none()
                    && let Some(manifest) = packages.find(&name, &version)
                {
                    manifests.push(manifest);
                }
            }
        }
    }
    let mut parts: Vec<String> = Vec::new();
    for manifest in &manifests {
        packages.note(manifest);
        let mut decls: Vec<String> = manifest
            .deps
            .iter()
            .map(|d| format!("{}: {}", d.package, d.build_decl))
            .collect();
        decls.sort();
        parts.push(format!(
            "{}\n{}\n{}",
            manifest.package,
            manifest.features_text,
            decls.join("\n")
        ));
    }
    parts.sort();
    parts.dedup();
    format!("<cargo features> #{}", digest_text(&parts.join("\n\n")))
}

/// `<[profile] tables> #<digest>` of the workspace's `[profile.*]` tables,
/// when it has any.
pub(crate) fn profile(workspace_root: &Path) -> Option<String> {
    crate::cargo::profile_digest(workspace_root)
        .map(|digest| format!("{} #{digest}", crate::cargo::PROFILE_INPUT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_lists_split_into_paths() {
        let args: TokenStream = "Debug, pm::Weight, ::other::Thing".parse().unwrap();
        assert_eq!(
            derive_paths(args),
            [
                vec!["Debug".to_owned()],
                vec!["pm".to_owned(), "Weight".to_owned()],
                vec!["other".to_owned(), "Thing".to_owned()],
            ]
        );
    }
}
