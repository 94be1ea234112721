//! Paths compared as text: one directory reached by two relative paths
//! (`app/../dep`, `dep`) is one crate.

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
