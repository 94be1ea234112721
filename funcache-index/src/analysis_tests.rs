//! End-to-end tests of the entry points on small real crates written to
//! temporary directories.

use std::path::{Path, PathBuf};

use quote::ToTokens;

use super::*;

struct Fixture {
    dir: tempfile::TempDir,
}

/// The manifest of a path dependency `dep1` of the fixture.
const DEP1_MANIFEST: &str = "[package]\nname = \"dep1\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

const MANIFEST: &str = "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfuncache = \"0.1\"\n";

impl Fixture {
    fn new(files: &[(&str, &str)]) -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        for (path, text) in files {
            f.write(path, text);
        }
        f
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.root().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn edit(&self, path: &str, from: &str, to: &str) {
        let p = self.root().join(path);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{from:?} not in {path}");
        std::fs::write(p, text.replacen(from, to, 1)).unwrap();
    }

    /// Analyzes `name` in `file` of package `pkg` the way the macro does:
    /// from the item's tokens printed by `TokenStream::to_string()`.
    fn analyze_in(&self, pkg: &str, crate_name: &str, file: &str, name: &str) -> Analysis {
        self.analyze_nth(pkg, crate_name, file, name, 0)
    }

    /// [`Fixture::analyze_in`] for the `nth` function called `name` in
    /// the file (nested functions included), in source order.
    fn analyze_nth(
        &self,
        pkg: &str,
        crate_name: &str,
        file: &str,
        name: &str,
        nth: usize,
    ) -> Analysis {
        let manifest_dir = self.root().join(pkg);
        let path = manifest_dir.join(file);
        let (text, line) = macro_text(&path, name, nth);
        let site = MacroSite {
            manifest_dir,
            crate_name: crate_name.into(),
            bin_name: None,
            file: path,
            line,
        };
        analyze_cached_fn(&site, &text, b"").unwrap()
    }

    fn analyze(&self, file: &str, name: &str) -> Analysis {
        self.analyze_in("", "fixture", file, name)
    }
}

/// The function `name` of `path` as the macro receives it: the cache
/// attribute removed, printed by `TokenStream::to_string()`, and the line
/// it starts on.
fn macro_text(path: &Path, name: &str, nth: usize) -> (String, usize) {
    let source = std::fs::read_to_string(path).unwrap();
    let line = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&format!("fn {name}(")) || l.contains(&format!("fn {name}<")))
        .nth(nth)
        .unwrap_or_else(|| panic!("fn {name} #{nth} not in {}", path.display()))
        .0
        + 1;
    let file: syn::File = syn::parse_str(&source).unwrap();
    let strip = |attrs: &mut Vec<syn::Attribute>| {
        attrs.retain(|a| {
            let segs = path_segments(a.path());
            !(segs.last().is_some_and(|s| s == "cache" || s == "memo"))
        })
    };
    /// Every function called `name`, nested ones included, in source
    /// order.
    struct Find<'n>(&'n str, Vec<syn::ImplItem>);
    impl<'ast> syn::visit::Visit<'ast> for Find<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            if f.sig.ident == self.0 {
                self.1.push(syn::parse2(f.to_token_stream()).unwrap());
            }
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            if f.sig.ident == self.0 {
                self.1.push(syn::ImplItem::Fn(f.clone()));
            }
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    let mut finder = Find(name, Vec::new());
    syn::visit::Visit::visit_file(&mut finder, &file);
    let mut item = finder.1.swap_remove(nth);
    if let syn::ImplItem::Fn(f) = &mut item {
        strip(&mut f.attrs);
    }
    (item.into_token_stream().to_string(), line)
}

fn paths(a: &Analysis) -> Vec<&str> {
    a.dependencies.iter().map(|d| d.path.as_str()).collect()
}

fn has(a: &Analysis, path: &str) -> bool {
    a.dependencies.iter().any(|d| d.path == path)
}

#[test]
fn calls_through_use_maps_and_modules() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod util;\nmod deep;\nuse util::{helper as renamed, nested::{self, inner}};\nuse deep::*;\n\
             #[funcache::cache]\npub fn root(x: u32) -> u32 {\n    renamed(x) + nested::leaf() + inner() + globbed() + self::local() + crate::util::direct()\n}\n\
             fn local() -> u32 { 1 }\nfn unreached() -> u32 { 2 }\n",
        ),
        (
            "src/util.rs",
            "pub fn helper(x: u32) -> u32 { x }\npub fn direct() -> u32 { super::local() }\npub mod nested { pub fn leaf() -> u32 { super::super::deep::globbed() } pub fn inner() -> u32 { 3 } }\n",
        ),
        ("src/deep/mod.rs", "pub fn globbed() -> u32 { 4 }\n"),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    assert_eq!(a.item_path, "root");
    for p in [
        "crate::root",
        "crate::util::helper",
        "crate::util::nested::leaf",
        "crate::util::nested::inner",
        "crate::deep::globbed",
        "crate::local",
        "crate::util::direct",
    ] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
    assert!(!has(&a, "crate::unreached"));
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    assert!(a.impl_context.is_none());
}

#[test]
fn path_attribute_and_inline_modules() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "#[path = \"other/impl.rs\"]\nmod imp;\nmod inl {\n    pub mod more;\n    pub fn g() -> u8 { crate::imp::h() }\n}\n#[funcache::cache]\nfn root() -> u8 { inl::g() + inl::more::m() }\n",
        ),
        ("src/other/impl.rs", "pub fn h() -> u8 { 1 }\n"),
        ("src/inl/more.rs", "pub fn m() -> u8 { 2 }\n"),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    for p in ["crate::inl::g", "crate::imp::h", "crate::inl::more::m"] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
}

const RECEIVERS: &str = "pub struct Parser { inner: Tokenizer }\npub struct Tokenizer;\npub struct Other;\n\
impl Parser {\n    pub fn new() -> Parser { Parser { inner: Tokenizer } }\n    pub fn run(&self) -> u32 { self.inner.step() }\n    pub fn sibling(&self) -> u32 { 7 }\n}\n\
impl Tokenizer { pub fn step(&self) -> u32 { 1 } }\nimpl Other {\n    pub fn run(&self) -> u32 { 2 }\n    pub fn step(&self) -> u32 { 3 }\n}\n";

#[test]
fn known_receivers_pick_their_own_methods() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            &format!(
                "{RECEIVERS}#[funcache::cache]\npub fn root() -> u32 {{\n    let p = Parser::new();\n    let boxed: Box<Parser> = Box::new(Parser::new());\n    p.run() + boxed.run()\n}}\n\
                 pub fn typed(p: &Parser) -> u32 {{ p.run() }}\n\
                 pub fn unknown(items: Vec<u32>, _p: &[Parser], _o: &[Other]) -> u32 {{ items.iter().map(|x| *x).fold(0, |acc, v| acc + v.run()) }}\n"
            ),
        ),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    assert!(has(&a, "crate::Parser::run"), "{:?}", paths(&a));
    assert!(has(&a, "crate::Parser::new"));
    // Through the field type `inner: Tokenizer`.
    assert!(has(&a, "crate::Tokenizer::step"), "{:?}", paths(&a));
    assert!(!has(&a, "crate::Other::run"), "{:?}", paths(&a));
    assert!(!has(&a, "crate::Other::step"));
    assert!(!has(&a, "crate::Parser::sibling"));
    let typed = f.analyze("src/lib.rs", "typed");
    assert!(has(&typed, "crate::Parser::run") && !has(&typed, "crate::Other::run"));
    // An unknown receiver falls back to every method of that name of the
    // types the closure has.
    let unknown = f.analyze("src/lib.rs", "unknown");
    assert!(
        has(&unknown, "crate::Parser::run") && has(&unknown, "crate::Other::run"),
        "{:?}",
        paths(&unknown)
    );
    assert!(unknown.unresolved.is_empty(), "{:?}", unknown.unresolved);

    // Editing the same-named method of an unrelated type, or a sibling
    // method, leaves the fingerprint alone; editing a reached one does not.
    let before = a.fingerprint;
    f.edit(
        "src/lib.rs",
        "pub fn run(&self) -> u32 { 2 }",
        "pub fn run(&self) -> u32 { 20 }",
    );
    f.edit(
        "src/lib.rs",
        "pub fn sibling(&self) -> u32 { 7 }",
        "pub fn sibling(&self) -> u32 { 70 }",
    );
    assert_eq!(f.analyze("src/lib.rs", "root").fingerprint, before);
    f.edit(
        "src/lib.rs",
        "pub fn step(&self) -> u32 { 1 }",
        "pub fn step(&self) -> u32 { 10 }",
    );
    assert_ne!(f.analyze("src/lib.rs", "root").fingerprint, before);
}

