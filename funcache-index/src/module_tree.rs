//! A crate's module tree and item table, found the way rustc finds them:
//! from the crate root through `mod` declarations, honouring `#[path]`.
//!
//! Walking `src/` instead would miss `#[path]` modules and pick up orphan
//! files. Item-position `include!`s are followed too (code a build script
//! writes to `OUT_DIR`, the prost/bindgen pattern): their items belong to
//! the including module. `#[cfg]` is not evaluated here: both sides of a
//! cfg are indexed, and [`crate::build_inputs`] decides at compile time
//! which of them count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::IndexError;
use crate::cfg_text;
use crate::includes::{self, IncludeDirs};
use crate::lexer;
use crate::nested::{self, Nested};
use crate::shallow::{self, Item, ItemKind, UseEntry};

mod macro_modules;

/// Index of a module in [`CrateIndex::modules`].
pub(crate) type ModId = u32;
/// Index of an item in [`CrateIndex::items`].
pub(crate) type ItemId = u32;
/// Index of a file in [`CrateIndex::files`].
pub(crate) type FileId = u32;

/// What a file looked like when it was read: enough to notice an edit.
///
/// File systems keep modification times from a coarse clock (one tick is
/// up to 10 ms on Linux), so an edit of the same length within a tick of
/// the last read can leave the stamp unchanged. A stamp read within
/// [`RACY_WINDOW`] of its modification time is *racy* (git's "racily
/// clean" rule) and equals no stamp: the file is read again.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp {
    pub len: u64,
    pub mtime: Option<SystemTime>,
    racy: bool,
}

/// How recent a modification may be for its stamp to be trusted.
const RACY_WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

impl PartialEq for Stamp {
    fn eq(&self, other: &Stamp) -> bool {
        !self.racy && !other.racy && self.len == other.len && self.mtime == other.mtime
    }
}

impl Stamp {
    /// The current stamp of `path`, `None` when it does not exist.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta.modified().ok();
        // A time in the future (another clock) is as untrustworthy.
        let racy = mtime.is_none_or(|mtime| {
            SystemTime::now()
                .duration_since(mtime)
                .is_ok_and(|age| age < RACY_WINDOW)
                || mtime > SystemTime::now()
        });
        meta.is_file().then_some(Stamp {
            len: meta.len(),
            mtime,
            racy,
        })
    }

    /// The stamp of text whose file could not be stamped: never equal to
    /// another, so the file is read again.
    pub fn unknown(len: u64) -> Stamp {
        Stamp {
            len,
            mtime: None,
            racy: true,
        }
    }
}

/// A source file, read and shallow-parsed.
pub(crate) struct ParsedFile {
    pub path: PathBuf,
    pub stamp: Stamp,
    pub text: Arc<str>,
    pub line_starts: Vec<u32>,
    pub items: Vec<Item>,
    /// Items written inside function bodies.
    pub nested: Vec<Nested>,
}

impl ParsedFile {
    /// Reads and shallow-parses `path`.
    pub fn read(path: &Path) -> Result<ParsedFile, IndexError> {
        let stamp = Stamp::of(path);
        let text = std::fs::read_to_string(path).map_err(|e| IndexError::io(path, e))?;
        let stamp = stamp.unwrap_or(Stamp::unknown(text.len() as u64));
        Self::from_text(path, stamp, text)
    }

    /// Shallow-parses `text` as the contents of `path`.
    pub fn from_text(path: &Path, stamp: Stamp, text: String) -> Result<ParsedFile, IndexError> {
        let line_starts = lexer::line_starts(&text);
        let (items, nested) = {
            let tokens = lexer::lex(&text).map_err(|e| {
                let (line, column) = lexer::line_column(&text, &line_starts, e.offset);
                IndexError::Parse {
                    path: path.to_owned(),
                    line,
                    column,
                    message: e.message.to_owned(),
                }
            })?;
            let items = shallow::items(&tokens, 0, tokens.toks.len());
            let nested = nested::scan(&tokens, &items);
            (items, nested)
        };
        Ok(ParsedFile {
            path: path.to_owned(),
            stamp,
            text: text.into(),
            line_starts,
            items,
            nested,
        })
    }

