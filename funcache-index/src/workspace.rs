//! The one reader of cargo's `[workspace]` tables: which workspace a
//! package belongs to (its target directory is the workspace's), which
//! packages a virtual workspace has (the CLI reads them all), and the
//! dependencies members inherit with `workspace = true` (the index).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{DocumentMut, Item, TableLike};

use crate::IndexError;
use crate::text_memo::TextMemo;

/// A `Cargo.toml` that declares `[workspace]`.
pub struct Workspace {
    root: PathBuf,
    manifest: Arc<DocumentMut>,
}

impl Workspace {
    /// The workspace declared in `dir/Cargo.toml`, if that file exists,
    /// parses and has a `[workspace]` table.
    pub fn at(dir: &Path) -> Option<Workspace> {
        let manifest = read(dir).ok()?;
        manifest.get("workspace")?.as_table_like()?;
        Some(Workspace {
            root: dir.to_path_buf(),
            manifest,
        })
    }

    /// The nearest workspace at or above `dir`, whether or not it
    /// excludes `dir` (see [`Workspace::excludes`]).
    pub fn enclosing(dir: &Path) -> Option<Workspace> {
        dir.ancestors().find_map(Workspace::at)
    }

    /// The directory of the declaring `Cargo.toml`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `dir` is under one of the `exclude` entries.
    pub fn excludes(&self, dir: &Path) -> bool {
        let relative = dir.strip_prefix(&self.root).unwrap_or(dir);
        self.list("exclude")
            .iter()
            .any(|excluded| relative.starts_with(excluded.trim_start_matches("./")))
    }

    /// The member package directories: each `members` pattern expanded
    /// (with the glob crate, as cargo does) to directories holding a
    /// `Cargo.toml` and not excluded, in pattern order, without repeats.
    pub fn members(&self) -> Vec<PathBuf> {
        let mut members = Vec::new();
        for pattern in self.list("members") {
            for member in expand_glob(&self.root, &pattern) {
                if member.join("Cargo.toml").is_file()
                    && !self.excludes(&member)
                    && !members.contains(&member)
                {
                    members.push(member);
                }
            }
        }
        members
    }

    /// `[workspace.dependencies]`, the entries members inherit with
    /// `workspace = true`.
    pub(crate) fn dependencies(&self) -> Vec<(&str, &Item)> {
        self.table()
            .and_then(|ws| ws.get("dependencies"))
            .and_then(Item::as_table_like)
            .map(|deps| deps.iter().collect())
            .unwrap_or_default()
    }

    /// `[workspace.package]` in one spelling (members inherit their
    /// version and metadata from it).
    pub(crate) fn package_table_text(&self) -> Option<String> {
        self.table()
            .and_then(|ws| ws.get("package"))
            .map(crate::toml_text::canonical)
    }

    /// A string value of `[workspace.package]` (what a member's
    /// `<key>.workspace = true` inherits).
    pub(crate) fn package_value(&self, key: &str) -> Option<String> {
        self.table()?
            .get("package")?
            .get(key)?
            .as_str()
            .map(str::to_owned)
    }

    fn table(&self) -> Option<&dyn TableLike> {
        self.manifest.get("workspace")?.as_table_like()
    }

    fn list(&self, key: &str) -> Vec<String> {
        crate::toml_text::strings(self.table().and_then(|ws| ws.get(key)))
    }
}

/// The root of the workspace the package at `manifest_dir` belongs to:
/// the nearest enclosing workspace that does not exclude it, else the
/// package itself.
pub fn workspace_root(manifest_dir: &Path) -> PathBuf {
    match Workspace::enclosing(manifest_dir) {
        Some(ws) if ws.root == manifest_dir || !ws.excludes(manifest_dir) => ws.root,
        _ => manifest_dir.to_path_buf(),
    }
}

/// The package at `dir`, or the members of the virtual workspace there.
///
/// # Errors
/// [`IndexError::Io`] or [`IndexError::Manifest`] when `dir/Cargo.toml`
/// cannot be read or parsed, or declares neither `[package]` nor
/// `[workspace]`.
pub fn package_dirs(dir: &Path) -> Result<Vec<PathBuf>, IndexError> {
    let manifest = read(dir)?;
    if manifest.get("package").is_some() {
        return Ok(vec![dir.to_path_buf()]);
    }
    match Workspace::at(dir) {
        Some(ws) => Ok(ws.members()),
        None => Err(IndexError::Manifest {
            path: dir.join("Cargo.toml"),
            message: "has neither [package] nor [workspace]".into(),
        }),
    }
}

