//! The harnesses against the real binaries.

use crate::{RedisCluster, RedisOptions, RedisServer, SilentServer};

#[test]
fn a_server_answers_with_its_options_and_is_gone_after_drop() {
    let Some(server) = RedisServer::start(
        "testkit server",
        RedisOptions::default().requirepass("pw").maxmemory("1mb"),
    ) else {
        return;
    };
    assert_eq!(
        server.url(),
        format!("redis://:pw@127.0.0.1:{}/0", server.port())
    );
    let maxmemory = server.query(&["CONFIG", "GET", "maxmemory"]);
    // An array reply is not supported; a plain GET shows the password works.
    assert!(maxmemory.is_err(), "{maxmemory:?}");
    assert_eq!(server.query(&["SET", "k", "v"]).unwrap(), "OK");
    assert_eq!(server.query(&["GET", "k"]).unwrap(), "v");
    assert!(server.dir().is_dir());
    let (port, dir) = (server.port(), server.dir().to_owned());
    drop(server);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(!dir.exists());
}

#[test]
fn a_killed_server_refuses_connections() {
    let Some(mut server) = RedisServer::start("testkit kill", RedisOptions::default()) else {
        return;
    };
    assert_eq!(
        server.url(),
        format!("redis://127.0.0.1:{}/0", server.port())
    );
    server.kill();
    assert!(server.query(&["PING"]).is_err());
}

#[test]
fn a_cluster_has_three_settled_nodes() {
    let Some(cluster) = RedisCluster::start("testkit cluster") else {
        return;
    };
    assert_eq!(cluster.nodes().len(), 3);
    for node in cluster.nodes() {
        let info = node.query(&["CLUSTER", "INFO"]).unwrap();
        assert!(info.contains("cluster_known_nodes:3"), "{info}");
    }
    assert!(cluster.url().starts_with("redis+cluster://127.0.0.1:"));
}

#[test]
fn a_silent_server_accepts_and_never_answers() {
    use std::io::Read;
    let silent = SilentServer::start();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", silent.port())).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(100)))
        .unwrap();
    let mut byte = [0];
    assert!(stream.read(&mut byte).is_err(), "no reply, only a timeout");
}

#[test]
fn a_stopped_server_is_resumed_and_logs() {
    let Some(server) = RedisServer::start(
        "testkit signal",
        RedisOptions::default()
            .maxmemory("1mb")
            .maxmemory_policy("allkeys-lru"),
    ) else {
        return;
    };
    server.signal("STOP");
    server.signal("CONT");
    assert_eq!(server.query(&["PING"]).unwrap(), "PONG");
    assert!(
        server.log().contains("Ready to accept connections"),
        "{}",
        server.log()
    );
    assert_eq!(server.url(), server.url_without_password());
}

#[test]
fn a_server_killed_by_pid_stops_listening() {
    let Some(server) = RedisServer::start("testkit send_signal", RedisOptions::default()) else {
        return;
    };
    assert!(!crate::refused(server.port()));
    crate::send_signal(server.pid(), "KILL");
    // The socket closes as the process dies; the handle reaps it on drop.
    while !crate::refused(server.port()) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
