//! Resolution precision: conversions through std's blanket impls, methods
//! on std types, trait impls joined by the types the closure uses, open
//! generic bounds of the cached function, derive lists and format
//! arguments. Each test names the fault it guards.

use super::*;

fn lib(src: &str) -> Fixture {
    Fixture::new(&[("Cargo.toml", MANIFEST), ("src/lib.rs", src)])
}

/// `a.into()`, `a.try_into()` and `?` reach a local `From`/`TryFrom` impl
/// for a std type only through std's blanket impls: that impl must be in
/// the closure, or editing it serves a stale value.
#[test]
fn conversions_through_blanket_impls_reach_local_impls() {
    let f = lib("pub enum Align { L, R }\n\
         impl From<Align> for char { fn from(a: Align) -> char { match a { Align::L => '<', Align::R => '>' } } }\n\
         impl TryFrom<Align> for u8 { type Error = (); fn try_from(a: Align) -> Result<u8, ()> { match a { Align::L => Ok(1), Align::R => Err(()) } } }\n\
         pub struct Oops;\n\
         impl From<Oops> for std::fmt::Error { fn from(_: Oops) -> Self { std::fmt::Error } }\n\
         fn fails() -> Result<u8, Oops> { Err(Oops) }\n\
         pub struct Unrelated;\n\
         impl From<Unrelated> for char { fn from(_: Unrelated) -> char { 'u' } }\n\
         #[funcache::cache]\npub fn to_char(a: Align) -> char { a.into() }\n\
         #[funcache::cache]\npub fn to_u8(a: Align) -> Option<u8> { a.try_into().ok() }\n\
         #[funcache::cache]\npub fn question() -> Result<u8, std::fmt::Error> { Ok(fails()? + 1) }\n\
         #[funcache::cache]\npub fn no_conversion(a: Align) -> u8 { match a { Align::L => 1, Align::R => 2 } }\n");
    let a = f.analyze("src/lib.rs", "to_char");
    assert!(
        has(&a, "crate::<char as From<Align>>::from"),
        "{:?}",
        paths(&a)
    );
    // A conversion of a type the closure never has is not reached.
    assert!(
        !has(&a, "crate::<char as From<Unrelated>>::from"),
        "{:?}",
        paths(&a)
    );
    let b = f.analyze("src/lib.rs", "to_u8");
    assert!(
        has(&b, "crate::<u8 as TryFrom<Align>>::try_from"),
        "{:?}",
        paths(&b)
    );
    let c = f.analyze("src/lib.rs", "question");
    assert!(
        has(&c, "crate::<std::fmt::Error as From<Oops>>::from"),
        "{:?}",
        paths(&c)
    );
    // `From` impls out of a type the closure has come with it, converting
    // code or not: std functions taking `impl Into<…>` run them unnamed
    // (see `from_impls_out_of_a_crate_type_join_with_it`). No std function
    // takes `impl TryInto<…>`: `TryFrom` impls wait for code that converts.
    let d = f.analyze("src/lib.rs", "no_conversion");
    assert!(
        has(&d, "crate::<char as From<Align>>::from"),
        "{:?}",
        paths(&d)
    );
    assert!(
        !has(&d, "crate::<u8 as TryFrom<Align>>::try_from"),
        "{:?}",
        paths(&d)
    );
    let before = a.fingerprint;
    f.edit("src/lib.rs", "Align::R => '>'", "Align::R => ']'");
    assert_ne!(f.analyze("src/lib.rs", "to_char").fingerprint, before);
}