/// `[package] name` of `dir/Cargo.toml`, if it has one.
pub fn package_name(dir: &Path) -> Option<String> {
    let manifest = read(dir).ok()?;
    Some(manifest.get("package")?.get("name")?.as_str()?.to_owned())
}

/// `dir/Cargo.toml` as TOML, parsed once per process and text (see
/// [`crate::text_memo`]: every cached function of a rustc run asks for the
/// enclosing workspace).
fn read(dir: &Path) -> Result<Arc<DocumentMut>, IndexError> {
    static PARSED: TextMemo<DocumentMut> = TextMemo::new();
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| IndexError::io(&path, e))?;
    PARSED.get(&path, text, |text| {
        text.parse()
            .map_err(|e: toml_edit::TomlError| IndexError::Manifest {
                path: path.clone(),
                message: format!("not valid TOML: {}", e.to_string().trim()),
            })
    })
}

/// Expands a workspace member pattern (`crates/*`) to existing
/// directories, sorted.
fn expand_glob(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let pattern = pattern.trim_start_matches("./");
    let full = format!(
        "{}/{pattern}",
        glob::Pattern::escape(&base.to_string_lossy())
    );
    let mut found: Vec<PathBuf> = glob::glob(&full)
        .map(|paths| paths.flatten().filter(|path| path.is_dir()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: PathBuf, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn finds_the_enclosing_workspace_unless_excluded() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\nexclude = [\"fixtures\"]\n",
        );
        for member in ["app", "fixtures/one"] {
            write(
                root.join(member).join("Cargo.toml"),
                "[package]\nname = \"x\"\n",
            );
        }
        assert_eq!(workspace_root(&root.join("app")), root);
        assert_eq!(
            workspace_root(&root.join("fixtures/one")),
            root.join("fixtures/one")
        );
        assert_eq!(workspace_root(root), root);
    }

    #[test]
    fn members_expand_patterns_and_skip_excluded_and_manifestless_dirs() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\", \"./tool\", \"crates/a\"]\n\
             exclude = [\"crates/skip\"]\n\
             [workspace.dependencies]\nserde = \"1\"\n",
        );
        for member in ["crates/a", "crates/skip", "tool"] {
            write(
                root.join(member).join("Cargo.toml"),
                "[package]\nname = \"x\"\n",
            );
        }
        std::fs::create_dir_all(root.join("crates/no-manifest")).unwrap();
        let ws = Workspace::at(root).unwrap();
        assert_eq!(ws.members(), [root.join("crates/a"), root.join("tool")]);
        let deps: Vec<&str> = ws.dependencies().into_iter().map(|(k, _)| k).collect();
        assert_eq!(deps, ["serde"]);
        assert_eq!(package_dirs(root).unwrap(), ws.members());
        assert_eq!(
            package_dirs(&root.join("tool")).unwrap(),
            [root.join("tool")]
        );
        assert_eq!(package_name(&root.join("tool")).as_deref(), Some("x"));
        assert_eq!(package_name(root), None);
        write(root.join("empty/Cargo.toml"), "[dependencies]\n");
        let error = package_dirs(&root.join("empty")).unwrap_err().to_string();
        assert!(
            error.contains("neither [package] nor [workspace]"),
            "{error}"
        );
    }

    #[test]
    fn wildcards_match_within_a_component() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        for dir in ["anything", "crate-a", "funcache-cli", "funcache-index"] {
            std::fs::create_dir(root.join(dir)).unwrap();
        }
        let matches =
            |pattern: &str, name: &str| expand_glob(root, pattern).contains(&root.join(name));
        assert!(matches("*", "anything"));
        assert!(matches("crate-?", "crate-a"));
        assert!(matches("fun*-cli", "funcache-cli"));
        assert!(!matches("fun*-cli", "funcache-index"));
    }
}
