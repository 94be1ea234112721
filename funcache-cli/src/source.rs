//! The current source: every cached function of a package (or of every
//! member of a virtual workspace) with the fingerprint the macro would
//! embed now, computed by `funcache-index` without building anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use funcache::CacheDir;
use funcache_index::CachedFn;
use serde::Serialize;

use crate::build_answers;
use crate::error::{CliError, IndexMessage};

/// How a stored fingerprint relates to the current source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The current source produces it: its entries can hit.
    Live,
    /// The function is in the source with another fingerprint.
    Stale,
    /// The function belongs to a crate of the package but is no longer in
    /// its source (removed or renamed).
    Gone,
    /// The function is not from the package read (another package sharing
    /// the directory, a dependency), or its fingerprint depends on the
    /// build (cargo features and other `cfg`s, compile-time environment
    /// variables, code generated into `OUT_DIR`) in a way the answers
    /// recorded with it do not settle, or it is the macro's fallback (a
    /// function a macro wrote, whose expansion the source does not show):
    /// left alone by `purge --stale`.
    Unknown,
}

impl Status {
    /// Whether `purge --stale` removes entries with this status.
    pub fn is_stale(self) -> bool {
        matches!(self, Status::Stale | Status::Gone)
    }

    /// The word used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Stale => "stale",
            Status::Gone => "gone",
            Status::Unknown => "unknown",
        }
    }
}

/// The cached functions of the current source.
#[derive(Debug)]
pub struct Source {
    /// What was read (a package or a workspace root).
    pub manifest_dir: PathBuf,
    /// Crate names of every target of the packages read: a function id
    /// starting with one of them belongs to this source.
    crates: BTreeSet<String>,
    /// By function id. Usually one per id; a function defined twice under
    /// different `#[cfg]`s has one per definition.
    functions: BTreeMap<String, Vec<CachedFn>>,
    /// Stored fingerprints of functions whose fingerprint depends on the
    /// build, judged against the build recorded with them
    /// ([`judge_build`](Self::judge_build)).
    verdicts: BTreeMap<(String, [u8; 32]), Status>,
}

impl Source {
    /// Indexes the package at `manifest_dir`, or every member of the
    /// workspace if its manifest is a virtual one.
    pub fn load(manifest_dir: &Path) -> Result<Source, CliError> {
        let mut source = Source {
            manifest_dir: manifest_dir.to_path_buf(),
            crates: BTreeSet::new(),
            functions: BTreeMap::new(),
            verdicts: BTreeMap::new(),
        };
        for package in packages(manifest_dir)? {
            source.crates.extend(crate_names(&package));
            let found =
                funcache_index::package_cached_fns(&package).map_err(|e| CliError::Index {
                    manifest_dir: package.clone(),
                    source: IndexMessage(e),
                })?;
            for function in found {
                let id = format!("{}::{}", function.crate_name, function.analysis.item_path);
                source.crates.insert(function.crate_name.clone());
                source.functions.entry(id).or_default().push(function);
            }
        }
        Ok(source)
    }

    /// Every cached function id of the source.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// The definitions of `id` (empty if it is not in the source).
    pub fn definitions(&self, id: &str) -> &[CachedFn] {
        self.functions.get(id).map_or(&[], Vec::as_slice)
    }

    /// Judges the stored fingerprints the current source alone cannot:
    /// those of every function whose fingerprint depends on the build, from
    /// the build's answers recorded with each — live when the current
    /// source, built that way, has it; stale when it does not; unknown when
    /// the record does not answer what the current source asks — and the
    /// macro's fallback fingerprints, always unknown.
    pub fn judge_build(&mut self, cache: &CacheDir) -> Result<(), CliError> {
        for record in cache.all_fingerprints()? {
            if is_fallback(&record.dependencies) {
                self.verdicts.insert(
                    (record.fn_id, *record.fingerprint.as_bytes()),
                    Status::Unknown,
                );
            }
        }
        for (id, definitions) in &self.functions {
            if definitions.iter().all(|d| d.analysis.build.is_empty()) {
                continue;
            }
            for record in cache.fingerprints(id)? {
                let rebuilt: Vec<Option<[u8; 32]>> = definitions
                    .iter()
                    .map(|d| build_answers::under_recorded_build(&d.analysis, &record.dependencies))
                    .collect();
                let stored = *record.fingerprint.as_bytes();
                if is_fallback(&record.dependencies) {
                    continue;
                }
                let verdict = if rebuilt.contains(&Some(stored)) {
                    Status::Live
                } else if rebuilt.iter().all(Option::is_some) {
                    Status::Stale
                } else {
                    Status::Unknown
                };
                self.verdicts.insert((id.clone(), stored), verdict);
            }
        }
        Ok(())
    }

