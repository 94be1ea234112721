//! Connections to the remote: a few idle synchronous connections kept for
//! reuse, every one bounded by the timeout (connect, and each read and
//! write), so that a server that accepts but never answers costs at most
//! about the timeout per command.

use std::panic::AssertUnwindSafe;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::cluster::{ClusterClient, ClusterConnection};
use redis::{
    Connection, ConnectionAddr, ConnectionInfo, ConnectionLike, IntoConnectionInfo,
    RedisConnectionInfo, RedisResult,
};

use super::url::{Node, RemoteUrl, Scheme};

/// Idle connections kept; more are made when threads need them and
/// dropped when they come back to a full pool.
const MAX_IDLE: usize = 8;

/// Where connections go.
enum Target {
    Single(redis::Client),
    Cluster(ClusterClient),
}

/// One connection, to a server or to a cluster.
enum Conn {
    Single(Connection),
    // Boxed: a cluster connection is four times the size of a single one.
    Cluster(Box<ClusterConnection>),
}

impl Conn {
    fn like(&mut self) -> &mut dyn ConnectionLike {
        match self {
            Conn::Single(conn) => conn,
            Conn::Cluster(conn) => &mut **conn,
        }
    }
}

/// The connections of one remote.
pub(crate) struct Pool {
    /// (`AssertUnwindSafe`: the cluster client holds trait objects that do
    /// not say they are; a panic cannot leave a pool half-changed, since a
    /// connection comes back to it only once its command has completed,
    /// and a cached function's handle must stay usable across
    /// `catch_unwind`.)
    target: AssertUnwindSafe<Target>,
    timeout: Duration,
    idle: Mutex<Vec<Conn>>,
}

/// Why a pool cannot be made at all (no connection is tried).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    #[cfg(not(feature = "redis-tls"))]
    #[error("rediss:// needs funcache's cargo feature `redis-tls`")]
    NoTls,
    #[error("{0}")]
    Client(#[from] redis::RedisError),
}

impl Pool {
    pub(crate) fn new(url: &RemoteUrl, timeout: Duration) -> Result<Pool, PoolError> {
        let target = match url.scheme {
            Scheme::Plain | Scheme::Tls => {
                redis::Client::open(connection_info(url, &url.nodes[0])?).map(Target::Single)?
            }
            Scheme::Cluster => {
                let nodes = url
                    .nodes
                    .iter()
                    .map(|node| connection_info(url, node))
                    .collect::<Result<Vec<_>, _>>()?;
                // One call on a cluster with a hung node must cost about
                // one timeout. Making a cluster connection tries every
                // seed, then every node again for the slot map (each a
                // connect plus a PING); a command that fails takes about
                // two reads. Hence an eighth of the timeout per node
                // connection and half per command, and no retries (a
                // retry reconnects and asks again: one more timeout; a
                // `MOVED` after resharding fails that command and the
                // next connection reads the new slot map). Measured with
                // 250 ms, one node SIGSTOPped: at most ~280 ms per call,
                // against 1.1–2.8 s before.
                let mut builder = ClusterClient::builder(nodes)
                    .connection_timeout(timeout / 8)
                    .response_timeout(timeout / 2)
                    .retries(0);
                if let Some(user) = &url.username {
                    builder = builder.username(user);
                }
                if let Some(password) = &url.password {
                    builder = builder.password(password);
                }
                Target::Cluster(builder.build()?)
            }
        };
        Ok(Pool {
            target: AssertUnwindSafe(target),
            timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs `command` on an idle connection, or a new one. A connection
    /// that sat idle may have been closed meanwhile (by the server's
    /// `timeout`, a proxy, a restart): if it turns out dropped, `command`
    /// runs once more on a new connection. A connection goes back to the
    /// pool unless the command failed in a way that may have left it
    /// unusable (I/O, timeout: a late answer would be read as the next
    /// command's).
    pub(crate) fn with<T>(
        &self,
        mut command: impl FnMut(&mut dyn ConnectionLike) -> RedisResult<T>,
    ) -> RedisResult<T> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(mut conn) = idle {
            match command(conn.like()) {
                Err(error)
                    if error.is_connection_dropped()
                        || (error.is_io_error() && !error.is_timeout()) => {}
                result => {
                    self.give_back(conn, &result);
                    return result;
                }
            }
        }
        let mut conn = self.connect()?;
        let result = command(conn.like());
        self.give_back(conn, &result);
        result
    }

    fn give_back<T>(&self, conn: Conn, result: &RedisResult<T>) {
        let reusable = match result {
            Ok(_) => true,
            Err(error) => {
                !(error.is_io_error()
                    || error.is_timeout()
                    || error.is_connection_dropped()
                    || error.is_unrecoverable_error())
            }
        };
        if reusable {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }

    fn connect(&self) -> RedisResult<Conn> {
        let timeout = Some(self.timeout);
        match &*self.target {
            Target::Single(client) => {
                let conn = client.get_connection_with_timeout(self.timeout)?;
                conn.set_read_timeout(timeout)?;
                conn.set_write_timeout(timeout)?;
                Ok(Conn::Single(conn))
            }
            Target::Cluster(client) => {
                let conn = client.get_connection()?;
                // (Half: see `Pool::new`.)
                conn.set_read_timeout(timeout.map(|t| t / 2))?;
                conn.set_write_timeout(timeout.map(|t| t / 2))?;
                Ok(Conn::Cluster(Box::new(conn)))
            }
        }
    }

    /// Drops the idle connections (after the remote failed: they are
    /// likely dead too).
    pub(crate) fn clear(&self) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// How to reach `node` of `url`, with its credentials and database.
pub(crate) fn connection_info(url: &RemoteUrl, node: &Node) -> Result<ConnectionInfo, PoolError> {
    let addr = match url.scheme {
        Scheme::Plain | Scheme::Cluster => ConnectionAddr::Tcp(node.host.clone(), node.port),
        Scheme::Tls => tls_addr(node)?,
    };
    // No `CLIENT SETINFO` on connecting: one round trip less, and against a
    // server that never answers, one timeout less.
    let mut redis = RedisConnectionInfo::default()
        .set_db(url.db)
        .set_skip_set_lib_name();
    if let Some(user) = &url.username {
        redis = redis.set_username(user);
    }
    if let Some(password) = &url.password {
        redis = redis.set_password(password);
    }
    Ok(addr.into_connection_info()?.set_redis_settings(redis))
}

#[cfg(feature = "redis-tls")]
fn tls_addr(node: &Node) -> Result<ConnectionAddr, PoolError> {
    // rustls needs a process-wide crypto provider; another part of the
    // program may have installed one already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(ConnectionAddr::TcpTls {
        host: node.host.clone(),
        port: node.port,
        insecure: false,
        tls_params: None,
    })
}

#[cfg(not(feature = "redis-tls"))]
fn tls_addr(_: &Node) -> Result<ConnectionAddr, PoolError> {
    Err(PoolError::NoTls)
}
