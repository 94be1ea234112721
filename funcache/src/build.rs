//! What the build decided about a cached function: the same source compiles
//! to other code under other cargo features, targets, `debug_assertions`
//! or `test`, and another value of an `env!`/`option_env!`. The macro
//! cannot see those; it emits `cfg!(..)` and `option_env!(..)` for each one
//! the function's closure meets, the compiler evaluates them where the
//! function is compiled, and the fingerprint entries are stored under
//! mixes the answers in here.
//!
//! The features cargo enabled for each direct dependency the closure
//! reaches are answered by the macro itself, which reads them from
//! cargo's record of the dependency's build (`--features
//! serde_json/preserve_order` on cargo's command line changes them).
//!
//! A function the index could not analyze also asks where it was expanded
//! (`line!()`, `column!()`): its fallback fingerprint cannot otherwise tell
//! two expansions of one macro apart.
//!
//! The answers are kept as `(key, value)` text pairs — `("cfg(test)",
//! "false")`, `("env!(MODE)", <blake3 of the value>)`, `("features of
//! serde_json", "default,std")`, and `(path, hash)`
//! of each gated item the build compiled — which are also recorded beside
//! the entries, so that `funcache-cli` can rebuild the fingerprint the
//! current source would have under the recorded build.

/// One question to the build, answered by the compiler in generated code.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildInput {
    /// An item of the closure that exists only under a `cfg` predicate: it
    /// is part of the fingerprint when the predicate holds.
    Gated {
        /// The predicate, as the index normalized it.
        predicate: &'static str,
        /// `cfg!(predicate)` where the function is compiled.
        active: bool,
        /// Qualified path of the item.
        path: &'static str,
        /// Hex hash of its canonical tokens.
        hash: &'static str,
    },
    /// The items of the closure that exist only under one `cfg` predicate,
    /// all at once: what the macro writes (a crate gated by features has
    /// hundreds; one `cfg!` and one literal cost the compiler far less than
    /// a [`BuildInput::Gated`] each). Answered as those would be.
    GatedItems {
        /// The predicate, as the index normalized it.
        predicate: &'static str,
        /// `cfg!(predicate)` where the function is compiled.
        active: bool,
        /// Each item's path and hash, packed as `FnMeta::dependencies`.
        items: &'static str,
    },
    /// A `cfg` predicate written inside the closure's code.
    Cfg {
        /// The predicate, as the index normalized it.
        predicate: &'static str,
        /// `cfg!(predicate)`.
        active: bool,
    },
    /// An environment variable read at compile time.
    Env {
        /// Its name.
        name: &'static str,
        /// `option_env!(name)`.
        value: Option<&'static str>,
    },
    /// The features the build enabled for a direct dependency the
    /// closure reaches: cargo decides them from every manifest and from
    /// its command line (`--features serde_json/preserve_order`), and
    /// they change the dependency's code. The macro reads them from
    /// cargo's record of the dependency's build.
    DepFeatures {
        /// The dependency's package name.
        package: &'static str,
        /// Its enabled features, sorted and comma-separated, or `unknown`
        /// when the macro could not find them.
        features: &'static str,
    },
    /// Where a function the index could not analyze was expanded:
    /// `line!()` and `column!()` in the generated code give the outermost
    /// macro invocation that wrote it, so each expansion of a
    /// `macro_rules!` that writes a cached function has its own
    /// fingerprint even where its tokens and module are the same.
    Expansion {
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
}

/// The key under which an [`BuildInput::Expansion`] answer is recorded.
#[doc(hidden)]
pub const EXPANSION_KEY: &str = "expanded at";

/// The key under which the compiler that built the function is recorded:
/// `rustc -vV`'s `release (commit-hash)`, or `unknown`.
#[doc(hidden)]
pub const RUSTC_KEY: &str = "toolchain(rustc)";

/// The key under which the target triple is recorded (or `unknown`).
#[doc(hidden)]
pub const TARGET_KEY: &str = "toolchain(target)";

