//! What the index needs from `Cargo.toml` and `Cargo.lock`: targets,
//! dependencies (path or registry, renamed or not) and locked versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use toml_edit::{Document, Item, Table};

use crate::IndexError;
use crate::text_memo::TextMemo;
use crate::workspace::Workspace;

/// A dependency as code names it.
#[derive(Clone, Debug)]
pub(crate) struct Dep {
    /// The key with `-` turned into `_`: the name code uses when the
    /// entry renames the package (`package = ".."`); otherwise code uses
    /// the name of the dependency's lib target (its `[lib] name`), which
    /// only the dependency's own manifest tells (see [`Dep::renamed`]).
    pub code_name: String,
    /// Whether the entry (or the `[workspace.dependencies]` entry it
    /// inherits) says `package = ".."`: then cargo names the crate after
    /// the key, whatever its `[lib] name`.
    pub renamed: bool,
    /// The package name (`package = ".."` or the key).
    pub package: String,
    /// For `path = ".."` dependencies: the directory, absolute.
    pub path: Option<PathBuf>,
    /// The version requirement as written, if any.
    pub req: Option<String>,
    /// What the declaration asks of the dependency's build, in one
    /// spelling: `features`, `default-features`, `optional` (never its
    /// path: a key must not depend on where a checkout is).
    pub build_decl: String,
}

/// An explicit `[lib]`, `[[bin]]`, … table.
#[derive(Clone, Debug, Default)]
pub(crate) struct TargetDecl {
    pub name: Option<String>,
    pub path: Option<String>,
}

/// The parts of a package manifest the index uses.
#[derive(Clone, Debug, Default)]
pub(crate) struct Manifest {
    pub dir: PathBuf,
    pub package: String,
    pub version: Option<String>,
    /// The Rust edition the package's code is compiled under (`2015` when
    /// the manifest names none; `edition.workspace = true` inherits
    /// `[workspace.package]`'s): the same text may mean other code under
    /// another edition (`array.into_iter()`, closures' captures, …).
    pub edition: String,
    pub lib: Option<TargetDecl>,
    pub bins: Vec<TargetDecl>,
    pub examples: Vec<TargetDecl>,
    pub tests: Vec<TargetDecl>,
    pub benches: Vec<TargetDecl>,
    /// `autobins = false` etc.; `autolib` included.
    pub auto: BTreeMap<String, bool>,
    /// Normal, dev and target-specific dependencies (code may name any of
    /// them under some cfg; over-including is the safe side).
    pub deps: Vec<Dep>,
    /// `[lib] proc-macro = true`.
    pub proc_macro: bool,
    /// The `[package]` table (and the `[workspace.package]` it may inherit
    /// from) in one spelling: every `CARGO_PKG_*` value is a function of it.
    pub package_text: String,
    /// The `[features]` table in one spelling.
    pub features_text: String,
    /// The package's features: the keys of `[features]` and the implicit
    /// feature of each optional dependency no `dep:` names, sorted.
    pub features: Vec<String>,
    /// Every dependency declaration, each table kept apart (a
    /// target-specific table may ask other features of the same package):
    /// `<table> <key>: <package> <build_decl>`, sorted; no path.
    pub dep_decls: Vec<String>,
}

fn read(path: &Path) -> Result<String, IndexError> {
    std::fs::read_to_string(path).map_err(|e| IndexError::io(path, e))
}

/// `text`, the text of `path`, as TOML: parsed once per process and text
/// (see [`crate::text_memo`]; a rustc run reads the same manifests and
/// lock for every cached function).
fn parse_toml(path: &Path, text: String) -> Result<Arc<Document<String>>, IndexError> {
    static PARSED: TextMemo<Document<String>> = TextMemo::new();
    PARSED.get(path, text, |text| {
        Document::parse(text.to_owned()).map_err(|e| IndexError::Manifest {
            path: path.to_owned(),
            message: e.to_string().trim().to_owned(),
        })
    })
}

fn str_of(item: Option<&Item>) -> Option<String> {
    item.and_then(Item::as_str).map(str::to_owned)
}

