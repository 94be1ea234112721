//! Reference extraction: walks parsed code and collects every item it
//! reaches — calls, function values, consts and statics, types, trait
//! bounds, methods (by receiver type), macros and the code inside macro
//! arguments — tracking local scopes so that locals, parameters and
//! generic parameters are never mistaken for items.

use std::collections::{BTreeSet, HashMap, HashSet};

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Token};

use crate::impls::TypeKey;
use crate::receiver::{Session, Ty, TyCx, path_segments, traits_or_unknown};
use crate::scope::{Binding, ItemRef, NodeKey, PRELUDE, STD_MACROS};
use crate::shallow::{ItemKind, UseEntry};

/// What a piece of code reaches.
#[derive(Default, Debug)]
pub(crate) struct Out {
    pub nodes: BTreeSet<NodeKey>,
    pub externals: BTreeSet<String>,
    /// `(path as written, location)`.
    pub unresolved: Vec<(String, String)>,
    /// Traits of `dyn Trait`s stored in data: their values may come from
    /// outside the closure (see [`crate::open_bounds`]). Crate traits of
    /// fields and statics; std and external traits of statics only (a
    /// field's value reaches a cached fn through an argument, which is
    /// serialized, or through a static).
    pub open: crate::open_bounds::Open,
    /// Methods called on receivers of unknown type: those of the crate
    /// types in the closure join (see [`crate::open_bounds`]).
    pub by_name: BTreeSet<String>,
    /// Gated std traits the code may use (see
    /// [`crate::open_bounds::GATED`]).
    pub uses: crate::open_bounds::Uses,
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
    /// invoked (see [`crate::macro_calls`]).
    pub(crate) in_macro_body: bool,
    pub out: Out,
}

/// What the blocks of the walked text make of a path's first segment.
enum InText {
    /// An item declared in the text: its tokens are in the text's hash
    /// and its body is walked where it is written.
    Item,
    /// Bound by a `use` in the text, to these (empty: to nothing).
    Bound(Vec<Binding>),
    /// Possibly provided by a glob of an external crate or std (`use
    /// serde::*;`), whose names the index does not know: these, if
    /// nothing else binds it.
    Maybe(Vec<Binding>),
    /// Not bound in the text.
    Free,
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

    /// What the blocks of the walked text bind `segs[0]` to, innermost
    /// block first: its items, then its named `use`s, then its globs.
    fn in_text(&self, segs: &[String]) -> InText {
        let Some(first) = segs.first() else {
            return InText::Free;
        };
        let rest = &segs[1..];
        let mut seen = HashSet::new();
        let mut maybe = Vec::new();
        for scope in self.scopes.iter().rev() {
            if scope.items.contains(first) {
                return InText::Item;
            }
            let mut found = Vec::new();
            for u in scope.uses.iter().filter(|u| !u.glob) {
                if u.name.as_deref() == Some(first.as_str()) {
                    // `use Local::A;` of an item declared in the text.
                    if u.path.first().is_some_and(|p| self.is_local_item(p)) {
                        return InText::Item;
                    }
                    let mut p = u.path.clone();
                    p.extend_from_slice(rest);
                    found.extend(
                        self.s
                            .world
                            .resolve_from(self.cx.module, self.cx.within, &p),
                    );
                }
            }
            if !found.is_empty() {
                return InText::Bound(found);
            }
            if scope
                .uses
                .iter()
                .any(|u| u.name.as_deref() == Some(first.as_str()))
            {
                // `use missing::thing;`: bound, to nothing known.
                return InText::Bound(Vec::new());
            }
            for u in scope.uses.iter().filter(|u| u.glob) {
                // `use Local::*;` of an enum declared in the text.
                if let [local] = u.path.as_slice()
                    && self
                        .scopes
                        .iter()
                        .filter_map(|s| s.variants.get(local))
                        .any(|variants| variants.contains(first))
                {
                    return InText::Item;
                }
                for target in self
                    .s
                    .world
                    .resolve_from(self.cx.module, self.cx.within, &u.path)
                {
                    match target {
                        Binding::External(_) | Binding::Std => maybe.push(target),
                        target => {
                            found.extend(self.s.world.glob_provides(target, first, &mut seen))
                        }
                    }
                }
            }
            if !found.is_empty() {
                return InText::Bound(self.s.world.follow(found, rest, &mut seen));
            }
        }
        if maybe.is_empty() {
            InText::Free
        } else {
            InText::Maybe(self.s.world.follow(maybe, rest, &mut seen))
        }
    }

