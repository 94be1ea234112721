//! A published crate's source, taken from the registry at an exact version
//! and set up as a standalone path crate: funcache wrappers appended to its
//! own modules, a probe binary that calls them, built and run like the
//! fixtures in [`super`] (same target directory, same lock).
//!
//! The additions live in `fixtures/real-crates/<name>/`: files under
//! `append/` are appended to the crate's file of the same path, files under
//! `add/` are copied in. The probe prints, per wrapper, one line
//! `wrapper\t<name>\t<served>\t<uncached>\t<misses>` and its closure as
//! `dep\t<name>\t<path>\t<hash>` and `unresolved\t<name>\t<text>` lines.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{bump_mtime, copy_dir, fixture_target_dir, output_text, workspace};

/// A crate's unpacked source in cargo's registry cache.
#[derive(Debug, Clone)]
pub struct RegistrySource {
    pub dir: PathBuf,
    /// The registry could not be reached: the source came from cargo's
    /// offline cache, and builds must stay offline too.
    pub offline: bool,
}

/// Finds the unpacked source of `name` at exactly `version`, downloading it
/// through cargo (a throwaway project that depends on `name = "=version"`).
/// Falls back to cargo's offline cache; `Err` says why neither worked.
pub fn registry_source(name: &str, version: &str) -> Result<RegistrySource, String> {
    let project = tempfile::Builder::new()
        .prefix("funcache-fetch-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let manifest = project.path().join("Cargo.toml");
    fs::write(
        &manifest,
        format!(
            "[package]\nname = \"funcache-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[dependencies]\n{name} = \"={version}\"\n\n[workspace]\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    fs::create_dir(project.path().join("src")).map_err(|e| e.to_string())?;
    fs::write(project.path().join("src/lib.rs"), "").map_err(|e| e.to_string())?;

    let mut errors = Vec::new();
    for offline in [false, true] {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(&manifest)
            // Fail fast when the registry cannot be reached.
            .env("CARGO_NET_RETRY", "1")
            .env("CARGO_HTTP_TIMEOUT", "20");
        if offline {
            command.arg("--offline");
        }
        let output = command.output().map_err(|e| e.to_string())?;
        if !output.status.success() {
            errors.push(output_text(&output).1);
            continue;
        }
        let metadata: serde_json::Value =
            serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
        let found = metadata["packages"].as_array().and_then(|packages| {
            packages
                .iter()
                .find(|p| p["name"] == name && p["version"] == version)
        });
        return match found.and_then(|p| p["manifest_path"].as_str()) {
            Some(manifest) => Ok(RegistrySource {
                dir: Path::new(manifest).parent().unwrap().to_path_buf(),
                offline,
            }),
            None => Err(format!("cargo metadata lists no {name} {version}")),
        };
    }
    Err(errors.join("\n"))
}

/// How one build of the crate is configured.
#[derive(Debug, Clone, Default)]
pub struct BuildConfig {
    /// `Some(list)`: `--no-default-features --features <list>`.
    pub features: Option<Vec<String>>,
    /// Environment variables set for the build (for `env!`/`option_env!`).
    pub env: Vec<(String, String)>,
}

/// The copied crate.
pub struct RealCrate {
    dir: tempfile::TempDir,
    binary: String,
    offline: bool,
    /// Variables read at compile time by the crate: unset unless a
    /// [`BuildConfig`] sets them, so the caller's environment cannot leak in.
    build_env_names: Vec<String>,
}

/// What the probe binary reported for one wrapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperReport {
    /// The value the cached wrapper returned (Rust `Debug` text).
    pub served: String,
    /// The value its body computes in this build.
    pub uncached: String,
    /// How many times the cached wrapper ran its body in this process.
    pub misses: u64,
    /// The fingerprint's closure: item path to item hash.
    pub dependencies: BTreeMap<String, String>,
    pub unresolved: Vec<String>,
}

impl RealCrate {
    /// Copies `source` to a temporary directory and applies the additions
    /// in `fixtures/real-crates/<overlay>/`; the probe binary is `binary`.
    pub fn prepare(
        source: &RegistrySource,
        overlay: &str,
        binary: &str,
        build_env_names: &[&str],
    ) -> RealCrate {
        let dir = tempfile::Builder::new()
            .prefix("funcache-real-crate-")
            .tempdir()
            .unwrap();
        copy_dir(&source.dir, dir.path());
        let overlay = workspace().join("fixtures/real-crates").join(overlay);
        super::overlay::append(&overlay, dir.path(), &|_, text| Some(text));
        super::overlay::add(&overlay, dir.path());
        let manifest = dir.path().join("Cargo.toml");
        let mut text = fs::read_to_string(&manifest).unwrap();
        text.push_str(&format!(
            "\n[dependencies.funcache]\npath = {:?}\n\n\
             [[bin]]\nname = \"{binary}\"\npath = \"src/bin/{binary}.rs\"\n\n\
             [workspace]\n",
            workspace().join("funcache").to_str().unwrap()
        ));
        fs::write(&manifest, text).unwrap();
        // Resolve funcache's dependencies to the versions used here.
        fs::copy(
            workspace().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        RealCrate {
            dir,
            binary: binary.to_owned(),
            offline: source.offline,
            build_env_names: build_env_names.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn read(&self, file: &str) -> String {
        fs::read_to_string(self.path().join(file)).unwrap()
    }

    /// Writes a whole file, moving its mtime past any earlier build.
    pub fn write(&self, file: &str, contents: &str) {
        let path = self.path().join(file);
        fs::write(&path, contents).unwrap();
        bump_mtime(&path);
    }

    /// Builds the probe binary; `Err` carries cargo's output.
    pub fn build(&self, config: &BuildConfig) -> Result<(), String> {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(["build", "--quiet", "--bin", &self.binary, "--manifest-path"])
            .arg(self.path().join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", fixture_target_dir())
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .env_remove("FUNCACHE_DIR");
        if self.offline {
            command.arg("--offline");
        }
        if let Some(features) = &config.features {
            command
                .arg("--no-default-features")
                .arg("--features")
                .arg(features.join(","));
        }
        for name in &self.build_env_names {
            command.env_remove(name);
        }
        command.envs(config.env.iter().map(|(k, v)| (k, v)));
        let output = command.output().unwrap();
        if output.status.success() {
            Ok(())
        } else {
            let (stdout, stderr) = output_text(&output);
            Err(format!("{stdout}\n{stderr}"))
        }
    }

    /// Runs the probe with `cache_dir` as `FUNCACHE_DIR`.
    pub fn run(&self, cache_dir: &Path) -> BTreeMap<String, WrapperReport> {
        let binary = fixture_target_dir().join("debug").join(&self.binary);
        let mut command = Command::new(&binary);
        command.env("FUNCACHE_DIR", cache_dir);
        for var in ["FUNCACHE_REFRESH", "FUNCACHE_DISABLE", "FUNCACHE_READONLY"] {
            command.env_remove(var);
        }
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let (stdout, stderr) = output_text(&output);
        assert!(output.status.success(), "probe failed:\n{stdout}\n{stderr}");
        parse_probe(&stdout)
    }
}

/// Reads the probe's tab-separated report.
fn parse_probe(stdout: &str) -> BTreeMap<String, WrapperReport> {
    let mut reports = BTreeMap::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["wrapper", name, served, uncached, misses] => {
                reports.insert(
                    name.to_owned(),
                    WrapperReport {
                        served: served.to_owned(),
                        uncached: uncached.to_owned(),
                        misses: misses.parse().unwrap(),
                        dependencies: BTreeMap::new(),
                        unresolved: Vec::new(),
                    },
                );
            }
            ["dep", name, path, hash] => {
                let report: &mut WrapperReport = reports.get_mut(name).unwrap();
                report.dependencies.insert(path.to_owned(), hash.to_owned());
            }
            ["unresolved", name, text] => {
                reports
                    .get_mut(name)
                    .unwrap()
                    .unresolved
                    .push(text.to_owned());
            }
            _ => panic!("unexpected probe line {line:?}"),
        }
    }
    reports
}
