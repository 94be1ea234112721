//! Real Redis for the remote-tier tests: a `redis-server` on a free
//! loopback port, a three-node Redis Cluster, and a "silent server" that
//! accepts connections and never answers.
//!
//! Each server runs in its own temporary directory with persistence off
//! (`--save '' --appendonly no`) and is killed when its handle is dropped —
//! also when the test panics, since drops run while unwinding.
//!
//! The binaries come from the system (Debian: `redis-server`,
//! `redis-tools`; `.ci/run` installs them). Call [`available`] first: on a
//! developer machine without them a test prints a loud SKIPPED line and
//! returns; under `CI=true` a missing binary fails the test, because CI
//! installs them and a skip there would hide a broken install.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The server binary.
pub const SERVER: &str = "redis-server";
/// The command-line client, which also creates clusters.
pub const CLI: &str = "redis-cli";

/// How long a server or a cluster may take to come up before the test
/// fails (generous: two shared cores, several tests starting servers).
const START_DEADLINE: Duration = Duration::from_secs(30);

/// Whether `redis-server` and `redis-cli` can be run. When they cannot, a
/// test should return at once: this prints `SKIPPED <test>` on stderr, or
/// panics when the environment says `CI=true`.
pub fn available(test: &str) -> bool {
    let missing: Vec<&str> = [SERVER, CLI]
        .into_iter()
        .filter(|binary| !runs(binary))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(" and ");
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{what} not found, and CI=true: CI must install redis-server and redis-tools");
    }
    // Straight to the stderr stream, past libtest's capture (which only
    // catches the print macros), so that a passing run shows it too.
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! SKIPPED {test}: {what} not found on PATH \
         (apt-get install redis-server redis-tools) !!!!!!!!\n"
    );
    false
}

fn runs(binary: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Settings of a server to start; [`RedisServer::start`] uses the defaults.
#[derive(Debug, Default, Clone)]
pub struct Options {
    password: Option<String>,
    maxmemory: Option<(String, String)>,
    extra: Vec<String>,
}

impl Options {
    /// Requires clients to authenticate (`--requirepass`).
    pub fn password(mut self, password: &str) -> Options {
        self.password = Some(password.to_owned());
        self
    }

    /// Caps the memory (`--maxmemory 1mb`) with a policy such as
    /// `noeviction` or `allkeys-lru`.
    pub fn maxmemory(mut self, size: &str, policy: &str) -> Options {
        self.maxmemory = Some((size.to_owned(), policy.to_owned()));
        self
    }

    /// Any other `--name value` arguments.
    pub fn arg(mut self, name: &str, value: &str) -> Options {
        self.extra.push(format!("--{name}"));
        self.extra.push(value.to_owned());
        self
    }

    /// Starts the server on a free loopback port.
    pub fn start(self) -> RedisServer {
        let mut last_error = String::new();
        // Another process can take the port between our probe and the
        // server's bind: try a few.
        for _ in 0..5 {
            match RedisServer::start_on(free_port(), &self) {
                Ok(server) => return server,
                Err(error) => last_error = error,
            }
        }
        panic!("redis-server did not start:\n{last_error}");
    }
}

/// A `redis-server` child process, killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    password: Option<String>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// A server with default settings on a free loopback port.
    pub fn start() -> RedisServer {
        Options::default().start()
    }

    /// Settings to start a server with.
    pub fn options() -> Options {
        Options::default()
    }

    fn start_on(port: u16, options: &Options) -> Result<RedisServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("funcache-redis-")
            .tempdir()
            .unwrap();
        let mut command = Command::new(SERVER);
        command
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(dir.path().join("redis.log"));
        if let Some(password) = &options.password {
            command.args(["--requirepass", password]);
        }
        if let Some((size, policy)) = &options.maxmemory {
            command.args(["--maxmemory", size, "--maxmemory-policy", policy]);
        }
        command.args(&options.extra);
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{SERVER}: {e}"))?;
        let mut server = RedisServer {
            child,
            port,
            password: options.password.clone(),
            dir,
        };
        server.wait_until_up()?;
        Ok(server)
    }

    /// Waits until the server answers `PING` (any reply, `NOAUTH` too:
    /// the server is up).
    fn wait_until_up(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("no answer to PING:\n{}", self.log()))
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// Its loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `redis://[:password@]127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/0", self.port),
            None => self.url_without_password(),
        }
    }

    /// `redis://127.0.0.1:PORT/0`, without credentials.
    pub fn url_without_password(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A new authenticated connection, for a test to look at or change
    /// what is stored.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|client| client.get_connection())
            .unwrap_or_else(|e| panic!("connecting to redis on port {}: {e}", self.port))
    }

    /// Runs one command and returns its reply.
    pub fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T {
        command
            .query(&mut self.connection())
            .unwrap_or_else(|e| panic!("redis on port {}: {e}", self.port))
    }

    /// The number of keys in database 0.
    pub fn dbsize(&self) -> u64 {
        self.query(&redis::cmd("DBSIZE"))
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.query(redis::cmd("KEYS").arg("*"));
        keys.sort();
        keys
    }

    /// Kills the server now (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal by name (`STOP`, `CONT`, `KILL`).
    pub fn signal(&self, signal: &str) {
        send_signal(self.pid(), signal);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL also ends a server a test stopped with SIGSTOP.
        self.kill();
    }
}

