//! Does what one rustc run's `#[funcache::cache]` expansions ask of the
//! index, in one process, for profiling (`valgrind --tool=callgrind`) or
//! timing: [`analyze_cached_fn`] for each annotated function of a crate,
//! in file order, and [`argument_serde`] for the idents of each argument
//! type, at the default dev profile (opt-level 0, like a proc macro).
//!
//! ```text
//! CARGO_MANIFEST_DIR=<crate> CARGO_CRATE_NAME=<name> \
//!   cargo run -p funcache-index --example macro_session -- [RUSTC ARGS...]
//! ```
//!
//! The arguments stand for rustc's command line (`--extern`, `-L
//! dependency=`), which the index reads from the process. The annotated
//! functions are found in the crate's `src/` by their
//! `#[funcache::cache]` attribute. Prints each fingerprint.

use std::path::{Path, PathBuf};
use std::time::Instant;

use funcache_index::{CacheOptions, MacroSite, analyze_cached_fn, argument_serde};
use quote::ToTokens;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_cache(attr: &syn::Attribute) -> bool {
    let segs: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segs == ["funcache", "cache"]
}

fn idents(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
            proc_macro2::TokenTree::Group(group) => idents(group.stream(), out),
            _ => {}
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let crate_name = std::env::var("CARGO_CRATE_NAME")?;
    let mut files = Vec::new();
    rust_files(&manifest_dir.join("src"), &mut files);
    files.sort();
    // (file, line of the attribute, the fn without it, argument types).
    let mut sites = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        if !text.contains("funcache::cache") {
            continue;
        }
        let parsed = syn::parse_file(&text)?;
        for item in parsed.items {
            let syn::Item::Fn(mut f) = item else { continue };
            let Some(at) = f.attrs.iter().position(is_cache) else {
                continue;
            };
            let line = f.attrs[at].pound_token.span.start().line;
            f.attrs.remove(at);
            let args: Vec<Vec<String>> = f
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    syn::FnArg::Typed(t) => {
                        let mut names = Vec::new();
                        idents(t.ty.to_token_stream(), &mut names);
                        Some(names)
                    }
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            sites.push((file.clone(), line, f.to_token_stream().to_string(), args));
        }
    }
    let salt = syn::parse_str::<CacheOptions>("")?.salt();
    let start = Instant::now();
    for (file, line, source, args) in &sites {
        let site = MacroSite {
            manifest_dir: manifest_dir.clone(),
            crate_name: crate_name.clone(),
            bin_name: None,
            file: file.clone(),
            line: *line,
        };
        let one = Instant::now();
        let analysis = analyze_cached_fn(&site, source, &salt)?;
        for names in args {
            let _ = argument_serde(&site, names);
        }
        println!(
            "{}:{line} {} {} deps {:.1} ms",
            file.strip_prefix(&manifest_dir)?.display(),
            analysis.fingerprint.short(16),
            analysis.dependencies.len() + analysis.build.gated.len(),
            one.elapsed().as_secs_f64() * 1e3
        );
    }
    println!("total {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    let cache = funcache_index::node_cache_stats();
    println!(
        "node cache: {} hits, {} misses, {} writes",
        cache.hits, cache.misses, cache.writes
    );
    Ok(())
}
