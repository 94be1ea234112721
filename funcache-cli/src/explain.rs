//! `explain FN`: will the next call hit, and if not, what in the source
//! changed since the stored entries were computed.
//!
//! The runtime records, beside the entries, the dependency list (item
//! paths and hashes, external crates) of every fingerprint it stores
//! under; the index computes the same list for the current source. The
//! difference between the two is the answer.

use std::collections::{BTreeMap, BTreeSet};

use funcache::{Fingerprint, FingerprintInfo};
use funcache_index::CachedFn;

use crate::args::ExplainArgs;
use crate::build_answers;
use crate::error::CliError;
use crate::fn_id::{self, Lookup};
use crate::output::{self, Out};
use crate::source::{self, Status};
use crate::{Context, dir};

/// Runs `explain`.
pub fn run(context: &Context, args: &ExplainArgs, out: &mut Out) -> Result<(), CliError> {
    let mut source = context.source()?;
    let found = fn_id::find(&args.function, source.ids());
    if let Err(Lookup::NotFound(_)) = &found
        && let Some(lines) = macro_written(context, &args.function)?
    {
        for line in lines {
            out.line(line)?;
        }
        return Ok(());
    }
    let id = found.map_err(|lookup| match lookup {
        Lookup::NotFound(suggestions) => CliError::NotInSource {
            id: args.function.clone(),
            manifest_dir: source.manifest_dir.clone(),
            suggestions,
        },
        Lookup::Ambiguous(candidates) => CliError::Ambiguous {
            id: args.function.clone(),
            candidates,
        },
    })?;
    let location = context.location()?;
    let cache = dir::open(&location)?;
    // `entries` of an id the directory has never seen would create an empty
    // tree for it; explaining must not change the directory.
    let entries = if cache.has_function(&id) {
        cache.entries(&id)?
    } else {
        Vec::new()
    };
    let records = cache.fingerprints(&id)?;
    source.judge_build(&cache)?;
    drop(cache);

    let mut stored: BTreeMap<Fingerprint, u64> = BTreeMap::new();
    for entry in &entries {
        *stored.entry(entry.fingerprint).or_default() += 1;
    }
    let definitions = source.definitions(&id);
    // A function defined under several `#[cfg]`s has one fingerprint per
    // definition: explain the one that is stored, if any.
    let current = definitions
        .iter()
        .find(|d| stored.keys().any(|fp| same(fp, d)))
        .unwrap_or(&definitions[0]);
    let fingerprint = current.analysis.fingerprint;

    let mut lines = Vec::new();
    if !current.analysis.build.is_empty() {
        let mut by_status: BTreeMap<Status, u64> = BTreeMap::new();
        for entry in &entries {
            *by_status
                .entry(source.status(&id, entry.fingerprint.as_bytes()))
                .or_default() += 1;
        }
        let count = |status| by_status.get(&status).copied().unwrap_or(0);
        let (live, stale) = (count(Status::Live), count(Status::Stale));
        lines.push(if entries.is_empty() {
            format!(
                "{id}: the next call will miss: nothing is stored for it in {}.",
                location.path.display()
            )
        } else if live > 0 {
            format!(
                "{id}: the next call will hit for arguments already stored, in a build like the \
                 one that stored them."
            )
        } else if stale == entries.len() as u64 {
            format!("{id}: the next call will miss.")
        } else {
            format!(
                "{id}: whether the next call hits depends on the build, which the answers \
                 recorded with the stored entries do not settle."
            )
        });
        if !entries.is_empty() {
            lines.push(format!(
                "Of {}: {live} live, {stale} stale, {} unknown (judged under the build each \
                 was stored by).",
                output::count(entries.len() as u64, "entry", "entries"),
                count(Status::Unknown),
            ));
        }
        // What changed is worth saying only of entries known not to hit:
        // of unknown ones, nothing may have.
        if live == 0 && stale > 0 {
            lines.extend(compare(current, &records, &stored, context));
        }
        lines.extend(build_inputs(current));
    } else if let Some((_, &count)) = stored.iter().find(|(fp, _)| same(fp, current)) {
        lines.push(format!(
            "{id}: the next call will hit for arguments already stored."
        ));
        lines.push(format!(
            "Its fingerprint {} is stored ({}).",
            fingerprint.short(8),
            output::count(count, "entry", "entries"),
        ));
        let older: u64 = entries.len() as u64 - count;
        if older > 0 {
            lines.push(format!(
                "{} under {} will not hit again (`funcache-cli purge --stale` removes them).",
                output::count(older, "entry", "entries"),
                output::count(
                    stored.len() as u64 - 1,
                    "older fingerprint",
                    "older fingerprints"
                ),
            ));
        }
    } else if entries.is_empty() {
        lines.push(format!(
            "{id}: the next call will miss: nothing is stored for it in {}.",
            location.path.display()
        ));
    } else {
        lines.push(format!("{id}: the next call will miss."));
        lines.push(format!(
            "Its fingerprint is now {}; {} {} stored under {}.",
            fingerprint.short(8),
            output::count(entries.len() as u64, "entry", "entries"),
            if entries.len() == 1 { "is" } else { "are" },
            output::count(stored.len() as u64, "other", "others"),
        ));
        lines.extend(compare(current, &records, &stored, context));
    }
    lines.extend(unresolved(current));
    if args.covers {
        lines.extend(covers(current));
    }
    for line in lines {
        out.line(line)?;
    }
    Ok(())
}