/// A method called on a std container never resolves to a crate method of
/// the same name; a local trait implemented for that std type does.
#[test]
fn methods_on_std_values_skip_same_named_crate_methods() {
    let f = lib("use std::collections::HashMap;\n\
         pub struct Stack { v: Vec<u32> }\n\
         impl Stack { pub fn push(&mut self, x: u32) { self.v.push(x) } pub fn len(&self) -> usize { 0 } pub fn insert(&mut self) {} pub fn get(&self) {} }\n\
         impl Iterator for Stack { type Item = u32; fn next(&mut self) -> Option<u32> { None } }\n\
         pub trait Shout { fn shout(&self) -> String; }\n\
         impl Shout for String { fn shout(&self) -> String { self.to_uppercase() } }\n\
         impl Shout for Stack { fn shout(&self) -> String { String::new() } }\n\
         impl Shout for u32 { fn shout(&self) -> String { String::new() } }\n\
         #[funcache::cache]\npub fn std_only() -> usize {\n\
             let mut v = Vec::new();\n    v.push(1);\n\
             let mut w = vec![1, 2];\n    w.push(3);\n\
             let mut s = String::new();\n    s.push('a');\n\
             let mut m = HashMap::new();\n    m.insert(1, 2);\n    m.get(&1);\n\
             let c = w.iter().map(|x| x + 1).collect::<Vec<_>>();\n\
             let mut it = c.iter();\n    it.next();\n\
             let n = 5u32;\n    n.len_utf8_not_a_method();\n\
             7.shout().len() + s.shout().len() + v.len() + w.len() + m.len() + c.len()\n}\n");
    let a = f.analyze("src/lib.rs", "std_only");
    let p = paths(&a);
    for absent in [
        "crate::Stack::push",
        "crate::Stack::len",
        "crate::Stack::insert",
        "crate::Stack::get",
        "crate::<Stack as Iterator>::next",
        "crate::<Stack as Shout>::shout",
    ] {
        assert!(!has(&a, absent), "{absent} in {p:?}");
    }
    assert!(has(&a, "crate::<String as Shout>::shout"), "{p:?}");
    // An integer literal may be any integer type: its impls are kept.
    assert!(has(&a, "crate::<u32 as Shout>::shout"), "{p:?}");
}

/// A generic fn's trait calls are served by the impls of the types the
/// closure instantiates it with, not by every impl of the trait.
#[test]
fn trait_impls_join_only_with_types_the_closure_has() {
    let f = lib("pub trait Weight { fn weight(&self) -> u32; }\n\
         pub struct Item;\npub struct Other;\n\
         impl Weight for Item { fn weight(&self) -> u32 { 1 } }\n\
         impl Weight for Other { fn weight(&self) -> u32 { 2 } }\n\
         impl Weight for u8 { fn weight(&self) -> u32 { 3 } }\n\
         pub fn sum_weights<T: Weight>(xs: &[T]) -> u32 { let mut t = 0; for x in xs { t += x.weight(); } t }\n\
         #[funcache::cache]\npub fn instantiated() -> u32 { sum_weights::<Item>(&[Item]) }\n\
         #[funcache::cache]\npub fn open<T: Weight>(x: &T) -> u32 { x.weight() }\n\
         #[funcache::cache]\npub fn objects(xs: &[Box<dyn Weight>]) -> u32 { xs.iter().map(|x| x.weight()).sum() }\n\
         pub struct Registry { all: Vec<Box<dyn Weight>> }\n\
         impl Registry { pub fn total(&self) -> u32 { let mut t = 0; for x in &self.all { t += x.weight(); } t } }\n\
         #[funcache::cache]\npub fn via_field(r: &Registry) -> u32 { r.total() }\n");
    let a = f.analyze("src/lib.rs", "instantiated");
    let p = paths(&a);
    assert!(has(&a, "crate::<Item as Weight>::weight"), "{p:?}");
    assert!(!has(&a, "crate::<Other as Weight>::weight"), "{p:?}");
    // An impl for a std type may be instantiated by values the index
    // cannot type: kept.
    assert!(has(&a, "crate::<u8 as Weight>::weight"), "{p:?}");
    // A caller-chosen type (a generic root, trait objects from outside):
    // every impl of the trait.
    for root in ["open", "objects", "via_field"] {
        let b = f.analyze("src/lib.rs", root);
        assert!(
            has(&b, "crate::<Item as Weight>::weight")
                && has(&b, "crate::<Other as Weight>::weight"),
            "{root}: {:?}",
            paths(&b)
        );
    }
    let before = a.fingerprint;
    f.edit("src/lib.rs", "u32 { 2 }", "u32 { 20 }");
    assert_eq!(f.analyze("src/lib.rs", "instantiated").fingerprint, before);
}

