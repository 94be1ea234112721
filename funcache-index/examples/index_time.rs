//! Measures what the macro pays: the cold index of a crate, then the
//! analysis of a handful of functions, at the default dev profile
//! (opt-level 0, like a proc macro).
//!
//! ```text
//! cargo run -p funcache-index --example index_time [CRATE_DIR [PATH...]]
//! ```
//!
//! Without arguments it indexes the syn 3.0.9 sources from the cargo
//! registry (always present: this workspace depends on it).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use funcache_index::{MacroSite, analyze_fn_path, index_stats, node_cache_stats};

const SYN_PATHS: &[&str] = &[
    "parse_file",
    "parse_str",
    "Error::new",
    "Error::to_compile_error",
    "LitStr::value",
    "Attribute::parse_outer",
    "punctuated::Punctuated::push",
    "expr::parsing::ambiguous_expr",
    "Path::is_ident",
    "Lifetime::new",
];

fn syn_dir() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("syn-3.0.9"))
        .find(|p| p.join("Cargo.toml").is_file())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = match args.next() {
        Some(d) => PathBuf::from(d),
        None => {
            syn_dir().ok_or("syn-3.0.9 not found in the cargo registry; pass a crate directory")?
        }
    };
    let mut paths: Vec<String> = args.collect();
    if paths.is_empty() {
        paths = SYN_PATHS.iter().map(|s| s.to_string()).collect();
    }
    let dir = std::fs::canonicalize(&dir)?;
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))?;
    let name = manifest
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("name = ")
                .map(|v| v.trim_matches('"').replace('-', "_"))
        })
        .ok_or("no package name")?;
    let root = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|r| dir.join(r))
        .find(|p| p.is_file())
        .ok_or("no src/lib.rs")?;
    let site = MacroSite {
        manifest_dir: dir.clone(),
        crate_name: name,
        bin_name: None,
        file: root,
        line: 1,
    };
    let start = Instant::now();
    let stats = index_stats(&site)?;
    let cold = start.elapsed();
    println!("crate: {}", dir.display());
    println!(
        "files: {}  lines: {}  items: {}  crates: {}",
        stats.files, stats.lines, stats.items, stats.crates
    );
    println!("cold index: {:.1} ms", ms(cold));
    let start = Instant::now();
    index_stats(&site)?;
    println!("warm revalidation: {:.3} ms", ms(start.elapsed()));
    let mut sizes = Vec::new();
    let mut total = Duration::ZERO;
    for path in &paths {
        let start = Instant::now();
        match analyze_fn_path(&site, path, b"") {
            Ok((analysis, _)) => {
                let took = start.elapsed();
                total += took;
                // Items under a `cfg` are in the closure too; the build
                // decides which of them count.
                let closure = analysis.dependencies.len() + analysis.build.gated.len();
                sizes.push(closure);
                println!(
                    "{path:<36} {:>8.1} ms  closure {:>5} (cfg-gated {:>5})  externals {}  unresolved {}  fingerprint {}",
                    ms(took),
                    closure,
                    analysis.build.gated.len(),
                    analysis.externals.len(),
                    analysis.unresolved.len(),
                    analysis.fingerprint.short(16)
                );
                if std::env::var_os("INDEX_TIME_VERBOSE").is_some() {
                    println!("    externals {:?}", analysis.externals);
                    for u in &analysis.unresolved {
                        println!("    unresolved {} at {}", u.path, u.location);
                    }
                }
            }
            Err(e) => println!("{path:<36} error: {e}"),
        }
    }
    let start = Instant::now();
    for path in &paths {
        let _ = analyze_fn_path(&site, path, b"");
    }
    let again = start.elapsed();
    sizes.sort_unstable();
    if !sizes.is_empty() {
        println!("median closure: {}", sizes[sizes.len() / 2]);
    }
    println!("analyses (first time): {:.1} ms total", ms(total));
    println!("analyses (again, nodes cached): {:.1} ms total", ms(again));
    println!("cold index + first analyses: {:.1} ms", ms(cold + total));
    let cache = node_cache_stats();
    println!(
        "node cache: {} hits, {} misses, {} writes",
        cache.hits, cache.misses, cache.writes
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
