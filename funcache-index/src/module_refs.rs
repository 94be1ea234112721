//! The module files a source file may make rustc read, found by scanning
//! its tokens rather than by building a module tree (which the fallback
//! cannot count on): every `#[path = ".."]` (and `#[cfg_attr(.., path =
//! "..")]`) target of a `mod` declaration and, for a file outside the
//! package directory, the `x.rs` / `x/mod.rs` of each plain `mod x;`.
//!
//! Conservative: where rustc's choice depends on what kind of file this is
//! (a `mod.rs`-like file or not), both candidates are returned. A
//! candidate rustc never reads costs at most a needless miss; a file it
//! reads and the fallback does not see served stale values.

use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The module files `text`, the contents of `file`, may declare: `#[path]`
/// targets always, and plain `mod x;` files too when `plain` (a file the
/// package walk does not find on its own). Duplicates removed, in order of
/// appearance.
pub(crate) fn module_files(text: &str, file: &Path, plain: bool) -> Vec<PathBuf> {
    // Cheap test first: most files declare no `#[path]` module.
    if !text.contains(if plain { "mod" } else { "path" }) {
        return Vec::new();
    }
    let Ok(tokens) = text.parse::<TokenStream>() else {
        return Vec::new();
    };
    let dir = file.parent().unwrap_or(Path::new(""));
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
    let mut scan = Scan {
        dir,
        stem: stem.as_deref(),
        plain,
        out: Vec::new(),
    };
    scan.tokens(tokens, &mut Vec::new());
    let mut seen = std::collections::HashSet::new();
    scan.out.retain(|path| seen.insert(path.clone()));
    scan.out
}

struct Scan<'a> {
    dir: &'a Path,
    stem: Option<&'a str>,
    plain: bool,
    out: Vec<PathBuf>,
}

impl Scan<'_> {
    /// Scans `tokens`, inside the inline modules `nest`.
    fn tokens(&mut self, tokens: TokenStream, nest: &mut Vec<String>) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        // `#[path]` values of the attributes before the next item.
        let mut pending: Vec<String> = Vec::new();
        let mut index = 0;
        while index < trees.len() {
            match &trees[index] {
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    let mut next = index + 1;
                    if matches!(trees.get(next), Some(TokenTree::Punct(b)) if b.as_char() == '!') {
                        next += 1;
                    }
                    if let Some(TokenTree::Group(g)) = trees.get(next)
                        && g.delimiter() == Delimiter::Bracket
                    {
                        path_values(g.stream(), &mut pending);
                        index = next + 1;
                        continue;
                    }
                }
                TokenTree::Ident(ident) if ident == "mod" => {
                    if let Some(TokenTree::Ident(name)) = trees.get(index + 1) {
                        let name = name.to_string();
                        let name = name.trim_start_matches("r#").to_owned();
                        match trees.get(index + 2) {
                            Some(TokenTree::Group(body))
                                if body.delimiter() == Delimiter::Brace =>
                            {
                                // An inline module: its `#[path]` names the
                                // directory of its children.
                                for path in pending.drain(..) {
                                    nest.push(path);
                                    self.tokens(body.stream(), nest);
                                    nest.pop();
                                }
                                nest.push(name);
                                self.tokens(body.stream(), nest);
                                nest.pop();
                                index += 3;
                                continue;
                            }
                            Some(TokenTree::Punct(semi)) if semi.as_char() == ';' => {
                                self.declaration(&name, &pending, nest);
                                pending.clear();
                                index += 3;
                                continue;
                            }
                            _ => {}
                        }
                    }
                }
                TokenTree::Punct(p) if p.as_char() == ';' => pending.clear(),
                TokenTree::Group(group) => {
                    // A block (a `mod` with `#[path]` in a fn body) or an
                    // item's body: not a new module level.
                    let keep = group.delimiter() != Delimiter::Brace;
                    let saved = if keep { pending.clone() } else { Vec::new() };
                    pending.clear();
                    self.tokens(group.stream(), nest);
                    pending = saved;
                }
                _ => {}
            }
            index += 1;
        }
    }

    /// `mod name;` with the `#[path]` values `paths`, inside `nest`.
    fn declaration(&mut self, name: &str, paths: &[String], nest: &[String]) {
        // Relative to the file's directory outside inline modules; inside
        // them, to the directories they name, under the file's stem too
        // when it is not a `mod.rs`-like file.
        let mut bases = vec![self.dir.join(nest.iter().collect::<PathBuf>())];
        if !nest.is_empty()
            && let Some(stem) = self.stem
        {
            bases.push(self.dir.join(stem).join(nest.iter().collect::<PathBuf>()));
        }
        if !paths.is_empty() {
            for path in paths {
                if Path::new(path).is_absolute() {
                    self.out.push(PathBuf::from(path));
                } else {
                    self.out.extend(bases.iter().map(|base| base.join(path)));
                }
            }
            // `#[cfg_attr(p, path = ..)]` leaves the plain file when `p`
            // does not hold: fall through to it.
            if !self.plain {
                return;
            }
        }
        if !self.plain {
            return;
        }
        if nest.is_empty()
            && let Some(stem) = self.stem
        {
            bases.push(self.dir.join(stem));
        }
        for base in bases {
            self.out.push(base.join(format!("{name}.rs")));
            self.out.push(base.join(name).join("mod.rs"));
        }
    }
}