    /// How `fingerprint` (its bytes) of function `id` relates to the source.
    pub fn status(&self, id: &str, fingerprint: &[u8; 32]) -> Status {
        let verdict = self.verdicts.get(&(id.to_owned(), *fingerprint)).copied();
        match self.functions.get(id) {
            Some(definitions) => {
                // A few `cfg`s alone (`debug_assertions` at least, in
                // every fingerprint) give a few possible fingerprints.
                let every: Vec<Option<Vec<[u8; 32]>>> = definitions
                    .iter()
                    .map(|d| build_answers::every_build(&d.analysis))
                    .collect();
                let live = definitions.iter().zip(&every).any(|(d, every)| {
                    d.analysis.fingerprint.as_bytes() == fingerprint
                        || every.as_ref().is_some_and(|e| e.contains(fingerprint))
                });
                // Otherwise the build mixes into such a fingerprint what
                // reading the source cannot know: only the answers recorded
                // with it tell (calling it stale on a guess could purge
                // entries the next build would hit).
                let build_dependent = definitions
                    .iter()
                    .zip(&every)
                    .any(|(d, every)| !d.analysis.build.is_empty() && every.is_none());
                if live {
                    Status::Live
                } else if let Some(verdict) = verdict {
                    verdict
                } else if build_dependent {
                    Status::Unknown
                } else {
                    Status::Stale
                }
            }
            // A function the index does not list may be one a macro wrote
            // (the fallback's records say so): not gone.
            None => verdict.unwrap_or_else(|| {
                let krate = id.split("::").next().unwrap_or(id);
                if self.crates.contains(krate) {
                    Status::Gone
                } else {
                    Status::Unknown
                }
            }),
        }
    }
}

/// Whether a recorded dependency list is the macro's fallback's (a function
/// the index could not analyze, such as one a `macro_rules!` writes): its
/// fingerprint covers the expansion's own tokens and where it happened,
/// which reading the source cannot recompute.
pub fn is_fallback(dependencies: &[(String, String)]) -> bool {
    dependencies.iter().any(|(path, _)| {
        path == funcache_index::FALLBACK_PACKAGE_SOURCES
            || path == funcache_index::FALLBACK_CALL_SITE
    })
}

/// The package at `dir`, or the members of the virtual workspace there.
fn packages(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    funcache_index::package_dirs(dir).map_err(|e| {
        // The index's messages are for compile errors; here the CLI speaks.
        let message = e.to_string();
        CliError::NoPackage(message.trim_start_matches("funcache: ").to_owned())
    })
}

