//! semver 1.0.27 (2k lines): wrappers that sort, match, parse and print
//! versions (`fixtures/real-crates/semver/`), reaching most of the crate
//! through std traits — `str::parse` (`FromStr`), `sort` (a derived `Ord`
//! over a manual one), `to_string` (`Display`), auto-deref (`Deref`) — and a
//! wrapper returning the crate's own type, stored through its serde impls.

use super::check::{Case, Change, Edit};

pub const CASE: Case = Case {
    name: "semver",
    version: "1.0.27",
    overlay: "semver",
    binary: "semver_probe",
    wrappers: WRAPPERS,
    features: Some(&["std", "serde"]),
    build_env_names: &[],
    edits: EDITS,
};

/// Every wrapper of the probe (`fixtures/real-crates/semver/`).
const WRAPPERS: &[&str] = &[
    "build_lengths",
    "errors",
    "matching",
    "reqs",
    "sorted",
    "versions",
];

const EDITS: &[Edit] = &[
    Edit {
        what: "comments and formatting in matches_caret",
        kind: "comments/formatting",
        change: Change::Source(&[(
            "src/eval.rs",
            "    let minor = match cmp.minor {\n        None => return true,\n        Some(minor) => minor,\n    };",
            "    // No minor: any minor matches.\n    let minor = match cmp.minor { None => return true, Some(minor) => minor };",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "matches_caret without a patch",
        kind: "fn called by path",
        change: Change::Source(&[(
            "src/eval.rs",
            "                return ver.minor >= minor;",
            "                return ver.minor > minor;",
        )]),
        changes: &["matching"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Ord for Prerelease, reached by sort() through Version's derived Ord",
        kind: "trait impl behind a derive and std sort",
        change: Change::Source(&[(
            "src/impls.rs",
            "                (true, false) => return Ordering::Less,\n                (false, true) => return Ordering::Greater,",
            "                (true, false) => return Ordering::Greater,\n                (false, true) => return Ordering::Less,",
        )]),
        changes: &["sorted"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl FromStr for Version, reached by str::parse",
        kind: "trait impl behind a std generic",
        change: Change::Source(&[(
            "src/parse.rs",
            "            return Ok(Version::new(major, minor, patch));",
            "            return Ok(Version::new(major, minor, patch + 1));",
        )]),
        changes: &["sorted", "versions"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Display for Comparator, reached by to_string",
        kind: "trait impl behind a std generic",
        change: Change::Source(&[(
            "src/display.rs",
            "            Op::Tilde => \"~\",",
            "            Op::Tilde => \"~=\",",
        )]),
        changes: &["reqs"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Display for Error, reached by to_string",
        kind: "trait impl behind a std generic",
        change: Change::Source(&[(
            "src/error.rs",
            "ErrorKind::Empty => formatter.write_str(\"empty string, expected a semver version\"),",
            "ErrorKind::Empty => formatter.write_str(\"empty string\"),",
        )]),
        changes: &["errors"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Display for QuotedChar, a value built inside write!'s arguments",
        kind: "trait impl behind a format argument",
        change: Change::Source(&[(
            "src/error.rs",
            "            write!(formatter, \"{:?}\", self.0)",
            "            write!(formatter, \"`{}`\", self.0)",
        )]),
        changes: &["errors"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Display for Position, a pattern-bound value whose type is never named",
        kind: "trait impl behind a format argument",
        change: Change::Source(&[(
            "src/error.rs",
            "            Position::Minor => \"minor version number\",",
            "            Position::Minor => \"minor number\",",
        )]),
        changes: &["errors"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "impl Deref for BuildMetadata, reached by auto-deref (`v.build.len()`)",
        kind: "Deref impl behind auto-deref",
        change: Change::Source(&[(
            "src/impls.rs",
            "impl Deref for BuildMetadata {\n    type Target = str;\n\n    fn deref(&self) -> &Self::Target {\n        self.identifier.as_str()",
            "impl Deref for BuildMetadata {\n    type Target = str;\n\n    fn deref(&self) -> &Self::Target {\n        self.identifier.as_str().trim_end_matches('7')",
        )]),
        changes: &["build_lengths"],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "the nested VersionVisitor of Version's Deserialize, which decodes cached values",
        kind: "return type's Deserialize impl",
        change: Change::Source(&[(
            "src/serde.rs",
            "                string.parse().map_err(Error::custom)\n            }\n        }\n\n        deserializer.deserialize_str(VersionVisitor)",
            "                string.replacen('1', \"3\", 1).parse().map_err(Error::custom)\n            }\n        }\n\n        deserializer.deserialize_str(VersionVisitor)",
        )]),
        changes: &[],
        decodes: &["versions"],
        known_stale_until_merged: None,
    },
    Edit {
        what: "PartialOrd, Ord added to Op's derive list",
        kind: "8.10 derive list",
        change: Change::Source(&[(
            "src/lib.rs",
            "#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]\n#[non_exhaustive]\npub enum Op {",
            "#[derive(Copy, Clone, Eq, PartialEq, PartialOrd, Ord, Hash, Debug)]\n#[non_exhaustive]\npub enum Op {",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
    Edit {
        what: "matches_tilde, which no probed requirement uses",
        kind: "branch no input takes",
        change: Change::Source(&[(
            "src/eval.rs",
            "            return ver.patch > patch;\n        }\n    }\n\n    ver.pre >= cmp.pre\n}\n\nfn matches_caret",
            "            return ver.patch >= patch;\n        }\n    }\n\n    ver.pre >= cmp.pre\n}\n\nfn matches_caret",
        )]),
        changes: &[],
        decodes: &[],
        known_stale_until_merged: None,
    },
];
