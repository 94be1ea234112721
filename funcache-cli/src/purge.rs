//! `purge`: remove what the selectors choose, then give the space back.
//!
//! Everything that can be wrong (the directory, the function ids, the
//! source for `--stale`) is checked before the first removal. A real purge
//! then removes the entries the filters chose, and for `--max-size`
//! measures the directory and evicts the least recently used entries until
//! it fits — measuring again after each round, because the database's size
//! is not simply the sum of its values. (The database is measured by the
//! pages that hold data: LMDB reuses the pages of removed entries but does
//! not shrink its file.) Programs may use the directory meanwhile.
//! `--dry-run` computes the same choice from the sizes on disk now.

use std::path::Path;

use funcache::{CacheDir, DiskUsage, EntryInfo};
use serde::Serialize;

use crate::args::PurgeArgs;
use crate::error::CliError;
use crate::inspect::DiskJson;
use crate::output::{self, Out, Progress};
use crate::removal::{self, Amount, FunctionAmount};
use crate::select::{self, Criteria, Facts};
use crate::snapshot::Snapshot;
use crate::source::Source;
use crate::{Context, dir};

/// Rounds of evict-measure before giving up on `--max-size`: the
/// first round's measurement is exact up to the database's own overhead,
/// so a second is rare and a third rarer.
const MAX_ROUNDS: usize = 3;

/// `purge --json`.
#[derive(Serialize)]
struct PurgeReport<'a> {
    /// The cache directory.
    dir: &'a Path,
    /// Whether this was a dry run (nothing changed).
    dry_run: bool,
    /// Everything removed (or that would be), `evicted` included.
    removed: Amount,
    /// The part `--max-size` evicted.
    evicted: Amount,
    /// Removed per function, sorted by id.
    functions: Vec<FunctionAmount>,
    /// What is left.
    remaining: Amount,
    /// The `--max-size` limit in bytes, if given.
    max_size: Option<u64>,
    /// Size on disk before.
    disk_before: DiskJson,
    /// Size on disk after compaction; null for a dry run.
    disk_after: Option<DiskJson>,
    /// `disk_before.total - disk_after.total`; null for a dry run.
    reclaimed: Option<i64>,
    /// For a dry run, the expected total size afterwards (database
    /// compaction may shrink it further); else the measured one.
    projected_total: u64,
}

/// What a purge did, for either rendering.
struct Outcome {
    removed: Vec<EntryInfo>,
    evicted: Vec<EntryInfo>,
    remaining: Amount,
    before: DiskUsage,
    after: Option<DiskUsage>,
    projected: u64,
}

/// Runs `purge`.
pub fn run(context: &Context, args: &PurgeArgs, out: &mut Out) -> Result<(), CliError> {
    if !args.has_selector() {
        return Err(CliError::NoSelector);
    }
    let mut source = if args.stale {
        Some(context.source()?)
    } else {
        None
    };
    let location = context.location()?;
    let cache = dir::open(&location)?;
    let snapshot = Snapshot::read(&cache)?;
    if let Some(source) = &mut source {
        source.judge_build(&cache)?;
    }
    let functions = args
        .functions
        .iter()
        .map(|wanted| snapshot.resolve(wanted, &location.path))
        .collect::<Result<_, _>>()?;
    let criteria = removal::criteria(args, functions, context.now);
    let outcome = if args.dry_run {
        preview(&snapshot, &criteria, source.as_ref())
    } else {
        purge(cache, snapshot, &criteria, source.as_ref())?
    };
    let dir = &location.path;
    if args.json {
        out.json(&report(dir, args, &outcome))
    } else {
        render(args, &outcome, out)
    }
}

fn facts<'s>(entries: &[&'s EntryInfo], source: Option<&Source>) -> Vec<Facts<'s>> {
    entries
        .iter()
        .map(|e| Facts {
            fn_id: &e.fn_id,
            size: e.size,
            created: e.created,
            last_used: e.last_used,
            status: source.map(|s| s.status(&e.fn_id, e.fingerprint.as_bytes())),
        })
        .collect()
}

/// The whole choice at once, from the sizes on disk now.
fn preview(snapshot: &Snapshot, criteria: &Criteria, source: Option<&Source>) -> Outcome {
    let entries: Vec<&EntryInfo> = snapshot.all_entries().collect();
    let plan = select::plan(&facts(&entries, source), criteria, snapshot.disk.total());
    let pick = |indices: &[usize]| -> Vec<EntryInfo> {
        indices.iter().map(|&i| entries[i].clone()).collect()
    };
    let selected = pick(&plan.selected);
    let evicted = pick(&plan.evicted);
    let mut gone: Vec<bool> = vec![false; entries.len()];
    for i in plan.all() {
        gone[i] = true;
    }
    let remaining = Amount::of(sizes(
        entries
            .iter()
            .zip(&gone)
            .filter(|(_, gone)| !**gone)
            .map(|(e, _)| *e),
    ));
    Outcome {
        removed: selected
            .into_iter()
            .chain(evicted.iter().cloned())
            .collect(),
        evicted,
        remaining,
        before: snapshot.disk,
        after: None,
        projected: plan.projected,
    }
}

