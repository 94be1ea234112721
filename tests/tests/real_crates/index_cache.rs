//! The index's node cache (`<target>/funcache-index`) never changes a
//! fingerprint: a real crate built with that cache empty, warm, corrupted
//! and off embeds the same closures, and the values its first build stored
//! are served by every later one (a different fingerprint would miss).
//! With the cache warm, a body edit still invalidates exactly what it
//! should, and no value is served stale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::check::{Case, base_config, prepare};
use crate::support::{
    self,
    real_crate::{BuildConfig, RealCrate, WrapperReport},
};

/// The variable that moves the node cache (`off` disables it).
const NODE_CACHE_ENV: &str = "FUNCACHE_INDEX_CACHE";

fn with_node_cache(case: &Case, dir: &str) -> BuildConfig {
    let mut config = base_config(case);
    config.env.push((NODE_CACHE_ENV.to_owned(), dir.to_owned()));
    config
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if entry.file_name() != "used" {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Damages every pack: flipped bytes, cuts, and garbage in turn.
fn corrupt(files: &[PathBuf]) {
    for (i, file) in files.iter().enumerate() {
        let mut bytes = std::fs::read(file).unwrap();
        match i % 3 {
            0 => {
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x01;
            }
            1 => bytes.truncate(bytes.len() / 2),
            _ => bytes = b"not a node".to_vec(),
        }
        std::fs::write(file, bytes).unwrap();
    }
}

fn closures(
    reports: &BTreeMap<String, WrapperReport>,
) -> BTreeMap<&str, &BTreeMap<String, String>> {
    reports
        .iter()
        .map(|(name, r)| (name.as_str(), &r.dependencies))
        .collect()
}

/// Rebuilds after touching `src/lib.rs` with `config`, and probes.
fn rebuild(
    krate: &RealCrate,
    config: &BuildConfig,
    cache: &Path,
) -> BTreeMap<String, WrapperReport> {
    krate.write("src/lib.rs", &krate.read("src/lib.rs"));
    krate
        .build(config)
        .unwrap_or_else(|cargo| panic!("build failed:\n{cargo}"));
    krate.run(cache)
}

/// The case's first source edit that changes some wrapper's value.
fn body_edit(
    case: &Case,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
) {
    case.edits
        .iter()
        .find_map(|e| match e.change {
            super::check::Change::Source(&[(file, from, to)])
                if !e.changes.is_empty() && e.known_stale_until_merged.is_none() =>
            {
                Some((file, from, to, e.changes))
            }
            _ => None,
        })
        .expect("an edit that changes a value")
}

pub fn check(case: &Case) {
    let _guard = support::lock();
    let (name, version) = (case.name, case.version);
    let Some((source, krate)) = prepare(case) else {
        return;
    };
    let node_cache = tempfile::tempdir().unwrap();
    let node_cache_dir = node_cache.path().to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();

    // Empty: the first build fills both caches.
    let config = with_node_cache(case, node_cache_dir);
    if let Err(cargo) = krate.build(&config) {
        if source.offline {
            eprintln!("SKIPPED: offline, and {name} {version} does not build from cargo's cache");
            return;
        }
        panic!("{name} does not build:\n{cargo}");
    }
    let first = krate.run(cache.path());
    assert_eq!(first.len(), case.wrappers.len());
    let packs = entries(node_cache.path());
    let bytes: u64 = packs.iter().map(|p| p.metadata().unwrap().len()).sum();
    assert!(bytes > 100_000, "only {bytes} bytes of node cache");

    let off = with_node_cache(case, "off");
    for (state, config) in [("warm", &config), ("off", &off), ("corrupted", &config)] {
        if state == "corrupted" {
            corrupt(&entries(node_cache.path()));
        }
        let again = rebuild(&krate, config, cache.path());
        assert_eq!(closures(&again), closures(&first), "node cache {state}");
        for (wrapper, report) in &again {
            // Served from the first build's entry: the same fingerprint.
            assert_eq!(report.misses, 0, "{wrapper}, node cache {state}");
            assert_eq!(report.served, first[wrapper].served, "{wrapper}");
        }
    }

    // A body edit with the cache warm: what it changes recomputes, and the
    // closures are those of a build without the cache.
    let (file, from, to, changes) = body_edit(case);
    let text = krate.read(file);
    krate.write(file, &text.replacen(from, to, 1));
    krate.build(&config).unwrap();
    let edited = krate.run(cache.path());
    for (wrapper, report) in &edited {
        assert_eq!(report.served, report.uncached, "{wrapper} served stale");
        if changes.contains(&wrapper.as_str()) {
            assert!(report.misses > 0, "{wrapper} did not recompute");
        }
    }
    let cold = rebuild(&krate, &off, cache.path());
    assert_eq!(closures(&cold), closures(&edited), "after the edit");
    for (wrapper, report) in &cold {
        assert_eq!(
            report.misses, 0,
            "{wrapper}: another fingerprint without the cache"
        );
    }
}
