//! Benchmarks funcache against its peers, in one run, on this machine, and
//! prints the report that `BENCHMARKS.md` holds.
//!
//! ```text
//! cargo run --release -p funcache-bench                 # print the report
//! cargo run --release -p funcache-bench -- --write BENCHMARKS.md
//! ```
//!
//! Each section runs in a fresh process (its own cache directory, its own
//! environment switches), reporting `RESULT` lines to this parent.

mod compile;
mod harness;
mod pipeline;
mod rebuild;
mod remote;
mod report;
mod sections;
mod subjects;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::Figure;

/// The sections, and the environment each runs with.
const SECTIONS: &[(&str, &[(&str, &str)])] = &[
    ("hits", &[]),
    ("miss-durable", &[]),
    ("miss-lazy", &[("FUNCACHE_DURABILITY", "lazy")]),
    ("scaling", &[("FUNCACHE_DURABILITY", "lazy")]),
    ("large", &[]),
    ("threads", &[]),
    ("processes", &[]),
    ("values", &[("FUNCACHE_DURABILITY", "lazy")]),
    ("pipeline", &[]),
    // Given FUNCACHE_REMOTE by `main`, which starts the server.
    ("remote", &[]),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run_section(name: &str) {
    match name {
        "hits" => sections::hits(),
        "miss-durable" => sections::misses(false),
        "miss-lazy" => sections::misses(true),
        "scaling" => sections::scaling(),
        "large" => sections::large(),
        "threads" => sections::threads(),
        "processes" => sections::processes(),
        "values" => sections::values(),
        "pipeline" => pipeline::pipeline(&workspace()),
        "remote" => remote::remote(),
        other => panic!("unknown section {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, name] = args.as_slice()
        && flag == "--section"
    {
        run_section(name);
        return;
    }
    if let [flag, dir] = args.as_slice()
        && flag == "--open"
    {
        sections::open(dir);
        return;
    }
    if let [flag] = args.as_slice()
        && flag == "--remote-fill"
    {
        remote::fill();
        return;
    }
    if let [flag] = args.as_slice()
        && flag == "--remote-readonly"
    {
        remote::readonly_hits();
        return;
    }
    if let [flag, cache, hits] = args.as_slice()
        && flag == "--worker"
    {
        sections::worker(cache, hits.parse().expect("a count of hits"));
        return;
    }
    if let [flag, dir, hits] = args.as_slice()
        && flag == "--worker-raw"
    {
        sections::raw_worker(dir, hits.parse().expect("a count of reads"));
        return;
    }
    if let [flag] = args.as_slice()
        && flag == "--rebuild"
    {
        // Only the incremental-rebuild measurement (a few minutes).
        let figures = rebuild::rebuild_overhead(&workspace(), 5);
        print!("{}", report::rebuild_rows(figures.as_ref()));
        return;
    }
    let write_to = match args.as_slice() {
        [flag, path] if flag == "--write" => Some(PathBuf::from(path)),
        [] => None,
        _ => {
            eprintln!("usage: funcache-bench [--write BENCHMARKS.md | --rebuild]");
            std::process::exit(2);
        }
    };
    let workspace = workspace();
    let mut results: BTreeMap<String, Figure> = BTreeMap::new();
    for (name, env) in SECTIONS {
        // Only the remote section has a remote: a server of its own.
        let server = match *name {
            "remote" => match remote::Server::start() {
                Ok(server) => Some(server),
                Err(why) => {
                    eprintln!("SKIPPED the remote section: {why}");
                    continue;
                }
            },
            _ => None,
        };
        eprintln!("running {name} …");
        let _ = std::fs::remove_dir_all(workspace.join(subjects::CACHED_DISK_DIR));
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--section", name])
            .current_dir(&workspace)
            .env_remove("FUNCACHE_DIR")
            .env_remove("FUNCACHE_DURABILITY")
            .env_remove("FUNCACHE_REMOTE")
            .envs(env.iter().copied());
        if let Some(server) = &server {
            command.env("FUNCACHE_REMOTE", &server.url);
        }
        let output = command.output().expect("run section");
        assert!(
            output.status.success(),
            "section {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let ["RESULT", key, median, p10, p90] = fields.as_slice() {
                let number = |s: &str| s.parse::<f64>().unwrap();
                results.insert(
                    key.to_string(),
                    Figure {
                        median: number(median),
                        p10: number(p10),
                        p90: number(p90),
                    },
                );
            }
        }
    }
    eprintln!("running compile-time measurements …");
    let (lines, index, analyses) = compile::index_time(&workspace, 5);
    let (with, without) = compile::build_overhead(&workspace, 5);
    let rebuild = rebuild::rebuild_overhead(&workspace, 5);
    let report = report::render(
        &results,
        report::CompileFigures {
            lines,
            index,
            analyses,
            with,
            without,
            rebuild,
        },
    );
    print!("{report}");
    if let Some(path) = write_to {
        std::fs::write(&path, &report).expect("write report");
        eprintln!("wrote {}", path.display());
    }
}
