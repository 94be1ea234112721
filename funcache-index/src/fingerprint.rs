//! The fingerprint: one digest for everything a cached function's result
//! depends on in source, and the inputs the build decides
//! ([`BuildInputs`]), which the runtime mixes in.

use crate::Digest;

/// Version of the fingerprint composition. Bump it whenever what goes into a
/// fingerprint changes, so old and new fingerprints can never coincide.
pub const FINGERPRINT_FORMAT: u8 = 1;

/// One item of a cached function's source closure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dependency {
    /// Qualified path of the item, e.g. `crate::clean::trim` or
    /// `crate::Parser::next`.
    pub path: String,
    /// Canonical hash of the item's tokens.
    pub hash: Digest,
}

/// What a cached function's result depends on in its build rather than in
/// its source text: everything here is evaluated by the compiler where the
/// function is compiled and mixed into the fingerprint at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInputs {
    /// Items of the closure that exist only under a `cfg` predicate
    /// (their own `#[cfg]`s and their modules', `#[cfg(test)] mod tests`
    /// included), sorted: each counts only when its predicate holds.
    /// [`Analysis::fingerprint`](crate::Analysis::fingerprint) leaves them
    /// out.
    pub gated: Vec<(String, Dependency)>,
    /// `cfg` predicates written inside the closure's items (`cfg!(..)`,
    /// `#[cfg]` on statements, fields or arms, `#[cfg_attr]`), sorted: the
    /// value of each is part of the fingerprint. A closure's list always
    /// holds `debug_assertions`: debug and release builds keep separate
    /// entries (overflow checks and `debug_assert!` follow it).
    pub cfgs: Vec<String>,
    /// Environment variables read with `env!`/`option_env!`, sorted: their
    /// values are part of the fingerprint. Cargo's path-valued variables
    /// (`OUT_DIR`, `CARGO_MANIFEST_DIR`, …) are left out: what matters is
    /// the files they lead to, and a key must not depend on where the
    /// crate is built.
    pub env: Vec<String>,
    /// Whether the closure reads code or data a build script writes to
    /// `OUT_DIR`, or its package has an `include!` this reader could not
    /// follow. The macro indexes those files (it has the build's
    /// `OUT_DIR`); a reader without it (the CLI) cannot, and so cannot
    /// reproduce the fingerprint.
    pub out_dir: bool,
    /// Direct dependencies of the compiling crate that the closure
    /// reaches and whose features can change its code (registry and git
    /// crates it names; path dependencies where it meets a `cfg` naming a
    /// feature, or whose features ask something of their dependencies),
    /// sorted: the features the build enabled for each are part of the
    /// fingerprint. Cargo decides them from every
    /// manifest and from its command line (`--features
    /// serde_json/preserve_order`); the macro reads them from cargo's
    /// record of the dependency's build (see
    /// [`dep_features_in_build`](crate::dep_features_in_build)).
    pub dep_features: Vec<DirectDep>,
}

impl BuildInputs {
    /// True when the fingerprint depends on nothing but the source text.
    pub fn is_empty(&self) -> bool {
        self.gated.is_empty()
            && self.cfgs.is_empty()
            && self.env.is_empty()
            && !self.out_dir
            && self.dep_features.is_empty()
    }
}

/// A direct dependency of the crate compiling a cached function, whose
/// features the build decides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DirectDep {
    /// Its package name (`serde_json`): what its answer is recorded under.
    pub package: String,
    /// The name the compiling crate knows it by: its `--extern` name on
    /// the compiler's command line (a renamed dependency's new name).
    pub extern_name: String,
}

/// Everything a fingerprint is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FingerprintInput {
    /// Items of the closure, in any order (they are sorted here).
    pub dependencies: Vec<Dependency>,
    /// `name@version` of external crates the closure resolves into.
    pub externals: Vec<String>,
    /// [`CacheOptions::salt`](crate::CacheOptions::salt).
    pub salt: Vec<u8>,
}

impl FingerprintInput {
    /// Sorts and deduplicates the lists so that the input is canonical.
    pub fn canonicalize(&mut self) {
        self.dependencies.sort();
        self.dependencies.dedup();
        self.externals.sort();
        self.externals.dedup();
    }

    /// blake3(format ‖ sorted (path, hash) ‖ sorted externals ‖ salt), every
    /// field length-prefixed.
    pub fn fingerprint(&self) -> Digest {
        let mut input = self.clone();
        input.canonicalize();
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"funcache-fingerprint\0");
        hasher.update(&[FINGERPRINT_FORMAT]);
        let mut field = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(&(input.dependencies.len() as u64).to_le_bytes());
        for dependency in &input.dependencies {
            field(dependency.path.as_bytes());
            field(dependency.hash.as_bytes());
        }
        field(&(input.externals.len() as u64).to_le_bytes());
        for external in &input.externals {
            field(external.as_bytes());
        }
        field(&input.salt);
        hasher.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(path: &str, seed: &[u8]) -> Dependency {
        Dependency {
            path: path.into(),
            hash: blake3::hash(seed).into(),
        }
    }

    #[test]
    fn order_of_dependencies_does_not_matter() {
        let a = FingerprintInput {
            dependencies: vec![dep("crate::a", b"1"), dep("crate::b", b"2")],
            externals: vec!["serde@1.0.0".into(), "regex@1.0.0".into()],
            salt: vec![],
        };
        let mut b = a.clone();
        b.dependencies.reverse();
        b.externals.reverse();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn every_part_matters() {
        let base = FingerprintInput {
            dependencies: vec![dep("crate::a", b"1")],
            externals: vec!["serde@1.0.0".into()],
            salt: vec![],
        };
        let mut changed_hash = base.clone();
        changed_hash.dependencies[0].hash = blake3::hash(b"other").into();
        let mut renamed = base.clone();
        renamed.dependencies[0].path = "crate::b".into();
        let mut upgraded = base.clone();
        upgraded.externals[0] = "serde@1.0.1".into();
        let mut salted = base.clone();
        salted.salt = b"version=2\0".to_vec();
        let all = [&base, &changed_hash, &renamed, &upgraded, &salted];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x.fingerprint(), y.fingerprint());
            }
        }
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let a = FingerprintInput {
            dependencies: vec![dep("crate::ab", b"1")],
            externals: vec![],
            salt: vec![],
        };
        let b = FingerprintInput {
            dependencies: vec![dep("crate::a", b"1")],
            externals: vec![],
            salt: b"b".to_vec(),
        };
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
