//! A Redis Cluster of three masters on loopback.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::install::installed;
use crate::ports::free_cluster_port;
use crate::server::{RedisOptions, RedisServer};

/// How long the joined nodes have to agree (`cluster_state:ok`).
const SETTLED_WITHIN: Duration = Duration::from_secs(20);

/// Three `--cluster-enabled yes` servers joined by
/// `redis-cli --cluster create --cluster-replicas 0 --cluster-yes`, every
/// node reporting `cluster_state:ok` by the time it is returned. Stopped
/// on drop.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts and joins the three nodes; `None` after a SKIPPED line when
    /// `redis-server` or `redis-cli` is not installed.
    ///
    /// # Panics
    /// When `CI=true` and a binary is missing, when `--cluster create`
    /// fails, or when the cluster does not settle within 20 s.
    pub fn start(test: &str) -> Option<RedisCluster> {
        if !installed(test, "redis-server") || !installed(test, "redis-cli") {
            return None;
        }
        // Each node keeps its `nodes.conf` in its own directory.
        let options = RedisOptions::default().args(&[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
        ]);
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| RedisServer::launch(&options, free_cluster_port))
            .collect();
        let cluster = RedisCluster { nodes };
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(cluster.seeds())
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            created.is_ok_and(|status| status.success()),
            "{test}: redis-cli --cluster create failed"
        );
        cluster.wait_settled();
        Some(cluster)
    }

    fn wait_settled(&self) {
        let deadline = Instant::now() + SETTLED_WITHIN;
        for node in &self.nodes {
            while !node
                .query(&["CLUSTER", "INFO"])
                .is_ok_and(|info| info.contains("cluster_state:ok"))
            {
                assert!(Instant::now() < deadline, "the cluster did not settle");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// The three nodes, each a master of a third of the slots.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// `127.0.0.1:<port>` of every node.
    pub fn seeds(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::address).collect()
    }

    /// `redis+cluster://<seed>,<seed>,<seed>` (funcache's cluster URL) with
    /// every node as a seed.
    pub fn url(&self) -> String {
        format!("redis+cluster://{}", self.seeds().join(","))
    }
}