fn target_decls(table: &Table, key: &str) -> Vec<TargetDecl> {
    let Some(array) = table.get(key).and_then(Item::as_array_of_tables) else {
        return Vec::new();
    };
    array
        .iter()
        .map(|t| TargetDecl {
            name: str_of(t.get("name")),
            path: str_of(t.get("path")),
        })
        .collect()
}

impl Manifest {
    /// [`Manifest::load`], once per process and text (see
    /// [`crate::text_memo`]: each cached function of a rustc run asks for
    /// the path packages' manifests). A manifest is read from
    /// `dir/Cargo.toml` and the workspace's above it, so the texts of every
    /// `Cargo.toml` at or above `dir` are the key.
    pub fn load_shared(dir: &Path) -> Result<Arc<Manifest>, IndexError> {
        static LOADED: TextMemo<Manifest, [Option<String>]> = TextMemo::new();
        let texts: Vec<Option<String>> = dir
            .ancestors()
            .map(|d| std::fs::read_to_string(d.join("Cargo.toml")).ok())
            .collect();
        LOADED.get(&dir.join("Cargo.toml"), texts, |_| Manifest::load(dir))
    }

    /// Reads `dir/Cargo.toml`. Dependencies declared `workspace = true` are
    /// looked up in the workspace root's `[workspace.dependencies]`.
    pub fn load(dir: &Path) -> Result<Manifest, IndexError> {
        let path = dir.join("Cargo.toml");
        let doc = parse_toml(&path, read(&path)?)?;
        let root = doc.as_table();
        let package = root.get("package").and_then(Item::as_table_like);
        let name = package
            .and_then(|p| p.get("name"))
            .and_then(Item::as_str)
            .ok_or_else(|| IndexError::Manifest {
                path: path.clone(),
                message: "no `[package] name`".into(),
            })?
            .to_owned();
        let version = package
            .and_then(|p| p.get("version"))
            .and_then(Item::as_str)
            .map(str::to_owned);
        let mut auto = BTreeMap::new();
        if let Some(p) = package {
            for key in [
                "autolib",
                "autobins",
                "autoexamples",
                "autotests",
                "autobenches",
            ] {
                if let Some(v) = p.get(key).and_then(Item::as_bool) {
                    auto.insert(key.to_owned(), v);
                }
            }
        }
        let proc_macro = root
            .get("lib")
            .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
            .and_then(Item::as_bool)
            .unwrap_or(false);
        let enclosing = Workspace::enclosing(dir);
        let workspace_package = enclosing
            .as_ref()
            .and_then(|ws| ws.package_table_text())
            .unwrap_or_default();
        let edition = match package.and_then(|p| p.get("edition")) {
            Some(item) if item.get("workspace").and_then(Item::as_bool) == Some(true) => enclosing
                .as_ref()
                .and_then(|ws| ws.package_value("edition")),
            Some(item) => item.as_str().map(str::to_owned),
            None => None,
        }
        .unwrap_or_else(|| "2015".to_owned());
        let package_text = format!(
            "{}\n{workspace_package}",
            root.get("package")
                .map(crate::toml_text::canonical)
                .unwrap_or_default()
        );
        let features_text = root
            .get("features")
            .map(crate::toml_text::canonical)
            .unwrap_or_default();
        let lib = root
            .get("lib")
            .and_then(Item::as_table)
            .map(|t| TargetDecl {
                name: str_of(t.get("name")),
                path: str_of(t.get("path")),
            });
        let mut manifest = Manifest {
            dir: dir.to_owned(),
            package: name,
            version,
            edition,
            lib,
            bins: target_decls(root, "bin"),
            examples: target_decls(root, "example"),
            tests: target_decls(root, "test"),
            benches: target_decls(root, "bench"),
            auto,
            deps: Vec::new(),
            proc_macro,
            package_text,
            features_text,
            features: Vec::new(),
            dep_decls: Vec::new(),
        };
        let workspace = WorkspaceDeps::find(dir);
        const DEP_TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
        let mut tables: Vec<(String, &Table)> = Vec::new();
        for key in DEP_TABLES {
            if let Some(t) = root.get(key).and_then(Item::as_table) {
                tables.push((key.to_owned(), t));
            }
        }
        if let Some(targets) = root.get("target").and_then(Item::as_table) {
            for (cfg_key, cfg) in targets.iter() {
                for key in DEP_TABLES {
                    if let Some(t) = cfg.get(key).and_then(Item::as_table) {
                        tables.push((format!("target.{cfg_key}.{key}"), t));
                    }
                }
            }
        }
        let mut optional: Vec<String> = Vec::new();
        for (table_name, table) in tables {
            for (key, value) in table.iter() {
                let mut dep = dep_from(dir, key, value);
                if value.get("optional").and_then(Item::as_bool) == Some(true) {
                    optional.push(key.to_owned());
                }
                if value.get("workspace").and_then(Item::as_bool) == Some(true)
                    && let Some(ws) = workspace.as_ref().and_then(|w| w.get(key))
                {
                    dep.path = dep.path.or(ws.path);
                    dep.req = dep.req.or(ws.req);
                    dep.build_decl = format!("{} {}", dep.build_decl, ws.build_decl);
                    if value.get("package").is_none() {
                        dep.package = ws.package;
                        dep.renamed = ws.renamed;
                    }
                }
                manifest.dep_decls.push(format!(
                    "{table_name} {key}: {} {}",
                    dep.package, dep.build_decl
                ));
                if !manifest.deps.iter().any(|d| d.code_name == dep.code_name) {
                    manifest.deps.push(dep);
                }
            }
        }
        manifest.dep_decls.sort();
        manifest.features = feature_names(root.get("features"), optional);
        Ok(manifest)
    }

