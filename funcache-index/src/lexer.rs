//! A fast, flat tokenizer for whole source files.
//!
//! The index must read every file of a crate on each build, inside a proc
//! macro compiled at opt-level 0. Measured on syn's source (52k lines):
//! `proc_macro2` lexing alone takes 200–280 ms there, a full syn parse another
//! 400 ms. This scanner only finds token boundaries and matching delimiters —
//! no token trees, no strings copied — so that [`crate::shallow`] can find
//! items and skip function bodies cheaply. Bodies are re-lexed by
//! proc_macro2/syn only when a closure reaches them.

/// What a token is; only as much as item recognition needs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// Identifier or keyword (raw identifiers included, `r#` kept).
    Ident,
    /// `'a`, `'static`, a loop label.
    Lifetime,
    /// String, char, byte or number literal.
    Literal,
    /// One punctuation character ([`Token::ch`]).
    Punct,
    /// `(`, `[` or `{` ([`Token::ch`]); [`Tokens::close`] finds its partner.
    Open,
    /// `)`, `]` or `}`.
    Close,
}

/// One token: its kind and byte range in the text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Kind,
    /// The punctuation or delimiter character, 0 otherwise.
    pub ch: u8,
    /// Followed immediately by another punctuation character (`->`, `::`).
    pub joint: bool,
    pub start: u32,
    pub end: u32,
}

/// The tokens of a text, with delimiter matching.
pub(crate) struct Tokens<'a> {
    pub text: &'a str,
    pub toks: Vec<Token>,
    /// For an [`Kind::Open`] token at index `i`, `close[i]` is the index of
    /// its closing token; 0 elsewhere.
    pub close: Vec<u32>,
}

/// A lexing failure at a byte offset.
#[derive(Debug)]
pub(crate) struct LexError {
    pub offset: usize,
    pub message: &'static str,
}

impl<'a> Tokens<'a> {
    /// The text of token `i`.
    pub fn text(&self, i: usize) -> &'a str {
        let t = &self.toks[i];
        &self.text[t.start as usize..t.end as usize]
    }

    /// Whether token `i` is the identifier `word`.
    pub fn is_ident(&self, i: usize, word: &str) -> bool {
        i < self.toks.len() && self.toks[i].kind == Kind::Ident && self.text(i) == word
    }

    /// Whether token `i` is the punctuation `ch`.
    pub fn is_punct(&self, i: usize, ch: u8) -> bool {
        i < self.toks.len() && self.toks[i].kind == Kind::Punct && self.toks[i].ch == ch
    }

    /// Whether token `i` opens a group with delimiter `ch`.
    pub fn is_open(&self, i: usize, ch: u8) -> bool {
        i < self.toks.len() && self.toks[i].kind == Kind::Open && self.toks[i].ch == ch
    }

    /// Whether tokens `i`, `i + 1` are `::`.
    pub fn is_path_sep(&self, i: usize) -> bool {
        self.is_punct(i, b':') && self.toks[i].joint && self.is_punct(i + 1, b':')
    }

    /// Index just past token `i`, skipping a whole group if `i` opens one.
    pub fn skip(&self, i: usize) -> usize {
        if self.toks[i].kind == Kind::Open {
            self.close[i] as usize + 1
        } else {
            i + 1
        }
    }
}

/// [`is_ident_start`] and [`is_ident_continue`] of each byte, as bits 1
/// and 2: a table lookup is inlined even at a proc macro's opt-level 0,
/// where the `u8::is_ascii_*` calls cost ~40 instructions a byte of every
/// identifier of the crate.
static IDENT_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let start = byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80;
        let continues = start || byte.is_ascii_digit();
        table[b] = (start as u8) | ((continues as u8) << 1);
        b += 1;
    }
    table
};

fn is_ident_start(b: u8) -> bool {
    IDENT_CLASS[b as usize] & 1 != 0
}

fn is_ident_continue(b: u8) -> bool {
    IDENT_CLASS[b as usize] & 2 != 0
}

fn is_punct(b: u8) -> bool {
    matches!(
        b,
        b'=' | b'<'
            | b'>'
            | b'!'
            | b'~'
            | b'+'
            | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'@'
            | b'.'
            | b','
            | b';'
            | b':'
            | b'#'
            | b'$'
            | b'?'
    )
}

