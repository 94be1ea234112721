//! Issue 8 (build inputs): what decides an external crate's features, and
//! the package's own features, reach every fingerprint — each test edits
//! a manifest or the lock the way a user (or `cargo update`) would.

use std::path::Path;

use crate::{Analysis, package_cached_fns};

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn analysis(app: &Path) -> Analysis {
    // Stamps are length and mtime: make an edit visible.
    std::thread::sleep(std::time::Duration::from_millis(20));
    package_cached_fns(app).unwrap().remove(0).analysis
}

const REGISTRY: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn lock(extra: &str) -> String {
    format!(
        "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"json\", \"helper\"]\n\
         [[package]]\nname = \"helper\"\nversion = \"0.1.0\"\ndependencies = []\n\
         [[package]]\nname = \"json\"\nversion = \"1.0.0\"\nsource = \"{REGISTRY}\"\n{extra}"
    )
}

const APP_MANIFEST: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\njson = \"1\"\nhelper = { path = \"../helper\" }\n";

fn workspace(root: &Path) {
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"helper\"]\n",
    );
    write(root, "app/Cargo.toml", APP_MANIFEST);
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn keys(s: &str) -> usize { json::from_str(s).len() }\n",
    );
    write(
        root,
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\n",
    );
    write(root, "helper/src/lib.rs", "pub fn h() {}\n");
    write(root, "Cargo.lock", &lock(""));
}

fn features_entry(a: &Analysis) -> String {
    a.externals
        .iter()
        .find(|e| e.starts_with("json@1.0.0 (features)"))
        .unwrap_or_else(|| panic!("{:?}", a.externals))
        .clone()
}

#[test]
fn what_asks_an_external_crate_for_features_moves_its_entry() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    workspace(root);
    let app = root.join("app");
    let base = features_entry(&analysis(&app));

    // The app's own declaration asks for a feature.
    write(
        root,
        "app/Cargo.toml",
        &APP_MANIFEST.replace(
            "json = \"1\"",
            "json = { version = \"1\", features = [\"po\"] }",
        ),
    );
    let declared = features_entry(&analysis(&app));
    assert_ne!(declared, base);

    // A target-specific table asks for it instead.
    write(
        root,
        "app/Cargo.toml",
        &format!(
            "{APP_MANIFEST}\n[target.'cfg(unix)'.dependencies]\njson = {{ version = \"1\", features = [\"po\"] }}\n"
        ),
    );
    let targeted = features_entry(&analysis(&app));
    assert_ne!(targeted, base);
    assert_ne!(targeted, declared);
    write(root, "app/Cargo.toml", APP_MANIFEST);
    assert_eq!(features_entry(&analysis(&app)), base);

    // A workspace member the app depends on starts depending on it, with
    // features of its own: cargo unifies them.
    write(
        root,
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\n[dependencies]\njson = { version = \"1\", features = [\"po\"] }\n",
    );
    write(
        root,
        "Cargo.lock",
        &lock("").replace(
            "name = \"helper\"\nversion = \"0.1.0\"\ndependencies = []",
            "name = \"helper\"\nversion = \"0.1.0\"\ndependencies = [\"json\"]",
        ),
    );
    let through_member = features_entry(&analysis(&app));
    assert_ne!(through_member, base);
    // ... and asks for other features of it: another entry.
    write(
        root,
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\n[dependencies]\njson = { version = \"1\", features = [\"std\"] }\n",
    );
    assert_ne!(features_entry(&analysis(&app)), through_member);
}

#[test]
fn a_registry_package_depending_on_it_joins_the_entry() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    workspace(root);
    let app = root.join("app");
    let base = features_entry(&analysis(&app));
    // `cargo update` brings a registry crate that depends on `json` (its
    // manifest, fixed per version, may ask for features).
    let with_wrapper = lock(&format!(
        "[[package]]\nname = \"wrapper\"\nversion = \"0.3.0\"\nsource = \"{REGISTRY}\"\ndependencies = [\"json\"]\n"
    ))
    .replace("dependencies = [\"json\", \"helper\"]", "dependencies = [\"json\", \"helper\", \"wrapper\"]");
    write(root, "Cargo.lock", &with_wrapper);
    let wrapped = features_entry(&analysis(&app));
    assert_ne!(wrapped, base);
    write(root, "Cargo.lock", &with_wrapper.replace("0.3.0", "0.3.1"));
    assert_ne!(features_entry(&analysis(&app)), wrapped);
}

