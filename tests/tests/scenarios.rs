//! Scenario tests: build a fixture crate, run it, edit it, rebuild, run
//! again, and check which cached bodies executed and what they returned.

mod support;

#[path = "scenarios/dep_inputs.rs"]
mod dep_inputs;

#[path = "scenarios/dep_features.rs"]
mod dep_features;

#[path = "scenarios/dep_build.rs"]
mod dep_build;

#[path = "scenarios/resolution.rs"]
mod resolution;

#[path = "scenarios/cfg_if.rs"]
mod cfg_if;

#[path = "scenarios/deref.rs"]
mod deref;

#[path = "scenarios/cfg_test.rs"]
mod cfg_test;

#[path = "scenarios/macro_invoke.rs"]
mod macro_invoke;

#[path = "scenarios/macro_members.rs"]
mod macro_members;

use support::Fixture;

#[test]
fn second_run_is_served_from_disk_and_edits_invalidate_exactly() {
    let _guard = support::lock();
    let fixture = Fixture::copy("basic");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();

    let first = fixture.run(cache.path());
    assert_eq!(first.ran, ["double", "greet", "total"]);
    assert_eq!(first.value("double"), "42");
    assert_eq!(first.value("greet"), "hello world");
    assert_eq!(first.value("total"), "6");

    let second = fixture.run(cache.path());
    assert!(
        second.ran.is_empty(),
        "second run executed {:?}",
        second.ran
    );
    assert_eq!(second.stdout, first.stdout);

    // A real edit of one function's body: only it recomputes.
    fixture.edit("src/steps.rs", "x * 2", "x * 2 + 1");
    fixture.build();
    let edited = fixture.run(cache.path());
    assert_eq!(edited.ran, ["double"]);
    assert_eq!(edited.value("double"), "43");
    assert_ne!(
        edited.value("fingerprint.double"),
        first.value("fingerprint.double")
    );

    // Comments, doc comments and formatting only: nothing recomputes.
    fixture.edit(
        "src/steps.rs",
        "/// Doubles its input.",
        "/// Doubles its input, plus one.\n// (a comment)",
    );
    fixture.edit(
        "src/steps.rs",
        "pub fn greet(name: &str) -> String {\n    eprintln!(\"RUN greet\");\n    format!(\"hello {name}\")\n}",
        "pub fn greet(\n    name: &str,\n) -> String {\n    // greet politely\n    eprintln!(\"RUN greet\",);\n    format!(\n        \"hello {name}\",\n    )\n}",
    );
    fixture.build();
    let cosmetic = fixture.run(cache.path());
    assert!(
        cosmetic.ran.is_empty(),
        "cosmetic edits recomputed {:?}",
        cosmetic.ran
    );
    assert_eq!(
        cosmetic.value("fingerprint.double"),
        edited.value("fingerprint.double")
    );

    // Environment switches.
    let refreshed = fixture.run_with(cache.path(), &[("FUNCACHE_REFRESH", "1")]);
    assert_eq!(refreshed.ran, ["double", "greet", "total"]);
    let disabled = fixture.run_with(cache.path(), &[("FUNCACHE_DISABLE", "1")]);
    assert_eq!(disabled.ran, ["double", "greet", "total"]);
    let fresh = tempfile::tempdir().unwrap();
    let readonly = fixture.run_with(fresh.path(), &[("FUNCACHE_READONLY", "1")]);
    assert_eq!(readonly.ran, ["double", "greet", "total"]);
    assert!(
        !fresh.path().join("FUNCACHE").exists(),
        "read-only runs write nothing"
    );
    let served = fixture.run_with(cache.path(), &[("FUNCACHE_READONLY", "1")]);
    assert!(served.ran.is_empty(), "read-only runs still serve hits");
}

#[test]
fn renamed_dependency_works() {
    let _guard = support::lock();
    let fixture = Fixture::copy("renamed");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).ran, ["triple"]);
    let second = fixture.run(cache.path());
    assert!(second.ran.is_empty());
    assert_eq!(second.value("triple"), "15");
}