    /// The text of a byte range.
    pub fn slice(&self, range: shallow::Range) -> &str {
        &self.text[range.0 as usize..range.1 as usize]
    }

    /// 1-based line and column of a byte offset.
    pub fn line_column(&self, offset: u32) -> (usize, usize) {
        lexer::line_column(&self.text, &self.line_starts, offset as usize)
    }
}

/// Supplies parsed files (from a cache, or by reading them).
pub(crate) type Loader<'a> = dyn FnMut(&Path) -> Result<Arc<ParsedFile>, IndexError> + 'a;

/// One module.
#[derive(Debug, Default)]
pub(crate) struct Module {
    /// Segments from the crate root (`[]` for the root).
    pub path: Vec<String>,
    pub parent: Option<ModId>,
    pub file: FileId,
    pub items: Vec<ItemId>,
    /// Items (child modules included) by name, all namespaces together.
    pub names: HashMap<String, Vec<ItemId>>,
    pub uses: Vec<UseEntry>,
    /// The `mod` item that declares this module (none for the root).
    pub decl: Option<ItemId>,
    /// Item-position macro calls: a name not found here may be theirs.
    pub macro_calls: Vec<ItemId>,
    /// Positions in `uses` of the entries of `use`s under a `#[cfg]`.
    pub gated_uses: std::collections::HashSet<usize>,
}

/// An item and where it is.
#[derive(Debug)]
pub(crate) struct IndexedItem {
    /// The item; a module's body is moved into its own [`Module`].
    pub item: Item,
    pub module: ModId,
    pub file: FileId,
    /// For `mod` items: the module it declares (if its file was found).
    pub child: Option<ModId>,
    /// For items written in a block: which block, and in what.
    pub nested: Option<NestedScope>,
}

/// Where a nested item is visible (see [`crate::nested`]).
#[derive(Debug)]
pub(crate) struct NestedScope {
    /// Bytes of the block, braces included, in the item's file.
    pub block: shallow::Range,
    /// What the block is in, below the module (`["english"]`).
    pub enclosing: Vec<String>,
}

/// A crate: files, modules and items.
pub(crate) struct CrateIndex {
    pub files: Vec<Arc<ParsedFile>>,
    /// Module files looked for and not found (their appearance is an edit).
    pub missing: Vec<PathBuf>,
    pub modules: Vec<Module>,
    pub items: Vec<IndexedItem>,
    /// `macro_rules!` definitions by name, anywhere in the crate.
    pub macros: HashMap<String, Vec<ItemId>>,
    /// Items written in blocks, not bound in any module, by file.
    pub nested: HashMap<FileId, Vec<ItemId>>,
    /// The package directory and build-script output directory that
    /// `include!` paths may start from.
    pub manifest_dir: PathBuf,
    pub out_dir: Option<PathBuf>,
    /// Whether an item-position `include!` could not be followed (its
    /// path names `OUT_DIR` and that is unknown here, or cannot be
    /// evaluated): the crate has code this index does not see.
    pub unread_includes: bool,
    /// For a file pulled in by an item-position `include!`: the including
    /// file and the `include!`'s attributes (its `#[cfg]` gates every item
    /// of the file).
    pub included_by: HashMap<FileId, (FileId, Vec<shallow::Attr>)>,
    /// Files an item-position `include!` names that were already read
    /// (included twice, or also a module file): indexed once, compiled as
    /// several modules.
    pub reincluded: Vec<PathBuf>,
    /// Modules whose file a `#[cfg_attr(p, path = "..")]` chose: the
    /// predicate under which it is that file (the default file's is
    /// `not(any(..))` of the others).
    pub module_gates: HashMap<ModId, String>,
    /// For a module-level macro invocation that may write `mod x;`: the
    /// modules of the files it could load, bound to no name (see
    /// [`CrateIndex::add_macro_modules`]).
    pub macro_modules: HashMap<ItemId, Vec<ModId>>,
    /// The files of those modules (and of modules inside them), whose
    /// module path is a guess.
    pub guessed_files: std::collections::HashSet<FileId>,
    /// Invocations met while building, with where their module's `mod x;`
    /// files are looked for.
    pending_macro_mods: Vec<(ItemId, DirCtx)>,
}

