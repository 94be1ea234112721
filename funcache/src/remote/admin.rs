//! Listing and removing a remote's entries: what `funcache-cli inspect
//! --remote` and `purge --remote` are built on (the CLI holds no Redis
//! code). Keys are found with `SCAN MATCH funcache:v{N}:*` on the server,
//! or on every master of a cluster.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::{Connection, Value as Reply};

use super::keys;
use super::pool::connection_info;
use super::settings::Remote;
use super::url::{Node, Scheme};
use crate::envelope;
use crate::error::Error;
use crate::fingerprint::Fingerprint;
use crate::inspect::{FunctionSummary, Removed};
use crate::key::ArgsKey;
use crate::store::UsageCounts;

/// The least time the CLI gives the remote per command: it is not on a
/// program's hot path, and a large `SCAN` page takes a moment.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Keys a `SCAN` page asks for, and commands per pipeline.
const BATCH: usize = 500;

/// A remote opened for inspection and removal.
///
/// ```no_run
/// let remote = funcache::RemoteCache::connect(funcache::Remote::new("redis://127.0.0.1:6379/0")?)?;
/// for entry in remote.entries()? {
///     println!("{} {} bytes", entry.fn_id, entry.size);
/// }
/// # Ok::<(), funcache::Error>(())
/// ```
pub struct RemoteCache {
    remote: Remote,
    /// The server, or every master of the cluster.
    nodes: Vec<Node>,
    timeout: Duration,
}

/// One stored result on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteEntry {
    /// The function it belongs to.
    pub fn_id: String,
    /// The source fingerprint it was stored under.
    pub fingerprint: Fingerprint,
    /// The digest of the arguments.
    pub args_key: ArgsKey,
    /// Bytes of the stored envelope.
    pub size: u64,
    /// When the value was computed (the Unix epoch when unreadable).
    pub created: SystemTime,
    /// How long computing it took.
    pub compute_time: Duration,
    /// Whether this build of funcache can read it (its envelope checks).
    pub readable: bool,
    /// Time left before Redis drops it (`ttl`); `None`: kept until removed
    /// or evicted.
    pub expires_in: Option<Duration>,
    /// Which node holds it (an index into the masters).
    node: usize,
}

impl RemoteEntry {
    /// The Redis key it is stored under.
    pub fn key(&self) -> String {
        let mut entry = self.fingerprint.as_bytes().to_vec();
        entry.extend_from_slice(self.args_key.as_bytes());
        keys::value_key(&self.fn_id, &entry)
    }
}

impl std::fmt::Debug for RemoteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteCache")
            .field("url", &self.remote.to_string())
            .finish()
    }
}

impl RemoteCache {
    /// Connects to `remote` (to every master, for a cluster) and checks
    /// that it answers.
    ///
    /// # Errors
    ///
    /// [`Error::Remote`] when it cannot be reached or refuses (a wrong
    /// password, a cluster that does not say its masters).
    pub fn connect(remote: Remote) -> Result<RemoteCache, Error> {
        let mut cache = RemoteCache {
            timeout: remote.timeout.max(ADMIN_TIMEOUT),
            nodes: remote.url.nodes.clone(),
            remote,
        };
        if cache.remote.url.scheme == Scheme::Cluster {
            cache.nodes = cache.masters()?;
        } else {
            cache.connection(0)?;
        }
        Ok(cache)
    }

    /// The remote's URL, with its password as `***`.
    pub fn url(&self) -> String {
        self.remote.to_string()
    }

    fn failed(&self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        let mut text = source.into().to_string();
        if let Some(password) = self
            .remote
            .url
            .password
            .as_deref()
            .filter(|p| !p.is_empty())
        {
            text = text.replace(password, "***");
        }
        Error::Remote {
            url: self.url(),
            source: text.into(),
        }
    }

