//! Free loopback ports.

use std::net::TcpListener;

/// A loopback port nobody listens on at the moment of the call (another
/// process may take it before the caller does; [`crate::RedisServer`]
/// retries on another port when that happens).
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("the loopback interface gives out a port")
        .port()
}

/// A free port whose Redis Cluster bus port (`port + 10000`) is free too.
pub(crate) fn free_cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}
