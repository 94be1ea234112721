//! What the attribute adds to an incremental rebuild of a large real crate:
//! regex-syntax 0.8.11 (58k lines) from the cargo registry, annotated as the
//! real-crate tests annotate it (`fixtures/real-crates/regex-syntax/`:
//! wrappers around its parser, translator, printers …, 5 of them with
//! `#[funcache::cache]`, the others plain functions),
//! rebuilt (`cargo build --lib`, dependencies built) after touching one file
//! and after editing a function body the wrappers reach. Three builds of
//! each: with the attribute and the index's node cache (the default), with
//! the attribute and the node cache off (`FUNCACHE_INDEX_CACHE=off`: every
//! rustc run analyses from scratch, as before the cache), and the same
//! wrappers without the attribute.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::harness::Figure;

// Shared with the real-crate tests; only its `append` is used here.
#[allow(dead_code)]
#[path = "../../tests/tests/support/overlay.rs"]
mod overlay;

const NAME: &str = "regex-syntax-0.8.11";

/// The overlay files whose wrappers keep the attribute: 5 of its 8 (the
/// target is stated for 5), among them those reaching the most (the error
/// messages reach the parser and the translator, ~1,200 items).
const CACHED_IN: &[&str] = &[
    "src/error.rs",
    "src/hir/translate.rs",
    "src/hir/literal.rs",
    "src/ast/print.rs",
];

/// The figures, in nanoseconds per build.
pub struct RebuildFigures {
    /// Lines of Rust in the annotated crate.
    pub lines: u64,
    pub touch: Variants,
    pub edit: Variants,
}

/// One kind of rebuild, three ways, in wall-clock time and in CPU time.
pub struct Variants {
    pub cached: Figure,
    pub uncached: Figure,
    pub without: Figure,
    /// CPU time (user + system) of cargo and the rustc runs it waited for:
    /// what the attribute costs, even on a machine busy with other work
    /// (where wall-clock time mostly measures the wait for a core).
    pub cpu: Option<[Figure; 3]>,
}

/// CPU seconds of this process's waited-for children (Linux: the
/// `cutime` and `cstime` fields of `/proc/self/stat`, in 1/100 s).
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 16 and 17 of the line; the first after `)` is field 3.
    let ticks: f64 = fields.get(13)?.parse::<f64>().ok()? + fields.get(14)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The unpacked source of regex-syntax 0.8.11 in cargo's registry (this
/// workspace's lock has it, so a workspace build unpacks it).
fn registry_source() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|e| e.path().join(NAME))
        .find(|p| p.join("Cargo.toml").is_file())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the crate at `dir`, its wrappers appended (the
/// attribute kept when `cached`); the probe that the tests add is left out
/// (it needs the attribute's generated items).
fn write_crate(source: &Path, dir: &Path, workspace: &Path, cached: bool) {
    let _ = std::fs::remove_dir_all(dir);
    copy_dir(source, dir);
    let overlay_dir = workspace.join("fixtures/real-crates/regex-syntax");
    overlay::append(&overlay_dir, dir, &|file, text| {
        if file == Path::new("src/lib.rs") {
            return None;
        }
        let keep = cached && CACHED_IN.iter().any(|f| file == Path::new(f));
        Some(if keep {
            text
        } else {
            text.replace("#[funcache::cache]\n", "")
        })
    });
    let manifest = dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(&format!(
        "\n[dependencies.funcache]\npath = {:?}\n\n[workspace]\n",
        workspace.join("funcache").to_str().unwrap()
    ));
    std::fs::write(&manifest, text).unwrap();
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

fn lines(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.join("src")];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                total += std::fs::read_to_string(&path).unwrap().lines().count() as u64;
            }
        }
    }
    total
}

/// Rewrites `file` unchanged: a new mtime, so cargo rebuilds the crate.
fn touch(dir: &Path, file: &str) {
    let path = dir.join(file);
    let text = std::fs::read(&path).unwrap();
    std::fs::write(&path, text).unwrap();
}

