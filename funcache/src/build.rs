//! What the build decided about a cached function: the same source compiles
//! to other code under other cargo features, targets, `debug_assertions`
//! or `test`, and another value of an `env!`/`option_env!`. The macro
//! cannot see those; it emits `cfg!(..)` and `option_env!(..)` for each one
//! the function's closure meets, the compiler evaluates them where the
//! function is compiled, and the fingerprint entries are stored under
//! mixes them in here.

/// One answer of the build, evaluated by the compiler in generated code.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildInput {
    /// An item of the closure that exists only under a `cfg` predicate: it
    /// is part of the fingerprint when the predicate holds.
    Gated {
        /// `cfg!(predicate)` where the function is compiled.
        active: bool,
        /// Qualified path of the item.
        path: &'static str,
        /// Hex hash of its canonical tokens.
        hash: &'static str,
    },
    /// A `cfg` predicate written inside the closure's code.
    Cfg {
        /// The predicate, as written (normalized).
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
}

/// The fingerprint entries are stored under: the source fingerprint alone
/// when the build decides nothing (so it stays comparable with what the CLI
/// computes from source), otherwise a digest of it and every input, each
/// field length-prefixed.
pub(crate) fn effective_fingerprint(source: &[u8; 32], inputs: &[BuildInput]) -> [u8; 32] {
    if inputs.is_empty() {
        return *source;
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"funcache-build\0");
    hasher.update(source);
    let mut field = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    for input in inputs {
        match *input {
            // An inactive item contributes nothing: editing code the build
            // leaves out must not invalidate.
            BuildInput::Gated { active: false, .. } => {}
            BuildInput::Gated {
                active: true,
                path,
                hash,
            } => {
                field(b"item");
                field(path.as_bytes());
                field(hash.as_bytes());
            }
            BuildInput::Cfg { predicate, active } => {
                field(b"cfg");
                field(predicate.as_bytes());
                field(&[u8::from(active)]);
            }
            BuildInput::Env { name, value } => {
                field(b"env");
                field(name.as_bytes());
                match value {
                    Some(value) => {
                        field(&[1]);
                        field(value.as_bytes());
                    }
                    None => field(&[0]),
                }
            }
        }
    }
    *hasher.finalize().as_bytes()
}

/// The items among `inputs` that the build compiled, as `(path, hash)`.
pub(crate) fn active_items(
    inputs: &[BuildInput],
) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    inputs.iter().filter_map(|input| match *input {
        BuildInput::Gated {
            active: true,
            path,
            hash,
        } => Some((path, hash)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: [u8; 32] = [7; 32];

    fn gated(active: bool, hash: &'static str) -> BuildInput {
        BuildInput::Gated {
            active,
            path: "crate::kernel",
            hash,
        }
    }

    #[test]
    fn no_inputs_leave_the_source_fingerprint() {
        assert_eq!(effective_fingerprint(&SOURCE, &[]), SOURCE);
    }

    #[test]
    fn every_answer_of_the_build_counts() {
        let cases: [&[BuildInput]; 7] = [
            &[gated(true, "aa"), gated(false, "bb")],
            &[gated(false, "aa"), gated(true, "bb")],
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
        let with = [gated(true, "aa"), gated(false, "bb")];
        let edited = [gated(true, "aa"), gated(false, "cc")];
        assert_eq!(
            effective_fingerprint(&SOURCE, &with),
            effective_fingerprint(&SOURCE, &edited)
        );
        assert_eq!(
            active_items(&with).collect::<Vec<_>>(),
            [("crate::kernel", "aa")]
        );
    }
}
