//! Code that serde's derives call by a path written in a string:
//! `#[serde(default = "path")]`, `serialize_with`, `deserialize_with`,
//! `skip_serializing_if`, `getter`, `with = "module"` (its `serialize` and
//! `deserialize`), and the types of `from`, `into` and `try_from`.
//!
//! A returned value is stored encoded and decoded on a hit, so these
//! functions decide what a cached call returns as much as its body does.

/// What a serde attribute names.
pub(crate) enum SerdeRef {
    /// A function, e.g. `default = "defaults::port"`.
    Fn(syn::Path),
    /// A type converted through (`from = "Raw"`).
    Type(Box<syn::Type>),
}

/// Keys whose string value is a function path.
const FN_KEYS: &[&str] = &[
    "default",
    "serialize_with",
    "deserialize_with",
    "skip_serializing_if",
    "getter",
];

/// Keys whose string value is a type.
const TYPE_KEYS: &[&str] = &["from", "into", "try_from"];

/// The paths and types `attr` names, if it is `#[serde(...)]`. Values that
/// do not parse are left out (serde rejects them too).
pub(crate) fn serde_refs(attr: &syn::Attribute) -> Vec<SerdeRef> {
    let mut out = Vec::new();
    let syn::Meta::List(list) = &attr.meta else {
        return out;
    };
    if !attr.path().is_ident("serde") {
        return out;
    }
    collect(list.tokens.clone(), &mut out);
    out
}

/// `key = "value"` anywhere in `tokens` (nested groups included, for
/// `with(...)`-style forms).
fn collect(tokens: proc_macro2::TokenStream, out: &mut Vec<SerdeRef>) {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => collect(g.stream(), out),
            TokenTree::Ident(key) => {
                let (Some(TokenTree::Punct(eq)), Some(TokenTree::Literal(lit))) =
                    (trees.get(i + 1), trees.get(i + 2))
                else {
                    continue;
                };
                if eq.as_char() != '=' {
                    continue;
                }
                let Ok(syn::Lit::Str(value)) = syn::parse_str::<syn::Lit>(&lit.to_string()) else {
                    continue;
                };
                let key = key.to_string();
                if FN_KEYS.contains(&key.as_str()) {
                    if let Ok(path) = value.parse::<syn::Path>() {
                        out.push(SerdeRef::Fn(path));
                    }
                } else if key == "with" {
                    if let Ok(module) = value.parse::<syn::Path>() {
                        for f in ["serialize", "deserialize"] {
                            let mut path = module.clone();
                            path.segments.push(syn::PathSegment::from(syn::Ident::new(
                                f,
                                proc_macro2::Span::call_site(),
                            )));
                            out.push(SerdeRef::Fn(path));
                        }
                    }
                } else if TYPE_KEYS.contains(&key.as_str())
                    && let Ok(ty) = value.parse::<syn::Type>()
                {
                    out.push(SerdeRef::Type(Box::new(ty)));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn refs(attr: &str) -> Vec<String> {
        let item: syn::ItemStruct = syn::parse_str(&format!("{attr} struct S;")).unwrap();
        serde_refs(&item.attrs[0])
            .into_iter()
            .map(|r| match r {
                SerdeRef::Fn(p) => format!("fn {}", p.to_token_stream()).replace(' ', ""),
                SerdeRef::Type(t) => format!("type {}", t.to_token_stream()).replace(' ', ""),
            })
            .collect()
    }

    #[test]
    fn functions_modules_and_conversion_types() {
        assert_eq!(
            refs(
                "#[serde(default = \"d::port\", rename = \"x\", with = \"hex\", skip_serializing_if = \"Option::is_none\")]"
            ),
            [
                "fnd::port",
                "fnhex::serialize",
                "fnhex::deserialize",
                "fnOption::is_none"
            ]
        );
        assert_eq!(
            refs("#[serde(from = \"Raw<u8>\", deny_unknown_fields)]"),
            ["typeRaw<u8>"]
        );
        assert!(refs("#[serde(default)]").is_empty());
        assert!(refs("#[other(default = \"f\")]").is_empty());
    }
}