/// `fn label<T: Display>(x: &T)` formats a type the caller picks: every
/// crate impl of the bound's traits (std ones included, derives too) is in
/// its closure, so editing one is never served stale.
#[test]
fn std_bounds_of_a_generic_root_bring_every_local_impl() {
    let f = lib("use std::fmt;\n\
         pub struct Square;\n\
         impl fmt::Display for Square { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"square\") } }\n\
         #[derive(Debug, Clone)]\npub struct Derived { x: u8 }\n\
         pub struct Boom;\n\
         impl fmt::Debug for Boom { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"boom\") } }\n\
         impl fmt::Display for Boom { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"b\") } }\n\
         impl std::error::Error for Boom {}\n\
         pub struct OnlyDebug;\n\
         impl fmt::Debug for OnlyDebug { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"d\") } }\n\
         #[funcache::cache]\npub fn label<T: fmt::Display>(x: &T) -> String { format!(\"<{x}>\") }\n\
         #[funcache::cache]\npub fn debug(x: &impl fmt::Debug) -> String { format!(\"{x:?}\") }\n\
         #[funcache::cache]\npub fn error(x: &dyn std::error::Error) -> String { x.to_string() }\n\
         #[funcache::cache]\npub fn concrete(x: u8) -> String { format!(\"{x}\") }\n");
    let a = f.analyze("src/lib.rs", "label");
    let p = paths(&a);
    assert!(has(&a, "crate::<Square as fmt::Display>::fmt"), "{p:?}");
    assert!(has(&a, "crate::<Boom as fmt::Display>::fmt"), "{p:?}");
    // A type with no impl of the bound: not reached.
    assert!(!has(&a, "crate::<OnlyDebug as fmt::Debug>::fmt"), "{p:?}");
    assert!(!has(&a, "crate::Derived"), "{p:?}");
    let d = f.analyze("src/lib.rs", "debug");
    assert!(
        has(&d, "crate::<OnlyDebug as fmt::Debug>::fmt"),
        "{:?}",
        paths(&d)
    );
    assert!(has(&d, "crate::Derived"), "derives count: {:?}", paths(&d));
    // `Error: Debug + Display`.
    let e = f.analyze("src/lib.rs", "error");
    assert!(
        has(&e, "crate::<Square as fmt::Display>::fmt"),
        "{:?}",
        paths(&e)
    );
    assert!(
        has(&e, "crate::<OnlyDebug as fmt::Debug>::fmt"),
        "{:?}",
        paths(&e)
    );
    // A caller-chosen type may be a dependency's: its version counts.
    assert!(
        a.externals.iter().any(|x| x.starts_with("funcache@")),
        "{:?}",
        a.externals
    );
    let c = f.analyze("src/lib.rs", "concrete");
    assert_eq!(c.externals, ["fixture edition=2021"]);
    assert!(
        !has(&c, "crate::<Square as fmt::Display>::fmt"),
        "{:?}",
        paths(&c)
    );
    let before = a.fingerprint;
    f.edit("src/lib.rs", "\"square\"", "\"SQUARE\"");
    assert_ne!(f.analyze("src/lib.rs", "label").fingerprint, before);
}

/// std derives are the type's fields seen through a std trait: adding or
/// removing one changes nothing the closure can observe unless the closure
/// uses it (then it does not compile without it). Other derives (serde's)
/// decide how values are encoded and stay in the type's hash.
#[test]
fn std_derive_lists_do_not_change_the_hash_but_others_do() {
    let f = lib("#[derive(Debug)]\npub struct Out { pub x: u8 }\n\
         #[funcache::cache]\npub fn make() -> Out { Out { x: 1 } }\n");
    let before = f.analyze("src/lib.rs", "make").fingerprint;
    f.edit(
        "src/lib.rs",
        "#[derive(Debug)]",
        "#[derive(Debug, Clone, PartialEq)]",
    );
    assert_eq!(f.analyze("src/lib.rs", "make").fingerprint, before);
    f.edit(
        "src/lib.rs",
        "#[derive(Debug, Clone, PartialEq)]",
        "#[derive(Debug, Clone, PartialEq, serde::Serialize)]",
    );
    assert_ne!(f.analyze("src/lib.rs", "make").fingerprint, before);
}

/// `cfg_attr(feature = "x", derive(...))` names crate `x` only when the
/// feature can be on; the derive list of an item under an inactive
/// `cfg_attr` adds no external.
#[test]
fn cfg_attr_derives_name_their_crate() {
    let f = Fixture::new(&[
        (
            "Cargo.toml",
            "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfuncache = \"0.1\"\nserde = { version = \"1\", optional = true }\n",
        ),
        (
            "src/lib.rs",
            "#[cfg_attr(feature = \"serde\", derive(serde::Serialize))]\npub struct Out { pub x: u8 }\n\
             #[funcache::cache]\npub fn make() -> Out { Out { x: 1 } }\n",
        ),
    ]);
    let a = f.analyze("src/lib.rs", "make");
    assert!(
        a.externals.iter().all(|e| !e.starts_with("serde")),
        "{:?}",
        a.externals
    );
}

