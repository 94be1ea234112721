//! A path dependency's build-script results, as the build compiling the
//! cached function has them.
//!
//! A path dependency with a build script compiles to other code when the
//! script's output changes: files it generates into its `OUT_DIR` and
//! `include!`s, `cargo:rustc-env` values its `env!` reads, `cargo:rustc-cfg`
//! flags that pick which side of a `#[cfg]` exists. The macro runs inside
//! the rustc run compiling the *dependent* crate, whose environment has
//! none of that. What it does have is rustc's command line: `--extern
//! g=<target>/<profile>/deps/libg-<hash>.rlib` and `-L
//! dependency=<target>/<profile>/deps`. Beside the rlib, rustc's dep-info
//! file `deps/g-<hash>.d` names the `OUT_DIR` the dependency was compiled
//! with (`# env-dep:OUT_DIR=..` and the generated files it included);
//! that directory's parent `build/g-<hash>/` holds the script's `output`
//! (its `cargo:` lines) and `out/`. When the dep-info does not name it (the
//! package reads no `OUT_DIR`), the one run directory of the package in
//! `build/` is used; among several (one per feature set built), the one
//! cargo's fingerprint of the lib depends on
//! (`.fingerprint/g-<hash>/lib-g.json`), when that names one.
//!
//! With the run directory found, the dependency's `OUT_DIR` is given to
//! the index ([`dep_out_dirs`]), so code it generates and `include!`s is
//! indexed like its other sources, and the closure counts
//! `<package> (build script) #<digest>` ([`inputs`]): a digest of the
//! output's `rustc-cfg`, `rustc-env` and `rustc-check-cfg` lines (the
//! directories they may name replaced by placeholders) and of every file
//! under `out/` (relative name and contents), so it is the same on every
//! machine and checkout path. When
//! it cannot be found (no readable command line, a layout not recognised)
//! the dependency is listed as unresolved with a warning. A reader without
//! a build (the CLI) only marks the fingerprint as one it cannot
//! reproduce.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::ids::CrateId;
use crate::module_tree::Stamp;
use crate::world::{DepBinding, World};

/// Who computes an analysis, which decides what it can learn of path
/// dependencies' build scripts.
#[derive(Clone, Copy)]
pub(crate) enum Reader<'a> {
    /// The macro, in the rustc run compiling the cached function, with
    /// what that run's command line says (or why it cannot be read).
    Compiler(&'a Result<RustcDeps, String>),
    /// A reader of the source without a build (the CLI): such a
    /// fingerprint cannot be reproduced, which
    /// [`BuildInputs::out_dir`](crate::BuildInputs::out_dir) says.
    Source,
}

/// What the build scripts of a closure's path dependencies add to it.
#[derive(Debug, Default)]
pub(crate) struct DepBuildInputs {
    /// `<package> (build script) #<digest>` for each one found.
    pub externals: Vec<String>,
    /// `(path, location, in_root)` for each one that could not be found.
    pub unresolved: Vec<(String, String, bool)>,
    /// One message for each one that could not be found.
    pub warnings: Vec<String>,
    /// Whether any reached package other than the compiling one has a
    /// build script.
    pub out_dir: bool,
}

/// The build-script inputs of the packages of `reached` (the crates the
/// closure has items of) other than the package of `compiling`, the crate
/// the cached function is compiled in (its own build script is the
/// compiler's to evaluate).
pub(crate) fn inputs(
    world: &World,
    compiling: CrateId,
    reached: &BTreeSet<CrateId>,
    reader: Reader,
) -> DepBuildInputs {
    let dir = |c: CrateId| &world.crates[c as usize].index.manifest_dir;
    let mut out = DepBuildInputs::default();
    let mut done: BTreeSet<&Path> = BTreeSet::new();
    for &c in reached {
        let manifest_dir = dir(c);
        if manifest_dir == dir(compiling)
            || !done.insert(manifest_dir)
            || !has_build_script(manifest_dir)
        {
            continue;
        }
        out.out_dir = true;
        let Reader::Compiler(rustc) = reader else {
            continue;
        };
        let package = &world.crates[c as usize].manifest.package;
        let found = rustc.as_ref().map_err(Clone::clone).and_then(|rustc| {
            let code_name = code_name(world, compiling, c);
            let lib_name = &world.crates[c as usize].name;
            let run = run_dir(rustc, package, lib_name, code_name)?;
            digest(&run, manifest_dir)
        });
        match found {
            Ok(digest) => out
                .externals
                .push(format!("{package} (build script) #{digest}")),
            Err(why) => {
                out.unresolved.push((
                    format!("output of {package}'s build script"),
                    format!("build.rs of {package}"),
                    false,
                ));
                out.warnings.push(format!(
                    "funcache: the build-script output of path dependency `{package}` was not \
                     found ({why}); cached results that depend on `{package}` may be stale after \
                     that output changes: bump `version` when it does"
                ));
            }
        }
    }
    out
}