#[test]
fn methods_as_roots_and_self_calls() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "pub struct Wrapper<T> { items: Vec<T> }\nimpl<T: Clone> Wrapper<T> {\n    #[funcache::cache]\n    pub fn total(&self) -> usize { Self::count(self) + self.extra() }\n    fn count(&self) -> usize { self.items.len() }\n    fn extra(&self) -> usize { 1 }\n    fn unrelated(&self) -> usize { 2 }\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "total");
    assert_eq!(a.item_path, "Wrapper<T>::total");
    assert_eq!(
        a.impl_context,
        Some(ImplContext {
            self_ty: "Wrapper<T>".into(),
            trait_: None,
            generic: true
        })
    );
    assert!(has(&a, "crate::Wrapper<T>::total"));
    assert!(has(&a, "crate::Wrapper<T>::count") && has(&a, "crate::Wrapper<T>::extra"));
    assert!(has(&a, "crate::Wrapper"), "the self type: {:?}", paths(&a));
    assert!(!has(&a, "crate::Wrapper<T>::unrelated"));
    // The impl header is part of every method's hash.
    let before = a.fingerprint;
    f.edit(
        "src/lib.rs",
        "impl<T: Clone> Wrapper<T>",
        "impl<T: Clone + Default> Wrapper<T>",
    );
    assert_ne!(f.analyze("src/lib.rs", "total").fingerprint, before);
}

#[test]
fn function_values_consts_statics_and_types() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "pub struct Out { pub a: Inner, pub b: u8 }\npub struct Inner(u8);\npub struct Holder { f: fn(u8) -> u8 }\n\
             impl std::fmt::Display for Out { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { write!(f, \"{}\", fmt_helper()) } }\n\
             impl Out { pub fn inherent_unused(&self) {} }\n\
             fn fmt_helper() -> u8 { 0 }\nconst fn base() -> u8 { 40 }\npub const LIMIT: u8 = base() + 2;\npub static NAME: &str = \"n\";\n\
             fn as_value(x: u8) -> u8 { x }\nfn stored(x: u8) -> u8 { x }\nfn assigned(x: u8) -> u8 { x }\nfn apply(f: fn(u8) -> u8, x: u8) -> u8 { f(x) }\n\
             #[funcache::cache]\npub fn root() -> Out {\n    let g = assigned;\n    let h = Holder { f: stored };\n    let n = apply(as_value, LIMIT) + g(1) + (h.f)(2) + NAME.len() as u8;\n    Out { a: Inner(n), b: 0 }\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    for p in [
        "crate::as_value",
        "crate::stored",
        "crate::assigned",
        "crate::apply",
        "crate::LIMIT",
        "crate::base",
        "crate::NAME",
        "crate::Out",
        "crate::Inner",
        "crate::Holder",
        "crate::<Out as std::fmt::Display>::fmt",
        "crate::fmt_helper",
    ] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
    assert!(!has(&a, "crate::Out::inherent_unused"));
    // Reordering the fields of the returned type invalidates.
    let before = a.fingerprint;
    f.edit(
        "src/lib.rs",
        "pub struct Out { pub a: Inner, pub b: u8 }",
        "pub struct Out { pub b: u8, pub a: Inner }",
    );
    let reordered = f.analyze("src/lib.rs", "root").fingerprint;
    assert_ne!(reordered, before);
    // So does the initializer of a const it reads, through a const fn.
    f.edit(
        "src/lib.rs",
        "const fn base() -> u8 { 40 }",
        "const fn base() -> u8 { 41 }",
    );
    assert_ne!(f.analyze("src/lib.rs", "root").fingerprint, reordered);
}

#[test]
fn macro_rules_and_macro_arguments() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "#[macro_use]\nmod macros;\nmod util { pub fn twice(x: u32) -> u32 { x * 2 } pub fn in_body() -> u32 { 5 } }\nfn in_args(x: u32) -> u32 { x }\n\
             #[funcache::cache]\npub fn root(x: u32) -> u32 {\n    println!(\"{}\", in_args(x));\n    double!(x)\n}\n",
        ),
        (
            "src/macros.rs",
            "macro_rules! double { ($e:expr) => { $crate::util::twice($e) + $crate::util::in_body() }; }\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    for p in [
        "crate::macros::double!",
        "crate::util::twice",
        "crate::util::in_body",
        "crate::in_args",
    ] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
    let before = a.fingerprint;
    f.edit(
        "src/macros.rs",
        "$crate::util::twice($e)",
        "$crate::util::twice($e) + 1",
    );
    assert_ne!(f.analyze("src/lib.rs", "root").fingerprint, before);
}

#[test]
fn unresolved_references_have_locations() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod helpers { pub fn present() {} }\nfn callee() { helpers::gone_too(); }\n#[funcache::cache]\npub fn root(v: Vec<u8>) -> usize {\n    helpers::present();\n    helpers::missing();\n    callee();\n    let local = 1;\n    v.frobnicate() + local + Some(1).unwrap()\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    let un: Vec<(&str, &str, bool)> = a
        .unresolved
        .iter()
        .map(|u| (u.path.as_str(), u.location.as_str(), u.in_root))
        .collect();
    assert_eq!(
        un,
        [
            ("helpers::gone_too", "src/lib.rs:2:15", false),
            ("helpers::missing", "src/lib.rs:6:5", true)
        ]
    );
}

#[test]
fn names_a_body_macro_may_define_are_not_unresolved() {
    // `define!` (like `bitflags!`) creates `Flags` inside the body, where
    // the index cannot see it; a typo in a body without such a macro is
    // still reported.
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "macro_rules! define { ($name:ident) => { struct $name; impl $name { const A: u32 = 1; } }; }\n#[funcache::cache]\npub fn with_macro() -> u32 {\n    define! { Flags }\n    Flags::A\n}\n#[funcache::cache]\npub fn without_macro() -> u32 {\n    Flagz::A\n}\n",
        ),
    ]);
    let with = f.analyze("src/lib.rs", "with_macro");
    assert!(with.unresolved.is_empty(), "{:?}", with.unresolved);
    assert!(has(&with, "crate::define!"), "{:?}", paths(&with));
    let without = f.analyze("src/lib.rs", "without_macro");
    assert_eq!(without.unresolved.len(), 1, "{:?}", without.unresolved);
}