    fn connect_to(&self, node: &Node) -> Result<Connection, Error> {
        let info = connection_info(&self.remote.url, node).map_err(|e| self.failed(e))?;
        let client = redis::Client::open(info).map_err(|e| self.failed(e))?;
        let conn = client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| self.failed(e))?;
        conn.set_read_timeout(Some(self.timeout))
            .and_then(|()| conn.set_write_timeout(Some(self.timeout)))
            .map_err(|e| self.failed(e))?;
        Ok(conn)
    }

    fn connection(&self, node: usize) -> Result<Connection, Error> {
        self.connect_to(&self.nodes[node])
    }

    /// The masters of the cluster, asked of the first seed that answers.
    fn masters(&self) -> Result<Vec<Node>, Error> {
        let mut last = None;
        for seed in &self.remote.url.nodes {
            let slots = self.connect_to(seed).and_then(|mut conn| {
                redis::cmd("CLUSTER")
                    .arg("SLOTS")
                    .query::<Reply>(&mut conn)
                    .map_err(|e| self.failed(e))
            });
            match slots {
                Ok(reply) => {
                    let masters = masters_of(&reply, seed);
                    if masters.is_empty() {
                        return Err(self.failed("the cluster has no slots assigned"));
                    }
                    return Ok(masters);
                }
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| self.failed("no seed node")))
    }

    /// Every entry of this format version, sorted by function,
    /// fingerprint and arguments key. Leases and keys that are not
    /// funcache's are skipped.
    ///
    /// # Errors
    ///
    /// [`Error::Remote`] when a node fails meanwhile.
    pub fn entries(&self) -> Result<Vec<RemoteEntry>, Error> {
        let mut entries = Vec::new();
        for node in 0..self.nodes.len() {
            let mut conn = self.connection(node)?;
            let names = self.scan(&mut conn)?;
            for batch in names.chunks(BATCH) {
                let mut pipe = redis::pipe();
                for name in batch {
                    pipe.cmd("GET").arg(name).cmd("PTTL").arg(name);
                }
                let replies: Vec<Reply> = pipe.query(&mut conn).map_err(|e| self.failed(e))?;
                for (name, pair) in batch.iter().zip(replies.chunks(2)) {
                    if let [Reply::BulkString(bytes), pttl] = pair {
                        entries.extend(entry(name, bytes, pttl, node));
                    }
                }
            }
        }
        entries.sort_by(|a, b| {
            (&a.fn_id, a.fingerprint, a.args_key).cmp(&(&b.fn_id, b.fingerprint, b.args_key))
        });
        Ok(entries)
    }

    /// `entries` (as [`RemoteCache::entries`] lists them) summarized per
    /// function, sorted by id, the way [`crate::CacheDir::functions`]
    /// summarizes a directory. A remote records no hits or misses: `usage`
    /// is zero. Unreadable entries count and take space, but have no known
    /// creation time for `oldest`/`newest`.
    pub fn functions<'a>(
        entries: impl IntoIterator<Item = &'a RemoteEntry>,
    ) -> Vec<FunctionSummary> {
        let mut by_id: BTreeMap<&str, Vec<&RemoteEntry>> = BTreeMap::new();
        for entry in entries {
            by_id.entry(&entry.fn_id).or_default().push(entry);
        }
        by_id
            .into_iter()
            .map(|(id, entries)| {
                let parts = entries
                    .iter()
                    .map(|e| (e.fingerprint, e.size, e.readable.then_some(e.created)));
                FunctionSummary::of(id.to_owned(), parts, UsageCounts::default())
            })
            .collect()
    }

    /// The value keys on one node.
    fn scan(&self, conn: &mut Connection) -> Result<Vec<String>, Error> {
        let pattern = keys::pattern();
        let mut names = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, page): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(BATCH)
                .query(conn)
                .map_err(|e| self.failed(e))?;
            names.extend(
                page.into_iter()
                    .filter_map(|name| String::from_utf8(name).ok())
                    .filter(|name| keys::parse(name).is_some()),
            );
            if next == 0 {
                break;
            }
            cursor = next;
        }
        // SCAN may return a key more than once.
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Removes the given entries (`UNLINK`: the server frees them in the
    /// background). Entries already gone are not counted.
    ///
    /// # Errors
    ///
    /// [`Error::Remote`] when a node fails meanwhile (what was removed
    /// before stays removed).
    pub fn remove(&self, entries: &[RemoteEntry]) -> Result<Removed, Error> {
        let mut removed = Removed::default();
        for node in 0..self.nodes.len() {
            let mine: Vec<&RemoteEntry> = entries.iter().filter(|e| e.node == node).collect();
            if mine.is_empty() {
                continue;
            }
            let mut conn = self.connection(node)?;
            for batch in mine.chunks(BATCH) {
                let mut pipe = redis::pipe();
                for entry in batch {
                    pipe.cmd("UNLINK").arg(entry.key());
                }
                let gone: Vec<u64> = pipe.query(&mut conn).map_err(|e| self.failed(e))?;
                for (entry, gone) in batch.iter().zip(gone) {
                    if gone > 0 {
                        removed.entries += 1;
                        removed.bytes += entry.size;
                    }
                }
            }
        }
        Ok(removed)
    }
}

