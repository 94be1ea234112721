//! The real-crate check: prepare the copy, fill the cache from the pristine
//! build, then apply each edit alone, rebuild, probe, and judge every
//! wrapper: served vs `<name>_uncached` (stale), recomputed with an unchanged
//! value (needless).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::support::{
    self,
    real_crate::{self, BuildConfig, RealCrate, WrapperReport},
};

/// One published crate and its edits.
pub struct Case {
    pub name: &'static str,
    pub version: &'static str,
    /// `fixtures/real-crates/<overlay>/`.
    pub overlay: &'static str,
    /// The probe binary in the overlay's `add/src/bin/`.
    pub binary: &'static str,
    /// Every wrapper the probe reports, sorted.
    pub wrappers: &'static [&'static str],
    /// `Some(list)`: the features of every build but a [`Change::Features`]
    /// one (`--no-default-features --features <list>`).
    pub features: Option<&'static [&'static str]>,
    /// Variables the crate reads at compile time; unset unless an edit sets them.
    pub build_env_names: &'static [&'static str],
    pub edits: &'static [Edit],
}

pub enum Change {
    /// Replace the first `from` with `to` in each file.
    Source(&'static [(&'static str, &'static str, &'static str)]),
    /// Build with `--no-default-features --features <list>`.
    Features(&'static [&'static str]),
    /// Build with an environment variable set.
    BuildEnv(&'static str, &'static str),
}

pub struct Edit {
    pub what: &'static str,
    /// The kind of reference it exercises (with its issue 8 item, if any).
    pub kind: &'static str,
    pub change: Change,
    /// The wrappers whose computed value the edit changes; every other
    /// wrapper's value stays the same.
    pub changes: &'static [&'static str],
    /// The wrappers whose stored values decode differently after the edit
    /// (their return type's `Deserialize` changed): they must recompute
    /// although their bodies compute the same value.
    pub decodes: &'static [&'static str],
    /// `Some(fix)` while the fix for this kind is not on main: a stale
    /// result here is printed, not failed. Set to `None` once `fix` merges.
    pub known_stale_until_merged: Option<&'static str>,
}

/// What one edit did to one wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Value unchanged, served from the cache.
    Hit,
    /// Value changed, recomputed.
    Fresh,
    /// Value unchanged, recomputed anyway.
    Needless,
    /// Value changed, the old one served.
    Stale,
}

impl Outcome {
    /// `decodes`: the edit changes how the wrapper's stored value decodes.
    fn of(pristine: &WrapperReport, edited: &WrapperReport, decodes: bool) -> Outcome {
        let changed = edited.uncached != pristine.uncached || decodes;
        match (edited.served == edited.uncached, edited.misses > 0) {
            (false, _) => Outcome::Stale,
            (true, true) if changed => Outcome::Fresh,
            (true, true) => Outcome::Needless,
            (true, false) => Outcome::Hit,
        }
    }

    fn cell(self) -> &'static str {
        match self {
            Outcome::Hit => "-",
            Outcome::Fresh => "fresh",
            Outcome::Needless => "needless",
            Outcome::Stale => "STALE",
        }
    }
}

/// The case's crate, fetched from the registry and prepared with its
/// overlay; `None`, after a loud SKIPPED line, when it cannot be fetched.
pub fn prepare(case: &Case) -> Option<(real_crate::RegistrySource, RealCrate)> {
    let (name, version) = (case.name, case.version);
    let source = match real_crate::registry_source(name, version) {
        Ok(source) => source,
        Err(why) => {
            println!("SKIPPED: {name} {version} could not be fetched from the registry:\n{why}");
            eprintln!("SKIPPED: {name} {version} could not be fetched from the registry");
            return None;
        }
    };
    let krate = RealCrate::prepare(&source, case.overlay, case.binary, case.build_env_names);
    Some((source, krate))
}