#[test]
fn formatting_comments_and_docs_do_not_change_the_fingerprint() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "/// Helper.\nfn helper(x: u32) -> u32 { x + 1 }\nfn unreached() -> u32 { 0 }\n#[funcache::cache]\npub fn root(x: u32) -> u32 { helper(x) * 2 }\n",
        ),
    ]);
    let base = f.analyze("src/lib.rs", "root").fingerprint;
    f.edit(
        "src/lib.rs",
        "/// Helper.\nfn helper(x: u32) -> u32 { x + 1 }",
        "/// Helper, documented at length.\nfn helper( x:u32 )->u32 {\n    // add one\n    x+1\n}",
    );
    assert_eq!(f.analyze("src/lib.rs", "root").fingerprint, base);
    f.edit(
        "src/lib.rs",
        "fn unreached() -> u32 { 0 }",
        "fn unreached() -> u32 { 1 }",
    );
    assert_eq!(f.analyze("src/lib.rs", "root").fingerprint, base);
    f.edit("src/lib.rs", "x+1", "x+2");
    let edited = f.analyze("src/lib.rs", "root").fingerprint;
    assert_ne!(edited, base);
    f.edit("src/lib.rs", "helper(x) * 2", "helper(x) * 3");
    assert_ne!(f.analyze("src/lib.rs", "root").fingerprint, edited);
}

#[test]
fn the_same_crate_elsewhere_has_the_same_fingerprint() {
    let files = [
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod m;\n#[funcache::cache]\npub fn root() -> u8 { m::f() }\n",
        ),
        ("src/m.rs", "pub fn f() -> u8 { 1 }\n"),
    ];
    let a = Fixture::new(&files).analyze("src/lib.rs", "root");
    let b = Fixture::new(&files).analyze("src/lib.rs", "root");
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a.dependencies, b.dependencies);
}

/// `extern crate self as me;` at the crate root makes `me` a name of the
/// crate in every module (the extern prelude): `me::m::one()` written in a
/// submodule reaches `m::one`. It was unresolved, and editing `one`
/// served the old result.
#[test]
fn extern_crate_aliases_at_the_root_name_crates_in_every_module() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "extern crate self as me;\n\
             pub mod m { pub fn one() -> u64 { 1 } }\n\
             pub mod sub {\n\
                 #[funcache::cache]\n\
                 pub fn a() -> u64 { me::m::one() }\n\
             }\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "a");
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    assert!(has(&a, "crate::m::one"), "{:?}", paths(&a));
    f.edit("src/lib.rs", "{ 1 }", "{ 2 }");
    assert_ne!(f.analyze("src/lib.rs", "a").fingerprint, a.fingerprint);
}

/// A registry crate whose lib name is not its package name (`md-5` is
/// used as `md5`) leaves its paths unresolved: the index cannot tell which
/// dependency they name, so every dependency's version counts, and
/// upgrading the crate changes the fingerprint. It did not: stale results
/// after `cargo update`.
#[test]
fn unresolved_names_make_every_dependency_version_count() {
    let lock = |version: &str| {
        format!(
            "version = 4\n[[package]]\nname = \"fixture\"\nversion = \"0.1.0\"\ndependencies = [\"md-5\"]\n\
             [[package]]\nname = \"md-5\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        )
    };
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\n[dependencies]\nmd-5 = \"0.10\"\nfuncache = \"0.1\"\n",
        ),
        (
            "src/lib.rs",
            "#[funcache::cache]\npub fn digest(s: &str) -> Vec<u8> { md5::compute(s).to_vec() }\n\
             #[funcache::cache]\npub fn plain(s: &str) -> usize { s.len() }\n",
        ),
        ("Cargo.lock", &lock("0.10.5")),
    ]);
    let a = f.analyze("src/lib.rs", "digest");
    assert!(!a.unresolved.is_empty(), "{:?}", a.unresolved);
    assert!(
        a.externals.iter().any(|x| x == "md-5@0.10.5"),
        "{:?}",
        a.externals
    );
    // A function whose names all resolve keeps only what it uses.
    let plain = f.analyze("src/lib.rs", "plain").externals;
    assert_eq!(plain, ["fixture edition=2015"]);
    f.edit("Cargo.lock", "0.10.5", "0.10.6");
    assert_ne!(f.analyze("src/lib.rs", "digest").fingerprint, a.fingerprint);
}

#[test]
fn path_dependencies_and_locked_externals() {
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\", \"shared\"]\n",
        ),
        (
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nshared = { path = \"../shared\" }\nrx = { package = \"regex\", version = \"1\" }\nfuncache = \"0.1\"\n",
        ),
        (
            "app/src/lib.rs",
            "use shared::tools;\n#[funcache::cache]\npub fn root(s: &str) -> bool {\n    tools::check(s) && rx::Regex::new(s).is_ok()\n}\n",
        ),
        (
            "shared/Cargo.toml",
            "[package]\nname = \"shared\"\nversion = \"0.1.0\"\n",
        ),
        (
            "shared/src/lib.rs",
            "pub mod tools;\nfn private() -> bool { true }\n",
        ),
        (
            "shared/src/tools.rs",
            "pub fn check(s: &str) -> bool { !s.is_empty() && crate::private() }\n",
        ),
        (
            "Cargo.lock",
            "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"regex\", \"shared\"]\n\
             [[package]]\nname = \"regex\"\nversion = \"1.10.2\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             [[package]]\nname = \"shared\"\nversion = \"0.1.0\"\n",
        ),
    ]);
    let a = f.analyze_in("app", "app", "src/lib.rs", "root");
    assert!(
        has(&a, "shared::tools::check") && has(&a, "shared::private"),
        "{:?}",
        paths(&a)
    );
    assert_eq!(a.externals[0], "app edition=2015");
    assert_eq!(a.externals[1], "regex@1.10.2");
    assert!(a.externals[2].starts_with("regex@1.10.2 (features) #"));
    assert!(a.externals.iter().any(|x| x == "shared edition=2015"));
    let root = f.root();
    assert!(
        a.tracked_files.contains(&root.join("shared/src/tools.rs")),
        "{:?}",
        a.tracked_files
    );
    assert!(a.tracked_files.contains(&root.join("Cargo.lock")));
    assert!(!a.tracked_files.contains(&root.join("app/src/lib.rs")));
    let before = a.fingerprint;
    f.edit("shared/src/lib.rs", "{ true }", "{ false }");
    assert_ne!(
        f.analyze_in("app", "app", "src/lib.rs", "root").fingerprint,
        before
    );
}

#[test]
fn binaries_see_their_package_lib() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", "pub fn shared() -> u8 { 1 }\n"),
        (
            "src/main.rs",
            "#[funcache::cache]\nfn root() -> u8 { fixture::shared() }\nfn main() { root(); }\n",
        ),
    ]);
    let path = f.root().join("src/main.rs");
    let (text, line) = macro_text(&path, "root", 0);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: Some("fixture".into()),
        file: path,
        line,
    };
    let a = analyze_cached_fn(&site, &text, b"").unwrap();
    assert!(
        has(&a, "crate::root") && has(&a, "fixture::shared"),
        "{:?}",
        paths(&a)
    );
    assert!(a.tracked_files.contains(&f.root().join("src/lib.rs")));
}

