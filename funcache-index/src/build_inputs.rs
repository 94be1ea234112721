//! The build is part of the source: the same text compiles to other code
//! under other cargo features, targets, `debug_assertions` or `test`,
//! another `env!`/`option_env!` value, or another `build.rs` output.
//!
//! A proc macro cannot see the crate's active `cfg` (cargo sets
//! `CARGO_FEATURE_*` for build scripts only) nor tell rustc which
//! environment variables it read. So the index does not decide: it records
//! what the build decides — the `cfg` predicate each item exists under
//! (its gate), the predicates written inside items, the environment
//! variables read — and the macro emits `cfg!(..)` and `option_env!(..)`
//! for them, which rustc evaluates (and tracks) where the cached function
//! is compiled. The runtime mixes the answers into the fingerprint.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proc_macro2::{TokenStream, TokenTree};

use crate::cfg_text::{self, FILE_MACRO, TextInputs};
use crate::dep_features::PathPackages;
use crate::ids::{Binding, CrateId, ItemRef, ModRef, NodeKey};
use crate::package_inputs;
use crate::shallow::{Attr, ItemKind, UseEntry};
use crate::world::World;
use crate::{BuildInputs, Dependency};

/// The `cfg` predicate the item of `key` exists under: its own `#[cfg]`s
/// (an impl member's and its impl's) and those of every module around it,
/// as one predicate (`all(..)` when there are several). `None` when it
/// always exists.
pub(crate) fn gate(world: &World, key: NodeKey) -> Option<String> {
    let index = &world.crates[key.item.krate as usize].index;
    let it = world.item(key.item);
    let mut predicates: Vec<String> = Vec::new();
    // A `#[cfg]` that does not read as a predicate (never seen in code that
    // compiles) makes the item always count, which is safe.
    let mut unreadable = false;
    let mut add = |attrs: &[Attr], file: u32| {
        for attr in attrs.iter().filter(|a| a.path == ["cfg"]) {
            // A branch of a module-level `cfg_if!` (see `shallow::cfg_if`).
            if let Some(predicate) = &attr.value {
                predicates.push(predicate.clone());
                continue;
            }
            let text = attr
                .args
                .map(|range| index.files[file as usize].slice(range));
            match text
                .and_then(|t| t.parse::<TokenStream>().ok())
                .and_then(cfg_text::predicate)
            {
                Some(p) => predicates.push(p),
                None => unreadable = true,
            }
        }
    };
    if key.assoc != NodeKey::WHOLE {
        let members = match &it.item.kind {
            ItemKind::Impl(parts) => Some(&parts.items),
            ItemKind::Trait { items, .. } => Some(items),
            _ => None,
        };
        if let Some(member) = members.and_then(|m| m.get(key.assoc as usize)) {
            add(&member.attrs, it.file);
        }
    }
    add(&it.item.attrs, it.file);
    // `#[cfg(..)] include!("x.rs")`: the gate of every item of x.rs.
    let mut file = it.file;
    while let Some((including, attrs)) = index.included_by.get(&file) {
        add(attrs, *including);
        file = *including;
    }
    let mut module = Some(it.module);
    let mut module_files = Vec::new();
    let mut module_gates: Vec<String> = Vec::new();
    while let Some(id) = module {
        let m = &index.modules[id as usize];
        module_gates.extend(index.module_gates.get(&id).cloned());
        if let Some(decl) = m.decl {
            let decl = &index.items[decl as usize];
            add(&decl.item.attrs, decl.file);
            // A module in its own file may gate itself with `#![cfg(..)]`.
            if decl.file != m.file {
                module_files.push(m.file);
            }
        }
        module = m.parent;
    }
    predicates.extend(module_gates);
    for file in module_files {
        match cfg_text::inner_cfgs(&index.files[file as usize].text) {
            Ok(inner) => predicates.extend(inner),
            Err(()) => unreadable = true,
        }
    }
    if unreadable {
        return None;
    }
    predicates.dedup();
    match predicates.len() {
        0 => None,
        1 => predicates.pop(),
        _ => {
            // Innermost first was collected; outermost first reads better.
            predicates.reverse();
            Some(format!("all({})", predicates.join(", ")))
        }
    }
}

/// The predicate in every closure's [`BuildInputs::cfgs`]: debug and
/// release builds keep separate entries. The same text computes other
/// values under overflow checks (whose default follows `debug_assertions`;
/// no `cfg` tells them on stable Rust) and `debug_assert!`, which code
/// anywhere — std included — may use.
pub(crate) const PROFILE_CFG: &str = "debug_assertions";