    /// The lib target's crate name.
    pub fn lib_crate_name(&self) -> String {
        self.lib
            .as_ref()
            .and_then(|l| l.name.clone())
            .unwrap_or_else(|| self.package.clone())
            .replace('-', "_")
    }
}

/// The keys of `[features]` and the implicit feature of each optional
/// dependency in `optional` that no feature names as `dep:<key>`, sorted.
fn feature_names(features: Option<&Item>, optional: Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut explicit_deps: Vec<String> = Vec::new();
    if let Some(table) = features.and_then(Item::as_table_like) {
        for (name, value) in table.iter() {
            names.push(name.to_owned());
            let values = value.as_array().into_iter().flat_map(|a| a.iter());
            for value in values.filter_map(|v| v.as_str()) {
                if let Some(dep) = value.strip_prefix("dep:") {
                    explicit_deps.push(dep.to_owned());
                }
            }
        }
    }
    names.extend(
        optional
            .into_iter()
            .filter(|dep| !explicit_deps.contains(dep)),
    );
    names.sort();
    names.dedup();
    names
}

fn dep_from(dir: &Path, key: &str, value: &Item) -> Dep {
    let package = value
        .get("package")
        .and_then(Item::as_str)
        .unwrap_or(key)
        .to_owned();
    let path = value
        .get("path")
        .and_then(Item::as_str)
        .map(|p| dir.join(p));
    let req = value
        .as_str()
        .or_else(|| value.get("version").and_then(Item::as_str))
        .map(str::to_owned);
    Dep {
        code_name: key.replace('-', "_"),
        renamed: value.get("package").is_some(),
        package,
        path,
        req,
        build_decl: build_decl(value),
    }
}

/// `features`, `default-features` and `optional` of a dependency entry,
/// in one spelling (sorted features; absent keys as cargo's defaults).
fn build_decl(value: &Item) -> String {
    let mut features = crate::toml_text::strings(value.get("features"));
    features.sort();
    features.dedup();
    let flag = |keys: [&str; 2], default: bool| {
        keys.iter()
            .find_map(|k| value.get(k).and_then(Item::as_bool))
            .unwrap_or(default)
    };
    format!(
        "features={features:?} default-features={} optional={}",
        flag(["default-features", "default_features"], true),
        flag(["optional", "optional"], false)
    )
}

