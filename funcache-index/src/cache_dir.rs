//! The cache directory a build uses by default, shared by the macro (which
//! bakes it into the binary) and the CLI (which must find the same place).

use std::path::{Path, PathBuf};

use crate::workspace::workspace_root;

/// `<target dir>/funcache` for the package at `manifest_dir`: the target
/// directory is `target_dir_env` (the value of `CARGO_TARGET_DIR`) when set
/// and non-empty, else `target/` at the workspace root.
///
/// The directory is inside the project, so it is per project and already
/// git-ignored, and unlike a path relative to the working directory it is
/// the same wherever the program is started from.
pub fn default_cache_dir(manifest_dir: &Path, target_dir_env: Option<&std::ffi::OsStr>) -> PathBuf {
    target_dir(manifest_dir, target_dir_env).join("funcache")
}

/// `<target dir>/funcache-index`, where the index keeps what it computed
/// per item across rustc runs (see `node_store`); the target directory is
/// found as for [`default_cache_dir`].
pub(crate) fn index_cache_dir(
    manifest_dir: &Path,
    target_dir_env: Option<&std::ffi::OsStr>,
) -> PathBuf {
    target_dir(manifest_dir, target_dir_env).join("funcache-index")
}

fn target_dir(manifest_dir: &Path, target_dir_env: Option<&std::ffi::OsStr>) -> PathBuf {
    match target_dir_env {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            std::path::absolute(&dir).unwrap_or(dir)
        }
        _ => workspace_root(manifest_dir).join("target"),
    }
}

/// The nearest directory at or above `start` that holds a `Cargo.toml`.
pub fn find_manifest_dir(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_in_the_workspace_target_dir_unless_cargo_says_otherwise() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\nexclude = [\"fixtures\"]\n",
        )
        .unwrap();
        for member in ["app", "fixtures/one"] {
            std::fs::create_dir_all(root.join(member).join("src")).unwrap();
            std::fs::write(
                root.join(member).join("Cargo.toml"),
                "[package]\nname = \"x\"\n",
            )
            .unwrap();
        }
        assert_eq!(
            default_cache_dir(&root.join("app"), None),
            root.join("target/funcache")
        );
        assert_eq!(
            default_cache_dir(&root.join("fixtures/one"), None),
            root.join("fixtures/one/target/funcache")
        );
        let custom = root.join("elsewhere");
        assert_eq!(
            default_cache_dir(&root.join("app"), Some(custom.as_os_str())),
            custom.join("funcache")
        );
        assert_eq!(
            index_cache_dir(&root.join("app"), None),
            root.join("target/funcache-index")
        );
        assert_eq!(
            find_manifest_dir(&root.join("app/src")),
            Some(root.join("app"))
        );
    }
}