/// The `OUT_DIR` of each path dependency in view of `compiling` (other
/// than its own package) that has an `include!` the index could not
/// follow without it and a build script whose run is found, by manifest
/// directory: with it, the code the script generates is indexed like the
/// rest of the dependency (a generated function calling one of the
/// dependency's own is followed). One not found stays unread; its
/// output's digest (see [`inputs`]) still counts, or it is unresolved.
pub(crate) fn dep_out_dirs(
    world: &World,
    compiling: CrateId,
    rustc: &RustcDeps,
) -> Vec<(PathBuf, PathBuf)> {
    let own = &world.crates[compiling as usize].index.manifest_dir;
    let mut out: Vec<(PathBuf, PathBuf)> = Vec::new();
    for c in world.view(compiling) {
        let krate = &world.crates[c as usize];
        let manifest_dir = &krate.index.manifest_dir;
        if manifest_dir == own
            || !krate.index.unread_includes
            || out.iter().any(|(dir, _)| dir == manifest_dir)
            || !has_build_script(manifest_dir)
        {
            continue;
        }
        let code_name = code_name(world, compiling, c);
        if let Ok(run) = run_dir(rustc, &krate.manifest.package, &krate.name, code_name) {
            out.push((manifest_dir.clone(), run.join("out")));
        }
    }
    out
}

/// The name a crate of the compiling package knows `dep` by, when one
/// depends on it directly (the first in name order).
fn code_name(world: &World, compiling: CrateId, dep: CrateId) -> Option<&str> {
    let package_dir = &world.crates[compiling as usize].index.manifest_dir;
    world
        .crates
        .iter()
        .filter(|k| &k.index.manifest_dir == package_dir)
        .flat_map(|k| k.deps.iter())
        .filter(|(_, binding)| matches!(binding, DepBinding::Crate(id) if *id == dep))
        .map(|(name, _)| name.as_str())
        .min()
}

/// What rustc's command line tells about where dependencies were built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RustcDeps {
    /// `--extern name=path`, in order.
    pub externs: Vec<(String, PathBuf)>,
    /// `-L dependency=dir` (and `-L all=dir`), in order.
    pub dependency_dirs: Vec<PathBuf>,
}

impl RustcDeps {
    /// The command line of this process, which inside a proc macro is the
    /// rustc run compiling the crate (read once per process). An error
    /// says why it cannot be used.
    pub fn of_process() -> &'static Result<RustcDeps, String> {
        static ARGS: OnceLock<Result<RustcDeps, String>> = OnceLock::new();
        ARGS.get_or_init(|| {
            let mut args: Vec<OsString> = std::env::args_os().collect();
            if args.len() <= 1 {
                args = proc_cmdline().unwrap_or_default();
            }
            let deps = RustcDeps::parse(args);
            if deps.externs.is_empty() && deps.dependency_dirs.is_empty() {
                Err("the compiler's command line names no dependency".to_owned())
            } else {
                Ok(deps)
            }
        })
    }

    /// Reads a rustc command line; `@file` arguments are read from their
    /// file, one argument a line.
    pub fn parse(args: Vec<OsString>) -> RustcDeps {
        let mut expanded: Vec<String> = Vec::new();
        for arg in args {
            let arg = arg.to_string_lossy().into_owned();
            match arg.strip_prefix('@') {
                Some(file) => {
                    if let Ok(text) = std::fs::read_to_string(file) {
                        expanded.extend(text.lines().map(str::to_owned));
                    }
                }
                None => expanded.push(arg),
            }
        }
        let mut out = RustcDeps::default();
        let mut args = expanded.into_iter();
        while let Some(arg) = args.next() {
            let (flag, value) = if arg == "--extern" || arg == "-L" {
                (arg.clone(), args.next())
            } else if let Some(value) = arg.strip_prefix("--extern=") {
                ("--extern".to_owned(), Some(value.to_owned()))
            } else if let Some(value) = arg.strip_prefix("-L") {
                ("-L".to_owned(), Some(value.to_owned()))
            } else {
                continue;
            };
            let Some(value) = value else { break };
            if flag == "--extern" {
                // `name=path`; a bare `name` (sysroot crates) names no file.
                // Modifiers come first: `priv:name=path`.
                if let Some((name, path)) = value.split_once('=') {
                    let name = name.rsplit(':').next().unwrap_or(name);
                    out.externs.push((name.to_owned(), PathBuf::from(path)));
                }
            } else if let Some(dir) = value
                .strip_prefix("dependency=")
                .or_else(|| value.strip_prefix("all="))
            {
                out.dependency_dirs.push(PathBuf::from(dir));
            }
        }
        out
    }
}