#[test]
fn unusable_cache_directory_still_gives_correct_results() {
    let _guard = support::lock();
    let fixture = Fixture::copy("basic");
    fixture.build();
    let temp = tempfile::tempdir().unwrap();

    // A directory that is not a funcache cache: refused, never written.
    let foreign = temp.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let run = fixture.run(&foreign);
    assert_eq!(run.value("double"), "42");
    assert_eq!(run.ran, ["double", "greet", "total"]);
    assert_eq!(
        std::fs::read_dir(&foreign).unwrap().count(),
        1,
        "nothing was added"
    );

    // A path below a regular file: cannot be created.
    let file = temp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let run = fixture.run(&file.join("cache"));
    assert_eq!(run.value("total"), "6");

    // A corrupt database: moved aside with one warning, and rebuilt.
    let corrupt = temp.path().join("corrupt");
    fixture.run(&corrupt);
    for entry in walk(&corrupt.join("lmdb")) {
        std::fs::write(&entry, b"\xff\xfe garbage garbage garbage").unwrap();
    }
    let run = fixture.run(&corrupt);
    assert_eq!(run.value("greet"), "hello world");
    assert_eq!(run.ran, ["double", "greet", "total"]);
    assert_eq!(run.stderr.matches("damaged").count(), 1, "{}", run.stderr);
    let rebuilt = fixture.run(&corrupt);
    assert!(rebuilt.ran.is_empty(), "the rebuilt database hits");
    assert!(!rebuilt.stderr.contains("warning"), "{}", rebuilt.stderr);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

/// Every cached function of `fixtures/graph`.
const GRAPH_FUNCTIONS: &[&str] = &[
    "calls_glob",
    "calls_path",
    "calls_renamed",
    "circle_area",
    "counts_words",
    "makes_pair",
    "memoized_compute",
    "nested_fn",
    "passes_fn_value",
    "reads_const",
    "reads_static",
    "square_description",
    "uses_external",
    "uses_generated",
    "uses_macro",
    "uses_path_attribute",
    "uses_path_dependency",
    "uses_super",
];

/// One edit of the matrix: what it changes, and exactly which cached
/// functions must recompute afterwards (every other one must hit).
struct Edit {
    what: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    reruns: &'static [&'static str],
}

const EDITS: &[Edit] = &[
    Edit {
        what: "a helper called by path and through a renamed import",
        file: "src/helpers.rs",
        from: "    x + 1\n",
        to: "    x + 11\n",
        reruns: &["calls_path", "calls_renamed"],
    },
    Edit {
        what: "a helper reached through a glob import",
        file: "src/helpers.rs",
        from: "    x + 2\n",
        to: "    x + 12\n",
        reruns: &["calls_glob", "memoized_compute"],
    },
    Edit {
        what: "a helper only passed as a value",
        file: "src/helpers.rs",
        from: "    x + 3\n",
        to: "    x + 13\n",
        reruns: &["passes_fn_value"],
    },
    Edit {
        what: "a helper called from a nested fn (and through super)",
        file: "src/helpers.rs",
        from: "    x + 4\n",
        to: "    x + 14\n",
        reruns: &["nested_fn", "uses_super"],
    },
    Edit {
        what: "an unrelated fn in the same file",
        file: "src/helpers.rs",
        from: "    x + 5\n",
        to: "    x + 15\n",
        reruns: &[],
    },
    Edit {
        what: "comments, doc comments and formatting only",
        file: "src/helpers.rs",
        from: "/// Applies a function value.\npub fn apply(f: fn(u64) -> u64, x: u64) -> u64 {\n    f(x)\n}",
        to: "/// Applies `f` to `x`.\n// (it is only a call)\npub fn apply(\n    f: fn(u64) -> u64,\n    x: u64,\n) -> u64 {\n    f(\n        x, // the argument\n    )\n}",
        reruns: &[],
    },
    Edit {
        what: "a method of a known receiver type",
        file: "src/shapes.rs",
        from: "3.0 * self.r * self.r",
        to: "3.14 * self.r * self.r",
        reruns: &["circle_area"],
    },
    Edit {
        what: "the same-named method on another type",
        file: "src/shapes.rs",
        from: "self.side * self.side",
        to: "self.side * self.side * 1.0",
        reruns: &["square_description"],
    },
    Edit {
        what: "a trait's default method",
        file: "src/shapes.rs",
        from: "format!(\"size {:.1}\", self.size())",
        to: "format!(\"size={:.2}\", self.size())",
        reruns: &["square_description"],
    },
    Edit {
        what: "a method nothing cached calls",
        file: "src/shapes.rs",
        from: "4.0 * self.side",
        to: "4.0 * self.side + 0.0",
        reruns: &[],
    },
    Edit {
        what: "a const",
        file: "src/config.rs",
        from: "pub const LIMIT: u64 = 10;",
        to: "pub const LIMIT: u64 = 20;",
        reruns: &["reads_const"],
    },
    Edit {
        what: "a static",
        file: "src/config.rs",
        from: "pub static NAME: &str = \"graph\";",
        to: "pub static NAME: &str = \"graph2\";",
        reruns: &["reads_static"],
    },
    Edit {
        what: "the field order of the return type",
        file: "src/shapes.rs",
        from: "    pub first: u32,\n    pub second: String,",
        to: "    pub second: String,\n    pub first: u32,",
        reruns: &["makes_pair"],
    },
    Edit {
        what: "a macro_rules! body",
        file: "src/main.rs",
        from: "        $x * 2",
        to: "        $x * 2 + 1",
        reruns: &["uses_macro"],
    },
    Edit {
        what: "a function of a path dependency",
        file: "util/src/lib.rs",
        from: "    x * 3\n",
        to: "    x * 3 + 1\n",
        reruns: &["uses_path_dependency"],
    },
    Edit {
        what: "an unreached function of a path dependency",
        file: "util/src/lib.rs",
        from: "x + 1000",
        to: "x + 2000",
        reruns: &[],
    },
    Edit {
        what: "a module reached through super",
        file: "src/nested/mod.rs",
        from: "* 10",
        to: "* 20",
        reruns: &["uses_super"],
    },
    Edit {
        what: "a module loaded through #[path]",
        file: "src/elsewhere/odd_name.rs",
        from: "x * 7",
        to: "x * 8",
        reruns: &["uses_path_attribute"],
    },
    Edit {
        what: "a data file embedded with include_str!",
        file: "data/words.txt",
        from: "alpha beta gamma",
        to: "alpha beta gamma delta",
        reruns: &["counts_words"],
    },
    Edit {
        what: "a file whose items come in through include!",
        file: "src/generated/functions.in",
        from: "x + 40",
        to: "x + 41",
        reruns: &["uses_generated"],
    },
    Edit {
        what: "the version of an external crate",
        file: "Cargo.toml",
        from: "bitflags = \"1\"",
        to: "bitflags = \"2\"",
        reruns: &["uses_external"],
    },
];

