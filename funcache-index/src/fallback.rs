//! The fingerprint of a cached function the index cannot analyze (a crate
//! layout it does not understand, a doctest, syntax its scanner rejects):
//! the function's own tokens, where it is written, and a digest of the
//! files the crate's compilation reads: every `.rs` file of its package
//! and its path dependencies, the files they include or load as modules
//! (outside the package too), and every file its build script wrote to
//! `OUT_DIR`; with the value of every `cfg` predicate and compile-time
//! environment variable those files read. Any edit of these then
//! invalidates: coarse, but it never serves a stale result, short of files
//! read by paths the source does not spell out (a computed include path,
//! a file another crate's proc macro reads, a path dependency's build
//! script output).
//!
//! It lives here rather than in the macro so that every reader of
//! fingerprints (the macro, the CLI) computes it the same way.

use std::path::{Path, PathBuf};

use crate::package_sources::{cargo_files_digest, out_dir_digest, sources_with_path_deps};
use crate::{BuildInputs, Dependency, Digest, FingerprintInput};

/// The dependency path under which the call site is recorded.
pub const FALLBACK_CALL_SITE: &str = "<call site>";
/// The dependency path under which the package's sources (its path
/// dependencies' and the files they include too) are recorded.
pub const FALLBACK_PACKAGE_SOURCES: &str = "<all package sources>";
/// The dependency path under which `Cargo.lock` and the manifests of the
/// package, its workspace and its path dependencies are recorded.
pub const FALLBACK_CARGO_FILES: &str = "<Cargo.lock and manifests>";
/// The dependency path under which the files the package's build script
/// wrote to `OUT_DIR` are recorded.
pub const FALLBACK_OUT_DIR: &str = "<build script output (OUT_DIR)>";
/// The dependency path under which the sources of another package are
/// recorded, when its macro wrote the function (the site is in it).
pub const FALLBACK_MACRO_PACKAGE_SOURCES: &str = "<all sources of the macro's package>";

/// Where a function the index could not analyze is written.
#[derive(Debug, Clone, Copy)]
pub struct FallbackSite<'a> {
    /// The package's manifest directory (`CARGO_MANIFEST_DIR`).
    pub manifest_dir: &'a Path,
    /// The file the function is in, absolute, when known.
    pub file: Option<&'a Path>,
    /// Its 1-based line (with `file`).
    pub line: usize,
    /// The `OUT_DIR` of the crate being compiled (its build script's
    /// output), when it has one.
    pub out_dir: Option<&'a Path>,
    /// How many expansions of the same function at the same site came
    /// before this one in this compilation (a `macro_rules!` that writes
    /// the function, invoked several times). Expansion order is fixed by
    /// the source, which the fingerprint covers, so it tells expansions
    /// apart even where `line!()`/`column!()` cannot (two inside one outer
    /// invocation).
    pub expansion: usize,
}

/// A fallback fingerprint and what it was computed from.
#[derive(Debug, Clone)]
pub struct Fallback {
    /// `crate::<name>` with the function's canonical hash, then the call
    /// site and the package sources when they could be read.
    pub dependencies: Vec<Dependency>,
    /// The `cfg` predicates and environment variables the package's files
    /// read, for the build to evaluate.
    pub build: BuildInputs,
    /// The fingerprint of `dependencies` and the salt.
    pub fingerprint: Digest,
}

