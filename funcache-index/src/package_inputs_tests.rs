//! Issue 8 (build inputs): what other packages decide reaches the
//! fingerprint — each test edits a dependency's package the way a user
//! would and checks the fingerprint of the function that reaches it moves,
//! and that of a function that does not stays.

use std::path::Path;

use crate::{Analysis, package_cached_fns};

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The analyses of the app's cached fns, by fn name order of the source.
fn analyses(app: &Path) -> Vec<Analysis> {
    // Stamps are length and mtime: make an edit of equal length visible.
    std::thread::sleep(std::time::Duration::from_millis(20));
    package_cached_fns(app)
        .unwrap()
        .into_iter()
        .map(|f| f.analysis)
        .collect()
}

const PM_LIB: &str = r#"
use proc_macro::TokenStream;
#[proc_macro_derive(Weight)]
pub fn weight(input: TokenStream) -> TokenStream { let _ = input; "impl B { fn weight() -> u64 { 1900 } }".parse().unwrap() }
#[proc_macro_attribute]
pub fn plus(_a: TokenStream, item: TokenStream) -> TokenStream { item }
"#;

#[test]
fn derives_and_attributes_of_a_path_proc_macro_crate_bring_its_sources() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\npm = { path = \"../pm\" }\n",
    );
    write(
        root,
        "app/src/lib.rs",
        "#[derive(Debug, pm::Weight)]\nstruct B;\n#[pm::plus]\nfn helper() -> u64 { 1 }\n\
         #[funcache::cache]\npub fn derived() -> u64 { B::weight() }\n\
         #[funcache::cache]\npub fn attributed() -> u64 { helper() }\n\
         #[funcache::cache]\npub fn plain() -> u64 { 7 }\n",
    );
    write(
        root,
        "pm/Cargo.toml",
        "[package]\nname = \"pm\"\nversion = \"0.1.0\"\n[lib]\nproc-macro = true\n",
    );
    write(root, "pm/src/lib.rs", PM_LIB);
    let app = root.join("app");
    let before = analyses(&app);
    for analysis in &before[..2] {
        assert!(
            analysis
                .externals
                .iter()
                .any(|x| x.starts_with("pm (proc-macro) #")),
            "{:?}",
            analysis.externals
        );
    }
    assert!(
        before[2]
            .externals
            .iter()
            .all(|x| !x.contains("proc-macro"))
    );
    write(root, "pm/src/lib.rs", &PM_LIB.replace("1900", "1901"));
    let after = analyses(&app);
    assert_ne!(after[0].fingerprint, before[0].fingerprint);
    assert_ne!(after[1].fingerprint, before[1].fingerprint);
    assert_eq!(after[2].fingerprint, before[2].fingerprint);
}

#[test]
fn a_path_dependencys_cargo_values_are_its_own() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\ndep = { path = \"../dep\" }\n",
    );
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn version() -> &'static str { dep::VERSION }\n\
         #[funcache::cache]\npub fn place() -> &'static str { dep::DIR }\n\
         #[funcache::cache]\npub fn data() -> &'static str { dep::DATA }\n",
    );
    let dep_manifest = "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n";
    write(root, "dep/Cargo.toml", dep_manifest);
    write(
        root,
        "dep/src/lib.rs",
        "pub const VERSION: &str = env!(\"CARGO_PKG_VERSION\");\n\
         pub const DIR: &str = env!(\"CARGO_MANIFEST_DIR\");\n\
         pub const DATA: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/data.txt\"));\n",
    );
    write(root, "dep/data.txt", "d");
    let app = root.join("app");
    let before = analyses(&app);
    // The macro's `option_env!` would read the app's values: not asked.
    assert!(before.iter().all(|a| a.build.env.is_empty()));
    write(
        root,
        "dep/Cargo.toml",
        &dep_manifest.replace("0.1.0", "0.2.0"),
    );
    let bumped = analyses(&app);
    assert_ne!(bumped[0].fingerprint, before[0].fingerprint);
    assert_eq!(bumped[1].fingerprint, before[1].fingerprint);
    assert_eq!(bumped[2].fingerprint, before[2].fingerprint);

    // Moving the dependency moves what `env!("CARGO_MANIFEST_DIR")` is,
    // not what a file it locates holds.
    std::fs::rename(root.join("dep"), root.join("moved")).unwrap();
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    write(
        root,
        "app/Cargo.toml",
        &manifest.replace("../dep", "../moved"),
    );
    let moved = analyses(&app);
    assert_eq!(moved[0].fingerprint, bumped[0].fingerprint);
    assert_ne!(moved[1].fingerprint, bumped[1].fingerprint);
    assert_eq!(moved[2].fingerprint, bumped[2].fingerprint);
}

