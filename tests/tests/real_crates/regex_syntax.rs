//! regex-syntax 0.8.11 (58k lines, what issue 8 measured): wrappers around
//! its parser, translator, printers, literal extractor, UTF-8 sequences and
//! error formatting (`fixtures/real-crates/regex-syntax/`), and edits of
//! every kind issue 8 lists.

use super::check::{Case, Change, Edit};

pub const CASE: Case = Case {
    name: "regex-syntax",
    version: "0.8.11",
    overlay: "regex-syntax",
    binary: "regex_syntax_probe",
    wrappers: WRAPPERS,
    features: None,
    build_env_names: &[NEST_LIMIT_VAR],
    edits: EDITS,
};

/// Read by the probe's `option_env!` const in `src/parser.rs`.
const NEST_LIMIT_VAR: &str = "FUNCACHE_PROBE_NEST_LIMIT";

/// Every wrapper of the probe (`fixtures/real-crates/regex-syntax/`).
const WRAPPERS: &[&str] = &[
    "ast_roundtrip",
    "errors",
    "hir",
    "literals",
    "nest_limited",
    "posix_ranges",
    "unicode_errors",
    "utf8",
];

/// Default features of regex-syntax 0.8.11, less `unicode-case`.
const WITHOUT_UNICODE_CASE: &[&str] = &[
    "std",
    "unicode-age",
    "unicode-bool",
    "unicode-gencat",
    "unicode-perl",
    "unicode-script",
    "unicode-segment",
];

/// Default features of regex-syntax 0.8.11, less `unicode-age`.
const WITHOUT_UNICODE_AGE: &[&str] = &[
    "std",
    "unicode-bool",
    "unicode-case",
    "unicode-gencat",
    "unicode-perl",
    "unicode-script",
    "unicode-segment",
];