/// The fallback fingerprint of function `name` whose own canonical hash is
/// `own_hash`, written at `site` (when the macro knows it), with `salt`
/// (the `version` option).
pub fn fallback_fingerprint(
    name: &str,
    own_hash: Digest,
    site: Option<FallbackSite<'_>>,
    salt: &[u8],
) -> Fallback {
    let mut dependencies = vec![Dependency {
        path: format!("crate::{name}"),
        hash: own_hash,
    }];
    let mut build = BuildInputs {
        cfgs: vec![crate::build_inputs::PROFILE_CFG.to_owned()],
        ..BuildInputs::default()
    };
    if let Some(site) = site {
        // Where it is written: two nested functions with the same tokens in
        // two enclosing functions get one fallback id, never one fingerprint.
        // A site outside the package is another package's macro writing
        // the function: what it writes beside it (a `const` the function
        // reads) is in that package's sources, which this digest covers.
        let foreign = site
            .file
            .filter(|file| !file.starts_with(site.manifest_dir))
            .and_then(package_dir_of);
        if let Some(dir) = &foreign
            && let Some((digest, inputs)) = sources_with_path_deps(dir)
        {
            dependencies.push(Dependency {
                path: FALLBACK_MACRO_PACKAGE_SOURCES.to_owned(),
                hash: digest,
            });
            merge(&mut build, inputs);
        }
        if let Some(file) = site.file {
            // Relative: a cache directory copied to another machine still hits.
            let base = foreign.as_deref().unwrap_or(site.manifest_dir);
            let file = file.strip_prefix(base).unwrap_or(file);
            let mut text = format!("{}:{}", file.display(), site.line);
            if site.expansion > 0 {
                text.push_str(&format!("#{}", site.expansion));
            }
            dependencies.push(Dependency {
                path: FALLBACK_CALL_SITE.to_owned(),
                hash: blake3::hash(text.as_bytes()).into(),
            });
        }
        // The package's path dependencies (recursively) and the files its
        // sources include count as its sources.
        if let Some((digest, inputs)) = sources_with_path_deps(site.manifest_dir) {
            dependencies.push(Dependency {
                path: FALLBACK_PACKAGE_SOURCES.to_owned(),
                hash: digest,
            });
            merge(&mut build, inputs);
        }
        // Code and data the build script generated: the crate may include
        // any of it (also by paths no reader can evaluate) or link it, so
        // all of it counts, by name and contents.
        if let Some(digest) = site
            .out_dir
            .and_then(|out| out_dir_digest(out, site.manifest_dir))
        {
            dependencies.push(Dependency {
                path: FALLBACK_OUT_DIR.to_owned(),
                hash: digest,
            });
        }
        // What cargo decides from: dependency versions and sources (a
        // version bump of a path or registry dependency), and the features
        // the manifests declare and ask of dependencies. The package's own
        // features are build answers: `--features x` changes no file.
        if let Some(digest) = cargo_files_digest(site.manifest_dir) {
            dependencies.push(Dependency {
                path: FALLBACK_CARGO_FILES.to_owned(),
                hash: digest,
            });
        }
        if let Ok(manifest) = crate::cargo::Manifest::load(site.manifest_dir) {
            let features = manifest.features.iter();
            build
                .cfgs
                .extend(features.map(|name| format!("feature = \"{name}\"")));
            build.cfgs.sort();
            build.cfgs.dedup();
        }
        let root = crate::workspace::workspace_root(site.manifest_dir);
        if let Some(profile) = crate::cargo::profile_digest(&root) {
            dependencies.push(Dependency {
                path: crate::cargo::PROFILE_INPUT.to_owned(),
                hash: profile,
            });
        }
    }
    let input = FingerprintInput {
        dependencies: dependencies.clone(),
        externals: Vec::new(),
        salt: salt.to_vec(),
    };
    Fallback {
        fingerprint: input.fingerprint(),
        dependencies,
        build,
    }
}

/// Adds the `cfg` predicates and variables of `from` to `into`, sorted.
fn merge(into: &mut BuildInputs, from: BuildInputs) {
    into.cfgs.extend(from.cfgs);
    into.cfgs.sort();
    into.cfgs.dedup();
    into.env.extend(from.env);
    into.env.sort();
    into.env.dedup();
    into.out_dir |= from.out_dir;
}