    /// Bindings of a path: through the walked text's blocks, then the
    /// blocks around it, then its module. `None` for an item declared in
    /// the text.
    fn bindings(&self, segs: &[String]) -> Option<Vec<Binding>> {
        match self.in_text(segs) {
            InText::Item => None,
            InText::Bound(found) => Some(found),
            InText::Maybe(maybe) => {
                let found = self
                    .s
                    .world
                    .resolve_from(self.cx.module, self.cx.within, segs);
                Some(if found.is_empty() { maybe } else { found })
            }
            InText::Free => Some(
                self.s
                    .world
                    .resolve_from(self.cx.module, self.cx.within, segs),
            ),
        }
    }

    /// Resolves a path to nodes, externals and the type it denotes (for
    /// constructors and types). Returns `None` when it is unresolved.
    pub(crate) fn resolve(&self, segs: &[String]) -> Option<(Vec<NodeKey>, Vec<String>, Ty)> {
        let first = segs.first()?;
        let rest = &segs[1..];
        if rest.is_empty() && self.local(first).is_some() {
            return Some((
                Vec::new(),
                Vec::new(),
                self.local(first).cloned().unwrap_or(Ty::Unknown),
            ));
        }
        // `I::create`, `I::Bound::max_value`: through a type parameter's
        // bounds (see [`crate::projection`]).
        if let Some(bounds) = self.cx.generic(first) {
            let base = traits_or_unknown(bounds.to_vec());
            if rest.is_empty() {
                return Some((Vec::new(), Vec::new(), base));
            }
            let (nodes, projected) = self.s.param_path(&self.cx, base, &segs[..1], rest);
            return Some((nodes, Vec::new(), projected));
        }
        if first == "Self" {
            let self_ty = self.cx.self_ty.clone().unwrap_or(Ty::Unknown);
            let mut nodes = Vec::new();
            if let Ty::Named(TypeKey::Local(i), _) = &self_ty {
                nodes.push(NodeKey::item(*i));
            }
            let (found, projected) = self
                .s
                .param_path(&self.cx, self_ty.clone(), &segs[..1], rest);
            // `Self::Variant`, `Self::new` of a named type are that type;
            // `Self::CONST` and what a trait's `Self` names may be any.
            let ty = match (&self_ty, &projected) {
                _ if rest.is_empty() => self_ty,
                (_, Ty::Named(..) | Ty::Traits(_)) => projected,
                (Ty::Named(..), Ty::Unknown)
                    if rest.len() == 1 && !found.iter().any(|n| self.s.is_assoc_const(*n)) =>
                {
                    self_ty
                }
                _ => Ty::Unknown,
            };
            nodes.extend(found);
            return Some((nodes, Vec::new(), ty));
        }
        let Some(bindings) = self.bindings(segs) else {
            // Declared in the walked text: covered by its hash.
            return Some((Vec::new(), Vec::new(), Ty::Unknown));
        };
        if bindings.is_empty() {
            return None;
        }
        let mut nodes = Vec::new();
        let mut externals = Vec::new();
        let mut ty = Ty::Unknown;
        for b in bindings {
            match b {
                Binding::Item(i) => {
                    let kind = &self.s.world.item(i).item.kind;
                    if matches!(
                        kind,
                        ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union
                    ) {
                        ty = Ty::Named(TypeKey::Local(i), Vec::new());
                    }
                    if !matches!(
                        kind,
                        ItemKind::Use(_) | ItemKind::Mod { .. } | ItemKind::ExternCrate { .. }
                    ) {
                        nodes.push(NodeKey::item(i));
                    }
                }
                Binding::Assoc(i, name) => {
                    nodes.push(NodeKey::item(i));
                    match &self.s.world.item(i).item.kind {
                        ItemKind::Trait { .. } => {
                            let found = self.s.assoc_of_traits(&[i], &name);
                            nodes.extend(if found.is_empty() {
                                self.s.assoc_by_name(&name)
                            } else {
                                found
                            });
                        }
                        ItemKind::TypeAlias => {
                            let module = self.s.world.module_of(i);
                            if let Some(target) = self.s.world.alias_target(i) {
                                for key in self.s.world.type_keys(module, &target) {
                                    if let TypeKey::Local(t) = &key {
                                        nodes.push(NodeKey::item(*t));
                                    }
                                    nodes.extend(self.s.assoc_of_type(&key, &name));
                                }
                            }
                        }
                        _ => nodes.extend(self.s.assoc_of_type(&TypeKey::Local(i), &name)),
                    }
                }
                Binding::External(x) => {
                    externals.push(x);
                    nodes.extend(self.foreign_assoc(segs));
                }
                Binding::Std => nodes.extend(self.foreign_assoc(segs)),
                Binding::Module(_) => {}
            }
        }
        Some((nodes, externals, ty))
    }

