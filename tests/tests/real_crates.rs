//! The fingerprint on a crate nobody here wrote (issue 8): regex-syntax's
//! published source, taken from the registry at an exact version, with
//! cached wrappers around its internals appended to its own modules
//! (`fixtures/real-crates/regex-syntax/`). Each edit below is applied to the
//! pristine copy on its own, the crate rebuilt and the probe run against the
//! one cache directory that the pristine build filled:
//!
//! * a wrapper whose served value differs from what its body computes now
//!   (`<name>_uncached`) is **stale** — the bug this product must not have;
//! * a wrapper that recomputed although its value did not change is a
//!   **needless** miss — counted and reported, never failed.
//!
//! Every edit states which wrappers' values it changes, and the test checks
//! that answer against the bodies themselves, so the list stays honest.
//! Run with `--nocapture` to see the table.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use support::real_crate::{self, BuildConfig, RealCrate, WrapperReport};

const CRATE: &str = "regex-syntax";
const VERSION: &str = "0.8.11";
/// Read by the probe's `option_env!` const in `src/parser.rs`.
const NEST_LIMIT_VAR: &str = "FUNCACHE_PROBE_NEST_LIMIT";

/// Every wrapper of the probe (`fixtures/real-crates/regex-syntax/`).
const WRAPPERS: &[&str] = &[
    "ast_roundtrip",
    "errors",
    "hir",
    "literals",
    "nest_limited",
    "posix_ranges",
    "unicode_errors",
    "utf8",
];

/// Default features of regex-syntax 0.8.11, less `unicode-case`.
const WITHOUT_UNICODE_CASE: &[&str] = &[
    "std",
    "unicode-age",
    "unicode-bool",
    "unicode-gencat",
    "unicode-perl",
    "unicode-script",
    "unicode-segment",
];

/// Default features of regex-syntax 0.8.11, less `unicode-age`.
const WITHOUT_UNICODE_AGE: &[&str] = &[
    "std",
    "unicode-bool",
    "unicode-case",
    "unicode-gencat",
    "unicode-perl",
    "unicode-script",
    "unicode-segment",
];

enum Change {
    /// Replace the first `from` with `to` in each file.
    Source(&'static [(&'static str, &'static str, &'static str)]),
    /// Build with `--no-default-features --features <list>`.
    Features(&'static [&'static str]),
    /// Build with an environment variable set.
    BuildEnv(&'static str, &'static str),
}

struct Edit {
    what: &'static str,
    /// The kind of issue 8 it exercises.
    kind: &'static str,
    change: Change,
    /// The wrappers whose computed value the edit changes; every other
    /// wrapper's value stays the same.
    changes: &'static [&'static str],
    /// `Some(fix)` while the fix for this kind is not on main: a stale
    /// result here is printed, not failed. Set to `None` once `fix` merges.
    known_stale_until_merged: Option<&'static str>,
}