/// For a function the source index does not list but whose entries the
/// macro's fallback fingerprinted (one a `macro_rules!` writes): what
/// its fingerprint covers and what is stored. `None` when the cache holds
/// no such function named `wanted`, or no cache directory exists.
fn macro_written(context: &Context, wanted: &str) -> Result<Option<Vec<String>>, CliError> {
    let Ok(location) = context.location() else {
        return Ok(None);
    };
    if !location.path.exists() {
        return Ok(None);
    }
    let cache = dir::open(&location)?;
    let records: Vec<FingerprintInfo> = cache
        .all_fingerprints()?
        .into_iter()
        .filter(|r| source::is_fallback(&r.dependencies))
        .collect();
    let ids: BTreeSet<&str> = records.iter().map(|r| r.fn_id.as_str()).collect();
    let id = match fn_id::find(wanted, ids) {
        Ok(id) => id,
        Err(Lookup::Ambiguous(candidates)) => {
            return Err(CliError::Ambiguous {
                id: wanted.to_owned(),
                candidates,
            });
        }
        Err(Lookup::NotFound(_)) => return Ok(None),
    };
    let entries = if cache.has_function(&id) {
        cache.entries(&id)?
    } else {
        Vec::new()
    };
    let fingerprints: BTreeSet<Fingerprint> = entries.iter().map(|e| e.fingerprint).collect();
    let mut lines = vec![
        format!(
            "{id}: the source index cannot see where this function is compiled (a macro \
             writes it, or it is inside a macro invocation), so its fingerprint covers its \
             own tokens as expanded, where the expansion is, and the files its compilation \
             reads: every source file of its package and of its path dependencies, the files \
             they include or load as modules (outside the package too), what its build \
             script wrote to OUT_DIR, Cargo.lock and the manifests. An edit of any of them \
             makes the next call miss; a file read by a path the source does not spell out \
             (a computed include path, a file another crate's macro reads) is not covered."
        ),
        "Whether the next call hits cannot be told from the source; `purge --stale` leaves \
         its entries alone (`purge --fn ID` removes them)."
            .to_owned(),
    ];
    if entries.is_empty() {
        lines.push(format!(
            "Nothing is stored for it in {}.",
            location.path.display()
        ));
    } else {
        let latest = records
            .iter()
            .filter(|r| r.fn_id == id)
            .map(|r| r.recorded)
            .max()
            .unwrap_or(context.now);
        lines.push(format!(
            "{} stored under {}, the latest recorded {}.",
            output::count(entries.len() as u64, "entry is", "entries are"),
            output::count(fingerprints.len() as u64, "fingerprint", "fingerprints"),
            output::ago(latest, context.now)
        ));
    }
    Ok(Some(lines))
}

