//! Reference extraction: walks parsed code and collects every item it
//! reaches — calls, function values, consts and statics, types, trait
//! bounds, methods (by receiver type), macros and the code inside macro
//! arguments — tracking local scopes so that locals, parameters and
//! generic parameters are never mistaken for items.

mod block_items;
mod infer;
mod lookup;
mod macros;
mod walk;

use std::collections::{BTreeSet, HashMap, HashSet};

use proc_macro2::Span;
use syn::Pat;
use syn::visit::{self, Visit};

use crate::ids::{Binding, ItemRef, NodeKey};
use crate::session::{Session, path_segments};
use crate::shallow::{ItemKind, UseEntry};
use crate::std_names::PRELUDE;
use crate::ty::{Ty, TyCx};
use crate::world::{Ns, path_text};

/// What a piece of code reaches.
#[derive(Default, Debug)]
pub(crate) struct Out {
    pub nodes: BTreeSet<NodeKey>,
    pub externals: BTreeSet<String>,
    /// `(path as written, location)`.
    pub unresolved: Vec<(String, String)>,
    /// Traits of `dyn Trait`s stored in data: their values may come from
    /// outside the closure (see [`crate::session::open_bounds`]). Crate traits of
    /// fields and statics; std and external traits of statics only (a
    /// field's value reaches a cached fn through an argument, which is
    /// serialized, or through a static).
    pub open: crate::trait_sets::Open,
    /// Methods called on receivers of unknown type: those of the crate
    /// types in the closure join (see [`crate::session::open_bounds`]).
    pub by_name: BTreeSet<String>,
    /// Gated std traits the code may use (see
    /// [`crate::trait_sets::GATED`]).
    pub uses: crate::trait_sets::Uses,
}

/// Where parsed text sits in its file, to turn spans into locations.
#[derive(Clone, Debug)]
pub(crate) struct LocBase {
    /// The file, relative to the manifest directory of the analysis.
    pub file: String,
    /// 1-based line and column of the text's first byte.
    pub line: usize,
    pub column: usize,
}

#[derive(Default)]
struct Scope {
    locals: HashMap<String, Ty>,
    uses: Vec<UseEntry>,
    items: HashSet<String>,
    /// Variants of the enums among `items`, for `use Local::*;`.
    variants: HashMap<String, Vec<String>>,
    /// The block invokes a non-std macro in statement position (e.g.
    /// `bitflags! { struct Flags .. }`): it may define names the index
    /// cannot see, so missing names are not reported, as at module level.
    item_macros: bool,
}

/// The walker. Create one per node with [`Walker::new`], feed it syntax,
/// take [`Walker::out`].
pub(crate) struct Walker<'a, 'w> {
    pub(crate) s: &'a Session<'w>,
    pub(crate) cx: TyCx,
    scopes: Vec<Scope>,
    loc: LocBase,
    /// Inside the arguments of a macro that is not std's: its input may
    /// not be code, so unresolved names there are not reported.
    quiet: usize,
    /// Walking data (a field, a static): `dyn Trait`s opens their traits.
    pub(crate) dyn_opens: bool,
    /// Walking a static.
    pub(crate) in_static: bool,
    /// Scanning a derive list, which defines impls and uses none.
    pub(crate) in_derive: bool,
    /// Scanning a `macro_rules!` body: its paths resolve where it is
    /// invoked (see [`crate::session::macro_calls`]).
    pub(crate) in_macro_body: bool,
    pub out: Out,
}

impl<'a, 'w> Walker<'a, 'w> {
    /// A walker for code in context `cx`.
    pub fn new(s: &'a Session<'w>, cx: TyCx, loc: LocBase) -> Self {
        Walker {
            s,
            cx,
            scopes: vec![Scope::default()],
            loc,
            quiet: 0,
            dyn_opens: false,
            in_static: false,
            in_derive: false,
            in_macro_body: false,
            out: Out::default(),
        }
    }

