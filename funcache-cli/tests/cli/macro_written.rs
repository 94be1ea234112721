//! Functions a `macro_rules!` writes (`fixtures/macro_sites`): the macro
//! fingerprints them with its fallback, which reading the source cannot
//! recompute, so the CLI calls them unknown — never gone or stale, never
//! purged by `--stale` — and `explain` says why.

use crate::support::{self, Fixture};
use crate::util::cli;

/// Regression: `package_cached_fns` does not list functions inside macro
/// bodies, so their live entries were called gone and `purge --stale`
/// deleted them.
#[test]
fn functions_a_macro_writes_are_unknown_and_kept_by_purge_stale() {
    let fixture = Fixture::copy("macro_sites");
    let cache = tempfile::tempdir().unwrap();
    {
        let _guard = support::lock();
        fixture.build();
        fixture.run(cache.path());
    }
    let dir = cache.path().to_str().unwrap();
    let manifest = fixture.path().to_str().unwrap();
    let statuses = || -> Vec<(String, String)> {
        let report = cli(&[
            "--dir",
            dir,
            "inspect",
            "--manifest-path",
            manifest,
            "--json",
        ])
        .json();
        let mut out = Vec::new();
        for function in report["functions"].as_array().unwrap() {
            for fingerprint in function["fingerprints"].as_array().unwrap() {
                out.push((
                    function["id"].as_str().unwrap().to_owned(),
                    fingerprint["status"].as_str().unwrap().to_owned(),
                ));
            }
        }
        out
    };
    // The one function the index analyzes (in `cfg_if!` in a body) is
    // judged from source; every other is the fallback's.
    let judged = |found: &[(String, String)]| {
        found.iter().all(|(id, status)| {
            status
                == if id == "macro_sites::chosen::pick" {
                    "live"
                } else {
                    "unknown"
                }
        })
    };
    let found = statuses();
    let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    assert!(ids.contains(&"macro_sites::one::f"), "{ids:?}");
    assert!(ids.contains(&"macro_sites::other::three::f"), "{ids:?}");
    assert!(ids.contains(&"macro_sites::chosen::pick"), "{ids:?}");
    // Every expansion of `local!` in one module: one id, four fingerprints.
    assert_eq!(ids.iter().filter(|id| **id == "macro_sites::g").count(), 4);
    assert!(judged(&found), "{found:?}");

    // Also after an edit: the source cannot say which entries still hit.
    fixture.edit("src/main.rs", "make!(two, 2);", "make!(two, 3);");
    for _ in 0..2 {
        let purge = cli(&[
            "--dir",
            dir,
            "purge",
            "--stale",
            "--manifest-path",
            manifest,
            "--json",
        ])
        .json();
        assert_eq!(purge["removed"]["entries"], 0, "{purge}");
        assert!(judged(&statuses()), "{:?}", statuses());
    }

    let explain = cli(&[
        "--dir",
        dir,
        "explain",
        "two::f",
        "--manifest-path",
        manifest,
    ]);
    let text = explain.ok();
    assert!(text.starts_with("macro_sites::two::f: "), "{text}");
    assert!(
        text.contains("every source file of its package and of its path dependencies"),
        "{text}"
    );
    assert!(
        text.contains("what its build script wrote to OUT_DIR"),
        "{text}"
    );
    assert!(
        text.contains("1 entry is stored under 1 fingerprint"),
        "{text}"
    );
    let ambiguous = cli(&["--dir", dir, "explain", "f", "--manifest-path", manifest]);
    assert!(
        ambiguous.error_line().contains("matches several functions"),
        "{ambiguous:?}"
    );
}