/// Whether a predicate met in crate code can be evaluated where the cached
/// function is compiled: always in its own crate; in another crate of its
/// package (features, target and profile are the package's) unless it
/// mentions `test`, which only the crate under test has; never in another
/// package, whose features are its own.
pub(crate) fn evaluable_in(predicate: &str, same_crate: bool, same_package: bool) -> bool {
    if same_crate {
        return true;
    }
    same_package && !mentions(predicate, "test")
}

/// Whether a predicate names `word` (`test`, `feature`), or does not read
/// as tokens (then it may).
fn mentions(predicate: &str, word: &str) -> bool {
    predicate
        .parse::<TokenStream>()
        .map(|tokens| contains_ident(tokens, word))
        .unwrap_or(true)
}

fn contains_ident(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => contains_ident(group.stream(), name),
        _ => false,
    })
}

/// A predicate of another package that has the same answer where the
/// cached function is compiled, in the spelling to evaluate there: one that
/// names no `feature` (a package's features are its own). The target, the
/// profile's `debug_assertions` and `panic`, and `--cfg` flags of
/// `RUSTFLAGS` are the whole build's; `test` holds only in the crate under
/// test, never in a dependency, so it reads as false (`any()`). A custom
/// cfg the dependency's build script sets answers false here: the side it
/// picks still counts, and the script's output is an input of its own
/// (see [`crate::dep_build_output`]).
pub(crate) fn build_wide(predicate: &str) -> Option<String> {
    let tokens = predicate.parse::<TokenStream>().ok()?;
    if contains_ident(tokens.clone(), "feature") {
        return None;
    }
    let answer = without_test(tokens);
    // One of `all`/`any`/`not` only (`not(test)`) has one answer anywhere.
    let constant = !idents(answer.clone())
        .iter()
        .any(|i| !["all", "any", "not"].contains(&i.as_str()));
    (!constant).then(|| answer.to_string())
}

fn idents(tokens: TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => out.extend(idents(group.stream())),
            _ => {}
        }
    }
    out
}

/// `tokens` with each `test` predicate turned into the false `any()`.
fn without_test(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match tree {
            // `test`, not `test = ".."` (which is no predicate rustc knows).
            TokenTree::Ident(ident)
                if ident == "test"
                    && !matches!(trees.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '=') =>
            {
                let span = ident.span();
                out.push(TokenTree::Ident(proc_macro2::Ident::new("any", span)));
                out.push(TokenTree::Group(proc_macro2::Group::new(
                    proc_macro2::Delimiter::Parenthesis,
                    TokenStream::new(),
                )));
            }
            TokenTree::Group(group) => {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), without_test(group.stream()));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Whether `predicate`, the gate of an item of a crate other than the
/// cached function's, is false in every build of that crate: `test` holds
/// only in the crate under test (a dependency, or the library a binary of
/// the same package uses, is never built with `--test`), so each `test`
/// reads as false, and the predicate is false whatever the other options
/// are (`test`, `all(test, unix)`, `not(not(test))`). Such an item is never
/// compiled there (`#[cfg(test)] mod tests;`). A predicate that does not
/// read as one, or whose value another option decides (`any(test, unix)`),
/// is not: its items keep counting.
pub(crate) fn never_outside_test(predicate: &str) -> bool {
    predicate
        .parse::<TokenStream>()
        .ok()
        .and_then(value_without_test)
        == Some(false)
}

/// The value of a `cfg` predicate with `test` false, when the other
/// options cannot change it; `None` when they can or it does not read as a
/// predicate.
fn value_without_test(tokens: TokenStream) -> Option<bool> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(name)] => match name.to_string().as_str() {
            "test" | "false" => Some(false),
            "true" => Some(true),
            _ => None,
        },
        [TokenTree::Ident(name), TokenTree::Group(args)]
            if args.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            let mut values = args
                .stream()
                .into_iter()
                .collect::<Vec<_>>()
                .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                .filter(|operand| !operand.is_empty())
                .map(|operand| value_without_test(operand.iter().cloned().collect()))
                .collect::<Vec<_>>();
            match name.to_string().as_str() {
                "all" if values.contains(&Some(false)) => Some(false),
                "all" => values.iter().all(Option::is_some).then_some(true),
                "any" if values.contains(&Some(true)) => Some(true),
                "any" => values.iter().all(Option::is_some).then_some(false),
                "not" if values.len() == 1 => values.pop().flatten().map(|v| !v),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a variable read in another package can be read where the cached
/// function is compiled: cargo gives every crate of a build the same
/// environment except its own `CARGO_*` variables.
pub(crate) fn env_evaluable_in(variable: &str, same_package: bool) -> bool {
    same_package || !variable.starts_with("CARGO")
}

/// Gathers a closure's [`BuildInputs`], keeping only what can be evaluated
/// where the cached function is compiled (see [`evaluable_in`]); an item
/// whose gate cannot be evaluated there always counts.
pub(crate) struct BuildCollector<'w> {
    world: &'w World,
    view: &'w [CrateId],
    root_crate: CrateId,
    inputs: BuildInputs,
    /// Modules whose gated `use`s were looked at: (crate, module).
    modules: BTreeSet<(CrateId, u32)>,
    /// Gated `use`s of those modules: `(predicate, module, entries)`.
    uses: Vec<(String, ModRef, Vec<UseEntry>)>,
    /// Inputs the index evaluates itself (see [`crate::package_inputs`]),
    /// joined to the externals.
    fixed: BTreeSet<String>,
    /// Whether the closure meets a `cfg` of another package, which that
    /// package's features decide.
    foreign_cfg: bool,
    /// The crates of other packages where the closure meets a `cfg` that
    /// names a feature: the features the build enabled for them decide
    /// which side is compiled (see [`crate::enabled_features`]).
    feature_cfg_crates: BTreeSet<CrateId>,
    /// The crates whose code the closure reaches: each one's edition
    /// decides what its text means.
    crates: BTreeSet<CrateId>,
    /// The workspace root of the cached function's package.
    workspace_root: std::path::PathBuf,
    /// The path packages' manifests, read when first needed, and which of
    /// them the fingerprint takes declarations from.
    packages: PathPackages<'w>,
}