    /// Declares that the walked text is the indexed item `item`, so that
    /// names it does not bind resolve through the blocks around it.
    pub fn set_within(&mut self, item: ItemRef) {
        self.cx.within = Some(item);
    }

    fn location(&self, span: Span) -> String {
        let start = span.start();
        let (line, column) = if start.line <= 1 {
            (self.loc.line, self.loc.column + start.column)
        } else {
            (self.loc.line + start.line - 1, start.column + 1)
        };
        format!("{}:{line}:{column}", self.loc.file)
    }

    /// Records external crates the code uses. Code that reaches into one
    /// (not a derive list, which only defines impls) may hand it values of
    /// crate types, whose gated std impls it may then call.
    fn add_externals(&mut self, externals: Vec<String>) {
        if !externals.is_empty() && !self.in_derive {
            self.out.uses.note_all();
        }
        self.out.externals.extend(externals);
    }

    pub(crate) fn local(&self, name: &str) -> Option<&Ty> {
        self.scopes.iter().rev().find_map(|s| s.locals.get(name))
    }

    fn is_local_item(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.items.contains(name))
    }

    /// Whether an enclosing block may define items through a macro.
    fn under_item_macros(&self) -> bool {
        self.scopes.iter().any(|s| s.item_macros)
    }

    fn bind(&mut self, name: String, ty: Ty) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.locals.insert(name, ty);
        }
    }

    fn push(&mut self) {
        self.scopes.push(Scope::default());
    }

    fn pop(&mut self) {
        self.scopes.pop();
    }

    /// Resolves and records a path, its last segment in namespace `ns`;
    /// unresolvable ones are reported.
    fn record_path(&mut self, segs: Vec<String>, span: Span, ns: Ns) -> Ty {
        if segs.is_empty() {
            return Ty::Unknown;
        }
        self.out.uses.note_path(&segs);
        match self.resolve_in(&segs, ns) {
            Some((nodes, externals, ty)) => {
                // Only macro invocations standing in for the name: it
                // may be one they generate, which the index cannot see.
                // Not when std or an external crate is among what it
                // denotes (`#[cfg(..)] use core::hash::Hasher;`, which
                // hides nothing as it may be compiled out).
                let generated = !nodes.is_empty()
                    && externals.is_empty()
                    && nodes.iter().all(|k| {
                        crate::session::macro_calls::is_crate_macro_invocation(self.s, *k)
                    })
                    && !self
                        .bindings(&segs, ns)
                        .is_some_and(|bindings| bindings.iter().any(|b| matches!(b, Binding::Std)));
                if generated && self.quiet == 0 && !self.under_item_macros() {
                    let location = self.location(span);
                    self.out.unresolved.push((path_text(&segs), location));
                }
                self.out.nodes.extend(nodes);
                self.add_externals(externals);
                ty
            }
            None => {
                let prelude = segs.len() == 1 && PRELUDE.contains(&segs[0].as_str());
                if self.quiet == 0 && !prelude && !self.under_item_macros() {
                    let location = self.location(span);
                    self.out.unresolved.push((path_text(&segs), location));
                }
                Ty::Unknown
            }
        }
    }

    fn record_syn_path(&mut self, path: &syn::Path, ns: Ns) -> Ty {
        let span = path
            .segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span());
        let ty = self.record_path(path_segments(path), span, ns);
        for seg in &path.segments {
            self.visit_path_arguments(&seg.arguments);
        }
        ty
    }

    /// `<T as Trait>::f`, `<T as Trait>::Assoc::f`, `<T>::f`: through the
    /// trait's items (every item of that name when it has none), else
    /// through `T`'s type (see [`crate::session::projection`]).
    fn record_qself(&mut self, qself: &syn::QSelf, path: &syn::Path) {
        self.visit_type(&qself.ty);
        let segs = path_segments(path);
        let position = qself.position.min(segs.len());
        if position > 0 {
            // The trait path: its item, and its uses noted.
            let span = path
                .segments
                .first()
                .map_or_else(Span::call_site, |s| s.ident.span());
            self.record_path(segs[..position].to_vec(), span, Ns::Type);
        }
        let base = self.s.qualified_base(&self.cx, qself, &segs[..position]);
        let base_name = crate::session::projection::qself_name(qself);
        let (found, _) = self
            .s
            .param_path(&self.cx, base, &base_name, &segs[position..]);
        self.out.nodes.extend(found);
    }

    /// Sets what `Self` is and adds the enclosing impl's or trait's generics.
    pub fn set_self(&mut self, ty: Ty, generics: &syn::Generics) {
        self.cx.self_ty = Some(ty);
        self.s.add_generics(&mut self.cx, generics);
    }

    /// Brings generic parameters into scope.
    pub fn add_generics(&mut self, generics: &syn::Generics) {
        self.s.add_generics(&mut self.cx, generics);
    }

    /// Records a path in type position (a trait in an impl header).
    pub fn visit_path_as_type(&mut self, path: &syn::Path) {
        self.record_syn_path(path, Ns::Type);
    }

    /// Walks a function: generics, parameters and body in a new scope.
    pub fn walk_fn(&mut self, sig: &syn::Signature, block: Option<&syn::Block>) {
        let saved = self.cx.generics.len();
        self.s.add_generics(&mut self.cx, &sig.generics);
        self.push();
        self.visit_generics(&sig.generics);
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(r) => {
                    let ty = match &r.kind {
                        syn::ReceiverKind::Typed(_, t) => self.s.ty_of(&self.cx, t),
                        _ => self.cx.self_ty.clone().unwrap_or(Ty::Unknown),
                    };
                    if let syn::ReceiverKind::Typed(_, t) = &r.kind {
                        self.visit_type(t);
                    }
                    self.bind("self".into(), ty);
                }
                syn::FnArg::Typed(p) => {
                    self.visit_type(&p.ty);
                    let ty = self.s.ty_of(&self.cx, &p.ty);
                    self.bind_pat(&p.pat, ty);
                }
            }
        }
        if let syn::ReturnType::Type(_, ty) = &sig.output {
            self.visit_type(ty);
        }
        if let Some(block) = block {
            self.visit_block(block);
        }
        self.pop();
        self.cx.generics.truncate(saved);
    }

    /// Declares the bindings of a pattern; paths in it (variants, consts,
    /// unit structs) are references.
    fn bind_pat(&mut self, pat: &Pat, ty: Ty) {
        match pat {
            Pat::Ident(p) => {
                let name = p.ident.to_string();
                // A lone identifier naming a const, static or unit struct
                // is a reference, not a binding.
                if p.by_ref.is_none()
                    && p.mutability.is_none()
                    && p.subpat.is_none()
                    && self.local(&name).is_none()
                {
                    let bindings = self
                        .bindings(std::slice::from_ref(&name), Ns::Value)
                        .unwrap_or_default();
                    let is_constant = bindings.iter().any(|b| match b {
                        Binding::Item(i) => match &self.s.world.item(*i).item.kind {
                            ItemKind::Const | ItemKind::Static | ItemKind::Struct => true,
                            ItemKind::Enum { variants } => variants.contains(&name),
                            _ => false,
                        },
                        _ => false,
                    });
                    if is_constant {
                        self.record_path(vec![name], p.ident.span(), Ns::Value);
                        return;
                    }
                }
                if let Some((_, sub)) = &p.subpat {
                    self.bind_pat(sub, ty.clone());
                }
                self.bind(name, ty);
            }
            Pat::Type(p) => {
                self.visit_type(&p.ty);
                let ty = self.s.ty_of(&self.cx, &p.ty);
                self.bind_pat(&p.pat, ty);
            }
            Pat::Reference(p) => self.bind_pat(&p.pat, ty),
            Pat::Paren(p) => self.bind_pat(&p.pat, ty),
            Pat::Or(p) => {
                for case in &p.cases {
                    self.bind_pat(case, ty.clone());
                }
            }
            Pat::Tuple(p) => {
                for elem in &p.elems {
                    self.bind_pat(elem, Ty::Unknown);
                }
            }
            Pat::Slice(p) => {
                let elem = ty.element();
                for e in &p.elems {
                    self.bind_pat(e, elem.clone());
                }
            }
            Pat::TupleStruct(p) => {
                match &p.qself {
                    Some(q) => self.record_qself(q, &p.path),
                    None => {
                        self.record_syn_path(&p.path, Ns::Value);
                    }
                }
                // `Some(x)` / `Ok(x)` of a known Option/Result.
                let inner = if p.path.is_ident("Some") || p.path.is_ident("Ok") {
                    ty.unwrapped()
                } else {
                    Ty::Unknown
                };
                for elem in &p.elems {
                    self.bind_pat(elem, inner.clone());
                }
            }
            Pat::Struct(p) => {
                match &p.qself {
                    Some(q) => self.record_qself(q, &p.path),
                    None => {
                        self.record_syn_path(&p.path, Ns::Type);
                    }
                }
                for field in &p.fields {
                    self.bind_pat(&field.pat, Ty::Unknown);
                }
            }
            Pat::Path(p) => match &p.qself {
                Some(q) => self.record_qself(q, &p.path),
                None => {
                    self.record_syn_path(&p.path, Ns::Value);
                }
            },
            Pat::Guard(p) => {
                self.bind_pat(&p.pat, ty);
                self.visit_expr(&p.guard);
            }
            other => visit::visit_pat(self, other),
        }
    }

    /// Walks a closure whose parameter `i` has type `params[i]` (unknown
    /// past the end).
    fn walk_closure(&mut self, c: &syn::ExprClosure, params: &[Ty]) {
        self.push();
        for (i, input) in c.inputs.iter().enumerate() {
            self.bind_pat(input, params.get(i).cloned().unwrap_or(Ty::Unknown));
        }
        if let syn::ReturnType::Type(_, ty) = &c.output {
            self.visit_type(ty);
        }
        self.visit_expr(&c.body);
        self.pop();
    }
}