/// Named format arguments and inline captures are not paths.
#[test]
fn named_format_arguments_are_not_unresolved() {
    let f = lib("const WIDTH: usize = 4;\n\
         #[funcache::cache]\npub fn pad(n: usize, s: &str) -> String {\n\
             let a = format!(\"{:width$}|{s:>w2$}|{x}\", \"\", width = n, w2 = WIDTH, x = s.len());\n\
             let b = format!(\"{s:0$}{WIDTH}\", n);\n\
             a + &b\n}\n");
    let a = f.analyze("src/lib.rs", "pad");
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    assert!(has(&a, "crate::WIDTH"), "{:?}", paths(&a));
}

/// A method called on a receiver the index cannot type resolves to the
/// same-named methods of the types the closure has (a value of a crate
/// type comes from code that names it), not of every type in the crate.
#[test]
fn unknown_receivers_resolve_among_the_closures_types() {
    let f = lib("use std::ops::Deref;\n\
         pub struct A;\npub struct B;\npub struct W(A);\n\
         impl A { pub fn go(&self) -> u32 { 1 } }\n\
         impl B { pub fn go(&self) -> u32 { 2 } }\n\
         impl Deref for W { type Target = A; fn deref(&self) -> &A { &self.0 } }\n\
         fn make() -> W { W(A) }\n\
         #[funcache::cache]\npub fn root() -> u32 { [make()].iter().map(|x| x.go()).sum() }\n");
    let a = f.analyze("src/lib.rs", "root");
    let p = paths(&a);
    // Through `W`'s `Deref` impl, whose target is `A`.
    assert!(has(&a, "crate::A::go"), "{p:?}");
    assert!(!has(&a, "crate::B::go"), "{p:?}");
}

/// A crate type's `Debug` impl comes with the type: it runs where no code
/// names it (a `{:?}` built by `concat!`, an `unwrap` message read back
/// through `catch_unwind`), so every closure that has the type has it.
/// Found stale by a trial when it joined only code that formatted.
#[test]
fn debug_impls_join_with_the_type() {
    let f = lib("use std::fmt;\n\
         pub struct S { pub x: u8 }\n\
         impl fmt::Debug for S { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"S{}\", self.x) } }\n\
         impl Clone for S { fn clone(&self) -> S { S { x: self.x } } }\n\
         impl funcache::Debug for S { fn show(&self) -> u8 { self.x } }\n\
         fn make() -> S { S { x: 1 } }\n\
         #[funcache::cache]\npub fn plain() -> u8 { make().x }\n\
         #[funcache::cache]\npub fn formats() -> String { format!(\"{:?}\", make()) }\n\
         #[funcache::cache]\npub fn concat_debug() -> String { format!(concat!(\"<{:\", \"?\", \"}>\"), make()) }\n\
         #[funcache::cache]\npub fn panic_message() -> String {\n\
             let r: Result<u8, S> = Err(make());\n\
             std::panic::catch_unwind(move || r.unwrap()).err()\n\
                 .and_then(|e| e.downcast_ref::<String>().cloned()).unwrap_or_default()\n\
         }\n");
    for root in ["plain", "formats", "concat_debug", "panic_message"] {
        let a = f.analyze("src/lib.rs", root);
        assert!(
            has(&a, "crate::<S as fmt::Debug>::fmt"),
            "{root}: {:?}",
            paths(&a)
        );
        assert!(has(&a, "crate::<S as Clone>::clone"), "{:?}", paths(&a));
        // Another crate's trait that happens to be called `Debug`.
        assert!(
            has(&a, "crate::<S as funcache::Debug>::show"),
            "{:?}",
            paths(&a)
        );
    }
}

/// A crate type's `Hash` impl comes with the type: code hashes without
/// naming anything with `Hash` in it (`use std::collections::HashSet as
/// Set`, an external map). Found stale by a trial when it joined only
/// code that named a hashing type.
#[test]
fn hash_impls_join_with_the_type() {
    let f = lib(
        "use std::collections::HashSet as Set;\nuse std::hash::{Hash, Hasher};\n\
         #[derive(PartialEq, Eq)]\npub struct K { pub x: u8 }\n\
         impl Hash for K { fn hash<H: Hasher>(&self, h: &mut H) { self.x.hash(h) } }\n\
         fn make() -> K { K { x: 1 } }\n\
         #[funcache::cache]\npub fn plain() -> bool { make() == make() }\n\
         #[funcache::cache]\npub fn renamed() -> usize { let s: Set<K> = [make()].into_iter().collect(); s.len() }\n",
    );
    for root in ["plain", "renamed"] {
        let a = f.analyze("src/lib.rs", root);
        assert!(
            has(&a, "crate::<K as Hash>::hash"),
            "{root}: {:?}",
            paths(&a)
        );
    }
}