/// `/proc/self/cmdline`, split at its NULs (Linux).
fn proc_cmdline() -> Option<Vec<OsString>> {
    let bytes = std::fs::read("/proc/self/cmdline").ok()?;
    Some(
        bytes
            .split(|&b| b == 0)
            .filter(|part| !part.is_empty())
            .map(|part| OsString::from(String::from_utf8_lossy(part).into_owned()))
            .collect(),
    )
}

/// Whether the package at `manifest_dir` has a build script: `[package]
/// build = "path"`, or `build.rs` beside the manifest unless `build =
/// false`. A manifest that cannot be read counts as having one (safe).
pub(crate) fn has_build_script(manifest_dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(manifest_dir.join("Cargo.toml")) else {
        return true;
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return true;
    };
    match doc.get("package").and_then(|p| p.get("build")) {
        Some(item) if item.as_bool() == Some(false) => false,
        Some(item) if item.as_str().is_some() => true,
        _ => manifest_dir.join("build.rs").is_file(),
    }
}

/// The directory where the build ran the build script of `package` (lib
/// crate name `lib_name`), holding `output` and `out/`. `code_name` is the
/// name the compiling crate knows it by, when it depends on it directly
/// (its `--extern` names the exact rlib); otherwise the dependency
/// directories are searched.
pub(crate) fn run_dir(
    rustc: &RustcDeps,
    package: &str,
    lib_name: &str,
    code_name: Option<&str>,
) -> Result<PathBuf, String> {
    let direct = code_name.and_then(|name| {
        rustc
            .externs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, path)| path.clone())
    });
    let (deps_dir, dep_info) = match &direct {
        Some(lib) => {
            let deps_dir = lib.parent().map(Path::to_owned).unwrap_or_default();
            let stem = lib
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = stem.strip_prefix("lib").unwrap_or(&stem).to_owned();
            let dep_info = deps_dir.join(format!("{stem}.d"));
            (deps_dir, Some(dep_info))
        }
        None => {
            let deps_dir = rustc
                .dependency_dirs
                .iter()
                .find(|dir| dir.parent().is_some_and(|t| t.join("build").is_dir()))
                .cloned()
                .ok_or_else(|| "no dependency directory with build outputs".to_owned())?;
            let mut infos = hashed_entries(&deps_dir, lib_name, Some(".d"));
            let only = (infos.len() == 1).then(|| infos.remove(0));
            (deps_dir, only)
        }
    };
    let target = deps_dir
        .parent()
        .ok_or_else(|| format!("no build directory above {}", deps_dir.display()))?;
    let build = target.join("build");
    let candidates: Vec<PathBuf> = hashed_entries(&build, package, None)
        .into_iter()
        .filter(|dir| dir.join("output").is_file())
        .collect();
    if let Some(text) = dep_info
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        && let Some(dir) = dep_info_run_dir(&text, &build, package)
        && candidates.contains(&dir)
    {
        return Ok(dir);
    }
    if candidates.len() > 1
        && let Some(lib_hash) = dep_info.as_ref().and_then(|path| unit_hash(path, lib_name))
        && let Some(dir) = fingerprint_run_dir(target, package, &lib_hash, &candidates)
    {
        return Ok(dir);
    }
    match candidates.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no build-script output of `{package}` found")),
        more => Err(format!(
            "{} build-script outputs of `{package}` found and neither the compiler's dep-info \
             nor cargo's fingerprints tell which one this build used",
            more.len()
        )),
    }
}

