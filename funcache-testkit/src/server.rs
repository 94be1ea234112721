//! One `redis-server` process on a free loopback port.

use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::install::installed;
use crate::ports::free_port;
use crate::resp;
use crate::scratch::Scratch;
use crate::signal::send_signal;

/// How long a started server has to answer `PING` before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// Ports are picked free but may be taken before the server binds; a
/// server that exits at once is started again on another port this many
/// times.
const ATTEMPTS: usize = 5;
/// The server's log file, in its directory.
const LOG: &str = "redis.log";

/// What to start a [`RedisServer`] with, beyond the fixed base: loopback
/// only, no persistence (`--save "" --appendonly no`), its own directory.
///
/// ```ignore
/// RedisOptions::default().requirepass("hunter2").maxmemory("1mb")
/// ```
#[derive(Clone, Debug, Default)]
pub struct RedisOptions {
    password: Option<String>,
    args: Vec<String>,
}

impl RedisOptions {
    /// `--requirepass password`; [`RedisServer::url`] and
    /// [`RedisServer::query`] then carry it.
    pub fn requirepass(mut self, password: &str) -> RedisOptions {
        self.password = Some(password.to_owned());
        self.args(&["--requirepass", password])
    }

    /// `--maxmemory limit` (`"1mb"`, or `"1"` byte for a server that
    /// refuses every write with OOM; the default policy is `noeviction`).
    pub fn maxmemory(self, limit: &str) -> RedisOptions {
        self.args(&["--maxmemory", limit])
    }

    /// `--maxmemory-policy policy` (`noeviction`, `allkeys-lru`, ...).
    pub fn maxmemory_policy(self, policy: &str) -> RedisOptions {
        self.args(&["--maxmemory-policy", policy])
    }

    /// Any other `redis-server` arguments, appended as given.
    pub fn args(mut self, args: &[&str]) -> RedisOptions {
        self.args.extend(args.iter().map(|&arg| arg.to_owned()));
        self
    }
}

/// A running `redis-server` on `127.0.0.1`, answering `PING` by the time
/// it is returned, with its own temporary directory. Killed (and the
/// directory removed) on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    password: Option<String>,
    dir: Scratch,
}

impl RedisServer {
    /// Starts a server with `options`; `None` after a SKIPPED line when
    /// `redis-server` is not installed (see [`crate::installed`]).
    ///
    /// # Panics
    /// When `CI=true` and `redis-server` is missing, or when the server
    /// does not answer `PING` within 10 s.
    pub fn start(test: &str, options: RedisOptions) -> Option<RedisServer> {
        installed(test, "redis-server").then(|| RedisServer::launch(&options, free_port))
    }

    /// Starts `redis-server` on a port from `pick`, again on another port
    /// if it exits at once (the port was taken meanwhile).
    pub(crate) fn launch(options: &RedisOptions, pick: fn() -> u16) -> RedisServer {
        for _ in 0..ATTEMPTS {
            if let Some(server) = RedisServer::try_launch(options, pick()) {
                return server;
            }
        }
        panic!("redis-server exited at once {ATTEMPTS} times (ports taken?)");
    }

    fn try_launch(options: &RedisOptions, port: u16) -> Option<RedisServer> {
        let dir = Scratch::new("redis");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(dir.path().join(LOG))
            .args(&options.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let mut server = RedisServer {
            child,
            port,
            password: options.password.clone(),
            dir,
        };
        let deadline = Instant::now() + READY_WITHIN;
        while server.query(&["PING"]).ok().as_deref() != Some("PONG") {
            if server.child.try_wait().ok().flatten().is_some() {
                return None;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(server)
    }

    /// The port it listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `redis://127.0.0.1:<port>/0`, or `redis://:<password>@...` when
    /// started with [`RedisOptions::requirepass`].
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@{}/0", self.address()),
            None => self.url_without_password(),
        }
    }

    /// `redis://127.0.0.1:<port>/0`, without the password even when it has
    /// one.
    pub fn url_without_password(&self) -> String {
        format!("redis://{}/0", self.address())
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far (`--logfile` in its directory); empty
    /// when unreadable.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(LOG)).unwrap_or_default()
    }

    /// Sends a signal by name (`"STOP"`, `"CONT"`, `"KILL"`); see
    /// [`crate::send_signal`].
    ///
    /// # Panics
    /// When `kill` fails (say, the process is gone).
    pub fn signal(&self, signal: &str) {
        send_signal(self.pid(), signal);
    }

    /// Its working directory (`--dir`), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends one command (`&["CONFIG", "GET", "maxmemory"]`) over a new
    /// connection, authenticated when the server has a password, and
    /// returns a one-line or bulk reply as text; an error reply is an
    /// `io::Error`. For looking at the server without a client crate.
    pub fn query(&self, args: &[&str]) -> io::Result<String> {
        resp::query(self.port, self.password.as_deref(), args)
    }

    /// Stops the server at once (SIGKILL, as a crash would; also one a
    /// test stopped with SIGSTOP); later connections are refused.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