/// Removes, and for `--max-size` evicts until the directory fits.
fn purge(
    cache: CacheDir,
    snapshot: Snapshot,
    criteria: &Criteria,
    source: Option<&Source>,
) -> Result<Outcome, CliError> {
    let before = snapshot.disk;
    let entries: Vec<&EntryInfo> = snapshot.all_entries().collect();
    let filters_only = Criteria {
        max_size: None,
        ..criteria.clone()
    };
    let plan = select::plan(&facts(&entries, source), &filters_only, before.total());
    let mut removed: Vec<EntryInfo> = plan.selected.iter().map(|&i| entries[i].clone()).collect();
    let mut evicted: Vec<EntryInfo> = Vec::new();
    remove(&cache, &removed)?;
    if let Some(limit) = criteria.max_size {
        for _ in 0..MAX_ROUNDS {
            let now = Snapshot::read(&cache)?;
            if now.disk.total() <= limit {
                break;
            }
            let left: Vec<&EntryInfo> = now.all_entries().collect();
            let size_only = Criteria {
                max_size: Some(limit),
                ..Criteria::default()
            };
            let plan = select::plan(&facts(&left, None), &size_only, now.disk.total());
            if plan.evicted.is_empty() {
                break;
            }
            let round: Vec<EntryInfo> = plan.evicted.iter().map(|&i| left[i].clone()).collect();
            remove(&cache, &round)?;
            evicted.extend(round);
        }
    }
    removed.extend(evicted.iter().cloned());
    let after = Snapshot::read(&cache)?;
    Ok(Outcome {
        removed,
        evicted,
        remaining: Amount::of(sizes(after.all_entries())),
        before,
        after: Some(after.disk),
        projected: after.disk.total(),
    })
}

fn remove(cache: &CacheDir, entries: &[EntryInfo]) -> Result<(), CliError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut progress = Progress::new(entries.len() as u64, "removing");
    let result = cache.remove_with_progress(entries, |done| progress.set(done));
    progress.finish();
    result?;
    Ok(())
}

/// Sizes of `entries`, for [`Amount::of`].
fn sizes<'e>(entries: impl IntoIterator<Item = &'e EntryInfo>) -> impl Iterator<Item = u64> {
    entries.into_iter().map(|e| e.size)
}

fn per_function(entries: &[EntryInfo]) -> Vec<FunctionAmount> {
    removal::per_function(entries.iter().map(|e| (e.fn_id.as_str(), e.size)))
}

fn report<'a>(dir: &'a Path, args: &PurgeArgs, outcome: &Outcome) -> PurgeReport<'a> {
    PurgeReport {
        dir,
        dry_run: args.dry_run,
        removed: Amount::of(sizes(&outcome.removed)),
        evicted: Amount::of(sizes(&outcome.evicted)),
        functions: per_function(&outcome.removed),
        remaining: outcome.remaining,
        max_size: args.max_size,
        disk_before: outcome.before.into(),
        disk_after: outcome.after.map(DiskJson::from),
        reclaimed: outcome
            .after
            .map(|after| outcome.before.total() as i64 - after.total() as i64),
        projected_total: outcome.projected,
    }
}

fn render(args: &PurgeArgs, outcome: &Outcome, out: &mut Out) -> Result<(), CliError> {
    let removed = Amount::of(sizes(&outcome.removed));
    let functions = per_function(&outcome.removed);
    removal::removed_lines(args.dry_run, removed, &functions, "", out)?;
    if let Some(limit) = args.max_size {
        let evicted = Amount::of(sizes(&outcome.evicted));
        out.line(format!(
            "--max-size {}: {} evicted, least recently used first",
            output::size(limit),
            output::count(evicted.entries, "entry", "entries"),
        ))?;
    }
    let remaining = removal::remaining_line(outcome.remaining, args.dry_run);
    match outcome.after {
        Some(after) => {
            let reclaimed = outcome.before.total() as i64 - after.total() as i64;
            out.line(format!(
                "on disk: {} -> {} ({} reclaimed)",
                output::size(outcome.before.total()),
                output::size(after.total()),
                if reclaimed >= 0 {
                    output::size(reclaimed as u64)
                } else {
                    format!("-{}", output::size(reclaimed.unsigned_abs()))
                },
            ))?;
            out.line(remaining)?;
        }
        None => {
            out.line(format!(
                "dry run, nothing changed; on disk {} now, about {} after",
                output::size(outcome.before.total()),
                output::size(outcome.projected),
            ))?;
            out.line(remaining)?;
        }
    }
    if let Some(limit) = args.max_size.filter(|&limit| outcome.projected > limit) {
        out.line(format!(
            "the directory stays over {}: what is left is the database's own overhead",
            output::size(limit)
        ))?;
    }
    Ok(())
}
