//! Tells the runtime which compiler and target it was built with: std's
//! behaviour (float formatting, `HashMap` iteration, …) can differ between
//! rustc versions and targets, and results travel between machines through
//! Redis and copied cache directories, so every fingerprint mixes both in
//! (`FUNCACHE_RUSTC`, `FUNCACHE_TARGET`). The user's crate is compiled by
//! the same rustc for the same target as this one.
//!
//! A rustc whose `-vV` cannot be run or read does not break the build: the
//! value is `unknown` and cargo shows a warning.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTC");
    println!("cargo:rerun-if-env-changed=TARGET");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("-vV")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| release_and_commit(&text));
    let version = version.unwrap_or_else(|| {
        println!(
            "cargo:warning=funcache: `{rustc} -vV` gave no release; fingerprints record the compiler as `unknown`"
        );
        "unknown".to_owned()
    });
    let target = std::env::var("TARGET")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            println!(
                "cargo:warning=funcache: no TARGET; fingerprints record the target as `unknown`"
            );
            "unknown".to_owned()
        });
    println!("cargo:rustc-env=FUNCACHE_RUSTC={version}");
    println!("cargo:rustc-env=FUNCACHE_TARGET={target}");
}

/// `<release> (<commit-hash>)` from `rustc -vV`'s lines; `None` without a
/// release. A toolchain built from source may say `commit-hash: unknown`.
fn release_and_commit(text: &str) -> Option<String> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .filter(|value| !value.is_empty() && !value.contains(['\n', '\r']))
    };
    let release = field("release")?;
    let commit = field("commit-hash").unwrap_or("unknown");
    Some(format!("{release} ({commit})"))
}
