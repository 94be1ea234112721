//! The syntax walk itself: which node of the syntax tree records what.

use syn::Expr;
use syn::visit::{self, Visit};

use crate::std_names::STD_MACROS;
use crate::ty::Ty;
use crate::world::Ns;

use super::Walker;

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

impl<'ast> Visit<'ast> for Walker<'_, '_> {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        // Attributes are no calls, except serde's paths in strings (on a
        // type, a field or a variant), which its derives call.
        for r in crate::serde_attrs::serde_refs(attr) {
            match r {
                crate::serde_attrs::SerdeRef::Fn(path) => {
                    self.record_syn_path(&path, Ns::Value);
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
                self.record_syn_path(&p.path, Ns::Value);
            }
        }
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        match &s.qself {
            Some(q) => self.record_qself(q, &s.path),
            None => {
                self.record_syn_path(&s.path, Ns::Type);
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
                self.record_syn_path(&t.path, Ns::Type);
            }
        }
    }

    fn visit_trait_bound(&mut self, b: &'ast syn::TraitBound) {
        self.record_syn_path(&b.path, Ns::Type);
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
        if self.is_std_cfg(mac) {
            // `cfg!(debug_assertions)`, `cfg!(all(unix, feature = "x"))`:
            // a predicate, whose words name no item (the build inputs
            // read it from the text).
            return;
        }
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
            let mut found = crate::trait_sets::Open::default();
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
    use super::super::closure_of;

    #[test]
    fn element_closures_type_their_parameters() {
        let closure = closure_of(
            "pub struct A; pub struct B;\n\
             impl A { pub fn go(&self) -> u8 { 1 } }\nimpl B { pub fn go(&self) -> u8 { 2 } }\n\
             pub fn f(items: Vec<A>, _other: B) -> Vec<u8> { items.iter().map(|a| a.go()).collect() }",
            "f",
        );
        // `B` is in the closure, so an untyped `a.go()` would reach `B::go`.
        assert_eq!(closure, ["A", "A::go", "B", "f"]);
    }

    #[test]
    fn struct_literals_fields_and_function_values() {
        let closure = closure_of(
            "pub struct P { pub x: Inner }\npub struct Inner;\npub fn cb() {}\n\
             pub fn f() -> P { let _g: fn() = cb; P { x: Inner } }",
            "f",
        );
        assert_eq!(closure, ["Inner", "P", "cb", "f"]);
    }
}
