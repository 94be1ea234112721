//! Tests of finding a path dependency's build-script output, on fake
//! target directories laid out as cargo lays them out.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::*;

const LIB_HASH: &str = "bb6a3ae3540523c2";
const RUN_HASH: &str = "6b963b1e6af18f6a";
const OTHER_RUN_HASH: &str = "0123456789abcdef";
const SCRIPT_HASH: &str = "6ebb062112b0f2d2";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

/// A target profile directory (`<target>/debug`) holding package `g`'s
/// lib, its build script and a run of it.
struct Target {
    dir: tempfile::TempDir,
}

impl Target {
    fn new() -> Target {
        let t = Target {
            dir: tempfile::tempdir().unwrap(),
        };
        write(&t.deps().join(format!("libg-{LIB_HASH}.rlib")), "rlib");
        write(&t.deps().join(format!("libg-{LIB_HASH}.rmeta")), "rmeta");
        // The compiled build script: no `output`.
        write(
            &t.build()
                .join(format!("g-{SCRIPT_HASH}/build-script-build")),
            "exe",
        );
        t.run(
            RUN_HASH,
            "cargo:rustc-cfg=g_fast\n",
            &[("gen.rs", "pub fn k() -> u32 { 3 }")],
        );
        t
    }

    fn profile(&self) -> PathBuf {
        self.dir.path().join("target/debug")
    }

    fn deps(&self) -> PathBuf {
        self.profile().join("deps")
    }

    fn build(&self) -> PathBuf {
        self.profile().join("build")
    }

    fn run_dir(&self, hash: &str) -> PathBuf {
        self.build().join(format!("g-{hash}"))
    }

    /// A run of the build script: its `output` and files under `out/`.
    fn run(&self, hash: &str, output: &str, files: &[(&str, &str)]) {
        let dir = self.run_dir(hash);
        write(&dir.join("output"), output);
        write(&dir.join("root-output"), &dir.join("out").to_string_lossy());
        std::fs::create_dir_all(dir.join("out")).unwrap();
        for (name, text) in files {
            write(&dir.join("out").join(name), text);
        }
    }

    /// rustc's dep-info for the lib, with `extra` lines.
    fn dep_info(&self, extra: &str) {
        let lib = self.deps().join(format!("libg-{LIB_HASH}.rlib"));
        write(
            &self.deps().join(format!("g-{LIB_HASH}.d")),
            &format!("{}: g/src/lib.rs\n\ng/src/lib.rs:\n{extra}", lib.display()),
        );
    }

    fn rustc(&self) -> RustcDeps {
        let lib = self.deps().join(format!("libg-{LIB_HASH}.rlib"));
        RustcDeps::parse(args(&[
            "rustc",
            "--crate-name",
            "a",
            "-L",
            &format!("dependency={}", self.deps().display()),
            "--extern",
            &format!("g={}", lib.display()),
        ]))
    }
}

#[test]
fn the_command_line_gives_externs_and_dependency_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let argfile = dir.path().join("args");
    write(
        &argfile,
        "--extern\nfromfile=/t/deps/libf-0000000000000000.rlib\n",
    );
    let parsed = RustcDeps::parse(args(&[
        "rustc",
        "--extern",
        "g=/t/debug/deps/libg-0123456789abcdef.rlib",
        "--extern=priv:h=/t/debug/deps/libh-0123456789abcdef.rmeta",
        "--extern",
        "proc_macro",
        "-L",
        "dependency=/t/debug/deps",
        "-Lnative=/t/debug/build/g-0123456789abcdef/out",
        "-Ldependency=/other/deps",
        &format!("@{}", argfile.display()),
    ]));
    assert_eq!(
        parsed.externs,
        [
            (
                "g".to_owned(),
                PathBuf::from("/t/debug/deps/libg-0123456789abcdef.rlib")
            ),
            (
                "h".to_owned(),
                PathBuf::from("/t/debug/deps/libh-0123456789abcdef.rmeta")
            ),
            (
                "fromfile".to_owned(),
                PathBuf::from("/t/deps/libf-0000000000000000.rlib")
            ),
        ]
    );
    assert_eq!(
        parsed.dependency_dirs,
        [PathBuf::from("/t/debug/deps"), PathBuf::from("/other/deps")]
    );
    // A process that is not rustc (the test harness) names nothing.
    assert_eq!(
        RustcDeps::parse(args(&["harness", "--nocapture"])),
        RustcDeps::default()
    );
}