#[test]
fn cli_finds_cached_fns_with_the_macros_fingerprint() {
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\n[dependencies]\nfc = { package = \"funcache\", version = \"0.1\" }\n",
        ),
        (
            "src/lib.rs",
            "use fc::cache as memo;\nmod inner { use fc::cache;\n    /// Docs.\n    #[cache(version = 2)]\n    #[inline]\n    pub fn b(x: u32) -> u32 { x+1 }\n}\n\
             pub struct S;\nimpl S {\n    #[fc::cache]\n    pub fn m(&self, v: &[u8]) -> usize { v.len() }\n}\n#[memo]\npub fn a(x: u32) -> u32 {\n    inner::b( x )\n}\n\
             #[fc::cache(bogus option)]\npub fn rejected() {}\n#[other::cache]\npub fn not_ours() {}\n",
        ),
        (
            "examples/demo.rs",
            "#[fc::cache]\nfn ex() -> u8 { 3 }\nfn main() {}\n",
        ),
    ]);
    let found = package_cached_fns(&f.root()).unwrap();
    let names: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|c| {
            (
                c.crate_name.as_str(),
                c.analysis.item_path.as_str(),
                c.options_source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("fixture", "inner::b", "version = 2"),
            ("fixture", "S::m", ""),
            ("fixture", "a", ""),
            ("demo", "ex", "")
        ]
    );
    // Each equals what the macro computes from rustc's printed tokens.
    for (cached, (file, name, salt)) in found.iter().zip([
        (
            "src/lib.rs",
            "b",
            CacheOptions::salt(&syn::parse_str("version = 2").unwrap()),
        ),
        ("src/lib.rs", "m", Vec::new()),
        ("src/lib.rs", "a", Vec::new()),
    ]) {
        let path = f.root().join(file);
        let (text, line) = macro_text(&path, name, 0);
        assert_ne!(text, std::fs::read_to_string(&path).unwrap());
        let site = MacroSite {
            manifest_dir: f.root(),
            crate_name: "fixture".into(),
            bin_name: None,
            file: path,
            line,
        };
        let macro_side = analyze_cached_fn(&site, &text, &salt).unwrap();
        assert_eq!(
            macro_side.dependencies, cached.analysis.dependencies,
            "{name}"
        );
        assert_eq!(
            macro_side.fingerprint, cached.analysis.fingerprint,
            "{name}"
        );
    }
}

#[test]
fn memoize_paths_resolve_from_the_site() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod steps { pub struct P; impl P { pub fn parse(&self, s: &str) -> usize { s.len() } } pub fn clean<T: AsRef<str>>(s: T) -> String { s.as_ref().trim().to_owned() } }\nfn user() {}\n",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 2,
    };
    let (a, sig) = analyze_fn_path(&site, "steps::clean", b"").unwrap();
    assert_eq!(a.item_path, "steps::clean");
    let sig: syn::Signature = syn::parse_str(&sig).unwrap();
    assert_eq!(sig.ident, "clean");
    assert_eq!(sig.generics.params.len(), 1);
    let (m, _) = analyze_fn_path(&site, "steps::P::parse", b"").unwrap();
    assert_eq!(m.item_path, "steps::P::parse");
    assert!(m.impl_context.is_some());
    let err = analyze_fn_path(&site, "steps::nothing", b"").unwrap_err();
    assert!(err.to_string().contains("steps::nothing"), "{err}");
}

#[test]
fn errors_name_what_is_wrong() {
    let f = Fixture::new(&[("Cargo.toml", MANIFEST), ("src/lib.rs", "fn f() {}\n")]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "nope".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 1,
    };
    let err = analyze_cached_fn(&site, "fn f() {}", b"").unwrap_err();
    assert!(matches!(err, IndexError::NoCrateTarget { .. }), "{err}");
    f.write("src/lib.rs", "fn f() { \"unterminated }\n");
    let site = MacroSite {
        crate_name: "fixture".into(),
        ..site
    };
    let err = analyze_cached_fn(&site, "fn f() {}", b"").unwrap_err();
    assert!(matches!(err, IndexError::Parse { line: 1, .. }), "{err}");
}

#[test]
fn use_in_a_body_hides_no_path() {
    // A glob of an enum in a body once made every other path in it resolve
    // to the enum (issue 8.1): `helpers::one` vanished from the closure.
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "pub enum Kind { A, B }\nmod helpers { pub fn one() -> u32 { 1 } pub fn two() -> u32 { 2 } pub fn three() -> u32 { 3 } pub mod deep { pub fn four() -> u32 { 4 } } }\n\
             #[funcache::cache]\npub fn kind_glob(a: bool) -> u32 {\n    use crate::Kind::*;\n    let k = if a { A } else { B };\n    match k { A => helpers::one(), B => crate::helpers::two() }\n}\n\
             #[funcache::cache]\npub fn kinds(a: bool) -> u32 {\n    use crate::helpers::{three as third, deep::{self, *}};\n    use crate::Kind::{A as First};\n    if a { let _ = First; third() } else { deep::four() + four() }\n}\n\
             #[funcache::cache]\npub fn broken() -> u32 {\n    use crate::gone::*;\n    use crate::helpers::missing;\n    missing() + vanished()\n}\n\
             #[funcache::cache]\npub fn foreign_globs() -> u32 {\n    use std::collections::*;\n    use funcache::*;\n    let m: HashMap<u32, u32> = HashMap::new();\n    m.len() as u32 + helpers::one() + crate::helpers::two()\n}\n\
             #[funcache::cache]\npub fn local_enum() -> u32 {\n    enum E { X, Y }\n    use E::*;\n    use E::Y as Why;\n    match X { X => helpers::one(), Why => 0 }\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "kind_glob");
    for p in ["crate::Kind", "crate::helpers::one", "crate::helpers::two"] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
    assert!(!has(&a, "crate::helpers::three"));
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);

    let b = f.analyze("src/lib.rs", "kinds");
    for p in [
        "crate::Kind",
        "crate::helpers::three",
        "crate::helpers::deep::four",
    ] {
        assert!(has(&b, p), "{p} missing from {:?}", paths(&b));
    }
    assert!(b.unresolved.is_empty(), "{:?}", b.unresolved);

    // Globs of std and external crates provide unknown names, which never
    // hide the names of the crate.
    let e = f.analyze("src/lib.rs", "foreign_globs");
    assert!(has(&e, "crate::helpers::one"), "{:?}", paths(&e));
    assert!(has(&e, "crate::helpers::two"), "{:?}", paths(&e));
    assert!(e.unresolved.is_empty(), "{:?}", e.unresolved);

    // A glob of an enum declared in the body itself.
    let d = f.analyze("src/lib.rs", "local_enum");
    assert!(has(&d, "crate::helpers::one"), "{:?}", paths(&d));
    assert!(d.unresolved.is_empty(), "{:?}", d.unresolved);

    // Nothing silently vanishes: what a body's `use` cannot resolve is
    // reported.
    let c = f.analyze("src/lib.rs", "broken");
    let un: Vec<&str> = c.unresolved.iter().map(|u| u.path.as_str()).collect();
    assert!(un.contains(&"missing"), "{un:?}");
    assert!(un.contains(&"vanished"), "{un:?}");
}

const GREETINGS: &str = "pub fn english() -> String {\n    fn word() -> &'static str { \"hello\" }\n    #[funcache::cache]\n    fn greet(n: u32) -> String { format!(\"{} #{n}\", word()) }\n    greet(1)\n}\n\
pub fn french() -> String {\n    fn word() -> &'static str { \"bonjour\" }\n    #[funcache::cache]\n    fn greet(n: u32) -> String { format!(\"{} #{n}\", word()) }\n    greet(1)\n}\n";

#[test]
fn nested_fns_are_items_of_their_enclosing_fn() {
    // Two nested `greet`s with identical tokens once shared one id and one
    // fingerprint, so one served the other's result (issue 9.1).
    let f = Fixture::new(&[("Cargo.toml", MANIFEST), ("src/lib.rs", GREETINGS)]);
    let en = f.analyze_nth("", "fixture", "src/lib.rs", "greet", 0);
    let fr = f.analyze_nth("", "fixture", "src/lib.rs", "greet", 1);
    assert_eq!(en.item_path, "english::greet");
    assert_eq!(fr.item_path, "french::greet");
    assert!(has(&en, "crate::english::word"), "{:?}", paths(&en));
    assert!(has(&fr, "crate::french::word"), "{:?}", paths(&fr));
    assert!(!has(&en, "crate::french::word"));
    assert!(en.unresolved.is_empty(), "{:?}", en.unresolved);
    assert_ne!(en.fingerprint, fr.fingerprint);

    // Editing the sibling a nested fn calls changes its fingerprint only.
    f.edit("src/lib.rs", "\"hello\"", "\"hi\"");
    let en2 = f.analyze_nth("", "fixture", "src/lib.rs", "greet", 0);
    let fr2 = f.analyze_nth("", "fixture", "src/lib.rs", "greet", 1);
    assert_ne!(en2.fingerprint, en.fingerprint);
    assert_eq!(fr2.fingerprint, fr.fingerprint);
}