/// The closure of `name` in a one-file crate made of `lib_rs`, as paths
/// without `crate::`: what each part of the walker is tested through.
#[cfg(test)]
pub(super) fn closure_of(lib_rs: &str, name: &str) -> Vec<String> {
    closure_in_edition(lib_rs, name, "edition = \"2021\"\n")
}

/// [`closure_of`] in a crate whose manifest says `edition` (a line, or
/// nothing: 2015).
#[cfg(test)]
pub(super) fn closure_in_edition(lib_rs: &str, name: &str, edition: &str) -> Vec<String> {
    analysis_in_edition(lib_rs, name, edition)
        .dependencies
        .iter()
        .map(|d| d.path.trim_start_matches("crate::").to_owned())
        .collect()
}

/// The analysis of `name` in a one-file crate made of `lib_rs` whose
/// manifest says `edition`.
#[cfg(test)]
pub(super) fn analysis_in_edition(lib_rs: &str, name: &str, edition: &str) -> crate::Analysis {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!("[package]\nname = \"walked\"\nversion = \"0.1.0\"\n{edition}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib_rs).unwrap();
    let site = crate::MacroSite {
        manifest_dir: dir.path().to_path_buf(),
        crate_name: "walked".into(),
        bin_name: None,
        file: dir.path().join("src/lib.rs"),
        line: 1,
    };
    crate::analyze_fn_path(&site, name, b"").unwrap().0
}

#[cfg(test)]
mod tests {
    use super::{analysis_in_edition, closure_in_edition, closure_of};

    /// Trial F: `unresolved()` listed `::ROOT` as `::::ROOT` (the leading
    /// `::` segment joined with `::`).
    #[test]
    fn unresolved_paths_are_listed_as_written() {
        let lib = "pub fn f() { ::missing::thing(); other::thing(); }\npub fn g() { ::gone!(); }";
        let paths = |name: &str| -> Vec<String> {
            analysis_in_edition(lib, name, "edition = \"2021\"\n")
                .unresolved
                .into_iter()
                .map(|u| u.path)
                .collect()
        };
        assert_eq!(paths("f"), ["::missing::thing", "other::thing"]);
        assert_eq!(paths("g"), ["::gone!"]);
    }

    /// Trial F, E: a fn named as the module holding it, re-exported
    /// (`pub use crate::find::find;`, as memchr and base64 do): a call of
    /// `crate::find` or `find` reached the module, not the fn, and
    /// edits of the fn were served stale.
    #[test]
    fn a_call_reaches_the_fn_of_a_module_of_the_same_name() {
        let lib = "pub struct First;\nmod find { pub fn find(x: u32) -> u32 { x + 1 } }\n\
                   pub use crate::find::find;\n\
                   pub mod sf { pub mod conv { pub fn conv() {} } pub use self::conv::conv; }\n\
                   pub fn qualified(x: u32) -> u32 { crate::find(x) }\n\
                   pub fn unqualified(x: u32) -> u32 { find(x) }\n\
                   pub fn nested() { sf::conv() }\n\
                   pub fn as_value() -> fn(u32) -> u32 { find }";
        for f in ["qualified", "unqualified", "as_value"] {
            let mut expected = vec!["find::find", f];
            expected.sort();
            assert_eq!(closure_of(lib, f), expected, "{f}");
        }
        assert_eq!(closure_of(lib, "nested"), ["nested", "sf::conv::conv"]);
    }

    /// Trial F, A (crc32fast 1.2.1): edition 2015's crate-relative `use`
    /// paths and `::` paths to the crate root were unresolved, so edits of
    /// what they name were served stale.
    #[test]
    fn edition_2015_paths_start_at_the_crate_root() {
        let lib = "pub const ROOT: u32 = 100;\n\
                   mod table { pub const K: u32 = 10; pub struct Hasher; impl Hasher { pub fn new() -> Self { Hasher } } }\n\
                   pub mod cached {\n\
                       use table::K;\n\
                       pub fn via_use(x: u32) -> u32 { x + K }\n\
                       pub fn via_root(x: u32) -> u32 { x + ::ROOT }\n\
                       pub fn via_block() -> u32 { use table::Hasher; let _ = Hasher::new(); ::table::K }\n\
                   }";
        assert_eq!(
            closure_in_edition(lib, "cached::via_use", ""),
            ["cached::via_use", "table::K"]
        );
        assert_eq!(
            closure_in_edition(lib, "cached::via_root", ""),
            ["ROOT", "cached::via_root"]
        );
        assert_eq!(
            closure_in_edition(lib, "cached::via_block", ""),
            [
                "cached::via_block",
                "table::Hasher",
                "table::Hasher::new",
                "table::K"
            ]
        );
    }

    #[test]
    fn locals_and_generic_parameters_are_not_items() {
        let closure = closure_of(
            "pub fn f<T: Default>() -> T { let one = 1; let _ = one; T::default() }\n\
             pub fn one() {}\npub struct T;",
            "f",
        );
        assert_eq!(closure, ["f"]);
    }

    #[test]
    fn typed_parameters_pick_their_methods() {
        let closure = closure_of(
            "pub struct A; pub struct B;\n\
             impl A { pub fn go(&self) {} }\nimpl B { pub fn go(&self) {} }\n\
             pub fn f(a: &A, _b: B) { a.go() }",
            "f",
        );
        assert_eq!(closure, ["A", "A::go", "B", "f"]);
    }
}