impl<'w> BuildCollector<'w> {
    pub fn new(world: &'w World, view: &'w [CrateId], root_crate: CrateId) -> Self {
        let workspace_root =
            crate::workspace::workspace_root(&world.crates[root_crate as usize].index.manifest_dir);
        BuildCollector {
            world,
            view,
            root_crate,
            inputs: BuildInputs::default(),
            modules: BTreeSet::new(),
            uses: Vec::new(),
            fixed: BTreeSet::new(),
            foreign_cfg: false,
            feature_cfg_crates: BTreeSet::new(),
            crates: BTreeSet::new(),
            packages: PathPackages::new(world, &workspace_root),
            workspace_root,
        }
    }

    fn same_package(&self, krate: CrateId) -> bool {
        let dir = |c: CrateId| &self.world.crates[c as usize].index.manifest_dir;
        dir(krate) == dir(self.root_crate)
    }

    /// Adds what an item's text reads from the build (`key`: the item,
    /// when it is one).
    pub fn add_text(&mut self, key: Option<NodeKey>, krate: CrateId, text: &TextInputs) {
        self.crates.insert(krate);
        let same_package = self.same_package(krate);
        for predicate in &text.cfgs {
            if evaluable_in(predicate, krate == self.root_crate, same_package) {
                self.inputs.cfgs.push(predicate.clone());
            } else if !same_package {
                self.foreign_cfg = true;
                if mentions(predicate, "feature") {
                    self.feature_cfg_crates.insert(krate);
                }
                self.inputs.cfgs.extend(build_wide(predicate));
            }
        }
        for variable in &text.env {
            if env_evaluable_in(variable, same_package) {
                self.inputs.env.push(variable.clone());
            } else {
                // Another package's `CARGO_PKG_*`: its manifest decides.
                self.fixed
                    .insert(package_inputs::package_metadata(self.world, krate));
                self.packages
                    .note(&self.world.crates[krate as usize].manifest);
            }
        }
        for input in &text.paths {
            if input == FILE_MACRO {
                if let Some(key) = key {
                    self.fixed.insert(package_inputs::file_macro(
                        self.world,
                        key,
                        &self.workspace_root,
                    ));
                }
            } else if same_package {
                self.inputs.env.push(input.clone());
            } else if let Some(value) = package_inputs::package_path(self.world, krate, input) {
                self.fixed.insert(value);
            }
        }
        self.inputs.out_dir |= text.out_dir;
    }

    /// Adds what an item's place decides: whether a build script generated
    /// its file, and the `#[cfg]`-gated `use`s of its module, which can
    /// pick what its names mean (`#[cfg(feature = "fast")] use
    /// fast::kernel;` beside another `use … kernel`).
    pub fn add_item(&mut self, key: NodeKey) {
        let world = self.world;
        let index = &world.crates[key.item.krate as usize].index;
        let file = &index.files[world.item(key.item).file as usize];
        if index
            .out_dir
            .as_ref()
            .is_some_and(|dir| file.path.starts_with(dir))
        {
            self.inputs.out_dir = true;
        }
        self.fixed
            .extend(package_inputs::proc_macro_sources(world, key));
        let module = world.module_of(key.item);
        if !self.modules.insert((module.krate, module.module)) {
            return;
        }
        for &item in &index.modules[module.module as usize].items {
            let item = ItemRef {
                krate: module.krate,
                item,
            };
            let ItemKind::Use(entries) = &world.item(item).item.kind else {
                continue;
            };
            let gate = gate(world, NodeKey::item(item));
            // Another package's build-wide gate: its answer (see `gate`).
            let predicate = match self.gate_of(item.krate, gate.as_deref()) {
                Some(Some(predicate)) => Some(predicate),
                Some(None) => gate.as_deref().and_then(build_wide),
                None => None,
            };
            if let Some(predicate) = predicate {
                self.uses.push((predicate, module, entries.clone()));
            }
        }
    }

