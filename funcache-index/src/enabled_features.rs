//! The features a build enabled for a direct dependency of the crate
//! compiling a cached function.
//!
//! Cargo builds a dependency with the union of the features every
//! manifest asks of it ([`crate::dep_features`] digests those) and those
//! its command line asks (`cargo build --features
//! serde_json/preserve_order`, `--features helper/x`), which are in no
//! file the index reads. The macro runs in the rustc run compiling the
//! dependent crate, whose command line names the dependency's lib:
//! `--extern serde_json=<target>/<profile>/deps/libserde_json-<hash>.rlib`.
//! Cargo records that unit's build in
//! `<target>/<profile>/.fingerprint/serde_json-<hash>/lib-serde_json.json`,
//! whose `features` field holds the features it was built with. Only the
//! package's name and its features' names are kept, so the answer is the
//! same on every machine and checkout path.
//!
//! Which dependencies ask is decided from the source alone
//! ([`direct_deps`]), so a reader without a build (the CLI) lists the same
//! ones and replays the answers a build recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::DirectDep;
use crate::cargo::Manifest;
use crate::dep_build_output::{RustcDeps, extern_unit, lib_fingerprint_json};
use crate::ids::CrateId;
use crate::world::{DepBinding, World};

/// The answer when the build's features of a dependency cannot be found
/// (no readable compiler command line, a layout not cargo's): the
/// fingerprint is then what it was before they were read.
pub const UNKNOWN_FEATURES: &str = "unknown";

/// How long the macro waits for cargo's record of a dependency that is
/// being compiled right now: with pipelining, cargo starts the dependent
/// crate once the dependency's metadata is written, and writes its record
/// only when the dependency's compilation ends.
const WAIT_FOR_RECORD: Duration = Duration::from_secs(120);

/// The direct dependencies of `compiling`'s package (any of its crates)
/// whose features can change what the closure computes. A registry or git
/// crate among `externals` (`name@version[@source]`, `|`-joined
/// alternatives): its code is not read, so any feature may. A path
/// dependency among `reached` (other than the package itself, whose
/// features are `cfg`s of its own) when the closure meets a `cfg` naming a
/// feature in it (`feature_cfgs`), or when its features can ask something
/// of its own dependencies (a `dep/feature` or `dep:` entry, an optional
/// dependency): otherwise its code, read item by item, is the same under
/// any of them. Sorted.
pub(crate) fn direct_deps(
    world: &World,
    compiling: CrateId,
    reached: &BTreeSet<CrateId>,
    feature_cfgs: &BTreeSet<CrateId>,
    externals: &BTreeSet<String>,
) -> Vec<DirectDep> {
    let package_dir = &world.crates[compiling as usize].index.manifest_dir;
    let named: BTreeSet<&str> = externals
        .iter()
        .flat_map(|external| external.split('|'))
        .collect();
    let mut out: BTreeSet<DirectDep> = BTreeSet::new();
    for krate in world
        .crates
        .iter()
        .filter(|k| &k.index.manifest_dir == package_dir)
    {
        for (extern_name, binding) in &krate.deps {
            let package = match binding {
                DepBinding::Crate(id) => {
                    let dep = &world.crates[*id as usize];
                    if &dep.index.manifest_dir == package_dir
                        || !reached.contains(id)
                        || !(feature_cfgs.contains(id) || features_reach_deps(&dep.manifest))
                    {
                        continue;
                    }
                    dep.manifest.package.clone()
                }
                DepBinding::External(identity) => {
                    if !named.contains(identity.as_str()) {
                        continue;
                    }
                    match identity.split('@').next() {
                        Some(name) if !name.is_empty() => name.to_owned(),
                        _ => continue,
                    }
                }
            };
            out.insert(DirectDep {
                package,
                extern_name: extern_name.clone(),
            });
        }
    }
    out.into_iter().collect()
}

/// Whether a package's features can ask something of its dependencies:
/// a `[features]` entry `dep/feature`, `dep?/feature` or `dep:name`, or an
/// optional dependency (whose implicit feature turns it on).
fn features_reach_deps(manifest: &Manifest) -> bool {
    manifest.features_text.contains('/')
        || manifest.features_text.contains("dep:")
        || manifest
            .deps
            .iter()
            .any(|dep| dep.build_decl.ends_with("optional=true"))
}

/// The features this build enabled for `dep`, as a sorted comma list, or
/// [`UNKNOWN_FEATURES`]: what the macro writes into the generated code.
/// Read from the command line of this process, which inside a proc macro
/// is the rustc run compiling the dependent crate.
///
/// Read once per dependency and process: every cached function of the
/// crate asks the same, and a record that never comes is waited for once.
pub fn dep_features_in_build(dep: &DirectDep) -> String {
    static READ: Mutex<BTreeMap<DirectDep, String>> = Mutex::new(BTreeMap::new());
    let mut read = READ.lock().unwrap_or_else(PoisonError::into_inner);
    read.entry(dep.clone())
        .or_insert_with(|| {
            RustcDeps::of_process()
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|rustc| features_in_build(rustc, dep, WAIT_FOR_RECORD))
                .unwrap_or_else(|_| UNKNOWN_FEATURES.to_owned())
        })
        .clone()
}