/// The unit hash of a dep-info file `<lib_name>-<hash>.d`.
fn unit_hash(dep_info: &Path, lib_name: &str) -> Option<String> {
    let name = dep_info.file_name()?.to_string_lossy();
    let hash = name
        .strip_prefix(lib_name)?
        .strip_prefix('-')?
        .strip_suffix(".d")?;
    (hash.len() == 16).then(|| hash.to_owned())
}

/// The run directory among `candidates` that cargo's fingerprint of the
/// lib unit `<package>-<lib_hash>` depends on: its `lib-*.json` lists the
/// build-script run among its `deps` with that run's fingerprint hash,
/// which the run's `.fingerprint/<package>-<hash>/run-build-script-*`
/// file holds (as hex of its little-endian bytes). Cargo writes the lib's
/// fingerprint after compiling it; a missing or unreadable one tells
/// nothing.
fn fingerprint_run_dir(
    target: &Path,
    package: &str,
    lib_hash: &str,
    candidates: &[PathBuf],
) -> Option<PathBuf> {
    let fingerprints = target.join(".fingerprint");
    let json = lib_fingerprint_json(target, package, lib_hash)?;
    let wanted = build_script_dep_hashes(&json);
    let matching: Vec<&PathBuf> = candidates
        .iter()
        .filter(|dir| {
            let Some(name) = dir.file_name() else {
                return false;
            };
            let Ok(entries) = std::fs::read_dir(fingerprints.join(name)) else {
                return false;
            };
            entries.filter_map(Result::ok).any(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.starts_with("run-build-script-")
                    && !name.ends_with(".json")
                    && std::fs::read_to_string(entry.path())
                        .is_ok_and(|text| wanted.contains(&text.trim().to_owned()))
            })
        })
        .collect();
    match matching.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// The text of cargo's fingerprint of the lib unit `<package>-<lib_hash>`
/// under the target directory `target` (`.fingerprint/<package>-<hash>/
/// lib-<lib>.json`), when it is there and readable.
pub(crate) fn lib_fingerprint_json(target: &Path, package: &str, lib_hash: &str) -> Option<String> {
    let lib_unit = target
        .join(".fingerprint")
        .join(format!("{package}-{lib_hash}"));
    std::fs::read_dir(&lib_unit)
        .ok()?
        .filter_map(Result::ok)
        .find(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("lib-") && name.ends_with(".json")
        })
        .and_then(|entry| std::fs::read_to_string(entry.path()).ok())
}

/// The target directory (`<target>/<profile>`) and unit hash of a lib a
/// `--extern` names: `<target>/<profile>/deps/lib<lib>-<hash>.rlib` (or
/// `.rmeta`, or a proc macro's shared library).
pub(crate) fn extern_unit(lib: &Path) -> Option<(PathBuf, String)> {
    let deps_dir = lib.parent()?;
    let target = deps_dir.parent()?;
    let stem = lib.file_stem()?.to_string_lossy();
    let (_, hash) = stem.rsplit_once('-')?;
    (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| (target.to_owned(), hash.to_owned()))
}

/// The fingerprint hashes, as cargo writes them in a unit's hash file, of
/// the `build_script_*` entries of a fingerprint JSON's `deps`
/// (`[<id>,"build_script_build",<public>,<hash>]`).
fn build_script_dep_hashes(json: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find("\"build_script_") {
        rest = &rest[at + 1..];
        let Some(end) = rest.find(']') else { break };
        if let Some(hash) = rest[..end]
            .rsplit(',')
            .next()
            .and_then(|n| n.trim().parse::<u64>().ok())
        {
            out.push(format!("{:016x}", hash.swap_bytes()));
        }
    }
    out
}

/// Entries of `dir` named `<name>-<16 hex digits><suffix>`, sorted.
fn hashed_entries(dir: &Path, name: &str, suffix: Option<&str>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let file_name = entry.file_name();
            let file_name = file_name.to_string_lossy();
            let Some(rest) = file_name
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('-'))
            else {
                return false;
            };
            let hash = match suffix {
                Some(suffix) => match rest.strip_suffix(suffix) {
                    Some(hash) => hash,
                    None => return false,
                },
                None => rest,
            };
            hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|entry| entry.path())
        .collect();
    out.sort();
    out
}

