//! Built-in macros written inside a crate `macro_rules!` body expand where
//! the macro is invoked: `line!()` in `macro_rules! ln { () => { line!() } }`
//! is the line of each `ln!()`, and `option_env!($n)` reads the variable
//! the invocation names. What a node's invocations of crate macros bring
//! ([`invoked`]) is worked out when a closure is assembled, from the files
//! as they are then, like positions ([`crate::positions`]).

use std::collections::{BTreeSet, HashMap};

use proc_macro2::{TokenStream, TokenTree};

use crate::ids::{CrateId, ItemRef, NodeKey};
use crate::shallow::ItemKind;
use crate::world::World;

/// Macros that expand to where they are invoked.
const POSITION_MACROS: &[&str] = &["line", "column", "file", "module_path"];

/// What a node's invocations of crate macros read.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Invoked {
    /// A reached macro body invokes `line!`, `column!`, `file!` or
    /// `module_path!`: the node's result depends on where it is.
    pub positional: bool,
    /// String literals in the invocations of macros whose body reads
    /// `env!($param)`/`option_env!($param)`: the variables they may name.
    pub env: Vec<String>,
    /// Invocations of macros whose body evaluates `cfg!` over a parameter,
    /// when the invocation's tokens are one `cfg` predicate: the predicate.
    pub cfgs: Vec<String>,
    /// The other invocations of such macros: a predicate the index cannot
    /// read.
    pub param_cfg: Vec<String>,
}

/// What one macro body reads, through the crate macros it invokes.
#[derive(Debug, Default, Clone, Copy)]
struct Body {
    positional: bool,
    param_env: bool,
    param_cfg: bool,
}

impl Body {
    fn add(&mut self, other: Body) {
        self.positional |= other.positional;
        self.param_env |= other.param_env;
        self.param_cfg |= other.param_cfg;
    }

    fn reads_anything(self) -> bool {
        self.positional || self.param_env || self.param_cfg
    }
}

/// What each macro body reads, worked out once per closure: every node of
/// a closure asks about the macros it may invoke, and most crates have no
/// macro whose body reads anything, so most nodes need not even be lexed.
#[derive(Default)]
pub(crate) struct Bodies {
    of_macro: HashMap<ItemRef, Body>,
    /// Whether any `macro_rules!` of the crate reads something.
    crate_reads: HashMap<CrateId, bool>,
}

impl Bodies {
    fn of(&mut self, world: &World, item: ItemRef) -> Body {
        *self
            .of_macro
            .entry(item)
            .or_insert_with(|| body(world, item, &mut BTreeSet::new()))
    }

    fn crate_reads(&mut self, world: &World, krate: CrateId) -> bool {
        if let Some(&reads) = self.crate_reads.get(&krate) {
            return reads;
        }
        let macros: Vec<ItemRef> = world.crates[krate as usize]
            .index
            .macros
            .values()
            .flatten()
            .map(|&item| ItemRef { krate, item })
            .collect();
        let reads = macros
            .into_iter()
            .any(|m| self.of(world, m).reads_anything());
        self.crate_reads.insert(krate, reads);
        reads
    }
}

/// The text of node `key` (an impl or trait member's own span).
pub(crate) fn node_text(world: &World, key: NodeKey) -> &str {
    let (file, span) = crate::positions::node_span(world, key);
    file.slice(span)
}

/// `name!(group)` invocations in `tokens`, at any depth.
fn invocations(tokens: TokenStream, out: &mut Vec<(String, TokenStream)>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => invocations(g.stream(), out),
            TokenTree::Ident(name) => {
                if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(args))) =
                    (trees.get(i + 1), trees.get(i + 2))
                    && bang.as_char() == '!'
                {
                    out.push((name.to_string(), args.stream()));
                }
            }
            _ => {}
        }
    }
}

fn has_dollar(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Punct(p) => p.as_char() == '$',
        TokenTree::Group(g) => has_dollar(g.stream()),
        _ => false,
    })
}

