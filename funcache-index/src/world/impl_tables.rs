//! Per-crate tables of impls and methods: which impls belong to a type or a
//! trait, which are blanket impls, and every method by name (the fallback
//! when a receiver's type is unknown).

use crate::ids::{Binding, CrateId, ItemRef, NodeKey};
use crate::impl_table::{Derived, ImplInfo, TypeKey};
use crate::shallow::ItemKind;
use crate::world::World;

impl World {
    /// Computes the tables of crate `krate`.
    pub fn derive_tables(&self, krate: CrateId) -> Derived {
        let mut d = Derived::default();
        let index = &self.crates[krate as usize].index;
        for (id, it) in index.items.iter().enumerate() {
            let r = ItemRef {
                krate,
                item: id as u32,
            };
            match &it.item.kind {
                ItemKind::Impl(parts) => {
                    let module = self.module_of(r);
                    let blanket = parts.self_ty.segs.first().is_some_and(|s| {
                        parts.self_ty.segs.len() == 1 && parts.generics.contains(s)
                    });
                    let self_keys = if blanket || parts.self_ty.segs.is_empty() {
                        Vec::new()
                    } else if it.nested.is_some() {
                        // `impl Local` in a fn body names the block's type.
                        self.type_keys_from(module, Some(r), &parts.self_ty.segs)
                    } else {
                        self.type_keys(module, &parts.self_ty.segs)
                    };
                    let within = it.nested.as_ref().map(|_| r);
                    let trait_bindings = parts
                        .trait_
                        .as_ref()
                        .map(|t| self.resolve_from(module, within, &t.segs))
                        .unwrap_or_default();
                    let std_trait = !trait_bindings.is_empty()
                        && trait_bindings.iter().all(|b| matches!(b, Binding::Std));
                    let trait_item = parts.trait_.as_ref().and_then(|_| {
                        trait_bindings.iter().cloned().find_map(|b| match b {
                            Binding::Item(i)
                                if matches!(self.item(i).item.kind, ItemKind::Trait { .. }) =>
                            {
                                Some(i)
                            }
                            _ => None,
                        })
                    });
                    if self_keys.is_empty() {
                        d.blanket.push(r);
                    }
                    for key in &self_keys {
                        d.by_type.entry(key.clone()).or_default().push(r);
                    }
                    if let Some(t) = trait_item {
                        d.by_trait.entry(t).or_default().push(r);
                    } else if parts.trait_.is_some() {
                        for key in self.header_mentions(r, parts) {
                            if !self_keys.contains(&key) {
                                d.by_mention.entry(key).or_default().push(r);
                            }
                        }
                    }
                    for (i, a) in parts.items.iter().enumerate() {
                        d.add_assoc(a, NodeKey::assoc(r, i));
                    }
                    d.impls.insert(
                        r,
                        ImplInfo {
                            self_keys,
                            trait_item,
                            is_trait_impl: parts.trait_.is_some(),
                            trait_name: parts.trait_.as_ref().and_then(|t| t.segs.last().cloned()),
                            std_trait,
                        },
                    );
                }
                ItemKind::Trait { items, .. } => {
                    for (i, a) in items.iter().enumerate() {
                        d.add_assoc(a, NodeKey::assoc(r, i));
                    }
                }
                ItemKind::MacroCall => d.macro_calls.push(r),
                _ => {}
            }
        }
        d
    }

