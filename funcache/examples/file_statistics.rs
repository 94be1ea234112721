//! Per-file statistics over a source tree, one cached call per file: the
//! write-heavy case (thousands of small results in one run) that shows what
//! the store's durability costs.
//!
//! ```text
//! cargo run --release -p funcache --example file_statistics -- ~/.cargo/registry/src
//! cargo run --release -p funcache --example file_statistics -- ~/.cargo/registry/src  # all hits
//! FUNCACHE_DISABLE=1 cargo run --release -p funcache --example file_statistics -- DIR  # uncached
//! FUNCACHE_DURABILITY=sync ...   # a sync per stored result
//! ```
//!
//! The key is the file's text, so an edited file recomputes and an
//! unchanged one hits, wherever it lives.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Statistics {
    lines: u64,
    blank: u64,
    comments: u64,
    functions: u64,
    longest_line: u64,
    identifiers: u64,
}

/// The expensive step: a pass over every character of the file.
#[funcache::cache(memory = 0)]
fn statistics(text: &str) -> Statistics {
    let mut stats = Statistics::default();
    for line in text.lines() {
        stats.lines += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            stats.blank += 1;
        } else if trimmed.starts_with("//") {
            stats.comments += 1;
        }
        if trimmed.contains("fn ") {
            stats.functions += 1;
        }
        stats.longest_line = stats.longest_line.max(line.chars().count() as u64);
        stats.identifiers += line
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with(|c: char| c.is_alphabetic() || c == '_'))
            .count() as u64;
    }
    stats
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

fn main() {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let started = Instant::now();
    let mut total = Statistics::default();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let stats = statistics(&text);
        total.lines += stats.lines;
        total.functions += stats.functions;
        total.identifiers += stats.identifiers;
    }
    let elapsed = started.elapsed();
    funcache::flush().expect("flush");
    let info = statistics_cache().info();
    println!(
        "{} files, {} lines, {} fns, {} identifiers in {:.2} s ({} hits, {} misses)",
        files.len(),
        total.lines,
        total.functions,
        total.identifiers,
        elapsed.as_secs_f64(),
        info.hits,
        info.misses
    );
}