/// The directory of the package `file` belongs to: the nearest one above
/// it holding a `Cargo.toml`.
fn package_dir_of(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|dir| dir.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn any_source_edit_in_the_package_changes_it_and_target_does_not() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        write(dir, "src/lib.rs", "pub fn f() -> u32 { 1 }\n");
        write(dir, "src/other.rs", "#[cfg(feature = \"x\")] fn g() {}\n");
        let own = Digest([7; 32]);
        let file = dir.join("src/lib.rs");
        let site = FallbackSite {
            manifest_dir: dir,
            file: Some(&file),
            line: 1,
            out_dir: None,
            expansion: 0,
        };
        let first = fallback_fingerprint("f", own, Some(site), b"");
        let paths: Vec<&str> = first.dependencies.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["crate::f", FALLBACK_CALL_SITE, FALLBACK_PACKAGE_SOURCES]
        );
        assert_eq!(first.build.cfgs, ["debug_assertions", "feature = \"x\""]);
        // Build output and hidden directories are not sources.
        write(dir, "target/debug/build/out.rs", "fn generated() {}\n");
        write(dir, ".git/hook.rs", "fn hook() {}\n");
        let same = fallback_fingerprint("f", own, Some(site), b"");
        assert_eq!(same.fingerprint, first.fingerprint);
        write(dir, "src/other.rs", "fn g() {}\n");
        let edited = fallback_fingerprint("f", own, Some(site), b"");
        assert_ne!(edited.fingerprint, first.fingerprint);
        assert_eq!(edited.build.cfgs, ["debug_assertions"]);
        let moved = FallbackSite { line: 2, ..site };
        assert_ne!(
            fallback_fingerprint("f", own, Some(moved), b"").fingerprint,
            edited.fingerprint
        );
        let second = FallbackSite {
            expansion: 1,
            ..site
        };
        assert_ne!(
            fallback_fingerprint("f", own, Some(second), b"").fingerprint,
            edited.fingerprint
        );
        assert_ne!(
            fallback_fingerprint("f", own, Some(site), b"v2").fingerprint,
            edited.fingerprint
        );
    }

    /// Regression: a function another package's macro writes is sited in
    /// that package; an edit there (of a `const` the macro writes beside
    /// the function) must change the fingerprint, though this package's
    /// sources did not change.
    #[test]
    fn a_macro_of_another_package_brings_that_packages_sources() {
        let temp = tempfile::tempdir().unwrap();
        let (app, dep) = (temp.path().join("app"), temp.path().join("dep"));
        write(&app, "Cargo.toml", "[package]\nname = \"app\"\n");
        write(&app, "src/main.rs", "dep::make!(one, 1);\n");
        write(&dep, "Cargo.toml", "[package]\nname = \"dep\"\n");
        let macro_text = "#[macro_export]\nmacro_rules! make { ($m:ident, $v:expr) => { \
                          mod $m { const K: u64 = $v; #[funcache::cache] pub fn f() -> u64 { K } } } }\n";
        write(&dep, "src/lib.rs", macro_text);
        let file = dep.join("src/lib.rs");
        let site = FallbackSite {
            manifest_dir: &app,
            file: Some(&file),
            line: 2,
            out_dir: None,
            expansion: 0,
        };
        let own = Digest([7; 32]);
        let first = fallback_fingerprint("f", own, Some(site), b"");
        assert!(
            first
                .dependencies
                .iter()
                .any(|d| d.path == FALLBACK_MACRO_PACKAGE_SOURCES)
        );
        write(&dep, "src/lib.rs", &macro_text.replace("= $v", "= $v * 2"));
        let edited = fallback_fingerprint("f", own, Some(site), b"");
        assert_ne!(edited.fingerprint, first.fingerprint);
        // Where the other package is checked out does not count.
        let moved = temp.path().join("elsewhere");
        std::fs::rename(&dep, &moved).unwrap();
        let file = moved.join("src/lib.rs");
        let site = FallbackSite {
            file: Some(&file),
            ..site
        };
        assert_eq!(
            fallback_fingerprint("f", own, Some(site), b"").fingerprint,
            edited.fingerprint
        );
    }

    /// Issue 8 (build inputs, 7): a function the index cannot analyze that
    /// calls into a path dependency, or reads a file with `include_str!`,
    /// served the old value after either was edited.
    #[test]
    fn path_dependencies_and_included_files_are_package_sources() {
        let temp = tempfile::tempdir().unwrap();
        let (app, dep) = (temp.path().join("app"), temp.path().join("dep"));
        write(
            &app,
            "Cargo.toml",
            "[package]\nname = \"app\"\n[dependencies]\ndep = { path = \"../dep\" }\n",
        );
        write(
            &app,
            "src/main.rs",
            "const D: &str = include_str!(\"data3.txt\");\nfn main() {}\n",
        );
        write(&app, "src/data3.txt", "three");
        write(&dep, "Cargo.toml", "[package]\nname = \"dep\"\n");
        write(&dep, "src/lib.rs", "pub fn dep_fn() -> i64 { 1 }\n");
        let file = app.join("src/main.rs");
        let site = FallbackSite {
            manifest_dir: &app,
            file: Some(&file),
            line: 1,
            out_dir: None,
            expansion: 0,
        };
        let own = Digest([7; 32]);
        let first = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        write(&dep, "src/lib.rs", "pub fn dep_fn() -> i64 { 2 }\n");
        let dep_edited = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(dep_edited, first);
        write(&app, "src/data3.txt", "four");
        let data_edited = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(data_edited, dep_edited);
        // Moving the checkout keeps it.
        let moved = temp.path().join("moved");
        std::fs::create_dir(&moved).unwrap();
        std::fs::rename(&app, moved.join("app")).unwrap();
        std::fs::rename(&dep, moved.join("dep")).unwrap();
        let (app, file) = (moved.join("app"), moved.join("app/src/main.rs"));
        let site = FallbackSite {
            manifest_dir: &app,
            file: Some(&file),
            ..site
        };
        assert_eq!(
            fallback_fingerprint("f", own, Some(site), b"").fingerprint,
            data_edited
        );
    }

    /// Regression (trial S3): a function a `macro_rules!` writes that
    /// calls code its build script generates into `OUT_DIR` (`include!`d)
    /// served the old value after the build script's input changed.
    #[test]
    fn what_the_build_script_generated_counts_by_name_and_contents() {
        let temp = tempfile::tempdir().unwrap();
        let app = temp.path().join("app");
        write(&app, "Cargo.toml", "[package]\nname = \"app\"\n");
        write(
            &app,
            "src/main.rs",
            "mod generated { include!(concat!(env!(\"OUT_DIR\"), \"/gen.rs\")); }\n",
        );
        let out = temp.path().join("target/debug/build/app-1/out");
        write(&out, "gen.rs", "pub fn k() -> u32 { 3 }\n");
        write(&out, "sub/data.bin", "x");
        let file = app.join("src/main.rs");
        let site = FallbackSite {
            manifest_dir: &app,
            file: Some(&file),
            line: 1,
            out_dir: Some(&out),
            expansion: 0,
        };
        let own = Digest([7; 32]);
        let first = fallback_fingerprint("f", own, Some(site), b"");
        assert!(
            first
                .dependencies
                .iter()
                .any(|d| d.path == FALLBACK_OUT_DIR)
        );
        let without = FallbackSite {
            out_dir: None,
            ..site
        };
        let none = fallback_fingerprint("f", own, Some(without), b"");
        assert!(!none.dependencies.iter().any(|d| d.path == FALLBACK_OUT_DIR));
        write(&out, "gen.rs", "pub fn k() -> u32 { 4 }\n");
        let edited = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(edited, first.fingerprint);
        // Any file, not only those the sources name: a library the build
        // script compiled, a file included by a path nobody can evaluate.
        write(&out, "sub/data.bin", "y");
        let data = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(data, edited);
        write(&out, "extra.rs", "");
        let added = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(added, data);
        // Same output in another checkout and target directory: same
        // fingerprint.
        let elsewhere = tempfile::tempdir().unwrap();
        let (app2, out2) = (elsewhere.path().join("a"), elsewhere.path().join("o"));
        std::fs::rename(&app, &app2).unwrap();
        std::fs::rename(&out, &out2).unwrap();
        let file2 = app2.join("src/main.rs");
        let moved = FallbackSite {
            manifest_dir: &app2,
            file: Some(&file2),
            out_dir: Some(&out2),
            ..site
        };
        assert_eq!(
            fallback_fingerprint("f", own, Some(moved), b"").fingerprint,
            added
        );
    }

    /// Regression (trial S7): a function a `macro_rules!` writes that calls
    /// a module whose `#[path]` file is outside the package served the old
    /// value after that file was edited; so would a module it declares.
    #[test]
    fn path_modules_outside_the_package_and_theirs_count() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("repo");
        let pkg = root.join("pkg");
        write(&pkg, "Cargo.toml", "[package]\nname = \"pkg\"\n");
        write(
            &pkg,
            "src/main.rs",
            "#[path = \"../../shared/common.rs\"]\nmod common;\nfn main() {}\n",
        );
        write(
            &root,
            "shared/common.rs",
            "mod child;\npub fn f() -> u32 { 1 }\n",
        );
        write(&root, "shared/child.rs", "pub fn c() -> u32 { 1 }\n");
        write(&root, "shared/unrelated.rs", "pub fn u() {}\n");
        let file = pkg.join("src/main.rs");
        let site = FallbackSite {
            manifest_dir: &pkg,
            file: Some(&file),
            line: 3,
            out_dir: None,
            expansion: 0,
        };
        let own = Digest([7; 32]);
        let first = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        write(&root, "shared/unrelated.rs", "pub fn u() { }\n");
        assert_eq!(
            fallback_fingerprint("f", own, Some(site), b"").fingerprint,
            first
        );
        write(
            &root,
            "shared/common.rs",
            "mod child;\npub fn f() -> u32 { 2 }\n",
        );
        let edited = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(edited, first);
        write(&root, "shared/child.rs", "pub fn c() -> u32 { 2 }\n");
        let child = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(child, edited);
        // Another checkout of the same tree.
        let moved = temp.path().join("moved");
        std::fs::rename(&root, &moved).unwrap();
        let (pkg, file) = (moved.join("pkg"), moved.join("pkg/src/main.rs"));
        let site = FallbackSite {
            manifest_dir: &pkg,
            file: Some(&file),
            ..site
        };
        assert_eq!(
            fallback_fingerprint("f", own, Some(site), b"").fingerprint,
            child
        );
    }

    #[test]
    fn the_lock_manifests_and_own_features_decide_it() {
        let temp = tempfile::tempdir().unwrap();
        let (app, dep) = (temp.path().join("app"), temp.path().join("dep"));
        write(
            &app,
            "Cargo.toml",
            "[package]\nname = \"app\"\n[features]\nbig = [\"dep/big\"]\n\
             [dependencies]\ndep = { path = \"../dep\" }\n",
        );
        write(&app, "src/main.rs", "fn main() {}\n");
        write(
            &app,
            "Cargo.lock",
            "[[package]]\nname = \"dep\"\nversion = \"0.1.0\"\n",
        );
        write(
            &dep,
            "Cargo.toml",
            "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n",
        );
        write(
            &dep,
            "src/lib.rs",
            "pub fn v() -> &'static str { env!(\"CARGO_PKG_VERSION\") }\n",
        );
        let file = app.join("src/main.rs");
        let site = FallbackSite {
            manifest_dir: &app,
            file: Some(&file),
            line: 1,
            out_dir: None,
            expansion: 0,
        };
        let own = Digest([7; 32]);
        let first = fallback_fingerprint("f", own, Some(site), b"");
        assert!(
            first
                .dependencies
                .iter()
                .any(|d| d.path == FALLBACK_CARGO_FILES)
        );
        // `--features big` changes no file: the build answers it.
        assert!(first.build.cfgs.contains(&"feature = \"big\"".to_owned()));
        // A path dependency's version bump (its manifest and the lock).
        write(
            &dep,
            "Cargo.toml",
            "[package]\nname = \"dep\"\nversion = \"0.3.0\"\n",
        );
        let bumped = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(bumped, first.fingerprint);
        write(
            &app,
            "Cargo.lock",
            "[[package]]\nname = \"dep\"\nversion = \"0.3.0\"\n",
        );
        let locked = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(locked, bumped);
        // Features asked of a dependency in a manifest.
        write(
            &app,
            "Cargo.toml",
            "[package]\nname = \"app\"\n[features]\nbig = [\"dep/big\"]\n\
             [dependencies]\ndep = { path = \"../dep\", features = [\"big\"] }\n",
        );
        let asked = fallback_fingerprint("f", own, Some(site), b"").fingerprint;
        assert_ne!(asked, locked);
    }
}
