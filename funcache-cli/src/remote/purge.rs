//! `purge --remote [URL]`: removes the entries the selectors choose from
//! the remote, with the same rules as a directory's purge (see
//! `select.rs`). Everything is checked (the URL, the function ids, the
//! source for `--stale`) before the first removal.

use funcache::RemoteEntry;
use serde::Serialize;

use super::RemoteSnapshot;
use crate::Context;
use crate::args::PurgeArgs;
use crate::error::CliError;
use crate::output::Out;
use crate::removal::{self, Amount, FunctionAmount};
use crate::select::{self, Facts};

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
    // (--unused-for and --max-size were refused above, so they are None.)
    let criteria = removal::criteria(args, functions, context.now);
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
        let total = Amount::of(sizes(entries.iter().copied()));
        let planned = Amount::of(sizes(&chosen));
        let remaining = Amount {
            entries: total.entries - planned.entries,
            bytes: total.bytes - planned.bytes,
        };
        (planned, remaining)
    } else {
        let removed = remote.remove(&chosen)?;
        // Read again: other machines may have written meanwhile.
        let remaining = Amount::of(sizes(&remote.entries()?));
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
        functions: removal::per_function(chosen.iter().map(|e| (e.fn_id.as_str(), e.size))),
        remaining,
    };
    if args.json {
        out.json(&report)
    } else {
        render(&report, out)
    }
}

/// Sizes of `entries`, for [`Amount::of`].
fn sizes<'e>(entries: impl IntoIterator<Item = &'e RemoteEntry>) -> impl Iterator<Item = u64> {
    entries.into_iter().map(|e| e.size)
}

fn render(report: &RemotePurgeReport, out: &mut Out) -> Result<(), CliError> {
    let place = format!(" on remote {}", report.remote);
    removal::removed_lines(
        report.dry_run,
        report.removed,
        &report.functions,
        &place,
        out,
    )?;
    let remaining = removal::remaining_line(report.remaining, report.dry_run);
    if report.dry_run {
        out.line(format!("dry run, nothing changed; {remaining}"))
    } else {
        out.line(remaining)
    }
}