fn same(stored: &Fingerprint, definition: &CachedFn) -> bool {
    stored.as_bytes() == definition.analysis.fingerprint.as_bytes()
}

/// What differs between the latest recorded dependency list (preferring
/// one whose entries are still stored) and the current one.
fn compare(
    current: &CachedFn,
    records: &[FingerprintInfo],
    stored: &BTreeMap<Fingerprint, u64>,
    context: &Context,
) -> Vec<String> {
    let Some(record) = records
        .iter()
        .rev()
        .find(|r| stored.contains_key(&r.fingerprint))
        .or(records.last())
    else {
        return vec![
            "No dependency list was recorded for the stored fingerprints, so what \
             changed cannot be said."
                .to_owned(),
        ];
    };
    let mut lines = vec![format!(
        "Compared with fingerprint {}, recorded {}:",
        output::short(record.fingerprint.as_bytes()),
        output::ago(record.recorded, context.now)
    )];
    // The build's answers recorded beside the items are not items.
    let before: BTreeMap<&str, &str> = record
        .dependencies
        .iter()
        .filter(|(key, _)| !build_answers::is_answer(key))
        .map(|(path, hash)| (path.as_str(), hash.as_str()))
        .collect();
    // Items under a `cfg` count when the recorded build compiled them.
    let active = build_answers::active_under(&current.analysis, &record.dependencies);
    let now: BTreeMap<&str, String> = current
        .analysis
        .dependencies
        .iter()
        .chain(active)
        .map(|d| (d.path.as_str(), d.hash.to_string()))
        .collect();
    let mut changes = Vec::new();
    for (path, hash) in &now {
        match before.get(path) {
            Some(old) if old != hash => changes.push(("changed", path.to_string())),
            Some(_) => {}
            None => changes.push(("appeared", path.to_string())),
        }
    }
    for path in before.keys().filter(|p| !now.contains_key(*p)) {
        changes.push(("disappeared", path.to_string()));
    }
    changes.extend(external_changes(
        &record.externals,
        &current.analysis.externals,
    ));
    let options = match current.options_source.trim() {
        "" => "#[funcache::cache]".to_owned(),
        options => format!("#[funcache::cache({options})]"),
    };
    if changes.is_empty() && !current.analysis.build.is_empty() {
        // Every fingerprint depends on the build (`debug_assertions` at
        // least): the options are as likely a cause.
        lines.extend([
            "  no item or external crate changed: the build's answers did (features, cfg,"
                .to_owned(),
            "  profile, compile-time environment, compiler release, target), or the".to_owned(),
            "  attribute's options that enter the fingerprint did;".to_owned(),
            format!("  the attribute is now {options}"),
        ]);
    } else if changes.is_empty() {
        lines.extend([
            "  no item or external crate changed: the attribute's options that enter".to_owned(),
            "  the fingerprint (version, skip, cache_errors) did, or funcache's".to_owned(),
            format!("  fingerprint format; the attribute is now {options}"),
        ]);
    } else {
        let width = changes.iter().map(|c| c.0.len()).max().unwrap_or(0);
        lines.extend(
            changes
                .into_iter()
                .map(|(kind, what)| format!("  {kind:width$}  {what}")),
        );
    }
    lines
}