const EDITS: &[Edit] = &[
    Edit {
        what: "comments and formatting in ascii_class",
        kind: "comments/formatting",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "        Alpha => &[(b'A', b'Z'), (b'a', b'z')],",
            "        // Letters only.\n        Alpha => &[\n            (b'A', b'Z'),\n            (b'a', b'z')\n        ],",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the [[:digit:]] table in ascii_class",
        kind: "fn called by path",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "        Digit => &[(b'0', b'9')],",
            "        Digit => &[(b'0', b'8')],",
        )]),
        changes: &["hir"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "hir_ascii_class_bytes, called from a body with `use ClassPerlKind::*`",
        kind: "8.1 body-level glob use",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "    hir::ClassBytes::new(ranges)\n}",
            "    let mut class = hir::ClassBytes::new(ranges);\n    \
             class.push(hir::ClassBytesRange::new(b'#', b'#'));\n    class\n}",
        )]),
        changes: &["hir"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the DECIMAL_NUMBER Unicode table, used by a nested fn's `use`",
        kind: "8.1 body-level use in nested fn",
        change: Change::Source(&[(
            "src/unicode_tables/general_category.rs",
            "pub const DECIMAL_NUMBER: &'static [(char, char)] = &[\n    ('0', '9'),",
            "pub const DECIMAL_NUMBER: &'static [(char, char)] = &[\n    ('0', '8'),",
        )]),
        changes: &["hir"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl From<u8> for Literal, reached as `b'z'.into()`",
        kind: "8.2 .into() through a local From",
        change: Change::Source(&[(
            "src/hir/literal.rs",
            "        Literal::exact(vec![byte])",
            "        Literal::inexact(vec![byte])",
        )]),
        changes: &["literals"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl From<&ClassAsciiKind> for Vec<(u8, u8)>, reached as `.into()`",
        kind: "8.2 .into() through a local From",
        change: Change::Source(&[(
            "src/hir/translate.rs",
            "        ascii_class(kind).collect()",
            "        ascii_class(kind).skip(1).collect()",
        )]),
        changes: &["posix_ranges"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl From<&ast::Error> for Formatter, called as Formatter::from",
        kind: "From called by path",
        change: Change::Source(&[(
            "src/error.rs",
            "            aux_span: err.auxiliary_span(),",
            "            aux_span: None,",
        )]),
        changes: &["errors"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "CaseFoldError's Display, through a generic fn over T: Display",
        kind: "8.6 generic over a caller type's Display",
        change: Change::Source(&[(
            "src/unicode.rs",
            "\"Unicode-aware case folding is not available \\",
            "\"Unicode-aware case folding is unavailable \\",
        )]),
        changes: &["unicode_errors"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "ast::ErrorKind's Display (body glob), through Formatter<E: Display>",
        kind: "8.6 generic over a caller type's Display",
        change: Change::Source(&[(
            "src/ast/mod.rs",
            "GroupUnclosed => write!(f, \"unclosed group\"),",
            "GroupUnclosed => write!(f, \"unclosed group (edited)\"),",
        )]),
        changes: &["ast_roundtrip", "errors", "hir"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "hir::ErrorKind's Display (body glob), through Formatter<E: Display>",
        kind: "8.6 generic over a caller type's Display",
        change: Change::Source(&[(
            "src/hir/mod.rs",
            "UnicodePropertyNotFound => \"Unicode property not found\",",
            "UnicodePropertyNotFound => \"no such Unicode property\",",
        )]),
        changes: &["errors"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "a string in fmt_group_pre (body glob `use GroupKind::*`)",
        kind: "body with a glob use",
        change: Change::Source(&[(
            "src/ast/print.rs",
            "                self.wtr.write_str(\"(?\")?;\n                self.fmt_flags(flags)?;",
            "                self.wtr.write_str(\"(??\")?;\n                self.fmt_flags(flags)?;",
        )]),
        changes: &["ast_roundtrip"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Utf8Range's Debug impl",
        kind: "trait impl of a reached type",
        change: Change::Source(&[(
            "src/utf8.rs",
            "write!(f, \"[{:X}-{:X}]\", self.start, self.end)",
            "write!(f, \"[{:x}-{:x}]\", self.start, self.end)",
        )]),
        changes: &["utf8"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Bound for char, called as `I::Bound::max_value()` in generic code",
        kind: "path through a type parameter (not in issue 8)",
        change: Change::Source(&[(
            "src/hir/interval.rs",
            "    fn max_value() -> Self {\n        '\\u{10FFFF}'\n    }",
            "    fn max_value() -> Self {\n        '\\u{10FFFE}'\n    }",
        )]),
        changes: &["hir"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl FuncacheByteLabel for u8, called as `byte.funcache_label()`",
        kind: "crate trait method on a std receiver",
        change: Change::Source(&[(
            "src/utf8.rs",
            "alloc::format!(\"first byte {self:02X}\")",
            "alloc::format!(\"first byte {self:02x}\")",
        )]),
        changes: &["utf8"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Utf8Sequences::next, called only by a `for` loop",
        kind: "Iterator impl behind a for loop",
        change: Change::Source(&[(
            "src/utf8.rs",
            "return Some(Utf8Sequence::One(ascii_range));",
            "return Some(Utf8Sequence::One(Utf8Range::new(ascii_range.end, ascii_range.end)));",
        )]),
        changes: &["utf8"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "feature unicode-case off",
        kind: "8.3 cfg/feature",
        change: Change::Features(WITHOUT_UNICODE_CASE),
        changes: &["hir", "literals"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "feature unicode-age off (no wrapper uses it)",
        kind: "8.3 cfg/feature",
        change: Change::Features(WITHOUT_UNICODE_AGE),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "FUNCACHE_PROBE_NEST_LIMIT=2 at build time",
        kind: "8.4 option_env!",
        change: Change::BuildEnv(NEST_LIMIT_VAR, "2"),
        changes: &["nest_limited"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the test-only assert_eq! macro in ast::parse::tests",
        kind: "8.7 cfg(test) macro",
        change: Change::Source(&[(
            "src/ast/parse.rs",
            "\"assertion failed: `(left == right)`\\n\\n\\",
            "\"assertion failed: `left == right`\\n\\n\\",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the test-only impl PartialEq<TestError> for ast::Error",
        kind: "8.7 cfg(test) trait impl",
        change: Change::Source(&[(
            "src/ast/parse.rs",
            "    impl PartialEq<TestError> for ast::Error {\n        fn eq(&self, other: &TestError) -> bool {\n            self.span == other.span && self.kind == other.kind",
            "    impl PartialEq<TestError> for ast::Error {\n        fn eq(&self, other: &TestError) -> bool {\n            self.kind == other.kind && self.span == other.span",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Hash added to ast::Position's derive list",
        kind: "8.10 derive list",
        change: Change::Source(&[(
            "src/ast/mod.rs",
            "#[derive(Clone, Copy, Eq, PartialEq)]\n#[cfg_attr(feature = \"arbitrary\", derive(arbitrary::Arbitrary))]\npub struct Position {",
            "#[derive(Clone, Copy, Eq, PartialEq, Hash)]\n#[cfg_attr(feature = \"arbitrary\", derive(arbitrary::Arbitrary))]\npub struct Position {",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Seq::push, same behaviour (a std `push` elsewhere shares its name)",
        kind: "8.8 method on an uninferred receiver",
        change: Change::Source(&[(
            "src/hir/literal.rs",
            "if lits.last().map_or(false, |m| m == &lit) {",
            "if lits.last().map_or(false, |m| *m == lit) {",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "Utf8Sequence::reverse, which no wrapper calls",
        kind: "unreached fn",
        change: Change::Source(&[(
            "src/utf8.rs",
            "            Utf8Sequence::Two(ref mut x) => x.reverse(),",
            "            Utf8Sequence::Two(_) => {}",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
];
