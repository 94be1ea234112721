//! Which entries a purge removes, decided from plain facts so that the
//! rules can be tested without a cache directory.
//!
//! The filters narrow together: an entry is selected when it passes every
//! filter given (`--fn` passes any of the functions named). `--all` selects
//! everything. `--max-size` comes last: it evicts the least recently used
//! of the entries not already selected until the directory's projected
//! size (what is on disk minus what the removals free) fits.

use std::collections::BTreeSet;
use std::time::SystemTime;

use crate::source::Status;

/// What selection needs to know about one entry.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// Its function.
    pub fn_id: &'a str,
    /// Bytes it occupies (database value plus blob).
    pub size: u64,
    /// When it was computed.
    pub created: SystemTime,
    /// When it was last read, else when it was computed.
    pub last_used: SystemTime,
    /// How its fingerprint relates to the current source, when read.
    pub status: Option<Status>,
}

/// The selectors of one purge, resolved (ids checked, ages turned into
/// cut-off times).
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    /// Everything.
    pub all: bool,
    /// Only these functions (none: any function).
    pub functions: BTreeSet<String>,
    /// Only stale or gone fingerprints.
    pub stale: bool,
    /// Only entries computed before this time.
    pub created_before: Option<SystemTime>,
    /// Only entries last used before this time.
    pub used_before: Option<SystemTime>,
    /// Then evict until the directory fits in this many bytes.
    pub max_size: Option<u64>,
}

/// What to remove, as indices into the facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Chosen by `--all` or the filters.
    pub selected: Vec<usize>,
    /// Evicted by `--max-size`, least recently used first.
    pub evicted: Vec<usize>,
    /// The directory's size once they are gone, as far as can be known
    /// before doing it (the database shrinks by more or less than the
    /// values it held; the purge measures again after compacting).
    pub projected: u64,
}

impl Plan {
    /// Every index to remove.
    pub fn all(&self) -> impl Iterator<Item = usize> + '_ {
        self.selected.iter().chain(&self.evicted).copied()
    }
}

impl Criteria {
    /// Whether `--all` or a filter was given (as opposed to `--max-size`
    /// alone, which selects nothing by itself).
    fn filters(&self) -> bool {
        self.all
            || !self.functions.is_empty()
            || self.stale
            || self.created_before.is_some()
            || self.used_before.is_some()
    }

    /// Whether the filters select this entry.
    pub fn matches(&self, facts: &Facts) -> bool {
        if self.all {
            return true;
        }
        self.filters()
            && (self.functions.is_empty() || self.functions.contains(facts.fn_id))
            && (!self.stale || facts.status.is_some_and(Status::is_stale))
            && self.created_before.is_none_or(|t| facts.created < t)
            && self.used_before.is_none_or(|t| facts.last_used < t)
    }
}

/// Decides what to remove from a directory of `disk_total` bytes.
pub fn plan(facts: &[Facts], criteria: &Criteria, disk_total: u64) -> Plan {
    let (selected, rest): (Vec<usize>, Vec<usize>) =
        (0..facts.len()).partition(|&i| criteria.matches(&facts[i]));
    let freed: u64 = selected.iter().map(|&i| facts[i].size).sum();
    let mut projected = disk_total.saturating_sub(freed);
    let mut evicted = Vec::new();
    if let Some(limit) = criteria.max_size {
        let mut by_age = rest;
        // Ties (last-used times are kept to the second) go to the entry
        // computed first, then to a fixed order so runs agree.
        by_age.sort_by(|&a, &b| {
            let (a, b) = (&facts[a], &facts[b]);
            (a.last_used, a.created, a.fn_id).cmp(&(b.last_used, b.created, b.fn_id))
        });
        for i in by_age {
            if projected <= limit {
                break;
            }
            projected = projected.saturating_sub(facts[i].size);
            evicted.push(i);
        }
    }
    Plan {
        selected,
        evicted,
        projected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn facts() -> Vec<Facts<'static>> {
        let entry = |fn_id, size, created, used, status| Facts {
            fn_id,
            size,
            created: at(created),
            last_used: at(used),
            status: Some(status),
        };
        vec![
            entry("a::f", 100, 10, 50, Status::Live),  // 0
            entry("a::f", 200, 20, 20, Status::Stale), // 1
            entry("a::g", 300, 30, 40, Status::Live),  // 2
            entry("a::h", 400, 40, 40, Status::Gone),  // 3
            entry("b::x", 500, 5, 5, Status::Unknown), // 4
        ]
    }

    #[test]
    fn max_size_alone_selects_nothing_until_asked() {
        let criteria = Criteria {
            max_size: Some(u64::MAX),
            ..Criteria::default()
        };
        assert_eq!(
            plan(&facts(), &criteria, 2_000),
            Plan {
                selected: vec![],
                evicted: vec![],
                projected: 2_000
            }
        );
    }

    #[test]
    fn filters_intersect() {
        let facts = facts();
        let selected = |criteria: Criteria| plan(&facts, &criteria, 0).selected;
        let functions = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            selected(Criteria {
                functions: functions(&["a::f", "a::h"]),
                ..Criteria::default()
            }),
            [0, 1, 3]
        );
        assert_eq!(
            selected(Criteria {
                stale: true,
                ..Criteria::default()
            }),
            [1, 3],
            "stale and gone, not unknown"
        );
        assert_eq!(
            selected(Criteria {
                functions: functions(&["a::f", "a::h"]),
                stale: true,
                created_before: Some(at(30)),
                ..Criteria::default()
            }),
            [1]
        );
        assert_eq!(
            selected(Criteria {
                used_before: Some(at(40)),
                ..Criteria::default()
            }),
            [1, 4]
        );
        assert_eq!(
            selected(Criteria {
                all: true,
                ..Criteria::default()
            }),
            [0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn max_size_evicts_least_recently_used_of_what_remains() {
        let facts = facts();
        // 1500 of values in a 2000-byte directory: 500 of overhead.
        let criteria = Criteria {
            stale: true,
            max_size: Some(1_000),
            ..Criteria::default()
        };
        let plan = plan(&facts, &criteria, 2_000);
        assert_eq!(plan.selected, [1, 3]);
        // 2000 - 600 = 1400 > 1000: evict b::x (used at 5) → 900.
        assert_eq!(plan.evicted, [4]);
        assert_eq!(plan.projected, 900);

        let tighter = Criteria {
            max_size: Some(600),
            ..Criteria::default()
        };
        let plan = super::plan(&facts, &tighter, 2_000);
        // Order by last use: x(5), f#1(20), g(30→used 40, created 30), h(40, created 40), f#0(50).
        assert_eq!(plan.evicted, [4, 1, 2, 3]);
        assert_eq!(plan.projected, 600);
    }

    #[test]
    fn an_impossible_limit_evicts_everything_it_can() {
        let criteria = Criteria {
            max_size: Some(10),
            ..Criteria::default()
        };
        let plan = plan(&facts(), &criteria, 2_000);
        assert_eq!(plan.evicted.len(), 5);
        assert_eq!(plan.projected, 500, "the overhead stays");
    }
}
