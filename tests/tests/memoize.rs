//! `funcache::memoize!`: caching functions that are not annotated.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        funcache::set_cache_dir(dir.join("cache")).unwrap();
    });
}

/// A module whose types are not imported where `memoize!` is used.
mod library {
    use serde::{Deserialize, Serialize};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[derive(Serialize)]
    pub struct Query {
        pub term: String,
        pub limit: usize,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Hits(pub Vec<String>);

    pub fn search(query: &Query, corpus: &[&str]) -> Hits {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Hits(
            corpus
                .iter()
                .filter(|line| line.contains(&query.term))
                .take(query.limit)
                .map(|line| line.to_string())
                .collect(),
        )
    }

    pub static PARSE_RUNS: AtomicUsize = AtomicUsize::new(0);

    pub fn parse_all<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, String> {
        PARSE_RUNS.fetch_add(1, Ordering::SeqCst);
        text.split(',')
            .map(|part| part.trim().parse().map_err(|_| format!("bad: {part}")))
            .collect()
    }

    pub struct Scale;

    pub static SCALE_RUNS: AtomicUsize = AtomicUsize::new(0);

    impl Scale {
        pub fn apply(factor: u32, x: u32) -> u32 {
            SCALE_RUNS.fetch_add(1, Ordering::SeqCst);
            factor * x
        }
    }
}

#[test]
fn wraps_a_function_whose_types_are_not_in_scope() {
    setup();
    let search = funcache::memoize!(library::search);
    let corpus = ["alpha beta", "beta gamma", "delta"];
    let query = library::Query {
        term: "beta".into(),
        limit: 5,
    };
    let first = search(&query, &corpus);
    assert_eq!(first.0, ["alpha beta", "beta gamma"]);
    assert_eq!(search(&query, &corpus), first);
    assert_eq!(library::RUNS.load(Ordering::SeqCst), 1);

    // Another `memoize!` of the same function shares its entries.
    let elsewhere = funcache::memoize!(crate::library::search);
    assert_eq!(elsewhere(&query, &corpus), first);
    assert_eq!(library::RUNS.load(Ordering::SeqCst), 1);
    let other = library::Query {
        term: "delta".into(),
        limit: 5,
    };
    assert_eq!(elsewhere(&other, &corpus).0, ["delta"]);
    assert_eq!(library::RUNS.load(Ordering::SeqCst), 2);
}

#[test]
fn generic_instantiations_and_result_policy() {
    setup();
    let as_u8 = funcache::memoize!(library::parse_all::<u8>);
    let as_i32 = funcache::memoize!(library::parse_all::<i32>);
    assert_eq!(as_u8("1, 2"), Ok(vec![1u8, 2]));
    assert_eq!(
        as_i32("1, 2"),
        Ok(vec![1i32, 2]),
        "another instantiation, another entry"
    );
    assert_eq!(as_u8("1, 2"), Ok(vec![1u8, 2]));
    assert_eq!(library::PARSE_RUNS.load(Ordering::SeqCst), 2);
    assert!(as_u8("1, 300").is_err());
    assert!(as_u8("1, 300").is_err());
    assert_eq!(
        library::PARSE_RUNS.load(Ordering::SeqCst),
        4,
        "errors are not stored"
    );
}

#[test]
fn associated_functions_and_disk_only() {
    setup();
    let apply = funcache::memoize!(library::Scale::apply, memory = 0);
    assert_eq!(apply(3, 4), 12);
    assert_eq!(apply(3, 4), 12);
    assert_eq!(library::SCALE_RUNS.load(Ordering::SeqCst), 1);
}

static LOCAL_RUNS: AtomicUsize = AtomicUsize::new(0);

fn local(x: u64) -> u64 {
    LOCAL_RUNS.fetch_add(1, Ordering::SeqCst);
    x + 1
}

#[test]
fn the_closure_is_copy_and_can_be_passed_around() {
    setup();
    let cached = funcache::memoize!(local);
    let total: u64 = [1, 2, 1, 2].iter().map(|&x| cached(x)).sum();
    assert_eq!(total, 10);
    assert_eq!(LOCAL_RUNS.load(Ordering::SeqCst), 2);
    let copy = cached;
    assert_eq!(copy(1) + cached(1), 4);
}

static FROM_MACRO_RUNS: AtomicUsize = AtomicUsize::new(0);

fn from_macro(x: u64) -> u64 {
    FROM_MACRO_RUNS.fetch_add(1, Ordering::SeqCst);
    x * 3
}

/// `memoize!` inside a `macro_rules!` body: a path from the crate root
/// means the same function wherever the macro is invoked (a relative one
/// is refused: `ui/fail/memoize_relative_path_in_macro_definition.rs`).
macro_rules! memoized_from_macro {
    () => {
        funcache::memoize!(crate::from_macro)
    };
}

#[test]
fn a_crate_path_in_a_macro_body_names_one_function() {
    setup();
    let first = memoized_from_macro!();
    let second = memoized_from_macro!();
    assert_eq!(first(5), 15);
    assert_eq!(second(5), 15);
    assert_eq!(FROM_MACRO_RUNS.load(Ordering::SeqCst), 1);
}

/// Untagged: `Meters(n)` and `Feet(n)` both serialize as `n`.
mod lengths {
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(untagged)]
    pub enum Length {
        Meters(u32),
        Feet(u32),
    }

    pub fn in_feet(n: u32) -> Length {
        Length::Feet(n)
    }

    pub fn in_feet_or_error(n: u32) -> Result<Length, String> {
        Ok(Length::Feet(n))
    }
}

/// Regression: the encoding of an untagged enum names no variant, so
/// `Feet(3)` came back `Meters(3)` on every call; with the type's
/// `PartialEq` the value is refused and returned as computed.
#[test]
fn values_that_serialize_alike_are_checked_by_partial_eq() {
    use lengths::Length::Feet;
    setup();
    let in_feet = funcache::memoize!(lengths::in_feet);
    let on_disk = funcache::memoize!(lengths::in_feet, memory = 0);
    let or_error = funcache::memoize!(lengths::in_feet_or_error);
    let errors_cached = funcache::memoize!(lengths::in_feet_or_error, cache_errors);
    for _ in 0..2 {
        assert_eq!(in_feet(3), Feet(3));
        assert_eq!(on_disk(4), Feet(4));
        assert_eq!(or_error(5), Ok(Feet(5)));
        assert_eq!(errors_cached(6), Ok(Feet(6)));
    }
}