#[test]
fn the_entry_does_not_depend_on_the_checkout_path() {
    let temp = tempfile::tempdir().unwrap();
    workspace(&temp.path().join("one"));
    workspace(&temp.path().join("elsewhere/two"));
    let one = analysis(&temp.path().join("one/app"));
    let two = analysis(&temp.path().join("elsewhere/two/app"));
    assert_eq!(features_entry(&one), features_entry(&two));
    assert_eq!(one.fingerprint, two.fingerprint);
}

#[test]
fn every_feature_of_the_package_is_a_build_answer() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    workspace(root);
    write(
        root,
        "app/Cargo.toml",
        &format!(
            "{APP_MANIFEST}extra = {{ version = \"1\", optional = true }}\nhidden = {{ version = \"1\", optional = true }}\n\n[features]\npo = [\"json/po\"]\nwith-hidden = [\"dep:hidden\"]\n"
        ),
    );
    let a = analysis(&root.join("app"));
    for feature in ["extra", "po", "with-hidden"] {
        let predicate = format!("feature = \"{feature}\"");
        assert!(a.build.cfgs.contains(&predicate), "{:?}", a.build.cfgs);
    }
    // `dep:hidden` leaves no implicit feature `hidden`.
    assert!(!a.build.cfgs.iter().any(|c| c == "feature = \"hidden\""));
}

/// Bumping the package's own version asks nothing new of its
/// dependencies: their entries stay. It was a needless miss of every
/// function that reaches an external crate (found by a trial).
#[test]
fn the_packages_own_version_does_not_move_dependency_entries() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    workspace(root);
    let app = root.join("app");
    let base = features_entry(&analysis(&app));
    write(
        root,
        "app/Cargo.toml",
        &APP_MANIFEST.replace("version = \"0.1.0\"", "version = \"0.1.1\""),
    );
    write(
        root,
        "Cargo.lock",
        &lock("").replace(
            "name = \"app\"\nversion = \"0.1.0\"",
            "name = \"app\"\nversion = \"0.1.1\"",
        ),
    );
    assert_eq!(features_entry(&analysis(&app)), base);
}

/// Features asked on cargo's command line (`--features json/po`,
/// `--features helper/x`) are in no manifest: the direct dependencies the
/// closure reaches whose features can change its code are listed for the
/// macro to read what the build enabled for them — the same from the
/// source alone (the CLI), by package and by the name the compiler's
/// `--extern` gives. A registry crate always (its code is not read); a
/// path dependency when the closure meets a `cfg` of a feature in it or
/// its features ask something of its dependencies.
#[test]
fn the_direct_dependencies_reached_are_build_inputs() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    workspace(root);
    let app = root.join("app");
    let listed = |a: &Analysis| -> Vec<(String, String)> {
        a.build
            .dep_features
            .iter()
            .map(|d| (d.package.clone(), d.extern_name.clone()))
            .collect()
    };
    let json = ("json".to_owned(), "json".to_owned());
    let helper = ("helper".to_owned(), "helper".to_owned());
    assert_eq!(listed(&analysis(&app)), std::slice::from_ref(&json));

    // The path dependency reached: the same code under any feature.
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn keys(s: &str) -> usize { helper::h(); json::from_str(s).len() }\n",
    );
    assert_eq!(listed(&analysis(&app)), std::slice::from_ref(&json));

    // A feature decides its code.
    write(
        root,
        "helper/src/lib.rs",
        "pub fn h() -> bool { cfg!(feature = \"x\") }\n",
    );
    assert_eq!(listed(&analysis(&app)), [helper.clone(), json.clone()]);

    // A feature of it asks one of its own dependency.
    write(root, "helper/src/lib.rs", "pub fn h() {}\n");
    write(
        root,
        "helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\n\n[features]\npo = [\"json/po\"]\n",
    );
    assert_eq!(listed(&analysis(&app)), [helper, json]);

    // Neither, when it reaches neither.
    write(
        root,
        "app/src/lib.rs",
        "#[funcache::cache]\npub fn keys(s: &str) -> usize { s.len() }\n",
    );
    assert!(listed(&analysis(&app)).is_empty());
}