/// The entry a value key and its bytes describe.
fn entry(name: &str, bytes: &[u8], pttl: &Reply, node: usize) -> Option<RemoteEntry> {
    let parsed = keys::parse(name)?;
    let header = envelope::decode(bytes, name.as_bytes())
        .ok()
        .map(|(h, _)| h);
    let expires_in = match pttl {
        Reply::Int(ms) if *ms >= 0 => Some(Duration::from_millis(*ms as u64)),
        _ => None,
    };
    Some(RemoteEntry {
        fn_id: parsed.fn_id.to_owned(),
        fingerprint: Fingerprint(parsed.fingerprint),
        args_key: parsed.args,
        size: bytes.len() as u64,
        created: header.map_or(UNIX_EPOCH, |h| {
            UNIX_EPOCH + Duration::from_millis(h.created_unix_ms)
        }),
        compute_time: header.map_or(Duration::ZERO, |h| Duration::from_micros(h.compute_micros)),
        readable: header.is_some(),
        expires_in,
        node,
    })
}

/// The masters in a `CLUSTER SLOTS` reply: `[[start, end, [host, port,
/// id, …], replicas…], …]`. An empty host means the node that answered.
fn masters_of(reply: &Reply, asked: &Node) -> Vec<Node> {
    let Reply::Array(ranges) = reply else {
        return Vec::new();
    };
    let mut masters: Vec<Node> = Vec::new();
    for range in ranges {
        let Reply::Array(fields) = range else {
            continue;
        };
        let Some(Reply::Array(master)) = fields.get(2) else {
            continue;
        };
        let host = match master.first() {
            Some(Reply::BulkString(host)) => String::from_utf8_lossy(host).into_owned(),
            Some(Reply::SimpleString(host)) => host.clone(),
            _ => continue,
        };
        let Some(Reply::Int(port)) = master.get(1) else {
            continue;
        };
        let node = Node {
            host: if host.is_empty() || host == "?" {
                asked.host.clone()
            } else {
                host
            },
            port: *port as u16,
        };
        if !masters.contains(&node) {
            masters.push(node);
        }
    }
    masters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_come_from_cluster_slots_once_each() {
        let master = |host: &str, port| {
            Reply::Array(vec![
                Reply::BulkString(host.as_bytes().to_vec()),
                Reply::Int(port),
                Reply::BulkString(b"id".to_vec()),
            ])
        };
        let range = |start, end, host: &str, port| {
            Reply::Array(vec![
                Reply::Int(start),
                Reply::Int(end),
                master(host, port),
                master("replica", 9),
            ])
        };
        let reply = Reply::Array(vec![
            range(0, 5000, "10.0.0.1", 7000),
            range(5001, 10000, "", 7001),
            range(10001, 16383, "10.0.0.1", 7000),
            Reply::Int(3),
        ]);
        assert_eq!(
            masters_of(&reply, &Node::new("seed", 1)),
            [Node::new("10.0.0.1", 7000), Node::new("seed", 7001)]
        );
        assert!(masters_of(&Reply::Nil, &Node::new("seed", 1)).is_empty());
    }
}