/// Edits the body of `Translator::translate` (every wrapper that parses
/// reaches it): a new statement, different on every run, so the node cache
/// cannot have seen it.
fn edit(dir: &Path, run: usize) {
    let path = dir.join("src/hir/translate.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let statement = format!("        let _bench_edit = {run}u32;\n");
    let edited = match text.find("        let _bench_edit = ") {
        // The previous run's statement, replaced.
        Some(at) => {
            let end = at + text[at..].find('\n').unwrap() + 1;
            format!("{}{statement}{}", &text[..at], &text[end..])
        }
        None => {
            let anchor = "        ast::visit(ast, TranslatorI::new(self, pattern))\n";
            let at = text
                .find(anchor)
                .expect("the body of Translator::translate");
            format!("{}{statement}{}", &text[..at], &text[at..])
        }
    };
    std::fs::write(&path, edited).unwrap();
}

/// Builds; returns (wall-clock ns, CPU ns if known).
fn build(dir: &Path, target: &Path, node_cache: bool) -> (f64, Option<f64>) {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(["build", "-q", "--lib", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target);
    if node_cache {
        command.env_remove("FUNCACHE_INDEX_CACHE");
    } else {
        command.env("FUNCACHE_INDEX_CACHE", "off");
    }
    let cpu_before = children_cpu();
    let started = Instant::now();
    // Quiet: the wrappers without their callers warn as dead code.
    let output = command.output().expect("cargo build");
    let took = started.elapsed().as_nanos() as f64;
    let cpu = cpu_before.zip(children_cpu()).map(|(a, b)| (b - a) * 1e9);
    assert!(
        output.status.success(),
        "building {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    (took, cpu)
}

/// The rebuild figures, or `None` when regex-syntax is not in the registry.
pub fn rebuild_overhead(workspace: &Path, runs: usize) -> Option<RebuildFigures> {
    let source = registry_source()?;
    let root = workspace.join("target/funcache-bench/rebuild");
    let with = root.join("with");
    let without = root.join("without");
    write_crate(&source, &with, workspace, true);
    write_crate(&source, &without, workspace, false);
    // A target directory each: two copies of one package in one target
    // directory disturb each other's incremental state (measured: the
    // build after the other copy's took 1–2 s longer).
    let (target_with, target_without) = (root.join("target-with"), root.join("target-without"));
    // Warm up: dependencies compile and the node cache fills, unmeasured;
    // then one untimed touch rebuild each.
    for (dir, target) in [(&with, &target_with), (&without, &target_without)] {
        build(dir, target, true);
        touch(dir, "src/ast/parse.rs");
        build(dir, target, true);
    }
    let mut touch_times: [Vec<(f64, Option<f64>)>; 3] = Default::default();
    let mut edit_times: [Vec<(f64, Option<f64>)>; 3] = Default::default();
    let variants = [
        (&with, &target_with, true),
        (&with, &target_with, false),
        (&without, &target_without, true),
    ];
    let mut edits = 0;
    for _ in 0..runs {
        for (i, &(dir, target, node_cache)) in variants.iter().enumerate() {
            touch(dir, "src/ast/parse.rs");
            touch_times[i].push(build(dir, target, node_cache));
        }
        for (i, &(dir, target, node_cache)) in variants.iter().enumerate() {
            edits += 1;
            edit(dir, edits);
            edit_times[i].push(build(dir, target, node_cache));
        }
    }
    let figures = |times: [Vec<(f64, Option<f64>)>; 3]| {
        let wall = |i: usize| Figure::from_samples(times[i].iter().map(|t| t.0).collect());
        let cpu = |i: usize| {
            let samples: Option<Vec<f64>> = times[i].iter().map(|t| t.1).collect();
            samples.map(Figure::from_samples)
        };
        Variants {
            cached: wall(0),
            uncached: wall(1),
            without: wall(2),
            cpu: cpu(0).zip(cpu(1)).zip(cpu(2)).map(|((a, b), c)| [a, b, c]),
        }
    };
    Some(RebuildFigures {
        lines: lines(&with),
        touch: figures(touch_times),
        edit: figures(edit_times),
    })
}
