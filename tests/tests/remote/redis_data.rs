//! What the remote tests ask Redis with the `redis` crate: typed replies
//! (binary values, integers, `()`), the key count and the keys. Starting,
//! stopping and signalling servers, and the SKIPPED/CI rule, are
//! `funcache-testkit`'s; this adds only what needs a client crate, which
//! the std-only kit does without.

use funcache_testkit::{RedisCluster, RedisServer};

/// Typed access to the data of one server.
pub trait ServerData {
    /// A new connection, authenticated when the server has a password.
    fn connection(&self) -> redis::Connection;

    /// Runs `command` and returns its reply as `T` (`Vec<u8>` for a
    /// binary value, `i64` for `PTTL`, `()` when the reply is ignored).
    fn command<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T;

    /// The number of keys in database 0.
    fn dbsize(&self) -> u64 {
        self.command(&redis::cmd("DBSIZE"))
    }

    /// Every key, sorted.
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.command(redis::cmd("KEYS").arg("*"));
        keys.sort();
        keys
    }
}

impl ServerData for RedisServer {
    fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|client| client.get_connection())
            .unwrap_or_else(|e| panic!("connecting to redis on port {}: {e}", self.port()))
    }

    fn command<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T {
        command
            .query(&mut self.connection())
            .unwrap_or_else(|e| panic!("redis on port {}: {e}", self.port()))
    }
}

/// The keys of a whole cluster, and a URL that makes the client discover
/// a node.
pub trait ClusterData {
    /// Every key of every node, sorted.
    fn keys(&self) -> Vec<String>;

    /// `redis+cluster://` with two of the three nodes as seeds, so the
    /// client must discover the third from them.
    fn url_with_two_seeds(&self) -> String;
}

impl ClusterData for RedisCluster {
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.nodes().iter().flat_map(ServerData::keys).collect();
        keys.sort();
        keys
    }

    fn url_with_two_seeds(&self) -> String {
        format!("redis+cluster://{}", self.seeds()[..2].join(","))
    }
}