#[test]
fn nested_names_resolve_innermost_block_first() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "fn helper() -> u32 { 0 }\nconst SCALE: u32 = 1;\npub enum Kind { A, B }\n\
             pub fn outer() -> u32 {\n    use crate::Kind::*;\n    const SCALE: u32 = 3;\n    struct Local;\n    impl Local { fn val() -> u32 { helper() * SCALE } }\n    impl std::fmt::Display for Local { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { write!(f, \"{}\", shown()) } }\n    fn shown() -> u32 { 9 }\n\
             {\n        fn helper() -> u32 { 2 }\n        #[funcache::cache]\n        fn inner(k: u32) -> u32 { let _ = A; Local::val() + helper() + k + SCALE }\n        inner(1)\n    }\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "inner");
    assert_eq!(a.item_path, "outer::inner");
    for p in [
        "crate::outer::helper",
        "crate::outer::SCALE",
        "crate::outer::Local",
        "crate::outer::Local::val",
        "crate::outer::<Local as std::fmt::Display>::fmt",
        "crate::outer::shown",
        "crate::Kind",
        // `Local::val` calls the module's `helper`: it is not in the block.
        "crate::helper",
    ] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
    assert!(!has(&a, "crate::SCALE"), "{:?}", paths(&a));
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
}

#[test]
fn functions_passed_as_values_are_tabled_with_their_fingerprint() {
    // A cached fn taking a function argument keys on which function it is
    // given and on that function's source (issue 9.2).
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "fn scale() -> u64 { 2 }\npub fn double(x: u64) -> u64 { x * scale() }\npub fn triple(x: u64) -> u64 { x * 3 }\npub fn only_called(x: u64) -> u64 { x }\npub fn twice<T: Copy>(x: T) -> T { x }\n\
             #[funcache::cache]\npub fn apply<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 { f(x) }\n\
             pub struct Ops;\nimpl Ops { pub fn neg(x: u64) -> u64 { !x } }\n\
             pub fn run() -> u64 {\n    fn local(x: u64) -> u64 { x + 1 }\n    apply(double, 1) + apply(triple, 2) + apply(Ops::neg, 3) + apply(local, 4) + only_called(5) + apply(twice::<u64>, 6)\n}\n",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 5,
    };
    let table = crate::fn_values(&site).unwrap();
    let paths: Vec<&str> = table.iter().map(|v| v.type_path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "fixture::Ops::neg",
            "fixture::double",
            "fixture::run::local",
            "fixture::triple",
            "fixture::twice"
        ]
    );
    let fingerprint = |table: &[crate::FnValue], path: &str| {
        table
            .iter()
            .find(|v| v.type_path == path)
            .unwrap()
            .fingerprint
    };
    // Editing what `double` calls changes its entry only.
    f.edit(
        "src/lib.rs",
        "fn scale() -> u64 { 2 }",
        "fn scale() -> u64 { 4 }",
    );
    let edited = crate::fn_values(&site).unwrap();
    assert_ne!(
        fingerprint(&table, "fixture::double"),
        fingerprint(&edited, "fixture::double")
    );
    assert_eq!(
        fingerprint(&table, "fixture::triple"),
        fingerprint(&edited, "fixture::triple")
    );
}

#[test]
fn functions_sharing_a_path_across_scopes_have_no_entry_fingerprint() {
    // `op` in two blocks of one fn: `type_name` prints `fixture::run::op`
    // for both, so which one a value is cannot be told; they once shared
    // one entry and one key (issue 9 trial: `(20, 20)`). `#[cfg]`
    // alternatives in one module may share an entry: only one exists. A
    // dependency's fn used as a value only by this crate is in the table.
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            &format!("{MANIFEST}dep1 = {{ path = \"dep1\" }}\n"),
        ),
        ("dep1/Cargo.toml", DEP1_MANIFEST),
        (
            "dep1/src/lib.rs",
            "pub fn dep_double(x: u64) -> u64 { x * 2 }\n",
        ),
        (
            "src/lib.rs",
            "#[funcache::cache]\npub fn apply<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 { f(x) }\n\
             #[cfg(unix)]\npub fn alt(x: u64) -> u64 { x }\n#[cfg(not(unix))]\npub fn alt(x: u64) -> u64 { x + 1 }\n\
             pub fn run() -> u64 {\n    let a = { fn op(x: u64) -> u64 { x * 2 } apply(op, 10) };\n    let b = { fn op(x: u64) -> u64 { x * 3 } apply(op, 10) };\n    a + b + apply(alt, 1) + apply(dep1::dep_double, 1)\n}\n",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 1,
    };
    let table = crate::fn_values(&site).unwrap();
    let entry = |path: &str| table.iter().find(|v| v.type_path == path).cloned();
    assert_eq!(entry("fixture::run::op").map(|v| v.fingerprint), Some(None));
    assert!(entry("fixture::alt").unwrap().fingerprint.is_some());
    assert!(
        entry("dep1::dep_double").is_some_and(|v| v.fingerprint.is_some()),
        "{table:?}"
    );
}

#[test]
fn type_tables_list_the_types_the_fingerprint_covers() {
    // `u::total::<a::Item>` with `impl u::Weigh for a::Item` in a crate
    // downstream of `u`: editing the impl served the old total (trial B,
    // S1). The macro of a generic fn embeds the type paths its index
    // covers (this crate's and its path dependencies', not aliases or
    // fns) and the external crates whose versions its fingerprint has.
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            "[package]\nname = \"u\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\nfuncache = \"0.1\"\nv = { path = \"v\" }\nsj = { package = \"serde-json\", version = \"1\" }\nregex = \"1\"\n",
        ),
        (
            "v/Cargo.toml",
            "[package]\nname = \"v\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("v/src/lib.rs", "pub struct Thing;\n"),
        (
            "src/lib.rs",
            "pub trait Weigh { fn weight(&self) -> u64; }\n\
             #[funcache::cache]\npub fn total<T: Weigh>(items: Vec<T>) -> u64 { items.iter().map(|i| i.weight()).sum() }\n\
             pub struct Item(pub u64);\npub type Alias = Item;\npub fn double() {}\n\
             pub mod shapes { pub enum Shape { Tri } pub union Bits { pub a: u8 } }\n\
             pub fn run() { struct Local; }\n\
             pub struct Wrapper<T>(pub T);\n",
        ),
        (
            "Cargo.lock",
            "version = 4\n[[package]]\nname = \"u\"\nversion = \"0.1.0\"\ndependencies = [\"regex\", \"serde-json\", \"v\"]\n\
             [[package]]\nname = \"regex\"\nversion = \"1.10.2\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             [[package]]\nname = \"serde-json\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             [[package]]\nname = \"v\"\nversion = \"0.1.0\"\n",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "u".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 2,
    };
    let a = analyze_cached_fn(
        &site,
        &macro_text(&f.root().join("src/lib.rs"), "total", 0).0,
        b"",
    )
    .unwrap();
    let tables = crate::type_tables(&site, Some(&a.externals)).unwrap();
    assert_eq!(
        tables.types,
        [
            "u::Item",
            "u::Weigh",
            "u::Wrapper",
            "u::run::Local",
            "u::shapes::Bits",
            "u::shapes::Shape",
            "v::Thing"
        ]
    );
    assert!(tables.ambiguous.is_empty(), "{tables:?}");
    // Only a local bound: only the externals the closure uses count.
    assert!(tables.crates.is_empty(), "{tables:?} {:?}", a.externals);
    // A fallback fingerprint covers `Cargo.lock`: every dependency counts,
    // renamed ones by their crate's name.
    let fallback = crate::type_tables(&site, None).unwrap();
    assert_eq!(fallback.crates, ["funcache", "regex", "serde_json"]);
    assert_eq!(fallback.types, tables.types);
}

