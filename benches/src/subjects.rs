//! The functions under test: funcache and the `cached` crate, caching the
//! same trivial computation (u64 in, small String out).

use cached::macros::{cached, concurrent_cached};

/// Where `cached`'s disk stores live (relative to the workspace root, where
/// the bench runs); cleared by the parent before each section.
pub const CACHED_DISK_DIR: &str = "target/funcache-bench/cached";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CachedError(String);

impl From<cached::RedbCacheError> for CachedError {
    fn from(error: cached::RedbCacheError) -> Self {
        CachedError(format!("{error:?}"))
    }
}

pub fn compute(x: u64) -> String {
    format!("value {x}")
}

#[funcache::cache]
pub fn funcache_memory(x: u64) -> String {
    compute(x)
}

/// A memory tier large enough to be sharded.
#[funcache::cache(memory = 4096)]
pub fn funcache_memory_sharded(x: u64) -> String {
    compute(x)
}

#[funcache::cache(memory = 0)]
pub fn funcache_disk(x: u64) -> String {
    compute(x)
}

/// The disk tier with a result that needs no allocation: what a hit costs
/// apart from building the caller's owned `String`.
#[funcache::cache(memory = 0)]
pub fn funcache_disk_u64(x: u64) -> u64 {
    x * 3
}

#[cached]
pub fn cached_memory(x: u64) -> String {
    compute(x)
}

#[concurrent_cached(disk = true, disk_dir = "target/funcache-bench/cached")]
pub fn cached_disk(x: u64) -> Result<String, CachedError> {
    Ok(compute(x))
}

#[concurrent_cached(
    disk = true,
    durable = false,
    disk_dir = "target/funcache-bench/cached"
)]
pub fn cached_disk_lazy(x: u64) -> Result<String, CachedError> {
    Ok(compute(x))
}

/// Read from the remote tier by the `remote` section (no memory tier, so a
/// call reads the local directory, then Redis).
#[funcache::cache(memory = 0)]
pub fn funcache_remote(x: u64) -> String {
    compute(x)
}

#[funcache::cache(memory = 0)]
pub fn scale_10(x: u64) -> String {
    compute(x)
}

#[funcache::cache(memory = 0)]
pub fn scale_10k(x: u64) -> String {
    compute(x)
}

#[funcache::cache(memory = 0)]
pub fn scale_1m(x: u64) -> String {
    compute(x)
}

#[funcache::cache(memory = 0)]
pub fn large_value(elements: usize) -> Vec<f64> {
    (0..elements).map(|i| i as f64 * 0.5).collect()
}

/// A row of a data-pipeline step's result; postcard carries it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Row {
    id: u64,
    name: String,
    score: f64,
    tags: Vec<String>,
}

/// The same row, with `tags` left out when empty: postcard cannot read that
/// back, so it is stored with MessagePack.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct SparseRow {
    id: u64,
    name: String,
    score: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

macro_rules! rows {
    ($row:ident, $n:expr) => {
        (0..$n)
            .map(|i| $row {
                id: i,
                name: format!("row {i}"),
                score: i as f64 * 0.25,
                tags: if i % 2 == 0 {
                    vec!["even".into()]
                } else {
                    vec![]
                },
            })
            .collect()
    };
}

/// `n` rows, stored with postcard.
#[funcache::cache(memory = 0)]
pub fn rows_postcard(n: u64) -> Vec<Row> {
    rows!(Row, n)
}

/// `n` rows, stored with MessagePack.
#[funcache::cache(memory = 0)]
pub fn rows_messagepack(n: u64) -> Vec<SparseRow> {
    rows!(SparseRow, n)
}