/// Where a module's `mod x;` children are looked for.
#[derive(Clone)]
struct DirCtx {
    /// Directory of `mod x;` without `#[path]` (`x.rs`, `x/mod.rs`).
    children: PathBuf,
    /// Directory a `#[path]` is relative to.
    path_base: PathBuf,
}

impl DirCtx {
    /// The files `mod name;` (no `#[path]`) may load, in rustc's order.
    fn module_files(&self, name: &str) -> Vec<PathBuf> {
        vec![
            self.children.join(format!("{name}.rs")),
            self.children.join(name).join("mod.rs"),
        ]
    }

    /// The directories of module `name` loaded from `file`: beside it for
    /// a `mod.rs` or a `#[path]` file (`like_mod_rs`), else `name/` beside
    /// it for its children.
    fn of_module_file(file: &Path, name: &str, like_mod_rs: bool) -> DirCtx {
        let dir = file.parent().unwrap_or(Path::new("")).to_owned();
        if like_mod_rs || file.file_name().is_some_and(|n| n == "mod.rs") {
            DirCtx {
                children: dir.clone(),
                path_base: dir,
            }
        } else {
            DirCtx {
                children: dir.join(name),
                path_base: dir,
            }
        }
    }
}

impl CrateIndex {
    /// Builds the index of the crate whose root file is `root`, in the
    /// package at `dirs.manifest`.
    pub fn build(
        root: &Path,
        dirs: IncludeDirs,
        load: &mut Loader,
    ) -> Result<CrateIndex, IndexError> {
        let mut index = CrateIndex {
            files: Vec::new(),
            missing: Vec::new(),
            modules: Vec::new(),
            items: Vec::new(),
            macros: HashMap::new(),
            nested: HashMap::new(),
            manifest_dir: dirs.manifest.to_owned(),
            out_dir: dirs.out.map(Path::to_owned),
            unread_includes: false,
            included_by: HashMap::new(),
            reincluded: Vec::new(),
            module_gates: HashMap::new(),
            macro_modules: HashMap::new(),
            guessed_files: Default::default(),
            pending_macro_mods: Vec::new(),
        };
        let file = load(root)?;
        let dir = root.parent().unwrap_or(Path::new("")).to_owned();
        let items = file.items.clone();
        index.files.push(file);
        let ctx = DirCtx {
            children: dir.clone(),
            path_base: dir,
        };
        index.add_module(Vec::new(), None, 0, items, &ctx, load)?;
        index.add_macro_modules(load)?;
        index.add_nested();
        Ok(index)
    }

    /// Adds every file's nested items, in the module around them. They are
    /// bound in no module: names reach them through their block only.
    fn add_nested(&mut self) {
        for file in 0..self.files.len() {
            let parsed = self.files[file].clone();
            for n in &parsed.nested {
                let file = file as FileId;
                let module = self.module_at(file, n.item.span.0).unwrap_or(0);
                let id = self.items.len() as ItemId;
                if matches!(n.item.kind, ItemKind::MacroRules) {
                    self.macros.entry(n.item.name.clone()).or_default().push(id);
                }
                self.nested.entry(file).or_default().push(id);
                self.items.push(IndexedItem {
                    item: n.item.clone(),
                    module,
                    file,
                    child: None,
                    nested: Some(NestedScope {
                        block: n.block,
                        enclosing: n.enclosing.clone(),
                    }),
                });
            }
        }
    }

    fn add_module(
        &mut self,
        path: Vec<String>,
        parent: Option<ModId>,
        file: FileId,
        items: Vec<Item>,
        ctx: &DirCtx,
        load: &mut Loader,
    ) -> Result<ModId, IndexError> {
        let id = self.modules.len() as ModId;
        self.modules.push(Module {
            path,
            parent,
            file,
            ..Module::default()
        });
        self.add_items(id, file, items, ctx, load)?;
        Ok(id)
    }