/// Pushes to `out` the value of `path = ".."` in an attribute's tokens,
/// also inside `cfg_attr(..)`.
fn path_values(tokens: TokenStream, out: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(name), TokenTree::Group(args)] if name == "cfg_attr" => {
            // `cfg_attr(predicate, attr, attr..)`: the attributes after the
            // first top-level comma.
            let inner: Vec<TokenTree> = args.stream().into_iter().collect();
            let mut parts = inner.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','));
            parts.next();
            for part in parts {
                path_values(part.iter().cloned().collect(), out);
            }
        }
        [
            TokenTree::Ident(name),
            TokenTree::Punct(eq),
            TokenTree::Literal(literal),
        ] if name == "path" && eq.as_char() == '=' => {
            let text = literal.to_string();
            if let Some(value) = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| !t.contains('\\'))
            {
                out.push(value.to_owned());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, file: &str, plain: bool) -> Vec<String> {
        module_files(text, Path::new(file), plain)
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn path_attributes_anywhere_and_plain_mods_only_when_asked() {
        let text = r#"
            #[path = "../../shared/common.rs"] mod common;
            #[cfg_attr(unix, path = "u.rs")]
            pub(crate) mod sys;
            mod plain;
            mod inline { #[path = "deep.rs"] mod deep; }
            fn f() { #[path = "blocky.rs"] mod b; }
            #[doc = "path"] fn g() {}
            mod after;
        "#;
        assert_eq!(
            names(text, "/p/src/main.rs", false),
            [
                "/p/src/../../shared/common.rs",
                "/p/src/u.rs",
                "/p/src/inline/deep.rs",
                "/p/src/main/inline/deep.rs",
                "/p/src/blocky.rs",
            ]
        );
        let outside = names(
            "mod child;\n#[path = \"x.rs\"] mod x;",
            "/s/common.rs",
            true,
        );
        assert_eq!(
            outside,
            [
                "/s/child.rs",
                "/s/child/mod.rs",
                "/s/common/child.rs",
                "/s/common/child/mod.rs",
                "/s/x.rs",
                "/s/x/mod.rs",
                "/s/common/x.rs",
                "/s/common/x/mod.rs",
            ]
        );
        assert!(names("fn f() {}", "/p/a.rs", true).is_empty());
        assert!(names("mod x; }{", "/p/a.rs", true).is_empty());
    }
}