#[test]
fn the_own_packages_paths_are_asked_of_the_build_only_when_read() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"own\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "src/lib.rs",
        "#[funcache::cache]\npub fn dir() -> &'static str { env!(\"CARGO_MANIFEST_DIR\") }\n\
         #[funcache::cache]\npub fn file() -> &'static str { file!() }\n\
         #[funcache::cache]\npub fn data() -> &'static str { include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/d.txt\")) }\n",
    );
    write(root, "d.txt", "d");
    let found = analyses(root);
    assert_eq!(found[0].build.env, ["CARGO_MANIFEST_DIR"]);
    assert!(
        found[1]
            .externals
            .contains(&"file!()=src/lib.rs".to_owned())
    );
    assert!(found[2].build.env.is_empty());
}

#[test]
fn features_asked_of_a_path_dependency_count_where_its_cfgs_are_reached() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let app_manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\ndep = { path = \"../dep\" }\n";
    write(root, "app/Cargo.toml", app_manifest);
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn gated(x: u64) -> u64 { dep::k(x) }\n\
         #[funcache::cache]\npub fn plain(x: u64) -> u64 { dep::p(x) }\n",
    );
    write(
        root,
        "dep/Cargo.toml",
        "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n[features]\nx = []\n",
    );
    write(
        root,
        "dep/src/lib.rs",
        "#[cfg(feature = \"x\")]\npub fn k(x: u64) -> u64 { x * 2 }\n\
         #[cfg(not(feature = \"x\"))]\npub fn k(x: u64) -> u64 { x * 3 }\n\
         pub fn p(x: u64) -> u64 { x }\n",
    );
    let app = root.join("app");
    let before = analyses(&app);
    write(
        root,
        "app/Cargo.toml",
        &app_manifest.replace("\"../dep\" }", "\"../dep\", features = [\"x\"] }"),
    );
    let after = analyses(&app);
    assert_ne!(after[0].fingerprint, before[0].fingerprint);
    assert_eq!(after[1].fingerprint, before[1].fingerprint);
}

/// S9 (trial): a sibling workspace member asking a feature of a path
/// dependency the cached fn's package uses without it makes cargo rebuild
/// the dependency with it (features unify across the workspace); the
/// fingerprint did not move and the old value was served. The sibling's
/// manifest is tracked too, so that rustc recompiles the crate when it
/// changes; a member that does not depend on the dependency does not count.
#[test]
fn features_a_sibling_member_asks_of_a_path_dependency_count() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"a\", \"u\", \"other\"]\n",
    );
    let a_manifest = "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[dependencies]\nu = { path = \"../u\" }\nd = { path = \"../d\" }\n";
    write(root, "a/Cargo.toml", a_manifest);
    write(root, "a/src/main.rs", "fn main() {}\n");
    write(
        root,
        "u/Cargo.toml",
        "[package]\nname = \"u\"\nversion = \"0.1.0\"\n[dependencies]\nd = { path = \"../d\" }\n",
    );
    write(
        root,
        "u/src/lib.rs",
        "#[funcache::cache]\npub fn gated() -> u32 { d::tag() }\n\
         #[funcache::cache]\npub fn plain() -> u32 { d::p() }\n",
    );
    let other_manifest = "[package]\nname = \"other\"\nversion = \"0.1.0\"\n";
    write(root, "other/Cargo.toml", other_manifest);
    write(root, "other/src/lib.rs", "");
    write(
        root,
        "d/Cargo.toml",
        "[package]\nname = \"d\"\nversion = \"0.1.0\"\n[features]\nfast = []\n",
    );
    write(
        root,
        "d/src/lib.rs",
        "#[cfg(feature = \"fast\")]\npub fn tag() -> u32 { 7 }\n\
         #[cfg(not(feature = \"fast\"))]\npub fn tag() -> u32 { 3 }\n\
         pub fn p() -> u32 { 1 }\n",
    );
    write(
        root,
        "Cargo.lock",
        "version = 4\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"d\", \"u\"]\n\
         [[package]]\nname = \"d\"\nversion = \"0.1.0\"\n\
         [[package]]\nname = \"other\"\nversion = \"0.1.0\"\n\
         [[package]]\nname = \"u\"\nversion = \"0.1.0\"\ndependencies = [\"d\"]\n",
    );
    let u = root.join("u");
    let before = analyses(&u);
    let manifest = |dir: &str| root.join(dir).join("Cargo.toml");
    assert!(
        before[0].tracked_files.contains(&manifest("a")),
        "{:?}",
        before[0].tracked_files
    );
    assert!(!before[0].tracked_files.contains(&manifest("other")));
    assert!(!before[1].tracked_files.contains(&manifest("a")));
    write(
        root,
        "a/Cargo.toml",
        &a_manifest.replace("\"../d\" }", "\"../d\", features = [\"fast\"] }"),
    );
    let after = analyses(&u);
    assert_ne!(after[0].fingerprint, before[0].fingerprint);
    assert_eq!(after[1].fingerprint, before[1].fingerprint);
    // A member the dependency's features do not depend on.
    write(
        root,
        "other/Cargo.toml",
        &format!("{other_manifest}[features]\nextra = []\n"),
    );
    assert_eq!(analyses(&u)[0].fingerprint, after[0].fingerprint);
}

