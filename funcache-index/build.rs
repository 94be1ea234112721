//! Gives the crate a digest of its own sources (`FUNCACHE_INDEX_SOURCE`).
//!
//! The on-disk node cache (`src/node_store/`) keeps facts this code
//! computed from source text; facts computed by other code may differ.
//! Its directory is named after this digest, so a changed index — a new
//! release or a local edit of this crate — never reads another's entries.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let mut files = vec![manifest_dir.join("Cargo.toml")];
    collect(&manifest_dir.join("src"), &mut files);
    files.sort();
    // SipHash with fixed keys: the same sources give the same digest with
    // one toolchain, which is all a cache directory name needs.
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.strip_prefix(&manifest_dir)
            .unwrap_or(file)
            .to_string_lossy()
            .hash(&mut hasher);
        std::fs::read(file).unwrap_or_default().hash(&mut hasher);
    }
    println!(
        "cargo:rustc-env=FUNCACHE_INDEX_SOURCE={:016x}",
        hasher.finish()
    );
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
