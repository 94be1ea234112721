//! Files an item pulls in with `include!`, `include_str!` or
//! `include_bytes!`: their contents are part of what the item means, though
//! none of its tokens change when they do (a data file embedded in a const
//! is the common case). Their digest joins the item's hash.
//!
//! A path is a string literal, relative to the directory of the file that
//! holds the invocation (as rustc resolves it), or the common
//! `concat!(env!("CARGO_MANIFEST_DIR"), "/…")` and
//! `concat!(env!("OUT_DIR"), "/…")` (code a build script generates, the
//! prost/bindgen pattern). Any other argument cannot be evaluated here and
//! is left to the tokens' own hash.

use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::Digest;

const INCLUDE_MACROS: &[&str] = &["include", "include_str", "include_bytes"];

/// The directories an include path may start from besides the including
/// file's own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IncludeDirs<'a> {
    /// `CARGO_MANIFEST_DIR` of the crate's package.
    pub manifest: &'a Path,
    /// `OUT_DIR` of the crate's build script, when it is known (in the
    /// rustc run that compiles the crate; never in the CLI).
    pub out: Option<&'a Path>,
}

/// A digest of every file `text` includes, in order of appearance, or
/// `None` when it includes none. A file that cannot be read contributes
/// its path as missing, so its later appearance changes the digest.
pub(crate) fn digest(text: &str, file_dir: &Path, dirs: IncludeDirs) -> Option<Digest> {
    // Cheap test first: almost no item includes anything.
    if !mentions_include(text) {
        return None;
    }
    let tokens: TokenStream = text.parse().ok()?;
    let mut paths = Vec::new();
    collect(tokens, file_dir, dirs, &mut paths);
    if paths.is_empty() {
        return None;
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-includes\0");
    for path in paths {
        match std::fs::read(&path) {
            Ok(bytes) => {
                hasher.update(&[1]);
                hasher.update(&(bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
            Err(_) => {
                // Only the file name: absolute paths must not reach a hash.
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                hasher.update(&[0]);
                hasher.update(name.unwrap_or_default().as_bytes());
            }
        }
    }
    Some(hasher.finalize().into())
}

/// Whether `text` contains `include` (`str::contains`). Every node of
/// every closure is asked, in each rustc run: this finds each `u` with
/// std's `memchr` (compiled optimized, unlike this crate in a proc macro,
/// where `str::contains` took ~40 instructions a byte) and compares around
/// it.
fn mentions_include(text: &str) -> bool {
    const NEEDLE: &[u8] = b"include";
    // `u` is NEEDLE[4].
    const AT: usize = 4;
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find('u') {
        let u = from + found;
        if u >= AT && bytes.get(u - AT..u - AT + NEEDLE.len()) == Some(NEEDLE) {
            return true;
        }
        from = u + 1;
    }
    false
}

/// The files `text` includes, in order of appearance (those whose
/// argument can be evaluated).
pub(crate) fn included_paths(text: &str, file_dir: &Path, dirs: IncludeDirs) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if mentions_include(text)
        && let Ok(tokens) = text.parse::<TokenStream>()
    {
        collect(tokens, file_dir, dirs, &mut paths);
    }
    paths
}

/// The file an item-position `include!(..)` (text of the whole item)
/// pulls in, when its argument can be evaluated.
pub(crate) fn item_include(text: &str, file_dir: &Path, dirs: IncludeDirs) -> Option<PathBuf> {
    let tokens: TokenStream = text.parse().ok()?;
    let mut trees: Vec<TokenTree> = tokens.into_iter().collect();
    if matches!(trees.last(), Some(TokenTree::Punct(semi)) if semi.as_char() == ';') {
        trees.pop();
    }
    match trees.as_slice() {
        [
            ..,
            TokenTree::Ident(name),
            TokenTree::Punct(bang),
            TokenTree::Group(args),
        ] if name == "include" && bang.as_char() == '!' => {
            evaluate(args.stream(), dirs).map(|path| file_dir.join(path))
        }
        _ => None,
    }
}

fn collect(tokens: TokenStream, file_dir: &Path, dirs: IncludeDirs, out: &mut Vec<PathBuf>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (index, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if INCLUDE_MACROS.iter().any(|name| ident == name) => {
                let bang =
                    matches!(trees.get(index + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                if let (true, Some(TokenTree::Group(args))) = (bang, trees.get(index + 2))
                    && let Some(path) = evaluate(args.stream(), dirs)
                {
                    out.push(file_dir.join(path));
                }
            }
            TokenTree::Group(group) => collect(group.stream(), file_dir, dirs, out),
            _ => {}
        }
    }
}

/// The path an include's argument names: a string literal, or
/// `concat!` of string literals, `env!("CARGO_MANIFEST_DIR")` and (when
/// known) `env!("OUT_DIR")`.
fn evaluate(args: TokenStream, dirs: IncludeDirs) -> Option<String> {
    let trees: Vec<TokenTree> = args.into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Literal(literal)] | [TokenTree::Literal(literal), TokenTree::Punct(_)] => {
            string_literal(literal)
        }
        [
            TokenTree::Ident(name),
            TokenTree::Punct(bang),
            TokenTree::Group(parts),
        ] if name == "concat" && bang.as_char() == '!' => {
            let mut path = String::new();
            for part in split_commas(parts.stream()) {
                match part.as_slice() {
                    [TokenTree::Literal(literal)] => path.push_str(&string_literal(literal)?),
                    [
                        TokenTree::Ident(env),
                        TokenTree::Punct(bang),
                        TokenTree::Group(var),
                    ] if env == "env"
                        && bang.as_char() == '!'
                        && var.delimiter() != Delimiter::None =>
                    {
                        let dir = match var.stream().to_string().trim() {
                            "\"CARGO_MANIFEST_DIR\"" => dirs.manifest,
                            "\"OUT_DIR\"" => dirs.out?,
                            _ => return None,
                        };
                        path.push_str(&dir.to_string_lossy());
                    }
                    [] => {}
                    _ => return None,
                }
            }
            Some(path)
        }
        _ => None,
    }
}

fn split_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut parts = vec![Vec::new()];
    for tree in tokens {
        match &tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => parts.push(Vec::new()),
            _ => parts.last_mut().expect("never empty").push(tree),
        }
    }
    parts
}

