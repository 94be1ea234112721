//! The build inputs written in source text: `cfg` predicates (`cfg!(..)`,
//! `#[cfg]` and `#[cfg_attr]` on anything inside an item) and environment
//! variables read with `env!`/`option_env!`. What they mean for a closure
//! is [`crate::build_inputs`]'s business.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// Build inputs met in one item's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TextInputs {
    pub cfgs: Vec<String>,
    pub env: Vec<String>,
    pub out_dir: bool,
    /// Path-valued inputs read as values (not as the path of an
    /// `include*!`, whose file counts instead): cargo's path variables
    /// (`CARGO_MANIFEST_DIR`, …) and [`FILE_MACRO`]. Their values depend
    /// on where the crate is built, so only a closure that reads one has a
    /// fingerprint that does.
    pub paths: Vec<String>,
}

/// How [`TextInputs::paths`] records a `file!()`.
pub(crate) const FILE_MACRO: &str = "file!()";

impl TextInputs {
    pub fn extend(&mut self, other: TextInputs) {
        self.cfgs.extend(other.cfgs);
        self.env.extend(other.env);
        self.out_dir |= other.out_dir;
        self.paths.extend(other.paths);
    }

    fn sort(&mut self) {
        self.cfgs.sort();
        self.cfgs.dedup();
        self.env.sort();
        self.env.dedup();
        self.paths.sort();
        self.paths.dedup();
    }
}

/// Cargo's variables whose values are paths on the building machine.
const PATH_VARIABLES: &[&str] = &[
    "CARGO",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

/// The `cfg` predicates and environment variables in an item's text. The
/// item's own outer `#[cfg]` is its gate
/// ([`gate`](crate::build_inputs::gate)), not an input.
pub(crate) fn scan(text: &str) -> TextInputs {
    let mut found = TextInputs::default();
    // Lexing again costs about what the item's own parse did: look first.
    if !needs_scan(text) {
        return found;
    }
    if let Ok(tokens) = text.parse::<TokenStream>() {
        scan_tokens(tokens, true, &mut found);
    }
    found.sort();
    found
}

/// Every `cfg` predicate and environment variable in a whole source
/// file, its items' own `#[cfg]`s included.
pub(crate) fn scan_file(text: &str) -> TextInputs {
    let mut found = TextInputs::default();
    if let Ok(tokens) = text.parse::<TokenStream>() {
        scan_tokens(tokens, false, &mut found);
    }
    found.sort();
    found
}

/// Whether `text` may hold an input beyond its own leading `#[cfg]`s and
/// doc comments (most gated items have nothing else): `cfg` or `env` after
/// the leading attributes and comments, or a leading `cfg_attr`. Never
/// false for text that has one; may be true for text that has none.
fn needs_scan(text: &str) -> bool {
    let body = &text[leading_attributes_end(text)..];
    body.contains("cfg")
        || body.contains("env")
        || body.contains("file")
        || text[..text.len() - body.len()].contains("cfg_attr")
}

/// The predicates of a file's leading `#![cfg(..)]` attributes (a module
/// file that gates itself); `Err` when one does not read as a predicate.
pub(crate) fn inner_cfgs(text: &str) -> Result<Vec<String>, ()> {
    let mut found = Vec::new();
    let mut rest = text;
    loop {
        rest = skip_comments(rest);
        if !rest.starts_with("#![") {
            return Ok(found);
        }
        let Some(len) = attribute_len(rest) else {
            // An inner attribute this skip does not follow: if it could be
            // a cfg, the gate is unknown.
            return if rest[..rest.find(']').unwrap_or(rest.len())].contains("cfg") {
                Err(())
            } else {
                Ok(found)
            };
        };
        let attribute = &rest[3..len - 1];
        rest = &rest[len..];
        let Ok(tokens) = attribute.parse::<TokenStream>() else {
            return Err(());
        };
        let mut trees = tokens.into_iter();
        match (trees.next(), trees.next(), trees.next()) {
            (Some(TokenTree::Ident(name)), Some(TokenTree::Group(args)), None) if name == "cfg" => {
                found.push(predicate(args.stream()).ok_or(())?);
            }
            _ => {}
        }
    }
}

/// `(predicate, path)` of a `#[cfg_attr(predicate, path = "path")]`
/// (its arguments' text): a module file chosen by the build.
pub(crate) fn cfg_attr_path(args: &str) -> Option<(String, String)> {
    let tokens: TokenStream = args.parse().ok()?;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let comma = trees
        .iter()
        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))?;
    let condition = predicate(trees[..comma].iter().cloned().collect())?;
    match &trees[comma + 1..] {
        [
            TokenTree::Ident(name),
            TokenTree::Punct(eq),
            TokenTree::Literal(value),
        ] if name == "path" && eq.as_char() == '=' => {
            let text = value.to_string();
            text.starts_with('"')
                .then(|| (condition, crate::lexer::unquote(&text)))
        }
        _ => None,
    }
}