#[test]
fn the_dep_info_out_dir_picks_the_run_among_several() {
    let t = Target::new();
    t.run(OTHER_RUN_HASH, "cargo:rustc-cfg=other\n", &[]);
    let rustc = t.rustc();
    // Without dep-info naming it, two runs cannot be told apart.
    let err = run_dir(&rustc, "g", "g", Some("g")).unwrap_err();
    assert!(err.contains("2 build-script outputs"), "{err}");
    t.dep_info(&format!(
        "\n# env-dep:G_MODE=fast\n# env-dep:OUT_DIR={}\n",
        t.run_dir(RUN_HASH).join("out").display()
    ));
    assert_eq!(
        run_dir(&rustc, "g", "g", Some("g")).unwrap(),
        t.run_dir(RUN_HASH)
    );
}

#[test]
fn cargo_fingerprints_pick_the_run_when_dep_info_names_none() {
    let t = Target::new();
    t.run(OTHER_RUN_HASH, "cargo:rustc-cfg=other\n", &[]);
    t.dep_info("\n# env-dep:G_MODE=fast\n");
    let rustc = t.rustc();
    let fingerprints = t.profile().join(".fingerprint");
    // As cargo 1.95 writes them: the lib's deps name the run's hash.
    write(
        &fingerprints.join(format!("g-{LIB_HASH}/lib-g.json")),
        r#"{"rustc":1,"features":"[]","deps":[[7523940224598533947,"build_script_build",false,4937380244886489347]],"local":[]}"#,
    );
    write(
        &fingerprints.join(format!("g-{LIB_HASH}/lib-g")),
        "b861dbe7ea8f26df",
    );
    let run_file = |hash: &str, value: &str| {
        write(
            &fingerprints.join(format!("g-{hash}/run-build-script-build-script-build")),
            value,
        );
        write(
            &fingerprints.join(format!("g-{hash}/run-build-script-build-script-build.json")),
            "{}",
        );
    };
    run_file(OTHER_RUN_HASH, "1111111111111111");
    run_file(RUN_HASH, "03897d612c198544");
    assert_eq!(
        run_dir(&rustc, "g", "g", Some("g")).unwrap(),
        t.run_dir(RUN_HASH)
    );
    // A fingerprint naming neither run tells nothing.
    run_file(RUN_HASH, "2222222222222222");
    assert!(run_dir(&rustc, "g", "g", Some("g")).is_err());
}

#[test]
fn a_file_included_from_out_dir_picks_the_run() {
    let t = Target::new();
    t.run(OTHER_RUN_HASH, "", &[]);
    let generated = t.run_dir(RUN_HASH).join("out/gen.rs");
    t.dep_info(&format!("{}:\n", generated.display()));
    let rustc = t.rustc();
    assert_eq!(
        run_dir(&rustc, "g", "g", Some("g")).unwrap(),
        t.run_dir(RUN_HASH)
    );
}

#[test]
fn the_only_run_of_the_package_is_used_and_prefixes_do_not_match() {
    let t = Target::new();
    // Another package whose name starts with `g-`.
    write(
        &t.build().join(format!("g-sys-{OTHER_RUN_HASH}/output")),
        "cargo:rustc-cfg=x\n",
    );
    t.dep_info("");
    let rustc = t.rustc();
    assert_eq!(
        run_dir(&rustc, "g", "g", Some("g")).unwrap(),
        t.run_dir(RUN_HASH)
    );
    // A dependency of a dependency: no `--extern`, the dependency
    // directory is searched.
    assert_eq!(
        run_dir(&rustc, "g", "g", None).unwrap(),
        t.run_dir(RUN_HASH)
    );
    let err = run_dir(&rustc, "h", "h", None).unwrap_err();
    assert!(err.contains("no build-script output of `h`"), "{err}");
    let err = run_dir(&RustcDeps::default(), "g", "g", None).unwrap_err();
    assert!(err.contains("no dependency directory"), "{err}");
}