/// The value of a plain (non-raw) string literal without escapes, the only
/// kind a path needs.
fn string_literal(literal: &proc_macro2::Literal) -> Option<String> {
    let text = literal.to_string();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then(|| inner.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_include_is_str_contains() {
        for text in [
            "",
            "u",
            "include",
            "xinclude_str!",
            "inclu",
            "nclude",
            "includ",
            "pub fn f() { include_bytes!(\"a\") }",
            "uuuinclude",
            "includuinclude",
            "é include é",
            "éu",
            "use a::b; pub mut u8",
        ] {
            assert_eq!(mentions_include(text), text.contains("include"), "{text:?}");
        }
    }

    #[test]
    fn included_files_change_the_digest_and_others_do_not() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        std::fs::write(dir.join("data.txt"), "one").unwrap();
        std::fs::create_dir(dir.join("assets")).unwrap();
        std::fs::write(dir.join("assets/table.bin"), [1, 2, 3]).unwrap();
        let item = r#"const DATA: &str = include_str!("data.txt");"#;
        let by_env = r#"static T: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/table.bin"));"#;
        let dirs = IncludeDirs {
            manifest: dir,
            out: None,
        };
        let first = digest(item, dir, dirs).unwrap();
        let env_first = digest(by_env, Path::new("/elsewhere"), dirs).unwrap();
        std::fs::write(dir.join("data.txt"), "two").unwrap();
        std::fs::write(dir.join("assets/table.bin"), [1, 2, 4]).unwrap();
        assert_ne!(digest(item, dir, dirs).unwrap(), first);
        assert_ne!(
            digest(by_env, Path::new("/elsewhere"), dirs).unwrap(),
            env_first
        );
        assert_eq!(digest("fn f() -> u32 { 1 }", dir, dirs), None);
        assert_eq!(
            digest(r#"fn f() { include_str!(some_const!()); }"#, dir, dirs),
            None
        );
    }

    #[test]
    fn a_missing_file_counts_and_its_appearance_changes_the_digest() {
        let temp = tempfile::tempdir().unwrap();
        let item = r#"const DATA: &str = include_str!("later.txt");"#;
        let dirs = IncludeDirs {
            manifest: temp.path(),
            out: None,
        };
        let missing = digest(item, temp.path(), dirs).unwrap();
        std::fs::write(temp.path().join("later.txt"), "").unwrap();
        assert_ne!(digest(item, temp.path(), dirs).unwrap(), missing);
    }

    #[test]
    fn the_digest_does_not_depend_on_where_the_crate_is() {
        let hashes: Vec<Digest> = (0..2)
            .map(|_| {
                let temp = tempfile::tempdir().unwrap();
                std::fs::write(temp.path().join("data.txt"), "same").unwrap();
                let dirs = IncludeDirs {
                    manifest: temp.path(),
                    out: None,
                };
                digest(r#"include_str!("data.txt")"#, temp.path(), dirs).unwrap()
            })
            .collect();
        assert_eq!(hashes[0], hashes[1]);
    }

    #[test]
    fn files_generated_into_out_dir_are_followed_when_it_is_known() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("table.txt"), "1").unwrap();
        let item = r#"const T: &str = include_str!(concat!(env!("OUT_DIR"), "/table.txt"));"#;
        let known = IncludeDirs {
            manifest: temp.path(),
            out: Some(&out),
        };
        let unknown = IncludeDirs { out: None, ..known };
        let first = digest(item, temp.path(), known).unwrap();
        std::fs::write(out.join("table.txt"), "2").unwrap();
        assert_ne!(digest(item, temp.path(), known).unwrap(), first);
        assert_eq!(digest(item, temp.path(), unknown), None);

        let generated = r#"#[cfg(unix)] include!(concat!(env!("OUT_DIR"), "/gen.rs"));"#;
        assert_eq!(
            item_include(generated, temp.path(), known),
            Some(out.join("gen.rs"))
        );
        assert_eq!(item_include(generated, temp.path(), unknown), None);
        assert_eq!(
            item_include(r#"include!("part.rs")"#, temp.path(), unknown),
            Some(temp.path().join("part.rs"))
        );
        assert_eq!(item_include("other!(\"x.rs\");", temp.path(), known), None);
    }
}
