//! Expression typing for receiver resolution: the cheap cases only
//! (locals, constructors, struct literals, fields, return types of called
//! functions, a few std methods), everything else unknown.

use syn::{Expr, Pat};

use crate::ids::NodeKey;
use crate::impl_table::TypeKey;
use crate::session::path_segments;
use crate::ty::Ty;
use crate::walker::Walker;

/// std methods that may return a type parameter of their receiver or a type
/// picked by inference: their result's type stays unknown.
const MAY_RETURN_PARAM: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "unwrap_unchecked",
    "next",
    "next_back",
    "last",
    "nth",
    "max",
    "min",
    "max_by",
    "min_by",
    "max_by_key",
    "min_by_key",
    "find",
    "find_map",
    "fold",
    "reduce",
    "sum",
    "product",
    "collect",
    "into",
    "try_into",
    "parse",
    "from",
    "remove",
    "swap_remove",
    "pop",
    "pop_front",
    "pop_back",
    "get",
    "get_mut",
    "get_unchecked",
    "first",
    "last_mut",
    "first_mut",
    "front",
    "back",
    "into_inner",
    "take",
    "replace",
    "get_or_insert",
    "get_or_insert_with",
    "insert",
    "entry",
    "or_insert",
    "or_insert_with",
    "or_default",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "as_ref",
    "as_mut",
    "clone",
    "cloned",
    "copied",
    "to_owned",
    "unwrap_or_clone",
    "try_unwrap",
    "make_mut",
    "downcast",
    "downcast_ref",
    "downcast_mut",
    "cast",
    "load",
    "swap",
    "index",
    "index_mut",
    "call",
    "call_mut",
    "call_once",
    "join",
    "recv",
    "try_recv",
    "await",
    "poll",
    "lock",
    "read",
    "write",
    "try_lock",
    "get_ref",
    "into_iter",
    "iter",
    "values",
    "keys",
    "split_first",
    "split_last",
    "binary_search_by",
    "select_nth_unstable",
    "leak",
    "into_owned",
    "to_mut",
    "get_or_init",
    "get_or_try_init",
    "peek",
    "peek_mut",
    "pop_first",
    "pop_last",
    "first_key_value",
    "last_key_value",
    "remove_entry",
    "swap_remove_back",
    "swap_remove_front",
    "split_off",
    "into_sorted_vec",
    "into_vec",
    "into_keys",
    "into_values",
    // Closures or arguments choose what these return.
    "map_or",
    "map_or_else",
    "try_fold",
    "try_for_each",
    "with",
    "with_borrow",
    "with_borrow_mut",
    "clamp",
    "get_or_insert_default",
    "then",
];

/// Associated functions of std types that return `Self`.
const STD_CONSTRUCTORS: &[&str] = &[
    "new",
    "with_capacity",
    "default",
    "from",
    "from_iter",
    "new_in",
    "with_hasher",
    "with_capacity_and_hasher",
];

/// std types whose constructor's first argument is their type parameter.
const STD_WRAPPERS: &[&str] = &[
    "Mutex", "RwLock", "RefCell", "Cell", "OnceCell", "Reverse", "Wrapping",
];

fn named(name: &str) -> Ty {
    Ty::Named(TypeKey::Foreign(name.into()), Vec::new())
}

fn opaque() -> Ty {
    Ty::Named(TypeKey::Foreign("?".into()), Vec::new())
}

fn str_ty() -> Ty {
    Ty::Named(TypeKey::Foreign("str".into()), Vec::new())
}

fn string_ty() -> Ty {
    Ty::Named(TypeKey::Foreign("String".into()), Vec::new())
}