/// Sends `signal` (a name such as `STOP`) to `pid` with the shell's `kill`
/// builtin: the workspace denies unsafe code, so no `libc::kill`, and the
/// builtin needs no package beyond `sh`.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\""])
        .arg(signal)
        .arg(pid.to_string())
        .status()
        .expect("sh");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Whether something on `port` answers an inline `PING` with a reply.
fn ping(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok()
        && (line.starts_with('+') || line.starts_with('-'))
}

/// Whether a TCP connection to `port` on loopback is refused (nothing
/// listens there any more).
pub fn refused(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err()
}

/// A port nothing listens on now, chosen by the kernel.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("binding a loopback port")
}

/// A port `p` such that `p` and `p + 10000` (its cluster bus port) are
/// both free: cluster nodes need the pair, and kernel-chosen ports can be
/// too high to have a bus port. Candidates walk a range below the usual
/// ephemeral ports, starting at a place that differs per process.
fn free_cluster_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = 20_000 + (std::process::id() % 5_000) as u16;
    loop {
        let port = start + NEXT.fetch_add(1, Ordering::Relaxed) % 9_000;
        let port = if port >= 29_000 { port - 9_000 } else { port };
        let free = |p: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok();
        if free(port) && free(port + 10_000) {
            return port;
        }
    }
}

/// Three `redis-server --cluster-enabled yes` nodes joined into one
/// cluster (no replicas), all killed on drop.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three nodes, joins them with `redis-cli --cluster create`,
    /// and waits until every node reports `cluster_state:ok`.
    pub fn start() -> RedisCluster {
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start() {
                Ok(cluster) => return cluster,
                Err(error) => last_error = error,
            }
        }
        panic!("the redis cluster did not start:\n{last_error}");
    }

    fn try_start() -> Result<RedisCluster, String> {
        let options = Options::default()
            .arg("cluster-enabled", "yes")
            .arg("cluster-config-file", "nodes.conf")
            .arg("cluster-node-timeout", "5000");
        let mut nodes = Vec::new();
        for _ in 0..3 {
            nodes.push(RedisServer::start_on(free_cluster_port(), &options)?);
        }
        let cluster = RedisCluster { nodes };
        let output = Command::new(CLI)
            .arg("--cluster")
            .arg("create")
            .args(
                cluster
                    .nodes
                    .iter()
                    .map(|n| format!("127.0.0.1:{}", n.port)),
            )
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{CLI}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        cluster.wait_until_ok()?;
        Ok(cluster)
    }

    fn wait_until_ok(&self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        let ok = |node: &RedisServer| {
            redis::cmd("CLUSTER")
                .arg("INFO")
                .query::<String>(&mut node.connection())
                .is_ok_and(|info| info.contains("cluster_state:ok"))
        };
        while Instant::now() < deadline {
            if self.nodes.iter().all(ok) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("the cluster never reported cluster_state:ok".to_owned())
    }

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2`: two of the three nodes
    /// as seeds, so the client must discover the third.
    pub fn url(&self) -> String {
        format!(
            "redis+cluster://127.0.0.1:{},127.0.0.1:{}",
            self.nodes[0].port, self.nodes[1].port
        )
    }

    /// The nodes.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Every key of every node, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.nodes.iter().flat_map(RedisServer::keys).collect();
        keys.sort();
        keys
    }
}

/// A TCP listener on loopback that accepts connections and never reads or
/// answers: a server that hangs. Its connections stay open until drop.
pub struct SilentServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentServer {
    /// Starts listening on a free loopback port.
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            // Held, never read: the peer's commands wait forever.
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    held.push(stream);
                }
            }
        });
        SilentServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
