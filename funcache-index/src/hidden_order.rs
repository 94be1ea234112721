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
//! The same walk over the definitions an argument's type reaches finds
//! serde attributes that make two different values serialize alike
//! (`#[serde(skip)]`, `untagged`, …): keyed by such an encoding, two
//! different arguments would share one result, so those calls run
//! uncached unless the user says the attribute is safe (`trust_serde`).
//!
//! Matching is by the last segment of type names, over every crate in the
//! view: two types of one name both count. That can only add a warning
//! (or leave a call uncached).

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
    "SerializeMap",
];

/// What the index says about how an argument's type serializes, from the
/// definitions of the crate's types it reaches (by name; see the module
/// docs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ArgSerde {
    /// A type whose hand-written `Serialize` may write an unordered set or
    /// map as a sequence, in iteration order: equal arguments may miss.
    pub hidden_unordered: Option<String>,
    /// A type whose hand-written `Serialize` writes an unordered map
    /// (`HashMap`, …) as a map: the key cannot tell it from an ordered one
    /// by the value's type, so every map of the argument is keyed
    /// regardless of order.
    pub unordered_map_impl: Option<String>,
    /// A type with a serde attribute that can make two different values
    /// serialize alike, and that attribute: `("Len", "untagged")`. Keyed
    /// by its serialization, two such arguments would share one result.
    pub lossy: Option<(String, String)>,
}

/// serde attributes that can make two different values of one type
/// serialize alike: what they leave out (`skip*`), what they write in
/// another form (`serialize_with`, `with`, `into`), variants written
/// without their name (`untagged`), fields merged into their parent
/// (`flatten`: two flattened `Option`s of one shape).
const LOSSY: &[&str] = &[
    "skip",
    "skip_serializing",
    "skip_serializing_if",
    "serialize_with",
    "with",
    "into",
    "untagged",
    "flatten",
];

/// Words in a hand-written `serialize` that write a map.
const WRITES_MAP: &[&str] = &["collect_map", "serialize_map", "SerializeMap"];

/// Unordered maps among [`UNORDERED`].
const UNORDERED_MAPS: &[&str] = &["HashMap", "FxHashMap", "AHashMap", "DashMap"];

/// For an argument whose type is written with the identifiers `type_idents`
/// (`Query`, `Vec`, `Tags`, …): what the crate's type definitions it
/// reaches say about how it serializes.
pub fn argument_serde(site: &MacroSite, type_idents: &[String]) -> Result<ArgSerde, IndexError> {
    let _guard = FallbackGuard::new();
    let mut world = crate::world::world();
    world.revalidate();
    let (krate, _) = select_crate(&mut world, site)?;
    prepare(&mut world, krate);
    let mut types = TypeFacts::of(&world, &world.view(krate));
    Ok(types.argument(type_idents))
}

/// What one type name's definitions say (every crate's type of that name).
#[derive(Default)]
struct Definition {
    /// Identifiers in them (fields, alias targets).
    mentions: HashSet<String>,
    /// The first lossy serde attribute written in them.
    lossy: Option<String>,
}

/// What the crates say about their types, by name, read lazily: only the
/// definitions an argument reaches are lexed.
struct TypeFacts<'w> {
    /// Type definitions by name: the file's text and the item's span.
    spans: HashMap<&'w str, Vec<(&'w str, crate::shallow::Range)>>,
    read: HashMap<String, Definition>,
    /// Types with a hand-written `Serialize`, with the identifiers of the
    /// impl.
    impls: Vec<(String, HashSet<String>)>,
}

