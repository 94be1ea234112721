//! Items and `use`s declared inside a block: visible in all of it, so
//! they are declared before the block is walked.

use crate::shallow::UseEntry;
use crate::std_names::STD_MACROS;

use super::Walker;

impl Walker<'_, '_> {
    /// Declares the items of a block (visible in all of it) and its `use`s.
    pub(super) fn declare_block_items(&mut self, stmts: &[syn::Stmt]) {
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
            out.push(UseEntry::leaf(prefix, &n.ident.to_string(), None));
        }
        syn::UseTree::Rename(r) => {
            let alias = r.rename.to_string();
            out.push(UseEntry::leaf(prefix, &r.ident.to_string(), Some(alias)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_trees_flatten_like_the_shallow_reader() {
        let tree: syn::ItemUse = syn::parse_str("use ::a::{self as b, c::*, d as _, e};").unwrap();
        let mut out = Vec::new();
        flatten_use(&tree.tree, &mut Vec::new(), true, &mut out);
        let show: Vec<String> = out
            .iter()
            .map(|e| {
                format!(
                    "{:?}={}{}",
                    e.name,
                    e.path.join("/"),
                    if e.glob { "/*" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            show,
            [
                "Some(\"b\")=::/a",
                "None=::/a/c/*",
                "None=::/a/d",
                "Some(\"e\")=::/a/e"
            ]
        );
    }

    #[test]
    fn named_items_only() {
        let name = |text: &str| item_name(&syn::parse_str(text).unwrap());
        assert_eq!(name("fn f() {}").as_deref(), Some("f"));
        assert_eq!(name("enum E { A }").as_deref(), Some("E"));
        assert_eq!(name("impl X {}"), None);
    }
}
