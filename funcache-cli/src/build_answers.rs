//! Fingerprints that depend on the build (cargo features and other `cfg`s,
//! compile-time environment variables, the features cargo enabled for a
//! dependency): the CLI reads the source without
//! building it, so it cannot evaluate those itself. The runtime records
//! the build's answers beside each fingerprint it stores under; with them
//! the fingerprint the *current* source would have under *that* build can
//! be rebuilt, and compared with the stored one.

use std::collections::BTreeMap;

use funcache::__private::{
    EXPANSION_KEY, RUSTC_KEY, TARGET_KEY, build_fingerprint, cfg_answer, dep_features_answer,
    env_answer, toolchain_answers,
};
use funcache_index::{Analysis, Dependency};

/// The fingerprint `analysis` (the current source) has under the build
/// whose answers are among `recorded` (a fingerprint record's dependency
/// list); `None` when they do not answer everything the current source
/// asks (a predicate or variable that is new), or when the source has code
/// the CLI cannot read (generated into `OUT_DIR`).
pub fn under_recorded_build(
    analysis: &Analysis,
    recorded: &[(String, String)],
) -> Option<[u8; 32]> {
    let build = &analysis.build;
    if build.out_dir {
        return None;
    }
    let recorded: BTreeMap<&str, &str> = recorded
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let cfg = |predicate: &str| -> Option<bool> {
        let (key, _) = cfg_answer(predicate, true);
        match recorded.get(key.as_str()).copied() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        }
    };
    let mut answers = Vec::new();
    for (predicate, dependency) in &build.gated {
        let active = cfg(predicate)?;
        answers.push(cfg_answer(predicate, active));
        if active {
            answers.push((dependency.path.clone(), dependency.hash.to_string()));
        }
    }
    for predicate in &build.cfgs {
        answers.push(cfg_answer(predicate, cfg(predicate)?));
    }
    for name in &build.env {
        let (key, _) = env_answer(name, None);
        let value = recorded.get(key.as_str())?.to_string();
        answers.push((key, value));
    }
    for dep in &build.dep_features {
        let (key, _) = dep_features_answer(&dep.package, "");
        let value = recorded.get(key.as_str())?.to_string();
        answers.push((key, value));
    }
    // The toolchain that built it (every fingerprint has it).
    for key in [RUSTC_KEY, TARGET_KEY] {
        let value = recorded.get(key)?.to_string();
        answers.push((key.to_owned(), value));
    }
    answers.sort();
    answers.dedup();
    Some(build_fingerprint(analysis.fingerprint.as_bytes(), &answers))
}

/// Every fingerprint `analysis` can have when built by the toolchain this
/// CLI was built with (rustc release and target, see
/// [`toolchain_answers`]), when its build inputs are a few `cfg`
/// predicates and nothing else (`debug_assertions` and the package's
/// features, which every fingerprint has, are the common case): one per
/// combination of their values. `None` when it depends on more (gated
/// items, variables, a dependency's features, code generated into
/// `OUT_DIR`), whose answers only a record tells. An entry another toolchain stored is in no list: without
/// its record (a remote's entries), it is judged as if this CLI's
/// toolchain had built it.
pub fn every_build(analysis: &Analysis) -> Option<Vec<[u8; 32]>> {
    /// 2^6 fingerprints at most.
    const MAX_PREDICATES: usize = 6;
    let build = &analysis.build;
    if !build.gated.is_empty()
        || !build.env.is_empty()
        || !build.dep_features.is_empty()
        || build.out_dir
        || build.cfgs.len() > MAX_PREDICATES
    {
        return None;
    }
    let combinations = 1u32 << build.cfgs.len();
    Some(
        (0..combinations)
            .map(|mask| {
                let mut answers: Vec<(String, String)> = build
                    .cfgs
                    .iter()
                    .enumerate()
                    .map(|(i, predicate)| cfg_answer(predicate, mask & (1 << i) != 0))
                    .chain(toolchain_answers())
                    .collect();
                answers.sort();
                answers.dedup();
                build_fingerprint(analysis.fingerprint.as_bytes(), &answers)
            })
            .collect(),
    )
}

/// Whether a recorded `(key, value)` pair is one of the build's answers
/// rather than an item.
pub fn is_answer(key: &str) -> bool {
    key.starts_with("cfg(")
        || key.starts_with("env!(")
        || key.starts_with(&dep_features_answer("", "").0)
        || key == EXPANSION_KEY
        || key == RUSTC_KEY
        || key == TARGET_KEY
}