/// `text` after leading whitespace and comments (doc comments included).
fn skip_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if text.starts_with("//") {
            text = text.find('\n').map_or("", |n| &text[n + 1..]);
        } else if text.starts_with("/*") {
            match text.find("*/") {
                Some(end) if !text[2..end].contains("/*") => text = &text[end + 2..],
                _ => return text,
            }
        } else {
            return text;
        }
    }
}

/// Byte offset after the leading comments and outer attributes of an item.
/// Stops early (which only makes [`needs_scan`] say yes more often) at
/// anything it does not follow, such as a raw string in an attribute.
fn leading_attributes_end(text: &str) -> usize {
    let mut rest = text;
    loop {
        rest = skip_comments(rest);
        match rest
            .starts_with("#[")
            .then(|| attribute_len(rest))
            .flatten()
        {
            Some(len) => rest = &rest[len..],
            None => return text.len() - rest.len(),
        }
    }
}

/// Length of the `#[..]` at the start of `text`, through its `]`; `None`
/// when it holds a raw string or a char literal, or does not close.
fn attribute_len(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            '"' => loop {
                match chars.next()? {
                    (_, '\\') => {
                        chars.next()?;
                    }
                    (_, '"') => break,
                    _ => {}
                }
            },
            '\'' => return None,
            'r' if text[i + 1..].starts_with(['"', '#']) => return None,
            _ => {}
        }
    }
    None
}

fn scan_tokens(tokens: TokenStream, outer: bool, found: &mut TextInputs) {
    scan_tokens_in(tokens, outer, false, found);
}