/// The crate names (`CARGO_CRATE_NAME`) of every target of the package:
/// declared ones and cargo's auto-discovered ones. A function id whose
/// crate is one of these but which the source no longer has is gone; any
/// other is somebody else's and is left alone.
fn crate_names(dir: &Path) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = funcache_index::package_crate_names(dir)
        .unwrap_or_default()
        .into_iter()
        .collect();
    // The package's own name counts too, even without a target of that
    // name: an id under it is this package's, never somebody else's.
    let package = funcache_index::package_name(dir).map(|name| name.replace('-', "_"));
    names.extend(package);
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(crate_name: &str, item_path: &str, fingerprint: u8) -> CachedFn {
        CachedFn {
            crate_name: crate_name.into(),
            options_source: String::new(),
            analysis: funcache_index::Analysis {
                item_path: item_path.into(),
                impl_context: None,
                dependencies: Vec::new(),
                externals: Vec::new(),
                unresolved: Vec::new(),
                fingerprint: funcache_index::Digest([fingerprint; 32]),
                build: funcache_index::BuildInputs::default(),
                tracked_files: Vec::new(),
                warnings: Vec::new(),
            },
        }
    }

    #[test]
    fn statuses_tell_stale_from_gone_from_somebody_else_s() {
        let mut source = Source {
            manifest_dir: PathBuf::from("app"),
            crates: ["app".to_owned(), "app_tool".to_owned()].into(),
            functions: BTreeMap::new(),
            verdicts: BTreeMap::new(),
        };
        // One function defined twice under different `#[cfg]`s.
        source.functions.insert(
            "app::f".into(),
            vec![cached("app", "f", 1), cached("app", "f", 2)],
        );
        let fp = |byte| [byte; 32];
        assert_eq!(source.status("app::f", &fp(1)), Status::Live);
        assert_eq!(source.status("app::f", &fp(2)), Status::Live);
        assert_eq!(source.status("app::f", &fp(3)), Status::Stale);
        assert_eq!(source.status("app_tool::removed", &fp(1)), Status::Gone);
        assert_eq!(source.status("other::f", &fp(1)), Status::Unknown);
        // A fingerprint the build decides part of cannot be judged from source.
        let mut featured = cached("app", "g", 4);
        featured.analysis.build.env.push("MODE".into());
        source.functions.insert("app::g".into(), vec![featured]);
        assert_eq!(source.status("app::g", &fp(5)), Status::Unknown);
        source
            .verdicts
            .insert(("app::g".into(), fp(5)), Status::Stale);
        assert_eq!(source.status("app::g", &fp(5)), Status::Stale);
        // The fallback's records (a function a macro wrote) are judged
        // unknown, in the source or not.
        source
            .verdicts
            .insert(("app::one::f".into(), fp(6)), Status::Unknown);
        assert_eq!(source.status("app::one::f", &fp(6)), Status::Unknown);
        assert_eq!(source.status("app::one::f", &fp(7)), Status::Gone);
        source
            .verdicts
            .insert(("app::f".into(), fp(6)), Status::Unknown);
        assert_eq!(source.status("app::f", &fp(6)), Status::Unknown);
        assert_eq!(source.status("app::f", &fp(1)), Status::Live);
        assert!(Status::Stale.is_stale() && Status::Gone.is_stale());
        assert!(!Status::Live.is_stale() && !Status::Unknown.is_stale());
    }

    #[test]
    fn fallback_records_are_told_by_their_markers() {
        let record = |paths: &[&str]| -> Vec<(String, String)> {
            paths
                .iter()
                .map(|p| ((*p).to_owned(), "00".to_owned()))
                .collect()
        };
        assert!(is_fallback(&record(&[
            "crate::f",
            funcache_index::FALLBACK_CALL_SITE,
            funcache_index::FALLBACK_PACKAGE_SOURCES,
        ])));
        assert!(is_fallback(&record(&[
            "crate::f",
            funcache_index::FALLBACK_PACKAGE_SOURCES,
        ])));
        assert!(!is_fallback(&record(&["crate::f", "crate::helpers::g"])));
    }

    #[test]
    fn workspace_members_and_target_names() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\", \"tool\"]\nexclude = [\"crates/skip\"]\n",
        )
        .unwrap();
        for (member, name) in [
            ("crates/a", "pkg-a"),
            ("crates/skip", "skip"),
            ("tool", "tool"),
        ] {
            std::fs::create_dir_all(root.join(member).join("src/bin")).unwrap();
            std::fs::write(
                root.join(member).join("Cargo.toml"),
                format!("[package]\nname = \"{name}\"\n"),
            )
            .unwrap();
        }
        std::fs::write(root.join("crates/a/src/bin/extra-bin.rs"), "fn main() {}").unwrap();
        let found = packages(root).unwrap();
        assert_eq!(found, [root.join("crates/a"), root.join("tool")]);
        let names = crate_names(&root.join("crates/a"));
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["extra_bin", "pkg_a"]
        );
    }
}
