//! What the closure must reach that it once did not: trait impls on
//! `Box`, std's blanket `TryFrom` over a local `From`, impls external
//! generic code may call, receivers typed through `parse::<T>()`, doc
//! comments read by non-std derives, and positions read by `line!()` and
//! `#[track_caller]`. Each test failed before its fix.

use crate::walker::closure_of;

const MANIFEST: &str = "[package]\nname = \"reached\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
     [dependencies]\nindexmap = \"2\"\nclap = { version = \"4\", features = [\"derive\"] }\n";

const LOCK: &str = "version = 4\n[[package]]\nname = \"reached\"\nversion = \"0.1.0\"\n\
     dependencies = [\"clap\", \"indexmap\"]\n\
     [[package]]\nname = \"indexmap\"\nversion = \"2.7.0\"\n\
     source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
     [[package]]\nname = \"clap\"\nversion = \"4.5.0\"\n\
     source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

/// The analysis of `name` in a one-file crate made of `lib_rs`, with
/// `indexmap` and `clap` as registry dependencies.
fn analysis(lib_rs: &str, name: &str) -> crate::Analysis {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), LOCK).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib_rs).unwrap();
    let site = crate::MacroSite {
        manifest_dir: dir.path().to_path_buf(),
        crate_name: "reached".into(),
        bin_name: None,
        file: dir.path().join("src/lib.rs"),
        line: 1,
    };
    crate::analyze_fn_path(&site, name, b"").unwrap().0
}

fn fingerprint(lib_rs: &str, name: &str) -> crate::Digest {
    analysis(lib_rs, name).fingerprint
}

fn paths(a: &crate::Analysis) -> Vec<String> {
    a.dependencies
        .iter()
        .map(|d| d.path.trim_start_matches("crate::").to_owned())
        .collect()
}

fn has(closure: &[String], path: &str) -> bool {
    closure.iter().any(|p| p == path)
}

#[test]
fn trait_impls_on_box_are_reached_through_box_new() {
    let closure = closure_of(
        "pub struct B;\npub trait Size { fn size(&self) -> i64; }\n\
         impl Size for Box<B> { fn size(&self) -> i64 { 1226 } }\n\
         pub fn f() -> i64 { Box::new(B).size() }",
        "f",
    );
    assert!(has(&closure, "<Box<B> as Size>::size"), "{closure:?}");
    let closure = closure_of(
        "pub struct B;\npub trait Shape { fn area(&self) -> i64; }\n\
         impl Shape for B { fn area(&self) -> i64 { 2 } }\n\
         impl<T: Shape + ?Sized> Shape for Box<T> { fn area(&self) -> i64 { 3 * (**self).area() } }\n\
         pub fn f(b: Box<B>) -> i64 { b.area() }",
        "f",
    );
    assert!(has(&closure, "<Box<T> as Shape>::area"), "{closure:?}");
}

#[test]
fn try_from_reaches_a_local_from_through_std_blanket_impl() {
    let closure = closure_of(
        "pub struct E5(pub i64);\n\
         impl From<i64> for E5 { fn from(v: i64) -> E5 { E5(v + 1) } }\n\
         pub fn f() -> i64 { let t: E5 = 1i64.try_into().unwrap(); t.0 }",
        "f",
    );
    assert!(has(&closure, "<E5 as From<i64>>::from"), "{closure:?}");
    let closure = closure_of(
        "pub struct E9(pub i64);\n\
         impl From<i64> for E9 { fn from(v: i64) -> E9 { E9(v + 1) } }\n\
         pub fn f() -> i64 { <E9 as TryFrom<i64>>::try_from(1).unwrap().0 }",
        "f",
    );
    assert!(has(&closure, "<E9 as From<i64>>::from"), "{closure:?}");
}

#[test]
fn parse_with_turbofish_types_its_result() {
    let closure = closure_of(
        "pub trait ResExt3 { fn ok_or_log3(self) -> i64; }\n\
         impl ResExt3 for Result<i64, std::num::ParseIntError> { fn ok_or_log3(self) -> i64 { 7 } }\n\
         pub fn f() -> i64 { \"5\".parse::<i64>().ok_or_log3() }",
        "f",
    );
    assert!(
        has(
            &closure,
            "<Result<i64, std::num::ParseIntError> as ResExt3>::ok_or_log3"
        ),
        "{closure:?}"
    );
}

