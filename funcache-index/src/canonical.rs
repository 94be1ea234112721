//! Canonical item hashing: equal for two spellings of the same code, different
//! for any real edit.
//!
//! `TokenStream::to_string()` is not usable for this: its spacing differs
//! between tokens handed to a proc macro and the same item re-parsed from its
//! file. Instead an item is parsed with syn, normalised (the differences
//! rustfmt introduces are erased), re-emitted as tokens, and walked:
//!
//! * doc attributes (`///`, `//!`, `#[doc = ..]`) are skipped — doc text is
//!   not behaviour — and so are lint levels (`#[allow]`, `#[deny]` …), tool
//!   attributes (`#[rustfmt::skip]`, `#[clippy::..]`) and optimisation hints
//!   (`#[inline]`, `#[cold]`), except in the arguments of a macro call
//!   (`m!(/// x ..)`), where a `macro_rules!` matcher can read them as
//!   tokens;
//! * comments and whitespace never reach the token stream;
//! * invisible (`None`-delimited) groups, which macro_rules substitution
//!   introduces, are flattened;
//! * a punctuation mark's "joint" spacing is kept only where it forms a
//!   multi-character operator (`->`, `::`, `..=` …); `x=-1` and `x = -1` hash
//!   equal, `a->b` and `a- >b` do not;
//! * trailing commas that rustfmt adds or removes are dropped, except in
//!   one-element tuples where the comma is meaningful;
//! * match-arm commas after block bodies are dropped (rustfmt removes them);
//! * `use` groups are sorted (rustfmt sorts them);
//! * the arguments of call-like macros (`println!(..)`, `vec![..]`,
//!   `assert_eq!(..)`) get the same treatment as ordinary expressions.
//!
//! Every entry is tagged and length-prefixed, and the stream starts with a
//! format-version byte, so the digest is unambiguous and changes only when
//! [`CANONICAL_FORMAT`] does.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Token};

use crate::Digest;

/// Version of the canonical token encoding. Bump it whenever the encoding or
/// the normalisation changes, so that old digests can never be confused with
/// new ones.
pub const CANONICAL_FORMAT: u8 = 3;

/// A syntax node that can be hashed canonically.
pub trait Canonical: Clone + ToTokens {
    /// Applies the normalising visitor to this node.
    fn normalize(&mut self, normalizer: &mut Normalizer);
}

macro_rules! impl_canonical {
    ($($ty:ty => $visit:ident),* $(,)?) => {$(
        impl Canonical for $ty {
            fn normalize(&mut self, normalizer: &mut Normalizer) {
                normalizer.$visit(self);
            }
        }
    )*};
}

impl_canonical! {
    syn::Item => visit_item_mut,
    syn::ItemFn => visit_item_fn_mut,
    syn::ImplItem => visit_impl_item_mut,
    syn::ImplItemFn => visit_impl_item_fn_mut,
    syn::TraitItem => visit_trait_item_mut,
    syn::TraitItemFn => visit_trait_item_fn_mut,
    syn::Signature => visit_signature_mut,
    syn::Type => visit_type_mut,
    syn::Expr => visit_expr_mut,
    syn::Block => visit_block_mut,
}

/// The canonical digest of a syntax node.
///
/// ```
/// let a: syn::Item = syn::parse_quote! {
///     /// Doubles.
///     fn double(x: u32) -> u32 { x * 2 }
/// };
/// let b: syn::Item = syn::parse_str("fn double(x:u32)->u32{ x*2 }").unwrap();
/// assert_eq!(funcache_index::canonical_hash(&a), funcache_index::canonical_hash(&b));
/// ```
pub fn canonical_hash<T: Canonical>(node: &T) -> Digest {
    let mut node = node.clone();
    node.normalize(&mut Normalizer);
    hash_tokens(node.into_token_stream())
}

/// The canonical digest of raw tokens, without syn normalisation (used for
/// token trees that are not Rust syntax, such as `macro_rules!` bodies).
pub fn hash_tokens(tokens: TokenStream) -> Digest {
    let mut writer = TokenWriter::new();
    writer.stream(tokens);
    writer.finish()
}

/// Erases the token differences that formatting tools introduce.
///
/// Public only so that [`Canonical`] can name it; it has no state.
#[derive(Debug, Default)]
pub struct Normalizer;

fn drop_trailing<T, P>(list: &mut Punctuated<T, P>) {
    if list.trailing_punct() {
        list.pop_punct();
    }
}

/// Drops the trailing comma unless the list is a one-element tuple, where
/// `(a,)` and `(a)` mean different things.
fn drop_trailing_unless_single<T, P>(list: &mut Punctuated<T, P>) {
    if list.len() > 1 {
        drop_trailing(list);
    }
}

