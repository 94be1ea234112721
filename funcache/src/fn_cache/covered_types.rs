//! The type names a generic function's calls have already found covered by
//! its fingerprint, so that the check (a parse of the name and a search of
//! the crate's type table per path in it) runs once per type, not once
//! per call.
//!
//! A name is `std::any::type_name` of a type parameter: a `&'static str`,
//! the same string on every call with that type. It is remembered by its
//! address and length, never compared by contents: a name not found here
//! (another string with the same text, or more types than slots) is simply
//! checked again.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many names one function remembers: a generic function is rarely
/// called with more types than this.
const SLOTS: usize = 8;

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct CoveredTypes {
    /// Each slot: the name's address (0: empty), written once, then its
    /// length. A reader that sees the address before the length finds a
    /// length of 0, which no type name has: no match, the name is checked.
    addresses: [AtomicUsize; SLOTS],
    lengths: [AtomicUsize; SLOTS],
}

impl CoveredTypes {
    pub(crate) const fn new() -> CoveredTypes {
        CoveredTypes {
            addresses: [const { AtomicUsize::new(0) }; SLOTS],
            lengths: [const { AtomicUsize::new(0) }; SLOTS],
        }
    }

    /// Whether `name` (this very string) was found covered before.
    #[inline]
    pub(crate) fn contains(&self, name: &str) -> bool {
        let address = name.as_ptr() as usize;
        self.addresses.iter().zip(&self.lengths).any(|(a, l)| {
            a.load(Ordering::Acquire) == address && l.load(Ordering::Acquire) == name.len()
        })
    }

    /// Remembers that `name` is covered, if a slot is free.
    pub(crate) fn insert(&self, name: &'static str) {
        let address = name.as_ptr() as usize;
        for (slot, length) in self.addresses.iter().zip(&self.lengths) {
            match slot.compare_exchange(0, address, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    length.store(name.len(), Ordering::Release);
                    return;
                }
                Err(taken) if taken == address => return,
                Err(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_names_by_their_string() {
        let covered = CoveredTypes::new();
        let name: &'static str = std::any::type_name::<Vec<u8>>();
        assert!(!covered.contains(name));
        covered.insert(name);
        assert!(covered.contains(name));
        // The same text elsewhere is another string: checked again.
        let copy = name.to_owned();
        assert!(!covered.contains(&copy));
        // A prefix of a remembered name is not it.
        assert!(!covered.contains(&name[..name.len() - 1]));
    }

    #[test]
    fn a_full_table_remembers_nothing_more() {
        let covered = CoveredTypes::new();
        let names: Vec<&'static str> = (0..SLOTS + 2)
            .map(|i| &*Box::leak(format!("t{i}").into_boxed_str()))
            .collect();
        for name in &names {
            covered.insert(name);
        }
        assert!(names[..SLOTS].iter().all(|n| covered.contains(n)));
        assert!(!names[SLOTS..].iter().any(|n| covered.contains(n)));
    }
}