impl Walker<'_, '_> {
    /// The type of an expression, where it can be known cheaply.
    pub(crate) fn infer(&self, expr: &Expr) -> Ty {
        match expr {
            Expr::Path(p) if p.qself.is_none() => {
                let segs = path_segments(&p.path);
                if segs.len() == 1
                    && let Some(ty) = self.local(&segs[0])
                {
                    return ty.clone();
                }
                self.resolve(&segs).map_or(Ty::Unknown, |(_, _, ty)| ty)
            }
            Expr::Call(call) => self.infer_call(call),
            Expr::MethodCall(m) => self.infer_method(m),
            Expr::Struct(s) if s.qself.is_none() => self
                .resolve(&path_segments(&s.path))
                .map_or(Ty::Unknown, |(_, _, ty)| ty),
            Expr::Field(f) => self.s.field_ty(&self.infer(&f.base), &f.member),
            Expr::Reference(r) => self.infer(&r.expr),
            Expr::Paren(p) => self.infer(&p.expr),
            Expr::Group(g) => self.infer(&g.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.infer(&u.expr),
            Expr::Try(t) => self.infer(&t.expr).unwrapped(),
            Expr::Cast(c) => self.s.ty_of(&self.cx, &c.ty),
            Expr::Index(i) => self.infer(&i.expr).element(),
            Expr::Await(a) => self.infer(&a.base),
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(_) => str_ty(),
                syn::Lit::Bool(_) => named("bool"),
                syn::Lit::Char(_) => named("char"),
                syn::Lit::Byte(_) => named("u8"),
                syn::Lit::ByteStr(_) => Ty::Named(TypeKey::Foreign("[]".into()), vec![named("u8")]),
                syn::Lit::Int(i) if !i.suffix().is_empty() => named(i.suffix()),
                syn::Lit::Float(f) if !f.suffix().is_empty() => named(f.suffix()),
                // `1` is any integer type: see `Session::methods`.
                _ => opaque(),
            },
            Expr::Macro(m) if m.mac.path.is_ident("format") => named("String"),
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                Ty::Named(TypeKey::Foreign("Vec".into()), vec![Ty::Unknown])
            }
            Expr::Array(a) => Ty::Named(
                TypeKey::Foreign("[]".into()),
                vec![a.elems.first().map_or(Ty::Unknown, |e| self.infer(e))],
            ),
            Expr::Repeat(r) => Ty::Named(TypeKey::Foreign("[]".into()), vec![self.infer(&r.expr)]),
            Expr::Block(b) => self.infer_block(&b.block),
            Expr::Unsafe(b) => self.infer_block(&b.block),
            Expr::If(e) => {
                let then = self.infer_block(&e.then_branch);
                match (&then, &e.else_branch) {
                    (Ty::Unknown, Some((_, other))) => self.infer(other),
                    _ => then,
                }
            }
            Expr::Match(m) => {
                let scrutinee = self.infer(&m.expr);
                for arm in &m.arms {
                    // `Some(x) => x` hands back the payload.
                    let ty = match (&arm.pat, arm.body.as_ref()) {
                        (Pat::TupleStruct(p), Expr::Path(body))
                            if (p.path.is_ident("Some") || p.path.is_ident("Ok"))
                                && p.elems.len() == 1
                                && matches!(&p.elems[0], Pat::Ident(i) if body.path.is_ident(&i.ident)) =>
                        {
                            scrutinee.unwrapped()
                        }
                        (_, body) => self.infer(body),
                    };
                    if !matches!(ty, Ty::Unknown) {
                        return ty;
                    }
                }
                Ty::Unknown
            }
            _ => Ty::Unknown,
        }
    }

    fn infer_block(&self, block: &syn::Block) -> Ty {
        match block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => self.infer(e),
            _ => Ty::Unknown,
        }
    }

    fn infer_call(&self, call: &syn::ExprCall) -> Ty {
        let Expr::Path(p) = call.func.as_ref() else {
            return Ty::Unknown;
        };
        if p.qself.is_some() {
            return Ty::Unknown;
        }
        let segs = path_segments(&p.path);
        let arg0 = || call.args.first().map_or(Ty::Unknown, |a| self.infer(a));
        match segs
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["Some"] => return Ty::Named(TypeKey::Foreign("Option".into()), vec![arg0()]),
            ["Ok"] => return Ty::Named(TypeKey::Foreign("Result".into()), vec![arg0()]),
            // Kept as a wrapper: `Box<B>` has impls of its own, and method
            // lookup sees through it (`Ty::layers`).
            [wrapper, "new"] if ["Box", "Rc", "Arc"].contains(wrapper) => {
                return Ty::Named(TypeKey::Foreign((*wrapper).to_owned()), vec![arg0()]);
            }
            [.., ty, ctor]
                if STD_CONSTRUCTORS.contains(ctor)
                    && ty.starts_with(char::is_uppercase)
                    && !crate::ty::TRANSPARENT.contains(ty)
                    && self.names_std(&segs[..segs.len() - 1]) =>
            {
                // `Vec::new()`, `HashMap::with_capacity(n)`, `Mutex::new(x)`:
                // std's constructors return `Self`.
                let args = if STD_WRAPPERS.contains(ty) {
                    vec![arg0()]
                } else {
                    Vec::new()
                };
                return Ty::Named(TypeKey::Foreign((*ty).to_owned()), args);
            }
            _ => {}
        }
        let Some((nodes, _, ty)) = self.resolve(&segs) else {
            return Ty::Unknown;
        };
        // A tuple struct or variant constructor names its type.
        if let Ty::Named(TypeKey::Local(_), _) = ty
            && (segs.len() == 1 || !nodes.iter().any(|n| n.assoc != NodeKey::WHOLE))
        {
            return ty;
        }
        self.first_return(&nodes)
    }

    /// The return type of the functions `nodes` may call, when those that
    /// have one agree: alternatives under other `#[cfg]`s returning
    /// different types leave it unknown (the build picks one).
    fn first_return(&self, nodes: &[NodeKey]) -> Ty {
        let mut found = Ty::Unknown;
        for n in nodes {
            let ret = self.s.return_ty(*n);
            if matches!(ret, Ty::Unknown) {
                continue;
            }
            if matches!(found, Ty::Unknown) {
                found = ret;
            } else if found != ret {
                return Ty::Unknown;
            }
        }
        found
    }

    fn infer_method(&self, m: &syn::ExprMethodCall) -> Ty {
        let recv = self.infer(&m.receiver);
        let name = m.method.to_string();
        let candidates = self.s.methods(&recv, &name);
        if !candidates.is_empty() {
            return self.first_return(&candidates);
        }
        let peeled = recv.peel();
        match name.as_str() {
            // `ToOwned` of `str` and `[T]`: what is owned derefs back.
            "to_owned" | "to_string" if peeled.is_foreign(&["str", "String"]) => {
                return string_ty();
            }
            "to_owned" | "to_vec" | "into_vec" if peeled.is_foreign(&["[]", "Vec"]) => {
                return Ty::Named(TypeKey::Foreign("Vec".into()), vec![recv.element()]);
            }
            "clone" | "to_owned" | "as_ref" | "as_mut" | "iter" | "iter_mut" | "into_iter"
            | "drain" | "as_slice" | "as_deref" | "by_ref" | "cloned" | "copied" => return recv,
            "borrow" | "borrow_mut" | "get_mut" | "into_inner"
                if peeled.is_foreign(&["RefCell", "Mutex", "RwLock", "Cell"]) =>
            {
                return peeled.arg(0);
            }
            "borrow" | "borrow_mut" => return recv,
            "unwrap" | "expect" | "unwrap_or" | "unwrap_or_default" | "unwrap_or_else"
            | "unwrap_unchecked" => {
                return recv.unwrapped();
            }
            "get" | "first" | "last" | "pop" | "get_mut" | "first_mut" | "last_mut" | "next"
            | "pop_front" | "pop_back" | "front" | "back"
                if peeled.is_foreign(&["Vec", "[]", "VecDeque", "Option"]) =>
            {
                return Ty::Named(TypeKey::Foreign("Option".into()), vec![recv.element()]);
            }
            "remove" | "swap_remove" if peeled.is_foreign(&["Vec", "VecDeque"]) => {
                return recv.element();
            }
            "lock" | "read" | "write" if peeled.is_foreign(&["Mutex", "RwLock"]) => {
                // std's guard comes in a `Result`, parking_lot's does not:
                // `LockResult` answers both `.unwrap()` and a direct call.
                return Ty::Named(TypeKey::Foreign("LockResult".into()), vec![peeled.arg(0)]);
            }
            // `parse::<T>()` hands back a `Result<T, _>`; `collect::<T>()`,
            // `sum::<T>()`, `product::<T>()` a `T`.
            "parse" | "collect" | "sum" | "product" => {
                if let Some(syn::GenericArgument::Type(t)) =
                    m.turbofish.as_ref().and_then(|t| t.args.first())
                {
                    let ty = self.s.ty_of(&self.cx, t);
                    return if name == "parse" {
                        Ty::Named(TypeKey::Foreign("Result".into()), vec![ty])
                    } else {
                        ty
                    };
                }
            }
            _ => {}
        }
        // Any other turbofish picks a type the method may return (a crate
        // type among them): unknown is right, a guess is not, since a
        // wrong type hides the crate methods an unknown one reaches.
        if m.turbofish.is_some() {
            return Ty::Unknown;
        }
        // A std or external type's own method returns std or external
        // types, except those that hand back a type parameter (or a type
        // chosen by inference), which stay unknown.
        if matches!(peeled, Ty::Named(TypeKey::Foreign(_), _))
            && !MAY_RETURN_PARAM.contains(&name.as_str())
        {
            if peeled.is_foreign(&["str", "String"]) {
                if name.starts_with("strip_") {
                    return Ty::Named(TypeKey::Foreign("Option".into()), vec![str_ty()]);
                }
                if name.starts_with("trim") {
                    return str_ty();
                }
                // `to_lowercase`, `to_ascii_uppercase` …: a `String`,
                // which derefs to `str`.
                if name.starts_with("to_") {
                    return string_ty();
                }
            }
            return opaque();
        }
        Ty::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::super::closure_of;

    #[test]
    fn std_constructors_and_return_types_type_their_values() {
        let closure = closure_of(
            "pub struct Stack;\n\
             impl Stack { pub fn push(&mut self, _: u8) {} pub fn top(&self) -> Item { Item } }\n\
             pub struct Item;\nimpl Item { pub fn push(&self) {} pub fn len(&self) -> usize { 0 } }\n\
             pub fn f(s: &Stack) -> usize { let mut v = Vec::new(); v.push(1u8); s.top().len() }",
            "f",
        );
        // `v` is a `Vec`: neither crate `push` joins; `s.top()` is an `Item`.
        assert_eq!(closure, ["Item", "Item::len", "Stack", "Stack::top", "f"]);
    }
}