#[test]
fn a_patched_package_is_identified_by_its_sources() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nhumantime = \"2\"\n\
         [patch.crates-io]\nhumantime = { path = \"../humantime\" }\n",
    );
    write(
        root,
        "app/Cargo.lock",
        "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"humantime\"]\n\
         [[package]]\nname = \"humantime\"\nversion = \"2.4.0\"\n",
    );
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn parsed() -> u64 { humantime::parse_duration(\"1s\").unwrap().as_secs() }\n",
    );
    write(
        root,
        "humantime/Cargo.toml",
        "[package]\nname = \"humantime\"\nversion = \"2.4.0\"\n",
    );
    let lib = "pub fn parse_duration(_: &str) -> Result<std::time::Duration, ()> { Ok(std::time::Duration::from_secs(1)) }\n";
    write(root, "humantime/src/lib.rs", lib);
    let app = root.join("app");
    let before = analyses(&app);
    assert!(
        before[0]
            .externals
            .iter()
            .any(|x| x.starts_with("humantime@2.4.0@path#")),
        "{:?}",
        before[0].externals
    );
    write(
        root,
        "humantime/src/lib.rs",
        &lib.replace("from_secs(1)", "from_secs(2)"),
    );
    let after = analyses(&app);
    assert_ne!(after[0].fingerprint, before[0].fingerprint);
}

/// Issue: an edition edit (`2021` to `2018`) changes what `[1u8, 2,
/// 3].into_iter()` yields (values, then references) but not the text.
#[test]
fn the_edition_of_each_crate_the_closure_reaches_counts() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"dep\"]\n[workspace.package]\nedition = \"2021\"\n",
    );
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [dependencies]\ndep = { path = \"../dep\" }\n",
    );
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn own() -> usize { [1u8, 2, 3].into_iter().map(|x| std::mem::size_of_val(&x)).sum() }\n\
         #[funcache::cache]\npub fn reaching() -> usize { dep::sizes() }\n",
    );
    write(
        root,
        "dep/Cargo.toml",
        "[package]\nname = \"dep\"\nversion = \"0.1.0\"\nedition.workspace = true\n",
    );
    write(
        root,
        "dep/src/lib.rs",
        "pub fn sizes() -> usize { [1u8, 2, 3].into_iter().map(|x| std::mem::size_of_val(&x)).sum() }\n",
    );
    let app = root.join("app");
    let before = analyses(&app);
    assert_eq!(before[0].externals, ["app edition=2021"]);
    // Inherited from `[workspace.package]`.
    assert_eq!(
        before[1].externals,
        ["app edition=2021", "dep edition=2021"]
    );

    // The own package's edition.
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2018\"\n\
         [dependencies]\ndep = { path = \"../dep\" }\n",
    );
    let own = analyses(&app);
    assert_ne!(own[0].fingerprint, before[0].fingerprint);

    // The dependency's, through the workspace it inherits it from: only
    // the function that reaches it moves.
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"dep\"]\n[workspace.package]\nedition = \"2018\"\n",
    );
    let inherited = analyses(&app);
    assert_eq!(inherited[0].fingerprint, own[0].fingerprint);
    assert_eq!(
        inherited[1].externals,
        ["app edition=2018", "dep edition=2018"]
    );
    assert_ne!(inherited[1].fingerprint, own[1].fingerprint);
    assert!(
        inherited[1]
            .externals
            .contains(&"dep edition=2018".to_owned())
    );

    // No edition at all is 2015.
    write(
        root,
        "dep/Cargo.toml",
        "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n",
    );
    let none = analyses(&app);
    assert!(none[1].externals.contains(&"dep edition=2015".to_owned()));
    assert_ne!(none[1].fingerprint, inherited[1].fingerprint);
}