/// Bodies after which a match arm's comma is optional; rustfmt removes it.
fn is_block_like(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Block(_)
            | Expr::If(_)
            | Expr::Match(_)
            | Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Unsafe(_)
            | Expr::Const(_)
    )
}

impl VisitMut for Normalizer {
    fn visit_signature_mut(&mut self, node: &mut syn::Signature) {
        visit_mut::visit_signature_mut(self, node);
        drop_trailing(&mut node.inputs);
    }

    fn visit_generics_mut(&mut self, node: &mut syn::Generics) {
        visit_mut::visit_generics_mut(self, node);
        drop_trailing(&mut node.params);
    }

    fn visit_where_clause_mut(&mut self, node: &mut syn::WhereClause) {
        visit_mut::visit_where_clause_mut(self, node);
        drop_trailing(&mut node.predicates);
    }

    fn visit_expr_call_mut(&mut self, node: &mut syn::ExprCall) {
        visit_mut::visit_expr_call_mut(self, node);
        drop_trailing(&mut node.args);
    }

    fn visit_expr_method_call_mut(&mut self, node: &mut syn::ExprMethodCall) {
        visit_mut::visit_expr_method_call_mut(self, node);
        drop_trailing(&mut node.args);
    }

    fn visit_expr_array_mut(&mut self, node: &mut syn::ExprArray) {
        visit_mut::visit_expr_array_mut(self, node);
        drop_trailing(&mut node.elems);
    }

    fn visit_expr_tuple_mut(&mut self, node: &mut syn::ExprTuple) {
        visit_mut::visit_expr_tuple_mut(self, node);
        drop_trailing_unless_single(&mut node.elems);
    }

    fn visit_expr_struct_mut(&mut self, node: &mut syn::ExprStruct) {
        visit_mut::visit_expr_struct_mut(self, node);
        drop_trailing(&mut node.fields);
    }

    fn visit_expr_closure_mut(&mut self, node: &mut syn::ExprClosure) {
        visit_mut::visit_expr_closure_mut(self, node);
        drop_trailing(&mut node.inputs);
    }

    fn visit_fields_named_mut(&mut self, node: &mut syn::FieldsNamed) {
        visit_mut::visit_fields_named_mut(self, node);
        drop_trailing(&mut node.named);
    }

    fn visit_fields_unnamed_mut(&mut self, node: &mut syn::FieldsUnnamed) {
        visit_mut::visit_fields_unnamed_mut(self, node);
        drop_trailing(&mut node.unnamed);
    }

    fn visit_item_enum_mut(&mut self, node: &mut syn::ItemEnum) {
        visit_mut::visit_item_enum_mut(self, node);
        drop_trailing(&mut node.variants);
    }

    fn visit_pat_tuple_mut(&mut self, node: &mut syn::PatTuple) {
        visit_mut::visit_pat_tuple_mut(self, node);
        drop_trailing_unless_single(&mut node.elems);
    }

    fn visit_pat_tuple_struct_mut(&mut self, node: &mut syn::PatTupleStruct) {
        visit_mut::visit_pat_tuple_struct_mut(self, node);
        drop_trailing(&mut node.elems);
    }

    fn visit_pat_struct_mut(&mut self, node: &mut syn::PatStruct) {
        visit_mut::visit_pat_struct_mut(self, node);
        drop_trailing(&mut node.fields);
    }

    fn visit_pat_slice_mut(&mut self, node: &mut syn::PatSlice) {
        visit_mut::visit_pat_slice_mut(self, node);
        drop_trailing(&mut node.elems);
    }

    fn visit_type_tuple_mut(&mut self, node: &mut syn::TypeTuple) {
        visit_mut::visit_type_tuple_mut(self, node);
        drop_trailing_unless_single(&mut node.elems);
    }

