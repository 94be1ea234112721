//! Finding the package and the cache directory the way the runtime does,
//! and opening the directory with errors that say what to do.

use std::path::{Path, PathBuf};

use funcache::CacheDir;

use crate::error::CliError;

/// Where the cache directory's path came from, for error hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--dir`.
    Flag,
    /// `FUNCACHE_DIR`.
    Env,
    /// The runtime's default for this package.
    Default {
        /// The package the default was computed for.
        manifest_dir: PathBuf,
    },
}

/// A cache directory path and where it came from.
#[derive(Debug, Clone)]
pub struct Location {
    /// The directory.
    pub path: PathBuf,
    /// How it was chosen.
    pub origin: Origin,
}

/// The cache directory: `--dir`, else `FUNCACHE_DIR` (non-empty, as the
/// runtime reads it), else `<target dir>/funcache` of the package from
/// `--manifest-path` or the working directory, honouring
/// `CARGO_TARGET_DIR` exactly as the macro did when it baked the default
/// into the program.
pub fn locate(dir: Option<&Path>, manifest_path: Option<&Path>) -> Result<Location, CliError> {
    if let Some(dir) = dir {
        return Ok(Location {
            path: dir.to_path_buf(),
            origin: Origin::Flag,
        });
    }
    if let Some(dir) = std::env::var_os(funcache::DIR_VAR).filter(|d| !d.is_empty()) {
        return Ok(Location {
            path: PathBuf::from(dir),
            origin: Origin::Env,
        });
    }
    let manifest_dir = match manifest_path {
        Some(_) => manifest_dir(manifest_path)?,
        None => manifest_dir(None).map_err(|_| CliError::NoDefaultDir)?,
    };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR");
    Ok(Location {
        path: funcache_index::default_cache_dir(&manifest_dir, target_dir.as_deref()),
        origin: Origin::Default { manifest_dir },
    })
}

/// Opens the cache directory, or says precisely what is wrong with it.
/// Nothing is created: a missing directory is an error, not a new cache.
pub fn open(location: &Location) -> Result<CacheDir, CliError> {
    let path = &location.path;
    if !path.exists() {
        let hint = match &location.origin {
            Origin::Flag => String::new(),
            Origin::Env => format!(" (from {})", funcache::DIR_VAR),
            Origin::Default { manifest_dir } => format!(
                " (the default for the package at {}; run a program that uses funcache \
                 first, or pass --dir)",
                manifest_dir.display()
            ),
        };
        return Err(CliError::NoDir {
            path: path.clone(),
            hint,
        });
    }
    if !path.is_dir() {
        return Err(CliError::NotACache { path: path.clone() });
    }
    CacheDir::open(path).map_err(|error| CliError::from_open(path.clone(), error))
}

/// The package directory: from `--manifest-path` (a `Cargo.toml`, or a
/// directory holding one), else the nearest directory at or above the
/// working directory that has a `Cargo.toml`. Absolute.
pub fn manifest_dir(manifest_path: Option<&Path>) -> Result<PathBuf, CliError> {
    let dir = match manifest_path {
        Some(path) if path.is_file() => match path.parent() {
            Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
            Some(parent) => parent.to_path_buf(),
            None => PathBuf::from("."),
        },
        Some(path) if path.is_dir() => {
            if !path.join("Cargo.toml").is_file() {
                return Err(CliError::NoPackage(format!(
                    "--manifest-path {}: the directory has no Cargo.toml",
                    path.display()
                )));
            }
            path.to_path_buf()
        }
        Some(path) => {
            return Err(CliError::NoPackage(format!(
                "--manifest-path {}: no such file or directory",
                path.display()
            )));
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| {
                CliError::NoPackage(format!("cannot read the working directory: {e}"))
            })?;
            funcache_index::find_manifest_dir(&cwd).ok_or_else(|| {
                CliError::NoPackage(format!(
                    "no Cargo.toml in {} or any parent directory; pass --manifest-path",
                    cwd.display()
                ))
            })?
        }
    };
    Ok(std::path::absolute(&dir).unwrap_or(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_path_may_name_the_file_or_the_directory() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        let from_file = manifest_dir(Some(&temp.path().join("Cargo.toml"))).unwrap();
        let from_dir = manifest_dir(Some(temp.path())).unwrap();
        assert_eq!(from_file, from_dir);
        let missing = manifest_dir(Some(&temp.path().join("nope"))).unwrap_err();
        assert!(missing.to_string().contains("no such file"), "{missing}");
        let empty = tempfile::tempdir().unwrap();
        let error = manifest_dir(Some(empty.path())).unwrap_err();
        assert!(error.to_string().contains("no Cargo.toml"), "{error}");
    }

    #[test]
    fn a_missing_directory_is_reported_not_created() {
        let temp = tempfile::tempdir().unwrap();
        let location = Location {
            path: temp.path().join("cache"),
            origin: Origin::Env,
        };
        let error = open(&location).unwrap_err();
        assert!(error.to_string().contains("from FUNCACHE_DIR"), "{error}");
        assert!(!location.path.exists());
    }
}
