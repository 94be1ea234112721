//! The remote tier against Redis on loopback: a remote hit (a call whose
//! result is in Redis but not in the local directory) against a raw `GET`
//! of the same key and bytes through the `redis` crate.
//!
//! A remote hit fills the local directory, so each key is a remote hit only
//! once: a filler process with a directory of its own computes [`KEYS`]
//! results into Redis, then the section, with an empty directory, calls
//! each key once. The figure includes writing the hit into the local
//! directory, as every remote hit does; a read-only process measures the
//! hit without it.

use std::hint::black_box;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Op, each, each_interleaved};
use crate::sections::{report, use_temp_cache_dir};
use crate::subjects::{compute, funcache_remote, funcache_remote_cache};

/// Results the filler stores, one per sample.
const KEYS: u64 = 401;

/// A `redis-server` on a free loopback port, without persistence, killed
/// on drop.
pub struct Server {
    child: Child,
    _dir: tempfile::TempDir,
    /// `redis://127.0.0.1:PORT/0`.
    pub url: String,
}

impl Server {
    /// Starts one, or says why not (no `redis-server` on PATH, or it did
    /// not come up).
    pub fn start() -> Result<Server, String> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e}"))?;
        let server = Server {
            child,
            _dir: dir,
            url: format!("redis://127.0.0.1:{port}/0"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not come up in 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The filler: computes every key into the remote (`FUNCACHE_REMOTE`)
/// through a directory of its own.
pub fn fill() {
    let _dir = use_temp_cache_dir();
    for x in 0..KEYS {
        funcache_remote(x);
    }
    assert_eq!(funcache_remote_cache().info().misses, KEYS);
}

/// The section: remote hits and raw `GET`s, interleaved.
pub fn remote() {
    let url = std::env::var("FUNCACHE_REMOTE").expect("the parent sets FUNCACHE_REMOTE");
    let mut connection = redis::Client::open(url.as_str())
        .and_then(|client| client.get_connection())
        .expect("connect to redis");
    // Every key must be a miss for the filler and a remote hit here.
    let () = redis::cmd("FLUSHDB").query(&mut connection).unwrap();
    let filler = Command::new(std::env::current_exe().unwrap())
        .arg("--remote-fill")
        .status()
        .expect("start the filler");
    assert!(filler.success(), "the filler failed");
    let _dir = use_temp_cache_dir();

    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("funcache:*")
        .query(&mut connection)
        .unwrap();
    keys.retain(|key| !key.ends_with(":lease"));
    assert_eq!(keys.len() as u64, KEYS, "the filler stored every key");

    let mut next_call = 0..KEYS;
    let mut next_get = keys.iter().cycle();
    let ops: Vec<Op<'_>> = vec![
        Box::new(|| {
            let x = next_call.next().unwrap();
            assert_eq!(black_box(funcache_remote(black_box(x))), compute(x));
        }),
        Box::new(|| {
            let value: Vec<u8> = redis::cmd("GET")
                .arg(next_get.next().unwrap())
                .query(&mut connection)
                .unwrap();
            black_box(value);
        }),
    ];
    let figures = each_interleaved(KEYS as usize, ops);
    let info = funcache_remote_cache().info();
    assert_eq!(
        (info.remote.hits, info.misses),
        (KEYS, 0),
        "every call was a remote hit"
    );
    report("remote.hit", figures[0]);
    report("remote.redis_get", figures[1]);

    // The same hits without filling the local directory: what the fill
    // costs. Read-only is decided once per process, hence a process of its
    // own, whose RESULT line goes straight to our stdout.
    let readonly = Command::new(std::env::current_exe().unwrap())
        .arg("--remote-readonly")
        .env("FUNCACHE_READONLY", "1")
        .status()
        .expect("start the read-only reader");
    assert!(readonly.success(), "the read-only reader failed");
}

/// Remote hits under `FUNCACHE_READONLY=1`: read from Redis, checked and
/// decoded, but not written to the (empty) local directory.
pub fn readonly_hits() {
    let _dir = use_temp_cache_dir();
    let mut next_call = 0..KEYS;
    let figure = each(KEYS as usize, || {
        let x = next_call.next().unwrap();
        assert_eq!(black_box(funcache_remote(black_box(x))), compute(x));
    });
    assert_eq!(funcache_remote_cache().info().remote.hits, KEYS);
    report("remote.hit_readonly", figure);
}