/// Where `[patch.<source>]` and `[replace]` tables of the manifest in
/// `root` (the workspace root: cargo reads them nowhere else) point
/// packages at a local directory: package name → directory, absolute.
pub(crate) fn patched_paths(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let path = root.join("Cargo.toml");
    let Ok(doc) = read(&path).and_then(|text| parse_toml(&path, text)) else {
        return out;
    };
    let mut tables: Vec<&Table> = Vec::new();
    if let Some(patch) = doc.as_table().get("patch").and_then(Item::as_table) {
        tables.extend(patch.iter().filter_map(|(_, t)| t.as_table()));
    }
    if let Some(replace) = doc.as_table().get("replace").and_then(Item::as_table) {
        tables.push(replace);
    }
    for table in tables {
        for (key, value) in table.iter() {
            if let Some(dir) = value.get("path").and_then(Item::as_str) {
                // `[replace]` keys are `name:version`.
                let key = key.split(':').next().unwrap_or(key);
                let name = value.get("package").and_then(Item::as_str).unwrap_or(key);
                out.insert(name.to_owned(), root.join(dir));
            }
        }
    }
    out
}

/// What a fingerprint records the workspace's `[profile.*]` tables under.
pub(crate) const PROFILE_INPUT: &str = "<[profile] tables>";

/// A digest of the `[profile.*]` tables of the manifest in `root` (the
/// workspace root: cargo reads them nowhere else), `None` when there are
/// none. `overflow-checks` decides what arithmetic does, and no `cfg` on
/// stable Rust tells it; an explicit setting lives here.
pub(crate) fn profile_digest(root: &Path) -> Option<crate::Digest> {
    let path = root.join("Cargo.toml");
    let doc = read(&path).and_then(|text| parse_toml(&path, text)).ok()?;
    let profile = doc.as_table().get("profile")?;
    Some(blake3::hash(crate::toml_text::canonical(profile).as_bytes()).into())
}

/// `[workspace.dependencies]` of the nearest enclosing workspace root.
struct WorkspaceDeps {
    deps: Vec<Dep>,
}

impl WorkspaceDeps {
    fn find(dir: &Path) -> Option<WorkspaceDeps> {
        let ws = Workspace::enclosing(dir)?;
        let deps = ws
            .dependencies()
            .into_iter()
            .map(|(k, v)| dep_from(ws.root(), k, v))
            .collect();
        Some(WorkspaceDeps { deps })
    }

    fn get(&self, key: &str) -> Option<Dep> {
        let code = key.replace('-', "_");
        self.deps.iter().find(|d| d.code_name == code).cloned()
    }
}

/// Locked versions, from the `Cargo.lock` above a package.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lock {
    /// The lock file, if one was found.
    pub path: Option<PathBuf>,
    /// `(name, version, source, dependencies)` per `[[package]]`; no
    /// source for a path package (the workspace's own, path dependencies,
    /// `[patch]`es and `[replace]`s with a path).
    packages: Vec<(String, String, Option<String>, Vec<String>)>,
    /// For each package, the packages its dependency list names (indices
    /// into `packages`), worked out when [`Lock::dependents`] first asks.
    edges: OnceLock<Vec<Vec<usize>>>,
}

/// The source of crates.io's packages: the only one left out of an
/// external's identity, so the common case reads `name@version`.
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// What identifies a locked package: where it comes from decides its code
/// as much as its version (a new commit of a git dependency keeps the
/// version; another registry may publish other code under one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Locked {
    /// `name@version`, or `name@version@source` outside crates.io.
    Remote(String),
    /// A path package that is not a path dependency (a `[patch]` or
    /// `[replace]` with a path): its code is on this disk.
    Path { package: String, version: String },
}