/// `in_include`: inside the argument of an `include*!`, where a path
/// variable only locates a file (whose contents count).
fn scan_tokens_in(tokens: TokenStream, outer: bool, in_include: bool, found: &mut TextInputs) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => {
                // `#[...]` at the top level is the item's own attribute.
                let own_attr = outer
                    && group.delimiter() == Delimiter::Bracket
                    && matches!(trees.get(i.wrapping_sub(1)), Some(TokenTree::Punct(p)) if p.as_char() == '#');
                let include_args = matches!(
                    (trees.get(i.wrapping_sub(2)), trees.get(i.wrapping_sub(1))),
                    (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(bang)))
                        if bang.as_char() == '!'
                            && ["include", "include_str", "include_bytes"]
                                .iter()
                                .any(|m| name == m)
                );
                if own_attr {
                    own_attribute(group.stream(), found);
                } else {
                    scan_tokens_in(group.stream(), false, in_include || include_args, found);
                }
            }
            TokenTree::Ident(name) => {
                let args = match (trees.get(i + 1), trees.get(i + 2)) {
                    (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(args)))
                        if bang.as_char() == '!' =>
                    {
                        Some(("macro", args))
                    }
                    (Some(TokenTree::Group(args)), _)
                        if args.delimiter() == Delimiter::Parenthesis =>
                    {
                        Some(("attr", args))
                    }
                    _ => None,
                };
                match (name.to_string().as_str(), args) {
                    ("cfg", Some((_, args))) => found.cfgs.extend(predicate(args.stream())),
                    ("file", Some(("macro", _))) if !in_include => {
                        found.paths.push(FILE_MACRO.to_owned());
                    }
                    ("cfg_attr", Some(("attr", args))) => {
                        if let Some(predicate) = first_argument(args.stream()) {
                            found.cfgs.push(predicate);
                        }
                    }
                    ("env" | "option_env", Some(("macro", args))) => {
                        if let Some(TokenTree::Literal(literal)) = args.stream().into_iter().next()
                        {
                            let variable = crate::lexer::unquote(&literal.to_string());
                            if variable == "OUT_DIR" {
                                found.out_dir = true;
                            }
                            let path_valued = PATH_VARIABLES.contains(&variable.as_str())
                                || variable.starts_with("CARGO_BIN_EXE_");
                            if !path_valued {
                                found.env.push(variable);
                            } else if !in_include && variable != "OUT_DIR" {
                                found.paths.push(variable);
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// An item's own attribute: `cfg(..)` is its gate; `cfg_attr(p, ..)`
/// depends on `p`.
fn own_attribute(tokens: TokenStream, found: &mut TextInputs) {
    let mut trees = tokens.into_iter();
    if let (Some(TokenTree::Ident(name)), Some(TokenTree::Group(args))) =
        (trees.next(), trees.next())
        && name == "cfg_attr"
        && let Some(predicate) = first_argument(args.stream())
    {
        found.cfgs.push(predicate);
    }
}

/// The predicate before the first top-level comma, normalized.
fn first_argument(tokens: TokenStream) -> Option<String> {
    predicate(
        tokens
            .into_iter()
            .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
            .collect(),
    )
}

/// One spelling per predicate, whatever the spacing it was written with.
fn normalize(tokens: TokenStream) -> String {
    tokens.to_string()
}

/// Whether `tokens` is a `cfg` predicate (`name`, `name = "value"`,
/// `any(..)`, `all(..)`, `not(..)`): what the expansion can put in
/// `cfg!(..)`. A `#[cfg($m:meta)]` in a `macro_rules!` body is not.
fn is_predicate(tokens: &TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(_)] => true,
        [
            TokenTree::Ident(_),
            TokenTree::Punct(eq),
            TokenTree::Literal(value),
        ] => eq.as_char() == '=' && value.to_string().starts_with('"'),
        [TokenTree::Ident(list), TokenTree::Group(args)]
            if args.delimiter() == Delimiter::Parenthesis
                && ["any", "all", "not"].iter().any(|name| list == name) =>
        {
            let mut parts = vec![TokenStream::new()];
            for tree in args.stream() {
                match &tree {
                    TokenTree::Punct(comma) if comma.as_char() == ',' => {
                        parts.push(TokenStream::new())
                    }
                    _ => parts.last_mut().expect("never empty").extend([tree]),
                }
            }
            if parts.last().is_some_and(TokenStream::is_empty) {
                parts.pop();
            }
            parts.iter().all(is_predicate)
        }
        _ => false,
    }
}

/// The predicate in `tokens`, normalized, if it is one.
pub(crate) fn predicate(tokens: TokenStream) -> Option<String> {
    is_predicate(&tokens).then(|| normalize(tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_and_variables_inside_an_item() {
        let text = r#"
            #[cfg(feature = "gate")]
            #[cfg_attr(feature = "serde", derive(Serialize))]
            fn f() -> u32 {
                #[cfg(debug_assertions)]
                check();
                let mode = option_env!("MODE").unwrap_or(env!("CARGO_PKG_VERSION"));
                let data = include_str!(concat!(env!("OUT_DIR"), "/d.txt"));
                if cfg!(all(unix, not(target_os="macos"))) { 1 } else { 2 }
            }"#;
        let found = scan(text);
        assert_eq!(
            found.cfgs,
            [
                "all (unix , not (target_os = \"macos\"))",
                "debug_assertions",
                "feature = \"serde\"",
            ]
        );
        assert_eq!(found.env, ["CARGO_PKG_VERSION", "MODE"]);
        assert!(found.out_dir);
        assert_eq!(scan("fn plain() -> u32 { 1 }"), TextInputs::default());
        let whole = scan_file(text);
        assert_eq!(whole.cfgs.len(), 4, "{:?}", whole.cfgs);
        assert_eq!(whole.env, found.env);
    }

    #[test]
    fn items_with_nothing_but_their_own_gate_are_not_lexed_again() {
        let gated = "/// Docs [with] \"brackets\".\n#[cfg(feature = \"full\")]\n#[doc = \"a ] b \\\" c\"]\n/* note */ pub fn f() -> u32 { 1 }";
        assert!(!needs_scan(gated));
        assert!(needs_scan(
            &gated.replace("1 }", "if cfg!(unix) { 1 } else { 2 } }")
        ));
        assert!(needs_scan(&gated.replace("1 }", "env!(\"X\").len() }")));
        assert!(needs_scan(&format!(
            "#[cfg_attr(test, derive(Debug))]\n{gated}"
        )));
        // What the leading skip does not follow is scanned.
        assert!(needs_scan("#[doc = r\"]\"] fn f() { cfg!(unix) }"));
        assert!(needs_scan("#[cfg(unix)] fn f() { /* cfg */ }"));
    }

    #[test]
    fn a_module_file_can_gate_itself() {
        let file = "//! Fast paths.\n#![cfg(feature = \"fast\")]\n#![allow(dead_code)]\n/* x */ #![cfg(unix)]\nfn f() {}\n#![cfg(never)]";
        assert_eq!(
            inner_cfgs(file),
            Ok(vec!["feature = \"fast\"".to_owned(), "unix".to_owned()])
        );
        assert_eq!(inner_cfgs("fn f() {}"), Ok(vec![]));
        assert_eq!(inner_cfgs("#![cfg($m)]"), Err(()));
    }

    #[test]
    fn module_paths_chosen_by_cfg_attr() {
        assert_eq!(
            cfg_attr_path("unix, path = \"sys/unix.rs\""),
            Some(("unix".to_owned(), "sys/unix.rs".to_owned()))
        );
        assert_eq!(cfg_attr_path("unix, allow(dead_code)"), None);
        assert_eq!(cfg_attr_path("$m, path = \"x.rs\""), None);
    }

    #[test]
    fn only_real_predicates_are_taken() {
        let text =
            r#"macro_rules! m { ($(#[cfg($m:meta)])* $x:expr) => { cfg!(any(unix, windows,)) } }"#;
        assert_eq!(scan(text).cfgs, ["any (unix , windows ,)"]);
        assert!(
            scan("fn f() { cfg!(feature = 1); cfg!(a::b) }")
                .cfgs
                .is_empty()
        );
    }

    #[test]
    fn spacing_does_not_change_a_predicate() {
        assert_eq!(
            scan("fn f() { cfg!(not(feature=\"a\")) }").cfgs,
            scan("fn f() { cfg ! ( not ( feature = \"a\" ) ) }").cfgs
        );
    }
}