/// Length in bytes of the UTF-8 character starting with `b`.
fn utf8_len(b: u8) -> usize {
    if b < 0x80 {
        1
    } else if b >= 0xF0 {
        4
    } else if b >= 0xE0 {
        3
    } else {
        2
    }
}

/// Tokenizes `text`. Comments (doc comments too) are skipped.
pub(crate) fn lex(text: &str) -> Result<Tokens<'_>, LexError> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut toks: Vec<Token> = Vec::with_capacity(n / 5);
    let mut stack: Vec<usize> = Vec::new();
    // (open, close) token indices, in closing order.
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut i = 0;
    // A shebang line is not Rust; `#![attr]` is.
    if n > 2 && bytes[0] == b'#' && bytes[1] == b'!' && bytes[2] != b'[' {
        while i < n && bytes[i] != b'\n' {
            i += 1;
        }
    }
    let err = |offset: usize, message: &'static str| LexError { offset, message };
    while i < n {
        let b = bytes[i];
        let start = i;
        if b == b' ' || b == b'\n' || b == b'\t' || b == b'\r' {
            i += 1;
            continue;
        }
        if b == b'/' && i + 1 < n && bytes[i + 1] == b'/' {
            while i < n && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b == b'/' && i + 1 < n && bytes[i + 1] == b'*' {
            let mut depth = 0usize;
            loop {
                if i + 1 >= n {
                    return Err(err(start, "unterminated block comment"));
                }
                if bytes[i] == b'/' && bytes[i + 1] == b'*' {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        let mut kind = Kind::Literal;
        let mut ch = 0u8;
        let mut joint = false;
        if IDENT_CLASS[b as usize] & 1 != 0 {
            // String prefixes: b"", r"", r#""#, br"", c"", cr"", b''.
            let mut j = i;
            // The hottest loop: the table inline, not through a call.
            while j < n && IDENT_CLASS[bytes[j] as usize] & 2 != 0 {
                j += 1;
            }
            let word = &bytes[i..j];
            let raw_prefix = matches!(word, b"r" | b"br" | b"cr");
            if raw_prefix && j < n && (bytes[j] == b'"' || bytes[j] == b'#') {
                let mut hashes = 0;
                let mut k = j;
                while k < n && bytes[k] == b'#' {
                    hashes += 1;
                    k += 1;
                }
                if k < n && bytes[k] == b'"' {
                    k += 1;
                    'raw: loop {
                        if k >= n {
                            return Err(err(start, "unterminated raw string"));
                        }
                        if bytes[k] == b'"' {
                            let mut m = 0;
                            while m < hashes && k + 1 + m < n && bytes[k + 1 + m] == b'#' {
                                m += 1;
                            }
                            if m == hashes {
                                k += 1 + hashes;
                                break 'raw;
                            }
                        }
                        k += 1;
                    }
                    i = k;
                    kind = Kind::Literal;
                } else if word == b"r" && hashes == 1 && k < n && is_ident_start(bytes[k]) {
                    // Raw identifier r#name.
                    while k < n && is_ident_continue(bytes[k]) {
                        k += 1;
                    }
                    i = k;
                    kind = Kind::Ident;
                } else {
                    i = j;
                    kind = Kind::Ident;
                }
            } else if matches!(word, b"b" | b"c") && j < n && bytes[j] == b'"' {
                i = skip_quoted(bytes, j + 1, b'"')
                    .ok_or_else(|| err(start, "unterminated string"))?;
            } else if word == b"b" && j < n && bytes[j] == b'\'' {
                i = skip_quoted(bytes, j + 1, b'\'')
                    .ok_or_else(|| err(start, "unterminated byte"))?;
            } else {
                i = j;
                kind = Kind::Ident;
            }
        } else if b.is_ascii_digit() {
            i += 1;
            while i < n {
                let c = bytes[i];
                if is_ident_continue(c) {
                    // An exponent sign: 1e-5, 2.5E+3 (not in hex literals).
                    if (c == b'e' || c == b'E')
                        && i + 1 < n
                        && (bytes[i + 1] == b'-' || bytes[i + 1] == b'+')
                        && !bytes[start..i].iter().any(|&d| d == b'x' || d == b'X')
                    {
                        i += 2;
                    } else {
                        i += 1;
                    }
                } else if c == b'.'
                    && i + 1 < n
                    && bytes[i + 1].is_ascii_digit()
                    && !bytes[start..i].contains(&b'.')
                {
                    i += 1;
                } else if c == b'.'
                    && !(i + 1 < n && (bytes[i + 1] == b'.' || is_ident_start(bytes[i + 1])))
                    && !bytes[start..i].contains(&b'.')
                {
                    // `1.` is a float literal; `1..2` and `1.max()` are not.
                    i += 1;
                } else {
                    break;
                }
            }
        } else if b == b'"' {
            i = skip_quoted(bytes, i + 1, b'"').ok_or_else(|| err(start, "unterminated string"))?;
        } else if b == b'\'' {
            // A char literal or a lifetime / label.
            if i + 1 < n && bytes[i + 1] == b'\\' {
                i = skip_quoted(bytes, i + 1, b'\'')
                    .ok_or_else(|| err(start, "unterminated char"))?;
            } else if i + 1 < n {
                let len = utf8_len(bytes[i + 1]);
                if i + 1 + len < n && bytes[i + 1 + len] == b'\'' {
                    i += 2 + len;
                } else {
                    i += 1;
                    if i + 1 < n && bytes[i] == b'r' && bytes[i + 1] == b'#' {
                        i += 2;
                    }
                    while i < n && is_ident_continue(bytes[i]) {
                        i += 1;
                    }
                    kind = Kind::Lifetime;
                }
            } else {
                return Err(err(start, "stray quote"));
            }
        } else if b == b'(' || b == b'[' || b == b'{' {
            kind = Kind::Open;
            ch = b;
            i += 1;
            stack.push(toks.len());
        } else if b == b')' || b == b']' || b == b'}' {
            kind = Kind::Close;
            ch = b;
            i += 1;
            let open = stack
                .pop()
                .ok_or_else(|| err(start, "unmatched closing delimiter"))?;
            let expected = match toks[open].ch {
                b'(' => b')',
                b'[' => b']',
                _ => b'}',
            };
            if expected != b {
                return Err(err(start, "mismatched closing delimiter"));
            }
            pairs.push((open as u32, toks.len() as u32));
        } else if is_punct(b) {
            kind = Kind::Punct;
            ch = b;
            i += 1;
            joint = i < n && is_punct(bytes[i]);
        } else {
            // Any other character (e.g. a stray backslash) cannot start a
            // token; rustc would reject the file too.
            return Err(err(start, "unexpected character"));
        }
        toks.push(Token {
            kind,
            ch,
            joint,
            start: start as u32,
            end: i as u32,
        });
    }
    if let Some(&open) = stack.last() {
        return Err(err(toks[open].start as usize, "unclosed delimiter"));
    }
    let mut close = vec![0u32; toks.len()];
    for (open, end) in pairs {
        close[open as usize] = end;
    }
    Ok(Tokens { text, toks, close })
}

/// Skips to just past the closing `quote`, honouring backslash escapes.
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    let n = bytes.len();
    while i < n {
        let c = bytes[i];
        if c == b'\\' {
            i += 2;
        } else if c == quote {
            i += 1;
            // Literal suffixes: "a"suffix, 'c'u8 are not valid, but b"x" etc.
            while i < n && is_ident_continue(bytes[i]) {
                i += 1;
            }
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// 1-based line and column (in characters) of byte `offset`, given the
/// offsets where lines start.
pub(crate) fn line_column(text: &str, line_starts: &[u32], offset: usize) -> (usize, usize) {
    let line = match line_starts.binary_search(&(offset as u32)) {
        Ok(found) => found,
        Err(next) => next - 1,
    };
    let line_start = line_starts[line] as usize;
    let column = text
        .get(line_start..offset)
        .map_or(0, |prefix| prefix.chars().count());
    (line + 1, column + 1)
}

/// Offsets where each line of `text` starts.
pub(crate) fn line_starts(text: &str) -> Vec<u32> {
    use std::io::BufRead;
    let mut starts = vec![0u32];
    // `skip_until` runs libc's `memchr`, which is compiled optimized even
    // when this crate is not (a proc macro's default opt-level is 0): a
    // byte loop here cost ~70 instructions a byte, `str::find` ~800 a line.
    let mut rest = text.as_bytes();
    let mut at = 0;
    while let Ok(skipped) = rest.skip_until(b'\n')
        && skipped > 0
    {
        at += skipped;
        // The last line has no `\n` unless the text ends with one.
        if text.as_bytes()[at - 1] == b'\n' {
            starts.push(at as u32);
        }
    }
    starts
}

/// The value of a string literal (simple escapes only; enough for paths).
pub(crate) fn unquote(lit: &str) -> String {
    if let Some(raw) = lit.strip_prefix('r') {
        let trimmed = raw.trim_matches('#');
        return trimmed
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(trimmed)
            .to_owned();
    }
    let inner = lit
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(lit);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        let t = lex(src).unwrap();
        (0..t.toks.len())
            .map(|i| (t.toks[i].kind, t.text(i).to_owned()))
            .collect()
    }

    #[test]
    fn unquote_handles_raw_and_escaped_strings() {
        assert_eq!(unquote("\"a\\\"b\\n\""), "a\"b\n");
        assert_eq!(unquote("r#\"c:\\x\"#"), "c:\\x");
    }

    #[test]
    fn distinguishes_lifetimes_chars_and_strings() {
        let k = kinds(
            r##"fn f<'a>(x: &'a str) -> char { let _ = "a'b"; 'x' } 'l: loop { br#"q"# ; b'\''; '\u{1F600}'; 'é' }"##,
        );
        let lifetimes: Vec<_> = k
            .iter()
            .filter(|t| t.0 == Kind::Lifetime)
            .map(|t| t.1.as_str())
            .collect();
        assert_eq!(lifetimes, ["'a", "'a", "'l"]);
        let literals: Vec<_> = k
            .iter()
            .filter(|t| t.0 == Kind::Literal)
            .map(|t| t.1.as_str())
            .collect();
        assert_eq!(
            literals,
            [
                "\"a'b\"",
                "'x'",
                "br#\"q\"#",
                "b'\\''",
                "'\\u{1F600}'",
                "'é'"
            ]
        );
    }

    #[test]
    fn skips_comments_and_matches_groups() {
        let t = lex("a /* x /* nested */ } */ ( b // }\n [c] ) { }").unwrap();
        let texts: Vec<_> = (0..t.toks.len()).map(|i| t.text(i)).collect();
        assert_eq!(texts, ["a", "(", "b", "[", "c", "]", ")", "{", "}"]);
        assert_eq!(t.close[1], 6);
        assert_eq!(t.close[3], 5);
        assert_eq!(t.close[7], 8);
    }

    #[test]
    fn numbers_ranges_and_raw_idents() {
        let texts = |s: &str| {
            let t = lex(s).unwrap();
            (0..t.toks.len())
                .map(|i| t.text(i).to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts("1..2"), ["1", ".", ".", "2"]);
        assert_eq!(texts("1.5e-3 x.0.1"), ["1.5e-3", "x", ".", "0.1"]);
        assert_eq!(texts("r#type 0x1e-2"), ["r#type", "0x1e", "-", "2"]);
    }

    #[test]
    fn reports_unbalanced_delimiters() {
        assert!(lex("fn f() { ").is_err());
        assert!(lex("fn f() ]").is_err());
        assert!(lex("\"open").is_err());
    }

    #[test]
    fn line_starts_follow_every_newline() {
        for text in ["", "\n", "a", "a\n", "\n\na", "ab\ncd\n\nef", "é\nü\n"] {
            let mut naive = vec![0u32];
            naive.extend(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i as u32 + 1),
            );
            assert_eq!(line_starts(text), naive, "{text:?}");
        }
    }

    #[test]
    fn positions() {
        let text = "ab\ncdé f";
        let starts = line_starts(text);
        assert_eq!(line_column(text, &starts, 0), (1, 1));
        assert_eq!(line_column(text, &starts, 3), (2, 1));
        assert_eq!(line_column(text, &starts, text.find('f').unwrap()), (2, 5));
    }
}
