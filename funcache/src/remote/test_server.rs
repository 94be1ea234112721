//! A real `redis-server` on a free loopback port for the unit tests,
//! stopped when dropped. Without the binary a test says loudly that it was
//! skipped, unless `CI=true`, where that is a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct TestServer {
    child: Child,
    pub port: u16,
}

/// Whether `binary` runs; if not, says loudly that `test` is skipped, or
/// fails it when `CI=true` (CI installs the binaries).
fn installed(test: &str, binary: &str) -> bool {
    let runs = Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: {binary} is not installed, and CI=true requires it"
        );
        eprintln!(
            "SKIPPED {test}: {binary} is not installed (apt-get install redis-server redis-tools)"
        );
    }
    runs
}

impl TestServer {
    /// Starts a server with `extra` arguments (`["--maxmemory", "1mb"]`);
    /// `None` (after a SKIPPED line) when `redis-server` is not installed.
    pub(crate) fn start(test: &str, extra: &[&str]) -> Option<TestServer> {
        installed(test, "redis-server").then(|| TestServer::start_on(free_port(), extra))
    }

    fn start_on(port: u16, extra: &[&str]) -> TestServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = TestServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A plain connection, for looking at and changing what is stored.
    pub(crate) fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Stops the server (as a crash would).
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis Cluster of three masters on loopback, stopped when dropped.
pub(crate) struct TestCluster {
    pub nodes: Vec<TestServer>,
    _dir: tempfile::TempDir,
}

impl TestCluster {
    /// Starts three `--cluster-enabled` servers and joins them with
    /// `redis-cli --cluster create`; `None` (after a SKIPPED line) without
    /// the binaries.
    pub(crate) fn start(test: &str) -> Option<TestCluster> {
        if !installed(test, "redis-server") || !installed(test, "redis-cli") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let port = free_cluster_port();
            let config = dir.path().join(format!("nodes-{port}.conf"));
            let args = [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                config.to_str().unwrap(),
                "--dir",
                dir.path().to_str().unwrap(),
            ];
            nodes.push(TestServer::start_on(port, &args));
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            created.is_ok_and(|status| status.success()),
            "{test}: redis-cli --cluster create failed"
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &nodes {
            loop {
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut node.connection())
                    .unwrap();
                if info.contains("cluster_state:ok") {
                    break;
                }
                assert!(Instant::now() < deadline, "the cluster did not settle");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(TestCluster { nodes, _dir: dir })
    }

    /// `redis+cluster://` with every node as a seed.
    pub(crate) fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis+cluster://{}", seeds.join(","))
    }
}

/// A port whose cluster bus port (+10000) is free too.
fn free_cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// A loopback port nobody listens on now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
