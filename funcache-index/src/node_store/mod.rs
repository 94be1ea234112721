//! A cache on disk of what the index computes per node, so that a rustc
//! run after an edit does not parse again the ~1,000 items a cached
//! function reaches (seconds with the macro at opt-level 0; each rustc run
//! loads the macro afresh, so the in-process caches start empty).
//!
//! An entry is a pure function of its key: the node's facts are computed
//! from the node's own text and the [outline](outline) of the crates in
//! view, and the key hashes both (with the node's place in the index); the
//! directory names this crate's version and source digest, and the entry
//! format. A missing, unreadable, corrupt or foreign entry is computed
//! again and written anew (entries travel in [packs](pack)). So a
//! fingerprint never depends on what the cache holds:
//! `src/node_cache_tests.rs` checks that on the fixtures, and
//! `tests/tests/real_crates/index_cache.rs` on regex-syntax, with the cache
//! empty, warm, corrupted and off.
//!
//! Layout: `<target>/funcache-index/<tag>/<scope>/<outline>/<hash>.pack`, where
//! `tag` is the entry format, version and source digest of this crate,
//! `scope` the crate being compiled and `outline` its outline digest; a
//! body edit keeps the outline, so every other entry stays usable. Only the
//! newest few outlines of a scope, and tags, are kept.

mod codec;
mod outline;
mod pack;

pub(crate) use outline::OutlineCrate;

use std::cell::Cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::Digest;
use crate::ids::{CrateId, NodeKey};
use crate::node::NodeInfo;

/// Outline directories kept per scope, and tag directories kept.
pub(crate) const KEEP_OUTLINES: usize = 4;
const KEEP_TAGS: usize = 2;

/// The environment variable read when the cache is opened: a directory
/// to keep it in instead of `<target dir>/funcache-index`, or `off` (also
/// `0` or empty) to turn it off. Fingerprints are the same either way.
pub const NODE_CACHE_ENV: &str = "FUNCACHE_INDEX_CACHE";

/// What the node cache did on this thread (the macro and the CLI analyze on
/// the calling thread), from [`node_cache_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCacheStats {
    /// Nodes read from the cache.
    pub hits: u64,
    /// Nodes computed because no usable entry was there.
    pub misses: u64,
    /// Entries written.
    pub writes: u64,
}

thread_local! {
    static STATS: Cell<NodeCacheStats> = const { Cell::new(NodeCacheStats { hits: 0, misses: 0, writes: 0 }) };
}

#[cfg(test)]
thread_local! {
    /// Where tests put the cache (`Some(None)`: off), instead of the
    /// environment, which tests may not change.
    static DIR_OVERRIDE: std::cell::RefCell<Option<Option<PathBuf>>> = const { std::cell::RefCell::new(None) };
}

/// Counts of the node cache's hits, misses and writes on this thread.
pub fn node_cache_stats() -> NodeCacheStats {
    STATS.with(Cell::get)
}

fn count(f: impl FnOnce(&mut NodeCacheStats)) {
    STATS.with(|s| {
        let mut stats = s.get();
        f(&mut stats);
        s.set(stats);
    });
}

/// Sets where this thread's analyses keep the node cache (`None`: off),
/// overriding the environment; for tests.
#[cfg(test)]
pub(crate) fn override_dir(dir: Option<PathBuf>) {
    DIR_OVERRIDE.with(|d| *d.borrow_mut() = Some(dir));
}

/// The cache of one analysis scope: a root crate with its view, at one
/// outline.
#[derive(Debug)]
pub(crate) struct NodeStore {
    dir: PathBuf,
    outline: Digest,
    view: Vec<CrateId>,
    /// The entries of the outline's packs when the store was opened.
    entries: HashMap<Digest, Vec<u8>>,
    /// Entries computed since the last [`NodeStore::flush`].
    pending: Mutex<Vec<Vec<u8>>>,
}

impl NodeStore {
    /// The store for analyses of the first crate of `view` (whose package
    /// is at `manifest_dir`), `view` holding each crate's world id and
    /// outline; `None` when the cache is off.
    pub fn open(view: &[(CrateId, OutlineCrate)], manifest_dir: &Path) -> Option<NodeStore> {
        let base = base_dir(manifest_dir)?;
        let (_, root) = view.first()?;
        let crates: Vec<&OutlineCrate> = view.iter().map(|(_, c)| c).collect();
        let outline = outline::digest(&crates);
        let view: Vec<CrateId> = view.iter().map(|(id, _)| *id).collect();
        let tag = format!(
            "v{}-{}-{}",
            codec::ENTRY_FORMAT,
            env!("CARGO_PKG_VERSION"),
            env!("FUNCACHE_INDEX_SOURCE")
        );
        let mut scope = blake3::Hasher::new();
        scope.update(root.name.as_bytes());
        scope.update(&[0]);
        if let Some(file) = root.index.files.first() {
            scope.update(file.path.to_string_lossy().as_bytes());
        }
        let scope = Digest::from(scope.finalize()).short(16);
        let tag_dir = base.join(tag);
        let new_tag = !tag_dir.exists();
        let dir = tag_dir.join(scope).join(outline.short(32));
        let new_outline = !dir.exists();
        std::fs::create_dir_all(&dir).ok()?;
        // Marks the outline as used (pruning keeps the newest).
        let _ = std::fs::write(dir.join("used"), b"");
        if new_outline && let Some(scope_dir) = dir.parent() {
            prune(scope_dir, KEEP_OUTLINES);
        }
        if new_tag {
            prune(&base, KEEP_TAGS);
        }
        let (entries, packs) = pack::read_all(&dir);
        if packs.len() >= pack::MERGE_AT
            && pack::write(&dir, entries.values().map(Vec::as_slice)).is_ok()
        {
            for merged in packs {
                let _ = std::fs::remove_file(merged);
            }
        }
        Some(NodeStore {
            dir,
            outline,
            view,
            entries,
            pending: Mutex::default(),
        })
    }

