//! Unordered collections behind a hand-written `Serialize`.
//!
//! The key orders a `HashSet` it can see (by its type name) and every map
//! serialized as a map. A hand-written `impl Serialize` that writes a set
//! or a map's entries as a sequence (`s.collect_seq(self.0.iter())`) hides
//! them: the key then follows the set's iteration order, which changes
//! between processes and between two equal sets, and equal arguments miss.
//! The run time cannot see this (one value serializes the same way twice),
//! but the source shows it: this finds, by name, the crate's types whose
//! hand-written `Serialize` may write an unordered collection in its
//! iteration order, so that a call with such an argument says so once.
//!
//! Matching is by the last segment of type names, over every crate in the
//! view: two types of one name both count. That can only add a warning.

use std::collections::{HashMap, HashSet};

use crate::analysis::{FallbackGuard, prepare, select_crate};
use crate::lexer::Kind;
use crate::shallow::ItemKind;
use crate::world::World;
use crate::{IndexError, MacroSite};

/// Type names whose iteration order is not a function of their contents.
const UNORDERED: &[&str] = &[
    "HashSet",
    "HashMap",
    "FxHashSet",
    "FxHashMap",
    "AHashSet",
    "AHashMap",
    "DashSet",
    "DashMap",
];

/// Words in a hand-written `serialize` that put the entries in a fixed
/// order (or write a map, which the key orders).
const ORDERING: &[&str] = &[
    "sort",
    "sort_unstable",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "sorted",
    "BTreeSet",
    "BTreeMap",
    "collect_map",
    "serialize_map",
];

/// For an argument whose type is written with the identifiers `type_idents`
/// (`Query`, `Vec`, `Tags`, …): the name of a type it reaches through type
/// definitions whose hand-written `Serialize` may write an unordered set or
/// map in iteration order, if there is one.
pub fn hidden_unordered(
    site: &MacroSite,
    type_idents: &[String],
) -> Result<Option<String>, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_crate(&mut world, site)?;
    prepare(&mut world, krate);
    let types = TypeFacts::of(&world, &world.view(krate));
    Ok(types.find(type_idents))
}

/// What the crates say about their types, by name.
#[derive(Default)]
struct TypeFacts {
    /// Identifiers in each type's definition (fields, alias targets).
    mentions: HashMap<String, HashSet<String>>,
    /// Types with a hand-written `Serialize` that may write an unordered
    /// collection in iteration order: it mentions one (in the type or the
    /// impl) and nothing that orders it.
    suspect_impls: Vec<(String, HashSet<String>)>,
}

impl TypeFacts {
    fn of(world: &World, crates: &[crate::ids::CrateId]) -> TypeFacts {
        let mut facts = TypeFacts::default();
        // Most crates have no hand-written `Serialize`: then nothing is lexed.
        let any_impl = crates.iter().any(|&c| {
            world.crates[c as usize].index.items.iter().any(|it| {
                matches!(&it.item.kind, ItemKind::Impl(parts)
                    if parts.trait_.as_ref().and_then(|t| t.segs.last()).is_some_and(|t| t == "Serialize"))
            })
        });
        if !any_impl {
            return facts;
        }
        for &c in crates {
            let index = &world.crates[c as usize].index;
            for it in &index.items {
                let Some(file) = index.files.get(it.file as usize) else {
                    continue;
                };
                let idents = || idents_in(&file.text, it.item.span);
                match &it.item.kind {
                    ItemKind::Struct
                    | ItemKind::Enum { .. }
                    | ItemKind::Union
                    | ItemKind::TypeAlias => {
                        facts
                            .mentions
                            .entry(it.item.name.clone())
                            .or_default()
                            .extend(idents());
                    }
                    ItemKind::Impl(parts)
                        if parts
                            .trait_
                            .as_ref()
                            .and_then(|t| t.segs.last())
                            .is_some_and(|t| t == "Serialize") =>
                    {
                        if let Some(name) = parts.self_ty.segs.last() {
                            facts.suspect_impls.push((name.clone(), idents()));
                        }
                    }
                    _ => {}
                }
            }
        }
        facts
    }

    /// Whether the type `name` holds an unordered collection, through its
    /// definition and the definitions it names.
    fn holds_unordered(&self, name: &str, impl_idents: &HashSet<String>) -> bool {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = impl_idents.iter().map(String::as_str).collect();
        stack.push(name);
        while let Some(next) = stack.pop() {
            if UNORDERED.contains(&next) {
                return true;
            }
            if seen.insert(next)
                && let Some(inner) = self.mentions.get(next)
            {
                stack.extend(inner.iter().map(String::as_str));
            }
        }
        false
    }

    /// The first suspect type reachable from `type_idents`.
    fn find(&self, type_idents: &[String]) -> Option<String> {
        let suspects: HashSet<&str> = self
            .suspect_impls
            .iter()
            .filter(|(name, body)| {
                !ORDERING.iter().any(|o| body.contains(*o)) && self.holds_unordered(name, body)
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if suspects.is_empty() {
            return None;
        }
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = type_idents.iter().map(String::as_str).collect();
        while let Some(next) = stack.pop() {
            if suspects.contains(next) {
                return Some(next.to_owned());
            }
            if seen.insert(next)
                && let Some(inner) = self.mentions.get(next)
            {
                stack.extend(inner.iter().map(String::as_str));
            }
        }
        None
    }
}

/// The identifiers in bytes `span` of `text`.
fn idents_in(text: &str, span: crate::shallow::Range) -> HashSet<String> {
    let slice = text.get(span.0 as usize..span.1 as usize).unwrap_or("");
    let Ok(t) = crate::lexer::lex(slice) else {
        return HashSet::new();
    };
    (0..t.toks.len())
        .filter(|&i| t.toks[i].kind == Kind::Ident)
        .map(|i| t.text(i).trim_start_matches("r#").to_owned())
        .collect()
}