impl Lock {
    /// The `Cargo.lock` nearest above `dir` (cargo's own rule: the lock
    /// of the workspace the package belongs to), if any.
    pub(crate) fn path(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|a| a.join("Cargo.lock"))
            .find(|p| p.is_file())
    }

    /// Finds and reads the `Cargo.lock` nearest above `dir`; an absent lock
    /// file gives an empty lock. Read once per process and text (see
    /// [`crate::text_memo`]): every cached function of a rustc run asks.
    pub fn find(dir: &Path) -> Result<Arc<Lock>, IndexError> {
        static READ: TextMemo<Lock> = TextMemo::new();
        let Some(path) = Lock::path(dir) else {
            return Ok(Arc::default());
        };
        READ.get(&path, read(&path)?, |text| Lock::parse(&path, text))
    }

    fn parse(path: &Path, text: &str) -> Result<Lock, IndexError> {
        let doc = Document::parse(text).map_err(|e| IndexError::Manifest {
            path: path.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        let mut packages = Vec::new();
        if let Some(array) = doc
            .as_table()
            .get("package")
            .and_then(Item::as_array_of_tables)
        {
            for p in array.iter() {
                let name = str_of(p.get("name")).unwrap_or_default();
                let version = str_of(p.get("version")).unwrap_or_default();
                let source = str_of(p.get("source"));
                let deps = crate::toml_text::strings(p.get("dependencies"));
                packages.push((name, version, source, deps));
            }
        }
        Ok(Lock {
            path: Some(path.to_owned()),
            packages,
            edges: OnceLock::new(),
        })
    }

    /// The identity of dependency `package` of the package `owner`
    /// (version `owner_version`): the entry `owner`'s own entry lists when
    /// several are locked, else the only one; `name@<req>` when unlocked.
    /// See [`Locked`].
    pub fn external(
        &self,
        owner: &str,
        owner_version: Option<&str>,
        package: &str,
        req: Option<&str>,
    ) -> Locked {
        let owner_entry = self
            .packages
            .iter()
            .filter(|p| p.0 == owner && p.2.is_none())
            .find(|p| owner_version.is_none_or(|v| v == p.1))
            .or_else(|| self.packages.iter().find(|p| p.0 == owner));
        let entries =
            |version: Option<&str>| -> Vec<&(String, String, Option<String>, Vec<String>)> {
                self.packages
                    .iter()
                    .filter(|p| p.0 == package && version.is_none_or(|v| v == p.1))
                    .collect()
            };
        if let Some(entry) = owner_entry {
            for dep in &entry.3 {
                // `name`, `name version` or `name version (source)`.
                let mut parts = dep.splitn(3, ' ');
                if parts.next() == Some(package)
                    && let Some(version) = parts.next()
                {
                    let source = parts
                        .next()
                        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
                    let entry = entries(Some(version))
                        .into_iter()
                        .find(|p| source.is_none() || p.2.as_deref() == source);
                    return identity(
                        package,
                        version,
                        entry.map_or(source, |e| e.2.as_deref()),
                        entry.is_some(),
                    );
                }
            }
        }
        let found = entries(None);
        match found.as_slice() {
            [only] => identity(package, &only.1, only.2.as_deref(), true),
            // Several and the owner's entry did not say: all of them, so
            // any upgrade invalidates.
            [_, ..] => {
                let mut all: Vec<String> = found
                    .iter()
                    .map(|p| match identity(package, &p.1, p.2.as_deref(), true) {
                        Locked::Remote(x) => x,
                        Locked::Path { package, version } => format!("{package}@{version}@path"),
                    })
                    .collect();
                all.sort();
                all.dedup();
                Locked::Remote(all.join("|"))
            }
            [] => Locked::Remote(format!("{package}@{}", req.unwrap_or("*"))),
        }
    }
}

impl Lock {
    /// Whether the lock has an entry `name` `version`.
    pub fn contains(&self, name: &str, version: &str) -> bool {
        self.packages.iter().any(|p| p.0 == name && p.1 == version)
    }

    /// The locked packages that depend on `name` `version`, directly or
    /// through other packages (its reverse-dependency closure), as
    /// `(name, version, source)`; empty when the lock has no such entry.
    /// Cargo unifies the features every one of them asks of it.
    pub fn dependents(&self, name: &str, version: &str) -> Vec<(String, String, Option<String>)> {
        let resolve = |dep: &str| -> Vec<usize> {
            let mut parts = dep.splitn(3, ' ');
            let dep_name = parts.next().unwrap_or_default();
            let dep_version = parts.next();
            let dep_source = parts
                .next()
                .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
            (0..self.packages.len())
                .filter(|&i| {
                    let p = &self.packages[i];
                    p.0 == dep_name
                        && dep_version.is_none_or(|v| v == p.1)
                        && dep_source.is_none_or(|s| p.2.as_deref() == Some(s))
                })
                .collect()
        };
        let edges = self.edges.get_or_init(|| {
            self.packages
                .iter()
                .map(|p| p.3.iter().flat_map(|d| resolve(d)).collect())
                .collect()
        });
        let mut reached: Vec<bool> = self
            .packages
            .iter()
            .map(|p| p.0 == name && p.1 == version)
            .collect();
        let targets: Vec<bool> = reached.clone();
        let mut changed = true;
        while changed {
            changed = false;
            for (i, deps) in edges.iter().enumerate() {
                if !reached[i] && deps.iter().any(|&d| reached[d]) {
                    reached[i] = true;
                    changed = true;
                }
            }
        }
        self.packages
            .iter()
            .enumerate()
            .filter(|&(i, _)| reached[i] && !targets[i])
            .map(|(_, p)| (p.0.clone(), p.1.clone(), p.2.clone()))
            .collect()
    }
}

/// The identity of a locked entry; `locked` is false when the owner's
/// dependency list named a version with no entry of its own.
fn identity(package: &str, version: &str, source: Option<&str>, locked: bool) -> Locked {
    match source {
        None if locked => Locked::Path {
            package: package.to_owned(),
            version: version.to_owned(),
        },
        None | Some(CRATES_IO) => Locked::Remote(format!("{package}@{version}")),
        Some(source) => Locked::Remote(format!("{package}@{version}@{source}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_renames_paths_and_workspace_deps() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::write(
            ws.join("Cargo.toml"),
            "[workspace]\nmembers=[\"app\"]\n[workspace.dependencies]\nshared = { path = \"shared\" }\nserde = \"1\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(ws.join("app")).unwrap();
        std::fs::write(
            ws.join("app/Cargo.toml"),
            "[package]\nname = \"my-app\"\nversion = \"0.2.0\"\n[lib]\nname = \"applib\"\n[[bin]]\nname = \"tool\"\npath = \"src/tool.rs\"\n\
             [dependencies]\nfc = { package = \"funcache\", version = \"0.1\" }\nshared.workspace = true\nserde = { workspace = true }\nmy-helper = { path = \"../helper\" }\n\
             [dev-dependencies]\nregex = \"1.10\"\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n",
        )
        .unwrap();
        let m = Manifest::load(&ws.join("app")).unwrap();
        assert_eq!(m.package, "my-app");
        assert_eq!(m.lib_crate_name(), "applib");
        assert_eq!(m.bins[0].path.as_deref(), Some("src/tool.rs"));
        let find = |n: &str| m.deps.iter().find(|d| d.code_name == n).unwrap().clone();
        assert_eq!(find("fc").package, "funcache");
        // Only a `package = ".."` entry names the crate after its key.
        assert!(find("fc").renamed);
        assert!(!find("shared").renamed && !find("my_helper").renamed);
        assert_eq!(find("shared").path.unwrap(), ws.join("shared"));
        assert_eq!(find("serde").req.as_deref(), Some("1"));
        assert_eq!(find("my_helper").path.unwrap(), ws.join("app/../helper"));
        assert_eq!(find("regex").package, "regex");
        assert_eq!(find("libc").package, "libc");
    }

    #[test]
    fn lock_prefers_the_owners_version() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.lock"),
            "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"rand 0.8.5\", \"serde\"]\n\
             [[package]]\nname = \"rand\"\nversion = \"0.8.5\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             [[package]]\nname = \"rand\"\nversion = \"0.9.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             [[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let lock = Lock::find(&dir.path().join("sub")).unwrap();
        let remote = |s: &str| Locked::Remote(s.to_owned());
        assert_eq!(
            lock.external("app", Some("0.1.0"), "rand", None),
            remote("rand@0.8.5")
        );
        assert_eq!(
            lock.external("app", Some("0.1.0"), "serde", None),
            remote("serde@1.0.200")
        );
        assert_eq!(
            lock.external("app", None, "missing", Some("2")),
            remote("missing@2")
        );
    }

    /// Issue 8 (build inputs, 2 and 3): a new commit of a git dependency
    /// keeps its version, and a package of another registry or a
    /// `[patch]` with a path is other code under the same name@version.
    #[test]
    fn an_external_is_identified_by_its_source_too() {
        let dir = tempfile::tempdir().unwrap();
        let lock_text = |commit: &str| {
            format!(
                "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                 dependencies = [\"gitdep\", \"other\", \"humantime\", \"two 1.0.0 (registry+https://example.com/index)\", \"two 1.0.0\"]\n\
                 [[package]]\nname = \"gitdep\"\nversion = \"0.1.0\"\nsource = \"git+file:///repo#{commit}\"\n\
                 [[package]]\nname = \"other\"\nversion = \"2.0.0\"\nsource = \"sparse+https://example.com/index/\"\n\
                 [[package]]\nname = \"humantime\"\nversion = \"2.4.0\"\n\
                 [[package]]\nname = \"two\"\nversion = \"1.0.0\"\nsource = \"registry+https://example.com/index\"\n\
                 [[package]]\nname = \"two\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
            )
        };
        std::fs::write(dir.path().join("Cargo.lock"), lock_text("aaa")).unwrap();
        let lock = Lock::find(dir.path()).unwrap();
        let external = |name: &str| lock.external("app", Some("0.1.0"), name, None);
        let first = external("gitdep");
        assert_eq!(
            first,
            Locked::Remote("gitdep@0.1.0@git+file:///repo#aaa".into())
        );
        assert_eq!(
            external("other"),
            Locked::Remote("other@2.0.0@sparse+https://example.com/index/".into())
        );
        assert_eq!(
            external("humantime"),
            Locked::Path {
                package: "humantime".into(),
                version: "2.4.0".into()
            }
        );
        // The owner's list names the first `two`, from the other registry.
        assert_eq!(
            external("two"),
            Locked::Remote("two@1.0.0@registry+https://example.com/index".into())
        );
        std::fs::write(dir.path().join("Cargo.lock"), lock_text("bbb")).unwrap();
        let lock = Lock::find(dir.path()).unwrap();
        assert_ne!(lock.external("app", Some("0.1.0"), "gitdep", None), first);
    }

    #[test]
    fn patches_and_replacements_with_paths_are_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n[patch.crates-io]\nhumantime = { path = \"../humantime\" }\n\
             [patch.\"https://github.com/x/y\"]\nrenamed = { path = \"vendor/y\", package = \"y\" }\n\
             not-a-path = { git = \"https://example.com/z\" }\n\
             [replace]\n\"old:1.0.0\" = { path = \"vendor/old\" }\n\
             [profile.release]\noverflow-checks = true\n",
        )
        .unwrap();
        let patched = patched_paths(dir.path());
        let names: Vec<&str> = patched.keys().map(String::as_str).collect();
        assert_eq!(names, ["humantime", "old", "y"]);
        assert_eq!(patched["humantime"], dir.path().join("../humantime"));
        let profile = profile_digest(dir.path()).unwrap();
        // Layout does not count, values do.
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n\n# checks\n[profile]\nrelease = { overflow-checks = true }\n",
        )
        .unwrap();
        assert_eq!(profile_digest(dir.path()), Some(profile));
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n[profile.release]\noverflow-checks = false\n",
        )
        .unwrap();
        assert_ne!(profile_digest(dir.path()), Some(profile));
    }
}