#[test]
fn the_digest_follows_cfg_env_and_generated_files_only() {
    let t = Target::new();
    let manifest = t.dir.path().join("ws/g");
    let run = t.run_dir(RUN_HASH);
    let digest_of = |output: &str, files: &[(&str, &str)]| {
        std::fs::remove_dir_all(run.join("out")).unwrap();
        t.run(RUN_HASH, output, files);
        compute_digest(&run, &manifest).unwrap()
    };
    let generated = [("gen.rs", "pub fn k() -> u32 { 3 }")];
    let base_output =
        "cargo:rustc-env=G_MODE=fast\ncargo::rustc-check-cfg=cfg(g_fast)\ncargo:rustc-cfg=g_fast\n";
    let base = digest_of(base_output, &generated);
    // Lines that do not change the compiled code do not count.
    let noisy =
        format!("{base_output}cargo:rerun-if-changed=data/k.txt\ncargo:warning=hi\nplain text\n");
    assert_eq!(digest_of(&noisy, &generated), base);
    let changed = [
        digest_of(
            &base_output.replace("G_MODE=fast", "G_MODE=slow"),
            &generated,
        ),
        digest_of(
            &base_output.replace("cargo:rustc-cfg=g_fast\n", ""),
            &generated,
        ),
        digest_of(base_output, &[("gen.rs", "pub fn k() -> u32 { 4 }")]),
        digest_of(
            base_output,
            &[("gen.rs", generated[0].1), ("sub/extra.bin", "x")],
        ),
        digest_of(base_output, &[("renamed.rs", generated[0].1)]),
    ];
    for (i, digest) in changed.iter().enumerate() {
        assert_ne!(*digest, base, "change {i}");
    }
    // The same output in another checkout and target directory: values
    // naming them are written relative to them.
    let other = Target::new();
    let other_manifest = other.dir.path().join("elsewhere/g");
    let with_paths = |out: &Path, manifest: &Path| {
        format!(
            "cargo:rustc-env=GEN={}/gen.rs\ncargo:rustc-env=DATA={}/data\n",
            out.display(),
            manifest.display()
        )
    };
    let mine = digest_of(&with_paths(&run.join("out"), &manifest), &generated);
    let other_run = other.run_dir(RUN_HASH);
    write(
        &other_run.join("output"),
        &with_paths(&other_run.join("out"), &other_manifest),
    );
    assert_eq!(compute_digest(&other_run, &other_manifest).unwrap(), mine);
    // No output at all is an error, not a digest.
    assert!(compute_digest(&t.build().join("missing"), &manifest).is_err());
}

#[test]
fn build_scripts_are_found_as_cargo_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let package = |name: &str, manifest: &str, build_rs: bool| {
        let root = dir.path().join(name);
        write(&root.join("Cargo.toml"), manifest);
        if build_rs {
            write(&root.join("build.rs"), "fn main() {}");
        }
        root
    };
    let plain = "[package]\nname = \"p\"\nversion = \"0.1.0\"\n";
    assert!(has_build_script(&package("auto", plain, true)));
    assert!(!has_build_script(&package("none", plain, false)));
    let off = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nbuild = false\n";
    assert!(!has_build_script(&package("off", off, true)));
    let named = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nbuild = \"generated/main.rs\"\n";
    assert!(has_build_script(&package("named", named, false)));
}