/// The items of `analysis` under a `cfg` that the build whose answers are
/// among `recorded` compiled.
pub fn active_under<'a>(
    analysis: &'a Analysis,
    recorded: &[(String, String)],
) -> impl Iterator<Item = &'a Dependency> + 'a {
    let compiled: Vec<bool> = analysis
        .build
        .gated
        .iter()
        .map(|(predicate, _)| {
            let (key, value) = cfg_answer(predicate, true);
            recorded.contains(&(key, value))
        })
        .collect();
    analysis
        .build
        .gated
        .iter()
        .zip(compiled)
        .filter(|(_, compiled)| *compiled)
        .map(|((_, dependency), _)| dependency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use funcache_index::{BuildInputs, Digest, DirectDep};

    fn analysis(build: BuildInputs) -> Analysis {
        Analysis {
            item_path: "f".into(),
            impl_context: None,
            dependencies: Vec::new(),
            externals: Vec::new(),
            unresolved: Vec::new(),
            fingerprint: Digest([1; 32]),
            build,
            tracked_files: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn kernel(hash: u8) -> Dependency {
        Dependency {
            path: "crate::kernel".into(),
            hash: Digest([hash; 32]),
        }
    }

    /// Every fingerprint has `debug_assertions` among its inputs; with
    /// nothing else the CLI knows both fingerprints without a record.
    #[test]
    fn a_few_cfgs_alone_give_every_fingerprint() {
        let build = BuildInputs {
            cfgs: vec!["debug_assertions".into()],
            ..BuildInputs::default()
        };
        let every = every_build(&analysis(build)).unwrap();
        let under = |debug: bool| {
            let mut answers = vec![cfg_answer("debug_assertions", debug)];
            answers.extend(toolchain_answers());
            answers.sort();
            build_fingerprint(Digest([1; 32]).as_bytes(), &answers)
        };
        let (debug, release) = (under(true), under(false));
        assert_eq!(every.len(), 2);
        assert!(every.contains(&debug) && every.contains(&release));
        let with_env = BuildInputs {
            cfgs: vec!["debug_assertions".into()],
            env: vec!["MODE".into()],
            ..BuildInputs::default()
        };
        assert_eq!(every_build(&analysis(with_env)), None);
        let with_dep = BuildInputs {
            cfgs: vec!["debug_assertions".into()],
            dep_features: vec![DirectDep {
                package: "serde_json".into(),
                extern_name: "serde_json".into(),
            }],
            ..BuildInputs::default()
        };
        assert_eq!(every_build(&analysis(with_dep)), None);
    }

    #[test]
    fn answers_are_told_from_items() {
        assert!(is_answer("cfg(feature = \"fast\")"));
        assert!(is_answer("env!(MODE)"));
        assert!(is_answer("features of serde_json"));
        assert!(is_answer(EXPANSION_KEY));
        assert!(is_answer(RUSTC_KEY) && is_answer(TARGET_KEY));
        assert!(!is_answer("crate::helpers::one"));
        assert!(!is_answer(funcache_index::FALLBACK_CALL_SITE));
    }

    #[test]
    fn what_the_runtime_recorded_rebuilds_its_fingerprint() {
        let build = BuildInputs {
            gated: vec![("fast".into(), kernel(2)), ("not (fast)".into(), kernel(3))],
            cfgs: vec!["test".into()],
            env: vec!["MODE".into()],
            out_dir: false,
            dep_features: vec![DirectDep {
                package: "serde_json".into(),
                extern_name: "json".into(),
            }],
        };
        // What the runtime stores for a build with `fast` off, MODE=b.
        let answers = {
            let mut a = vec![
                cfg_answer("fast", false),
                cfg_answer("not (fast)", true),
                ("crate::kernel".to_owned(), Digest([3; 32]).to_string()),
                cfg_answer("test", false),
                env_answer("MODE", Some("b")),
                dep_features_answer("serde_json", "default,std"),
                (RUSTC_KEY.to_owned(), "1.95.0 (59807616e)".to_owned()),
                (TARGET_KEY.to_owned(), "x86_64-unknown-linux-gnu".to_owned()),
            ];
            a.sort();
            a
        };
        let stored = build_fingerprint(&[1; 32], &answers);
        let record = answers;
        let current = analysis(build.clone());
        assert_eq!(under_recorded_build(&current, &record), Some(stored));

        // The kernel the recorded build compiled changed: another print.
        let mut edited = build.clone();
        edited.gated[1].1 = kernel(4);
        assert_ne!(
            under_recorded_build(&analysis(edited), &record),
            Some(stored)
        );
        // The one it did not compile changed: the same.
        let mut inactive = build.clone();
        inactive.gated[0].1 = kernel(5);
        assert_eq!(
            under_recorded_build(&analysis(inactive), &record),
            Some(stored)
        );
        // The same answers from another compiler: another fingerprint.
        let other_rustc: Vec<(String, String)> = record
            .iter()
            .map(|(k, v)| match k.as_str() {
                RUSTC_KEY => (k.clone(), "1.96.0 (0123abc)".to_owned()),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let rebuilt = under_recorded_build(&current, &other_rustc);
        assert!(rebuilt.is_some() && rebuilt != Some(stored));
        // A record from before the toolchain was recorded answers too little.
        let old: Vec<(String, String)> = record
            .iter()
            .filter(|(k, _)| k != RUSTC_KEY && k != TARGET_KEY)
            .cloned()
            .collect();
        assert_eq!(under_recorded_build(&current, &old), None);
        // The same build with serde_json's `preserve_order` on (asked on
        // cargo's command line): another fingerprint.
        let preserve_order: Vec<(String, String)> = record
            .iter()
            .map(|(k, v)| match k.as_str() {
                "features of serde_json" => (k.clone(), "default,preserve_order,std".to_owned()),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let rebuilt = under_recorded_build(&current, &preserve_order);
        assert!(rebuilt.is_some() && rebuilt != Some(stored));
        // A question the record has no answer to.
        let mut asked = build.clone();
        asked.env.push("OTHER".into());
        assert_eq!(under_recorded_build(&analysis(asked), &record), None);
        let mut asked = build;
        asked.dep_features.push(DirectDep {
            package: "helper".into(),
            extern_name: "helper".into(),
        });
        assert_eq!(under_recorded_build(&analysis(asked), &record), None);
    }
}
