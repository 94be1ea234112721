//! Sets of traits a closure carries from item to item: the traits it has
//! *opened* (every impl of them joins, see [`crate::session::open_bounds`]) and the
//! gated std traits its code may use (their impls join only then).

use std::collections::BTreeSet;

use crate::ids::ItemRef;

/// Traits whose impls for every type are in the closure.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub(crate) struct Open {
    /// Traits of crates in the world.
    pub local: BTreeSet<ItemRef>,
    /// std or external traits, by their last path segment (`Display`).
    pub foreign: BTreeSet<String>,
}

impl Open {
    pub fn is_empty(&self) -> bool {
        self.local.is_empty() && self.foreign.is_empty()
    }

    pub fn add(&mut self, other: &Open) {
        self.local.extend(other.local.iter().copied());
        self.foreign.extend(other.foreign.iter().cloned());
    }

    pub fn contains(&self, other: &Open) -> bool {
        self.local.is_superset(&other.local) && self.foreign.is_superset(&other.foreign)
    }
}

/// std traits whose impls for the closure's types join only where code may
/// call them. Every other std or external trait's impls come with the type
/// (operators, `Drop`, `Deref`, `Clone`, `PartialEq`, serde … run from code
/// that need not name them).
///
/// * `Debug` runs where code formats with `{:?}` (`format!`, `write!`,
///   `dbg!`, any macro whose format string has a `?` spec), names `Debug`
///   (a bound, `dyn Debug`, `Debug::fmt`) or calls a `fmt` method. Other
///   callers only print (panics, `unwrap`) and produce no value.
/// * `Hash` runs where code names a hashing type or trait (any path with
///   `Hash` in a segment: `HashMap`, `HashSet`, `Hasher`, `BuildHasher`,
///   `FxHashMap` …), invokes a `hash…!` macro, or calls `hash`, `hash_one`
///   or `hash_slice`. A `Hash` impl consistent with `Eq` changes no lookup;
///   it changes results only through hash values or a deterministic
///   hasher's iteration order, which such code names.
/// * `From` runs through `T::from`, `.into()`, `Into::into`, `?`, or a
///   serde `from`/`into` attribute; `TryFrom` through `T::try_from`,
///   `.try_into()` or serde's `try_from`, and so does `From` (std's blanket
///   `TryFrom` over `Into`). Code that converts names one of those.
/// * Code of an external crate (not std) may use any of them on a value
///   of a crate type it is handed (`indexmap::IndexSet<K>` hashes `K`):
///   naming such code uses all of them.
pub(crate) const GATED: &[&str] = &["Debug", "Hash", "From", "TryFrom"];

/// Which of [`GATED`] the code may use.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uses(u8);

impl Uses {
    pub fn note(&mut self, trait_name: &str) {
        if let Some(i) = GATED.iter().position(|g| *g == trait_name) {
            self.0 |= 1 << i;
        }
    }

    pub fn has(&self, trait_name: &str) -> bool {
        GATED
            .iter()
            .position(|g| *g == trait_name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    pub fn add(&mut self, other: Uses) {
        self.0 |= other.0;
    }

    /// One bit per [`GATED`] trait, in its order (for the node cache).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The set [`Uses::bits`] gave; `None` for bits no trait has.
    pub fn from_bits(bits: u8) -> Option<Uses> {
        (u32::from(bits) < 1 << GATED.len()).then_some(Uses(bits))
    }

    /// The gated traits a path names (`fmt::Debug`, `HashMap`).
    pub fn note_path(&mut self, segs: &[String]) {
        for s in segs {
            self.note_ident(s);
        }
    }

    pub fn note_ident(&mut self, ident: &str) {
        if ident == "Debug" {
            self.note("Debug");
        }
        if ident.contains("Hash") {
            self.note("Hash");
        }
        match ident {
            "From" | "Into" | "from" | "into" => self.note("From"),
            "TryFrom" | "TryInto" | "try_from" | "try_into" => self.note_try_from(),
            _ => {}
        }
    }

    /// `TryFrom`, and `From` with it: std's `impl<T, U: Into<T>>
    /// TryFrom<U> for T` runs a local `From` for every `try_from` and
    /// `try_into` no local `TryFrom` answers.
    fn note_try_from(&mut self) {
        self.note("TryFrom");
        self.note("From");
    }

    /// Every gated trait: code outside the crates (an external crate's
    /// generic functions and types) may call any of them on the values the
    /// closure hands it.
    pub fn note_all(&mut self) {
        for name in GATED {
            self.note(name);
        }
    }

    pub fn note_method(&mut self, name: &str) {
        match name {
            "fmt" => self.note("Debug"),
            "hash" | "hash_one" | "hash_slice" => self.note("Hash"),
            "into" | "from" => self.note("From"),
            "try_into" | "try_from" => self.note_try_from(),
            _ => {}
        }
    }

    pub fn note_macro(&mut self, name: &str) {
        if name == "dbg" {
            self.note("Debug");
        }
        if name.contains("hash") {
            self.note("Hash");
        }
    }

    /// A `Debug` spec in a format string (`{:?}`, `{x:#?}`, `{:x?}`).
    pub fn note_format_string(&mut self, text: &str) {
        if text.contains("?}") {
            self.note("Debug");
        }
    }
}

/// Whether impls of std trait `name` wait for a use (see [`GATED`]).
pub(crate) fn is_gated(name: &str) -> bool {
    GATED.contains(&name)
}

/// Folds newly opened traits into `applied` and returns what to add.
pub(crate) fn newly_open(open: &Open, applied: &mut Open) -> Option<Open> {
    if applied.contains(open) {
        return None;
    }
    let fresh = Open {
        local: open.local.difference(&applied.local).copied().collect(),
        foreign: open.foreign.difference(&applied.foreign).cloned().collect(),
    };
    applied.local.extend(fresh.local.iter().copied());
    applied.foreign.extend(fresh.foreign.iter().cloned());
    Some(fresh)
}
