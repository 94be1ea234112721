//! Macro calls: the macro itself, and the code inside its arguments (format
//! strings and their captured names included).

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::{Expr, Token};

use crate::ids::NodeKey;
use crate::session::path_segments;
use crate::std_names::STD_MACROS;
use crate::ty::Ty;
use crate::world::{Ns, path_text};

use super::Walker;

impl Walker<'_, '_> {
    /// Walks the arguments of a macro call as code when they parse as
    /// comma-separated expressions (or as statements); otherwise resolves
    /// whatever paths in them name crate items.
    pub(super) fn walk_macro_args(&mut self, mac: &syn::Macro) {
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
    pub(super) fn inline_format_args(&mut self, arg: &Expr, named: &[String]) {
        let Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = arg
        else {
            return;
        };
        for name in format_string_names(&s.value()) {
            if !named.contains(&name) && self.local(&name).is_none() && !self.is_local_item(&name) {
                self.record_path(vec![name], s.span(), Ns::Value);
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
                proc_macro2::TokenTree::Literal(_) => {
                    i += 1;
                }
                proc_macro2::TokenTree::Ident(_)
                    if crate::session::macro_calls::names_no_item(&trees, i) =>
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
                        if self.in_macro_body && !preceded_by_dollar {
                            // `m!(..)`, `crate::m!(..)` in a macro body may
                            // name a macro of the invoking crate.
                            let home = self.cx.module.krate;
                            for c in crate::session::macro_calls::invoking_crates(self.s, home) {
                                if c != home {
                                    self.out.nodes.extend(
                                        crate::session::macro_calls::macros_by_name(
                                            self.s, c, &segs,
                                        )
                                        .into_iter()
                                        .map(NodeKey::item),
                                    );
                                }
                            }
                        }
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
                            self.add_externals(externals);
                        }
                        // `$crate::..` names the defining crate; any
                        // other path in a macro body resolves where the
                        // macro is invoked.
                        let dollar_crate = preceded_by_dollar && segs[0] == "crate";
                        if self.in_macro_body && !dollar_crate {
                            self.resolve_at_invocation_sites(&segs);
                        }
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }

    /// A path in a `macro_rules!` body that does not start with `$crate`
    /// resolves in the module of each invocation (item paths are not
    /// hygienic: `super::f`, `self::g`, `crate::h` and a plain `h` are read
    /// where the macro is invoked), which the index does not track. So it
    /// resolves in every module that may invoke it: those of the defining
    /// crate and of the crates in view that depend on it (`crate::..` and
    /// `::..` from each such crate's root; `self::..`/`super::..` from
    /// every module of them; a plain path from every module binding its
    /// first segment), not through the modules' invocations (which stand
    /// in for any missing name). The definition site's reading is kept
    /// too: resolving from both can only over-include.
    fn resolve_at_invocation_sites(&mut self, segs: &[String]) {
        let Some(first) = segs.first() else {
            return;
        };
        if matches!(first.as_str(), "$crate" | "Self") {
            return;
        }
        let world = self.s.world;
        let saved = (self.cx.module, self.cx.within.take());
        let krates = crate::session::macro_calls::invoking_crates(self.s, saved.0.krate);
        let mut modules = Vec::new();
        for krate in krates {
            match first.as_str() {
                "crate" | "::" if krate != saved.0.krate => {
                    modules.push(crate::ids::ModRef { krate, module: 0 });
                }
                "crate" | "::" => {}
                "self" | "super" => {
                    let count = world.crates[krate as usize].index.modules.len();
                    modules.extend((0..count).map(|module| crate::ids::ModRef {
                        krate,
                        module: module as crate::module_tree::ModId,
                    }));
                }
                _ => modules.extend(crate::session::macro_calls::modules_binding(
                    world, krate, first,
                )),
            }
        }
        for module in modules {
            self.cx.module = module;
            if let Some((nodes, externals, _)) = self.resolve(segs) {
                self.out.nodes.extend(
                    nodes
                        .into_iter()
                        .filter(|k| !crate::session::macro_calls::is_invocation(world, *k)),
                );
                self.add_externals(externals);
            }
        }
        (self.cx.module, self.cx.within) = saved;
    }

    /// Whether `mac` is std's `cfg!` (`cfg!`, `std::cfg!`, `core::cfg!`),
    /// not a crate's own macro of that name.
    pub(super) fn is_std_cfg(&self, mac: &syn::Macro) -> bool {
        let segs = path_segments(&mac.path);
        let std_path = match segs.as_slice() {
            [name] => name == "cfg",
            [krate, name] => name == "cfg" && matches!(krate.as_str(), "std" | "core"),
            [colons, krate, name] => {
                colons == "::" && name == "cfg" && matches!(krate.as_str(), "std" | "core")
            }
            _ => false,
        };
        std_path
            && self
                .s
                .world
                .macros_named(self.cx.module.krate, "cfg")
                .is_empty()
    }

    pub(super) fn record_macro(&mut self, mac: &syn::Macro) {
        let span = mac
            .path
            .segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span());
        self.record_macro_path(&path_segments(&mac.path), span, true);
    }

    /// Records an invocation of the macro at `segs` (see
    /// [`crate::session::macro_calls`] for the rule); `report` lists it as
    /// unresolved when nothing matches.
    fn record_macro_path(&mut self, segs: &[String], span: Span, report: bool) {
        let name = segs.last().cloned().unwrap_or_default();
        let std_macro = segs.len() == 1 && STD_MACROS.contains(&name.as_str());
        let mut by_name =
            crate::session::macro_calls::macros_by_name(self.s, self.cx.module.krate, segs);
        for m in
            crate::session::macro_calls::macros_through_uses(self.s, self.cx.module.krate, segs)
        {
            if !by_name.contains(&m) {
                by_name.push(m);
            }
        }
        let (mut nodes, externals) = self
            .resolve(segs)
            .map(|(nodes, externals, _)| (nodes, externals))
            .unwrap_or_default();
        if !by_name.is_empty() || std_macro {
            // The module's item-position invocations stand in for names
            // the module lacks; a macro found by name is not one of them.
            nodes.retain(|k| !crate::session::macro_calls::is_invocation(self.s.world, *k));
        }
        let found = !by_name.is_empty() || !nodes.is_empty() || !externals.is_empty();
        self.out
            .nodes
            .extend(by_name.into_iter().map(NodeKey::item));
        self.out.nodes.extend(nodes);
        self.add_externals(externals);
        if !found
            && !std_macro
            && report
            && self
                .bindings(segs, crate::world::Ns::Any)
                .is_some_and(|b| b.is_empty())
        {
            let location = self.location(span);
            self.out
                .unresolved
                .push((format!("{}!", path_text(segs)), location));
        }
    }
}

/// `name = value` in a macro's arguments: a named format argument.
pub(super) fn named_format_arg(arg: &Expr) -> Option<String> {
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
pub(super) fn format_string_names(text: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::super::closure_of;
    use super::{format_string_names, named_format_arg};

    #[test]
    fn named_arguments_are_names_not_paths() {
        let arg = |text: &str| named_format_arg(&syn::parse_str(text).unwrap());
        assert_eq!(arg("width = n").as_deref(), Some("width"));
        assert_eq!(arg("a::b = n"), None);
        assert_eq!(arg("n + 1"), None);
    }

    #[test]
    fn macro_arguments_are_walked_and_captures_resolved() {
        let closure = closure_of(
            "pub const W: usize = 3;\npub fn val() -> u8 { 1 }\n\
             pub fn f() -> String { format!(\"{:W$}{}\", val(), 2) }",
            "f",
        );
        assert_eq!(closure, ["W", "f", "val"]);
    }

    #[test]
    fn format_strings_capture_arguments_widths_and_precisions() {
        assert_eq!(
            format_string_names("{a} {{b}} {:w$} {c:>0$} {d:.p$} {0} {e:?} {:1$.prec$}"),
            ["a", "w", "c", "d", "p", "e", "prec"]
        );
    }
}