const EDITS: &[Edit] = &[
    Edit {
        what: "comments and formatting in ascii_class",
        kind: "comments/formatting",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "        Alpha => &[(b'A', b'Z'), (b'a', b'z')],",
            "        // Letters only.\n        Alpha => &[\n            (b'A', b'Z'),\n            (b'a', b'z')\n        ],",
        )]),
        changes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the [[:digit:]] table in ascii_class",
        kind: "fn called by path",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "        Digit => &[(b'0', b'9')],",
            "        Digit => &[(b'0', b'8')],",
        )]),
        changes: &["hir"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "hir_ascii_class_bytes, called from a body with `use ClassPerlKind::*`",
        kind: "8.1 body-level glob use",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "    hir::ClassBytes::new(ranges)\n}",
            "    let mut class = hir::ClassBytes::new(ranges);\n    \
             class.push(hir::ClassBytesRange::new(b'#', b'#'));\n    class\n}",
        )]),
        changes: &["hir"],
        known_stale_until_merged: Some("8.1 (nested)"),
    },
    Edit {
        what: "the DECIMAL_NUMBER Unicode table, used by a nested fn's `use`",
        kind: "8.1 body-level use in nested fn",
        change: Change::Source(&[(
            "src/unicode_tables/general_category.rs",
            "pub const DECIMAL_NUMBER: &'static [(char, char)] = &[\n    ('0', '9'),",
            "pub const DECIMAL_NUMBER: &'static [(char, char)] = &[\n    ('0', '8'),",
        )]),
        changes: &["hir"],
        known_stale_until_merged: Some("8.1 (nested)"),
    },
    Edit {
        what: "impl From<u8> for Literal, reached as `b'z'.into()`",
        kind: "8.2 .into() through a local From",
        change: Change::Source(&[(
            "src/hir/literal.rs",
            "        Literal::exact(vec![byte])",
            "        Literal::inexact(vec![byte])",
        )]),
        changes: &["literals"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl From<&ClassAsciiKind> for Vec<(u8, u8)>, reached as `.into()`",
        kind: "8.2 .into() through a local From",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "        ascii_class(kind).collect()",
            "        ascii_class(kind).skip(1).collect()",
        )]),
        changes: &["posix_ranges"],
        known_stale_until_merged: Some("8.2 (fp-index)"),
    },
    Edit {
        what: "impl From<&ast::Error> for Formatter, called as Formatter::from",
        kind: "From called by path",
        change: Change::Source(&[(
            "src/error.rs",
            "            aux_span: err.auxiliary_span(),",
            "            aux_span: None,",
        )]),
        changes: &["errors"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "CaseFoldError's Display, through a generic fn over T: Display",
        kind: "8.6 generic over a caller type's Display",
        change: Change::Source(&[(
            "src/unicode.rs",
            "\"Unicode-aware case folding is not available \\",
            "\"Unicode-aware case folding is unavailable \\",
        )]),
        changes: &["unicode_errors"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "ast::ErrorKind's Display (body glob), through Formatter<E: Display>",
        kind: "8.6 generic over a caller type's Display",
        change: Change::Source(&[(
            "src/ast/mod.rs",
            "GroupUnclosed => write!(f, \"unclosed group\"),",
            "GroupUnclosed => write!(f, \"unclosed group (edited)\"),",
        )]),
        changes: &["ast_roundtrip", "errors", "hir"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "hir::ErrorKind's Display (body glob), through Formatter<E: Display>",
        kind: "8.6 generic over a caller type's Display",
        change: Change::Source(&[(
            "src/hir/mod.rs",
            "UnicodePropertyNotFound => \"Unicode property not found\",",
            "UnicodePropertyNotFound => \"no such Unicode property\",",
        )]),
        changes: &["errors"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "a string in fmt_group_pre (body glob `use GroupKind::*`)",
        kind: "body with a glob use",
        change: Change::Source(&[(
            "src/ast/print.rs",
            "                self.wtr.write_str(\"(?\")?;\n                self.fmt_flags(flags)?;",
            "                self.wtr.write_str(\"(??\")?;\n                self.fmt_flags(flags)?;",
        )]),
        changes: &["ast_roundtrip"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Utf8Range's Debug impl",
        kind: "trait impl of a reached type",
        change: Change::Source(&[(
            "src/utf8.rs",
            "write!(f, \"[{:X}-{:X}]\", self.start, self.end)",
            "write!(f, \"[{:x}-{:x}]\", self.start, self.end)",
        )]),
        changes: &["utf8"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Bound for char, called as `I::Bound::max_value()` in generic code",
        kind: "path through a type parameter (not in issue 8)",
        change: Change::Source(&[(
            "src/hir/interval.rs",
            "    fn max_value() -> Self {\n        '\\u{10FFFF}'\n    }",
            "    fn max_value() -> Self {\n        '\\u{10FFFE}'\n    }",
        )]),
        changes: &["hir"],
        known_stale_until_merged: Some("not in issue 8: no branch yet"),
    },
    Edit {
        what: "Utf8Sequences::next, called only by a `for` loop",
        kind: "Iterator impl behind a for loop",
        change: Change::Source(&[(
            "src/utf8.rs",
            "return Some(Utf8Sequence::One(ascii_range));",
            "return Some(Utf8Sequence::One(Utf8Range::new(ascii_range.end, ascii_range.end)));",
        )]),
        changes: &["utf8"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "feature unicode-case off",
        kind: "8.3 cfg/feature",
        change: Change::Features(WITHOUT_UNICODE_CASE),
        changes: &["hir", "literals"],
        known_stale_until_merged: Some("8.3 (fp-build)"),
    },
    Edit {
        what: "feature unicode-age off (no wrapper uses it)",
        kind: "8.3 cfg/feature",
        change: Change::Features(WITHOUT_UNICODE_AGE),
        changes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "FUNCACHE_PROBE_NEST_LIMIT=2 at build time",
        kind: "8.4 option_env!",
        change: Change::BuildEnv(NEST_LIMIT_VAR, "2"),
        changes: &["nest_limited"],
        known_stale_until_merged: Some("8.4 (fp-build)"),
    },
    Edit {
        what: "the test-only assert_eq! macro in ast::parse::tests",
        kind: "8.7 cfg(test) macro",
        change: Change::Source(&[(
            "src/ast/parse.rs",
            "\"assertion failed: `(left == right)`\\n\\n\\",
            "\"assertion failed: `left == right`\\n\\n\\",
        )]),
        changes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the test-only impl PartialEq<TestError> for ast::Error",
        kind: "8.7 cfg(test) trait impl",
        change: Change::Source(&[(
            "src/ast/parse.rs",
            "    impl PartialEq<TestError> for ast::Error {\n        fn eq(&self, other: &TestError) -> bool {\n            self.span == other.span && self.kind == other.kind",
            "    impl PartialEq<TestError> for ast::Error {\n        fn eq(&self, other: &TestError) -> bool {\n            self.kind == other.kind && self.span == other.span",
        )]),
        changes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Hash added to ast::Position's derive list",
        kind: "8.10 derive list",
        change: Change::Source(&[(
            "src/ast/mod.rs",
            "#[derive(Clone, Copy, Eq, PartialEq)]\n#[cfg_attr(feature = \"arbitrary\", derive(arbitrary::Arbitrary))]\npub struct Position {",
            "#[derive(Clone, Copy, Eq, PartialEq, Hash)]\n#[cfg_attr(feature = \"arbitrary\", derive(arbitrary::Arbitrary))]\npub struct Position {",
        )]),
        changes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Seq::push, same behaviour (a std `push` elsewhere shares its name)",
        kind: "8.8 method on an uninferred receiver",
        change: Change::Source(&[(
            "src/hir/literal.rs",
            "if lits.last().map_or(false, |m| m == &lit) {",
            "if lits.last().map_or(false, |m| *m == lit) {",
        )]),
        changes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Utf8Sequence::reverse, which no wrapper calls",
        kind: "unreached fn",
        change: Change::Source(&[(
            "src/utf8.rs",
            "            Utf8Sequence::Two(ref mut x) => x.reverse(),",
            "            Utf8Sequence::Two(_) => {}",
        )]),
        changes: &[],
        known_stale_until_merged: None,
    },
];

/// What one edit did to one wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Value unchanged, served from the cache.
    Hit,
    /// Value changed, recomputed.
    Fresh,
    /// Value unchanged, recomputed anyway.
    Needless,
    /// Value changed, the old one served.
    Stale,
}

impl Outcome {
    fn of(pristine: &WrapperReport, edited: &WrapperReport) -> Outcome {
        let changed = edited.uncached != pristine.uncached;
        match (edited.served == edited.uncached, edited.misses > 0) {
            (false, _) => Outcome::Stale,
            (true, true) if changed => Outcome::Fresh,
            (true, true) => Outcome::Needless,
            (true, false) => Outcome::Hit,
        }
    }

    fn cell(self) -> &'static str {
        match self {
            Outcome::Hit => "-",
            Outcome::Fresh => "fresh",
            Outcome::Needless => "needless",
            Outcome::Stale => "STALE",
        }
    }
}

#[test]
fn regex_syntax_edits_are_never_served_stale() {
    let _guard = support::lock();
    let source = match real_crate::registry_source(CRATE, VERSION) {
        Ok(source) => source,
        Err(why) => {
            println!("SKIPPED: {CRATE} {VERSION} could not be fetched from the registry:\n{why}");
            eprintln!("SKIPPED: {CRATE} {VERSION} could not be fetched from the registry");
            return;
        }
    };
    let krate = RealCrate::prepare(&source, CRATE, "funcache_probe", &[NEST_LIMIT_VAR]);
    let cache = tempfile::tempdir().unwrap();
    if let Err(cargo) = krate.build(&BuildConfig::default()) {
        if source.offline {
            println!(
                "SKIPPED: offline, and {CRATE} {VERSION} does not build from cargo's cache:\n{cargo}"
            );
            eprintln!("SKIPPED: offline, and {CRATE} {VERSION} does not build from cargo's cache");
            return;
        }
        panic!("the pristine copy does not build:\n{cargo}");
    }
    let pristine = krate.run(cache.path());
    assert_eq!(
        pristine.keys().map(String::as_str).collect::<Vec<_>>(),
        WRAPPERS,
        "the probe reports every wrapper"
    );
    for (name, report) in &pristine {
        assert_eq!(report.misses, 1, "{name} computes on the first run");
        assert_eq!(report.served, report.uncached, "{name}");
    }
    let again = krate.run(cache.path());
    for (name, report) in &again {
        assert_eq!(report.misses, 0, "{name} is served on the second run");
    }

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for edit in EDITS {
        let edited = apply_and_run(&krate, edit, cache.path());
        let outcomes: BTreeMap<&str, Outcome> = WRAPPERS
            .iter()
            .map(|&name| (name, Outcome::of(&pristine[name], &edited[name])))
            .collect();
        let changed: Vec<&str> = WRAPPERS
            .iter()
            .copied()
            .filter(|&name| edited[name].uncached != pristine[name].uncached)
            .collect();
        if changed != edit.changes {
            failures.push(format!(
                "{}: the edit is said to change {:?}, but it changes {:?}",
                edit.what, edit.changes, changed
            ));
        }
        let stale: Vec<&str> = WRAPPERS
            .iter()
            .copied()
            .filter(|name| outcomes[name] == Outcome::Stale)
            .collect();
        match edit.known_stale_until_merged {
            None if !stale.is_empty() => {
                failures.push(format!("{}: STALE {:?}", edit.what, stale));
            }
            Some(fix) if stale.is_empty() => notes.push(format!(
                "{}: no longer stale; set known_stale_until_merged to None ({fix})",
                edit.what
            )),
            _ => {}
        }
        let why = changed_dependencies(&pristine, &edited);
        rows.push((edit, outcomes, why));
    }

    println!("{}", table(&rows, &pristine));
    for note in &notes {
        println!("NOTE: {note}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The registry lookup behind the skip: a version that was never published
/// is an error, whether or not the registry can be reached.
#[test]
fn registry_source_refuses_an_unpublished_version() {
    let error = real_crate::registry_source(CRATE, "0.0.999").unwrap_err();
    assert!(!error.is_empty());
}

/// Applies one edit to the pristine copy, builds, runs the probe, and
/// restores the copy.
fn apply_and_run(
    krate: &RealCrate,
    edit: &Edit,
    cache: &std::path::Path,
) -> BTreeMap<String, WrapperReport> {
    let mut config = BuildConfig::default();
    let mut originals = Vec::new();
    match &edit.change {
        Change::Source(replacements) => {
            for &(file, from, to) in *replacements {
                let text = krate.read(file);
                assert!(text.contains(from), "{}: {file} lacks {from:?}", edit.what);
                krate.write(file, &text.replacen(from, to, 1));
                originals.push((file, text));
            }
        }
        Change::Features(features) => {
            config.features = Some(features.iter().map(|f| f.to_string()).collect());
        }
        Change::BuildEnv(name, value) => {
            config.env = vec![(name.to_string(), value.to_string())];
        }
    }
    let built = krate.build(&config);
    let report = built.map(|()| krate.run(cache));
    for (file, text) in originals {
        krate.write(file, &text);
    }
    report
        .unwrap_or_else(|cargo| panic!("{}: the edited crate does not build:\n{cargo}", edit.what))
}

/// Per wrapper, the closure items whose hash changed, appeared or vanished.
fn changed_dependencies(
    pristine: &BTreeMap<String, WrapperReport>,
    edited: &BTreeMap<String, WrapperReport>,
) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    for (name, before) in pristine {
        let after = &edited[name];
        for (path, hash) in &before.dependencies {
            if after.dependencies.get(path) != Some(hash) {
                changed.insert(path.clone());
            }
        }
        for path in after.dependencies.keys() {
            if !before.dependencies.contains_key(path) {
                changed.insert(path.clone());
            }
        }
    }
    changed
}

type Row<'a> = (&'a Edit, BTreeMap<&'a str, Outcome>, BTreeSet<String>);

/// The report: one row per edit, totals per kind, closure sizes.
fn table(rows: &[Row<'_>], pristine: &BTreeMap<String, WrapperReport>) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "\n## {CRATE} {VERSION}: edits (cells: fresh / needless / STALE / - = hit)\n"
    )
    .unwrap();
    writeln!(
        out,
        "| edit | kind | changes | {} | stale | needless | flag | closure items changed |",
        WRAPPERS.join(" | ")
    )
    .unwrap();
    writeln!(out, "|{}", "---|".repeat(WRAPPERS.len() + 7)).unwrap();
    let mut per_kind: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for (edit, outcomes, why) in rows {
        let count = |o| outcomes.values().filter(|&&x| x == o).count();
        let (stale, needless) = (count(Outcome::Stale), count(Outcome::Needless));
        let totals = per_kind.entry(edit.kind).or_default();
        totals[0] += edit.changes.len();
        totals[1] += stale;
        totals[2] += WRAPPERS.len() - edit.changes.len();
        totals[3] += needless;
        let cells: Vec<&str> = WRAPPERS.iter().map(|w| outcomes[w].cell()).collect();
        let mut why: Vec<&str> = why.iter().map(String::as_str).collect();
        if why.len() > 3 {
            why.truncate(3);
            why.push("…");
        }
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            edit.what,
            edit.kind,
            if edit.changes.is_empty() {
                "none".to_owned()
            } else {
                edit.changes.join(", ")
            },
            cells.join(" | "),
            stale,
            needless,
            edit.known_stale_until_merged.unwrap_or(""),
            why.join(", ")
        )
        .unwrap();
    }
    writeln!(
        out,
        "\n| kind | stale / changed | needless / unchanged |\n|---|---|---|"
    )
    .unwrap();
    let mut all = [0; 4];
    for (kind, t) in &per_kind {
        writeln!(
            out,
            "| {kind} | {} / {} | {} / {} |",
            t[1], t[0], t[3], t[2]
        )
        .unwrap();
        for i in 0..4 {
            all[i] += t[i];
        }
    }
    writeln!(
        out,
        "| **all** | {} / {} | {} / {} |",
        all[1], all[0], all[3], all[2]
    )
    .unwrap();
    writeln!(
        out,
        "\n| wrapper | closure items | unresolved |\n|---|---|---|"
    )
    .unwrap();
    for (name, report) in pristine {
        writeln!(
            out,
            "| {name} | {} | {} |",
            report.dependencies.len(),
            report.unresolved.len()
        )
        .unwrap();
    }
    out
}