    /// The key of `node`, whose own text (and impl or trait header) is
    /// `texts`.
    pub fn key(&self, node: NodeKey, texts: &[&str]) -> Option<Digest> {
        let position = self.view.iter().position(|&c| c == node.item.krate)?;
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"funcache-node-key\0");
        hasher.update(self.outline.as_bytes());
        hasher.update(&(position as u64).to_le_bytes());
        hasher.update(&node.item.item.to_le_bytes());
        hasher.update(&node.assoc.to_le_bytes());
        for text in texts {
            hasher.update(&(text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        Some(hasher.finalize().into())
    }

    /// The cached facts under `key`, if an intact entry is there and they
    /// hold at `locs` (where the node is now: they do unless they record
    /// locations, which only unresolved references do).
    pub fn load(&self, key: &Digest, locs: &str) -> Option<NodeInfo> {
        let entry = codec::decode(key, self.entries.get(key)?, &self.view)?;
        (entry.locs == locs || entry.info.unresolved.is_empty()).then_some(entry.info)
    }

    /// Keeps `info` under `key` for the next [`NodeStore::flush`].
    pub fn save(&self, key: &Digest, locs: &str, info: &NodeInfo) {
        let entry = codec::Entry {
            locs: locs.to_owned(),
            info: info.clone(),
        };
        if let Some(bytes) = codec::encode(key, &entry, &self.view) {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.push(bytes);
        }
    }

    /// Writes what was saved since the last flush as one pack; a failure
    /// only costs a later recompute.
    pub fn flush(&self) {
        let pending = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *pending)
        };
        if !pending.is_empty() && pack::write(&self.dir, pending.iter().map(Vec::as_slice)).is_ok()
        {
            count(|s| s.writes += pending.len() as u64);
        }
    }
}

/// Looks `node` up in `store` or computes it with `compute` (and stores
/// it); counts hits and misses.
pub(crate) fn cached(
    store: Option<&NodeStore>,
    node: NodeKey,
    texts: &[&str],
    locs: &str,
    compute: impl FnOnce() -> NodeInfo,
) -> NodeInfo {
    let Some((store, key)) = store.and_then(|s| Some((s, s.key(node, texts)?))) else {
        return compute();
    };
    if let Some(info) = store.load(&key, locs) {
        count(|s| s.hits += 1);
        return info;
    }
    count(|s| s.misses += 1);
    let info = compute();
    store.save(&key, locs, &info);
    info
}

/// `<dir>` from the override or [`NODE_CACHE_ENV`], else
/// `<target dir>/funcache-index`; `None` when turned off.
fn base_dir(manifest_dir: &Path) -> Option<PathBuf> {
    #[cfg(test)]
    if let Some(dir) = DIR_OVERRIDE.with(|d| d.borrow().clone()) {
        return dir;
    }
    match std::env::var_os(NODE_CACHE_ENV) {
        Some(v) if v == "off" || v == "0" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => Some(crate::cache_dir::index_cache_dir(
            manifest_dir,
            std::env::var_os("CARGO_TARGET_DIR").as_deref(),
        )),
    }
}

/// Removes all but the `keep` most recently used directories in `dir`.
/// Another process may be using one: its reads then miss and its writes
/// fail, which costs time, never correctness.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let path = e.path();
            let used = newest_mtime(&path);
            (used, path)
        })
        .collect();
    if dirs.len() <= keep {
        return;
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
    for (_, path) in dirs.into_iter().skip(keep) {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// The modification time of `dir`'s `used` marker, or of its newest
/// direct child directory's marker (a tag holds scopes holding outlines).
fn newest_mtime(dir: &Path) -> std::time::SystemTime {
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let Some(t) = mtime(&dir.join("used")) {
        return t;
    }
    let mut newest = mtime(dir).unwrap_or(std::time::UNIX_EPOCH);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            newest = newest.max(newest_mtime(&path));
        }
    }
    newest
}
