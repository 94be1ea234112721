//! Digests of a package's sources as files, for code the index does not
//! analyze item by item: a function it cannot analyze (the fallback), a
//! proc-macro crate whose derive or attribute an item of a closure uses,
//! a `[patch]`ed package. Any edit of a `.rs` file of the package, of a
//! file one of them includes, or of a module file rustc loads from outside
//! the package (`#[path]`) changes the digest; where the package is checked
//! out does not. And [`out_dir_digest`]: what a build script generated.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::cargo::Manifest;
use crate::cfg_text;
use crate::includes::{self, IncludeDirs};
use crate::lexical_path;
use crate::module_refs;
use crate::module_tree::Stamp;
use crate::{BuildInputs, Digest};

/// Packages that are funcache itself: always treated as external crates
/// (their version is their identity), never indexed or digested, even when
/// a fixture depends on them by path.
pub(crate) const FUNCACHE_PACKAGES: &[&str] = &["funcache", "funcache-derive", "funcache-index"];

/// The package in `manifest_dir` and, recursively, its path dependencies
/// (funcache's own packages excepted): `(package name, directory)` of each
/// dependency, sorted by name, the package itself not included.
pub(crate) fn path_dependencies(manifest_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut seen: BTreeSet<PathBuf> =
        BTreeSet::from([crate::lexical_path::normalize(manifest_dir)]);
    let mut queue = vec![manifest_dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = queue.pop() {
        let Ok(manifest) = Manifest::load(&dir) else {
            continue;
        };
        for dep in &manifest.deps {
            let Some(path) = &dep.path else { continue };
            let path = crate::lexical_path::normalize(path);
            if FUNCACHE_PACKAGES.contains(&dep.package.as_str()) || !seen.insert(path.clone()) {
                continue;
            }
            found.push((dep.package.clone(), path.clone()));
            queue.push(path);
        }
    }
    found.sort();
    found
}

/// The digest of the package in `manifest_dir` and, recursively, of its
/// path dependencies (each by package name, so a moved checkout gives the
/// same digest), with every `cfg` predicate and variable their files read.
/// `None` when the package has no `.rs` file.
pub(crate) fn sources_with_path_deps(manifest_dir: &Path) -> Option<(Digest, BuildInputs)> {
    let (own, mut build) = package_sources_digest(manifest_dir)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-package-and-path-deps\0");
    hasher.update(own.as_bytes());
    for (name, dir) in path_dependencies(manifest_dir) {
        let Some((digest, inputs)) = package_sources_digest(&dir) else {
            continue;
        };
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        hasher.update(digest.as_bytes());
        // Another package's `cfg`s and `CARGO_*` are its own; the rest of
        // the environment is the same build's.
        build
            .env
            .extend(inputs.env.into_iter().filter(|v| !v.starts_with("CARGO")));
    }
    build.env.sort();
    build.env.dedup();
    Some((hasher.finalize().into(), build))
}

/// A digest of what cargo decides from for the package in `manifest_dir`:
/// the text of the nearest `Cargo.lock` (every dependency's version and
/// source, who depends on whom), of the workspace root's `Cargo.toml`, and
/// of the manifests of the package and of its path dependencies (features
/// they declare and ask of their dependencies). Raw text, so coarse: a
/// comment in a manifest changes it too. `None` when nothing could be read.
pub(crate) fn cargo_files_digest(manifest_dir: &Path) -> Option<Digest> {
    let root = crate::workspace::workspace_root(manifest_dir);
    let mut files: Vec<(String, PathBuf)> = vec![
        ("<lock>".to_owned(), crate::cargo::Lock::path(manifest_dir)?),
        ("<workspace>".to_owned(), root.join("Cargo.toml")),
        ("<package>".to_owned(), manifest_dir.join("Cargo.toml")),
    ];
    files.extend(
        path_dependencies(manifest_dir)
            .into_iter()
            .map(|(name, dir)| (name, dir.join("Cargo.toml"))),
    );
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-cargo-files\0");
    for (name, path) in files {
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        hasher.update(&std::fs::read(&path).unwrap_or_default());
        hasher.update(&[0xff]);
    }
    Some(hasher.finalize().into())
}

/// A digest of every `.rs` file under the package directory (skipping
/// `target/` and hidden directories), in path order, relative paths
/// included; and every `cfg` predicate and compile-time environment
/// variable those files read. `None` when the package has no `.rs` file.
pub(crate) fn package_sources_digest(manifest_dir: &Path) -> Option<(Digest, BuildInputs)> {
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
    // read and scan the files once while none changes (the included files
    // neither). Measured (debug) on regex-syntax's 58k lines: 0.6 s a time.
    type Memo = HashMap<PathBuf, (Stamps, Stamps, Digest, BuildInputs)>;
    static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
    let stamps: Stamps = files
        .iter()
        .map(|file| (file.clone(), Stamp::of(file)))
        .collect();
    let mut memo = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
    let memo = memo.get_or_insert_with(HashMap::new);
    if let Some((seen, included, digest, build)) = memo.get(manifest_dir)
        && *seen == stamps
        && included
            .iter()
            .all(|(path, stamp)| Stamp::of(path) == *stamp)
    {
        return Some((*digest, build.clone()));
    }
    let (digest, build, included) = digest_files(manifest_dir, files);
    let included = included
        .into_iter()
        .map(|path| {
            let stamp = Stamp::of(&path);
            (path, stamp)
        })
        .collect();
    memo.insert(
        manifest_dir.to_path_buf(),
        (stamps, included, digest, build.clone()),
    );
    Some((digest, build))
}

/// Files with their stamps when read.
type Stamps = Vec<(PathBuf, Option<Stamp>)>;

/// How many bytes of a build script's output [`out_dir_digest`] reads, at
/// most; a file beyond it counts by its name, length and modification time.
/// Generated code and data are small next to it; what can be larger (a C
/// library a build script compiles into `OUT_DIR`) then still invalidates
/// when rewritten, at the cost of a miss on another machine or checkout.
pub(crate) const OUT_DIR_CONTENT_BUDGET: u64 = 256 << 20;

/// A digest of every file under `out_dir` (a build script's `OUT_DIR`):
/// names relative to it, sorted, and contents (see
/// [`OUT_DIR_CONTENT_BUDGET`]); never where it is, so another checkout or
/// machine with the same output gets the same digest; and the contents of
/// the files generated code includes from outside it. `None` when it
/// cannot be read.
pub(crate) fn out_dir_digest(out_dir: &Path, manifest_dir: &Path) -> Option<Digest> {
    out_dir_digest_within(out_dir, manifest_dir, OUT_DIR_CONTENT_BUDGET)
}

/// [`out_dir_digest`] reading at most `budget` bytes of contents.
fn out_dir_digest_within(out_dir: &Path, manifest_dir: &Path, budget: u64) -> Option<Digest> {
    std::fs::metadata(out_dir).ok().filter(|m| m.is_dir())?;
    let mut files: Vec<(String, PathBuf)> = walkdir::WalkDir::new(out_dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let path = entry.into_path();
            let relative = path.strip_prefix(out_dir).unwrap_or(&path);
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (name.join("/"), path)
        })
        .collect();
    files.sort();
    // Every fallback expansion of the crate asks, in one compiler process.
    type Memo = HashMap<(PathBuf, u64), (Stamps, Stamps, Digest)>;
    static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
    let stamps: Stamps = files
        .iter()
        .map(|(_, path)| (path.clone(), Stamp::of(path)))
        .collect();
    let mut memo = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
    let memo = memo.get_or_insert_with(HashMap::new);
    let key = (out_dir.to_path_buf(), budget);
    if let Some((seen, included, digest)) = memo.get(&key)
        && *seen == stamps
        && included
            .iter()
            .all(|(path, stamp)| Stamp::of(path) == *stamp)
    {
        return Some(*digest);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-out-dir\0");
    let mut budget = budget;
    let normal_out = lexical_path::normalize(out_dir);
    // Files generated code includes from elsewhere (an asset by absolute
    // path): rustc reads them too.
    let mut included: Vec<PathBuf> = Vec::new();
    let dirs = IncludeDirs {
        manifest: manifest_dir,
        out: Some(out_dir),
    };
    for ((name, path), (_, stamp)) in files.iter().zip(&stamps) {
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        let len = stamp.map_or(0, |s| s.len);
        if len <= budget {
            budget -= len;
            let mut contents = blake3::Hasher::new();
            let read = if name.ends_with(".rs") {
                std::fs::read(path).map(|bytes| {
                    contents.update(&bytes);
                    let text = String::from_utf8_lossy(&bytes);
                    let dir = path.parent().unwrap_or(out_dir);
                    included.extend(
                        includes::included_paths(&text, dir, dirs)
                            .into_iter()
                            .map(|p| lexical_path::normalize(&p))
                            .filter(|p| !p.starts_with(&normal_out)),
                    );
                    bytes.len() as u64
                })
            } else {
                stream_into(path, &mut contents)
            };
            add_read(&mut hasher, read, &contents);
        } else {
            let mtime = stamp
                .and_then(|s| s.mtime)
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hasher.update(&[2]);
            hasher.update(&len.to_le_bytes());
            hasher.update(&mtime.to_le_bytes());
        }
    }
    let mut seen = HashSet::new();
    included.retain(|path| seen.insert(path.clone()));
    hasher.update(b"included\0");
    for path in &included {
        // Contents only: where a checkout is must not count.
        let mut contents = blake3::Hasher::new();
        let read = stream_into(path, &mut contents);
        add_read(&mut hasher, read, &contents);
    }
    let included: Stamps = included
        .into_iter()
        .map(|path| {
            let stamp = Stamp::of(&path);
            (path, stamp)
        })
        .collect();
    let digest: Digest = hasher.finalize().into();
    memo.insert(key, (stamps, included, digest));
    Some(digest)
}

/// The digest and build inputs of [`package_sources_digest`], from the
/// package's `.rs` files (sorted); and the files they include.
fn digest_files(manifest_dir: &Path, files: Vec<PathBuf>) -> (Digest, BuildInputs, Vec<PathBuf>) {
    let walked: HashSet<PathBuf> = files.iter().map(|f| lexical_path::normalize(f)).collect();
    let mut included = Vec::new();
    let mut declared = Vec::new();
    let mut hasher = blake3::Hasher::new();
    let mut build = BuildInputs::default();
    for file in &files {
        let relative = file.strip_prefix(manifest_dir).unwrap_or(file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(&[0]);
        let bytes = std::fs::read(file).unwrap_or_default();
        // Whole files, the items' own `#[cfg]`s included: nothing here
        // knows which items the function reaches.
        let inputs = cfg_text::scan_file(&String::from_utf8_lossy(&bytes));
        build.cfgs.extend(inputs.cfgs);
        build.env.extend(inputs.env);
        build.out_dir |= inputs.out_dir;
        hasher.update(&bytes);
        hasher.update(&[0]);
        // Data and code the file pulls in with `include_str!` & co.
        let dirs = IncludeDirs {
            manifest: manifest_dir,
            out: None,
        };
        let file_dir = file.parent().unwrap_or(manifest_dir);
        let text = String::from_utf8_lossy(&bytes);
        declared.extend(module_refs::module_files(&text, file, false));
        for path in includes::included_paths(&text, file_dir, dirs) {
            // Contents only (a missing file as such): not where it is.
            match std::fs::read(&path) {
                Ok(bytes) => {
                    hasher.update(&[1]);
                    hasher.update(&(bytes.len() as u64).to_le_bytes());
                    hasher.update(&bytes);
                }
                Err(_) => {
                    hasher.update(&[0]);
                }
            }
            included.push(path);
        }
        hasher.update(&[0]);
    }
    // Files rustc reads that the walk does not find: `#[path]` targets
    // outside the package (`#[path = "../../shared/common.rs"]`), and what
    // they declare and include in turn. Contents only, in the order they
    // are found (fixed by the sorted files and their text): not where the
    // checkout is.
    hasher.update(b"outside\0");
    for path in outside_files(manifest_dir, &walked, &declared, &included) {
        match std::fs::read(&path) {
            Ok(bytes) => {
                hasher.update(&[1]);
                hasher.update(&(bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
                if path.extension().is_some_and(|ext| ext == "rs") {
                    let inputs = cfg_text::scan_file(&String::from_utf8_lossy(&bytes));
                    build.cfgs.extend(inputs.cfgs);
                    build.env.extend(inputs.env);
                    build.out_dir |= inputs.out_dir;
                }
            }
            Err(_) => {
                hasher.update(&[0]);
            }
        }
        included.push(path);
    }
    build.cfgs.sort();
    build.cfgs.dedup();
    build.env.sort();
    build.env.dedup();
    (hasher.finalize().into(), build, included)
}

/// The files rustc may read for the package's sources (`walked`, with the
/// `#[path]` targets they declare, `declared`, and what they include,
/// `included`) that are not among them: `#[path]` targets outside the
/// package directory (or not named `.rs`), and recursively the module files
/// and includes of those. In the order found, each once.
fn outside_files(
    manifest_dir: &Path,
    walked: &HashSet<PathBuf>,
    declared: &[PathBuf],
    included: &[PathBuf],
) -> Vec<PathBuf> {
    let manifest_dir = &lexical_path::normalize(manifest_dir);
    let dirs = IncludeDirs {
        manifest: manifest_dir,
        out: None,
    };
    let mut seen: HashSet<PathBuf> = walked.clone();
    let mut queue: std::collections::VecDeque<PathBuf> = std::collections::VecDeque::new();
    let mut found = Vec::new();
    let mut add = |path: PathBuf, queue: &mut std::collections::VecDeque<PathBuf>| {
        let path = lexical_path::normalize(&path);
        if seen.insert(path.clone()) {
            queue.push_back(path);
        }
    };
    for path in declared {
        add(path.clone(), &mut queue);
    }
    // Code included from outside the package may declare modules too.
    for path in included {
        let outside = !lexical_path::normalize(path).starts_with(manifest_dir);
        if outside && path.extension().is_some_and(|ext| ext == "rs") {
            add(path.clone(), &mut queue);
        }
    }
    while let Some(path) = queue.pop_front() {
        found.push(path.clone());
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // A file inside the package is walked already; one outside is
        // read only because something points at it: its own `mod x;`s too.
        let plain = !path.starts_with(manifest_dir);
        for child in module_refs::module_files(&text, &path, plain) {
            add(child, &mut queue);
        }
        let dir = path.parent().unwrap_or(manifest_dir);
        for child in includes::included_paths(&text, dir, dirs) {
            add(child, &mut queue);
        }
    }
    found
}

/// Streams the file at `path` into `contents` (no file is held in memory
/// whole); its length.
fn stream_into(path: &Path, contents: &mut blake3::Hasher) -> std::io::Result<u64> {
    std::fs::File::open(path).and_then(|mut file| std::io::copy(&mut file, contents))
}

/// Adds to `hasher` what reading a file gave: its length and the digest of
/// `contents`, or that it could not be read.
fn add_read(hasher: &mut blake3::Hasher, read: std::io::Result<u64>, contents: &blake3::Hasher) {
    match read {
        Ok(n) => {
            hasher.update(&[1]);
            hasher.update(&n.to_le_bytes());
            hasher.update(contents.finalize().as_bytes());
        }
        Err(_) => {
            hasher.update(&[0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A build script's generated code may include a file from elsewhere
    /// (an asset by absolute path): rustc reads it, so it counts.
    #[test]
    fn files_generated_code_includes_count_by_contents() {
        let temp = tempfile::tempdir().unwrap();
        let (out, app) = (temp.path().join("out"), temp.path().join("app"));
        let asset = temp.path().join("assets/logo.bin");
        write(&asset, "one");
        let code = format!("pub const LOGO: &[u8] = include_bytes!({:?});\n", asset);
        write(&out.join("assets.rs"), &code);
        let first = out_dir_digest(&out, &app).unwrap();
        assert_eq!(out_dir_digest(&out, &app), Some(first));
        write(&asset, "two");
        assert_ne!(out_dir_digest(&out, &app).unwrap(), first);
        assert_eq!(out_dir_digest(&temp.path().join("none"), &app), None);
    }

    /// Past the budget a file counts by its length and modification time:
    /// rewritten with the same bytes it still changes the digest (read
    /// contents would not), and a longer file does too.
    #[test]
    fn past_the_budget_files_count_by_length_and_time() {
        let temp = tempfile::tempdir().unwrap();
        let (out, app) = (temp.path().join("out"), temp.path().join("app"));
        write(&out.join("a.txt"), "small");
        write(&out.join("b.lib"), "0123456789");
        let set_time = |path: &Path, secs: u64| {
            let file = std::fs::File::options().write(true).open(path).unwrap();
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            file.set_modified(time).unwrap();
        };
        set_time(&out.join("a.txt"), 1_000_000);
        set_time(&out.join("b.lib"), 1_000_000);
        let first = out_dir_digest_within(&out, &app, 8).unwrap();
        // Within the budget: contents only.
        set_time(&out.join("a.txt"), 2_000_000);
        assert_eq!(out_dir_digest_within(&out, &app, 8), Some(first));
        // Past it: the time counts.
        set_time(&out.join("b.lib"), 2_000_000);
        let touched = out_dir_digest_within(&out, &app, 8).unwrap();
        assert_ne!(touched, first);
        // With room for all, contents only again.
        let all = out_dir_digest_within(&out, &app, 1 << 20).unwrap();
        set_time(&out.join("b.lib"), 3_000_000);
        assert_eq!(out_dir_digest_within(&out, &app, 1 << 20), Some(all));
    }
}
