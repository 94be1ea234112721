//! Paths through type parameters: a generic body names its callee through
//! a parameter (`I::create`), an associated type (`I::Bound::max_value`,
//! `<I as Interval>::Bound::max_value`) or `Self` in a trait's default
//! method, and the impls that answer it must be in the closure, or editing
//! them serves a stale value. The roots here are not generic: the impls
//! come from the paths, not from the root's open bounds.

use super::*;

/// regex-syntax's `IntervalSet<I>` in small: bounds for `u8` and `char`,
/// intervals whose bound is an associated type.
const INTERVALS: &str = "pub trait Bound: Copy {\n\
         fn max_value() -> Self;\n    fn min_value() -> Self;\n    fn as_u32(self) -> u32;\n}\n\
     impl Bound for u8 { fn max_value() -> Self { 0xFF } fn min_value() -> Self { 0 } fn as_u32(self) -> u32 { self as u32 } }\n\
     impl Bound for char { fn max_value() -> Self { '\\u{10FFFF}' } fn min_value() -> Self { '\\0' } fn as_u32(self) -> u32 { self as u32 } }\n\
     pub trait Shout { fn shout() -> u32; }\n\
     impl Shout for char { fn shout() -> u32 { 7 } }\n\
     pub trait Interval: Copy {\n    type Bound: Bound;\n    const FIRST: Self::Bound;\n\
         fn upper(&self) -> Self::Bound;\n    fn as_u32(&self) -> u32;\n\
         fn top() -> u32 { Self::Bound::max_value().as_u32() }\n}\n\
     #[derive(Clone, Copy)]\npub struct Range(char);\n\
     impl Interval for Range { type Bound = char; const FIRST: char = 'a'; fn upper(&self) -> char { self.0 } fn as_u32(&self) -> u32 { 0 } }\n\
     pub struct Set<I> { pub items: Vec<I> }\n";

fn intervals(rest: &str) -> Fixture {
    Fixture::new(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", &format!("{INTERVALS}{rest}")),
    ])
}

/// Asserts that `root`'s closure has `<char as Bound>::max_value` and that
/// editing it changes the fingerprint.
fn reaches_char_max_value(f: &Fixture, root: &str) {
    let a = f.analyze("src/lib.rs", root);
    assert!(
        has(&a, "crate::<char as Bound>::max_value"),
        "{root}: {:?}",
        paths(&a)
    );
    f.edit("src/lib.rs", "'\\u{10FFFF}'", "'\\u{10FFFE}'");
    assert_ne!(f.analyze("src/lib.rs", root).fingerprint, a.fingerprint);
}

#[test]
fn fn_type_parameter_projection() {
    let f = intervals(
        "fn top_of<I: Interval>() -> u32 { I::Bound::max_value().as_u32() }\n\
         #[funcache::cache]\npub fn root() -> u32 { top_of::<Range>() }\n",
    );
    reaches_char_max_value(&f, "root");
}

#[test]
fn impl_type_parameter_projection() {
    let f = intervals(
        "impl<I: Interval> Set<I> { pub fn top(&self) -> u32 { I::Bound::max_value().as_u32() } }\n\
         #[funcache::cache]\npub fn root() -> u32 { Set::<Range> { items: Vec::new() }.top() }\n",
    );
    reaches_char_max_value(&f, "root");
}

/// A where-clause bounds the associated type with another trait: its impls
/// answer `I::Bound::shout()`.
#[test]
fn associated_type_bounded_by_a_where_clause() {
    let f = intervals(
        "fn loud<I>() -> u32 where I: Interval, I::Bound: Shout { I::Bound::shout() }\n\
         #[funcache::cache]\npub fn root() -> u32 { loud::<Range>() }\n",
    );
    let a = f.analyze("src/lib.rs", "root");
    assert!(has(&a, "crate::<char as Shout>::shout"), "{:?}", paths(&a));
    // A type parameter bounded by nothing the crate declares: every item
    // of that name.
    let g = intervals(
        "fn unbounded<I: Copy>() -> u32 { I::Bound::shout() }\n\
         #[funcache::cache]\npub fn root() -> u32 { unbounded::<Range>() }\n",
    );
    let b = g.analyze("src/lib.rs", "root");
    assert!(has(&b, "crate::<char as Shout>::shout"), "{:?}", paths(&b));
}