/// An impl converting a crate type into a std one runs inside std
/// functions that take `impl Into<…>` (`io::Error::other`), where the
/// closure names no conversion: it comes with the crate type. An impl
/// converting into a crate type still waits for code that converts.
/// Found stale by a trial.
#[test]
fn from_impls_out_of_a_crate_type_join_with_it() {
    let f = lib("pub struct Oops(pub u32);\n\
         impl From<Oops> for Box<dyn std::error::Error + Send + Sync> {\n\
             fn from(o: Oops) -> Self { format!(\"oops {}\", o.0).into() }\n\
         }\n\
         pub struct Mine(pub u32);\n\
         impl From<u32> for Mine { fn from(x: u32) -> Mine { Mine(x + 1) } }\n\
         #[funcache::cache]\npub fn io_message(x: u32) -> String { std::io::Error::other(Oops(x)).to_string() }\n\
         #[funcache::cache]\npub fn built(x: u32) -> u32 { Mine(x).0 }\n\
         #[funcache::cache]\npub fn converted(x: u32) -> u32 { let m: Mine = x.into(); m.0 }\n");
    let a = f.analyze("src/lib.rs", "io_message");
    assert!(
        has(
            &a,
            "crate::<Box<dyn std::error::Error+Send+Sync> as From<Oops>>::from"
        ),
        "{:?}",
        paths(&a)
    );
    let b = f.analyze("src/lib.rs", "built");
    assert!(
        !has(&b, "crate::<Mine as From<u32>>::from"),
        "{:?}",
        paths(&b)
    );
    let c = f.analyze("src/lib.rs", "converted");
    assert!(
        has(&c, "crate::<Mine as From<u32>>::from"),
        "{:?}",
        paths(&c)
    );
}

/// `T: Interval` where `trait Interval: Debug + Ord` can only be a type
/// implementing `Interval`: those types (with their std impls) join, not
/// every `Debug`/`Ord` impl of the crate. A blanket impl's bounds widen it.
#[test]
fn crate_trait_bounds_open_only_their_implementors() {
    let f = lib("use std::fmt;\n\
         pub trait Interval: fmt::Debug + Ord { fn lo(&self) -> u32; }\n\
         #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]\npub struct R(u32);\n\
         impl Interval for R { fn lo(&self) -> u32 { self.0 } }\n\
         pub struct Unrelated;\n\
         impl fmt::Debug for Unrelated { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"u\") } }\n\
         impl fmt::Display for Unrelated { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"u\") } }\n\
         pub trait Shout { fn shout(&self) -> String; }\n\
         impl<X: fmt::Display> Shout for X { fn shout(&self) -> String { self.to_string() } }\n\
         #[funcache::cache]\npub fn first<T: Interval>(xs: &[T]) -> String { format!(\"{:?}\", xs.iter().min()) }\n\
         #[funcache::cache]\npub fn loud<T: Shout>(x: &T) -> String { x.shout() }\n");
    let a = f.analyze("src/lib.rs", "first");
    let p = paths(&a);
    assert!(has(&a, "crate::<R as Interval>::lo"), "{p:?}");
    assert!(has(&a, "crate::R"), "{p:?}");
    assert!(!has(&a, "crate::<Unrelated as fmt::Debug>::fmt"), "{p:?}");
    let b = f.analyze("src/lib.rs", "loud");
    assert!(
        has(&b, "crate::<Unrelated as fmt::Display>::fmt"),
        "{:?}",
        paths(&b)
    );
}

/// `v.iter().map(|x| x.go())` on a known collection: `x` is an element,
/// so only its type's `go` is reached.
#[test]
fn closure_parameters_of_iterator_adaptors_are_elements() {
    let f = lib("pub struct A;\npub struct B;\n\
         impl A { pub fn go(&self) -> u32 { 1 } }\n\
         impl B { pub fn go(&self) -> u32 { 2 } }\n\
         #[funcache::cache]\npub fn root(b: u8) -> u32 {\n\
             let _other = B;\n\
             let v = vec![A, A];\n\
             let xs: Vec<A> = Vec::new();\n\
             v.len() as u32 + xs.iter().map(|x| x.go()).sum::<u32>() + xs.iter().filter(|x| x.go() > b as u32).count() as u32\n}\n");
    let a = f.analyze("src/lib.rs", "root");
    let p = paths(&a);
    assert!(has(&a, "crate::A::go"), "{p:?}");
    assert!(!has(&a, "crate::B::go"), "{p:?}");
}