#[test]
fn std_trait_impls_join_where_external_generic_code_runs() {
    let lib = "use std::hash::{Hash, Hasher};\n\
               pub struct K3(pub u8);\n\
               impl PartialEq for K3 { fn eq(&self, o: &K3) -> bool { self.0 == o.0 } }\n\
               impl Eq for K3 {}\n\
               impl Hash for K3 { fn hash<H: Hasher>(&self, h: &mut H) { (self.0 / 2).hash(h) } }\n\
               pub fn f() -> usize { let mut s = indexmap::IndexSet::new(); s.insert(K3(1)); s.insert(K3(2)); s.len() }";
    let closure = paths(&analysis(lib, "f"));
    assert!(has(&closure, "<K3 as Hash>::hash"), "{closure:?}");
}

#[test]
fn doc_comments_count_on_items_with_non_std_derives_only() {
    let lib = "/// Help one.\n#[derive(clap::Parser, Debug)]\npub struct Cli {\n    /// Field help.\n    #[arg(long)]\n    pub n: u8,\n}\n\
               /// Plain doc.\n#[derive(Debug, Clone)]\npub struct Plain;\n\
               pub fn f() -> String { let _p = Plain; format!(\"{:?}\", std::mem::size_of::<Cli>()) }";
    let before = fingerprint(lib, "f");
    assert_ne!(
        fingerprint(&lib.replace("Help one.", "Help two."), "f"),
        before
    );
    assert_ne!(
        fingerprint(&lib.replace("Field help.", "Other help."), "f"),
        before
    );
    // Docs of items without such macros (the cached fn's own attribute
    // and tool attributes are none), and plain comments, stay out.
    let cached = format!(
        "{lib}\n/// Cached.\n#[funcache::cache]\n#[rustfmt::skip]\npub fn c() -> u8 {{ 1 }}"
    );
    assert_eq!(
        fingerprint(
            &cached.replace("/// Cached.", "/// Cached, docs edited."),
            "c"
        ),
        fingerprint(&cached, "c")
    );
    assert_eq!(
        fingerprint(&lib.replace("Plain doc.", "Other doc."), "f"),
        before
    );
    assert_eq!(
        fingerprint(
            &lib.replace("/// Field help.", "// a comment\n    /// Field help."),
            "f"
        ),
        before
    );
}

#[test]
fn positions_count_where_code_reads_them() {
    let lib = "pub fn g() -> u32 { 1 }\n\
               pub fn f() -> String { format!(\"{}:{} {}\", file!(), line!(), g()) }\n\
               #[track_caller]\npub fn here() -> u32 { std::panic::Location::caller().line() }\n\
               pub fn h() -> u32 { here() + g() }\n";
    let moved = format!("\n\n{lib}");
    assert_ne!(fingerprint(&moved, "f"), fingerprint(lib, "f"));
    assert_ne!(fingerprint(&moved, "h"), fingerprint(lib, "h"));
    // Code that reads no position moves freely.
    let plain = "pub fn g() -> u32 { 1 }\npub fn k() -> u32 { g() + 1 }\n";
    assert_eq!(
        fingerprint(&format!("\n\n{plain}"), "k"),
        fingerprint(plain, "k")
    );
    // A column shift counts too.
    let indented = lib.replace("pub fn h()", "  pub fn h()");
    assert_ne!(fingerprint(&indented, "h"), fingerprint(lib, "h"));
}

