//! The parts of a purge that do not depend on where the entries live: the
//! selectors turned into [`Criteria`], and what was removed counted and
//! shown. `purge` (a cache directory) and `purge --remote` (Redis) are two
//! backends behind this one path.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::args::PurgeArgs;
use crate::error::CliError;
use crate::output::{self, Align, Out, Table};
use crate::select::Criteria;

/// The selectors of `args`, with `functions` already resolved to ids and
/// ages counted back from `now`.
pub fn criteria(args: &PurgeArgs, functions: BTreeSet<String>, now: SystemTime) -> Criteria {
    // An age past the clock's range means "before anything".
    let cutoff = |age| now.checked_sub(age).unwrap_or(UNIX_EPOCH);
    Criteria {
        all: args.all,
        functions,
        stale: args.stale,
        created_before: args.older_than.map(cutoff),
        used_before: args.unused_for.map(cutoff),
        max_size: args.max_size,
    }
}

/// A number of entries and their bytes.
#[derive(Serialize, Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub entries: u64,
    pub bytes: u64,
}

impl Amount {
    /// Entries of these sizes (bytes).
    pub fn of(sizes: impl IntoIterator<Item = u64>) -> Amount {
        sizes.into_iter().fold(Amount::default(), |a, size| Amount {
            entries: a.entries + 1,
            bytes: a.bytes + size,
        })
    }
}

/// What one function lost.
#[derive(Serialize)]
pub struct FunctionAmount {
    pub id: String,
    pub entries: u64,
    pub bytes: u64,
}

/// (function id, size) of each removed entry, summed per function and
/// sorted by id.
pub fn per_function<'e>(entries: impl IntoIterator<Item = (&'e str, u64)>) -> Vec<FunctionAmount> {
    let mut by_id: BTreeMap<&str, Amount> = BTreeMap::new();
    for (id, size) in entries {
        let amount = by_id.entry(id).or_default();
        amount.entries += 1;
        amount.bytes += size;
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

/// "removed N entries (S of values) from K functions{place}:" and the
/// per-function table under it, or "nothing to remove{place}". `place` is
/// `""` for a directory and `" on remote <url>"` for a remote.
pub fn removed_lines(
    dry_run: bool,
    removed: Amount,
    functions: &[FunctionAmount],
    place: &str,
    out: &mut Out,
) -> Result<(), CliError> {
    if functions.is_empty() {
        return out.line(format!("nothing to remove{place}"));
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    out.line(format!(
        "{verb} {} ({} of values) from {}{place}:",
        output::count(removed.entries, "entry", "entries"),
        output::size(removed.bytes),
        output::count(functions.len() as u64, "function", "functions"),
    ))?;
    let mut table = Table::new(&[
        ("ENTRIES", Align::Right),
        ("SIZE", Align::Right),
        ("FUNCTION", Align::Left),
    ]);
    for function in functions {
        table.row(vec![
            function.entries.to_string(),
            output::size(function.bytes),
            function.id.clone(),
        ]);
    }
    for line in table.render() {
        out.line(format!("  {line}"))?;
    }
    Ok(())
}

/// "N entries (S) would remain" for a dry run, else "... remain(s)".
pub fn remaining_line(remaining: Amount, dry_run: bool) -> String {
    let verb = match (dry_run, remaining.entries) {
        (true, _) => "would remain",
        (false, 1) => "remains",
        (false, _) => "remain",
    };
    format!(
        "{} ({}) {verb}",
        output::count(remaining.entries, "entry", "entries"),
        output::size(remaining.bytes)
    )
}