    /// The predicate an item of `krate` counts under, when it has one that
    /// can be evaluated.
    ///
    /// Another package's gated item always counts (its features are its
    /// own); when its predicate is build-wide (see [`build_wide`]), its
    /// answer here, which is the dependency's, is an input too: which side
    /// is compiled follows the build (`-C target-feature=+avx2`).
    pub fn gate(&mut self, krate: CrateId, gate: Option<&str>) -> Option<String> {
        let evaluable = self.gate_of(krate, gate)?;
        if evaluable.is_none()
            && let Some(answer) = gate.and_then(build_wide)
        {
            self.inputs.cfgs.push(answer);
        }
        evaluable
    }

    /// [`Self::gate`] without inputs of its own: `Some(None)` when the
    /// gate cannot be evaluated here.
    fn gate_of(&mut self, krate: CrateId, gate: Option<&str>) -> Option<Option<String>> {
        let predicate = gate?;
        let same_package = self.same_package(krate);
        let evaluable = evaluable_in(predicate, krate == self.root_crate, same_package);
        self.foreign_cfg |= !evaluable && !same_package;
        if !evaluable && !same_package && mentions(predicate, "feature") {
            self.feature_cfg_crates.insert(krate);
        }
        Some(evaluable.then(|| predicate.to_owned()))
    }

    /// Whether an item of `krate` with this gate is never compiled in the
    /// build of the cached function: another crate's `#[cfg(test)]` item
    /// (see [`never_outside_test`]). It is no part of the closure.
    pub fn never_compiled(&self, krate: CrateId, gate: Option<&str>) -> bool {
        krate != self.root_crate && gate.is_some_and(never_outside_test)
    }

    /// Adds an item of the closure that has a gate.
    pub fn add_gated(&mut self, predicate: String, dependency: Dependency) {
        self.inputs.gated.push((predicate, dependency));
    }

    /// The inputs, given the closure's nodes and externals; adds to the
    /// externals what the index evaluated itself (see
    /// [`crate::package_inputs`]). Also returns the manifests whose
    /// declarations those took (`<dir>/Cargo.toml`, existing files only),
    /// for rustc to track: cargo may leave the crate fresh when only
    /// another package's manifest changed.
    pub fn finish(
        mut self,
        closure: &BTreeSet<NodeKey>,
        externals: &mut BTreeSet<String>,
    ) -> (BuildInputs, Vec<PathBuf>) {
        let items: BTreeSet<ItemRef> = closure.iter().map(|k| k.item).collect();
        let uses = std::mem::take(&mut self.uses);
        for (predicate, module, entries) in uses {
            if self.use_matters(module, &entries, &items, externals) {
                self.inputs.cfgs.push(predicate);
            }
        }
        // Code of this package that could not be read here (generated into
        // an OUT_DIR this reader does not know) may be in the closure.
        let unread = self
            .view
            .iter()
            .any(|&c| self.same_package(c) && self.world.crates[c as usize].index.unread_includes);
        self.inputs.out_dir |= unread;
        if self.foreign_cfg {
            self.fixed.insert(package_inputs::features(
                self.world,
                self.view,
                self.root_crate,
                &mut self.packages,
            ));
        }
        self.fixed
            .extend(package_inputs::profile(&self.workspace_root));
        self.fixed.extend(
            self.crates
                .iter()
                .map(|&krate| package_inputs::edition(self.world, krate)),
        );
        self.fixed.extend(crate::dep_features::external_features(
            self.world,
            self.root_crate,
            externals,
            &mut self.packages,
        ));
        let reached: BTreeSet<CrateId> = closure.iter().map(|k| k.item.krate).collect();
        self.inputs.dep_features = crate::enabled_features::direct_deps(
            self.world,
            self.root_crate,
            &reached,
            &self.feature_cfg_crates,
            externals,
        );
        externals.append(&mut self.fixed);
        self.inputs.cfgs.push(PROFILE_CFG.to_owned());
        // The package's own features: a dependency's code may follow one
        // (`po = ["serde_json/preserve_order"]`) where no `cfg` in the
        // closure names it.
        let manifest = &self.world.crates[self.root_crate as usize].manifest;
        self.inputs.cfgs.extend(
            manifest
                .features
                .iter()
                .map(|feature| format!("feature = \"{feature}\"")),
        );
        self.inputs.gated.sort();
        self.inputs.gated.dedup();
        self.inputs.cfgs.sort();
        self.inputs.cfgs.dedup();
        self.inputs.env.sort();
        self.inputs.env.dedup();
        (self.inputs, self.packages.read())
    }