    /// Whether `segs` names a std item (and nothing of the crates'), seen
    /// through the body's `use`s and the module's.
    pub(crate) fn names_std(&self, segs: &[String]) -> bool {
        if segs.len() == 1 && (self.local(&segs[0]).is_some() || self.is_local_item(&segs[0])) {
            return false;
        }
        if segs.first().is_some_and(|s| s == "Self") || self.cx.generic(&segs[0]).is_some() {
            return false;
        }
        // `None`: declared in the walked text, so not std.
        self.bindings(segs).is_some_and(|bindings| {
            !bindings.is_empty() && bindings.iter().all(|b| matches!(b, Binding::Std))
        })
    }

    /// `String::from` → the crate's own impls for the foreign type, if any.
    fn foreign_assoc(&self, segs: &[String]) -> Vec<NodeKey> {
        if segs.len() >= 2 {
            let key = TypeKey::Foreign(segs[segs.len() - 2].clone());
            self.s.assoc_of_type(&key, &segs[segs.len() - 1])
        } else {
            Vec::new()
        }
    }

    /// Resolves and records a path; unresolvable ones are reported.
    fn record_path(&mut self, segs: Vec<String>, span: Span) -> Ty {
        if segs.is_empty() {
            return Ty::Unknown;
        }
        self.out.uses.note_path(&segs);
        match self.resolve(&segs) {
            Some((nodes, externals, ty)) => {
                let generated = !nodes.is_empty()
                    && nodes
                        .iter()
                        .all(|k| crate::macro_calls::is_crate_macro_invocation(self.s, *k));
                if generated && self.quiet == 0 && !self.under_item_macros() {
                    let location = self.location(span);
                    self.out.unresolved.push((segs.join("::"), location));
                }
                self.out.nodes.extend(nodes);
                self.out.externals.extend(externals);
                ty
            }
            None => {
                let prelude = segs.len() == 1 && PRELUDE.contains(&segs[0].as_str());
                if self.quiet == 0 && !prelude && !self.under_item_macros() {
                    let location = self.location(span);
                    self.out.unresolved.push((segs.join("::"), location));
                }
                Ty::Unknown
            }
        }
    }