    fn visit_angle_bracketed_generic_arguments_mut(
        &mut self,
        node: &mut syn::AngleBracketedGenericArguments,
    ) {
        visit_mut::visit_angle_bracketed_generic_arguments_mut(self, node);
        drop_trailing(&mut node.args);
    }

    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        node: &mut syn::ParenthesizedGenericArguments,
    ) {
        visit_mut::visit_parenthesized_generic_arguments_mut(self, node);
        drop_trailing(&mut node.inputs);
    }

    fn visit_arm_mut(&mut self, node: &mut syn::Arm) {
        visit_mut::visit_arm_mut(self, node);
        node.comma = if is_block_like(&node.body) {
            None
        } else {
            Some(Token![,](proc_macro2::Span::call_site()))
        };
    }

    fn visit_use_group_mut(&mut self, node: &mut syn::UseGroup) {
        visit_mut::visit_use_group_mut(self, node);
        let mut items: Vec<syn::UseTree> = std::mem::take(&mut node.items).into_iter().collect();
        items.sort_by_cached_key(|tree| hash_tokens(tree.to_token_stream()));
        node.items = items.into_iter().collect();
    }

    fn visit_macro_mut(&mut self, node: &mut syn::Macro) {
        visit_mut::visit_macro_mut(self, node);
        // Call-like macros (`println!`, `vec!`, `assert_eq!`, `format!` …) take
        // comma-separated expressions that rustfmt formats like call
        // arguments. Anything else stays a verbatim token tree.
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        if let Ok(mut args) = parser.parse2(node.tokens.clone()) {
            for arg in args.iter_mut() {
                self.visit_expr_mut(arg);
            }
            drop_trailing(&mut args);
            node.tokens = args.into_token_stream();
        }
    }
}

/// Multi-character operators: a `Joint` punctuation mark followed by one of
/// these partners forms a different token than the same two marks apart.
const COMPOUND_PAIRS: &[[char; 2]] = &[
    [':', ':'],
    ['-', '>'],
    ['=', '>'],
    ['=', '='],
    ['!', '='],
    ['<', '='],
    ['>', '='],
    ['&', '&'],
    ['|', '|'],
    ['+', '='],
    ['-', '='],
    ['*', '='],
    ['/', '='],
    ['%', '='],
    ['^', '='],
    ['&', '='],
    ['|', '='],
    ['<', '<'],
    ['>', '>'],
    ['.', '.'],
    ['<', '-'],
];

/// Entry tags of the canonical encoding.
mod tag {
    pub const IDENT: u8 = 1;
    pub const PUNCT_ALONE: u8 = 2;
    pub const PUNCT_JOINT: u8 = 3;
    pub const LITERAL: u8 = 4;
    pub const OPEN: u8 = 5;
    pub const CLOSE: u8 = 6;
    pub const LIFETIME_MARK: u8 = 7;
}

struct TokenWriter {
    hasher: blake3::Hasher,
    /// Inside a macro call's arguments: doc and other ignored attributes
    /// are kept.
    keep_docs: bool,
}

impl TokenWriter {
    fn new() -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"funcache-canonical\0");
        hasher.update(&[CANONICAL_FORMAT]);
        TokenWriter {
            hasher,
            keep_docs: false,
        }
    }

    fn finish(self) -> Digest {
        self.hasher.finalize().into()
    }

    fn entry(&mut self, tag: u8, text: &str) {
        self.hasher.update(&[tag]);
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        self.hasher.update(&len.to_le_bytes());
        self.hasher.update(text.as_bytes());
    }

    fn stream(&mut self, tokens: TokenStream) {
        let tokens = flatten_invisible(tokens);
        let mut i = 0;
        while i < tokens.len() {
            if !self.keep_docs
                && let Some(skip) = ignored_attribute_len(&tokens[i..])
            {
                i += skip;
                continue;
            }
            match &tokens[i] {
                TokenTree::Ident(ident) => self.entry(tag::IDENT, &ident.to_string()),
                TokenTree::Literal(lit) => self.entry(tag::LITERAL, &lit.to_string()),
                TokenTree::Punct(punct) => {
                    let ch = punct.as_char();
                    let tag = if ch == '\'' {
                        tag::LIFETIME_MARK
                    } else {
                        match (punct.spacing(), tokens.get(i + 1)) {
                            (Spacing::Joint, Some(TokenTree::Punct(next)))
                                if COMPOUND_PAIRS.contains(&[ch, next.as_char()]) =>
                            {
                                tag::PUNCT_JOINT
                            }
                            _ => tag::PUNCT_ALONE,
                        }
                    };
                    let mut buf = [0u8; 4];
                    self.entry(tag, ch.encode_utf8(&mut buf));
                }
                TokenTree::Group(group) => {
                    let delimiter = match group.delimiter() {
                        Delimiter::Parenthesis => "(",
                        Delimiter::Brace => "{",
                        Delimiter::Bracket => "[",
                        // Flattened above; unreachable, but harmless.
                        Delimiter::None => "",
                    };
                    self.entry(tag::OPEN, delimiter);
                    // `name!(..)`: a macro call's arguments keep their docs.
                    let macro_call = i >= 2
                        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '!')
                        && matches!(&tokens[i - 2], TokenTree::Ident(_));
                    let outer = self.keep_docs;
                    self.keep_docs = outer || macro_call;
                    self.stream(group.stream());
                    self.keep_docs = outer;
                    self.entry(tag::CLOSE, delimiter);
                }
            }
            i += 1;
        }
    }
}

