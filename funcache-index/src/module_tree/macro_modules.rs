//! `mod name;` written by a module-level macro invocation the index does
//! not expand (`declare!(fast);` of a `macro_rules!` that writes `mod $m;`
//! or `#[path = $p] mod $m;`).
//!
//! rustc loads that file as a module; the index cannot tell its name for
//! sure, so it over-approximates: every file such a declaration could load
//! — `name.rs` or `name/mod.rs` for each identifier of the invocation,
//! the file of each string literal of it (as a `#[path]`) — is read and
//! indexed as a module of the invoking module, bound to no name, and the
//! invocation (which stands in for the names its module lacks) reaches
//! all of its items. An edit of such a file then changes the fingerprint
//! of whatever reaches the invocation. Files that do not exist are
//! remembered (their appearance is an edit).
//!
//! A macro of another crate (its body is not read while the module tree
//! is built) may write `mod $m;` too: an identifier of its invocation that
//! names an existing file next to the module is read the same way.

use std::collections::HashSet;
use std::path::PathBuf;

use proc_macro2::{TokenStream, TokenTree};

use super::{CrateIndex, DirCtx, FileId, ItemId, Loader, ModId};
use crate::IndexError;
use crate::lexer::unquote;
use crate::shallow::ItemKind;

/// A file a declaration in an invocation could load.
struct Candidate {
    /// The module's name, as far as it can be told.
    name: String,
    /// The files it could be, in rustc's order of preference.
    files: Vec<PathBuf>,
    /// Whether it is a `#[path]` file (whose children are next to it).
    path_attr: bool,
    /// A guess from another crate's macro, whose body is not read here: a
    /// file that does not parse is left out rather than failing the index.
    speculative: bool,
}

/// Macros of the compiler that take identifiers or paths but never write
/// `mod`.
const BUILTIN_MACROS: &[&str] = &[
    "compile_error",
    "concat",
    "global_asm",
    "include",
    "include_bytes",
    "include_str",
];

impl CrateIndex {
    /// Reads the files that the module-level macro invocations met so far
    /// may declare as modules (and those their own invocations may).
    pub(super) fn add_macro_modules(&mut self, load: &mut Loader) -> Result<(), IndexError> {
        while let Some((invocation, ctx)) = self.pending_macro_mods.pop() {
            for candidate in self.declared_files(invocation, &ctx) {
                self.add_macro_module(invocation, candidate, load)?;
            }
        }
        Ok(())
    }

    fn add_macro_module(
        &mut self,
        invocation: ItemId,
        candidate: Candidate,
        load: &mut Loader,
    ) -> Result<(), IndexError> {
        let Some(found) = candidate.files.iter().find(|p| p.is_file()).cloned() else {
            self.missing.extend(candidate.files);
            return Ok(());
        };
        self.missing
            .extend(candidate.files.iter().filter(|p| **p != found).cloned());
        // A module file already (or a file read for another invocation):
        // indexed once.
        if self.files.iter().any(|f| f.path == found) {
            return Ok(());
        }
        let module = self.items[invocation as usize].module;
        let parsed = match load(&found) {
            Ok(parsed) => parsed,
            Err(_) if candidate.speculative => return Ok(()),
            Err(error) => return Err(error),
        };
        let items = parsed.items.clone();
        let first_file = self.files.len() as FileId;
        self.files.push(parsed);
        let ctx = DirCtx::of_module_file(&found, &candidate.name, candidate.path_attr);
        let mut path = self.modules[module as usize].path.clone();
        path.push(candidate.name);
        let child = self.add_module(path, Some(module), first_file, items, &ctx, load)?;
        self.modules[child as usize].decl = Some(invocation);
        self.macro_modules
            .entry(invocation)
            .or_default()
            .push(child);
        self.guessed_files
            .extend(first_file..self.files.len() as FileId);
        Ok(())
    }