#[test]
fn sets_behind_hand_written_serialize_impls_are_found() {
    // A hand-written `Serialize` writing a `HashSet` as a sequence keys by
    // iteration order: equal arguments missed every call, silently (issue
    // 9 trial). Found through fields and aliases; a sorting impl is not.
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "use std::collections::HashSet;\ntype Set = HashSet<String>;\npub struct Tags(Set);\n\
             impl serde::Serialize for Tags {\n    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {\n        s.collect_seq(self.0.iter().map(|t| t.len()))\n    }\n}\n\
             pub struct Query { tags: Tags, limit: u32 }\n\
             pub struct Sorted(HashSet<u32>);\n\
             impl serde::Serialize for Sorted {\n    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {\n        let mut v: Vec<_> = self.0.iter().collect();\n        v.sort();\n        s.collect_seq(v)\n    }\n}\n",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 1,
    };
    let find = |idents: &[&str]| {
        let idents: Vec<String> = idents.iter().map(|s| s.to_string()).collect();
        crate::argument_serde(&site, &idents)
            .unwrap()
            .hidden_unordered
    };
    assert_eq!(find(&["Query"]).as_deref(), Some("Tags"));
    assert_eq!(find(&["Vec", "Tags"]).as_deref(), Some("Tags"));
    assert_eq!(find(&["Sorted"]), None);
    assert_eq!(find(&["u32", "String"]), None);
}

#[test]
fn lossy_serde_attributes_and_hand_written_maps_of_argument_types_are_found() {
    // `#[serde(untagged)]` and `#[serde(skip)]` made two different
    // arguments serialize alike: one was served the other's result (trial
    // after issue 9). A hand-written impl writing a `HashMap` as a map is
    // not recognisable by the value's type at run time.
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "use std::collections::HashMap;
             #[derive(serde::Serialize)]
#[serde(untagged)]
pub enum Len { Meters(u32), Feet(u32) }
             #[derive(serde::Serialize)]
pub struct Trip { legs: Vec<Len> }
             #[derive(serde::Serialize)]
pub struct Scaled { base: u32, #[serde(skip)] factor: u32 }
             #[derive(serde::Serialize)]
#[serde(rename_all = \"camelCase\")]
pub struct Plain { a_b: u32 }
             pub struct Counts(HashMap<String, u32>);
             impl serde::Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.0 { m.serialize_entry(k, v)?; }
        m.end()
    }
}
",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 1,
    };
    let facts = |idents: &[&str]| {
        let idents: Vec<String> = idents.iter().map(|s| s.to_string()).collect();
        crate::argument_serde(&site, &idents).unwrap()
    };
    let lossy = |idents: &[&str]| facts(idents).lossy;
    let pair = |t: &str, a: &str| Some((t.to_owned(), a.to_owned()));
    assert_eq!(lossy(&["Len"]), pair("Len", "untagged"));
    assert_eq!(lossy(&["Option", "Trip"]), pair("Len", "untagged"));
    assert_eq!(lossy(&["Scaled"]), pair("Scaled", "skip"));
    assert_eq!(lossy(&["Plain"]), None);
    assert_eq!(lossy(&["u32"]), None);
    let counts = facts(&["Counts"]);
    assert_eq!(counts.unordered_map_impl.as_deref(), Some("Counts"));
    assert_eq!(counts.hidden_unordered, None, "a map the key orders");
    assert_eq!(facts(&["Plain"]).unordered_map_impl, None);
}

/// A cached fn inside a `macro_rules!` body is compiled wherever the macro
/// is invoked, and its site points into the definition for every
/// expansion: the index cannot know its module or what `K` is there, so
/// it refuses (the macro falls back) instead of guessing the definition's
/// module — which gave two expansions one id and one fingerprint.
#[test]
fn functions_inside_macro_definitions_or_invocations_are_not_analyzed() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "macro_rules! make {\n    ($m:ident, $v:expr) => {\n        mod $m {\n            const K: u64 = $v;\n            #[funcache::cache]\n            pub fn f(x: u64) -> u64 {\n                x + K\n            }\n        }\n    };\n}\nmake!(one, 1);\nmake!(two, 2);\n\
             macro_rules! wrap { ($($i:item)*) => { mod w { $($i)* } }; }\nwrap! {\n    #[funcache::cache]\n    pub fn g() -> u32 { 1 }\n}\n\
             pub fn a() -> u32 {\n    make2!();\n    made()\n}\n\
             cfg_if::cfg_if! {\n    if #[cfg(all())] {\n        #[funcache::cache]\n        pub fn h() -> u32 { 2 }\n    }\n}\n\
             pub fn plain() -> u32 {\n    3\n}\n",
        ),
    ]);
    let at = |line: usize, source: &str| {
        let site = MacroSite {
            manifest_dir: f.root(),
            crate_name: "fixture".into(),
            bin_name: None,
            file: f.root().join("src/lib.rs"),
            line,
        };
        analyze_cached_fn(&site, source, b"")
    };
    let f_source = "pub fn f(x: u64) -> u64 { x + K }";
    for (line, source, why) in [
        (5, f_source, "definition of macro `make`"),
        (12, f_source, "invocation of `make!`"),
        (16, "pub fn g() -> u32 { 1 }", "invocation of `wrap!`"),
        (20, "fn made() -> u32 { 1 }", "invocation of `make2!`"),
        // Not written there at all: never the nearest function of the name.
        (
            31,
            "pub fn plain() -> u32 { 3 }",
            "no function `plain` is written",
        ),
    ] {
        let error = at(line, source).unwrap_err().to_string();
        assert!(error.contains(why), "line {line}: {error}");
    }
    assert_eq!(
        at(29, "pub fn plain() -> u32 { 3 }").unwrap().item_path,
        "plain"
    );
    // A module-level `cfg_if!` keeps its items in place, and the index
    // reads them (each under its branch's predicate): analyzed.
    assert_eq!(at(25, "pub fn h() -> u32 { 2 }").unwrap().item_path, "h");
}

/// Inside a function, `cfg_if!`'s branches are blocks the index reads: a
/// cached fn there is analyzed, with its sibling items in scope.
#[test]
fn functions_inside_cfg_if_in_a_body_are_analyzed() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "pub fn outer() -> u32 {\n    cfg_if::cfg_if! {\n        if #[cfg(all())] {\n            const CK: u32 = 4;\n            #[funcache::cache]\n            fn chosen() -> u32 { CK }\n        }\n    }\n    chosen()\n}\n",
        ),
    ]);
    let site = MacroSite {
        manifest_dir: f.root(),
        crate_name: "fixture".into(),
        bin_name: None,
        file: f.root().join("src/lib.rs"),
        line: 5,
    };
    let a = analyze_cached_fn(&site, "fn chosen() -> u32 { CK }", b"").unwrap();
    assert_eq!(a.item_path, "outer::chosen");
    assert!(has(&a, "crate::outer::CK"), "{:?}", paths(&a));
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
}

