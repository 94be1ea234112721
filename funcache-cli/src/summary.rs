//! Per-function summaries as JSON and as a table, and the frame of the
//! per-entry tables: one rendering for a cache directory (`inspect`) and a
//! remote (`inspect --remote`), so both print the same columns where they
//! mean the same thing. A remote records no hits or misses, so its rows
//! leave those columns (and JSON fields) out rather than show zeros.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use funcache::{Fingerprint, FunctionSummary};
use serde::Serialize;

use crate::error::CliError;
use crate::output::{self, Align, Out, Table};
use crate::source::{Source, Status};

/// One function in `inspect --json` (with or without `--remote`).
#[derive(Serialize)]
pub struct FunctionJson {
    id: String,
    entries: u64,
    /// Bytes of stored values (blobs included; on a remote, the stored
    /// envelopes).
    bytes: u64,
    fingerprints: Vec<FingerprintJson>,
    /// RFC 3339 (UTC) creation time of the oldest and newest (readable)
    /// entry.
    oldest: Option<String>,
    newest: Option<String>,
    /// Only where recorded (a cache directory).
    #[serde(flatten)]
    usage: Option<UsageJson>,
}

/// Recorded by the programs that used the directory.
#[derive(Serialize)]
struct UsageJson {
    hits: u64,
    misses: u64,
}

#[derive(Serialize)]
struct FingerprintJson {
    /// 64 hex digits.
    fingerprint: String,
    entries: u64,
    bytes: u64,
    /// live, stale, gone or unknown; null without --manifest-path.
    status: Option<Status>,
}

/// What every rendering needs: the source compared with, the time, and
/// whether hits and misses were recorded (a directory) or not (a remote).
pub struct Lens<'a> {
    pub source: Option<&'a Source>,
    pub now: SystemTime,
    pub usage_recorded: bool,
}

impl Lens<'_> {
    /// The package compared with; `None` without `--manifest-path`.
    pub fn source_path(&self) -> Option<&Path> {
        self.source.map(|s| s.manifest_dir.as_path())
    }

    /// `fingerprint` of function `id` against the source, if one is given.
    pub fn status(&self, id: &str, fingerprint: &Fingerprint) -> Option<Status> {
        self.source.map(|s| s.status(id, fingerprint.as_bytes()))
    }

    /// `function` as JSON; `sizes` is (fingerprint, bytes) of each of its
    /// entries, for the per-fingerprint totals.
    pub fn function_json(
        &self,
        function: &FunctionSummary,
        sizes: impl Iterator<Item = (Fingerprint, u64)>,
    ) -> FunctionJson {
        let mut by_fingerprint: BTreeMap<Fingerprint, (u64, u64)> = BTreeMap::new();
        for (fingerprint, size) in sizes {
            let totals = by_fingerprint.entry(fingerprint).or_default();
            totals.0 += 1;
            totals.1 += size;
        }
        FunctionJson {
            id: function.id.clone(),
            entries: function.entries,
            bytes: function.bytes,
            fingerprints: by_fingerprint
                .into_iter()
                .map(|(fingerprint, (entries, bytes))| FingerprintJson {
                    fingerprint: output::hex(fingerprint.as_bytes()),
                    entries,
                    bytes,
                    status: self.status(&function.id, &fingerprint),
                })
                .collect(),
            oldest: function.oldest.map(output::timestamp),
            newest: function.newest.map(output::timestamp),
            usage: self.usage_recorded.then_some(UsageJson {
                hits: function.usage.hits,
                misses: function.usage.misses,
            }),
        }
    }

    /// One word for a function's fingerprints against the source.
    fn function_status(&self, function: &FunctionSummary) -> String {
        let statuses: Vec<Status> = function
            .fingerprints
            .iter()
            .filter_map(|fp| self.status(&function.id, fp))
            .collect();
        let live = statuses.contains(&Status::Live);
        let stale = statuses.contains(&Status::Stale);
        match (live, stale) {
            (true, true) => "live+stale".to_owned(),
            (true, false) => "live".to_owned(),
            (false, true) => "stale".to_owned(),
            (false, false) => statuses.first().map_or("-", |s| s.as_str()).to_owned(),
        }
    }

    /// The table of `functions` (not empty) and the totals line under it,
    /// ending in `place` (`""`, or `" on remote <url>"`).
    pub fn functions_table(
        &self,
        functions: &[FunctionSummary],
        place: &str,
        out: &mut Out,
    ) -> Result<(), CliError> {
        let mut columns = vec![
            ("ENTRIES", Align::Right),
            ("SIZE", Align::Right),
            ("FPS", Align::Right),
            ("OLDEST", Align::Right),
            ("NEWEST", Align::Right),
        ];
        if self.usage_recorded {
            columns.extend([("HITS", Align::Right), ("MISSES", Align::Right)]);
        }
        if self.source.is_some() {
            columns.push(("SOURCE", Align::Left));
        }
        columns.push(("FUNCTION", Align::Left));
        let mut table = Table::new(&columns);
        let when = |time: Option<SystemTime>| time.map_or("-".into(), |t| output::ago(t, self.now));
        for function in functions {
            let mut row = vec![
                function.entries.to_string(),
                output::size(function.bytes),
                function.fingerprints.len().to_string(),
                when(function.oldest),
                when(function.newest),
            ];
            if self.usage_recorded {
                row.push(function.usage.hits.to_string());
                row.push(function.usage.misses.to_string());
            }
            if self.source.is_some() {
                row.push(self.function_status(function));
            }
            row.push(function.id.clone());
            table.row(row);
        }
        print(&table, out)?;
        let entries: u64 = functions.iter().map(|f| f.entries).sum();
        let bytes: u64 = functions.iter().map(|f| f.bytes).sum();
        out.line("")?;
        out.line(format!(
            "{}, {}, {} of values{place}",
            output::count(functions.len() as u64, "function", "functions"),
            output::count(entries, "entry", "entries"),
            output::size(bytes)
        ))
    }

    /// The line above a function's entry table: its counts (and hits and
    /// misses where recorded), ending in `place` as for
    /// [`Lens::functions_table`].
    pub fn function_heading(&self, function: &FunctionSummary, place: &str) -> String {
        let usage = if self.usage_recorded {
            format!(
                ", {}, {}",
                output::count(function.usage.hits, "hit", "hits"),
                output::count(function.usage.misses, "miss", "misses"),
            )
        } else {
            String::new()
        };
        format!(
            "{}: {}, {}, {}{usage}{place}",
            function.id,
            output::count(function.entries, "entry", "entries"),
            output::size(function.bytes),
            output::count(
                function.fingerprints.len() as u64,
                "fingerprint",
                "fingerprints"
            ),
        )
    }

    /// An entry table with `columns`, and SOURCE last when comparing with
    /// a source; rows get their status cell from [`Lens::entry_row`].
    pub fn entry_table(&self, mut columns: Vec<(&'static str, Align)>) -> Table {
        if self.source.is_some() {
            columns.push(("SOURCE", Align::Left));
        }
        Table::new(&columns)
    }

    /// Adds `cells` to `table`, then the entry's SOURCE cell when comparing
    /// with a source.
    pub fn entry_row(
        &self,
        table: &mut Table,
        mut cells: Vec<String>,
        id: &str,
        fingerprint: &Fingerprint,
    ) {
        if let Some(status) = self.status(id, fingerprint) {
            cells.push(status.as_str().to_owned());
        }
        table.row(cells);
    }
}

/// Writes `table`'s lines.
pub fn print(table: &Table, out: &mut Out) -> Result<(), CliError> {
    for line in table.render() {
        out.line(line)?;
    }
    Ok(())
}