    /// Whether a gated `use` can change what the closure's code means:
    /// what it imports is in the closure (std, modules and associated items
    /// count as in it). Whether another binding of the name (the other side
    /// of the `cfg`, a glob, the prelude) would apply without it is not
    /// asked: mixing in a predicate's value costs nothing while the build
    /// stays the same.
    fn use_matters(
        &self,
        module: ModRef,
        entries: &[UseEntry],
        closure: &BTreeSet<ItemRef>,
        externals: &BTreeSet<String>,
    ) -> bool {
        entries.iter().any(|entry| {
            entry.glob
                || self
                    .world
                    .resolve_use(module, &entry.path)
                    .iter()
                    .any(|binding| match binding {
                        Binding::Item(item) | Binding::Assoc(item, _) => closure.contains(item),
                        Binding::External(name) => externals.contains(name),
                        Binding::Module(_) | Binding::Std => true,
                    })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `text` to `path` below `root`, creating its directories.
    fn write_file(root: &std::path::Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn test_only_predicates_are_not_evaluated_across_crates() {
        assert!(evaluable_in("test", true, true));
        assert!(evaluable_in("feature = \"fast\"", false, true));
        assert!(!evaluable_in("all (unix , test)", false, true));
        assert!(!evaluable_in("feature = \"fast\"", false, false));
        assert!(env_evaluable_in("MODE", false));
        assert!(!env_evaluable_in("CARGO_PKG_VERSION", false));
        assert!(env_evaluable_in("CARGO_PKG_VERSION", true));
    }

    #[test]
    fn gated_items_leave_the_fingerprint_for_the_build_to_decide() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "Cargo.toml",
            "[package]\nname = \"gates\"\nversion = \"0.1.0\"\n\n[dependencies]\nfuncache = \"0.1\"\n",
        );
        let lib = r#"
            #[cfg(feature = "fast")]
            fn kernel(x: u64) -> u64 { x * 2 }
            #[cfg(not(feature = "fast"))]
            fn kernel(x: u64) -> u64 { x * 3 }
            const MODE: Option<&str> = option_env!("MODE");
            pub struct P(pub u64);
            #[funcache::cache]
            pub fn f(x: u64) -> u64 {
                if cfg!(debug_assertions) { 0 } else { kernel(x) + P(1).0 + MODE.map_or(0, |m| m.len() as u64) }
            }
            #[cfg(test)]
            mod tests {
                impl std::fmt::Display for super::P {
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.0) }
                }
            }
        "#;
        write("src/lib.rs", lib);
        let found = crate::package_cached_fns(dir.path()).unwrap();
        let analysis = &found[0].analysis;
        let gated: Vec<(&str, &str)> = analysis
            .build
            .gated
            .iter()
            .map(|(predicate, d)| (predicate.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            gated,
            [
                ("feature = \"fast\"", "crate::kernel"),
                ("not (feature = \"fast\")", "crate::kernel"),
                ("test", "crate::tests::<super::P as std::fmt::Display>::fmt"),
            ]
        );
        let paths: Vec<&str> = analysis
            .dependencies
            .iter()
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(paths, ["crate::MODE", "crate::P", "crate::f"]);
        assert_eq!(analysis.build.cfgs, ["debug_assertions"]);
        assert_eq!(analysis.build.env, ["MODE"]);
        assert!(!analysis.build.out_dir);

        // Editing code the build excludes leaves the source fingerprint alone.
        let fingerprint = analysis.fingerprint;
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(
            "src/lib.rs",
            &lib.replace("write!(f, \"{}\"", "write!(f, \"P{}\""),
        );
        let again = crate::package_cached_fns(dir.path()).unwrap();
        assert_eq!(again[0].analysis.fingerprint, fingerprint);
        assert_ne!(again[0].analysis.build, found[0].analysis.build);
    }

    #[test]
    fn gates_of_another_package_are_not_evaluated_here() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\ndep = { path = \"../dep\" }\n",
        );
        write(
            "app/src/lib.rs",
            "#[funcache::cache]\npub fn f(x: u64) -> u64 { dep::k(x) + (dep::MODE.len() + dep::NAME.len()) as u64 }",
        );
        write(
            "dep/Cargo.toml",
            "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n",
        );
        write(
            "dep/src/lib.rs",
            r#"
            #[cfg(feature = "x")]
            pub fn k(x: u64) -> u64 { x * 2 }
            #[cfg(not(feature = "x"))]
            pub fn k(x: u64) -> u64 { if cfg!(test) { 0 } else { x * 3 } }
            pub const MODE: &str = match option_env!("MODE") { Some(m) => m, None => "" };
            pub const NAME: &str = env!("CARGO_PKG_NAME");
        "#,
        );
        let found = crate::package_cached_fns(&dir.path().join("app")).unwrap();
        let analysis = &found[0].analysis;
        let paths: Vec<&str> = analysis
            .dependencies
            .iter()
            .map(|d| d.path.as_str())
            .collect();
        // Both sides count: the dependency's features are its own.
        assert_eq!(
            paths,
            ["crate::f", "dep::MODE", "dep::NAME", "dep::k", "dep::k"]
        );
        assert!(analysis.build.gated.is_empty());
        assert_eq!(analysis.build.cfgs, [PROFILE_CFG]);
        // Its environment is the same build's, but not its CARGO_ variables.
        assert_eq!(analysis.build.env, ["MODE"]);
    }