/// The toolchain answers of this build, in every fingerprint: std's
/// behaviour can differ between rustc versions and targets, and entries
/// travel between machines (Redis, copied cache directories). Read by
/// funcache's build script (the user's crate is compiled by the same rustc
/// for the same target).
#[doc(hidden)]
pub fn toolchain_answers() -> [(String, String); 2] {
    [
        (RUSTC_KEY.to_owned(), env!("FUNCACHE_RUSTC").to_owned()),
        (TARGET_KEY.to_owned(), env!("FUNCACHE_TARGET").to_owned()),
    ]
}

/// The answer pair of a `cfg` predicate.
#[doc(hidden)]
pub fn cfg_answer(predicate: &str, active: bool) -> (String, String) {
    (format!("cfg({predicate})"), active.to_string())
}

/// The answer pair of an environment variable: its value is kept as a
/// digest, so a secret read at compile time never lands in the cache
/// directory.
#[doc(hidden)]
pub fn env_answer(name: &str, value: Option<&str>) -> (String, String) {
    let value = value.map_or_else(
        || "unset".to_owned(),
        |v| blake3::hash(v.as_bytes()).to_hex().to_string(),
    );
    (format!("env!({name})"), value)
}

/// The answer pair of a dependency's features (see
/// [`BuildInput::DepFeatures`]).
#[doc(hidden)]
pub fn dep_features_answer(package: &str, features: &str) -> (String, String) {
    (format!("features of {package}"), features.to_owned())
}

/// The answers to `inputs`, sorted: every predicate's value, every
/// variable's, the `(path, hash)` of each gated item the build compiled,
/// and the toolchain's (see [`toolchain_answers`]). An item the build leaves out contributes nothing, so editing
/// it invalidates nothing.
pub(crate) fn answers(inputs: &[BuildInput]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for input in inputs {
        match *input {
            BuildInput::Gated {
                predicate,
                active,
                path,
                hash,
            } => {
                out.push(cfg_answer(predicate, active));
                if active {
                    out.push((path.to_owned(), hash.to_owned()));
                }
            }
            BuildInput::GatedItems {
                predicate,
                active,
                items,
            } => {
                out.push(cfg_answer(predicate, active));
                if active {
                    out.extend(
                        crate::packed::pairs(items)
                            .map(|(path, hash)| (path.to_owned(), hash.to_owned())),
                    );
                }
            }
            BuildInput::Cfg { predicate, active } => out.push(cfg_answer(predicate, active)),
            BuildInput::Env { name, value } => out.push(env_answer(name, value)),
            BuildInput::DepFeatures { package, features } => {
                out.push(dep_features_answer(package, features))
            }
            BuildInput::Expansion { line, column } => {
                out.push((EXPANSION_KEY.to_owned(), format!("{line}:{column}")))
            }
        }
    }
    out.extend(toolchain_answers());
    out.sort();
    out.dedup();
    out
}

/// The fingerprint entries are stored under, from the source fingerprint
/// and the build's answers (sorted, as [`answers`] gives them); each field
/// length-prefixed. Used by `funcache-cli` too.
#[doc(hidden)]
pub fn build_fingerprint(source: &[u8; 32], answers: &[(String, String)]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-build\0");
    hasher.update(source);
    let mut field = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    for (key, value) in answers {
        field(key.as_bytes());
        field(value.as_bytes());
    }
    *hasher.finalize().as_bytes()
}