/// Runs a case: panics on a stale result (outside the flagged edits) or an
/// edit whose stated answer is wrong; prints the table either way.
pub fn check(case: &Case) {
    let _guard = support::lock();
    let (name, version) = (case.name, case.version);
    let Some((source, krate)) = prepare(case) else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    if let Err(cargo) = krate.build(&base_config(case)) {
        if source.offline {
            println!(
                "SKIPPED: offline, and {name} {version} does not build from cargo's cache:\n{cargo}"
            );
            eprintln!("SKIPPED: offline, and {name} {version} does not build from cargo's cache");
            return;
        }
        panic!("the pristine copy of {name} does not build:\n{cargo}");
    }
    let pristine = krate.run(cache.path());
    assert_eq!(
        pristine.keys().map(String::as_str).collect::<Vec<_>>(),
        case.wrappers,
        "the probe reports every wrapper"
    );
    for (wrapper, report) in &pristine {
        assert_eq!(report.misses, 1, "{wrapper} computes on the first run");
        assert_eq!(report.served, report.uncached, "{wrapper}");
    }
    let again = krate.run(cache.path());
    for (wrapper, report) in &again {
        assert_eq!(report.misses, 0, "{wrapper} is served on the second run");
    }

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for edit in case.edits {
        let edited = apply_and_run(case, &krate, edit, cache.path());
        let outcomes: BTreeMap<&str, Outcome> = case
            .wrappers
            .iter()
            .map(|&wrapper| {
                let decodes = edit.decodes.contains(&wrapper);
                (
                    wrapper,
                    Outcome::of(&pristine[wrapper], &edited[wrapper], decodes),
                )
            })
            .collect();
        let changed: Vec<&str> = case
            .wrappers
            .iter()
            .copied()
            .filter(|&wrapper| edited[wrapper].uncached != pristine[wrapper].uncached)
            .collect();
        if changed != edit.changes {
            failures.push(format!(
                "{}: the edit is said to change {:?}, but it changes {:?}",
                edit.what, edit.changes, changed
            ));
        }
        let stale: Vec<&str> = outcomes
            .iter()
            .filter(|(_, outcome)| **outcome == Outcome::Stale)
            .map(|(wrapper, _)| *wrapper)
            .collect();
        match edit.known_stale_until_merged {
            None if !stale.is_empty() => {
                failures.push(format!("{}: STALE {:?}", edit.what, stale));
            }
            Some(fix) if stale.is_empty() => notes.push(format!(
                "{}: no longer stale; set known_stale_until_merged to None ({fix})",
                edit.what
            )),
            _ => {}
        }
        let why = changed_dependencies(&pristine, &edited);
        rows.push((edit, outcomes, why));
    }

    println!("{}", table(case, &rows, &pristine));
    for note in &notes {
        println!("NOTE: {note}");
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

pub fn base_config(case: &Case) -> BuildConfig {
    BuildConfig {
        features: case
            .features
            .map(|list| list.iter().map(|f| f.to_string()).collect()),
        env: Vec::new(),
    }
}

/// Applies one edit to the pristine copy, builds, runs the probe, and
/// restores the copy.
fn apply_and_run(
    case: &Case,
    krate: &RealCrate,
    edit: &Edit,
    cache: &Path,
) -> BTreeMap<String, WrapperReport> {
    let mut config = base_config(case);
    let mut originals = Vec::new();
    match &edit.change {
        Change::Source(replacements) => {
            for &(file, from, to) in *replacements {
                let text = krate.read(file);
                assert!(text.contains(from), "{}: {file} lacks {from:?}", edit.what);
                krate.write(file, &text.replacen(from, to, 1));
                originals.push((file, text));
            }
        }
        Change::Features(features) => {
            config.features = Some(features.iter().map(|f| f.to_string()).collect());
        }
        Change::BuildEnv(name, value) => {
            config.env = vec![(name.to_string(), value.to_string())];
        }
    }
    let built = krate.build(&config);
    let report = built.map(|()| krate.run(cache));
    for (file, text) in originals {
        krate.write(file, &text);
    }
    report
        .unwrap_or_else(|cargo| panic!("{}: the edited crate does not build:\n{cargo}", edit.what))
}

/// Per wrapper, the closure items whose hash changed, appeared or vanished.
fn changed_dependencies(
    pristine: &BTreeMap<String, WrapperReport>,
    edited: &BTreeMap<String, WrapperReport>,
) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    for (name, before) in pristine {
        let after = &edited[name];
        for (path, hash) in &before.dependencies {
            if after.dependencies.get(path) != Some(hash) {
                changed.insert(path.clone());
            }
        }
        for path in after.dependencies.keys() {
            if !before.dependencies.contains_key(path) {
                changed.insert(path.clone());
            }
        }
    }
    changed
}

/// The wrappers an edit must change, for the table.
fn expected(edit: &Edit) -> String {
    let decoding = edit.decodes.iter().map(|w| format!("{w} (decoding)"));
    let all: Vec<String> = edit
        .changes
        .iter()
        .map(|w| w.to_string())
        .chain(decoding)
        .collect();
    if all.is_empty() {
        "none".to_owned()
    } else {
        all.join(", ")
    }
}

type Row<'a> = (&'a Edit, BTreeMap<&'a str, Outcome>, BTreeSet<String>);

/// The report: one row per edit, totals per kind, closure sizes.
fn table(case: &Case, rows: &[Row<'_>], pristine: &BTreeMap<String, WrapperReport>) -> String {
    let (name, version, wrappers) = (case.name, case.version, case.wrappers);
    let mut out = String::new();
    writeln!(
        out,
        "\n## {name} {version}: edits (cells: fresh / needless / STALE / - = hit)\n"
    )
    .unwrap();
    writeln!(
        out,
        "| edit | kind | changes | {} | stale | needless | flag | closure items changed |",
        wrappers.join(" | ")
    )
    .unwrap();
    writeln!(out, "|{}", "---|".repeat(wrappers.len() + 7)).unwrap();
    let mut per_kind: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for (edit, outcomes, why) in rows {
        let count = |o| outcomes.values().filter(|&&x| x == o).count();
        let (stale, needless) = (count(Outcome::Stale), count(Outcome::Needless));
        let totals = per_kind.entry(edit.kind).or_default();
        let must_change = edit.changes.len() + edit.decodes.len();
        totals[0] += must_change;
        totals[1] += stale;
        totals[2] += wrappers.len() - must_change;
        totals[3] += needless;
        let cells: Vec<&str> = wrappers.iter().map(|w| outcomes[w].cell()).collect();
        let mut why: Vec<&str> = why.iter().map(String::as_str).collect();
        if why.len() > 3 {
            why.truncate(3);
            why.push("…");
        }
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            edit.what,
            edit.kind,
            expected(edit),
            cells.join(" | "),
            stale,
            needless,
            edit.known_stale_until_merged.unwrap_or(""),
            why.join(", ")
        )
        .unwrap();
    }
    writeln!(
        out,
        "\n| kind | stale / changed | needless / unchanged |\n|---|---|---|"
    )
    .unwrap();
    let mut all = [0; 4];
    for (kind, t) in &per_kind {
        writeln!(
            out,
            "| {kind} | {} / {} | {} / {} |",
            t[1], t[0], t[3], t[2]
        )
        .unwrap();
        for i in 0..4 {
            all[i] += t[i];
        }
    }
    writeln!(
        out,
        "| **all** | {} / {} | {} / {} |",
        all[1], all[0], all[3], all[2]
    )
    .unwrap();
    writeln!(
        out,
        "\n| wrapper | closure items | unresolved |\n|---|---|---|"
    )
    .unwrap();
    for (name, report) in pristine {
        writeln!(
            out,
            "| {name} | {} | {} |",
            report.dependencies.len(),
            report.unresolved.len()
        )
        .unwrap();
    }
    out
}