    #[test]
    fn build_wide_predicates_of_another_package_read_test_as_false() {
        assert_eq!(
            build_wide("target_feature = \"avx2\"").as_deref(),
            Some("target_feature = \"avx2\"")
        );
        assert_eq!(
            build_wide("all (unix , not (test))").as_deref(),
            Some("all (unix , not (any ()))")
        );
        assert_eq!(
            build_wide("any (docsrs , test)").as_deref(),
            Some("any (docsrs , any ())")
        );
        // Its features are its own; `test` alone is false there.
        assert_eq!(build_wide("all (unix , feature = \"x\")"), None);
        assert_eq!(build_wide("test"), None);
        assert_eq!(build_wide("not (test)"), None);
    }

    /// Issue: `RUSTFLAGS="-C target-feature=+avx2"` picks the other side of
    /// a path dependency's `#[cfg(target_feature = ..)]`: both sides count,
    /// and which one the build compiled must too.
    #[test]
    fn build_wide_gates_of_another_package_are_answered_here() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nd = { path = \"../d\" }\n",
        );
        write(
            "app/src/lib.rs",
            "#[funcache::cache]\npub fn t() -> u32 { d::simd() + d::pick() + d::inner() }\n\
             #[funcache::cache]\npub fn plain() -> u32 { d::plain() }\n\
             #[funcache::cache]\npub fn via_use() -> u32 { d::uses() }",
        );
        write(
            "d/Cargo.toml",
            "[package]\nname = \"d\"\nversion = \"0.1.0\"\n",
        );
        write(
            "d/src/lib.rs",
            r#"
            #[cfg(target_feature = "avx2")]
            pub fn simd() -> u32 { 2 }
            #[cfg(not(target_feature = "avx2"))]
            pub fn simd() -> u32 { 1 }
            #[cfg(all(unix, feature = "x"))]
            pub fn pick() -> u32 { 2 }
            #[cfg(not(all(unix, feature = "x")))]
            pub fn pick() -> u32 { 1 }
            pub fn inner() -> u32 { if cfg!(all(panic = "abort", not(test))) { 1 } else { 2 } }
            mod fast { pub fn k() -> u32 { 2 } }
            mod slow { pub fn k() -> u32 { 1 } }
            #[cfg(debug_assertions)]
            use fast::k;
            #[cfg(not(debug_assertions))]
            use slow::k;
            pub fn plain() -> u32 { 3 }
            pub fn uses() -> u32 { k() }
        "#,
        );
        let found = crate::package_cached_fns(&dir.path().join("app")).unwrap();
        let t = &found[0].analysis;
        let paths: Vec<&str> = t.dependencies.iter().map(|d| d.path.as_str()).collect();
        // Both sides still count.
        assert_eq!(
            paths,
            [
                "crate::t", "d::inner", "d::pick", "d::pick", "d::simd", "d::simd"
            ]
        );
        assert!(t.build.gated.is_empty());
        assert_eq!(
            t.build.cfgs,
            [
                "all (panic = \"abort\" , not (any ()))",
                PROFILE_CFG,
                "not (target_feature = \"avx2\")",
                "target_feature = \"avx2\"",
            ]
        );
        // The gated `use`s of a module count only when what they import is
        // reached.
        assert_eq!(found[1].analysis.build.cfgs, [PROFILE_CFG]);
        assert_eq!(
            found[2].analysis.build.cfgs,
            [PROFILE_CFG, "not (debug_assertions)"]
        );
    }

    #[test]
    fn a_module_file_that_gates_itself_gates_its_items() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "Cargo.toml",
            "[package]\nname = \"inner\"\nversion = \"0.1.0\"\n",
        );
        write(
            "src/fast.rs",
            "//! Fast.\n#![cfg(feature = \"fast\")]\npub fn k(x: u64) -> u64 { x * 2 }",
        );
        write(
            "src/lib.rs",
            "mod fast;\n#[funcache::cache]\npub fn f(x: u64) -> u64 { fast::k(x) }",
        );
        let found = crate::package_cached_fns(dir.path()).unwrap();
        let gated: Vec<(&str, &str)> = found[0]
            .analysis
            .build
            .gated
            .iter()
            .map(|(predicate, d)| (predicate.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(gated, [("feature = \"fast\"", "crate::fast::k")]);
    }

    #[test]
    fn each_module_file_a_cfg_attr_path_may_choose_is_gated() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "Cargo.toml",
            "[package]\nname = \"sys\"\nversion = \"0.1.0\"\n",
        );
        write("src/sys/unix.rs", "pub fn k(x: u64) -> u64 { x * 2 }");
        write("src/sys/other.rs", "pub fn k(x: u64) -> u64 { x * 3 }");
        write(
            "src/lib.rs",
            r#"
            #[cfg_attr(unix, path = "sys/unix.rs")]
            #[cfg_attr(not(unix), path = "sys/other.rs")]
            mod sys;
            #[funcache::cache]
            pub fn f(x: u64) -> u64 { sys::k(x) }
        "#,
        );
        let found = crate::package_cached_fns(dir.path()).unwrap();
        let gated: Vec<(&str, &str)> = found[0]
            .analysis
            .build
            .gated
            .iter()
            .map(|(predicate, d)| (predicate.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            gated,
            [("not (unix)", "crate::sys::k"), ("unix", "crate::sys::k")]
        );
    }

    #[test]
    fn items_of_a_gated_include_are_gated() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "Cargo.toml",
            "[package]\nname = \"inc\"\nversion = \"0.1.0\"\n",
        );
        write("src/a.rs", "fn pick(x: u64) -> u64 { x * 2 }");
        write("src/b.rs", "fn pick(x: u64) -> u64 { x * 3 }");
        write(
            "src/lib.rs",
            r#"
            #[cfg(feature = "a")]
            include!("a.rs");
            #[cfg(not(feature = "a"))]
            include!("b.rs");
            #[funcache::cache]
            pub fn f(x: u64) -> u64 { pick(x) }
        "#,
        );
        let found = crate::package_cached_fns(dir.path()).unwrap();
        let gated: Vec<&str> = found[0]
            .analysis
            .build
            .gated
            .iter()
            .map(|(predicate, _)| predicate.as_str())
            .collect();
        assert_eq!(gated, ["feature = \"a\"", "not (feature = \"a\")"]);
    }

    #[test]
    fn gated_uses_of_a_module_in_the_closure_are_inputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"uses\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        let lib = r#"
            mod fast_impl { pub fn pick(x: u64) -> u64 { x * 2 } }
            mod slow_impl { pub fn pick(x: u64) -> u64 { x * 3 } }
            mod steps {
                #[cfg(feature = "fast")]
                use crate::fast_impl::pick;
                #[cfg(not(feature = "fast"))]
                use crate::slow_impl::pick;
                #[funcache::cache]
                pub fn f(x: u64) -> u64 { pick(x) }
                #[funcache::cache]
                pub fn g(x: u64) -> u64 { x }
                // The only binding of its name: without it `Vec` is std's.
                #[cfg(feature = "own-vec")]
                use crate::own::Vec;
                #[funcache::cache]
                pub fn h() -> usize { Vec::new().len() }
            }
            mod own { pub struct Vec; impl Vec { pub fn new() -> Vec { Vec } pub fn len(&self) -> usize { 7 } } }
        "#;
        std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
        let found = crate::package_cached_fns(dir.path()).unwrap();
        assert_eq!(
            found[0].analysis.build.cfgs,
            [
                PROFILE_CFG,
                "feature = \"fast\"",
                "not (feature = \"fast\")"
            ]
        );
        // A function of the module that does not use what they import.
        assert_eq!(found[1].analysis.build.cfgs, [PROFILE_CFG]);
        assert_eq!(
            found[2].analysis.build.cfgs,
            [PROFILE_CFG, "feature = \"own-vec\""]
        );
    }

    #[test]
    fn predicates_false_wherever_test_is_false_are_never_compiled() {
        for never in [
            "test",
            "all (test , unix)",
            "all (feature = \"x\" , test)",
            "not (not (test))",
            "not (any (unix , not (test)))",
            "any (test , false)",
            "any ()",
        ] {
            assert!(never_outside_test(never), "{never}");
        }
        for may in [
            "unix",
            "not (test)",
            "any (test , feature = \"x\")",
            "all (unix , not (test))",
            "test = \"x\"",
            "all ()",
            "not (test , unix)",
            "cfg_if (test)",
            "all (test",
        ] {
            assert!(!never_outside_test(may), "{may}");
        }
    }

    /// Issue: nom's `#[cfg(test)] mod tests;` files implement its
    /// `ParseError` for test types; every closure that opened the trait
    /// took those impls, so editing a test file of the dependency
    /// recomputed every cached function that used nom. `test` is false in
    /// a dependency and in a library a binary uses: its test modules,
    /// inline or in their own files, are never compiled there.
    #[test]
    fn another_crates_test_modules_are_no_part_of_the_closure() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| write_file(dir.path(), path, text);
        write(
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\ndep = { path = \"../dep\" }\n",
        );
        // The trait objects in `Shelf` make every impl of `Show` count.
        let shelf = r#"
            pub trait Show { fn show(&self) -> String; }
            pub struct Shelf { pub items: Vec<Box<dyn Show>> }
            impl Shelf { pub fn render(&self) -> String { self.items.iter().map(|i| i.show()).collect() } }
        "#;
        write(
            "app/src/lib.rs",
            &format!(
                "{shelf}\n#[funcache::cache]\npub fn own() -> String {{ Shelf {{ items: Vec::new() }}.render() }}\n\
                 #[funcache::cache]\npub fn from_dep() -> String {{ dep::shelf().render() }}\n#[cfg(test)]\nmod tests;\n"
            ),
        );
        write(
            "app/src/tests.rs",
            "pub struct Fake;\nimpl crate::Show for Fake { fn show(&self) -> String { \"fake\".into() } }\n",
        );
        write(
            "app/src/main.rs",
            "#[funcache::cache]\nfn from_lib() -> String { app::Shelf { items: Vec::new() }.render() }\nfn main() {}\n",
        );
        write(
            "dep/Cargo.toml",
            "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n",
        );
        write(
            "dep/src/lib.rs",
            &format!(
                "{shelf}\npub mod branch;\npub fn shelf() -> Shelf {{ Shelf {{ items: Vec::new() }} }}\n"
            ),
        );
        write(
            "dep/src/branch/mod.rs",
            r#"
            #[cfg(test)]
            mod tests;
            #[cfg(test)]
            mod inline {
                pub struct Inline;
                impl crate::Show for Inline { fn show(&self) -> String { String::new() } }
            }
            // Whether it is compiled is the dependency's feature's business.
            #[cfg(any(test, feature = "x"))]
            pub struct Maybe;
            #[cfg(any(test, feature = "x"))]
            impl crate::Show for Maybe { fn show(&self) -> String { String::new() } }
        "#,
        );
        write(
            "dep/src/branch/tests.rs",
            "pub struct ErrorStr;\nimpl crate::Show for ErrorStr { fn show(&self) -> String { \"custom\".into() } }\n",
        );
        let found = crate::package_cached_fns(&dir.path().join("app")).unwrap();
        let closure = |name: &str| -> (Vec<String>, Vec<(String, String)>) {
            let f = found
                .iter()
                .find(|f| {
                    f.analysis
                        .dependencies
                        .iter()
                        .any(|d| d.path.ends_with(name))
                })
                .unwrap();
            let paths = f
                .analysis
                .dependencies
                .iter()
                .map(|d| d.path.clone())
                .collect();
            let gated = f
                .analysis
                .build
                .gated
                .iter()
                .map(|(p, d)| (p.clone(), d.path.clone()))
                .collect();
            (paths, gated)
        };
        let (paths, gated) = closure("::from_dep");
        assert_eq!(
            paths,
            [
                "crate::from_dep",
                "dep::Shelf",
                "dep::Shelf::render",
                "dep::Show",
                "dep::Show::show",
                "dep::branch::<Maybe as crate::Show>::show",
                "dep::branch::Maybe",
                "dep::shelf",
            ]
        );
        assert!(gated.is_empty(), "{gated:?}");
        // The library's own test module: `cfg!(test)` decides where the
        // cached function is compiled, which may be its unit-test build.
        let (paths, gated) = closure("::own");
        assert!(paths.iter().all(|p| !p.contains("tests")), "{paths:?}");
        assert_eq!(
            gated,
            [
                ("test", "crate::tests::<Fake as crate::Show>::show"),
                ("test", "crate::tests::Fake")
            ]
            .map(|(p, d)| (p.to_owned(), d.to_owned()))
        );
        // A binary of the package uses the library built without `--test`.
        let (paths, gated) = closure("::from_lib");
        assert_eq!(
            paths,
            [
                "app::Shelf",
                "app::Shelf::render",
                "app::Show",
                "app::Show::show",
                "crate::from_lib"
            ]
        );
        assert!(gated.is_empty(), "{gated:?}");
    }
}
