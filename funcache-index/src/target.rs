//! Crate-root discovery the way cargo does it: explicit target tables first,
//! then the auto-discovery conventions.

use std::path::{Path, PathBuf};

use crate::cargo::{Manifest, TargetDecl};

/// The kind of a cargo target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Lib,
    Bin,
    Example,
    Test,
    Bench,
}

/// One compilable target of a package.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub kind: TargetKind,
    /// The target name as cargo knows it (`CARGO_BIN_NAME` for bins).
    pub name: String,
    /// `CARGO_CRATE_NAME`: the name with `-` turned into `_`.
    pub crate_name: String,
    /// The crate root file, absolute.
    pub root: PathBuf,
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// `dir/*.rs` (name = stem) and `dir/*/main.rs` (name = directory name).
fn discover(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for path in sorted_entries(dir) {
        if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                out.push((stem.to_owned(), path));
            }
        } else if path.is_dir()
            && path.join("main.rs").is_file()
            && let Some(name) = path.file_name().and_then(|s| s.to_str())
        {
            out.push((name.to_owned(), path.join("main.rs")));
        }
    }
    out
}

/// All targets of the package, in cargo's order (lib, bins, examples,
/// tests, benches).
pub(crate) fn targets(manifest: &Manifest) -> Vec<Target> {
    let dir = &manifest.dir;
    let auto = |key: &str| manifest.auto.get(key).copied().unwrap_or(true);
    let mut out = Vec::new();
    let mut push = |kind, name: String, root: PathBuf| {
        let crate_name = name.replace('-', "_");
        out.push(Target {
            kind,
            name,
            crate_name,
            root,
        });
    };
    // Library.
    let lib_path = match &manifest.lib {
        Some(TargetDecl { path: Some(p), .. }) => Some(dir.join(p)),
        _ if auto("autolib") || manifest.lib.is_some() => {
            Some(dir.join("src/lib.rs")).filter(|p| p.is_file())
        }
        _ => None,
    };
    if let Some(path) = lib_path {
        push(TargetKind::Lib, manifest.lib_crate_name(), path);
    }
    // Binaries, examples, tests, benches: explicit, then discovered.
    let groups: [(TargetKind, &Vec<TargetDecl>, &str, &str); 4] = [
        (TargetKind::Bin, &manifest.bins, "src/bin", "autobins"),
        (
            TargetKind::Example,
            &manifest.examples,
            "examples",
            "autoexamples",
        ),
        (TargetKind::Test, &manifest.tests, "tests", "autotests"),
        (
            TargetKind::Bench,
            &manifest.benches,
            "benches",
            "autobenches",
        ),
    ];
    for (kind, decls, auto_dir, auto_key) in groups {
        let mut found: Vec<(String, PathBuf)> = Vec::new();
        if kind == TargetKind::Bin && auto(auto_key) && dir.join("src/main.rs").is_file() {
            found.push((manifest.package.clone(), dir.join("src/main.rs")));
        }
        let discovered = if auto(auto_key) {
            discover(&dir.join(auto_dir))
        } else {
            Vec::new()
        };
        for decl in decls {
            let Some(name) = decl.name.clone().or_else(|| {
                decl.path
                    .as_ref()
                    .and_then(|p| Path::new(p).file_stem())
                    .and_then(|s| s.to_str())
                    .map(str::to_owned)
            }) else {
                continue;
            };
            let path = match &decl.path {
                Some(p) => dir.join(p),
                None => {
                    if kind == TargetKind::Bin
                        && name == manifest.package
                        && dir.join("src/main.rs").is_file()
                    {
                        dir.join("src/main.rs")
                    } else {
                        let single = dir.join(auto_dir).join(format!("{name}.rs"));
                        if single.is_file() {
                            single
                        } else {
                            dir.join(auto_dir).join(&name).join("main.rs")
                        }
                    }
                }
            };
            found.retain(|(n, _)| *n != name);
            found.push((name, path));
        }
        for (name, path) in discovered {
            if !found.iter().any(|(n, p)| *n == name || *p == path) {
                found.push((name, path));
            }
        }
        for (name, path) in found {
            push(kind, name, path);
        }
    }
    out
}

/// The targets that can be the crate `crate_name` (binary `bin_name`).
pub(crate) fn candidates<'a>(
    all: &'a [Target],
    crate_name: &str,
    bin_name: Option<&str>,
) -> Vec<&'a Target> {
    let mut found: Vec<&Target> = all
        .iter()
        .filter(|t| t.crate_name == crate_name)
        .filter(|t| match bin_name {
            Some(bin) => matches!(t.kind, TargetKind::Bin | TargetKind::Example) && t.name == bin,
            None => !matches!(t.kind, TargetKind::Bin),
        })
        .collect();
    if found.is_empty() {
        // Environment variables may be missing (e.g. a CLI run): be lenient.
        found = all.iter().filter(|t| t.crate_name == crate_name).collect();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_like_cargo() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "src/lib.rs",
            "src/main.rs",
            "src/bin/extra.rs",
            "src/bin/multi/main.rs",
            "src/bin/multi/helper.rs",
            "examples/demo.rs",
            "tests/it.rs",
            "benches/speed.rs",
            "custom/tool.rs",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), "").unwrap();
        }
        std::fs::write(
            d.join("Cargo.toml"),
            "[package]\nname = \"my-pkg\"\nversion = \"0.1.0\"\n[[bin]]\nname = \"tool\"\npath = \"custom/tool.rs\"\n",
        )
        .unwrap();
        let m = Manifest::load(d).unwrap();
        let all = targets(&m);
        let show: Vec<String> = all
            .iter()
            .map(|t| {
                format!(
                    "{:?}:{}:{}",
                    t.kind,
                    t.name,
                    t.root.strip_prefix(d).unwrap().display()
                )
            })
            .collect();
        assert_eq!(
            show,
            [
                "Lib:my_pkg:src/lib.rs",
                "Bin:my-pkg:src/main.rs",
                "Bin:tool:custom/tool.rs",
                "Bin:extra:src/bin/extra.rs",
                "Bin:multi:src/bin/multi/main.rs",
                "Example:demo:examples/demo.rs",
                "Test:it:tests/it.rs",
                "Bench:speed:benches/speed.rs",
            ]
        );
        let lib = candidates(&all, "my_pkg", None);
        assert_eq!(lib.len(), 1);
        assert_eq!(lib[0].kind, TargetKind::Lib);
        let bin = candidates(&all, "my_pkg", Some("my-pkg"));
        assert_eq!(bin[0].kind, TargetKind::Bin);
    }
}