#[test]
fn files_shared_by_several_modules_are_not_analyzed() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "#[path = \"common.rs\"]\nmod a;\n#[path = \"common.rs\"]\nmod b;\n\
             mod c { include!(\"inc.rs\"); }\nmod d { include!(\"inc.rs\"); }\n\
             mod e { include!(\"once.rs\"); }\n\
             mod p { #[path = \"../inner.rs\"] mod inner; }\n\
             mod q { #[path = \"../inner.rs\"] mod inner; }\n",
        ),
        ("src/p/keep.txt", ""),
        ("src/q/keep.txt", ""),
        (
            "src/inner.rs",
            "#[funcache::cache]\npub fn i() -> u32 { super::K }\n",
        ),
        (
            "src/common.rs",
            "#[funcache::cache]\npub fn f() -> u32 { 1 }\n",
        ),
        (
            "src/inc.rs",
            "#[funcache::cache]\npub fn g() -> u32 { 1 }\n",
        ),
        (
            "src/once.rs",
            "#[funcache::cache]\npub fn h() -> u32 { 1 }\n",
        ),
    ]);
    let at = |file: &str, source: &str| {
        let site = MacroSite {
            manifest_dir: f.root(),
            crate_name: "fixture".into(),
            bin_name: None,
            file: f.root().join(file),
            line: 1,
        };
        analyze_cached_fn(&site, source, b"")
    };
    for (file, source) in [
        ("src/common.rs", "pub fn f() -> u32 { 1 }"),
        ("src/inc.rs", "pub fn g() -> u32 { 1 }"),
        ("src/p/../inner.rs", "pub fn i() -> u32 { super::K }"),
        ("src/q/../inner.rs", "pub fn i() -> u32 { super::K }"),
    ] {
        let error = at(file, source).unwrap_err().to_string();
        assert!(error.contains("more than one module"), "{file}: {error}");
    }
    let once = at("src/once.rs", "pub fn h() -> u32 { 1 }").unwrap();
    assert_eq!(once.item_path, "e::h");
}

#[test]
fn nested_types_shadow_module_types_in_signatures() {
    // `l: &Local` in a nested fn names the block's `Local`, not the
    // module's: its methods are the block's impl's.
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "pub struct Local;\nimpl Local { pub fn val(&self) -> u32 { 0 } }\n\
             pub fn outer() -> u32 {\n    struct Local;\n    impl Local { fn val(&self) -> u32 { 1 } }\n    #[funcache::cache]\n    fn inner(n: u32) -> u32 { read(&Local) + n }\n    fn read(l: &Local) -> u32 { l.val() }\n    inner(1)\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "inner");
    for p in [
        "crate::outer::read",
        "crate::outer::Local",
        "crate::outer::Local::val",
    ] {
        assert!(has(&a, p), "{p} missing from {:?}", paths(&a));
    }
    assert!(!has(&a, "crate::Local::val"), "{:?}", paths(&a));
}

#[test]
fn a_nested_fn_named_like_its_enclosing_fn_is_located() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "fn helper() -> u32 { 1 }\npub fn calc() -> u32 {\n    #[funcache::cache]\n    fn calc() -> u32 { helper() }\n    calc()\n}\n",
        ),
    ]);
    let a = f.analyze_nth("", "fixture", "src/lib.rs", "calc", 1);
    assert_eq!(a.item_path, "calc::calc");
    assert!(has(&a, "crate::helper"), "{:?}", paths(&a));
}

#[path = "precision_tests.rs"]
mod precision;

#[path = "type_param_tests.rs"]
mod type_params;

#[path = "macro_tests.rs"]
mod macros;

#[path = "use_scope_tests.rs"]
mod use_scope;

/// A function declared in an `extern "C"` block and defined in the crate
/// with `#[no_mangle]` (or `#[export_name]`) runs that definition: editing
/// it served the old result (found by a trial).
#[test]
fn extern_declarations_reach_the_crates_exported_definitions() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "#[no_mangle]\npub extern \"C\" fn r2_c() -> u64 { 1 }\n\
             #[export_name = \"r2_d\"]\npub extern \"C\" fn named_d() -> u64 { 4 }\n\
             mod ffi { extern \"C\" { pub fn r2_c() -> u64; pub fn r2_d() -> u64; } }\n\
             #[funcache::cache]\npub fn c() -> u64 { unsafe { ffi::r2_c() + ffi::r2_d() } }\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "c");
    assert!(has(&a, "crate::r2_c"), "{:?}", paths(&a));
    assert!(has(&a, "crate::named_d"), "{:?}", paths(&a));
    f.edit("src/lib.rs", "{ 1 }", "{ 2 }");
    let b = f.analyze("src/lib.rs", "c");
    assert_ne!(b.fingerprint, a.fingerprint);
    f.edit("src/lib.rs", "{ 4 }", "{ 5 }");
    assert_ne!(f.analyze("src/lib.rs", "c").fingerprint, b.fingerprint);
}

/// The gated dependencies of `a`: `(predicate, path)`.
fn gated(a: &Analysis) -> Vec<(String, String)> {
    a.build
        .gated
        .iter()
        .map(|(p, d)| (p.clone(), d.path.clone()))
        .collect()
}

/// Trial C: `imp::pick` written once under `#[cfg(windows)]` and once in
/// each branch of a module-level `cfg_if!`. The index read only the
/// written-out one, whose cfg is off on Linux, so the name bound to it
/// alone and editing the active branch served stale values. Every `pick`
/// now counts under its own predicate.
#[test]
fn items_of_a_module_level_cfg_if_count_under_their_branch() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod imp {\n    #[cfg(windows)]\n    pub fn pick() -> u32 { 9 }\n    cfg_if::cfg_if! {\n        if #[cfg(not(windows))] {\n            pub fn pick() -> u32 { 2 }\n        } else {\n            pub fn pick() -> u32 { 1 }\n        }\n    }\n}\n\
             #[funcache::cache]\npub fn picked() -> u32 {\n    imp::pick()\n}\n",
        ),
    ]);
    let before = f.analyze("src/lib.rs", "picked");
    let mut got = gated(&before);
    got.sort();
    assert_eq!(
        got,
        [
            (
                "not (any (not (windows)))".to_owned(),
                "crate::imp::pick".to_owned()
            ),
            ("not (windows)".to_owned(), "crate::imp::pick".to_owned()),
            ("windows".to_owned(), "crate::imp::pick".to_owned()),
        ]
    );
    assert!(before.unresolved.is_empty(), "{:?}", before.unresolved);
    f.edit("src/lib.rs", "{ 2 }", "{ 5 }");
    let after = f.analyze("src/lib.rs", "picked");
    assert_ne!(after.build.gated, before.build.gated);
}

/// Trial D (crc32fast's `specialized/mod.rs`): `mod fast;` written inside a
/// module-level `cfg_if!`. Its file was never read, so `State` was
/// unresolved and an edit of `fast.rs` served stale values.
#[test]
fn modules_declared_in_a_module_level_cfg_if_are_read() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod specialized;\n#[funcache::cache]\npub fn spec(x: u32) -> u32 {\n    specialized::State::new(x).finalize()\n}\n",
        ),
        (
            "src/specialized/mod.rs",
            "cfg_if::cfg_if! {\n    if #[cfg(unix)] {\n        mod fast;\n        pub use self::fast::State;\n    } else {\n        pub struct State(u32);\n        impl State {\n            pub fn new(x: u32) -> Self { State(x) }\n            pub fn finalize(self) -> u32 { self.0 }\n        }\n    }\n}\n",
        ),
        (
            "src/specialized/fast.rs",
            "pub struct State {\n    state: u32,\n}\nimpl State {\n    pub fn new(state: u32) -> Self {\n        State { state }\n    }\n    pub fn finalize(self) -> u32 {\n        self.state + 10\n    }\n}\n",
        ),
    ]);
    let before = f.analyze("src/lib.rs", "spec");
    assert!(before.unresolved.is_empty(), "{:?}", before.unresolved);
    let fast: Vec<(String, String)> = gated(&before)
        .into_iter()
        .filter(|(_, path)| path.contains("fast"))
        .collect();
    assert!(
        fast.iter()
            .any(|(p, path)| p == "unix" && path == "crate::specialized::fast::State::finalize"),
        "{:?}",
        gated(&before)
    );
    f.edit("src/specialized/fast.rs", "+ 10", "+ 20");
    let after = f.analyze("src/lib.rs", "spec");
    assert_ne!(after.build.gated, before.build.gated);
}

