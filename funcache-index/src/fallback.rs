//! The fingerprint of a cached function the index cannot analyze (a crate
//! layout it does not understand, a doctest, syntax its scanner rejects):
//! the function's own tokens, where it is written, and a digest of every
//! `.rs` file of its package, with the value of every `cfg` predicate and
//! compile-time environment variable those files read. Any edit anywhere
//! in the package then invalidates: coarse, but it can never serve a stale
//! result (short of code a build script generates, which it does not see).
//!
//! It lives here rather than in the macro so that every reader of
//! fingerprints (the macro, the CLI) computes it the same way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::cfg_text;
use crate::module_tree::Stamp;
use crate::{BuildInputs, Dependency, Digest, FingerprintInput};

/// The dependency path under which the call site is recorded.
pub const FALLBACK_CALL_SITE: &str = "<call site>";
/// The dependency path under which the package's sources are recorded.
pub const FALLBACK_PACKAGE_SOURCES: &str = "<all package sources>";
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
    let mut build = BuildInputs::default();
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
            && let Some((digest, inputs)) = package_sources_digest(dir)
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
        if let Some((digest, inputs)) = package_sources_digest(site.manifest_dir) {
            dependencies.push(Dependency {
                path: FALLBACK_PACKAGE_SOURCES.to_owned(),
                hash: digest,
            });
            merge(&mut build, inputs);
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

/// A digest of every `.rs` file under the package directory (skipping
/// `target/` and hidden directories), in path order, relative paths
/// included; and every `cfg` predicate and compile-time environment
/// variable those files read. `None` when the package has no `.rs` file.
fn package_sources_digest(manifest_dir: &Path) -> Option<(Digest, BuildInputs)> {
    let visible = |entry: &walkdir::DirEntry| {
        let name = entry.file_name().to_string_lossy();
        entry.depth() == 0
            || !(name.starts_with('.') || (entry.file_type().is_dir() && name == "target"))
    };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(manifest_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(visible)
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    if files.is_empty() {
        return None;
    }
    files.sort();
    // Every fallback expansion of a crate asks, in one compiler process:
    // read and scan the files once while none changes. Measured (debug) on
    // regex-syntax's 58k lines: 0.6 s a time.
    type Memo = HashMap<PathBuf, (Vec<(PathBuf, Option<Stamp>)>, Digest, BuildInputs)>;
    static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
    let stamps: Vec<(PathBuf, Option<Stamp>)> = files
        .iter()
        .map(|file| (file.clone(), Stamp::of(file)))
        .collect();
    let mut memo = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
    let memo = memo.get_or_insert_with(HashMap::new);
    if let Some((seen, digest, build)) = memo.get(manifest_dir)
        && *seen == stamps
    {
        return Some((*digest, build.clone()));
    }
    let (digest, build) = digest_files(manifest_dir, files);
    memo.insert(manifest_dir.to_path_buf(), (stamps, digest, build.clone()));
    Some((digest, build))
}

/// The digest and build inputs of [`package_sources_digest`], from the
/// package's `.rs` files (sorted).
fn digest_files(manifest_dir: &Path, files: Vec<PathBuf>) -> (Digest, BuildInputs) {
    let mut hasher = blake3::Hasher::new();
    let mut build = BuildInputs::default();
    for file in files {
        let relative = file.strip_prefix(manifest_dir).unwrap_or(&file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(&[0]);
        let bytes = std::fs::read(&file).unwrap_or_default();
        // Whole files, the items' own `#[cfg]`s included: nothing here
        // knows which items the function reaches.
        let inputs = cfg_text::scan_file(&String::from_utf8_lossy(&bytes));
        build.cfgs.extend(inputs.cfgs);
        build.env.extend(inputs.env);
        build.out_dir |= inputs.out_dir;
        hasher.update(&bytes);
        hasher.update(&[0]);
    }
    build.cfgs.sort();
    build.cfgs.dedup();
    build.env.sort();
    build.env.dedup();
    (hasher.finalize().into(), build)
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
            expansion: 0,
        };
        let first = fallback_fingerprint("f", own, Some(site), b"");
        let paths: Vec<&str> = first.dependencies.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["crate::f", FALLBACK_CALL_SITE, FALLBACK_PACKAGE_SOURCES]
        );
        assert_eq!(first.build.cfgs, ["feature = \"x\""]);
        // Build output and hidden directories are not sources.
        write(dir, "target/debug/build/out.rs", "fn generated() {}\n");
        write(dir, ".git/hook.rs", "fn hook() {}\n");
        let same = fallback_fingerprint("f", own, Some(site), b"");
        assert_eq!(same.fingerprint, first.fingerprint);
        write(dir, "src/other.rs", "fn g() {}\n");
        let edited = fallback_fingerprint("f", own, Some(site), b"");
        assert_ne!(edited.fingerprint, first.fingerprint);
        assert!(edited.build.cfgs.is_empty());
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
}