/// A workspace `app` → path dependency `g` (with a build script) → `h`
/// (without), loaded into a world.
fn workspace(root: &Path) -> (crate::world::World, CrateId, CrateId, CrateId) {
    write(
        &root.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\ngee = { path = \"../g\", package = \"g\" }\n",
    );
    write(
        &root.join("app/src/lib.rs"),
        "pub fn f() -> u32 { gee::k() }",
    );
    write(
        &root.join("g/Cargo.toml"),
        "[package]\nname = \"g\"\nversion = \"0.1.0\"\n\n[dependencies]\nh = { path = \"../h\" }\n",
    );
    write(&root.join("g/build.rs"), "fn main() {}");
    write(&root.join("g/src/lib.rs"), "pub fn k() -> u32 { h::k() }");
    write(
        &root.join("h/Cargo.toml"),
        "[package]\nname = \"h\"\nversion = \"0.1.0\"\n",
    );
    write(&root.join("h/src/lib.rs"), "pub fn k() -> u32 { 1 }");
    workspace_loaded(root)
}

/// The workspace of [`workspace`] as it is on disk, loaded.
fn workspace_loaded(root: &Path) -> (crate::world::World, CrateId, CrateId, CrateId) {
    let mut world = crate::world::World::default();
    let app = world
        .load_crate(&root.join("app"), &root.join("app/src/lib.rs"), "app", None)
        .unwrap();
    let id = |world: &crate::world::World, name: &str| {
        world.crates.iter().position(|k| k.name == name).unwrap() as CrateId
    };
    let (g, h) = (id(&world, "g"), id(&world, "h"));
    (world, app, g, h)
}

#[test]
fn a_reached_dependency_with_a_build_script_counts_by_its_output() {
    let t = Target::new();
    let root = t.dir.path().join("ws");
    let (world, app, g, h) = workspace(&root);
    // The crate knows `g` as `gee`.
    let lib = t.deps().join(format!("libg-{LIB_HASH}.rlib"));
    let rustc: Result<RustcDeps, String> = Ok(RustcDeps::parse(args(&[
        "rustc",
        "--extern",
        &format!("gee={}", lib.display()),
    ])));
    let reached: BTreeSet<CrateId> = [app, g, h].into();
    let found = inputs(&world, app, &reached, Reader::Compiler(&rustc));
    let digest = compute_digest(&t.run_dir(RUN_HASH), &root.join("g")).unwrap();
    assert_eq!(found.externals, [format!("g (build script) #{digest}")]);
    assert!(found.unresolved.is_empty() && found.warnings.is_empty());
    assert!(found.out_dir);

    // Not reached: nothing.
    let only_h: BTreeSet<CrateId> = [app, h].into();
    let none = inputs(&world, app, &only_h, Reader::Compiler(&rustc));
    assert!(none.externals.is_empty() && !none.out_dir);

    // A reader of the source alone only says it cannot reproduce it.
    let source = inputs(&world, app, &reached, Reader::Source);
    assert!(source.externals.is_empty() && source.unresolved.is_empty());
    assert!(source.out_dir);

    // No command line: unresolved, with a warning.
    let unknown: Result<RustcDeps, String> = Err("no command line".to_owned());
    let missing = inputs(&world, app, &reached, Reader::Compiler(&unknown));
    assert!(missing.externals.is_empty());
    assert_eq!(
        missing.unresolved,
        [(
            "output of g's build script".to_owned(),
            "build.rs of g".to_owned(),
            false
        )]
    );
    assert_eq!(missing.warnings.len(), 1);
    assert!(
        missing.warnings[0].contains("no command line"),
        "{:?}",
        missing.warnings
    );
}

#[test]
fn a_dependencys_out_dir_is_known_when_it_includes_generated_code() {
    let t = Target::new();
    let root = t.dir.path().join("ws");
    let (world, app, ..) = workspace(&root);
    let lib = t.deps().join(format!("libg-{LIB_HASH}.rlib"));
    let rustc = RustcDeps::parse(args(&[
        "rustc",
        "--extern",
        &format!("gee={}", lib.display()),
    ]));
    // `g` includes nothing: nothing to learn.
    assert!(dep_out_dirs(&world, app, &rustc).is_empty());
    write(
        &root.join("g/src/lib.rs"),
        "include!(concat!(env!(\"OUT_DIR\"), \"/gen.rs\"));\npub fn j() -> u32 { k() }",
    );
    let (world, app, ..) = workspace_loaded(&root);
    assert_eq!(
        dep_out_dirs(&world, app, &rustc),
        [(root.join("g"), t.run_dir(RUN_HASH).join("out"))]
    );
    assert!(dep_out_dirs(&world, app, &RustcDeps::default()).is_empty());
}

#[test]
fn outside_a_compiler_a_reached_build_script_is_unresolved() {
    // The test harness's command line is not rustc's: the macro's entry
    // point cannot find `g`'s output and says so.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let _ = workspace(root);
    write(
        &root.join("app/src/lib.rs"),
        "#[funcache::cache]\npub fn f() -> u32 { gee::k() }",
    );
    let site = crate::MacroSite {
        manifest_dir: root.join("app"),
        crate_name: "app".into(),
        bin_name: None,
        file: root.join("app/src/lib.rs"),
        line: 2,
    };
    let analysis = crate::analyze_cached_fn(&site, "pub fn f() -> u32 { gee::k() }", b"").unwrap();
    let unresolved: Vec<&str> = analysis
        .unresolved
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    assert_eq!(unresolved, ["output of g's build script"]);
    assert_eq!(analysis.warnings.len(), 1);
    assert!(analysis.build.out_dir);
    // The CLI reads the same function without a build.
    let found = crate::package_cached_fns(&root.join("app")).unwrap();
    assert!(found[0].analysis.unresolved.is_empty());
    assert!(found[0].analysis.warnings.is_empty());
    assert!(found[0].analysis.build.out_dir);
}
