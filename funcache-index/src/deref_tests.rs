//! Method calls through auto-deref: a crate trait implemented for an
//! unsized or std type (`impl Shout for str`, `impl Total for [u8]`) is
//! reached from a receiver that derefs to it (`String`, `Vec<u8>`, `Box`,
//! `Rc`, `Cow`, an array, a crate type's `Deref`). Each test failed
//! before its fix: the impl was not in the closure, and an edit of its
//! body served the old value.

use crate::walker::closure_of;

const SHOUT: &str = "pub trait Shout { fn shout(&self) -> String; }\n\
     impl Shout for str { fn shout(&self) -> String { self.to_uppercase() } }\n";

const TOTAL: &str = "pub trait Total { fn total(&self) -> u32; }\n\
     impl Total for [u8] { fn total(&self) -> u32 { self.iter().map(|&b| b as u32).sum() } }\n";

fn reaches(lib_rs: &str, f: &str, path: &str) {
    let closure = closure_of(lib_rs, f);
    assert!(
        closure.iter().any(|p| p == path),
        "{path} not reached from {f} of\n{lib_rs}\n{closure:?}"
    );
}

#[test]
fn impls_for_str_are_reached_from_strings_and_their_pointers() {
    for body in [
        "pub fn f(s: String) -> String { s.shout() }",
        "pub fn f(s: &String) -> String { s.shout() }",
        "pub fn f(s: &str) -> String { s.shout() }",
        "pub fn f(s: Box<str>) -> String { s.shout() }",
        "pub fn f(s: std::rc::Rc<String>) -> String { s.shout() }",
        "pub fn f(s: std::sync::Arc<str>) -> String { s.shout() }",
        "pub fn f(s: std::borrow::Cow<'_, str>) -> String { s.shout() }",
        "pub fn f(s: Box<String>) -> String { s.shout() }",
        "pub fn f(s: Option<String>) -> String { s.unwrap().shout() }",
        "pub fn f(s: &str) -> String { s.to_owned().shout() }",
        "pub fn f(s: &str) -> String { s.to_lowercase().shout() }",
        "pub fn f(s: &str) -> String { String::from(s).shout() }",
        "pub fn f() -> String { let s = String::new(); s.shout() }",
    ] {
        reaches(&format!("{SHOUT}{body}"), "f", "<str as Shout>::shout");
    }
}

#[test]
fn impls_for_slices_are_reached_from_vecs_arrays_and_pointers() {
    for body in [
        "pub fn f(v: Vec<u8>) -> u32 { v.total() }",
        "pub fn f(v: &Vec<u8>) -> u32 { v.total() }",
        "pub fn f(v: [u8; 4]) -> u32 { v.total() }",
        "pub fn f(v: Box<[u8]>) -> u32 { v.total() }",
        "pub fn f(v: std::rc::Rc<Vec<u8>>) -> u32 { v.total() }",
        "pub fn f(v: std::borrow::Cow<'_, [u8]>) -> u32 { v.total() }",
        "pub fn f() -> u32 { vec![1u8, 2].total() }",
        "pub fn f() -> u32 { Vec::<u8>::new().total() }",
    ] {
        reaches(&format!("{TOTAL}{body}"), "f", "<[u8] as Total>::total");
    }
}

#[test]
fn impls_are_reached_through_a_crate_types_deref() {
    let bytes = "pub struct Bytes(Vec<u8>);\n\
         impl std::ops::Deref for Bytes { type Target = [u8]; fn deref(&self) -> &[u8] { &self.0 } }\n\
         pub fn f(v: Vec<u8>) -> u32 { Bytes(v).total() }\n\
         pub fn g(b: &Bytes) -> u32 { b.total() }";
    reaches(&format!("{TOTAL}{bytes}"), "f", "<[u8] as Total>::total");
    reaches(&format!("{TOTAL}{bytes}"), "g", "<[u8] as Total>::total");
    // Through a chain: a crate type derefs to a `Vec`, which derefs to `[u8]`.
    let vecs = "pub struct Buf { v: Vec<u8> }\n\
         impl std::ops::Deref for Buf { type Target = Vec<u8>; fn deref(&self) -> &Vec<u8> { &self.v } }\n\
         pub fn f(b: Buf) -> u32 { b.total() }";
    reaches(&format!("{TOTAL}{vecs}"), "f", "<[u8] as Total>::total");
    // A generic wrapper whose target is its parameter.
    let wrap = "pub struct W<T>(T);\n\
         impl<T> std::ops::Deref for W<T> { type Target = T; fn deref(&self) -> &T { &self.0 } }\n\
         pub fn f(w: W<String>) -> String { w.shout() }";
    reaches(&format!("{SHOUT}{wrap}"), "f", "<str as Shout>::shout");
    // Found on the outer type too: both are candidates.
    let both = "pub struct S(String);\n\
         impl Shout for S { fn shout(&self) -> String { String::new() } }\n\
         impl std::ops::Deref for S { type Target = str; fn deref(&self) -> &str { &self.0 } }\n\
         pub fn f(s: S) -> String { s.shout() }";
    reaches(&format!("{SHOUT}{both}"), "f", "<S as Shout>::shout");
}

#[test]
fn an_external_type_may_deref_to_a_std_type() {
    // The index does not know what an external type derefs to: the impls
    // for std types of that name are candidates.
    let lib = format!(
        "{SHOUT}pub fn f(s: smol::Str) -> String {{ s.shout() }}\n\
         pub fn g(s: ext::Guard<String>) -> String {{ s.shout() }}"
    );
    reaches(&lib, "f", "<str as Shout>::shout");
    reaches(&lib, "g", "<str as Shout>::shout");
}

#[test]
fn unknown_receivers_reach_impls_for_std_types_by_name() {
    let lib = format!(
        "{SHOUT}{TOTAL}pub fn f(x: impl Sized) -> String {{ x.shout() }}\n\
         pub fn g<T>(x: T) -> u32 {{ x.total() }}"
    );
    reaches(&lib, "f", "<str as Shout>::shout");
    reaches(&lib, "g", "<[u8] as Total>::total");
}

#[test]
fn std_types_that_do_not_deref_skip_impls_for_str() {
    // Precision: an `Option<String>` has no `shout`; a crate's impl for
    // another std type is no candidate of a known std receiver.
    let lib = format!(
        "{SHOUT}pub trait Len {{ fn len2(&self) -> usize; }}\n\
         impl Len for str {{ fn len2(&self) -> usize {{ 0 }} }}\n\
         impl Len for u32 {{ fn len2(&self) -> usize {{ 1 }} }}\n\
         pub fn f(x: u32) -> usize {{ x.len2() }}"
    );
    let closure = closure_of(&lib, "f");
    assert!(
        closure.iter().any(|p| p == "<u32 as Len>::len2"),
        "{closure:?}"
    );
    assert!(
        !closure.iter().any(|p| p == "<str as Len>::len2"),
        "{closure:?}"
    );
}

#[test]
fn impls_for_string_are_reached_from_owned_copies_of_strs() {
    let lib = "pub trait Loud { fn loud(&self) -> String; }\n\
         impl Loud for String { fn loud(&self) -> String { self.clone() } }\n";
    for body in [
        "pub fn f(s: &str) -> String { s.to_owned().loud() }",
        "pub fn f(s: &str) -> String { s.to_string().loud() }",
        "pub fn f(s: &str) -> String { s.to_lowercase().loud() }",
        "pub fn f(s: &str) -> String { s.trim().to_owned().loud() }",
    ] {
        reaches(&format!("{lib}{body}"), "f", "<String as Loud>::loud");
    }
}