/// A smart pointer made by a std constructor that does not say what it
/// points to stays unknown: its methods are the pointee's.
#[test]
fn smart_pointer_constructors_keep_the_pointees_methods() {
    let f = lib("use std::rc::Rc;\nuse std::sync::LazyLock;\n\
         pub struct A;\nimpl A { pub fn go(&self) -> u32 { 1 } }\n\
         static SHARED: LazyLock<A> = LazyLock::new(|| A);\n\
         #[funcache::cache]\npub fn boxed() -> u32 { let b = Box::from(A); let r = Rc::from(b); r.go() }\n\
         #[funcache::cache]\npub fn lazy() -> u32 { SHARED.go() }\n");
    for root in ["boxed", "lazy"] {
        let a = f.analyze("src/lib.rs", root);
        assert!(has(&a, "crate::A::go"), "{root}: {:?}", paths(&a));
    }
}

/// `m.lock()` is a `Result` for std's `Mutex` and the guard itself for
/// parking_lot's: a method called either way is the protected type's.
#[test]
fn lock_guards_reach_the_protected_types_methods() {
    let f = lib("use std::sync::Mutex;\n\
         pub struct A;\nimpl A { pub fn go(&self) -> u32 { 1 } }\n\
         pub struct Shared { m: Mutex<A> }\n\
         #[funcache::cache]\npub fn std_lock(s: &Shared) -> u32 { s.m.lock().unwrap().go() }\n\
         #[funcache::cache]\npub fn direct(s: &Shared) -> u32 { s.m.lock().go() }\n");
    for root in ["std_lock", "direct"] {
        let a = f.analyze("src/lib.rs", root);
        assert!(has(&a, "crate::A::go"), "{root}: {:?}", paths(&a));
    }
}

/// A returned value is decoded on a hit: functions serde's derives call by
/// a path in a string are part of what the cached fn returns.
#[test]
fn serde_attribute_paths_are_references() {
    let f = lib("mod defaults { pub fn port() -> u16 { 80 } }\n\
         mod hexed { pub fn serialize() {} pub fn deserialize() {} }\n\
         pub struct Raw(u8);\n\
         impl From<Raw> for Out { fn from(r: Raw) -> Out { Out { port: r.0 as u16, data: 0 } } }\n\
         #[derive(serde::Deserialize)]\n#[serde(from = \"Raw\")]\npub struct Out {\n\
             #[serde(default = \"defaults::port\")]\n    pub port: u16,\n\
             #[serde(with = \"hexed\")]\n    pub data: u8,\n}\n\
         #[funcache::cache]\npub fn make() -> Out { Out { port: 1, data: 2 } }\n");
    let a = f.analyze("src/lib.rs", "make");
    let p = paths(&a);
    for present in [
        "crate::defaults::port",
        "crate::hexed::serialize",
        "crate::hexed::deserialize",
        "crate::Raw",
        "crate::<Out as From<Raw>>::from",
    ] {
        assert!(has(&a, present), "{present} not in {p:?}");
    }
    assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
}

/// Trait objects in a static may hold values made anywhere: their traits,
/// std ones included, are open. A field's trait object of a std trait is
/// filled by code the closure has (or came in serialized).
#[test]
fn trait_objects_in_statics_open_std_traits() {
    let f = lib("use std::fmt;\nuse std::sync::Mutex;\n\
         pub struct Square;\n\
         impl fmt::Display for Square { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"square\") } }\n\
         pub static HOOKS: Mutex<Vec<Box<dyn fmt::Display + Send>>> = Mutex::new(Vec::new());\n\
         pub struct Holder { pub shown: Box<dyn fmt::Display> }\n\
         #[funcache::cache]\npub fn hooks() -> usize { HOOKS.lock().unwrap().len() }\n\
         #[funcache::cache]\npub fn holder(n: u8) -> String { let h = Holder { shown: Box::new(n) }; h.shown.to_string() }\n");
    let a = f.analyze("src/lib.rs", "hooks");
    assert!(
        has(&a, "crate::<Square as fmt::Display>::fmt"),
        "{:?}",
        paths(&a)
    );
    let b = f.analyze("src/lib.rs", "holder");
    assert!(
        !has(&b, "crate::<Square as fmt::Display>::fmt"),
        "{:?}",
        paths(&b)
    );
}