/// Every string literal in `tokens`, at any depth, unquoted.
fn string_literals(tokens: TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(g) => string_literals(g.stream(), out),
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if text.starts_with('"') || text.starts_with("r\"") || text.starts_with("r#") {
                    out.push(crate::lexer::unquote(&text));
                }
            }
            _ => {}
        }
    }
}

/// What the body of macro `item` reads, through the crate macros it
/// invokes (each visited once). Text that does not lex reads positions
/// (the safe answer).
fn body(world: &World, item: ItemRef, seen: &mut BTreeSet<ItemRef>) -> Body {
    let mut found = Body::default();
    if !seen.insert(item) {
        return found;
    }
    let text = node_text(world, NodeKey::item(item));
    let Ok(tokens) = text.parse::<TokenStream>() else {
        found.positional = true;
        return found;
    };
    let mut calls = Vec::new();
    invocations(tokens, &mut calls);
    for (name, args) in calls {
        match name.as_str() {
            n if POSITION_MACROS.contains(&n) => found.positional = true,
            "env" | "option_env" => found.param_env |= has_dollar(args),
            "cfg" => found.param_cfg |= has_dollar(args),
            "macro_rules" => {}
            _ => {
                for m in world.macros_named(item.krate, &name) {
                    found.add(body(world, m, seen));
                }
            }
        }
    }
    found
}

/// What node `key` reads through the crate macros it invokes: those among
/// its `edges` and those its text invokes by name.
pub(crate) fn invoked(
    world: &World,
    key: NodeKey,
    edges: &[NodeKey],
    bodies: &mut Bodies,
) -> Invoked {
    let mut out = Invoked::default();
    let is_macro = |k: &NodeKey| {
        k.assoc == NodeKey::WHOLE && matches!(world.item(k.item).item.kind, ItemKind::MacroRules)
    };
    // Macros invoked by name are looked up in the node's own crate; those
    // among its edges may be another's.
    let may_read = bodies.crate_reads(world, key.item.krate)
        || edges
            .iter()
            .filter(|k| is_macro(k))
            .any(|k| bodies.of(world, k.item).reads_anything());
    if !may_read {
        return out;
    }
    let own_macro = is_macro(&key);
    let Ok(tokens) = node_text(world, key).parse::<TokenStream>() else {
        return out;
    };
    let mut calls = Vec::new();
    invocations(tokens, &mut calls);
    // The macros this node may invoke, by name.
    let mut macros: Vec<(String, ItemRef)> = edges
        .iter()
        .filter(|k| is_macro(k))
        .map(|k| (world.item(k.item).item.name.clone(), k.item))
        .collect();
    for (name, _) in &calls {
        for m in world.macros_named(key.item.krate, name) {
            macros.push((name.clone(), m));
        }
    }
    macros.sort();
    macros.dedup();
    for (name, m) in macros {
        if own_macro && m == key.item {
            continue;
        }
        let read = bodies.of(world, m);
        // A macro's own body is not where it expands: the node invoking it
        // is.
        out.positional |= read.positional && !own_macro;
        if read.param_env {
            for (_, args) in calls.iter().filter(|(n, _)| *n == name) {
                string_literals(args.clone(), &mut out.env);
            }
        }
        if read.param_cfg {
            for (_, args) in calls.iter().filter(|(n, _)| *n == name) {
                // `cfgm!(unix)`: the whole invocation is the predicate
                // (the common `($p:meta) => { cfg!($p) }`); anything else
                // is not guessed at.
                match crate::cfg_text::predicate(args.clone()) {
                    Some(p) => out.cfgs.push(p),
                    None => out.param_cfg.push(format!("cfg!($..) in {name}!")),
                }
            }
        }
    }
    out.env.sort();
    out.env.dedup();
    out.cfgs.sort();
    out.cfgs.dedup();
    out.param_cfg.sort();
    out.param_cfg.dedup();
    out
}
