//! The measurements. Each section runs in its own process (see main.rs) and
//! prints `RESULT <key> <median> <p10> <p90>` lines, in nanoseconds.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::harness::{Figure, Op, each, each_interleaved, per_op_interleaved};
use crate::subjects::*;
use funcache::__private::RawTable;

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
    funcache_memory_sharded(7);
    funcache_disk(7);
    funcache_disk_u64(7);
    cached_memory(7);
    cached_disk(7).unwrap();

    // The floor: LMDB's own read transaction and get (same environment
    // settings) of a key and value the sizes of ours for `funcache_disk(7)`:
    // the key is function key (16) ‖ fingerprint (32) ‖ kind (1) ‖ the u64
    // argument's encoding (tag, tag, 8 bytes); the value is the envelope
    // (version, created-ms varint of 6 bytes, compute varint, payload kind,
    // checksum of 8) and postcard's "value 7" (length byte and 7 bytes).
    let temp = tempfile::tempdir().unwrap();
    let raw = RawTable::create(temp.path()).unwrap();
    let key = [7u8; 16 + 32 + 1 + 10];
    let value = [1u8; 1 + 6 + 1 + 1 + 8 + 8];
    raw.put_all([(&key[..], &value[..])]).unwrap();
    // A transaction held open takes its thread's reader slot in LMDB's
    // default mode: a table of its own.
    let held_temp = tempfile::tempdir().unwrap();
    let held = RawTable::create(held_temp.path()).unwrap();
    held.put_all([(&key[..], &value[..])]).unwrap();
    let reader = held.reader().unwrap();

    let ops: Vec<Op<'_>> = vec![
        Box::new(|| drop(black_box(funcache_memory(black_box(7))))),
        Box::new(|| drop(black_box(funcache_memory_sharded(black_box(7))))),
        Box::new(|| drop(black_box(funcache_disk(black_box(7))))),
        Box::new(|| drop(black_box(cached_memory(black_box(7))))),
        Box::new(|| drop(black_box(cached_disk(black_box(7)).unwrap()))),
        Box::new(|| {
            black_box(raw.get_len(black_box(&key)).unwrap());
        }),
        Box::new(|| {
            black_box(funcache_disk_u64(black_box(7)));
        }),
        Box::new(|| {
            black_box(raw.get_owned(black_box(&key)).unwrap());
        }),
        Box::new(|| {
            black_box(reader.get_len(black_box(&key)).unwrap());
        }),
    ];
    let keys = [
        "hit.funcache.memory",
        "hit.funcache.memory_sharded",
        "hit.funcache.disk",
        "hit.cached.memory",
        "hit.cached.disk",
        "hit.lmdb.get",
        "hit.funcache.disk_u64",
        "hit.lmdb.get_owned",
        "hit.lmdb.get_in_open_txn",
    ];
    for (key, figure) in keys.iter().zip(per_op_interleaved(SAMPLES, ops)) {
        report(key, figure);
    }

    // Hits while another thread stores new results: its commits outdate
    // the transaction a hit would reuse.
    let storing = std::sync::atomic::AtomicBool::new(true);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut next = 1_000_000u64;
            while storing.load(Ordering::Relaxed) {
                black_box(funcache_disk(next));
                next += 1;
            }
        });
        let ops: Vec<Op<'_>> = vec![Box::new(|| drop(black_box(funcache_disk(black_box(7)))))];
        let figures = per_op_interleaved(SAMPLES, ops);
        report("hit.funcache.disk_while_storing", figures[0]);
        storing.store(false, Ordering::Relaxed);
    });
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
    let dir = use_temp_cache_dir();
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
    // A new process opening the directory checks every page in use.
    let opens = (0..5)
        .map(|_| {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--open", &dir.path().join("cache").to_string_lossy()])
                .output()
                .expect("start an opener");
            assert!(output.status.success(), "opener failed");
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    report("open.1m", Figure::from_samples(opens));
    // The floor: LMDB's own read transaction and get, with the same key
    // and value sizes.
    let key = |x: u64| {
        let mut key = [7u8; 16 + 32 + 1 + 10];
        key[51..].copy_from_slice(&x.to_le_bytes());
        key
    };
    let temps: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let raw_tables: Vec<(&str, RawTable, u64)> = [("10", 10u64), ("1m", 1_000_000)]
        .into_iter()
        .zip(&temps)
        .map(|((label, n), temp)| {
            let raw = RawTable::create(temp.path()).unwrap();
            let keys: Vec<_> = (0..n).map(key).collect();
            let value = [1u8; 25];
            raw.put_all(keys.iter().map(|k| (&k[..], &value[..])))
                .unwrap();
            (label, raw, n)
        })
        .collect();
    for (_, function, n) in functions {
        warm_up(n, |x| drop(function(x)));
    }
    for (_, raw, n) in &raw_tables {
        warm_up(*n, |x| {
            raw.get_len(&key(x)).unwrap();
        });
    }
    let mut ops: Vec<Op<'_>> = Vec::new();
    let mut keys = Vec::new();
    for (label, function, n) in functions {
        let mut random = random_below(n);
        ops.push(Box::new(move || drop(black_box(function(random())))));
        keys.push(format!("scale.{label}"));
    }
    for (label, raw, n) in &raw_tables {
        let mut random = random_below(*n);
        ops.push(Box::new(move || {
            black_box(raw.get_len(&key(random())).unwrap());
        }));
        keys.push(format!("scale.lmdb.{label}"));
    }
    for (key, figure) in keys.iter().zip(per_op_interleaved(SAMPLES, ops)) {
        report(key, figure);
    }
}

pub fn large() {
    let dir = use_temp_cache_dir();
    for (label, bytes) in [("1mib", 1usize << 20), ("256mib", 256 << 20)] {
        let elements = bytes / 8;
        let samples = if bytes > 1 << 20 { 7 } else { SAMPLES };
        let value = large_value(elements);
        let raw: Vec<u8> = value.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = dir.path().join(format!("plain-{label}"));
        let write_plain = || {
            use std::io::Write;
            let mut file = std::fs::File::create(&path).unwrap();
            file.write_all(&raw).unwrap();
            file.sync_all().unwrap();
        };
        write_plain();
        // Store: each sample computes and writes anew (refresh); the plain
        // write is timed in the same rounds, and so are the reads.
        let ops: Vec<Op<'_>> = vec![
            Box::new(|| drop(black_box(large_value_refresh(elements)))),
            Box::new(write_plain),
            Box::new(|| drop(black_box(large_value(elements)))),
            Box::new(|| {
                let bytes = std::fs::read(&path).unwrap();
                let floats: Vec<f64> = bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                drop(black_box(floats));
            }),
        ];
        let keys = [
            "large.store",
            "large.file_write",
            "large.reload",
            "large.file_read",
        ];
        for (key, figure) in keys.iter().zip(each_interleaved(samples, ops)) {
            report(&format!("{key}.{label}"), figure);
        }
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

/// Keys the `processes` section fills and hits.
const SHARED_KEYS: u64 = 1_000;
/// Hits each worker times, per sample.
const WORKER_HITS: u64 = 300_000;

/// Disk hits in processes that share one directory: a hit in a second
/// process (while the first keeps its handle open) against one in the
/// process that filled it, and the per-hit cost of one worker process
/// against two running at once (readers must not contend).
pub fn processes() {
    let dir = use_temp_cache_dir();
    let cache = dir.path().join("cache");
    for x in 0..SHARED_KEYS {
        funcache_disk(x);
    }
    funcache::flush().unwrap();
    let first: Vec<f64> = (0..5).map(|_| time_hits(WORKER_HITS)).collect();
    report("share.first_process", Figure::from_samples(first));
    // Other processes, while this one keeps the directory open.
    let (second, two) = one_and_two_workers("--worker", &cache);
    report("share.second_process", second);
    report("share.two_processes_per_hit", two);

    // The control: LMDB's own reads of keys of the same size, one process
    // and then two at once. How far two processes can scale on this machine
    // (cores, caches, other load), whatever funcache does.
    let raw_dir = dir.path().join("raw");
    let raw = RawTable::create(&raw_dir).unwrap();
    let keys: Vec<_> = (0..SHARED_KEYS).map(raw_key).collect();
    raw.put_all(keys.iter().map(|key| (&key[..], &[1u8; 25][..])))
        .unwrap();
    drop(raw);
    let (raw_one, raw_two) = one_and_two_workers("--worker-raw", &raw_dir);
    report("share.raw.one_process", raw_one);
    report("share.raw.two_processes_per_hit", raw_two);
}

/// Five rounds of one worker process (`mode`, see [`run_workers`]) alone,
/// then five of two at once: nanoseconds per read of the one, and the
/// aggregate of the two (both processes' reads in the time of the slower).
fn one_and_two_workers(mode: &str, dir: &std::path::Path) -> (Figure, Figure) {
    let one = (0..5)
        .map(|_| run_workers(mode, dir, 1, WORKER_HITS)[0])
        .collect();
    let two = (0..5)
        .map(|_| {
            let per_hit = run_workers(mode, dir, 2, WORKER_HITS);
            per_hit.iter().cloned().fold(0.0, f64::max) / 2.0
        })
        .collect();
    (Figure::from_samples(one), Figure::from_samples(two))
}

/// The raw table's key of `x`: the size of `funcache_disk`'s keys.
fn raw_key(x: u64) -> [u8; 59] {
    let mut key = [7u8; 59];
    key[51..].copy_from_slice(&x.to_le_bytes());
    key
}

/// Nanoseconds per disk hit over `hits` random keys, after a warm-up.
fn time_hits(hits: u64) -> f64 {
    let mut random = random_below(SHARED_KEYS);
    warm_up(SHARED_KEYS, |x| drop(funcache_disk(x)));
    let started = Instant::now();
    for _ in 0..hits {
        black_box(funcache_disk(random()));
    }
    started.elapsed().as_nanos() as f64 / hits as f64
}

/// Starts `workers` processes at once, each timing `hits` random reads
/// (`mode`: `--worker` disk hits, `--worker-raw` raw LMDB reads) of
/// `cache`; returns each one's nanoseconds per read.
fn run_workers(mode: &str, cache: &std::path::Path, workers: usize, hits: u64) -> Vec<f64> {
    let children: Vec<_> = (0..workers)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([mode, &cache.to_string_lossy(), &hits.to_string()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start worker")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "worker failed");
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .unwrap()
        })
        .collect()
}

/// The control worker of [`processes`]: `hits` random raw LMDB reads of
/// the table in `dir`, after a warm-up; prints nanoseconds per read.
pub fn raw_worker(dir: &str, hits: u64) {
    let raw = RawTable::create(std::path::Path::new(dir)).unwrap();
    let keys: Vec<_> = (0..SHARED_KEYS).map(raw_key).collect();
    let read = |x: u64| black_box(raw.get_len(&keys[x as usize]).expect("stored"));
    warm_up(SHARED_KEYS, |x| {
        read(x);
    });
    let mut random = random_below(SHARED_KEYS);
    let started = Instant::now();
    for _ in 0..hits {
        read(random());
    }
    println!("{}", started.elapsed().as_nanos() as f64 / hits as f64);
}

/// A worker of [`processes`]: `hits` random disk hits on `cache`, after a
/// warm-up; prints nanoseconds per hit.
pub fn worker(cache: &str, hits: u64) {
    funcache::set_cache_dir(cache).unwrap();
    let per_hit = time_hits(hits);
    assert_eq!(
        funcache_disk_cache().info().misses,
        0,
        "the worker only hits"
    );
    println!("{per_hit}");
}

/// The cost of the self-describing codec against postcard: the same rows,
/// one type stored with each (lazy durability, so fsync does not drown the
/// difference). A store is a refresh (compute, encode, decode to check,
/// write); the body's own cost is measured alone.
pub fn values() {
    let _dir = use_temp_cache_dir();
    for n in [1u64, 1000] {
        rows_postcard(n);
        rows_messagepack(n);
        let ops: Vec<Op<'_>> = vec![
            Box::new(move || drop(black_box(rows_postcard_uncached(black_box(n))))),
            Box::new(move || drop(black_box(rows_postcard_refresh(black_box(n))))),
            Box::new(move || drop(black_box(rows_messagepack_refresh(black_box(n))))),
            Box::new(move || drop(black_box(rows_postcard(black_box(n))))),
            Box::new(move || drop(black_box(rows_messagepack(black_box(n))))),
        ];
        let keys = [
            "values.compute",
            "values.store.postcard",
            "values.store.messagepack",
            "values.hit.postcard",
            "values.hit.messagepack",
        ];
        for (key, figure) in keys.iter().zip(per_op_interleaved(SAMPLES, ops)) {
            report(&format!("{key}.{n}"), figure);
        }
    }
}

/// The opener of [`scaling`]: opens the cache directory `dir` (the check
/// of every page in use included) and prints the nanoseconds it took.
pub fn open(dir: &str) {
    let started = Instant::now();
    let opened = funcache::CacheDir::open(dir).expect("open the directory");
    println!("{}", started.elapsed().as_nanos());
    drop(opened);
}
