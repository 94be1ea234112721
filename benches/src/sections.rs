//! The measurements. Each section runs in its own process (see main.rs) and
//! prints `RESULT <key> <median> <p10> <p90>` lines, in nanoseconds.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::harness::{Figure, each, per_op};
use crate::subjects::*;

const SAMPLES: usize = 41;

/// A cached function under test.
type Subject = fn(u64) -> String;

pub fn report(key: &str, figure: Figure) {
    println!(
        "RESULT {key} {} {} {}",
        figure.median, figure.p10, figure.p90
    );
}

/// A fresh cache directory for funcache in this process.
pub fn use_temp_cache_dir() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    funcache::set_cache_dir(temp.path().join("cache")).expect("first set");
    temp
}

pub fn hits() {
    let _dir = use_temp_cache_dir();
    funcache_memory(7);
    report(
        "hit.funcache.memory",
        per_op(SAMPLES, || funcache_memory(black_box(7))),
    );
    funcache_memory_sharded(7);
    report(
        "hit.funcache.memory_sharded",
        per_op(SAMPLES, || funcache_memory_sharded(black_box(7))),
    );
    funcache_disk(7);
    report(
        "hit.funcache.disk",
        per_op(SAMPLES, || funcache_disk(black_box(7))),
    );
    cached_memory(7);
    report(
        "hit.cached.memory",
        per_op(SAMPLES, || cached_memory(black_box(7))),
    );
    cached_disk(7).unwrap();
    report(
        "hit.cached.disk",
        per_op(SAMPLES, || cached_disk(black_box(7)).unwrap()),
    );

    // The floor: sled's own get of a key and value the sizes of ours for
    // `funcache_disk(7)`: the key is fingerprint (32) ‖ kind (1) ‖ the u64
    // argument's encoding (tag, tag, 8 bytes); the value is the envelope
    // (version, created-ms varint of 6 bytes, compute varint, payload kind)
    // and postcard's "value 7" (length byte and 7 bytes).
    let temp = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(temp.path()).open().unwrap();
    let tree = db.open_tree("fn:bench").unwrap();
    let key = [7u8; 32 + 1 + 10];
    tree.insert(key, vec![1u8; 1 + 6 + 1 + 1 + 8]).unwrap();
    report(
        "hit.sled.get",
        per_op(SAMPLES, || tree.get(black_box(key)).unwrap()),
    );
}

pub fn misses(lazy: bool) {
    let _dir = use_temp_cache_dir();
    let next = AtomicU64::new(1_000_000);
    let fresh = || next.fetch_add(1, Ordering::Relaxed);
    let label = if lazy { "lazy" } else { "durable" };
    report(
        &format!("miss.funcache.{label}"),
        each(SAMPLES * 5, || funcache_disk(fresh())),
    );
    let op = |x| {
        if lazy {
            cached_disk_lazy(x)
        } else {
            cached_disk(x)
        }
    };
    report(
        &format!("miss.cached.{label}"),
        each(SAMPLES * 5, || op(fresh()).unwrap()),
    );
}

/// A deterministic xorshift generator of keys below `n`.
fn random_below(n: u64) -> impl FnMut() -> u64 {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}

/// Random reads before measuring, so the figure is the steady state of a
/// long-running program, not the first touches of pages after the fill.
fn warm_up(n: u64, mut read: impl FnMut(u64)) {
    let mut random = random_below(n);
    for _ in 0..(2 * n).min(300_000) {
        read(random());
    }
}

pub fn scaling() {
    let _dir = use_temp_cache_dir();
    let functions: [(&str, Subject, u64); 3] = [
        ("10", scale_10, 10),
        ("10k", scale_10k, 10_000),
        ("1m", scale_1m, 1_000_000),
    ];
    for (_, function, n) in functions {
        for x in 0..n {
            function(x);
        }
    }
    funcache::flush().unwrap();
    for (label, function, n) in functions {
        warm_up(n, |x| drop(function(x)));
        let mut random = random_below(n);
        report(
            &format!("scale.{label}"),
            per_op(SAMPLES, || function(random())),
        );
    }
    // The floor: sled's own get, with the same key and value sizes.
    for (label, n) in [("10", 10u64), ("1m", 1_000_000)] {
        let temp = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(temp.path())
            .cache_capacity(64 << 20)
            .open()
            .unwrap();
        let tree = db.open_tree("fn:bench").unwrap();
        let key = |x: u64| {
            let mut key = [7u8; 32 + 1 + 10];
            key[35..].copy_from_slice(&x.to_le_bytes());
            key
        };
        for x in 0..n {
            tree.insert(key(x), vec![1u8; 17]).unwrap();
        }
        warm_up(n, |x| drop(tree.get(key(x)).unwrap()));
        let mut random = random_below(n);
        report(
            &format!("scale.sled.{label}"),
            per_op(SAMPLES, || tree.get(key(random())).unwrap()),
        );
    }
}

pub fn large() {
    let dir = use_temp_cache_dir();
    for (label, bytes) in [("1mib", 1usize << 20), ("256mib", 256 << 20)] {
        let elements = bytes / 8;
        let samples = if bytes > 1 << 20 { 7 } else { SAMPLES };
        // Store: each sample computes and writes anew (refresh).
        report(
            &format!("large.store.{label}"),
            each(samples, || large_value_refresh(elements)),
        );
        report(
            &format!("large.reload.{label}"),
            each(samples, || large_value(elements)),
        );
        let value = large_value(elements);
        let raw: Vec<u8> = value.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = dir.path().join(format!("plain-{label}"));
        report(
            &format!("large.file_write.{label}"),
            each(samples, || {
                use std::io::Write;
                let mut file = std::fs::File::create(&path).unwrap();
                file.write_all(&raw).unwrap();
                file.sync_all().unwrap();
            }),
        );
        report(
            &format!("large.file_read.{label}"),
            each(samples, || {
                let bytes = std::fs::read(&path).unwrap();
                let floats: Vec<f64> = bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                floats
            }),
        );
    }
}

/// Hits per second over `threads` threads, each doing `per_thread` hits.
fn throughput(threads: usize, op: fn(u64) -> String) -> f64 {
    let per_thread = 2_000_000 / threads as u64;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for i in 0..per_thread {
                    black_box(op(black_box((i + t as u64) % 64)));
                }
            });
        }
    });
    (per_thread * threads as u64) as f64 / started.elapsed().as_secs_f64()
}

pub fn threads() {
    let _dir = use_temp_cache_dir();
    for x in 0..64 {
        funcache_memory(x);
        funcache_memory_sharded(x);
        funcache_disk(x);
        cached_memory(x);
    }
    let subjects: [(&str, Subject); 4] = [
        ("memory", funcache_memory),
        ("memory_sharded", funcache_memory_sharded),
        ("disk", funcache_disk),
        ("cached_memory", cached_memory),
    ];
    for (label, op) in subjects {
        for threads in [1, 2] {
            let rates: Vec<f64> = (0..5).map(|_| throughput(threads, op)).collect();
            // Reported as ns per hit of aggregate throughput.
            report(
                &format!("threads.{label}.{threads}"),
                Figure::from_samples(rates.iter().map(|r| 1e9 / r).collect()),
            );
        }
    }
}