    /// The files invocation `invocation` (in a module whose `mod x;`
    /// children are found through `ctx`) could declare as modules; none
    /// when neither it nor a `macro_rules!` of its name in the crate
    /// writes `mod`.
    fn declared_files(&self, invocation: ItemId, ctx: &DirCtx) -> Vec<Candidate> {
        let it = &self.items[invocation as usize];
        let name = it.item.via_macro.as_ref().and_then(|p| p.last());
        let definitions = name.and_then(|name| self.macros.get(name));
        let text = |id: ItemId| {
            let it = &self.items[id as usize];
            self.files[it.file as usize].slice(it.item.span)
        };
        // Most invocations write no module: not lexed again.
        if !text(invocation).contains("mod")
            && !definitions.is_some_and(|ids| ids.iter().any(|&d| text(d).contains("mod")))
        {
            let foreign = definitions.is_none_or(|ids| ids.is_empty())
                && name.is_some_and(|n| !BUILTIN_MACROS.contains(&n.as_str()));
            return if foreign {
                self.foreign_candidates(invocation, ctx)
            } else {
                Vec::new()
            };
        }
        let tokens = |file: FileId, range| {
            self.files[file as usize]
                .slice(range)
                .parse::<TokenStream>()
                .unwrap_or_default()
        };
        let own = tokens(it.file, it.item.span);
        let definitions: Vec<TokenStream> = definitions
            .map(|ids| {
                ids.iter()
                    .map(|&d| {
                        let def = &self.items[d as usize];
                        tokens(def.file, def.item.span)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !writes_mod(own.clone()) && !definitions.iter().any(|d| writes_mod(d.clone())) {
            return Vec::new();
        }
        let mut names = HashSet::new();
        let mut paths = HashSet::new();
        words(own, &mut names, &mut paths);
        for def in definitions {
            declared_names(def, &mut names, &mut paths);
        }
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        let mut paths: Vec<String> = paths.into_iter().collect();
        paths.sort();
        let mut out: Vec<Candidate> = names
            .into_iter()
            .map(|name| {
                let bare = name.trim_start_matches("r#").to_owned();
                Candidate {
                    files: ctx.module_files(&bare),
                    name,
                    path_attr: false,
                    speculative: false,
                }
            })
            .collect();
        out.extend(paths.into_iter().map(|p| {
            let file = ctx.path_base.join(&p);
            Candidate {
                name: file
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
                files: vec![file],
                path_attr: true,
                speculative: false,
            }
        }));
        out
    }

    /// For an invocation of a macro this crate does not define (a
    /// dependency's `declare!(fast);` whose body may write `mod $m;`):
    /// each identifier of it that names an existing `name.rs` or
    /// `name/mod.rs` where the invoking module's children are. Files that
    /// do not exist are not remembered: nearly every such identifier is
    /// not a module name.
    fn foreign_candidates(&self, invocation: ItemId, ctx: &DirCtx) -> Vec<Candidate> {
        let it = &self.items[invocation as usize];
        let Ok(tokens) = self.files[it.file as usize]
            .slice(it.item.span)
            .parse::<TokenStream>()
        else {
            return Vec::new();
        };
        let (mut names, mut paths) = (HashSet::new(), HashSet::new());
        words(tokens, &mut names, &mut paths);
        // The invocation's own path (`dep::declare`) is no module name.
        for segment in it.item.via_macro.iter().flatten() {
            names.remove(segment);
        }
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let bare = name.trim_start_matches("r#");
                let files: Vec<PathBuf> = ctx
                    .module_files(bare)
                    .into_iter()
                    .filter(|p| p.is_file())
                    .collect();
                (!files.is_empty()).then_some(Candidate {
                    name,
                    files,
                    path_attr: false,
                    speculative: true,
                })
            })
            .collect()
    }

    /// The items of the modules invocation `invocation` may declare (see
    /// [`CrateIndex::add_macro_modules`]) and of the modules inside them.
    pub fn macro_module_items(&self, invocation: ItemId) -> Vec<ItemId> {
        let Some(roots) = self.macro_modules.get(&invocation) else {
            return Vec::new();
        };
        let mut modules: HashSet<ModId> = roots.iter().copied().collect();
        // A module's children come after it.
        for (id, m) in self.modules.iter().enumerate() {
            if m.parent.is_some_and(|p| modules.contains(&p)) {
                modules.insert(id as ModId);
            }
        }
        let mut out: Vec<ItemId> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, it)| it.nested.is_none() && modules.contains(&it.module))
            .filter(|(_, it)| {
                !matches!(
                    it.item.kind,
                    ItemKind::Use(_) | ItemKind::Mod { .. } | ItemKind::ExternCrate { .. }
                )
            })
            .map(|(id, _)| id as ItemId)
            .collect();
        out.sort_unstable();
        out
    }
}

/// Whether `tokens` hold the keyword `mod` (anywhere, groups included).
fn writes_mod(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(i) => i == "mod",
        TokenTree::Group(g) => writes_mod(g.stream()),
        _ => false,
    })
}

/// Every identifier (a module name it may pass) and string literal (a
/// `#[path]` it may pass) of an invocation.
fn words(tokens: TokenStream, names: &mut HashSet<String>, paths: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) => {
                names.insert(i.to_string());
            }
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if text.starts_with('"') || text.starts_with("r\"") || text.starts_with("r#") {
                    paths.insert(unquote(&text));
                }
            }
            TokenTree::Group(g) => words(g.stream(), names, paths),
            TokenTree::Punct(_) => {}
        }
    }
}

/// The names a `macro_rules!` body declares itself (`mod name` with a
/// literal name) and the literal `#[path = ".."]`s it writes.
fn declared_names(tokens: TokenStream, names: &mut HashSet<String>, paths: &mut HashSet<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (k, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(i) if i == "mod" => {
                let dollar =
                    matches!(trees.get(k + 1), Some(TokenTree::Punct(p)) if p.as_char() == '$');
                if let (false, Some(TokenTree::Ident(name))) = (dollar, trees.get(k + 1)) {
                    names.insert(name.to_string());
                }
            }
            TokenTree::Ident(i) if i == "path" => {
                if let (Some(TokenTree::Punct(eq)), Some(TokenTree::Literal(l))) =
                    (trees.get(k + 1), trees.get(k + 2))
                    && eq.as_char() == '='
                {
                    paths.insert(unquote(&l.to_string()));
                }
            }
            TokenTree::Group(g) => declared_names(g.stream(), names, paths),
            _ => {}
        }
    }
}
