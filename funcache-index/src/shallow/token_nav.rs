//! Moving over tokens the way every item reader needs: outer attributes,
//! visibilities, paths, the end of an item, angle-bracket depth.

use super::data::Attr;
use crate::lexer::{Kind, Tokens, unquote};

/// Outer attributes starting at `i`; returns them and the index after.
pub(super) fn attrs(t: &Tokens, mut i: usize, hi: usize) -> (Vec<Attr>, usize) {
    let mut out = Vec::new();
    while i + 1 < hi && t.is_punct(i, b'#') && t.is_open(i + 1, b'[') {
        let open = i + 1;
        let close = t.close[open] as usize;
        let mut j = open + 1;
        let (path, after) = path_at(t, j, close);
        j = after;
        let mut args = None;
        let mut value = None;
        if t.is_open(j, b'(') {
            let c = t.close[j] as usize;
            args = Some((t.toks[j].end, t.toks[c].start));
        } else if t.is_punct(j, b'=') && j + 1 < close && t.toks[j + 1].kind == Kind::Literal {
            value = Some(unquote(t.text(j + 1)));
        }
        out.push(Attr { path, args, value });
        i = close + 1;
    }
    (out, i)
}

/// A path `a::b::c` (leading `::` kept as `"::"`) starting at `i`, generic
/// arguments not included. Returns the segments and the index after.
pub(crate) fn path_at(t: &Tokens, mut i: usize, hi: usize) -> (Vec<String>, usize) {
    let mut segs = Vec::new();
    if i + 1 < hi && t.is_path_sep(i) {
        segs.push("::".to_owned());
        i += 2;
    }
    while i < hi && t.toks[i].kind == Kind::Ident {
        segs.push(t.text(i).to_owned());
        i += 1;
        if i + 1 < hi && t.is_path_sep(i) && i + 2 < hi && t.toks[i + 2].kind == Kind::Ident {
            i += 2;
        } else {
            break;
        }
    }
    (segs, i)
}

/// Skips a visibility (`pub`, `pub(crate)`, `pub(in path)`).
pub(super) fn visibility(t: &Tokens, mut i: usize, hi: usize) -> usize {
    if i < hi && t.is_ident(i, "pub") {
        i += 1;
        if t.is_open(i, b'(') {
            i = t.skip(i);
        }
    }
    i
}

/// Index of the first `;` at this level, or of the first brace group at
/// angle-bracket depth 0 (`<{ N }>` const arguments are not bodies).
pub(super) fn find_end(t: &Tokens, mut i: usize, hi: usize, brace_ends: bool) -> usize {
    let mut angle = 0i32;
    while i < hi {
        let tok = &t.toks[i];
        match tok.kind {
            Kind::Punct if tok.ch == b';' => return i,
            Kind::Punct if tok.ch == b'<' => angle += 1,
            Kind::Punct if tok.ch == b'>' => {
                // `->` and `=>` are not closing angle brackets.
                let arrow = i > 0 && t.toks[i - 1].joint && matches!(t.toks[i - 1].ch, b'-' | b'=');
                if !arrow && angle > 0 {
                    angle -= 1;
                }
            }
            Kind::Open if tok.ch == b'{' && brace_ends && angle == 0 => return i,
            _ => {}
        }
        i = t.skip(i);
    }
    hi
}

/// The last token of a macro item whose group opens at `g`: the group's
/// close, or the `;` after it.
pub(super) fn group_end(t: &Tokens, g: usize) -> usize {
    let close = t.close[g] as usize;
    if t.is_punct(close + 1, b';') {
        close + 1
    } else {
        close
    }
}

/// How the token at `k` changes angle-bracket depth: `<` opens, `>` closes
/// unless it ends `->` or `=>`.
pub(super) fn angle_delta(t: &Tokens, k: usize) -> i32 {
    if t.is_punct(k, b'<') {
        1
    } else if t.is_punct(k, b'>')
        && !(k > 0 && t.toks[k - 1].joint && matches!(t.toks[k - 1].ch, b'-' | b'='))
    {
        -1
    } else {
        0
    }
}

/// Index of the `>` closing the `<` at `i`.
pub(super) fn angle_end(t: &Tokens, i: usize, hi: usize) -> usize {
    let mut depth = 0i32;
    let mut k = i;
    while k < hi {
        let delta = angle_delta(t, k);
        depth += delta;
        if delta < 0 && depth == 0 {
            return k;
        }
        k = t.skip(k);
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    #[test]
    fn attributes_paths_and_visibility() {
        let t = lex("#[a::b(x)] #[path = \"p.rs\"] pub(crate) ::std::fmt::Debug").unwrap();
        let hi = t.toks.len();
        let (found, after) = attrs(&t, 0, hi);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, ["a", "b"]);
        assert!(found[0].args.is_some());
        assert_eq!(found[1].value.as_deref(), Some("p.rs"));
        let after_vis = visibility(&t, after, hi);
        assert!(after_vis > after);
        let (segs, end) = path_at(&t, after_vis, hi);
        assert_eq!(segs, ["::", "std", "fmt", "Debug"]);
        assert_eq!(end, hi);
    }

    #[test]
    fn item_ends_skip_const_arguments_and_arrows() {
        let src = "fn f() -> X<{ 1 }> where T: Fn() -> u8 { body } ; next";
        let t = lex(src).unwrap();
        let end = find_end(&t, 0, t.toks.len(), true);
        assert!(t.is_open(end, b'{'));
        assert_eq!(
            &src[t.toks[end].start as usize..t.toks[t.close[end] as usize].end as usize],
            "{ body }"
        );
        // Without braces ending it, the item runs to the `;`.
        let semi = find_end(&t, 0, t.toks.len(), false);
        assert!(t.is_punct(semi, b';'));
        let lt = (0..t.toks.len()).find(|&k| t.is_punct(k, b'<')).unwrap();
        assert!(t.is_punct(angle_end(&t, lt, t.toks.len()), b'>'));
        let m = lex("m! { x } ; y").unwrap();
        assert!(m.is_punct(group_end(&m, 2), b';'));
    }
}