/// What the file adds beyond a node's text (docs above it, its position)
/// is read afresh with the node cache warm: facts keyed by the node's text
/// must not keep an old doc comment or line.
#[test]
fn docs_above_and_positions_change_the_fingerprint_with_the_node_cache_warm() {
    use crate::node_store::override_dir;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), LOCK).unwrap();
    let lib = dir.path().join("src/lib.rs");
    std::fs::write(
        &lib,
        "/// Help one.\n#[derive(clap::Parser)]\npub struct Cli {\n    pub n: u8,\n}\n\
         pub fn here() -> u32 { line!() }\n\
         #[funcache::cache]\npub fn f() -> usize { std::mem::size_of::<Cli>() + here() as usize }\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let fingerprints = |cached: bool| -> Vec<String> {
        override_dir(cached.then(|| cache.path().to_owned()));
        crate::world::world().forget();
        let out = crate::package_cached_fns(dir.path())
            .unwrap()
            .into_iter()
            .map(|f| f.analysis.fingerprint.to_string())
            .collect();
        override_dir(None);
        out
    };
    let mut before = fingerprints(true);
    assert_eq!(before, fingerprints(false));
    for (from, to) in [
        ("Help one.", "Help two."),
        ("pub fn here", "\n\npub fn here"),
    ] {
        let text = std::fs::read_to_string(&lib).unwrap();
        std::fs::write(&lib, text.replacen(from, to, 1)).unwrap();
        let warm = fingerprints(true);
        assert_eq!(warm, fingerprints(false), "after {to:?}");
        assert_ne!(warm, before, "after {to:?}");
        before = warm;
    }
}

/// `line!()`, `file!()` … in a crate `macro_rules!` body expand where the
/// macro is invoked: the invoking function reads its position, directly or
/// through macros the macro invokes.
#[test]
fn positions_count_where_a_crate_macro_reads_them() {
    // The site is on line 1 (not in a macro); the macros do not move.
    let lib = "pub fn k() -> u32 { hl() }\n\
               macro_rules! ln { () => { line!() } }\n\
               macro_rules! outer { () => { ln!() } }\n\
               macro_rules! fl { () => { file!() } }\n\
               pub fn hl() -> u32 { ln!() }\n\
               pub fn ho() -> u32 { outer!() }\n\
               pub fn o() -> u32 { ho() }\n\
               pub fn hf() -> &'static str { fl!() }\n\
               pub fn n() -> &'static str { hf() }\n";
    for name in ["k", "o", "n"] {
        let moved = lib.replace("pub fn h", "\npub fn h");
        assert_ne!(fingerprint(&moved, name), fingerprint(lib, name), "{name}");
    }
    // A macro that reads no position moves freely.
    let plain = "pub fn k() -> u32 { g() }\nmacro_rules! one { () => { 1 } }\n\
                 pub fn g() -> u32 { one!() }\n";
    assert_eq!(
        fingerprint(&plain.replace("pub fn g", "\npub fn g"), "k"),
        fingerprint(plain, "k")
    );
}

/// `option_env!($n)` in a crate macro reads the variable its invocation
/// names: the string literals of the invocation count as variables read.
#[test]
fn env_read_through_a_macro_parameter_is_an_input() {
    let a = analysis(
        "pub fn d() -> String { format!(\"{:?}{:?}\", envm!(\"R2_VAR\"), g()) }\n\
         pub fn g() -> Option<&'static str> { outer!(\"OTHER_VAR\") }\n\
         macro_rules! envm { ($n:literal) => { option_env!($n) } }\n\
         macro_rules! outer { ($n:literal) => { envm!($n) } }\n",
        "d",
    );
    assert_eq!(a.build.env, ["OTHER_VAR", "R2_VAR"]);
}

/// `cfg!($p)` in a crate macro evaluates the predicate the invocation
/// names: an invocation that is one predicate makes it an input; any other
/// is listed as unresolved (so `strict` refuses it).
#[test]
fn cfg_through_a_macro_parameter_is_an_input_or_unresolved() {
    let a = analysis(
        "pub fn f() -> bool { cfgm!(r2_cfg) }\n\
         macro_rules! cfgm { ($p:meta) => { cfg!($p) } }\n",
        "f",
    );
    assert!(
        a.build.cfgs.contains(&"r2_cfg".to_owned()),
        "{:?}",
        a.build.cfgs
    );
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    let a = analysis(
        "pub fn f() -> bool { cfgm!(1, r2_cfg) }\n\
         macro_rules! cfgm { ($x:expr, $p:meta) => { $x == 1 && cfg!($p) } }\n",
        "f",
    );
    assert!(
        a.unresolved.iter().any(|u| u.path.contains("cfgm!")),
        "{:?}",
        a.unresolved
    );
    let plain = analysis(
        "pub fn f() -> bool { cfgm!() }\nmacro_rules! cfgm { () => { cfg!(r2_cfg) } }\n",
        "f",
    );
    assert!(plain.unresolved.is_empty(), "{:?}", plain.unresolved);
}