/// The run directory `<build>/<package>-<hash>` a dep-info file names: its
/// `OUT_DIR` (`# env-dep:OUT_DIR=..`) or a file it included from there
/// (each prerequisite has a `path:` line of its own; spaces are escaped).
fn dep_info_run_dir(text: &str, build: &Path, package: &str) -> Option<PathBuf> {
    let under_build = |path: &Path| -> Option<PathBuf> {
        let rest = path.strip_prefix(build).ok()?;
        let first = rest.components().next()?;
        let dir = build.join(first);
        let name = first.as_os_str().to_string_lossy();
        let hash = name.strip_prefix(package)?.strip_prefix('-')?;
        (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(dir)
    };
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("# env-dep:OUT_DIR=") {
            if let Some(dir) = under_build(Path::new(value)) {
                return Some(dir);
            }
        } else if let Some(path) = line.strip_suffix(':')
            && let Some(dir) = under_build(Path::new(&path.replace("\\ ", " ")))
        {
            return Some(dir);
        }
    }
    None
}

/// `cargo:` keys whose values change what the package compiles to.
const KEPT_KEYS: &[&str] = &["rustc-cfg", "rustc-env", "rustc-check-cfg"];

/// A digest of what the build script run in `run_dir` handed the compiler:
/// the `rustc-cfg`, `rustc-env` and `rustc-check-cfg` lines of `output`,
/// in order (its `OUT_DIR` and the package directory `manifest_dir` in
/// their values replaced by placeholders), and every file under `out/` by
/// name relative to it and contents. Kept per process while `output` is
/// unchanged (cargo rewrites it on every run).
pub(crate) fn digest(run_dir: &Path, manifest_dir: &Path) -> Result<String, String> {
    type Memo = HashMap<(PathBuf, PathBuf), (Stamp, String)>;
    static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
    let output = run_dir.join("output");
    let stamp = Stamp::of(&output);
    let key = (run_dir.to_owned(), manifest_dir.to_owned());
    if let Some(stamp) = stamp
        && let Some((seen, digest)) = MEMO
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(HashMap::new)
            .get(&key)
        && *seen == stamp
    {
        return Ok(digest.clone());
    }
    let digest = compute_digest(run_dir, manifest_dir)?;
    if let Some(stamp) = stamp {
        MEMO.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(HashMap::new)
            .insert(key, (stamp, digest.clone()));
    }
    Ok(digest)
}

fn compute_digest(run_dir: &Path, manifest_dir: &Path) -> Result<String, String> {
    let output = std::fs::read_to_string(run_dir.join("output"))
        .map_err(|e| format!("{}: {e}", run_dir.join("output").display()))?;
    let out = run_dir.join("out");
    let mut hasher = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"funcache-dep-build-output");
    for line in kept_lines(&output, &out, manifest_dir) {
        field(b"line");
        field(line.as_bytes());
    }
    let mut files: Vec<(String, PathBuf)> = walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_type().is_dir())
        .map(|entry| {
            let relative = crate::lexical_path::relative(&out, entry.path());
            (relative, entry.into_path())
        })
        .collect();
    files.sort();
    for (relative, path) in files {
        field(b"file");
        field(relative.as_bytes());
        // Streamed: a native library built there may be large.
        let contents = std::fs::File::open(&path).and_then(|mut file| {
            let mut file_hasher = blake3::Hasher::new();
            std::io::copy(&mut file, &mut file_hasher)?;
            Ok(file_hasher.finalize())
        });
        match contents {
            Ok(hash) => field(hash.as_bytes()),
            Err(_) => field(b"\0unreadable"),
        }
    }
    Ok(hasher.finalize().to_hex()[..16].to_owned())
}

/// The output lines that count, as `key=value`, with the directories
/// that differ between machines replaced.
fn kept_lines(output: &str, out_dir: &Path, manifest_dir: &Path) -> Vec<String> {
    let replacements = [
        (out_dir.to_string_lossy().into_owned(), "$OUT_DIR"),
        (
            manifest_dir.to_string_lossy().into_owned(),
            "$CARGO_MANIFEST_DIR",
        ),
    ];
    output
        .lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("cargo::")
                .or_else(|| line.strip_prefix("cargo:"))?;
            let (key, value) = rest.split_once('=')?;
            if !KEPT_KEYS.contains(&key) {
                return None;
            }
            let mut value = value.to_owned();
            for (from, to) in &replacements {
                if !from.is_empty() {
                    value = value.replace(from.as_str(), to);
                }
            }
            Some(format!("{key}={value}"))
        })
        .collect()
}

#[cfg(test)]
#[path = "dep_build_output_tests.rs"]
mod tests;