/// Expands invisible groups in place, recursively at this level.
fn flatten_invisible(tokens: TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for tree in tokens {
        match tree {
            TokenTree::Group(group) if group.delimiter() == Delimiter::None => {
                out.extend(flatten_invisible(group.stream()));
            }
            other => out.push(other),
        }
    }
    out
}

/// If `tokens` starts with an [ignored attribute](IGNORED_ATTRIBUTES) (`#[doc ..]`, `#![allow ..]`),
/// returns how many token trees it spans.
fn ignored_attribute_len(tokens: &[TokenTree]) -> Option<usize> {
    let TokenTree::Punct(pound) = tokens.first()? else {
        return None;
    };
    if pound.as_char() != '#' {
        return None;
    }
    let mut index = 1;
    if let Some(TokenTree::Punct(bang)) = tokens.get(index) {
        if bang.as_char() != '!' {
            return None;
        }
        index += 1;
    }
    let TokenTree::Group(group) = tokens.get(index)? else {
        return None;
    };
    if group.delimiter() != Delimiter::Bracket {
        return None;
    }
    match group.stream().into_iter().next() {
        Some(TokenTree::Ident(ident)) if IGNORED_ATTRIBUTES.iter().any(|name| ident == name) => {
            Some(index + 1)
        }
        _ => None,
    }
}

