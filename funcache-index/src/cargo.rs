//! What the index needs from `Cargo.toml` and `Cargo.lock`: targets,
//! dependencies (path or registry, renamed or not) and locked versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, Table};

use crate::IndexError;
use crate::workspace::Workspace;

/// A dependency as code names it.
#[derive(Clone, Debug)]
pub(crate) struct Dep {
    /// The name code uses: the key (or rename) with `-` turned into `_`.
    pub code_name: String,
    /// The package name (`package = ".."` or the key).
    pub package: String,
    /// For `path = ".."` dependencies: the directory, absolute.
    pub path: Option<PathBuf>,
    /// The version requirement as written, if any.
    pub req: Option<String>,
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
}

fn read(path: &Path) -> Result<String, IndexError> {
    std::fs::read_to_string(path).map_err(|e| IndexError::io(path, e))
}

fn parse_toml(path: &Path, text: String) -> Result<Document<String>, IndexError> {
    Document::parse(text).map_err(|e| IndexError::Manifest {
        path: path.to_owned(),
        message: e.to_string().trim().to_owned(),
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
            lib,
            bins: target_decls(root, "bin"),
            examples: target_decls(root, "example"),
            tests: target_decls(root, "test"),
            benches: target_decls(root, "bench"),
            auto,
            deps: Vec::new(),
        };
        let workspace = WorkspaceDeps::find(dir);
        let mut tables: Vec<&Table> = Vec::new();
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(t) = root.get(key).and_then(Item::as_table) {
                tables.push(t);
            }
        }
        if let Some(targets) = root.get("target").and_then(Item::as_table) {
            for (_, cfg) in targets.iter() {
                for key in ["dependencies", "dev-dependencies"] {
                    if let Some(t) = cfg.get(key).and_then(Item::as_table) {
                        tables.push(t);
                    }
                }
            }
        }
        for table in tables {
            for (key, value) in table.iter() {
                let mut dep = dep_from(dir, key, value);
                if value.get("workspace").and_then(Item::as_bool) == Some(true)
                    && let Some(ws) = workspace.as_ref().and_then(|w| w.get(key))
                {
                    dep.path = dep.path.or(ws.path);
                    dep.req = dep.req.or(ws.req);
                    if value.get("package").is_none() {
                        dep.package = ws.package;
                    }
                }
                if !manifest.deps.iter().any(|d| d.code_name == dep.code_name) {
                    manifest.deps.push(dep);
                }
            }
        }
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
        package,
        path,
        req,
    }
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
    /// `(name, version, source is none, dependencies)` per `[[package]]`.
    packages: Vec<(String, String, bool, Vec<String>)>,
}

impl Lock {
    /// Finds and reads the `Cargo.lock` nearest above `dir`; an absent lock
    /// file gives an empty lock.
    pub fn find(dir: &Path) -> Result<Lock, IndexError> {
        let Some(path) = dir
            .ancestors()
            .map(|a| a.join("Cargo.lock"))
            .find(|p| p.is_file())
        else {
            return Ok(Lock::default());
        };
        let doc = parse_toml(&path, read(&path)?)?;
        let mut packages = Vec::new();
        if let Some(array) = doc
            .as_table()
            .get("package")
            .and_then(Item::as_array_of_tables)
        {
            for p in array.iter() {
                let name = str_of(p.get("name")).unwrap_or_default();
                let version = str_of(p.get("version")).unwrap_or_default();
                let local = p.get("source").is_none();
                let deps = p
                    .get("dependencies")
                    .and_then(Item::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                packages.push((name, version, local, deps));
            }
        }
        Ok(Lock {
            path: Some(path),
            packages,
        })
    }

    /// `name@version` for dependency `package` of the package `owner`
    /// (version `owner_version`): the version `owner`'s own entry lists when
    /// several are locked, else the only one; `name@<req>` when unlocked.
    pub fn external(
        &self,
        owner: &str,
        owner_version: Option<&str>,
        package: &str,
        req: Option<&str>,
    ) -> String {
        let owner_entry = self
            .packages
            .iter()
            .filter(|p| p.0 == owner && p.2)
            .find(|p| owner_version.is_none_or(|v| v == p.1))
            .or_else(|| self.packages.iter().find(|p| p.0 == owner));
        if let Some(entry) = owner_entry {
            for dep in &entry.3 {
                let mut parts = dep.split(' ');
                if parts.next() == Some(package)
                    && let Some(version) = parts.next()
                {
                    return format!("{package}@{version}");
                }
            }
        }
        let mut versions: Vec<&str> = self
            .packages
            .iter()
            .filter(|p| p.0 == package)
            .map(|p| p.1.as_str())
            .collect();
        versions.sort();
        versions.dedup();
        match versions.as_slice() {
            [only] => format!("{package}@{only}"),
            // Several and the owner's entry did not say: all of them, so
            // any upgrade invalidates.
            [_, ..] => format!("{package}@{}", versions.join("|")),
            [] => format!("{package}@{}", req.unwrap_or("*")),
        }
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
             [[package]]\nname = \"rand\"\nversion = \"0.8.5\"\nsource = \"registry+x\"\n\
             [[package]]\nname = \"rand\"\nversion = \"0.9.0\"\nsource = \"registry+x\"\n\
             [[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+x\"\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let lock = Lock::find(&dir.path().join("sub")).unwrap();
        assert_eq!(
            lock.external("app", Some("0.1.0"), "rand", None),
            "rand@0.8.5"
        );
        assert_eq!(
            lock.external("app", Some("0.1.0"), "serde", None),
            "serde@1.0.200"
        );
        assert_eq!(
            lock.external("app", None, "missing", Some("2")),
            "missing@2"
        );
    }
}
