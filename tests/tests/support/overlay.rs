//! The funcache additions to a published crate (`fixtures/real-crates/<name>/`),
//! applied to a copy of its source: files under `append/` are appended to the
//! crate's file of the same path, files under `add/` are copied in.
//!
//! Plain `std`, so that `funcache-bench` includes this file too (its rebuild
//! measurement annotates regex-syntax the same way the tests do).

use std::fs;
use std::path::{Path, PathBuf};

/// Appends each `overlay/append/<path>` to `dir/<path>`, as `edit` returns
/// it (`None` leaves that file alone).
pub fn append(overlay: &Path, dir: &Path, edit: &dyn Fn(&Path, String) -> Option<String>) {
    for file in files_under(&overlay.join("append")) {
        let addition = fs::read_to_string(overlay.join("append").join(&file)).unwrap();
        let Some(addition) = edit(&file, addition) else {
            continue;
        };
        let target = dir.join(&file);
        let mut text =
            fs::read_to_string(&target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        text.push_str(&addition);
        fs::write(&target, text).unwrap();
    }
}

/// Copies every `overlay/add/<path>` to `dir/<path>`.
pub fn add(overlay: &Path, dir: &Path) {
    for file in files_under(&overlay.join("add")) {
        let target = dir.join(&file);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(overlay.join("add").join(&file), &target).unwrap();
    }
}

/// Paths of the files under `root`, relative to it, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = fs::read_dir(root.join(&relative)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = relative.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
