//! Flattening `use` trees into one entry per name bound.

use super::data::UseEntry;
use crate::lexer::{Kind, Tokens};

/// Flattens a use tree at `i..hi` under `prefix` into `out`.
pub(super) fn use_tree(
    t: &Tokens,
    mut i: usize,
    hi: usize,
    prefix: &mut Vec<String>,
    out: &mut Vec<UseEntry>,
) {
    let depth = prefix.len();
    if i + 1 < hi && t.is_path_sep(i) {
        if prefix.is_empty() {
            prefix.push("::".to_owned());
        }
        i += 2;
    }
    loop {
        if i >= hi {
            break;
        }
        if t.is_punct(i, b'*') {
            out.push(UseEntry {
                path: prefix.clone(),
                name: None,
                glob: true,
            });
            break;
        }
        if t.is_open(i, b'{') {
            let close = t.close[i] as usize;
            let mut k = i + 1;
            while k < close {
                let mut end = k;
                while end < close && !t.is_punct(end, b',') {
                    end = t.skip(end);
                }
                if end > k {
                    use_tree(t, k, end, prefix, out);
                }
                k = end + 1;
            }
            break;
        }
        if t.toks[i].kind != Kind::Ident {
            break;
        }
        let seg = t.text(i).to_owned();
        if i + 1 < hi && t.is_path_sep(i + 1) {
            prefix.push(seg);
            i += 3;
            continue;
        }
        // Last segment: `name`, `name as alias`, `self`.
        let alias = if t.is_ident(i + 1, "as") && i + 2 < hi {
            Some(t.text(i + 2).to_owned())
        } else {
            None
        };
        out.push(UseEntry::leaf(prefix, &seg, alias));
        break;
    }
    prefix.truncate(depth);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn flatten(tree: &str) -> Vec<String> {
        let t = lex(tree).unwrap();
        let mut out = Vec::new();
        use_tree(&t, 0, t.toks.len(), &mut Vec::new(), &mut out);
        out.iter()
            .map(|e| {
                format!(
                    "{:?}={}{}",
                    e.name,
                    e.path.join("/"),
                    if e.glob { "/*" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn groups_self_renames_and_globs() {
        assert_eq!(
            flatten("a::{self as b, c::*, _d, e as _}"),
            [
                "Some(\"b\")=a",
                "None=a/c/*",
                "Some(\"_d\")=a/_d",
                "None=a/e"
            ]
        );
        assert_eq!(flatten("::x::y"), ["Some(\"y\")=::/x/y"]);
    }
}
