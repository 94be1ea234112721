//! `purge --remote [URL]`: removes the entries the selectors choose from
//! the remote, with the same rules as a directory's purge (see
//! `select.rs`). Everything is checked (the URL, the function ids, the
//! source for `--stale`) before the first removal.

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use funcache::RemoteEntry;
use serde::Serialize;

use super::RemoteSnapshot;
use crate::Context;
use crate::args::PurgeArgs;
use crate::error::CliError;
use crate::output::{self, Align, Out, Table};
use crate::select::{self, Criteria, Facts};

/// `purge --remote --json`.
#[derive(Serialize)]
struct RemotePurgeReport<'a> {
    /// The remote's URL, with its password as `***`.
    remote: &'a str,
    dry_run: bool,
    /// What was removed (or would be).
    removed: Amount,
    /// Removed per function, sorted by id.
    functions: Vec<FunctionAmount>,
    /// What is left.
    remaining: Amount,
}

#[derive(Serialize, Default, Clone, Copy)]
struct Amount {
    entries: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct FunctionAmount {
    id: String,
    entries: u64,
    bytes: u64,
}

/// Runs `purge --remote`.
pub fn run(context: &Context, args: &PurgeArgs, url: &str, out: &mut Out) -> Result<(), CliError> {
    if !args.has_selector() {
        return Err(CliError::NoSelector);
    }
    if args.unused_for.is_some() {
        return Err(CliError::NotOnRemoteOption(
            "--unused-for",
            "records no reads",
        ));
    }
    if args.max_size.is_some() {
        return Err(CliError::NotOnRemoteOption(
            "--max-size",
            "has no size on disk to fit (Redis evicts by its own maxmemory policy)",
        ));
    }
    let source = if args.stale {
        Some(context.source()?)
    } else {
        None
    };
    let remote = super::connect(url)?;
    let snapshot = RemoteSnapshot::read(&remote)?;
    let functions = args
        .functions
        .iter()
        .map(|wanted| snapshot.resolve(wanted))
        .collect::<Result<_, _>>()?;
    let cutoff = |age| context.now.checked_sub(age).unwrap_or(UNIX_EPOCH);
    let criteria = Criteria {
        all: args.all,
        functions,
        stale: args.stale,
        created_before: args.older_than.map(cutoff),
        used_before: None,
        max_size: None,
    };
    let entries: Vec<&RemoteEntry> = snapshot.all_entries().collect();
    let facts: Vec<Facts> = entries
        .iter()
        .map(|e| Facts {
            fn_id: &e.fn_id,
            size: e.size,
            created: e.created,
            last_used: e.created,
            status: source
                .as_ref()
                .map(|s| s.status(&e.fn_id, e.fingerprint.as_bytes())),
        })
        .collect();
    let plan = select::plan(&facts, &criteria, 0);
    let chosen: Vec<RemoteEntry> = plan.selected.iter().map(|&i| entries[i].clone()).collect();
    let (removed, remaining) = if args.dry_run {
        let total = amount(entries.iter().copied());
        let planned = amount(&chosen);
        let remaining = Amount {
            entries: total.entries - planned.entries,
            bytes: total.bytes - planned.bytes,
        };
        (planned, remaining)
    } else {
        let removed = remote.remove(&chosen)?;
        // Read again: other machines may have written meanwhile.
        let remaining = amount(&remote.entries()?);
        let removed = Amount {
            entries: removed.entries,
            bytes: removed.bytes,
        };
        (removed, remaining)
    };
    let report = RemotePurgeReport {
        remote: &snapshot.url,
        dry_run: args.dry_run,
        removed,
        functions: per_function(&chosen),
        remaining,
    };
    if args.json {
        out.json(&report)
    } else {
        render(&report, out)
    }
}

fn amount<'e>(entries: impl IntoIterator<Item = &'e RemoteEntry>) -> Amount {
    entries.into_iter().fold(Amount::default(), |a, e| Amount {
        entries: a.entries + 1,
        bytes: a.bytes + e.size,
    })
}

fn per_function(entries: &[RemoteEntry]) -> Vec<FunctionAmount> {
    let mut by_id: BTreeMap<&str, Amount> = BTreeMap::new();
    for entry in entries {
        let amount = by_id.entry(&entry.fn_id).or_default();
        amount.entries += 1;
        amount.bytes += entry.size;
    }
    by_id
        .into_iter()
        .map(|(id, a)| FunctionAmount {
            id: id.to_owned(),
            entries: a.entries,
            bytes: a.bytes,
        })
        .collect()
}

fn render(report: &RemotePurgeReport, out: &mut Out) -> Result<(), CliError> {
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    if report.functions.is_empty() {
        out.line(format!("nothing to remove on remote {}", report.remote))?;
    } else {
        let planned: u64 = report.functions.iter().map(|f| f.entries).sum();
        let bytes: u64 = report.functions.iter().map(|f| f.bytes).sum();
        let (entries, bytes) = if report.dry_run {
            (planned, bytes)
        } else {
            (report.removed.entries, report.removed.bytes)
        };
        out.line(format!(
            "{verb} {} ({} of values) from {} on remote {}:",
            output::count(entries, "entry", "entries"),
            output::size(bytes),
            output::count(report.functions.len() as u64, "function", "functions"),
            report.remote,
        ))?;
        let mut table = Table::new(&[
            ("ENTRIES", Align::Right),
            ("SIZE", Align::Right),
            ("FUNCTION", Align::Left),
        ]);
        for function in &report.functions {
            table.row(vec![
                function.entries.to_string(),
                output::size(function.bytes),
                function.id.clone(),
            ]);
        }
        for line in table.render() {
            out.line(format!("  {line}"))?;
        }
    }
    let remaining = format!(
        "{} ({})",
        output::count(report.remaining.entries, "entry", "entries"),
        output::size(report.remaining.bytes)
    );
    if report.dry_run {
        out.line(format!(
            "dry run, nothing changed; {remaining} would remain"
        ))
    } else {
        let verb = if report.remaining.entries == 1 {
            "remains"
        } else {
            "remain"
        };
        out.line(format!("{remaining} {verb}"))
    }
}
