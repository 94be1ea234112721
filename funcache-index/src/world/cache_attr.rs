//! Recognising the funcache cache attribute as written in a file:
//! `#[funcache::cache]`, `#[::funcache::cache(..)]`, `#[cache]` after
//! `use funcache::cache;`, `#[memo]` after `use funcache::cache as memo;`,
//! `#[fc::cache]` with a dependency renamed `fc = { package = "funcache" }`.
//!
//! The CLI must strip exactly this attribute before hashing, as rustc does
//! before handing the function to the macro.

use crate::ids::ModRef;
use crate::shallow::ItemKind;
use crate::world::World;

/// The funcache package and the attribute's name in it.
const PACKAGE: &str = "funcache";
const ATTRIBUTE: &str = "cache";

impl World {
    /// Whether an attribute path written in module `m` names
    /// `funcache::cache`.
    pub fn is_cache_attr(&self, m: ModRef, segs: &[String]) -> bool {
        self.expand_uses(m, segs, 0)
            .iter()
            .any(|path| self.names_cache_attr(m, path))
    }

    fn names_cache_attr(&self, m: ModRef, path: &[String]) -> bool {
        let path = match path.first().map(String::as_str) {
            Some("::") => &path[1..],
            _ => path,
        };
        let [krate, .., last] = path else {
            return false;
        };
        if last != ATTRIBUTE {
            return false;
        }
        let manifest = &self.crates[m.krate as usize].manifest;
        manifest
            .deps
            .iter()
            .any(|d| d.package == PACKAGE && d.code_name == *krate)
            || (krate == PACKAGE && !manifest.deps.iter().any(|d| d.code_name == PACKAGE))
    }

    /// The paths `segs` may stand for after following `use` declarations
    /// and `extern crate` renames of module `m` (the path itself included).
    fn expand_uses(&self, m: ModRef, segs: &[String], depth: usize) -> Vec<Vec<String>> {
        let mut out = vec![segs.to_vec()];
        let Some(first) = segs.first() else {
            return out;
        };
        if depth > 4 {
            return out;
        }
        let module = &self.crates[m.krate as usize].index.modules[m.module as usize];
        for entry in &module.uses {
            let replaced = if entry.glob {
                let mut p = entry.path.clone();
                p.extend_from_slice(segs);
                p
            } else if entry.name.as_deref() == Some(first.as_str()) {
                let mut p = entry.path.clone();
                p.extend_from_slice(&segs[1..]);
                p
            } else {
                continue;
            };
            out.extend(self.expand_uses(m, &replaced, depth + 1));
        }
        if let Some(ids) = module.names.get(first) {
            for &id in ids {
                if let ItemKind::ExternCrate { krate } = &self.crates[m.krate as usize].index.items
                    [id as usize]
                    .item
                    .kind
                {
                    let mut p = vec![krate.clone()];
                    p.extend_from_slice(&segs[1..]);
                    out.push(p);
                }
            }
        }
        out
    }
}