#[test]
fn qualified_paths_through_a_parameter() {
    let f = intervals(
        "fn qualified<I: Interval>() -> u32 { <I as Interval>::Bound::max_value().as_u32() }\n\
         fn of_bound<I: Interval>() -> u32 { <I::Bound as Bound>::min_value().as_u32() }\n\
         #[funcache::cache]\npub fn root() -> u32 { qualified::<Range>() + of_bound::<Range>() }\n",
    );
    let a = f.analyze("src/lib.rs", "root");
    assert!(
        has(&a, "crate::<char as Bound>::min_value"),
        "{:?}",
        paths(&a)
    );
    reaches_char_max_value(&f, "root");
}

#[test]
fn self_in_a_trait_default_method() {
    let f = intervals("#[funcache::cache]\npub fn root() -> u32 { Range::top() }\n");
    reaches_char_max_value(&f, "root");
}

/// `I::FIRST` is a value of type `I::Bound`, not `I`: its method is
/// `Bound::as_u32`, not `Interval::as_u32`. So is a parameter of type
/// `I::Bound`.
#[test]
fn method_on_a_value_of_parameter_type() {
    let f = intervals(
        "fn first<I: Interval>() -> u32 { I::FIRST.as_u32() }\n\
         fn by_param<I: Interval>(b: I::Bound) -> u32 { b.as_u32() }\n\
         #[funcache::cache]\npub fn root() -> u32 { first::<Range>() }\n\
         #[funcache::cache]\npub fn param_root() -> u32 { by_param::<Range>('y') }\n",
    );
    for root in ["root", "param_root"] {
        let a = f.analyze("src/lib.rs", root);
        assert!(
            has(&a, "crate::<char as Bound>::as_u32"),
            "{root}: {:?}",
            paths(&a)
        );
        // Not `Interval::as_u32` of the crate's intervals.
        assert!(
            !has(&a, "crate::<Range as Interval>::as_u32"),
            "{root}: {:?}",
            paths(&a)
        );
    }
    let before = f.analyze("src/lib.rs", "root").fingerprint;
    f.edit(
        "src/lib.rs",
        "'\\0' } fn as_u32(self) -> u32 { self as u32 }",
        "'\\0' } fn as_u32(self) -> u32 { self as u32 + 1 }",
    );
    assert_ne!(f.analyze("src/lib.rs", "root").fingerprint, before);
}

/// A bound whose trait declares nothing of that name (it is in a
/// supertrait): the supertrait's associated type answers the projection,
/// and an associated const is found among every item of its name.
#[test]
fn supertraits_answer_what_the_bound_does_not_declare() {
    let f = intervals(
        "pub trait Wide: Interval {}\nimpl Wide for Range {}\n\
         pub trait Limits { const LIMIT: u32; }\npub trait Capped: Limits {}\n\
         impl Limits for u8 { const LIMIT: u32 = 3; }\nimpl Capped for u8 {}\n\
         fn wide<I: Wide>() -> u32 { I::Bound::max_value().as_u32() }\n\
         fn limit<T: Capped>() -> u32 { T::LIMIT }\n\
         #[funcache::cache]\npub fn root() -> u32 { wide::<Range>() + limit::<u8>() }\n",
    );
    let a = f.analyze("src/lib.rs", "root");
    assert!(has(&a, "crate::<u8 as Limits>::LIMIT"), "{:?}", paths(&a));
    reaches_char_max_value(&f, "root");
}