/// The features `rustc`'s `--extern` lib of `dep` was built with, from
/// cargo's fingerprint of that unit. While the unit's fingerprint
/// directory exists without its record (cargo is compiling it now), waits
/// up to `wait` for it. An error says why they are not known.
pub(crate) fn features_in_build(
    rustc: &RustcDeps,
    dep: &DirectDep,
    wait: Duration,
) -> Result<String, String> {
    let (_, lib) = rustc
        .externs
        .iter()
        .find(|(name, _)| *name == dep.extern_name)
        .ok_or_else(|| {
            format!(
                "`{}` is not on the compiler's command line",
                dep.extern_name
            )
        })?;
    let (target, hash) = extern_unit(lib)
        .ok_or_else(|| format!("{} is not in cargo's target layout", lib.display()))?;
    let json = record(&target, &dep.package, &hash, wait).ok_or_else(|| {
        format!(
            "cargo's fingerprint of `{}` ({hash}) was not found",
            dep.package
        )
    })?;
    let features = features_field(&json)
        .ok_or_else(|| format!("cargo's fingerprint of `{}` has no features", dep.package))?;
    Ok(features.into_iter().collect::<Vec<_>>().join(","))
}

/// Cargo's fingerprint of the lib unit `<package>-<hash>`, waiting up to
/// `wait` while its directory exists without it.
fn record(target: &Path, package: &str, hash: &str, wait: Duration) -> Option<String> {
    let unit_dir = target
        .join(".fingerprint")
        .join(format!("{package}-{hash}"));
    let start = Instant::now();
    loop {
        if let Some(json) = lib_fingerprint_json(target, package, hash) {
            return Some(json);
        }
        if !unit_dir.is_dir() || start.elapsed() >= wait {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The feature names of a cargo fingerprint's `features` field: a string
/// holding a JSON array (`"features":"[\"alloc\", \"std\"]"`), sorted and
/// deduplicated.
fn features_field(json: &str) -> Option<BTreeSet<String>> {
    let at = json.find("\"features\"")?;
    let rest = json[at + "\"features\"".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    // The string's text, unescaped up to its closing quote.
    let mut text = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next()? {
            '"' => break,
            '\\' => text.push(chars.next()?),
            c => text.push(c),
        }
    }
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    // Feature names hold no quotes: every other piece is one.
    Some(
        inner
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::fs;

    const HASH: &str = "4684510a60d9151c";

    fn serde_json() -> DirectDep {
        DirectDep {
            package: "serde_json".into(),
            extern_name: "serde_json".into(),
        }
    }

    /// `<target>/debug/deps/libserde_json-<hash>.rlib` and cargo's record
    /// of that unit, as a build leaves them.
    fn fake_build(features: Option<&str>) -> (tempfile::TempDir, RustcDeps) {
        let target = tempfile::tempdir().unwrap();
        let profile = target.path().join("debug");
        let deps = profile.join("deps");
        fs::create_dir_all(&deps).unwrap();
        let lib = deps.join(format!("libserde_json-{HASH}.rlib"));
        fs::write(&lib, b"").unwrap();
        let unit = profile
            .join(".fingerprint")
            .join(format!("serde_json-{HASH}"));
        fs::create_dir_all(&unit).unwrap();
        if let Some(features) = features {
            let escaped = features.replace('"', "\\\"");
            fs::write(
                unit.join("lib-serde_json.json"),
                format!(
                    "{{\"rustc\":1,\"features\":\"{escaped}\",\"declared_features\":\"[\\\"zzz\\\"]\",\"target\":2}}"
                ),
            )
            .unwrap();
        }
        let rustc = RustcDeps::parse(vec![
            OsString::from("rustc"),
            OsString::from("--extern"),
            OsString::from(format!("serde_json={}", lib.display())),
            OsString::from("-L"),
            OsString::from(format!("dependency={}", deps.display())),
        ]);
        (target, rustc)
    }

    #[test]
    fn features_are_read_from_cargos_record_of_the_extern_unit() {
        let (_target, rustc) = fake_build(Some(r#"["std", "default", "preserve_order", "alloc"]"#));
        assert_eq!(
            features_in_build(&rustc, &serde_json(), Duration::ZERO).unwrap(),
            "alloc,default,preserve_order,std"
        );
        let (_target, rustc) = fake_build(Some("[]"));
        assert_eq!(
            features_in_build(&rustc, &serde_json(), Duration::ZERO).unwrap(),
            ""
        );
    }

    #[test]
    fn a_missing_record_or_extern_is_not_known() {
        let (_target, rustc) = fake_build(None);
        assert!(features_in_build(&rustc, &serde_json(), Duration::ZERO).is_err());
        let (_target, rustc) = fake_build(Some(r#"["std"]"#));
        let renamed = DirectDep {
            package: "serde_json".into(),
            extern_name: "json".into(),
        };
        assert!(features_in_build(&rustc, &renamed, Duration::ZERO).is_err());
    }

    /// Cargo writes the record when the dependency's compilation ends,
    /// which may be after the dependent crate started (pipelining).
    #[test]
    fn a_record_written_while_waiting_is_read() {
        let (target, rustc) = fake_build(None);
        let unit = target
            .path()
            .join("debug/.fingerprint")
            .join(format!("serde_json-{HASH}"));
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            fs::write(
                unit.join("lib-serde_json.json"),
                r#"{"features":"[\"std\"]"}"#,
            )
            .unwrap();
        });
        let features = features_in_build(&rustc, &serde_json(), Duration::from_secs(20));
        writer.join().unwrap();
        assert_eq!(features.unwrap(), "std");
    }

    #[test]
    fn the_features_field_is_unescaped_and_sorted() {
        let json =
            r#"{"rustc":7,"features":"[\"b\", \"a\", \"b\"]","declared_features":"[\"c\"]"}"#;
        let features: Vec<String> = features_field(json).unwrap().into_iter().collect();
        assert_eq!(features, ["a", "b"]);
        assert_eq!(features_field(r#"{"rustc":7}"#), None);
    }
}