    fn add_items(
        &mut self,
        module: ModId,
        file: FileId,
        items: Vec<Item>,
        ctx: &DirCtx,
        load: &mut Loader,
    ) -> Result<(), IndexError> {
        let items = items
            .into_iter()
            .flat_map(|item| self.module_file_choices(file, item));
        for (mut item, module_gate) in items.collect::<Vec<_>>() {
            if self.add_included(module, file, &item, ctx, load)? {
                continue;
            }
            let mut child = None;
            let had_body = matches!(item.kind, ItemKind::Mod { .. });
            if let ItemKind::Mod { body } = &mut item.kind {
                let body = body.take();
                if item.name.is_empty() {
                    // `extern { .. }` blocks and item macros: their items
                    // belong to this module.
                    if let Some(inner) = body {
                        self.add_items(module, file, inner, ctx, load)?;
                    }
                    if item.via_macro.is_none() {
                        continue;
                    }
                    item.kind = ItemKind::MacroCall;
                } else {
                    child = self.add_child(module, file, &item, body, ctx, load)?;
                }
            }
            let item_id = self.items.len() as ItemId;
            if let Some(c) = child {
                self.modules[c as usize].decl = Some(item_id);
                if let Some(gate) = module_gate {
                    self.module_gates.insert(c, gate);
                }
            }
            let m = &mut self.modules[module as usize];
            m.items.push(item_id);
            match &item.kind {
                ItemKind::Use(entries) => {
                    if item.attrs.iter().any(|a| a.path == ["cfg"]) {
                        m.gated_uses
                            .extend(m.uses.len()..m.uses.len() + entries.len());
                    }
                    m.uses.extend(entries.iter().cloned())
                }
                ItemKind::MacroRules => self
                    .macros
                    .entry(item.name.clone())
                    .or_default()
                    .push(item_id),
                ItemKind::MacroCall => {
                    m.macro_calls.push(item_id);
                    // Not the items of one read as a module: what those
                    // declare is followed.
                    if !had_body {
                        self.pending_macro_mods.push((item_id, ctx.clone()));
                    }
                }
                ItemKind::Impl(_) | ItemKind::Other => {}
                _ if !item.name.is_empty() => {
                    m.names.entry(item.name.clone()).or_default().push(item_id)
                }
                _ => {}
            }
            self.items.push(IndexedItem {
                item,
                module,
                file,
                child,
                nested: None,
            });
        }
        Ok(())
    }

    /// `mod x;` with `#[cfg_attr(p, path = "f.rs")]`s becomes one
    /// declaration per file the build may choose, each with the predicate
    /// it is chosen under (like alternative `#[cfg]`'d declarations); any
    /// other item is itself, ungated.
    fn module_file_choices(&self, file: FileId, item: Item) -> Vec<(Item, Option<String>)> {
        let file_declaration = matches!(item.kind, ItemKind::Mod { body: None });
        let choices: Vec<(String, String)> = if file_declaration {
            item.attrs
                .iter()
                .filter(|a| a.path == ["cfg_attr"])
                .filter_map(|a| a.args)
                .filter_map(|range| cfg_text::cfg_attr_path(self.files[file as usize].slice(range)))
                .collect()
        } else {
            Vec::new()
        };
        if choices.is_empty() {
            return vec![(item, None)];
        }
        let predicates: Vec<&str> = choices.iter().map(|(p, _)| p.as_str()).collect();
        let default_gate = format!("not (any ({}))", predicates.join(" , "));
        let mut out: Vec<(Item, Option<String>)> = choices
            .iter()
            .map(|(predicate, path)| {
                let mut chosen = item.clone();
                chosen.attrs.retain(|a| a.path != ["path"]);
                chosen.attrs.push(shallow::Attr {
                    path: vec!["path".to_owned()],
                    args: None,
                    value: Some(path.clone()),
                });
                (chosen, Some(predicate.clone()))
            })
            .collect();
        out.push((item, Some(default_gate)));
        out
    }