/// External crates that changed version, appeared or disappeared, paired
/// by name so an upgrade reads as one line.
fn external_changes(before: &[String], now: &[String]) -> Vec<(&'static str, String)> {
    // `name@version[@source]`, or an input the index evaluated:
    // `<what> #<digest>`, `<what>=<value>`.
    let name = |e: &str| {
        e.split_once('@')
            .or_else(|| e.split_once(" #"))
            .or_else(|| e.split_once('='))
            .map_or(e, |(n, _)| n)
            .to_owned()
    };
    let before: BTreeSet<&str> = before.iter().map(String::as_str).collect();
    let now: BTreeSet<&str> = now.iter().map(String::as_str).collect();
    let gone: Vec<&str> = before.difference(&now).copied().collect();
    let new: Vec<&str> = now.difference(&before).copied().collect();
    let mut changes = Vec::new();
    for old in &gone {
        match new.iter().find(|n| name(n) == name(old)) {
            Some(upgraded) => changes.push(("external", format!("{old} -> {upgraded}"))),
            None => changes.push(("disappeared", format!("{old} (external crate)"))),
        }
    }
    for added in new
        .iter()
        .filter(|n| !gone.iter().any(|g| name(g) == name(n)))
    {
        changes.push(("appeared", format!("{added} (external crate)")));
    }
    changes
}

/// What the build decides about the fingerprint (the macro has the
/// compiler evaluate it; the CLI cannot).
fn build_inputs(current: &CachedFn) -> Vec<String> {
    let build = &current.analysis.build;
    let mut lines = vec!["Its fingerprint also depends on:".to_owned()];
    for (predicate, dependency) in &build.gated {
        lines.push(format!(
            "  cfg({predicate})  whether {} is compiled",
            dependency.path
        ));
    }
    for predicate in &build.cfgs {
        lines.push(format!("  cfg({predicate})"));
    }
    for name in &build.env {
        lines.push(format!("  the compile-time value of ${name}"));
    }
    for dep in &build.dep_features {
        lines.push(format!(
            "  the features cargo enabled for dependency {}",
            dep.package
        ));
    }
    if build.out_dir {
        lines.push("  code or data a build script writes to OUT_DIR".to_owned());
    }
    lines
}

/// `--covers`: the items and external crates the fingerprint covers, one
/// per line, so a user can check that what the function relies on is
/// among them. (Items only some builds compile are listed with the
/// build's inputs.)
fn covers(current: &CachedFn) -> Vec<String> {
    let analysis = &current.analysis;
    let mut lines = vec![format!(
        "Its fingerprint covers {} and {}:",
        output::count(analysis.dependencies.len() as u64, "item", "items"),
        output::count(
            analysis.externals.len() as u64,
            "external crate",
            "external crates"
        ),
    )];
    lines.extend(
        analysis
            .dependencies
            .iter()
            .map(|d| format!("  {}", d.path)),
    );
    lines.extend(analysis.externals.iter().map(|e| format!("  {e}")));
    lines
}

/// The references the index could not resolve: edits behind them do not
/// change the fingerprint, which is worth knowing whatever the verdict.
fn unresolved(current: &CachedFn) -> Vec<String> {
    let list = &current.analysis.unresolved;
    if list.is_empty() {
        return Vec::new();
    }
    let width = list.iter().map(|u| u.path.len()).max().unwrap_or(0);
    let (what, them) = if list.len() == 1 {
        ("reference", "it")
    } else {
        ("references", "them")
    };
    let mut lines = vec![format!(
        "Unresolved {what} (the fingerprint does not follow edits behind {them}):"
    )];
    lines.extend(
        list.iter()
            .map(|u| format!("  {:width$}  at {}", u.path, u.location)),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_upgrades_pair_by_name() {
        let before = vec!["serde@1.0.1".to_owned(), "old@0.1.0".to_owned()];
        let now = vec!["serde@1.0.2".to_owned(), "rand@0.9.0".to_owned()];
        assert_eq!(
            external_changes(&before, &now),
            [
                ("disappeared", "old@0.1.0 (external crate)".to_owned()),
                ("external", "serde@1.0.1 -> serde@1.0.2".to_owned()),
                ("appeared", "rand@0.9.0 (external crate)".to_owned()),
            ]
        );
    }
}
