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
/// (operators, `Drop`, `Deref`, `Clone`, `PartialEq`, `Debug`, `Hash`,
/// serde … run from code that need not name them).
///
/// * `From` runs through `T::from`, `.into()`, `Into::into`, `?`, or a
///   serde `from`/`into` attribute; `TryFrom` through `T::try_from`,
///   `.try_into()` or serde's `try_from`, and so does `From` (std's blanket
///   `TryFrom` over `Into`). Code that converts *into* a crate type names
///   one of those, or the type, which the closure then has. A `From` impl
///   that converts a crate type into another (`impl From<Oops> for
///   Box<dyn Error>`) does not wait: it runs inside std functions taking
///   `impl Into<…>` (`io::Error::other(Oops(1))`) and comes with the type.
///   No std function takes `impl TryInto<…>`.
/// * Code of an external crate (not std) may use any of them on a value
///   of a crate type it is handed: naming such code uses all of them.
///
/// `Debug` and `Hash` were gated once, on code naming them; trials found
/// them run unnamed (`{:?}` built by `concat!`, a `Result::unwrap` message
/// read back through `catch_unwind`, `HashSet` imported under another
/// name), and an edit of such an impl served an old result. They come with
/// the type now.
pub(crate) const GATED: &[&str] = &["From", "TryFrom"];

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
            "into" | "from" => self.note("From"),
            "try_into" | "try_from" => self.note_try_from(),
            _ => {}
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