    /// The crate types named anywhere in the header of impl `imp`.
    fn header_mentions(&self, imp: ItemRef, parts: &crate::shallow::ImplParts) -> Vec<TypeKey> {
        let it = self.item(imp);
        let file = &self.crates[imp.krate as usize].index.files[it.file as usize];
        let Ok(tokens) = crate::lexer::lex(file.slice(parts.header)) else {
            return Vec::new();
        };
        let module = self.module_of(imp);
        let n = tokens.toks.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            if tokens.toks[i].kind != crate::lexer::Kind::Ident {
                i += 1;
                continue;
            }
            let (segs, next) = crate::shallow::path_at(&tokens, i, n);
            let generic = segs.len() == 1 && parts.generics.contains(&segs[0]);
            if !segs.is_empty() && !generic {
                let within = it.nested.as_ref().map(|_| imp);
                for key in self.type_keys_from(module, within, &segs) {
                    if matches!(key, TypeKey::Local(_)) && !out.contains(&key) {
                        out.push(key);
                    }
                }
            }
            i = next.max(i + 1);
        }
        out
    }

    /// The keys a type path written in module `module` stands for. Type
    /// aliases are followed to what they name.
    pub fn type_keys(&self, module: crate::ids::ModRef, segs: &[String]) -> Vec<TypeKey> {
        self.type_keys_from(module, None, segs)
    }

    /// [`World::type_keys`] for a path written inside item `within`
    /// (resolved through the blocks around it first).
    pub fn type_keys_from(
        &self,
        module: crate::ids::ModRef,
        within: Option<ItemRef>,
        segs: &[String],
    ) -> Vec<TypeKey> {
        let mut out = Vec::new();
        let resolved = self.resolve_from(module, within, segs);
        for b in &resolved {
            match b {
                Binding::Item(i) => match &self.item(*i).item.kind {
                    ItemKind::Struct | ItemKind::Enum { .. } | ItemKind::Union => {
                        out.push(TypeKey::Local(*i))
                    }
                    ItemKind::TypeAlias => {
                        if let Some(target) = self.alias_target(*i) {
                            let alias_module = self.module_of(*i);
                            if target != segs || alias_module != module {
                                out.extend(self.type_keys(alias_module, &target));
                            }
                        }
                    }
                    _ => {}
                },
                Binding::External(_) | Binding::Std => {
                    if let Some(last) = segs.last() {
                        out.push(TypeKey::Foreign(last.clone()));
                    }
                }
                _ => {}
            }
        }
        if resolved.is_empty()
            && let Some(last) = segs.last()
        {
            out.push(TypeKey::Foreign(last.clone()));
        }
        out
    }

    /// The path a type alias names (`type A = b::C<X>;` → `b::C`).
    pub fn alias_target(&self, alias: ItemRef) -> Option<Vec<String>> {
        let it = self.item(alias);
        let file = &self.crates[alias.krate as usize].index.files[it.file as usize];
        let text = file.slice(it.item.span);
        let tokens = crate::lexer::lex(text).ok()?;
        let eq =
            (0..tokens.toks.len()).find(|&i| tokens.is_punct(i, b'=') && !tokens.toks[i].joint)?;
        let mut i = eq + 1;
        while tokens.is_punct(i, b'&') || tokens.is_ident(i, "mut") || tokens.is_ident(i, "dyn") {
            i += 1;
        }
        let (segs, _) = crate::shallow::path_at(&tokens, i, tokens.toks.len());
        (!segs.is_empty()).then_some(segs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_by_type_trait_and_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"f\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "pub struct A; type AA = A; pub trait T { fn t(&self) {} } impl A { fn m(&self) {} fn make() {} } impl T for AA {} impl<X: Clone> T for X {} impl T for String { fn t(&self) {} }",
        )
        .unwrap();
        let mut world = World::default();
        let id = world
            .load_crate(dir.path(), &dir.path().join("src/lib.rs"), "f", None)
            .unwrap();
        let d = world.derive_tables(id);
        let a = ItemRef { krate: id, item: 0 };
        assert_eq!(d.by_type[&TypeKey::Local(a)].len(), 2);
        assert_eq!(d.by_type[&TypeKey::Foreign("String".into())].len(), 1);
        assert_eq!(d.blanket.len(), 1);
        let t = ItemRef { krate: id, item: 2 };
        assert_eq!(d.by_trait[&t].len(), 3);
        assert_eq!(d.methods["t"].len(), 2);
        assert_eq!(d.methods["m"].len(), 1);
        assert_eq!(d.assoc_items["t"].len(), 2);
        // Without `self` it is no method-call candidate.
        assert!(!d.methods.contains_key("make"));
        assert_eq!(d.assoc_items["make"].len(), 1);
    }
}