/// Trial C without `cfg_if!`: the fn that is compiled is written by a
/// macro, and a same-named sibling under a `#[cfg]` that is off is written
/// out. The sibling took the name, so the invocation never joined and an
/// edit of its argument served stale values. A binding under a `#[cfg]`
/// hides nothing: the invocation counts too.
#[test]
fn a_gated_item_does_not_hide_the_invocation_that_may_write_its_name() {
    let f = Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod imp {\n    #[cfg(windows)]\n    pub fn pick() -> u32 { 9 }\n    macro_rules! make_pick {\n        ($v:expr) => {\n            #[cfg(not(windows))]\n            pub fn pick() -> u32 { $v }\n        };\n    }\n    make_pick!(2);\n}\n\
             #[funcache::cache]\npub fn picked() -> u32 {\n    imp::pick()\n}\n",
        ),
    ]);
    let before = f.analyze("src/lib.rs", "picked");
    assert!(
        has(&before, "crate::imp::make_pick!(..)"),
        "{:?}",
        paths(&before)
    );
    f.edit("src/lib.rs", "make_pick!(2)", "make_pick!(5)");
    let after = f.analyze("src/lib.rs", "picked");
    assert_ne!(after.fingerprint, before.fingerprint);
}

/// Trial D with a crate macro: `declare!(fast);` whose `macro_rules!`
/// writes `mod $m;` (or `#[path = $p] mod $m;`). The file was never read,
/// so an edit of it served stale values to a caller that is not strict.
/// The files such a declaration could load are indexed, and the
/// invocation, which stands in for `State`, reaches their items.
#[test]
fn modules_a_macro_invocation_may_declare_are_read() {
    for (invocation, file) in [
        ("declare!(fast);", "src/specialized/fast.rs"),
        (
            "declare_at!(fast, \"impls/fast_impl.rs\");",
            "src/specialized/impls/fast_impl.rs",
        ),
    ] {
        let f = Fixture::new(&[
            ("Cargo.toml", MANIFEST),
            (
                "src/lib.rs",
                "mod specialized;\n#[funcache::cache]\npub fn spec(x: u32) -> u32 {\n    specialized::State::new(x).finalize()\n}\n",
            ),
            (
                "src/specialized/mod.rs",
                &format!(
                    "macro_rules! declare {{\n    ($m:ident) => {{\n        mod $m;\n        pub use self::$m::State;\n    }};\n}}\n\
                     macro_rules! declare_at {{\n    ($m:ident, $p:literal) => {{\n        #[path = $p]\n        mod $m;\n        pub use self::$m::State;\n    }};\n}}\n\
                     {invocation}\n"
                ),
            ),
            (
                file,
                "pub struct State {\n    state: u32,\n}\nimpl State {\n    pub fn new(state: u32) -> Self {\n        State { state }\n    }\n    pub fn finalize(self) -> u32 {\n        self.state + 10\n    }\n}\n",
            ),
        ]);
        let before = f.analyze("src/lib.rs", "spec");
        assert!(
            paths(&before)
                .iter()
                .any(|p| p.ends_with("State::finalize")),
            "{invocation}: {:?}",
            paths(&before)
        );
        // Still reached through a macro the index does not expand.
        assert!(!before.unresolved.is_empty(), "{invocation}");
        f.edit(file, "+ 10", "+ 20");
        let after = f.analyze("src/lib.rs", "spec");
        assert_ne!(after.fingerprint, before.fingerprint, "{invocation}");
    }
}

/// Trial J (bytes 1.12.2 `vptr`): `if cfg!(debug_assertions)` in a
/// dependency's fn listed `debug_assertions` as unresolved, so `strict`
/// refused it. A `cfg!` predicate names no item, in any crate.
#[test]
fn cfg_predicates_are_not_paths() {
    let body = "if cfg!(debug_assertions) { x } else if cfg!(all(unix, not(test), feature = \"f\", target_os = \"linux\")) { x + 1 } else { x + 2 }";
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            &format!("{MANIFEST}dep1 = {{ path = \"dep1\" }}\n"),
        ),
        ("dep1/Cargo.toml", DEP1_MANIFEST),
        (
            "dep1/src/lib.rs",
            &format!("pub fn checked(x: u8) -> u8 {{ {body} }}\n"),
        ),
        (
            "src/lib.rs",
            &format!(
                "fn local(x: u8) -> u8 {{ {body} }}\n\
                 #[funcache::cache]\npub fn root(x: u8) -> u8 {{ local(x) + dep1::checked(x) + if cfg!(windows) {{ 1 }} else {{ 0 }} }}\n"
            ),
        ),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    assert!(has(&a, "dep1::checked"), "{:?}", paths(&a));
    assert!(has(&a, "crate::local"), "{:?}", paths(&a));
}

/// Trial J (serde_json 1.0.154 `number.rs`, `map.rs`): a name bound by a
/// `use` under a `#[cfg]` (`#[cfg(not(feature = "x"))] use
/// core::hash::Hasher;`) in a module with item-position macro calls
/// resolved to std and to those calls (the `use` may be compiled out, and
/// then a call may generate the name), and was listed as unresolved as if
/// only the calls stood in for it, so `strict` refused `Hasher`,
/// `BTreeMap`, `MapAccess`, `IndexMap`.
#[test]
fn gated_uses_of_std_and_external_names_beside_macro_calls_are_resolved() {
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            &format!("{MANIFEST}dep1 = {{ path = \"dep1\" }}\n"),
        ),
        (
            "dep1/Cargo.toml",
            "[package]\nname = \"dep1\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
             [dependencies]\nrx = { package = \"regex\", version = \"1\" }\n",
        ),
        (
            "dep1/src/lib.rs",
            "#![no_std]\nextern crate alloc;\n#[cfg(feature = \"std\")]\nextern crate std;\n\
             #[cfg(not(feature = \"x\"))]\nuse core::hash::Hasher;\n\
             #[cfg(not(feature = \"x\"))]\nuse alloc::collections::BTreeMap;\n\
             #[cfg(feature = \"x\")]\nuse rx::Regex;\n\
             macro_rules! make { ($n:ident) => { pub struct $n; } }\nmake!(Made);\n\
             pub fn feed<H: Hasher>(h: &mut H) -> usize { h.write_u8(1); BTreeMap::<u8, u8>::new().len() }\n\
             pub fn re_len() -> usize { core::mem::size_of::<Option<Regex>>() }\n\
             pub fn made() -> Made { Made }\n\
             pub fn missing() -> usize { Gone::new() }\n",
        ),
        (
            "src/lib.rs",
            "#[funcache::cache]\npub fn root() -> usize {\n    let mut h = std::collections::hash_map::DefaultHasher::new();\n    dep1::feed(&mut h) + dep1::missing() + dep1::re_len()\n}\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "root");
    let un: Vec<&str> = a.unresolved.iter().map(|u| u.path.as_str()).collect();
    // What only the macro call may generate is still listed.
    assert_eq!(un, ["Gone::new"]);
    assert!(has(&a, "dep1::feed"), "{:?}", paths(&a));
}