impl<'w> TypeFacts<'w> {
    fn of(world: &'w World, crates: &[crate::ids::CrateId]) -> TypeFacts<'w> {
        let mut facts = TypeFacts {
            spans: HashMap::new(),
            read: HashMap::new(),
            impls: Vec::new(),
        };
        for &c in crates {
            let index = &world.crates[c as usize].index;
            for it in &index.items {
                let Some(file) = index.files.get(it.file as usize) else {
                    continue;
                };
                match &it.item.kind {
                    ItemKind::Struct
                    | ItemKind::Enum { .. }
                    | ItemKind::Union
                    | ItemKind::TypeAlias => facts
                        .spans
                        .entry(it.item.name.as_str())
                        .or_default()
                        .push((&file.text, it.item.span)),
                    ItemKind::Impl(parts)
                        if parts
                            .trait_
                            .as_ref()
                            .and_then(|t| t.segs.last())
                            .is_some_and(|t| t == "Serialize") =>
                    {
                        if let Some(name) = parts.self_ty.segs.last() {
                            facts
                                .impls
                                .push((name.clone(), idents_in(&file.text, it.item.span)));
                        }
                    }
                    _ => {}
                }
            }
        }
        facts
    }

    /// The definitions of type `name`, lexed on first use.
    fn definition(&mut self, name: &str) -> &Definition {
        if !self.read.contains_key(name) {
            let mut definition = Definition::default();
            for &(text, span) in self.spans.get(name).into_iter().flatten() {
                let slice = text.get(span.0 as usize..span.1 as usize).unwrap_or("");
                let Ok(t) = crate::lexer::lex(slice) else {
                    continue;
                };
                if definition.lossy.is_none() && slice.contains("serde") {
                    definition.lossy = lossy_attribute(&t);
                }
                definition.mentions.extend(
                    (0..t.toks.len())
                        .filter(|&i| t.toks[i].kind == Kind::Ident)
                        .map(|i| t.text(i).trim_start_matches("r#").to_owned()),
                );
            }
            self.read.insert(name.to_owned(), definition);
        }
        &self.read[name]
    }

    /// Every type name reachable from `start` through definitions.
    fn reach(&mut self, start: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut order = Vec::new();
        let mut stack: Vec<String> = start.into_iter().collect();
        while let Some(next) = stack.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            let inner: Vec<String> = self.definition(&next).mentions.iter().cloned().collect();
            order.push(next);
            stack.extend(inner);
        }
        order
    }

    fn argument(&mut self, type_idents: &[String]) -> ArgSerde {
        let mut out = ArgSerde::default();
        let reached = self.reach(type_idents.iter().cloned());
        for name in &reached {
            if let Some(attribute) = self.definition(name).lossy.clone() {
                out.lossy = Some((name.clone(), attribute));
                break;
            }
        }
        let reached: HashSet<String> = reached.into_iter().collect();
        let impls: Vec<(String, HashSet<String>)> = self
            .impls
            .iter()
            .filter(|(name, _)| reached.contains(name))
            .cloned()
            .collect();
        for (name, body) in impls {
            let held = self.reach(body.iter().cloned().chain([name.clone()]));
            let holds = |names: &[&str]| held.iter().any(|h| names.contains(&h.as_str()));
            if WRITES_MAP.iter().any(|w| body.contains(*w)) && holds(UNORDERED_MAPS) {
                out.unordered_map_impl.get_or_insert(name.clone());
            }
            if !ORDERING.iter().any(|o| body.contains(*o)) && holds(UNORDERED) {
                out.hidden_unordered.get_or_insert(name);
            }
        }
        out
    }
}

/// The first key of [`LOSSY`] in a `serde(...)` attribute (or a
/// `cfg_attr` holding one) among tokens `t`.
fn lossy_attribute(t: &crate::lexer::Tokens) -> Option<String> {
    for i in 0..t.toks.len() {
        if !(t.is_ident(i, "serde") && t.is_open(i + 1, b'(')) {
            continue;
        }
        let close = t.close[i + 1] as usize;
        let mut k = i + 2;
        let mut at_key = true;
        while k < close {
            if at_key && t.toks[k].kind == Kind::Ident && LOSSY.contains(&t.text(k)) {
                return Some(t.text(k).to_owned());
            }
            at_key = t.is_punct(k, b',');
            k = t.skip(k);
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lossy(src: &str) -> Option<String> {
        lossy_attribute(&crate::lexer::lex(src).unwrap())
    }

    #[test]
    fn lossy_serde_attributes_are_found_at_key_positions() {
        assert_eq!(
            lossy("#[serde(untagged)] enum Len { Meters(u32), Feet(u32) }").as_deref(),
            Some("untagged")
        );
        assert_eq!(
            lossy(
                "struct S { a: u32, #[serde(rename = \"b\", skip_serializing_if = \"f\")] b: u8 }"
            )
            .as_deref(),
            Some("skip_serializing_if")
        );
        assert_eq!(
            lossy("#[cfg_attr(x, serde(into = \"Raw\"))] struct S;").as_deref(),
            Some("into")
        );
        // Attributes that keep values apart, and words that are not keys.
        assert_eq!(
            lossy("#[serde(rename_all = \"kebab-case\", tag = \"t\")] enum E {}"),
            None
        );
        assert_eq!(
            lossy("#[serde(bound(serialize = \"T: S\"))] struct S<T>(T);"),
            None
        );
        assert_eq!(lossy("struct S { skip: u32, with: u8 }"), None);
    }
}