/// Attributes (by first path segment) that cannot change what compiled
/// code computes: docs, lint levels, tool attributes and optimisation
/// hints. Editing them recomputes nothing. (`track_caller` is not among
/// them: it changes the location a panic reports.)
const IGNORED_ATTRIBUTES: &[&str] = &[
    "allow",
    "clippy",
    "cold",
    "deny",
    "deprecated",
    "diagnostic",
    "doc",
    "expect",
    "forbid",
    "inline",
    "must_use",
    "rustfmt",
    "warn",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn item(src: &str) -> Digest {
        canonical_hash(&syn::parse_str::<syn::Item>(src).expect(src))
    }

    fn assert_same(a: &str, b: &str) {
        assert_eq!(item(a), item(b), "expected equal:\n  {a}\n  {b}");
    }

    fn assert_differ(a: &str, b: &str) {
        assert_ne!(item(a), item(b), "expected different:\n  {a}\n  {b}");
    }

    #[test]
    fn whitespace_and_comments_do_not_matter() {
        assert_same(
            "fn f(x: u32) -> u32 { x + 1 }",
            "fn   f( x:u32 )->u32 {\n    // add one\n    x+1 /* really */\n}",
        );
    }

    /// A `macro_rules!` matcher can take a doc comment as a literal
    /// (`(#[doc = $d:literal] $i:ident) => { $d }`): in a macro call's
    /// arguments docs are code. It served an old value (found by a trial).
    #[test]
    fn doc_comments_passed_to_a_macro_matter() {
        assert_differ(
            "fn f() -> &'static str { doc_of!(/// one\n x) }",
            "fn f() -> &'static str { doc_of!(/// two\n x) }",
        );
        // Outside macro calls they still do not.
        assert_same(
            "/// One.\nfn f() -> u8 { m!(1) }",
            "/// Two.\nfn f() -> u8 { m!(1) }",
        );
    }

    /// Lint levels, tool attributes and optimisation hints change no
    /// result: editing them recomputed every caller (trial H). A macro's
    /// arguments keep them, and `track_caller` (panic locations) counts.
    #[test]
    fn lint_and_hint_attributes_do_not_matter() {
        assert_same(
            "#[inline]\n#[must_use]\nfn f(x: u8) -> u8 { #[allow(unused)] let y = x; y }",
            "#[inline(always)]\n#[deny(clippy::all)]\n#[rustfmt::skip]\nfn f(x: u8) -> u8 { let y = x; y }",
        );
        assert_same(
            "mod m { #![allow(dead_code)] #[cold] fn g() {} }",
            "mod m { #![warn(missing_docs)] fn g() {} }",
        );
        assert_differ("#[track_caller]\nfn f() {}", "fn f() {}");
        assert_differ("fn f() { m!(#[inline] x) }", "fn f() { m!(x) }");
    }

    #[test]
    fn doc_comments_do_not_matter() {
        assert_same(
            "/// One.\nfn f() { let _s = S { /** inner */ a: 1 }; }",
            "/// Two, longer.\n#[doc = \"more\"]\nfn f() { let _s = S { a: 1 }; }",
        );
        assert_same("mod m { //! inner doc\n fn g() {} }", "mod m { fn g() {} }");
    }

    #[test]
    fn other_attributes_matter() {
        assert_differ("#[repr(C)] struct S(u8);", "struct S(u8);");
        assert_differ("#[cfg(unix)] fn f() {}", "#[cfg(windows)] fn f() {}");
    }

    #[test]
    fn real_edits_matter() {
        assert_differ(
            "fn f(x: u32) -> u32 { x + 1 }",
            "fn f(x: u32) -> u32 { x + 2 }",
        );
        assert_differ(
            "fn f(x: u32) -> u32 { x + 1 }",
            "fn f(x: u32) -> u32 { x - 1 }",
        );
        assert_differ(
            "fn f(x: u32) -> u32 { x + 1 }",
            "fn g(x: u32) -> u32 { x + 1 }",
        );
        assert_differ(
            r#"fn f() -> &'static str { "a" }"#,
            r#"fn f() -> &'static str { "b" }"#,
        );
        assert_differ("fn f() { a(); b(); }", "fn f() { b(); a(); }");
        assert_differ("struct S { a: u8, b: u16 }", "struct S { b: u16, a: u8 }");
    }

    #[test]
    fn spacing_only_matters_for_compound_operators() {
        assert_same("fn f() { let x=-1; }", "fn f() { let x = -1; }");
        assert_same("fn f() { g(&&x, &&y) }", "fn f() { g(& &x, &&y) }");
        assert_same(
            "fn f() { println!(\"{}\", a+-b) }",
            "fn f() { println!(\"{}\", a + -b) }",
        );
        // Inside a verbatim token tree, `->` and `- >` are different tokens.
        assert_differ("fn f() { m!(a -> b) }", "fn f() { m!(a - > b) }");
        assert_differ("fn f() { m!(a 'b) }", "fn f() { m!(a b) }");
    }

    #[test]
    fn rustfmt_trailing_commas_do_not_matter() {
        assert_same(
            "fn f(a: u32, b: u32,) -> (u32, u32,) { g(a, b,); [a, b,]; S { a, b, }; (a, b,) }",
            "fn f(a: u32, b: u32) -> (u32, u32) { g(a, b); [a, b]; S { a, b }; (a, b) }",
        );
        assert_same(
            "fn f<T,>() where T: Clone, { }",
            "fn f<T>() where T: Clone { }",
        );
        assert_same("enum E { A, B, }", "enum E { A, B }");
        assert_same(
            "fn f() { println!(\"{} {}\", a, b,); vec![1, 2,]; }",
            "fn f() { println!(\"{} {}\", a, b); vec![1, 2]; }",
        );
    }

    #[test]
    fn one_element_tuple_comma_matters() {
        assert_differ("fn f() -> (u32,) { (1,) }", "fn f() -> (u32) { (1) }");
        assert_differ("fn f() { let (a,) = x; }", "fn f() { let (a) = x; }");
    }

    #[test]
    fn match_arm_commas_after_blocks_do_not_matter() {
        assert_same(
            "fn f() { match x { A => { 1 }, B => 2, C => 3, } }",
            "fn f() { match x { A => { 1 } B => 2, C => 3 } }",
        );
    }

    #[test]
    fn use_group_order_does_not_matter() {
        assert_same(
            "fn f() { use std::{fmt, io::{Write, Read}}; }",
            "fn f() { use std::{io::{Read, Write}, fmt}; }",
        );
        assert_differ("fn f() { use a::{b}; }", "fn f() { use a::{c}; }");
    }

    #[test]
    fn invisible_groups_are_flattened() {
        let plain: TokenStream = "a + b".parse().unwrap();
        let grouped = TokenStream::from(TokenTree::Group(proc_macro2::Group::new(
            Delimiter::None,
            "a".parse().unwrap(),
        )));
        let mut wrapped = grouped;
        wrapped.extend("+ b".parse::<TokenStream>().unwrap());
        assert_eq!(hash_tokens(plain), hash_tokens(wrapped));
    }

    #[test]
    fn digest_is_pinned() {
        // Guards the canonical encoding: if this changes, every user's cache
        // is invalidated, so CANONICAL_FORMAT must be bumped with it.
        assert_eq!(
            item("fn f(x: u32) -> u32 { x * 2 }").to_string(),
            PINNED_DIGEST,
        );
    }

    const PINNED_DIGEST: &str = "8732c85a65e85e0f8723cac6f76673065a8384e7154919dd2a550598ac549766";
}
