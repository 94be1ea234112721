//! Refusals that retrying will not change: a wrong password or database
//! number, a cluster node addressed as one server, a server that is no
//! cluster addressed as one. The client switches the remote off for the
//! process after the first (with one warning saying what to change),
//! rather than reconnecting and being refused on every call.

use std::time::Duration;

use redis::{ErrorKind, RedisError, ServerErrorKind};

use super::url::{RemoteUrl, Scheme};

/// What to tell the user about `error`, if it is a refusal that lasts.
/// `url` is the remote's (its database number, its scheme).
pub(crate) fn lasting(error: &RedisError, url: &RemoteUrl) -> Option<String> {
    let text = error.to_string();
    match (error.kind(), error.code()) {
        (ErrorKind::AuthenticationFailed, _) | (_, Some("WRONGPASS")) => Some(
            "rejected the user name or password (check the URL or FUNCACHE_REMOTE_PASSWORD)"
                .to_owned(),
        ),
        (_, Some("NOAUTH")) => Some(
            "requires a password (NOAUTH): give it in the URL or FUNCACHE_REMOTE_PASSWORD"
                .to_owned(),
        ),
        (_, Some("NOPERM")) => {
            Some("denies this user a command funcache needs (NOPERM: check its ACL)".to_owned())
        }
        // (Through `redis+cluster://`, a `MOVED` means the slots moved: the
        // next connection reads them again.)
        (ErrorKind::Server(ServerErrorKind::Moved), _) | (_, Some("MOVED"))
            if url.scheme != Scheme::Cluster =>
        {
            Some(
                "is a node of a Redis Cluster: use redis+cluster://host:port,… instead of \
                 redis://"
                    .to_owned(),
            )
        }
        _ if text.contains("switch database") || text.contains("DB index") => Some(format!(
            "has no database {} (db {} is out of range: see its `databases` setting)",
            url.db, url.db
        )),
        _ if text.contains("cluster support disabled") => Some(not_a_cluster()),
        _ => None,
    }
}

fn not_a_cluster() -> String {
    "is not a Redis Cluster (cluster support disabled): use redis:// for one server".to_owned()
}

/// For a cluster that could not be connected at all: whether its first
/// seed answers as a server without cluster support (one connection,
/// bounded by `timeout`), and if so what to tell the user.
pub(crate) fn seed_is_no_cluster(url: &RemoteUrl, timeout: Duration) -> Option<String> {
    if url.scheme != Scheme::Cluster {
        return None;
    }
    let info = super::pool::connection_info(url, &url.nodes[0]).ok()?;
    let client = redis::Client::open(info).ok()?;
    let mut conn = client.get_connection_with_timeout(timeout).ok()?;
    conn.set_read_timeout(Some(timeout)).ok()?;
    conn.set_write_timeout(Some(timeout)).ok()?;
    let error = redis::cmd("CLUSTER")
        .arg("INFO")
        .query::<String>(&mut conn)
        .err()?;
    error
        .to_string()
        .contains("cluster support disabled")
        .then(not_a_cluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved() -> RedisError {
        redis::parse_redis_value(b"-MOVED 3999 127.0.0.1:6381\r\n")
            .and_then(|reply| reply.extract_error())
            .unwrap_err()
    }

    /// A `MOVED` says "use redis+cluster://" to a `redis://` URL only:
    /// through a cluster URL it means resharding, not a wrong URL, and
    /// must not switch the remote off.
    #[test]
    fn moved_is_lasting_for_one_server_only() {
        let single = RemoteUrl::parse("redis://h:1").unwrap();
        let cluster = RemoteUrl::parse("redis+cluster://h:1,h:2").unwrap();
        let why = lasting(&moved(), &single).expect("lasting");
        assert!(why.contains("redis+cluster://"), "{why}");
        assert_eq!(lasting(&moved(), &cluster), None);
    }
}