#[test]
fn edits_invalidate_exactly_what_reaches_them() {
    let _guard = support::lock();
    let fixture = Fixture::copy("graph");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.ran, GRAPH_FUNCTIONS);
    for unresolved in first
        .stdout
        .lines()
        .filter(|l| l.starts_with("unresolved.graph::calls_path"))
    {
        assert!(unresolved.ends_with("=[]"), "{unresolved}");
    }
    let second = fixture.run(cache.path());
    assert!(
        second.ran.is_empty(),
        "second run executed {:?}",
        second.ran
    );

    let mut failures = Vec::new();
    for edit in EDITS {
        fixture.edit(edit.file, edit.from, edit.to);
        fixture.build();
        let run = fixture.run(cache.path());
        if run.ran != edit.reruns {
            failures.push(format!(
                "{}: expected {:?} to recompute, got {:?}",
                edit.what, edit.reruns, run.ran
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The values follow the edits, including the reordered return type.
    let last = fixture.run(cache.path());
    assert_eq!(last.value("calls_path"), "12");
    assert_eq!(last.value("reads_const"), "20");
    assert_eq!(last.value("reads_static"), "GRAPH2");
    assert_eq!(last.value("makes_pair"), "7/#7");
    assert_eq!(last.value("uses_path_dependency"), "16");
    assert_eq!(last.value("uses_super"), "300");
    assert_eq!(last.value("memoized_compute"), "13000");
    assert_eq!(last.value("counts_words"), "4");
    assert_eq!(last.value("uses_generated"), "43");
}

#[test]
fn two_checkouts_share_one_cache_directory() {
    let _guard = support::lock();
    let cache = tempfile::tempdir().unwrap();
    let one = Fixture::copy("graph");
    one.build();
    let first = one.run(cache.path());
    assert_eq!(first.ran, GRAPH_FUNCTIONS);
    let other = Fixture::copy("graph");
    assert_ne!(one.path(), other.path());
    other.build();
    let second = other.run(cache.path());
    assert!(
        second.ran.is_empty(),
        "a second checkout recomputed {:?}",
        second.ran
    );
    for line in first
        .stdout
        .lines()
        .filter(|l| l.starts_with("fingerprint."))
    {
        assert!(
            second.stdout.contains(line),
            "fingerprint differs across checkouts: {line}"
        );
    }
}

/// Scopes inside function bodies and functions as arguments, across real
/// rebuilds: a body-level glob import once hid the paths of its body
/// (issue 8.1), nested cached fns shared one entry (9.1), a function
/// argument could not be keyed (9.2), and a set in a struct field missed in
/// every process (9.5).
#[test]
fn fn_body_scopes_and_function_arguments_invalidate_exactly() {
    let _guard = support::lock();
    let fixture = Fixture::copy("scopes");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();

    let first = fixture.run(cache.path());
    assert_eq!(
        first.ran,
        [
            "apply:1000",
            "apply:11",
            "apply:20",
            "apply:30",
            "apply:50",
            "apply:70",
            "english::greet",
            "french::greet",
            "kind_glob",
            "kind_glob",
            "tag_count"
        ]
    );
    assert_eq!(first.value("kind_glob"), "3");
    assert_eq!(first.value("greet"), "hello #1 | bonjour #1");
    assert_eq!(first.value("apply.double"), "20");
    assert_eq!(first.value("apply.triple"), "30");
    assert_eq!(first.value("tag_count"), "30");

    assert_eq!(first.value("apply.closures"), "11 1000");
    // Two `op`s of one path once shared an entry: `50 50` (issue 9 trial).
    assert_eq!(first.value("blocks"), "50 70");
    // One warning per function and cause: the closures, and the `op`s.
    assert_eq!(
        first.stderr.matches("runs uncached").count(),
        2,
        "one warning for the closures, one for the ops:\n{}",
        first.stderr
    );
    assert_eq!(first.stderr.matches("several functions").count(), 1);
    // A set hidden by a hand-written `Serialize` once missed silently.
    assert_eq!(first.value("label_count"), "30 30");
    assert_eq!(
        first
            .stderr
            .matches("hand-written `Serialize` of `Labels`")
            .count(),
        1,
        "{}",
        first.stderr
    );

    // Another process (another hasher seed for the set): all served but
    // the closures, which are never confused with each other.
    let second = fixture.run(cache.path());
    assert_eq!(
        second.ran,
        ["apply:1000", "apply:11", "apply:50", "apply:70"]
    );
    assert_eq!(second.stdout, first.stdout);

    // A helper reached only through a body that globs an enum.
    fixture.edit("src/helpers.rs", "    1\n", "    10\n");
    fixture.build();
    let helper = fixture.run(cache.path());
    assert_eq!(
        helper.ran,
        [
            "apply:1000",
            "apply:11",
            "apply:50",
            "apply:70",
            "kind_glob",
            "kind_glob"
        ]
    );
    assert_eq!(helper.value("kind_glob"), "12");

    // The function passed as an argument: only calls made with it rerun.
    fixture.edit("src/math.rs", "x * 2", "x * 2 + 1");
    fixture.build();
    let double = fixture.run(cache.path());
    assert_eq!(
        double.ran,
        ["apply:1000", "apply:11", "apply:21", "apply:50", "apply:70"]
    );
    assert_eq!(double.value("apply.double"), "21");
    assert_eq!(double.value("apply.triple"), "30");

    // The nested sibling a nested cached fn calls.
    fixture.edit("src/main.rs", "\"hello\"", "\"hi\"");
    fixture.build();
    let word = fixture.run(cache.path());
    assert_eq!(
        word.ran,
        [
            "apply:1000",
            "apply:11",
            "apply:50",
            "apply:70",
            "english::greet"
        ]
    );
    assert_eq!(word.value("greet"), "hi #1 | bonjour #1");
}

/// Issue 8, item 3: `cargo build --features fast` selects another `kernel`;
/// the default build's result must not be served for it. Editing the
/// definition the build does not compile must not recompute anything.
#[test]
fn cargo_features_select_what_the_fingerprint_covers() {
    let _guard = support::lock();
    let fixture = Fixture::copy("buildcfg");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let default = fixture.run(cache.path());
    assert_eq!(default.value("featured"), "21");
    assert_eq!(default.value("picked"), "207");

    fixture.build_with(&["fast"], &[]);
    let fast = fixture.run(cache.path());
    assert_eq!(fast.value("featured"), "14", "stale value served");
    // A `#[cfg]`-gated `use` chose another function.
    assert_eq!(fast.value("picked"), "107", "stale value served");
    // Every feature the package declares is a build answer of every
    // fingerprint (a dependency's code may follow it where no `cfg` of
    // the closure names it), so every cached fn keeps its own entries.
    assert_eq!(
        fast.ran,
        [
            "featured",
            "generated",
            "measured",
            "moded",
            "picked",
            "tabled"
        ]
    );

    // Back to the default build: its entries are still there.
    fixture.build();
    let again = fixture.run(cache.path());
    assert_eq!(again.value("featured"), "21");
    assert_eq!(again.value("picked"), "207");
    assert!(again.ran.is_empty(), "recomputed {:?}", again.ran);

    // The `fast` kernel is not compiled in the default build.
    fixture.edit("src/main.rs", "x * 2", "x * 4");
    fixture.build();
    let inactive = fixture.run(cache.path());
    assert!(inactive.ran.is_empty(), "recomputed {:?}", inactive.ran);
    fixture.build_with(&["fast"], &[]);
    let edited = fixture.run(cache.path());
    assert_eq!(edited.value("featured"), "28");
}

/// Issue 8, item 4: a const read with `option_env!` changes with the build's
/// environment; its value is part of the fingerprint.
#[test]
fn compile_time_environment_is_part_of_the_fingerprint() {
    let _guard = support::lock();
    let fixture = Fixture::copy("buildcfg");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("moded"), "unset-7");

    fixture.build_with(&[], &[("FIXTURE_MODE", "b")]);
    let b = fixture.run(cache.path());
    assert_eq!(b.value("moded"), "b-7", "stale value served");
    assert_eq!(b.ran, ["moded"]);

    fixture.build();
    let unset = fixture.run(cache.path());
    assert_eq!(unset.value("moded"), "unset-7");
    assert!(unset.ran.is_empty(), "recomputed {:?}", unset.ran);
}

/// Issue 8, item 5: code `build.rs` writes to `OUT_DIR` and the crate
/// `include!`s is indexed like any other source.
#[test]
fn code_generated_by_build_rs_is_part_of_the_fingerprint() {
    let _guard = support::lock();
    let fixture = Fixture::copy("buildcfg");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    assert_eq!(fixture.run(cache.path()).value("generated"), "35");

    fixture.write("generator/scale.txt", "6\n");
    fixture.build();
    let regenerated = fixture.run(cache.path());
    assert_eq!(regenerated.value("generated"), "42", "stale value served");
    assert_eq!(regenerated.ran, ["generated"]);

    // Data generated into OUT_DIR and read with include_str!.
    assert_eq!(regenerated.value("tabled"), "alpha7");
    fixture.write("generator/table.txt", "beta\n");
    fixture.build();
    let retabled = fixture.run(cache.path());
    assert_eq!(retabled.value("tabled"), "beta7", "stale value served");
    assert_eq!(retabled.ran, ["tabled"]);
}

/// Issue 8, item 7: trait impls and `macro_rules!` in a `#[cfg(test)]`
/// module are not part of a normal build, so editing them must not
/// recompute anything there.
#[test]
fn test_only_code_does_not_invalidate_a_normal_build() {
    let _guard = support::lock();
    let fixture = Fixture::copy("buildcfg");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.value("measured"), "8");

    fixture.edit("src/shapes.rs", "\"point {}\"", "\"the point {}\"");
    fixture.edit("src/shapes.rs", "$x + 100", "$x + 200");
    fixture.edit("src/shapes.rs", "bump!(1), 101", "bump!(1), 201");
    fixture.build();
    let edited = fixture.run(cache.path());
    assert_eq!(edited.value("measured"), "8");
    assert!(edited.ran.is_empty(), "recomputed {:?}", edited.ran);

    // The same edit outside the test module does recompute.
    fixture.edit("src/shapes.rs", "$x + 1\n", "$x + 2\n");
    fixture.build();
    let real = fixture.run(cache.path());
    assert_eq!(real.value("measured"), "9");
    assert_eq!(real.ran, ["measured"]);
}

/// Every cached function of `fixtures/precision`.
const PRECISION_FUNCTIONS: &[&str] = &[
    "headroom",
    "instantiated",
    "label",
    "pad",
    "report",
    "std_push",
    "to_char",
    "to_u8",
];

/// Resolution precision (issue 8, items 2, 6, 8, 9, 10, 11): impls reached
/// only through std's blanket impls, a caller-chosen type or a type
/// parameter's associated type invalidate (they were served stale); impls
/// nothing cached can run do not (they were needless misses).
const PRECISION_EDITS: &[Edit] = &[
    Edit {
        what: "a From impl reached only through .into()",
        file: "src/convert.rs",
        from: "Align::Right => '>'",
        to: "Align::Right => ']'",
        // `to_u8`'s `.try_into()` may run a local `From` through std's
        // blanket `TryFrom`, and the index does not type its target.
        reruns: &["to_char", "to_u8"],
    },
    Edit {
        what: "a TryFrom impl reached only through .try_into()",
        file: "src/convert.rs",
        from: "Align::Right => Ok(2)",
        to: "Align::Right => Ok(20)",
        reruns: &["to_u8"],
    },
    Edit {
        what: "the Display impl of a caller-chosen type",
        file: "src/shapes.rs",
        from: "\"square {}\"",
        to: "\"SQUARE {}\"",
        reruns: &["label"],
    },
    Edit {
        what: "an impl reached only as `I::Bound::max_value()` in generic code",
        file: "src/intervals.rs",
        from: "'\\u{10FFFF}'",
        to: "'\\u{10FFFE}'",
        reruns: &["headroom"],
    },
    Edit {
        what: "a crate method named like the std method a cached fn calls",
        file: "src/shapes.rs",
        from: "self.items.push(x);",
        to: "self.items.push(x + 1);",
        reruns: &[],
    },
    Edit {
        what: "another type's impl of the trait a generic fn is instantiated with",
        file: "src/shapes.rs",
        from: "        5\n",
        to: "        50\n",
        reruns: &[],
    },
    Edit {
        what: "the impl of the type the generic fn is instantiated with",
        file: "src/shapes.rs",
        from: "        3\n",
        to: "        30\n",
        reruns: &["instantiated"],
    },
    Edit {
        // Not formatted by `report`, but a Debug impl can run unnamed
        // (an `unwrap` message read back through `catch_unwind`): it
        // comes with the type.
        what: "a Debug impl of a type a cached fn has",
        file: "src/shapes.rs",
        from: "\"Quiet({})\"",
        to: "\"Quiet[{}]\"",
        reruns: &["report"],
    },
    Edit {
        what: "std derives of a returned type",
        file: "src/shapes.rs",
        from: "#[derive(Debug, Clone, Serialize, Deserialize)]",
        to: "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]",
        reruns: &[],
    },
];

#[test]
fn precision_edits_invalidate_what_can_run_them_and_nothing_else() {
    let _guard = support::lock();
    let fixture = Fixture::copy("precision");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.ran, PRECISION_FUNCTIONS);
    assert_eq!(first.value("to_char"), ">");
    assert_eq!(first.value("label"), "<square 2>");
    // Named format arguments are not unresolved paths (`pad` is strict).
    assert_eq!(first.value("pad"), "[  |  2]");
    assert_eq!(first.value("headroom"), (0x10FFFF - 'z' as u32).to_string());
    for line in first
        .stdout
        .lines()
        .filter(|l| l.starts_with("unresolved."))
    {
        assert!(line.ends_with("=[]"), "{line}");
    }

    let mut failures = Vec::new();
    for edit in PRECISION_EDITS {
        fixture.edit(edit.file, edit.from, edit.to);
        fixture.build();
        let run = fixture.run(cache.path());
        if run.ran != edit.reruns {
            failures.push(format!(
                "{}: expected {:?} to recompute, got {:?}",
                edit.what, edit.reruns, run.ran
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The served values follow the edits.
    let last = fixture.run(cache.path());
    assert_eq!(last.value("to_char"), "]");
    assert_eq!(last.value("to_u8"), "20");
    assert_eq!(last.value("label"), "<SQUARE 2>");
    assert_eq!(last.value("instantiated"), "60");
    assert_eq!(last.value("std_push"), "4");
    assert_eq!(last.value("report"), "42");
    assert_eq!(last.value("headroom"), (0x10FFFE - 'z' as u32).to_string());
}

const MACRO_FNS: [&str; 8] = [
    "v17c_macro_nested",
    "v17p_macro_plain",
    "w7",
    "m1",
    "v17",
    "v18",
    "v19",
    "v20",
];

/// The cached fns of the `macros` fixture whose cached call ran its body
/// (each body also runs once uncached, so those ran twice).
fn macros_reran(run: &support::Run) -> Vec<&'static str> {
    MACRO_FNS
        .into_iter()
        .filter(|name| run.ran.iter().filter(|r| r == name).count() > 1)
        .collect()
}

/// Every cached fn of the `macros` fixture serves what its body computes
/// now (`name=` equals `name.uncached=`).
fn assert_macros_fresh(run: &support::Run, when: &str) {
    for name in MACRO_FNS {
        assert_eq!(
            run.value(name),
            run.value(&format!("{name}.uncached")),
            "{name} served a stale value after {when}"
        );
    }
}

/// Issue 8's macro trial: code a `macro_rules!` macro runs — macros and
/// methods its body invokes, items its module-level invocations generate —
/// is in the fingerprint, also after the module gains an unrelated
/// invocation (which used to hide the module's macros).
#[test]
fn macro_bodies_and_module_level_invocations_invalidate() {
    let _guard = support::lock();
    let fixture = Fixture::copy("macros");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(macros_reran(&first), MACRO_FNS);
    assert_eq!(first.value("v17c_macro_nested"), "8");
    assert_eq!(first.value("w7"), "91");
    assert_eq!(first.value("m1"), "9");
    assert_macros_fresh(&first, "the first build");
    let second = fixture.run(cache.path());
    assert!(macros_reran(&second).is_empty(), "{:?}", second.ran);

    let edits: [(&str, &str, &str, &str); 7] = [
        // S1: a macro reached only from another macro's body.
        (
            "src/more.rs",
            "        7\n",
            "        9\n",
            "v17c_macro_nested",
        ),
        (
            "src/more.rs",
            "        3\n",
            "        4\n",
            "v17p_macro_plain",
        ),
        // S2: a method called in a macro body.
        ("src/nimpl.rs", "self.0 + 90", "self.0 + 92", "w7"),
        // S3: an impl generated by a module-level invocation.
        (
            "src/nimpl.rs",
            "impl_area!(A8, 9)",
            "impl_area!(A8, 10)",
            "m1",
        ),
        // S4: an unrelated invocation added to the module, then edits of
        // what its macros reach.
        (
            "src/more.rs",
            "pub(crate) use area11;\n",
            "pub(crate) use area11;\n\nmacro_rules! mk2 {\n    () => {\n        pub fn mk2_fn() -> u32 {\n            1\n        }\n    };\n}\nmk2!();\n",
            "",
        ),
        ("src/more.rs", "$x * 4", "$x * 5", "v17"),
        (
            "src/more.rs",
            "pub fn mh2() -> u32 {\n    2",
            "pub fn mh2() -> u32 {\n    3",
            "v18",
        ),
    ];
    for (file, from, to, reruns) in edits {
        fixture.edit(file, from, to);
        fixture.build();
        let run = fixture.run(cache.path());
        assert_macros_fresh(&run, &format!("{to:?} in {file}"));
        if !reruns.is_empty() {
            assert!(
                macros_reran(&run).contains(&reruns),
                "{reruns} did not rerun after {to:?}"
            );
        }
    }
    for (file, from, to) in [
        (
            "src/more.rs",
            "pub const MK: u32 = 5;",
            "pub const MK: u32 = 6;",
        ),
        ("src/nimpl.rs", "self.0 * 11", "self.0 * 12"),
    ] {
        fixture.edit(file, from, to);
        fixture.build();
        assert_macros_fresh(&fixture.run(cache.path()), &format!("{to:?} in {file}"));
    }
}

/// What `fixtures/macro_sites` prints: one value per expansion of a
/// `macro_rules!` that writes a cached function.
const MACRO_SITE_VALUES: [&str; 16] = [
    "one",
    "two",
    "three",
    "first",
    "second",
    "both.a",
    "both.b",
    "other",
    "path.a",
    "path.b",
    "include.a",
    "include.b",
    "impl.a",
    "impl.b",
    "wrapped",
    "cfg_if",
];

/// Every expansion serves what its own body computes now.
fn assert_sites_fresh(run: &support::Run, when: &str) {
    for name in MACRO_SITE_VALUES {
        assert_eq!(
            run.value(name),
            run.value(&format!("{name}.uncached")),
            "{name} served another expansion's or a stale value after {when}"
        );
    }
}

/// An edit of `fixtures/macro_sites`: file, from, to, and values expected
/// after it.
type SiteEdit = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The cached bodies that ran in `run` besides their uncached call.
fn sites_reran(run: &support::Run) -> Vec<&str> {
    let mut names: Vec<&str> = run.ran.iter().map(String::as_str).collect();
    names.dedup();
    names
        .into_iter()
        .filter(|name| run.ran.iter().filter(|r| r == name).count() > 1)
        .collect()
}

/// Regression: a cached fn written by a `macro_rules!` was located at the
/// macro's definition for every expansion, so `make!(one, 1)` and
/// `make!(two, 2)` shared one id (`macro_sites::f`) and one fingerprint,
/// and the second served the first's result (`11 11`); a file that is two
/// modules' source (`#[path]` twice, `include!` twice) likewise. Each
/// expansion — in two modules, in two functions of one module, twice
/// inside one invocation, from another module, in each module of a shared
/// file, for each type of a generic impl, moved into a module by a user
/// macro — must serve its own value, from disk on a second run, and after
/// edits of an invocation's argument, of the macro's body and of what the
/// modules of a shared file read.
#[test]
fn every_expansion_of_a_macro_that_writes_a_cached_fn_is_its_own_function() {
    let _guard = support::lock();
    let fixture = Fixture::copy("macro_sites");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_sites_fresh(&first, "the first build");
    let expected = [
        ("one", "11"),
        ("two", "12"),
        ("three", "17"),
        ("first", "30"),
        ("second", "40"),
        ("both.a", "50"),
        ("both.b", "60"),
        ("other", "80"),
        ("path.a", "101"),
        ("path.b", "201"),
        ("include.a", "31"),
        ("include.b", "41"),
        ("impl.a", "1"),
        ("impl.b", "2"),
        ("wrapped", "7"),
        ("cfg_if", "5"),
    ];
    for (name, value) in expected {
        assert_eq!(first.value(name), value, "{name}");
    }
    assert_eq!(first.value("id.one"), "macro_sites::one::f");
    assert_eq!(first.value("id.two"), "macro_sites::two::f");
    assert_eq!(first.value("id.three"), "macro_sites::other::three::f");
    assert_eq!(first.value("id.wrapped"), "macro_sites::wa::w");
    let second = fixture.run(cache.path());
    assert_sites_fresh(&second, "a second run");
    assert!(sites_reran(&second).is_empty(), "{:?}", second.ran);

    let edits: [SiteEdit; 9] = [
        // An invocation's argument.
        (
            "src/main.rs",
            "make!(two, 2);",
            "make!(two, 3);",
            &[("two", "13"), ("one", "11")],
        ),
        // The macro's body.
        (
            "src/main.rs",
            "                x + K\n",
            "                x + K * 100\n",
            &[("one", "110"), ("two", "310"), ("three", "710")],
        ),
        // A nested expansion's argument.
        ("src/other.rs", "local!(8)", "local!(9)", &[("other", "90")]),
        (
            "src/main.rs",
            "            x * K\n",
            "            x * K + 1\n",
            &[("first", "31"), ("both.b", "61")],
        ),
        // What the two modules of one file, and of one included file, read.
        (
            "src/main.rs",
            "const BASE: u64 = 200;",
            "const BASE: u64 = 300;",
            &[("path.a", "101"), ("path.b", "301")],
        ),
        (
            "src/main.rs",
            "const K: u64 = 40;",
            "const K: u64 = 50;",
            &[("include.a", "31"), ("include.b", "51")],
        ),
        (
            "src/main.rs",
            "const N: u64 = 2;",
            "const N: u64 = 3;",
            &[("impl.a", "1"), ("impl.b", "3")],
        ),
        // What a function a user macro moves into a module reads there.
        (
            "src/main.rs",
            "const WK: u64 = 6;",
            "const WK: u64 = 7;",
            &[("wrapped", "8")],
        ),
        // What a function in `cfg_if!` in a body reads (analyzed).
        (
            "src/main.rs",
            "const CK: u64 = 4;",
            "const CK: u64 = 9;",
            &[("cfg_if", "10")],
        ),
    ];
    for (file, from, to, values) in edits {
        fixture.edit(file, from, to);
        fixture.build();
        let run = fixture.run(cache.path());
        assert_sites_fresh(&run, &format!("{to:?} in {file}"));
        for (name, value) in values {
            assert_eq!(run.value(name), *value, "{name} after {to:?}");
        }
        let again = fixture.run(cache.path());
        assert_sites_fresh(&again, &format!("a second run after {to:?}"));
        assert!(sites_reran(&again).is_empty(), "{:?}", again.ran);
    }
}

const REACH_FUNCTIONS: [&str; 6] = ["box_size", "help", "here", "parse_ext", "set_len", "try_e5"];

/// Issue 8, the index's reach: each edit changes what one cached fn
/// computes through code the index once failed to reach (stale values
/// with `unresolved()` empty). After each, the served value equals the
/// uncached one and only that fn reruns.
#[test]
fn edits_the_index_once_failed_to_reach_are_never_served_stale() {
    let _guard = support::lock();
    let fixture = Fixture::copy("reach");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.ran, REACH_FUNCTIONS);
    assert_eq!(first.value("box_size"), "1232");
    // One key; each insert hashed once.
    assert_eq!(first.value("set_len"), "108");
    for line in first
        .stdout
        .lines()
        .filter(|l| l.starts_with("unresolved."))
    {
        assert!(line.ends_with("=[]"), "{line}");
    }
    struct Edit {
        file: &'static str,
        from: &'static str,
        to: &'static str,
        reruns: &'static str,
    }
    let edits = [
        Edit {
            file: "src/kinds.rs",
            from: "1226",
            to: "1227",
            reruns: "box_size",
        },
        Edit {
            file: "src/kinds.rs",
            from: "3 * (**self)",
            to: "4 * (**self)",
            reruns: "box_size",
        },
        Edit {
            file: "src/kinds.rs",
            from: "v + 100",
            to: "v + 200",
            reruns: "try_e5",
        },
        Edit {
            file: "src/kinds.rs",
            from: "fetch_add(1,",
            to: "fetch_add(2,",
            reruns: "set_len",
        },
        Edit {
            file: "src/kinds.rs",
            from: "unwrap_or(-1) + 30",
            to: "unwrap_or(-1) + 31",
            reruns: "parse_ext",
        },
        Edit {
            file: "src/kinds.rs",
            from: "/// How many times.",
            to: "/// How many greetings.",
            reruns: "help",
        },
        // Blank lines above every cached fn: only the one reading its line reruns.
        Edit {
            file: "src/main.rs",
            from: "mod kinds;",
            to: "\n\nmod kinds;",
            reruns: "here",
        },
    ];
    let mut failures = Vec::new();
    for edit in &edits {
        fixture.edit(edit.file, edit.from, edit.to);
        fixture.build();
        let served = fixture.run(cache.path());
        let uncached = fixture.run_with(cache.path(), &[("FUNCACHE_DISABLE", "1")]);
        for name in REACH_FUNCTIONS {
            if served.value(name) != uncached.value(name) {
                failures.push(format!(
                    "{} -> {}: {name} served {:?}, uncached {:?}",
                    edit.from,
                    edit.to,
                    served.value(name),
                    uncached.value(name)
                ));
            }
        }
        if served.ran != [edit.reruns] {
            failures.push(format!(
                "{} -> {}: expected [{}] to recompute, got {:?}",
                edit.from, edit.to, edit.reruns, served.ran
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Trial B, S1: `weights::total::<Item>` with `Item` and its `impl Weigh`
/// in the binary that depends on `weights` (and S2: a type of the binary
/// of `weights`' own package). The fingerprint of `total`,
/// computed when `weights` compiled, cannot see that impl: editing it
/// served the old total (6, where the code now computes 15). Such a call
/// runs uncached with one warning; calls with a type of `weights` or of
/// std still hit.
#[test]
fn a_type_argument_from_a_downstream_crate_is_never_served_stale() {
    let _guard = support::lock();
    let fixture = Fixture::copy("downstream");
    let cache = tempfile::tempdir().unwrap();
    fixture.build();
    let first = fixture.run(cache.path());
    assert_eq!(first.ran, ["total.item", "total.stone", "total.u64"]);
    assert_eq!(first.value("total.item"), "6");
    assert_eq!(first.value("total.stone"), "10");
    assert_eq!(first.value("total.u64"), "7");
    assert_eq!(
        first
            .stderr
            .matches("not covered by the fingerprint")
            .count(),
        1,
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("`downstream::Item`"),
        "{}",
        first.stderr
    );

    let second = fixture.run(cache.path());
    assert_eq!(second.ran, ["total.item"], "covered types hit");

    fixture.edit("app/src/main.rs", "self.0 * 2", "self.0 * 5");
    fixture.build();
    let edited = fixture.run(cache.path());
    assert_eq!(edited.value("total.item"), "15", "stale value served");
    assert_eq!(edited.ran, ["total.item"]);

    // S2: a type of the package's own binary prints the lib's crate name
    // (`weights::Tri`), but the lib's fingerprint never saw it either.
    let bin = fixture.run_bin("weights", cache.path());
    assert_eq!(bin.value("total.tri"), "9");
    assert_eq!(bin.ran, ["total.stone", "total.tri"]);
    assert!(bin.stderr.contains("`weights::Tri`"), "{}", bin.stderr);
    fixture.edit("weights/src/main.rs", "self.0 * 3", "self.0 * 4");
    fixture.build();
    let bin = fixture.run_bin("weights", cache.path());
    assert_eq!(bin.value("total.tri"), "12", "stale value served");
    assert_eq!(bin.ran, ["total.tri"]);
}