    /// The directories `include!` paths may start from.
    pub fn include_dirs(&self) -> IncludeDirs<'_> {
        IncludeDirs {
            manifest: &self.manifest_dir,
            out: self.out_dir.as_deref(),
        }
    }

    /// Adds the items of the file an item-position `include!` names to
    /// `module`; false (the item stays a macro call) when `item` is not one
    /// or its file cannot be found.
    fn add_included(
        &mut self,
        module: ModId,
        file: FileId,
        item: &Item,
        ctx: &DirCtx,
        load: &mut Loader,
    ) -> Result<bool, IndexError> {
        if !matches!(item.kind, ItemKind::MacroCall)
            || item
                .via_macro
                .as_ref()
                .and_then(|p| p.last())
                .map(String::as_str)
                != Some("include")
        {
            return Ok(false);
        }
        let including = &self.files[file as usize];
        let dir = including.path.parent().unwrap_or(Path::new(""));
        let Some(path) =
            includes::item_include(including.slice(item.span), dir, self.include_dirs())
        else {
            self.unread_includes = true;
            return Ok(false);
        };
        if self.files.iter().any(|f| f.path == path) {
            self.reincluded.push(path);
            return Ok(false);
        }
        if !path.is_file() {
            self.missing.push(path);
            return Ok(false);
        }
        let parsed = load(&path)?;
        let items = parsed.items.clone();
        let file_id = self.files.len() as FileId;
        self.files.push(parsed);
        self.included_by.insert(file_id, (file, item.attrs.clone()));
        self.add_items(module, file_id, items, ctx, load)?;
        Ok(true)
    }

    fn add_child(
        &mut self,
        module: ModId,
        file: FileId,
        item: &Item,
        body: Option<Vec<Item>>,
        ctx: &DirCtx,
        load: &mut Loader,
    ) -> Result<Option<ModId>, IndexError> {
        let name = item.name.trim_start_matches("r#").to_owned();
        let path_attr = item
            .attrs
            .iter()
            .find(|a| a.path == ["path"])
            .and_then(|a| a.value.clone());
        let mut path = self.modules[module as usize].path.clone();
        path.push(item.name.clone());
        if let Some(inner) = body {
            // Inline module: children live in a subdirectory named after it.
            let dir = match &path_attr {
                Some(p) => ctx.path_base.join(p),
                None => ctx.children.join(&name),
            };
            let inner_ctx = DirCtx {
                children: dir.clone(),
                path_base: dir,
            };
            return self
                .add_module(path, Some(module), file, inner, &inner_ctx, load)
                .map(Some);
        }
        // A `#[path]` file is treated like a mod.rs file.
        let candidates = match &path_attr {
            Some(p) => vec![ctx.path_base.join(p)],
            None => ctx.module_files(&name),
        };
        let Some(found) = candidates.iter().find(|p| p.is_file()).cloned() else {
            self.missing.extend(candidates);
            return Ok(None);
        };
        // A file already in the tree (two `#[path]`s to one file, or a
        // cycle) is indexed once per declaration but never recursively
        // loaded twice along one chain.
        if self.chain_contains(module, &found) {
            return Ok(None);
        }
        // Paths not chosen still matter: creating `x.rs` next to `x/mod.rs`
        // changes what rustc loads.
        self.missing
            .extend(candidates.iter().filter(|p| **p != found).cloned());
        let parsed = load(&found)?;
        let items = parsed.items.clone();
        let file_id = self.files.len() as FileId;
        self.files.push(parsed);
        let ctx = DirCtx::of_module_file(&found, &name, path_attr.is_some());
        self.add_module(path, Some(module), file_id, items, &ctx, load)
            .map(Some)
    }

    fn chain_contains(&self, mut module: ModId, file: &Path) -> bool {
        loop {
            let m = &self.modules[module as usize];
            if self.files[m.file as usize].path == file {
                return true;
            }
            match m.parent {
                Some(p) => module = p,
                None => return false,
            }
        }
    }

    /// The innermost module containing byte `offset` of file `file`.
    pub fn module_at(&self, file: FileId, offset: u32) -> Option<ModId> {
        let mut best: Option<ModId> = None;
        for (i, m) in self.modules.iter().enumerate() {
            if m.file != file {
                continue;
            }
            // A module is declared by an item of its parent; inline modules
            // contain `offset` within that item's span.
            let inline_span = m
                .decl
                .map(|d| &self.items[d as usize])
                .filter(|it| it.file == file)
                .map(|it| it.item.span);
            let contains = match inline_span {
                Some(span) => span.0 <= offset && offset < span.1,
                None => true,
            };
            if contains && best.is_none_or(|b| self.modules[b as usize].path.len() <= m.path.len())
            {
                best = Some(i as ModId);
            }
        }
        best
    }

    /// Whether item `id` has a `#[cfg]` of its own (or its file is included
    /// under one): the build may compile it out.
    pub fn is_gated(&self, id: ItemId) -> bool {
        let cfg = |attrs: &[shallow::Attr]| attrs.iter().any(|a| a.path == ["cfg"]);
        let it = &self.items[id as usize];
        if cfg(&it.item.attrs) {
            return true;
        }
        let mut file = it.file;
        while let Some((including, attrs)) = self.included_by.get(&file) {
            if cfg(attrs) {
                return true;
            }
            file = *including;
        }
        false
    }

    /// The file id of `path`, if it is one of the crate's module files.
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| i as FileId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    fn build(root: &Path) -> CrateIndex {
        build_with_out_dir(root, None)
    }

    fn build_with_out_dir(root: &Path, out: Option<&Path>) -> CrateIndex {
        let manifest = root.parent().unwrap().parent().unwrap();
        let dirs = IncludeDirs { manifest, out };
        CrateIndex::build(root, dirs, &mut |p: &Path| {
            ParsedFile::read(p).map(Arc::new)
        })
        .unwrap()
    }

    fn module_files(index: &CrateIndex) -> Vec<String> {
        index
            .modules
            .iter()
            .map(|m| {
                format!(
                    "{}={}",
                    m.path.join("::"),
                    index.files[m.file as usize].path.display()
                )
            })
            .collect()
    }

    #[test]
    fn follows_mod_declarations_and_path_attributes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            &[
                (
                    "src/lib.rs",
                    "mod a; mod b; #[path = \"elsewhere/c_impl.rs\"] mod c; mod inl { mod deep; #[path = \"p.rs\"] mod q; }",
                ),
                ("src/a.rs", "mod child; #[path = \"sib.rs\"] mod s;"),
                ("src/a/child.rs", "fn x() {}"),
                ("src/sib.rs", ""),
                ("src/b/mod.rs", "mod bb;"),
                ("src/b/bb.rs", ""),
                ("src/elsewhere/c_impl.rs", "mod cc;"),
                ("src/elsewhere/cc.rs", ""),
                ("src/inl/deep.rs", ""),
                ("src/inl/p.rs", ""),
                ("src/orphan.rs", "fn never() {}"),
            ],
        );
        let index = build(&d.join("src/lib.rs"));
        let rel = |s: String| s.replace(&format!("{}/", d.display()), "");
        let got: Vec<String> = module_files(&index).into_iter().map(rel).collect();
        assert_eq!(
            got,
            [
                "=src/lib.rs",
                "a=src/a.rs",
                "a::child=src/a/child.rs",
                "a::s=src/sib.rs",
                "b=src/b/mod.rs",
                "b::bb=src/b/bb.rs",
                "c=src/elsewhere/c_impl.rs",
                "c::cc=src/elsewhere/cc.rs",
                "inl=src/lib.rs",
                "inl::deep=src/inl/deep.rs",
                "inl::q=src/inl/p.rs",
            ]
        );
    }

    #[test]
    fn inline_modules_in_non_mod_rs_files_nest_under_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            &[
                ("src/main.rs", "mod a;"),
                ("src/a.rs", "mod inl { mod x; #[path = \"y.rs\"] mod y; }"),
                ("src/a/inl/x.rs", ""),
                ("src/a/inl/y.rs", ""),
            ],
        );
        let index = build(&d.join("src/main.rs"));
        assert_eq!(index.modules.len(), 5, "{:?}", module_files(&index));
        assert!(index.missing.iter().all(|p| !p.ends_with("a/inl/x.rs")));
    }

    /// A `mod $m;` a macro writes: each file it could load is a module of
    /// the invoking module (bound to no name; the invocation reaches it).
    #[test]
    fn files_a_macro_invocation_may_declare_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            &[
                (
                    "src/lib.rs",
                    "macro_rules! decl { ($m:ident) => { mod $m; }; }
decl!(a);
other::declare!(b, junk, nothing);
wrap!(mod c; #[path = \"p.rs\"] mod e;);
include!(\"part.rs\");
",
                ),
                ("src/a.rs", "mod inner;"),
                ("src/a/inner.rs", ""),
                ("src/b.rs", ""),
                ("src/junk.rs", "this is not Rust {"),
                ("src/part.rs", ""),
                ("src/c/mod.rs", ""),
                ("src/p.rs", ""),
            ],
        );
        let index = build(&d.join("src/lib.rs"));
        let rel = |s: String| s.replace(&format!("{}/", d.display()), "");
        let got: Vec<String> = module_files(&index).into_iter().map(rel).collect();
        // `wrap!`'s arguments read as items: its `mod`s are followed as
        // any other. `other::declare!`, a macro of another crate, may
        // write `mod $m;`: its identifiers that name files are read
        // (`junk.rs`, which does not parse, left out; nothing remembered
        // of `nothing`); `include!` declares no module.
        assert_eq!(
            got,
            [
                "=src/lib.rs",
                "c=src/c/mod.rs",
                "e=src/p.rs",
                "b=src/b.rs",
                "a=src/a.rs",
                "a::inner=src/a/inner.rs"
            ]
        );
        assert!(!index.modules[0].names.contains_key("a"));
        assert!(index.missing.contains(&d.join("src/a/mod.rs")));
        assert!(index.missing.contains(&d.join("src/decl.rs")));
        assert!(!index.missing.contains(&d.join("src/nothing.rs")));
        assert_eq!(index.guessed_files.len(), 3);
        let decl = index.modules[3].decl.unwrap();
        assert_eq!(index.macro_modules[&decl], [3]);
    }

    #[test]
    fn missing_module_files_are_remembered() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("src/lib.rs", "mod gone;")]);
        let index = build(&dir.path().join("src/lib.rs"));
        assert_eq!(index.modules.len(), 1);
        assert!(index.missing.contains(&dir.path().join("src/gone.rs")));
        assert!(index.missing.contains(&dir.path().join("src/gone/mod.rs")));
    }

    #[test]
    fn items_of_included_files_belong_to_the_including_module() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            &[
                (
                    "src/lib.rs",
                    "mod m { include!(concat!(env!(\"OUT_DIR\"), \"/gen.rs\")); }\ninclude!(\"part.rs\");",
                ),
                ("src/part.rs", "pub fn from_part() {}"),
                ("out/gen.rs", "pub fn generated() {}"),
            ],
        );
        let names = |index: &CrateIndex| -> Vec<String> {
            index
                .items
                .iter()
                .map(|it| {
                    format!(
                        "{}:{}",
                        index.modules[it.module as usize].path.join("::"),
                        it.item.name
                    )
                })
                .collect()
        };
        let index = build_with_out_dir(&d.join("src/lib.rs"), Some(&d.join("out")));
        assert_eq!(names(&index), ["m:generated", ":m", ":from_part"]);
        assert!(index.modules[1].macro_calls.is_empty());
        assert!(!index.unread_includes);
        // Without OUT_DIR (the CLI) the generated items are unknown; the
        // include stays a macro call that names not found fall back to.
        let index = build(&d.join("src/lib.rs"));
        assert_eq!(names(&index), ["m:", ":m", ":from_part"]);
        assert_eq!(index.modules[1].macro_calls.len(), 1);
        assert!(index.unread_includes);
    }
}
