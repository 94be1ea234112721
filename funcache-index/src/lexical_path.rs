//! Paths handled as text: one directory reached by two relative paths
//! (`app/../dep`, `dep`) is one crate, and a file is named relative to a
//! directory the same way on every machine.

use std::path::{Path, PathBuf};

/// Removes `.` and `..` components lexically, so one directory reached by
/// two relative paths is one crate.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `base` (`..` where needed), `/`-separated.
pub(crate) fn relative(base: &Path, path: &Path) -> String {
    if let Ok(rel) = path.strip_prefix(base) {
        return rel.to_string_lossy().replace('\\', "/");
    }
    let base_parts: Vec<_> = base.components().collect();
    let path_parts: Vec<_> = path.components().collect();
    let common = base_parts
        .iter()
        .zip(&path_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<String> = vec!["..".to_owned(); base_parts.len() - common];
    out.extend(
        path_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    out.join("/")
}
