//! Method calls through auto-deref: a crate trait implemented for `str` or
//! `[u8]`, called on a `String`, a `Vec<u8>`, a crate type with
//! `Deref<Target = [u8]>` or an `Rc<String>`. Before the index followed
//! the receiver's deref chain, each edit below served the old value with
//! `unresolved()` empty.

use super::support::{self, Fixture};

const FUNCTIONS: [&str; 4] = ["on_bytes", "on_rc", "on_string", "on_vec"];

#[test]
fn impls_reached_through_auto_deref_are_never_served_stale() {
    let _guard = support::lock();
    let fixture = Fixture::copy("deref");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.ran, FUNCTIONS);
    assert_eq!(first.value("on_string"), "HI");
    assert_eq!(first.value("on_vec"), "3");
    assert_eq!(first.value("on_bytes"), "14");
    assert_eq!(first.value("on_rc"), "hi");
    for line in first
        .stdout
        .lines()
        .filter(|l| l.starts_with("unresolved."))
    {
        assert!(line.ends_with("=[]"), "{line}");
    }
    let edits = [
        (
            "self.to_uppercase()",
            "self.to_uppercase() + \"!\"",
            "on_string",
        ),
        ("u32::from(b)).sum()", "u32::from(b) * 10).sum()", "on_vec"),
        ("self.len() as u32 * 7", "self.len() as u32 * 8", "on_bytes"),
        (
            "self.to_lowercase()",
            "self.to_lowercase() + \"?\"",
            "on_rc",
        ),
    ];
    let mut failures = Vec::new();
    for (from, to, reruns) in edits {
        fixture.edit("src/main.rs", from, to);
        fixture.build();
        let served = fixture.run(cache.path());
        let uncached = fixture.run_with(cache.path(), &[("FUNCACHE_DISABLE", "1")]);
        for name in FUNCTIONS {
            if served.value(name) != uncached.value(name) {
                failures.push(format!(
                    "{from} -> {to}: {name} served {:?}, uncached {:?}",
                    served.value(name),
                    uncached.value(name)
                ));
            }
        }
        if served.ran != [reruns] {
            failures.push(format!(
                "{from} -> {to}: expected [{reruns}] to recompute, got {:?}",
                served.ran
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
