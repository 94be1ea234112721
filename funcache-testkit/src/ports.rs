//! Free loopback ports.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A loopback port nobody listens on at the moment of the call (another
/// process may take it before the caller does; [`crate::RedisServer`]
/// retries on another port when that happens).
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("the loopback interface gives out a port")
        .port()
}

/// Whether a connection to `port` on loopback is refused: nothing listens
/// there (any more), as after a server was killed.
pub fn refused(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err()
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
