//! Renders the results as the Markdown of `BENCHMARKS.md`, with the issue's
//! targets checked against figures from the same run.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::harness::{Figure, human_ns};
use crate::rebuild::RebuildFigures;

pub struct CompileFigures {
    pub lines: u64,
    pub index: Figure,
    pub analyses: Figure,
    pub with: Figure,
    pub without: Figure,
    pub rebuild: Option<RebuildFigures>,
}

/// The rebuild rows of the compile-time table (see [`crate::rebuild`]).
pub fn rebuild_rows(rebuild: Option<&RebuildFigures>) -> String {
    let Some(r) = rebuild else {
        return "| rebuild of regex-syntax 0.8.11 | SKIPPED: not in the cargo registry |\n"
            .to_owned();
    };
    let mut out = String::new();
    for (what, v) in [
        ("after touching one file", &r.touch),
        ("after editing a function body they reach", &r.edit),
    ] {
        let cpu = |i: usize| {
            v.cpu
                .as_ref()
                .map_or(String::new(), |c| format!("; CPU {}", c[i].display()))
        };
        writeln!(
            out,
            "| `cargo build --lib` of regex-syntax ({} lines) with 5 cached wrappers, {what} | {}{} |",
            r.lines,
            v.cached.display(),
            cpu(0)
        )
        .unwrap();
        writeln!(
            out,
            "| the same, node cache off (`FUNCACHE_INDEX_CACHE=off`, every rustc run analyses from scratch) | {}{} |",
            v.uncached.display(),
            cpu(1)
        )
        .unwrap();
        writeln!(
            out,
            "| the same wrappers without the attribute | {}{} |",
            v.without.display(),
            cpu(2)
        )
        .unwrap();
    }
    out
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores; {rustc}; {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn check(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

pub fn render(results: &BTreeMap<String, Figure>, compile: CompileFigures) -> String {
    let get = |key: &str| {
        *results
            .get(key)
            .unwrap_or_else(|| panic!("no result {key}"))
    };
    let mut out = String::new();
    let w = &mut out;
    writeln!(w, "# Benchmarks\n").unwrap();
    writeln!(w, "Every figure below comes from one run of `cargo run --release -p funcache-bench -- --write BENCHMARKS.md`").unwrap();
    writeln!(w, "on {}.", machine()).unwrap();
    writeln!(w, "Figures are medians with the 10th–90th percentile in parentheses. Each section runs in a fresh process").unwrap();
    writeln!(w, "with a fresh cache directory; peers are `cached` 4.1 (in-memory `#[cached]`, disk `#[concurrent_cached(disk = true)]` on redb)").unwrap();
    writeln!(w, "and LMDB itself (a read transaction and a get, through heed, in LMDB's default mode — reader slots bound to threads, its cheapest — with funcache's map size and flags). The computation is trivial (`u64` in, a short `String` out), so hits and misses measure the cache, not the work.\n").unwrap();

    writeln!(w, "## Hit latency (small argument and result)\n").unwrap();
    writeln!(w, "| what | per call |\n|---|---|").unwrap();
    for (label, key) in [
        (
            "funcache, memory tier (default 128 entries: one exact LRU)",
            "hit.funcache.memory",
        ),
        (
            "funcache, memory tier of 4096 entries (sharded)",
            "hit.funcache.memory_sharded",
        ),
        ("funcache, disk tier (`memory = 0`)", "hit.funcache.disk"),
        ("`cached` in-memory `#[cached]`", "hit.cached.memory"),
        ("`cached` disk (redb)", "hit.cached.disk"),
        (
            "raw LMDB read transaction + get, same key/value sizes",
            "hit.lmdb.get",
        ),
        (
            "funcache, disk tier, a `u64` result (no allocation)",
            "hit.funcache.disk_u64",
        ),
        (
            "raw LMDB read transaction + get + an owned copy of the value",
            "hit.lmdb.get_owned",
        ),
        (
            "raw LMDB get alone, in a read transaction already open",
            "hit.lmdb.get_in_open_txn",
        ),
        (
            "funcache, disk tier, while another thread stores new results (each commit makes the next hit begin a read transaction)",
            "hit.funcache.disk_while_storing",
        ),
    ] {
        writeln!(w, "| {label} | {} |", get(key).display()).unwrap();
    }

    writeln!(w, "\n## Miss cost (store a new result)\n").unwrap();
    writeln!(w, "| what | default | lazy |\n|---|---|---|").unwrap();
    writeln!(
        w,
        "| funcache: default `batch` (a writer thread commits queued values in groups, synced ≤ 0.5 s later); `FUNCACHE_DURABILITY=lazy` (synced only by `funcache::flush()`) | {} | {} |",
        get("miss.funcache.durable").display(),
        get("miss.funcache.lazy").display()
    )
    .unwrap();
    writeln!(
        w,
        "| `cached` disk: `durable = true` (fsync on the caller's thread); `durable = false` | {} | {} |",
        get("miss.cached.durable").display(),
        get("miss.cached.lazy").display()
    )
    .unwrap();

    writeln!(
        w,
        "\n## Scaling: disk hit latency by the function's entries\n"
    )
    .unwrap();
    writeln!(
        w,
        "Random keys, after a warm-up of random reads: the steady state of a long-running program. \
         The three functions share one cache directory, so each reads a database of 1,010,010 entries; \
         each raw row reads a database of its own with that many entries.\n"
    )
    .unwrap();
    writeln!(
        w,
        "| entries | funcache, per hit | raw LMDB read transaction + get |\n|---|---|---|"
    )
    .unwrap();
    for (label, key, raw) in [
        ("10", "scale.10", Some("scale.lmdb.10")),
        ("10,000", "scale.10k", None),
        ("1,000,000", "scale.1m", Some("scale.lmdb.1m")),
    ] {
        let raw = raw.map_or_else(String::new, |key| get(key).display());
        writeln!(w, "| {label} | {} | {raw} |", get(key).display()).unwrap();
    }
    writeln!(
        w,
        "\nOpening that directory in a new process, which checks the structure of every page in \
         use before anything is read (see README, \"Never your failure\"): {} (5 processes).",
        get("open.1m").display()
    )
    .unwrap();

    writeln!(
        w,
        "\n## Processes sharing a directory (disk hits, 1,000 random keys)\n"
    )
    .unwrap();
    writeln!(w, "| what | per hit |\n|---|---|").unwrap();
    for (label, key) in [
        (
            "the process that filled the directory",
            "share.first_process",
        ),
        (
            "a second process, while the first keeps it open",
            "share.second_process",
        ),
        (
            "two processes at once (aggregate: time of the slower / both processes' hits)",
            "share.two_processes_per_hit",
        ),
        (
            "control: raw LMDB reads of keys of the same size, one process",
            "share.raw.one_process",
        ),
        (
            "control: the same, two processes at once (aggregate)",
            "share.raw.two_processes_per_hit",
        ),
    ] {
        writeln!(w, "| {label} | {} |", get(key).display()).unwrap();
    }

    let pipeline = ["pipeline.uncached", "pipeline.first", "pipeline.second"]
        .map(|key| results.get(key).copied());
    writeln!(
        w,
        "\n## Real pipeline: per-file statistics over the local crate registry\n"
    )
    .unwrap();
    if let [Some(uncached), Some(first), Some(second)] = pipeline {
        let misses = results.get("pipeline.misses").map_or(0.0, |f| f.median);
        writeln!(
            w,
            "`cargo run --release -p funcache --example file_statistics -- ~/.cargo/registry/src`: one cached \
             call per Rust file, keyed by its text; {misses:.0} misses in a new directory. Three rounds, \
             alternated; the loop time the example reports.\n"
        )
        .unwrap();
        writeln!(w, "| run | time |\n|---|---|").unwrap();
        for (label, figure) in [
            ("uncached (`FUNCACHE_DISABLE=1`)", uncached),
            (
                "first run, new directory, default durability (batch)",
                first,
            ),
            ("second run (all hits)", second),
        ] {
            writeln!(w, "| {label} | {} |", figure.display()).unwrap();
        }
    } else {
        writeln!(
            w,
            "Not measured: no crate registry sources on this machine."
        )
        .unwrap();
    }

    remote_section(w, results);

    writeln!(w, "\n## Large values (`Vec<f64>`)\n").unwrap();
    writeln!(w, "| size | funcache store | funcache reload | plain file write+fsync | plain file read |\n|---|---|---|---|---|").unwrap();
    for (label, key) in [("1 MiB", "1mib"), ("256 MiB", "256mib")] {
        writeln!(
            w,
            "| {label} | {} | {} | {} | {} |",
            get(&format!("large.store.{key}")).display(),
            get(&format!("large.reload.{key}")).display(),
            get(&format!("large.file_write.{key}")).display(),
            get(&format!("large.file_read.{key}")).display(),
        )
        .unwrap();
    }

    writeln!(w, "\n## Threads: hit throughput\n").unwrap();
    writeln!(
        w,
        "Every thread hits the same function (64 keys, all cached).\n"
    )
    .unwrap();
    writeln!(w, "| what | 1 thread | 2 threads |\n|---|---|---|").unwrap();
    for (label, key) in [
        ("funcache, memory tier (default: one exact LRU)", "memory"),
        (
            "funcache, memory tier of 4096 entries (sharded)",
            "memory_sharded",
        ),
        ("funcache, disk tier", "disk"),
        ("`cached` in-memory", "cached_memory"),
    ] {
        let rate = |threads: u32| 1e3 / get(&format!("threads.{key}.{threads}")).median;
        writeln!(
            w,
            "| {label} | {:.1} M hits/s | {:.1} M hits/s |",
            rate(1),
            rate(2)
        )
        .unwrap();
    }

    writeln!(w, "\n## Values: postcard and the self-describing codec\n").unwrap();
    writeln!(
        w,
        "The same rows (`u64`, `String`, `f64`, `Vec<String>`), one type with `skip_serializing_if` on a field, \
         which postcard cannot read back, so funcache stores it with MessagePack. Lazy durability; \
         a store is a refresh (compute, encode, decode and compare, write), a hit reads the disk tier.\n"
    )
    .unwrap();
    writeln!(
        w,
        "| rows | body alone | store, postcard | store, MessagePack | hit, postcard | hit, MessagePack |\n|---|---|---|---|---|---|"
    )
    .unwrap();
    for n in [1, 1000] {
        let cell = |what: &str| get(&format!("values.{what}.{n}")).display();
        writeln!(
            w,
            "| {n} | {} | {} | {} | {} | {} |",
            cell("compute"),
            cell("store.postcard"),
            cell("store.messagepack"),
            cell("hit.postcard"),
            cell("hit.messagepack"),
        )
        .unwrap();
    }

    writeln!(w, "\n## Compile time\n").unwrap();
    writeln!(w, "| what | time |\n|---|---|").unwrap();
    writeln!(w, "| index of syn 3.0.9 ({} lines), dev profile (proc macros are not optimised), cold process | {} |", compile.lines, compile.index.display()).unwrap();
    writeln!(
        w,
        "| then analysing 10 of its functions (closures of ~2,300 items each) | {} |",
        compile.analyses.display()
    )
    .unwrap();
    writeln!(w, "| `cargo build` of a crate with 20 `#[funcache::cache]` functions (crate only, deps built) | {} |", compile.with.display()).unwrap();
    writeln!(
        w,
        "| the same crate without the attribute | {} |",
        compile.without.display()
    )
    .unwrap();
    w.push_str(&rebuild_rows(compile.rebuild.as_ref()));

    let ratio = |a: &str, b: &str| get(a).median / get(b).median;
    let disk_vs_cached = ratio("hit.funcache.disk", "hit.cached.disk");
    let disk_vs_lmdb = ratio("hit.funcache.disk", "hit.lmdb.get");
    let u64_vs_lmdb = ratio("hit.funcache.disk_u64", "hit.lmdb.get");
    let disk_vs_owned = ratio("hit.funcache.disk", "hit.lmdb.get_owned");
    let memory_vs_cached = ratio("hit.funcache.memory", "hit.cached.memory");
    let scaling = ratio("scale.1m", "scale.lmdb.1m");
    let lmdb_scaling = ratio("scale.lmdb.1m", "scale.lmdb.10");
    let reload_1 = ratio("large.file_read.1mib", "large.reload.1mib");
    let reload_256 = ratio("large.file_read.256mib", "large.reload.256mib");
    let index_per_50k = compile.index.median / 1e6 * 50_000.0 / compile.lines.max(1) as f64;
    writeln!(w, "\n## Targets\n").unwrap();
    writeln!(w, "| target | measured | |\n|---|---|---|").unwrap();
    writeln!(
        w,
        "| disk hit ≤ 0.5× `cached`'s disk hit | {disk_vs_cached:.2}× | {} |",
        check(disk_vs_cached <= 0.5)
    )
    .unwrap();
    writeln!(
        w,
        "| disk hit ≤ 1.3× raw LMDB read | {disk_vs_lmdb:.2}× (a `u64` result: {u64_vs_lmdb:.2}×; against the read with an owned copy: {disk_vs_owned:.2}×). A lookup reuses its thread's read transaction while nothing was committed since (`funcache/src/store/snapshots.rs`), where the raw row begins and ends one; LMDB's get alone costs {}; with another thread storing results meanwhile a hit costs {} | {} |",
        human_ns(get("hit.lmdb.get_in_open_txn").median),
        human_ns(get("hit.funcache.disk_while_storing").median),
        check(disk_vs_lmdb <= 1.3)
    )
    .unwrap();
    let second_vs_first = ratio("share.second_process", "share.first_process");
    let two_process_speedup = ratio("share.second_process", "share.two_processes_per_hit");
    let raw_two_process_speedup = ratio("share.raw.one_process", "share.raw.two_processes_per_hit");
    writeln!(
        w,
        "| a hit in a second process ≤ 1.1× one in the first | {second_vs_first:.2}× | {} |",
        check(second_vs_first <= 1.1)
    )
    .unwrap();
    writeln!(
        w,
        "| hit throughput of 2 processes ≥ 1.8× one process | {two_process_speedup:.2}× (LMDB's own reads, same run: {raw_two_process_speedup:.2}×) | {} |",
        check(two_process_speedup >= 1.8)
    )
    .unwrap();
    let first_vs_uncached = match pipeline {
        [Some(uncached), Some(first), _] => Some(first.median / uncached.median),
        _ => None,
    };
    if let Some(first_vs_uncached) = first_vs_uncached {
        writeln!(
            w,
            "| real pipeline: first cached run ≤ 1.1× uncached | {first_vs_uncached:.2}× | {} |",
            check(first_vs_uncached <= 1.1)
        )
        .unwrap();
    }
    writeln!(
        w,
        "| memory hit ≤ 2× `cached` in-memory | {memory_vs_cached:.2}× | {} |",
        check(memory_vs_cached <= 2.0)
    )
    .unwrap();
    writeln!(
        w,
        "| 1M-entry hit ≤ 1.5× raw LMDB read at 1M | {scaling:.2}× (LMDB itself, 1M vs 10: {lmdb_scaling:.2}×) | {} |",
        check(scaling <= 1.5)
    )
    .unwrap();
    writeln!(
        w,
        "| large reload ≥ 50% of plain file read (1 MiB) | {:.0}% | {} |",
        reload_1 * 100.0,
        check(reload_1 >= 0.5)
    )
    .unwrap();
    writeln!(
        w,
        "| large reload ≥ 50% of plain file read (256 MiB) | {:.0}% | {} |",
        reload_256 * 100.0,
        check(reload_256 >= 0.5)
    )
    .unwrap();
    writeln!(
        w,
        "| index ≤ 0.5 s per 50k lines | {} per 50k lines | {} |",
        human_ns(index_per_50k * 1e6),
        check(index_per_50k <= 500.0)
    )
    .unwrap();
    if let Some(r) = &compile.rebuild {
        // CPU time where known: on a shared machine, wall-clock time is
        // mostly the wait for a core.
        let added = |v: &crate::rebuild::Variants, i: usize| match &v.cpu {
            Some(cpu) => cpu[i].median - cpu[2].median,
            None => [v.cached, v.uncached][i].median - v.without.median,
        };
        let worst = added(&r.touch, 0).max(added(&r.edit, 0));
        writeln!(
            w,
            "| incremental rebuild of a ~60k-line crate with cached fns adds ≤ 0.5 s | {} after a touch, {} after a body edit{} (node cache off: {}, {}) | {} |",
            human_ns(added(&r.touch, 0)),
            human_ns(added(&r.edit, 0)),
            if r.touch.cpu.is_some() { ", CPU time" } else { "" },
            human_ns(added(&r.touch, 1)),
            human_ns(added(&r.edit, 1)),
            check(worst <= 0.5e9)
        )
        .unwrap();
    }
    writeln!(
        w,
        "| (added build time of 20 cached functions) | {} | |",
        human_ns(compile.with.median - compile.without.median)
    )
    .unwrap();
    writeln!(w, "\n## Where a target is missed, and why\n").unwrap();
    let mut notes = Vec::new();
    if disk_vs_lmdb > 1.3 {
        let fast = get("hit.funcache.disk").p10 / get("hit.lmdb.get").p10;
        let own = get("hit.funcache.disk_u64").median - get("hit.lmdb.get").median;
        let decode = get("hit.funcache.disk").median - get("hit.funcache.disk_u64").median;
        notes.push(format!(
            "* **Disk hit vs raw LMDB read ({disk_vs_lmdb:.2}× by medians, {fast:.2}× by the fastest \
             tenth of samples).** funcache's own part of a hit, measured with a `u64` result \
             ({u64_vs_lmdb:.2}× the raw read), is {}: encoding the arguments into the key, the \
             envelope's checksum (XXH3 of the key and of the entry), its header, the tier chain \
             and the hit counter. The `String` result adds its decode, {}: UTF-8 validation and \
             an allocation the caller frees; against the raw read that also copies the value into \
             an allocation of its own, the `String` hit is {disk_vs_owned:.2}×.",
            human_ns(own),
            human_ns(decode)
        ));
    }
    if two_process_speedup < 1.8 {
        notes.push(format!(
            "* **Two processes ({two_process_speedup:.2}×).** LMDB readers take no lock: a thread's \
             lookups reuse one read transaction, and its reader slot, while nothing new is committed. Two processes scale only \
             as far as the machine gives each its own core. Check the load average of the run: on a \
             2-core machine busy with other work the second process shares a core. The control \
             row, LMDB's own reads in two processes, scaled {raw_two_process_speedup:.2}× in the \
             same run."
        ));
    }
    if let Some(ratio) = first_vs_uncached
        && ratio > 1.1
    {
        notes.push(format!(
            "* **Real pipeline, first run ({ratio:.2}×).** Each miss takes the entry's cross-process \
             lock (open, flock and close of a lock file) and commits its value in a write transaction \
             of its own (the sync is batched in the background, the page writes are not), and hashes \
             the file's text for its key."
        ));
    }
    if memory_vs_cached > 2.0 {
        notes.push(format!(
            "* **Memory hit vs `cached` ({memory_vs_cached:.2}×).** Both take a mutex; funcache also encodes the \
             arguments canonically (the same key serves the disk tier and is identical in every \
             process) and reorders an exact LRU, where `cached` hashes a `u64` into an unbounded map."
        ));
    }
    if scaling > 1.5 {
        notes.push(format!(
            "* **Scaling ({scaling:.2}×).** funcache's 1M-entry hit ({}) against LMDB's own read at 1M \
             ({}); LMDB itself slows by {lmdb_scaling:.2}× from 10 to 1,000,000 random keys (a deeper \
             tree, and entries no CPU cache holds).",
            human_ns(get("scale.1m").median),
            human_ns(get("scale.lmdb.1m").median)
        ));
    }
    if reload_1 < 0.5 || reload_256 < 0.5 {
        notes.push(
            "* **Large reload at 1 MiB.** The plain-file baseline converts bytes to `f64`s in a vectorised \
             loop; funcache decodes through serde (postcard), one element at a time, about 0.5 ns each. \
             At 256 MiB both are bound by memory bandwidth and page faults, and the reload is close to the \
             file read. Reaching the baseline at 1 MiB would need a non-serde path for vectors of numbers."
                .to_owned(),
        );
    }
    if notes.is_empty() {
        writeln!(w, "Every target is met in this run.").unwrap();
    }
    for note in notes {
        writeln!(w, "{note}").unwrap();
    }
    writeln!(
        w,
        "\nThe closures of syn's functions are large because syn's AST types are mutually recursive \
         through their fields and each brings its trait impls; a data-pipeline crate's closures are a \
         handful of items (see `fixtures/graph`)."
    )
    .unwrap();
    out
}

/// The remote tier against Redis on loopback, or why it was not measured.
fn remote_section(w: &mut String, results: &BTreeMap<String, Figure>) {
    writeln!(w, "\n## Remote tier (Redis on loopback)\n").unwrap();
    let (Some(hit), Some(get)) = (results.get("remote.hit"), results.get("remote.redis_get"))
    else {
        writeln!(
            w,
            "Not measured in this run: `redis-server` was not found (`apt-get install redis-server`)."
        )
        .unwrap();
        return;
    };
    writeln!(
        w,
        "A call whose result another process stored in Redis, from an empty local directory \
         (`memory = 0`): the local miss, the `GET`, the envelope check and decode, and writing the \
         hit into the local directory; against a raw `GET` of the same key through the `redis` \
         crate on one connection.\n"
    )
    .unwrap();
    writeln!(w, "| what | per call |\n|---|---|").unwrap();
    writeln!(w, "| funcache, remote hit | {} |", hit.display()).unwrap();
    if let Some(readonly) = results.get("remote.hit_readonly") {
        writeln!(
            w,
            "| funcache, remote hit without the local fill (`FUNCACHE_READONLY=1`) | {} |",
            readonly.display()
        )
        .unwrap();
    }
    writeln!(w, "| raw `GET` of the same bytes | {} |", get.display()).unwrap();
    writeln!(
        w,
        "| remote hit / raw `GET` | {:.2}× |",
        hit.median / get.median
    )
    .unwrap();
}