/// [`build_fingerprint`] of the answers: the toolchain answers at least,
/// so never the source fingerprint alone.
pub(crate) fn effective_fingerprint(source: &[u8; 32], inputs: &[BuildInput]) -> [u8; 32] {
    build_fingerprint(source, &answers(inputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: [u8; 32] = [7; 32];

    fn gated(predicate: &'static str, active: bool, hash: &'static str) -> BuildInput {
        BuildInput::Gated {
            predicate,
            active,
            path: "crate::kernel",
            hash,
        }
    }

    #[test]
    fn the_toolchain_is_always_answered() {
        assert_ne!(effective_fingerprint(&SOURCE, &[]), SOURCE);
        let keys: Vec<String> = answers(&[]).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [RUSTC_KEY, TARGET_KEY]);
        // Another compiler or target: another fingerprint.
        let mut other = answers(&[]);
        other[0].1 = "1.0.0 (0000000)".to_owned();
        assert_ne!(
            build_fingerprint(&SOURCE, &other),
            effective_fingerprint(&SOURCE, &[])
        );
    }

    /// What the macro writes for the gated items of one predicate is
    /// answered exactly as one `Gated` each: the fingerprint is the same.
    #[test]
    fn gated_items_answer_as_gated_does() {
        for active in [true, false] {
            let one_each = [
                BuildInput::Gated {
                    predicate: "feature = \"x\"",
                    active,
                    path: "crate::a",
                    hash: "aa",
                },
                BuildInput::Gated {
                    predicate: "feature = \"x\"",
                    active,
                    path: "crate::b::<impl B>::f",
                    hash: "bb",
                },
            ];
            let together = [BuildInput::GatedItems {
                predicate: "feature = \"x\"",
                active,
                items: "8:crate::a2:aa21:crate::b::<impl B>::f2:bb",
            }];
            assert_eq!(answers(&together), answers(&one_each));
            assert_eq!(
                effective_fingerprint(&SOURCE, &together),
                effective_fingerprint(&SOURCE, &one_each)
            );
        }
    }

    #[test]
    fn every_answer_of_the_build_counts() {
        let cases: [&[BuildInput]; 13] = [
            &[gated("fast", true, "aa"), gated("not (fast)", false, "bb")],
            &[gated("fast", false, "aa"), gated("not (fast)", true, "bb")],
            &[BuildInput::Cfg {
                predicate: "test",
                active: true,
            }],
            &[BuildInput::Cfg {
                predicate: "test",
                active: false,
            }],
            &[BuildInput::Env {
                name: "MODE",
                value: None,
            }],
            &[BuildInput::Env {
                name: "MODE",
                value: Some(""),
            }],
            &[BuildInput::Env {
                name: "MODE",
                value: Some("b"),
            }],
            &[BuildInput::DepFeatures {
                package: "serde_json",
                features: "default,std",
            }],
            &[BuildInput::DepFeatures {
                package: "serde_json",
                features: "default,preserve_order,std",
            }],
            &[BuildInput::DepFeatures {
                package: "helper",
                features: "default,std",
            }],
            &[BuildInput::Expansion { line: 3, column: 1 }],
            &[BuildInput::Expansion { line: 4, column: 1 }],
            &[BuildInput::Expansion { line: 3, column: 2 }],
        ];
        let all: Vec<[u8; 32]> = cases
            .iter()
            .map(|inputs| effective_fingerprint(&SOURCE, inputs))
            .collect();
        for (i, a) in all.iter().enumerate() {
            assert_ne!(*a, SOURCE);
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn inactive_items_do_not_count() {
        let with = [gated("fast", true, "aa"), gated("not (fast)", false, "bb")];
        let edited = [gated("fast", true, "aa"), gated("not (fast)", false, "cc")];
        assert_eq!(
            effective_fingerprint(&SOURCE, &with),
            effective_fingerprint(&SOURCE, &edited)
        );
        assert!(answers(&with).contains(&("crate::kernel".to_owned(), "aa".to_owned())));
        assert!(!answers(&with).iter().any(|(_, hash)| hash == "bb"));
    }

    #[test]
    fn values_are_recorded_as_digests() {
        let (key, value) = env_answer("TOKEN", Some("secret"));
        assert_eq!(key, "env!(TOKEN)");
        assert!(!value.contains("secret"));
        assert_eq!(env_answer("TOKEN", None).1, "unset");
    }
}
