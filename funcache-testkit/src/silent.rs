//! A TCP server that accepts and never answers.

use std::net::TcpListener;

/// Listens on a free loopback port and never reads or replies: the
/// kernel completes connections (up to the backlog), so a client gets a
/// connection and then waits until its own timeout. Closed on drop.
pub struct SilentServer {
    listener: TcpListener,
}

impl SilentServer {
    /// Binds a free loopback port. Needs no binary, so never skips.
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a loopback port");
        SilentServer { listener }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
            .port()
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port())
    }
}