    fn record_syn_path(&mut self, path: &syn::Path) -> Ty {
        let span = path
            .segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span());
        let ty = self.record_path(path_segments(path), span);
        for seg in &path.segments {
            self.visit_path_arguments(&seg.arguments);
        }
        ty
    }

    /// `<T as Trait>::f`, `<T as Trait>::Assoc::f`, `<T>::f`: through the
    /// trait's items (every item of that name when it has none), else
    /// through `T`'s type (see [`crate::projection`]).
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
            self.record_path(segs[..position].to_vec(), span);
        }
        let base = self.s.qualified_base(&self.cx, qself, &segs[..position]);
        let base_name = crate::projection::qself_name(qself);
        let (found, _) = self
            .s
            .param_path(&self.cx, base, &base_name, &segs[position..]);
        self.out.nodes.extend(found);
    }

    /// Sets what `Self` is and adds the enclosing impl's or trait's generics.
    pub fn set_self(&mut self, ty: Ty, generics: &syn::Generics) {
        self.cx.self_ty = Some(ty);
        self.cx.add_generics(self.s, generics);
    }

    /// Brings generic parameters into scope.
    pub fn add_generics(&mut self, generics: &syn::Generics) {
        self.cx.add_generics(self.s, generics);
    }

    /// Records a path in type position (a trait in an impl header).
    pub fn visit_path_as_type(&mut self, path: &syn::Path) {
        self.record_syn_path(path);
    }

    /// Walks a function: generics, parameters and body in a new scope.
    pub fn walk_fn(&mut self, sig: &syn::Signature, block: Option<&syn::Block>) {
        let saved = self.cx.generics.len();
        self.cx.add_generics(self.s, &sig.generics);
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
                        .bindings(std::slice::from_ref(&name))
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
                        self.record_path(vec![name], p.ident.span());
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
                        self.record_syn_path(&p.path);
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
                        self.record_syn_path(&p.path);
                    }
                }
                for field in &p.fields {
                    self.bind_pat(&field.pat, Ty::Unknown);
                }
            }
            Pat::Path(p) => match &p.qself {
                Some(q) => self.record_qself(q, &p.path),
                None => {
                    self.record_syn_path(&p.path);
                }
            },
            Pat::Guard(p) => {
                self.bind_pat(&p.pat, ty);
                self.visit_expr(&p.guard);
            }
            other => visit::visit_pat(self, other),
        }
    }

    /// Walks the arguments of a macro call as code when they parse as
    /// comma-separated expressions (or as statements); otherwise resolves
    /// whatever paths in them name crate items.
    fn walk_macro_args(&mut self, mac: &syn::Macro) {
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        if let Ok(args) = syn::parse::Parser::parse2(parser, mac.tokens.clone()) {
            // `format!("{:w$}", x, w = n)`: `w` names an argument, not an
            // item; only its value is code.
            let named: Vec<String> = args.iter().filter_map(named_format_arg).collect();
            // The format string is the first string literal (after the
            // writer of `write!`, the condition of `assert!` …).
            let format_string = args.iter().position(|a| {
                matches!(
                    a,
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(_),
                        ..
                    })
                )
            });
            for (i, arg) in args.iter().enumerate() {
                if Some(i) == format_string {
                    self.inline_format_args(arg, &named);
                }
                if let Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = arg
                {
                    self.out.uses.note_format_string(&s.value());
                }
                match arg {
                    Expr::Assign(a) if named_format_arg(arg).is_some() => self.visit_expr(&a.right),
                    other => self.visit_expr(other),
                }
            }
            return;
        }
        if let Ok(block) = syn::parse::Parser::parse2(syn::Block::parse_within, mac.tokens.clone())
        {
            self.push();
            for stmt in &block {
                self.visit_stmt(stmt);
            }
            self.pop();
            return;
        }
        self.scan_tokens(mac.tokens.clone());
    }

    /// `println!("{x} {CONST:w$}")`: names captured by a format string
    /// (before `:` and before `$` in the spec) are references, unless they
    /// are locals or the macro's named arguments.
    fn inline_format_args(&mut self, arg: &Expr, named: &[String]) {
        let Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = arg
        else {
            return;
        };
        for name in format_string_names(&s.value()) {
            if !named.contains(&name) && self.local(&name).is_none() && !self.is_local_item(&name) {
                self.record_path(vec![name], s.span());
            }
        }
    }

    /// Token soup: any `a::b::c` or `f` whose first segment resolves to a
    /// crate item is included; nothing is reported as unresolved.
    pub fn scan_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let trees: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                proc_macro2::TokenTree::Group(g) => {
                    self.scan_tokens(g.stream());
                    i += 1;
                }
                proc_macro2::TokenTree::Literal(lit) => {
                    self.out.uses.note_format_string(&lit.to_string());
                    i += 1;
                }
                proc_macro2::TokenTree::Ident(_)
                    if crate::macro_calls::names_no_item(&trees, i) =>
                {
                    i += 1;
                }
                proc_macro2::TokenTree::Ident(ident) => {
                    if !self.in_derive {
                        self.out.uses.note_ident(&ident.to_string());
                    }
                    let preceded_by_dollar = i > 0
                        && matches!(&trees[i - 1], proc_macro2::TokenTree::Punct(p) if p.as_char() == '$');
                    let mut segs = vec![if preceded_by_dollar && ident == "crate" {
                        "crate".to_owned()
                    } else {
                        ident.to_string()
                    }];
                    let mut j = i + 1;
                    while j + 2 < trees.len() + 1 {
                        let is_sep = matches!((&trees.get(j), &trees.get(j + 1)),
                            (Some(proc_macro2::TokenTree::Punct(a)), Some(proc_macro2::TokenTree::Punct(b)))
                                if a.as_char() == ':' && b.as_char() == ':');
                        if !is_sep {
                            break;
                        }
                        match trees.get(j + 2) {
                            Some(proc_macro2::TokenTree::Ident(next)) => {
                                segs.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    let after_dot = i > 0
                        && matches!(&trees[i - 1], proc_macro2::TokenTree::Punct(p) if p.as_char() == '.');
                    let invoked = matches!(
                        (trees.get(j), trees.get(j + 1)),
                        (Some(proc_macro2::TokenTree::Punct(p)), Some(proc_macro2::TokenTree::Group(_)))
                            if p.as_char() == '!'
                    );
                    if after_dot && segs.len() == 1 {
                        // `$x.calc9()` in a macro body: a method of a
                        // receiver whose type is not known.
                        let called = matches!(
                            trees.get(j),
                            Some(proc_macro2::TokenTree::Group(g))
                                if g.delimiter() == proc_macro2::Delimiter::Parenthesis
                        ) || matches!(trees.get(j), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ':');
                        if called {
                            let (found, join) = self.s.method_call(&Ty::Unknown, &segs[0]);
                            self.out.nodes.extend(found);
                            if join {
                                self.out.by_name.insert(segs[0].clone());
                            }
                        }
                    } else if invoked && (!preceded_by_dollar || segs[0] == "crate") {
                        // `$crate::m!(..)`, `m!(..)`: another macro.
                        self.record_macro_path(&segs, ident.span(), false);
                    } else if preceded_by_dollar && segs[0] != "crate" {
                        // `$t::new()`: an associated item of a type not
                        // known here.
                        if let Some(name) = segs.get(1) {
                            self.out.nodes.extend(self.s.assoc_by_name(name));
                        }
                    } else {
                        let is_local = segs.len() == 1 && self.local(&segs[0]).is_some();
                        if !is_local && let Some((nodes, externals, _)) = self.resolve(&segs) {
                            self.out.nodes.extend(nodes);
                            self.out.externals.extend(externals);
                        }
                        if self.in_macro_body {
                            self.resolve_at_invocation_sites(&segs);
                        }
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }

    /// A path in a `macro_rules!` body, not written from the crate root,
    /// resolves in the module of each invocation, which the index does not
    /// track: it resolves in every module of the crate that binds its
    /// first segment (not through the modules' invocations, which stand in
    /// for any missing name).
    fn resolve_at_invocation_sites(&mut self, segs: &[String]) {
        let Some(first) = segs.first() else {
            return;
        };
        if matches!(
            first.as_str(),
            "crate" | "$crate" | "self" | "super" | "Self" | "::"
        ) {
            return;
        }
        let saved = (self.cx.module, self.cx.within.take());
        for module in crate::macro_calls::modules_binding(self.s.world, saved.0.krate, first) {
            self.cx.module = module;
            if let Some((nodes, externals, _)) = self.resolve(segs) {
                self.out.nodes.extend(
                    nodes
                        .into_iter()
                        .filter(|k| !crate::macro_calls::is_invocation(self.s.world, *k)),
                );
                self.out.externals.extend(externals);
            }
        }
        (self.cx.module, self.cx.within) = saved;
    }

    fn record_macro(&mut self, mac: &syn::Macro) {
        let span = mac
            .path
            .segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span());
        self.record_macro_path(&path_segments(&mac.path), span, true);
    }

    /// Records an invocation of the macro at `segs` (see
    /// [`crate::macro_calls`] for the rule); `report` lists it as
    /// unresolved when nothing matches.
    fn record_macro_path(&mut self, segs: &[String], span: Span, report: bool) {
        let name = segs.last().cloned().unwrap_or_default();
        self.out.uses.note_macro(&name);
        let std_macro = segs.len() == 1 && STD_MACROS.contains(&name.as_str());
        let by_name = crate::macro_calls::macros_by_name(self.s, self.cx.module.krate, segs);
        let (mut nodes, externals) = self
            .resolve(segs)
            .map(|(nodes, externals, _)| (nodes, externals))
            .unwrap_or_default();
        if !by_name.is_empty() || std_macro {
            // The module's item-position invocations stand in for names
            // the module lacks; a macro found by name is not one of them.
            nodes.retain(|k| !crate::macro_calls::is_invocation(self.s.world, *k));
        }
        let found = !by_name.is_empty() || !nodes.is_empty() || !externals.is_empty();
        self.out
            .nodes
            .extend(by_name.into_iter().map(NodeKey::item));
        self.out.nodes.extend(nodes);
        self.out.externals.extend(externals);
        if !found && !std_macro && report && self.bindings(segs).is_some_and(|b| b.is_empty()) {
            let location = self.location(span);
            self.out
                .unresolved
                .push((format!("{}!", segs.join("::")), location));
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

    /// Declares the items of a block (visible in all of it) and its `use`s.
    fn declare_block_items(&mut self, stmts: &[syn::Stmt]) {
        for stmt in stmts {
            let statement_macro = match stmt {
                syn::Stmt::Macro(m) => Some(&m.mac),
                syn::Stmt::Item(syn::Item::Macro(m)) => Some(&m.mac),
                _ => None,
            };
            if let Some(mac) = statement_macro {
                let std_macro = mac
                    .path
                    .get_ident()
                    .is_some_and(|i| STD_MACROS.contains(&i.to_string().as_str()));
                if !std_macro && let Some(scope) = self.scopes.last_mut() {
                    scope.item_macros = true;
                }
            }
            if let syn::Stmt::Item(item) = stmt {
                match item {
                    syn::Item::Use(u) => {
                        let mut entries = Vec::new();
                        flatten_use(
                            &u.tree,
                            &mut Vec::new(),
                            u.leading_colon.is_some(),
                            &mut entries,
                        );
                        if let Some(scope) = self.scopes.last_mut() {
                            scope.uses.extend(entries);
                        }
                    }
                    other => {
                        if let Some(name) = item_name(other)
                            && let Some(scope) = self.scopes.last_mut()
                        {
                            if let syn::Item::Enum(e) = other {
                                let variants = e.variants.iter().map(|v| v.ident.to_string());
                                scope.variants.insert(name.clone(), variants.collect());
                            }
                            scope.items.insert(name);
                        }
                    }
                }
            }
        }
    }
}

/// Methods of collections (and their iterators, and `Option`) whose closure
/// argument takes elements, with how many of its parameters do.
const ELEMENT_CLOSURES: &[(&str, usize)] = &[
    ("map", 1),
    ("filter", 1),
    ("filter_map", 1),
    ("flat_map", 1),
    ("for_each", 1),
    ("inspect", 1),
    ("any", 1),
    ("all", 1),
    ("find", 1),
    ("find_map", 1),
    ("position", 1),
    ("take_while", 1),
    ("skip_while", 1),
    ("map_while", 1),
    ("partition", 1),
    ("max_by_key", 1),
    ("min_by_key", 1),
    ("sort_by_key", 1),
    ("sort_unstable_by_key", 1),
    ("retain", 1),
    ("and_then", 1),
    ("is_some_and", 1),
    ("is_none_or", 1),
    ("sort_by", 2),
    ("sort_unstable_by", 2),
    ("max_by", 2),
    ("min_by", 2),
];

/// `name = value` in a macro's arguments: a named format argument.
fn named_format_arg(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Assign(a) => match a.left.as_ref() {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The identifiers a format string captures: `{name}`, `{name:…}` and
/// `name$` widths and precisions in a spec. `{{` is an escaped brace.
fn format_string_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            rest = after;
            continue;
        }
        let end = rest.find('}').unwrap_or(rest.len());
        let field = &rest[..end];
        rest = &rest[end..];
        let (argument, spec) = field.split_once(':').unwrap_or((field, ""));
        let mut candidates = vec![argument.trim()];
        // `name$` in the spec: split at `$` and take the identifier that
        // ends each piece but the last.
        let pieces: Vec<&str> = spec.split('$').collect();
        for piece in &pieces[..pieces.len().saturating_sub(1)] {
            let start = piece
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            candidates.push(&piece[start..]);
        }
        for c in candidates {
            let is_ident = c
                .chars()
                .next()
                .is_some_and(|f| f.is_alphabetic() || f == '_')
                && c.chars().all(|ch| ch.is_alphanumeric() || ch == '_');
            if is_ident && c != "_" {
                out.push(c.to_owned());
            }
        }
    }
    out
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Fn(f) => &f.sig.ident,
        syn::Item::Struct(s) => &s.ident,
        syn::Item::Enum(e) => &e.ident,
        syn::Item::Const(c) => &c.ident,
        syn::Item::Static(s) => &s.ident,
        syn::Item::Type(t) => &t.ident,
        syn::Item::Trait(t) => &t.ident,
        syn::Item::Union(u) => &u.ident,
        syn::Item::Mod(m) => &m.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// Flattens a syn use tree into entries, like [`crate::shallow`] does.
fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    leading: bool,
    out: &mut Vec<UseEntry>,
) {
    if leading && prefix.is_empty() {
        prefix.push("::".into());
    }
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, false, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let (path, bound) = if name == "self" {
                (prefix.clone(), prefix.last().cloned().unwrap_or_default())
            } else {
                let mut p = prefix.clone();
                p.push(name.clone());
                (p, name)
            };
            out.push(UseEntry {
                path,
                name: Some(bound),
                glob: false,
            });
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            let alias = r.rename.to_string();
            out.push(UseEntry {
                path,
                name: (alias != "_").then_some(alias),
                glob: false,
            });
        }
        syn::UseTree::Glob(_) => out.push(UseEntry {
            path: prefix.clone(),
            name: None,
            glob: true,
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, false, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Walker<'_, '_> {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        // Attributes are no calls, except serde's paths in strings (on a
        // type, a field or a variant), which its derives call.
        for r in crate::serde_attrs::serde_refs(attr) {
            match r {
                crate::serde_attrs::SerdeRef::Fn(path) => {
                    self.record_syn_path(&path);
                }
                crate::serde_attrs::SerdeRef::Type(ty) => {
                    // `from`/`into`/`try_from`: the derive converts.
                    self.out.uses.note("From");
                    self.out.uses.note("TryFrom");
                    self.visit_type(&ty);
                }
            }
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.push();
        self.declare_block_items(&block.stmts);
        for stmt in &block.stmts {
            self.visit_stmt(stmt);
        }
        self.pop();
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let mut ty = Ty::Unknown;
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
            ty = self.infer(&init.expr);
        }
        self.bind_pat(&local.pat, ty);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.walk_fn(&f.sig, Some(&f.block));
    }

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {
        // Handled by declare_block_items.
    }

    fn visit_item_impl(&mut self, imp: &'ast syn::ItemImpl) {
        // A local impl: its methods see `Self` as the local type.
        self.visit_generics(&imp.generics);
        self.visit_type(&imp.self_ty);
        let saved = self.cx.self_ty.clone();
        self.cx.self_ty = Some(self.s.ty_of(&self.cx, &imp.self_ty));
        for item in &imp.items {
            match item {
                syn::ImplItem::Fn(f) => self.walk_fn(&f.sig, Some(&f.block)),
                other => visit::visit_impl_item(self, other),
            }
        }
        self.cx.self_ty = saved;
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.walk_closure(c, &[]);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.push();
        self.bind_pat(&arm.pat, Ty::Unknown);
        self.visit_expr(&arm.body);
        self.pop();
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        let scrutinee = self.infer(&m.expr);
        for arm in &m.arms {
            self.push();
            self.bind_pat(&arm.pat, scrutinee.clone());
            self.visit_expr(&arm.body);
            self.pop();
        }
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let elem = self.infer(&f.expr).element();
        self.push();
        self.bind_pat(&f.pat, elem);
        self.visit_block(&f.body);
        self.pop();
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.push();
        self.visit_expr(&e.cond);
        self.visit_block(&e.then_branch);
        self.pop();
        if let Some((_, other)) = &e.else_branch {
            self.visit_expr(other);
        }
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.push();
        self.visit_expr(&e.cond);
        self.visit_block(&e.body);
        self.pop();
    }

    fn visit_expr_let(&mut self, e: &'ast syn::ExprLet) {
        self.visit_expr(&e.expr);
        let ty = self.infer(&e.expr);
        self.bind_pat(&e.pat, ty);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        match &p.qself {
            Some(q) => self.record_qself(q, &p.path),
            None => {
                self.record_syn_path(&p.path);
            }
        }
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        match &s.qself {
            Some(q) => self.record_qself(q, &s.path),
            None => {
                self.record_syn_path(&s.path);
            }
        }
        for field in &s.fields {
            self.visit_expr(&field.expr);
        }
        if let Some(rest) = &s.rest {
            self.visit_expr(rest);
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.visit_expr(&m.receiver);
        let recv = self.infer(&m.receiver);
        let name = m.method.to_string();
        self.out.uses.note_method(&name);
        let (found, join) = self.s.method_call(&recv, &name);
        self.out.nodes.extend(found);
        if join {
            self.out.by_name.insert(name.clone());
        }
        if let Some(turbofish) = &m.turbofish {
            self.visit_angle_bracketed_generic_arguments(turbofish);
        }
        // `v.iter().map(|x| x.m())`: the closure's parameters are the
        // elements of a known collection (or an `Option`'s payload).
        let element = recv.element();
        let params: Vec<Ty> = match ELEMENT_CLOSURES.iter().find(|(n, _)| *n == name) {
            Some((_, count)) if !matches!(element, Ty::Unknown) => vec![element; *count],
            _ => Vec::new(),
        };
        for arg in &m.args {
            match arg {
                Expr::Closure(c) if !params.is_empty() => self.walk_closure(c, &params),
                other => self.visit_expr(other),
            }
        }
    }

    fn visit_type_path(&mut self, t: &'ast syn::TypePath) {
        match &t.qself {
            Some(q) => self.record_qself(q, &t.path),
            None => {
                self.record_syn_path(&t.path);
            }
        }
    }

    fn visit_trait_bound(&mut self, b: &'ast syn::TraitBound) {
        self.record_syn_path(&b.path);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // Paths are resolved where their role is known (expression, type,
        // pattern, macro); elsewhere only their generic arguments matter.
        for seg in &path.segments {
            self.visit_path_arguments(&seg.arguments);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.record_macro(mac);
        let std_macro = mac
            .path
            .get_ident()
            .is_some_and(|i| STD_MACROS.contains(&i.to_string().as_str()));
        if !std_macro {
            self.quiet += 1;
        }
        self.walk_macro_args(mac);
        if !std_macro {
            self.quiet -= 1;
        }
    }

    fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {}

    fn visit_expr_try(&mut self, e: &'ast syn::ExprTry) {
        // `?` converts the error with `From`.
        self.out.uses.note("From");
        visit::visit_expr_try(self, e);
    }

    fn visit_type_trait_object(&mut self, t: &'ast syn::TypeTraitObject) {
        if self.dyn_opens {
            let mut found = crate::open_bounds::Open::default();
            for bound in &t.bounds {
                if let syn::TypeParamBound::Trait(b) = bound {
                    self.s.add_bound(&mut found, self.cx.module, &b.path);
                }
            }
            if !self.in_static {
                found.foreign.clear();
            }
            self.out.open.add(&found);
        }
        visit::visit_type_trait_object(self, t);
    }
}

#[cfg(test)]
mod tests {
    use super::format_string_names;

    #[test]
    fn format_strings_capture_arguments_widths_and_precisions() {
        assert_eq!(
            format_string_names("{a} {{b}} {:w$} {c:>0$} {d:.p$} {0} {e:?} {:1$.prec$}"),
            ["a", "w", "c", "d", "p", "e", "prec"]
        );
    }
}
