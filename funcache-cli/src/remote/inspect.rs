//! `inspect --remote [URL] [FN]`: what the remote holds, per function or
//! per entry.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use funcache::{Fingerprint, RemoteEntry};
use serde::Serialize;

use super::{RemoteSnapshot, Summary, summary};
use crate::Context;
use crate::args::InspectArgs;
use crate::error::CliError;
use crate::output::{self, Align, Out, Table};
use crate::source::{Source, Status};

/// `inspect --remote --json` without FN.
#[derive(Serialize)]
struct RemoteReport<'a> {
    /// The remote's URL, with its password as `***`.
    remote: &'a str,
    /// The package compared with; null without --manifest-path.
    source: Option<&'a Path>,
    functions: Vec<FunctionJson>,
}

/// `inspect --remote FN --json`.
#[derive(Serialize)]
struct FunctionReport<'a> {
    remote: &'a str,
    source: Option<&'a Path>,
    function: FunctionJson,
    /// Newest entry first.
    entries: Vec<EntryJson>,
}

#[derive(Serialize)]
struct FunctionJson {
    id: String,
    entries: u64,
    /// Bytes of the stored envelopes.
    bytes: u64,
    fingerprints: Vec<FingerprintJson>,
    oldest: Option<String>,
    newest: Option<String>,
}

#[derive(Serialize)]
struct FingerprintJson {
    fingerprint: String,
    entries: u64,
    bytes: u64,
    status: Option<Status>,
}

#[derive(Serialize)]
struct EntryJson {
    fingerprint: String,
    args_key: String,
    size: u64,
    /// RFC 3339; null when the value is unreadable.
    created: Option<String>,
    /// Seconds until Redis drops it (the function's `ttl`); null: never.
    expires_in_seconds: Option<f64>,
    compute_seconds: f64,
    readable: bool,
    status: Option<Status>,
}

/// Runs `inspect --remote`.
pub fn run(
    context: &Context,
    args: &InspectArgs,
    url: &str,
    out: &mut Out,
) -> Result<(), CliError> {
    let source = match &context.manifest_path {
        Some(_) => Some(context.source()?),
        None => None,
    };
    let remote = super::connect(url)?;
    let snapshot = RemoteSnapshot::read(&remote)?;
    let view = View {
        url: &snapshot.url,
        source: source.as_ref(),
        now: context.now,
    };
    match &args.function {
        None if args.json => out.json(&RemoteReport {
            remote: view.url,
            source: view.source_path(),
            functions: snapshot
                .entries
                .iter()
                .map(|(id, entries)| view.function_json(&summary(id, entries), entries))
                .collect(),
        }),
        None => view.remote_table(&snapshot.summaries(), out),
        Some(wanted) => {
            let id = snapshot.resolve(wanted)?;
            let entries = &snapshot.entries[&id];
            let mut sorted: Vec<&RemoteEntry> = entries.iter().collect();
            // Newest first.
            sorted.sort_by_key(|e| std::cmp::Reverse((e.created, e.fingerprint)));
            let function = summary(&id, entries);
            if args.json {
                out.json(&FunctionReport {
                    remote: view.url,
                    source: view.source_path(),
                    function: view.function_json(&function, entries),
                    entries: sorted.iter().map(|e| view.entry_json(e)).collect(),
                })
            } else {
                view.function_table(&function, &sorted, out)
            }
        }
    }
}

struct View<'a> {
    url: &'a str,
    source: Option<&'a Source>,
    now: SystemTime,
}

impl View<'_> {
    fn source_path(&self) -> Option<&Path> {
        self.source.map(|s| s.manifest_dir.as_path())
    }

    fn status(&self, id: &str, fingerprint: &Fingerprint) -> Option<Status> {
        self.source.map(|s| s.status(id, fingerprint.as_bytes()))
    }

    fn function_json(&self, function: &Summary, entries: &[RemoteEntry]) -> FunctionJson {
        let mut by_fingerprint: BTreeMap<Fingerprint, (u64, u64)> = BTreeMap::new();
        for entry in entries {
            let totals = by_fingerprint.entry(entry.fingerprint).or_default();
            totals.0 += 1;
            totals.1 += entry.size;
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
        }
    }

    fn entry_json(&self, entry: &RemoteEntry) -> EntryJson {
        EntryJson {
            fingerprint: output::hex(entry.fingerprint.as_bytes()),
            args_key: output::hex(entry.args_key.as_bytes()),
            size: entry.size,
            created: entry.readable.then(|| output::timestamp(entry.created)),
            expires_in_seconds: entry.expires_in.map(|d| d.as_secs_f64()),
            compute_seconds: entry.compute_time.as_secs_f64(),
            readable: entry.readable,
            status: self.status(&entry.fn_id, &entry.fingerprint),
        }
    }

    fn remote_table(&self, functions: &[Summary], out: &mut Out) -> Result<(), CliError> {
        let place = format!("on remote {}", self.url);
        if functions.is_empty() {
            return out.line(format!("no entries {place}"));
        }
        let mut columns = vec![
            ("ENTRIES", Align::Right),
            ("SIZE", Align::Right),
            ("FPS", Align::Right),
            ("OLDEST", Align::Right),
            ("NEWEST", Align::Right),
        ];
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
            if self.source.is_some() {
                row.push(self.function_status(function));
            }
            row.push(function.id.clone());
            table.row(row);
        }
        for line in table.render() {
            out.line(line)?;
        }
        let entries: u64 = functions.iter().map(|f| f.entries).sum();
        let bytes: u64 = functions.iter().map(|f| f.bytes).sum();
        out.line("")?;
        out.line(format!(
            "{}, {}, {} of values {place}",
            output::count(functions.len() as u64, "function", "functions"),
            output::count(entries, "entry", "entries"),
            output::size(bytes)
        ))
    }

    /// One word for a function's fingerprints against the source.
    fn function_status(&self, function: &Summary) -> String {
        let statuses: Vec<Status> = function
            .fingerprints
            .iter()
            .filter_map(|fp| self.status(&function.id, fp))
            .collect();
        match (
            statuses.contains(&Status::Live),
            statuses.contains(&Status::Stale),
        ) {
            (true, true) => "live+stale".to_owned(),
            (true, false) => "live".to_owned(),
            (false, true) => "stale".to_owned(),
            (false, false) => statuses.first().map_or("-", |s| s.as_str()).to_owned(),
        }
    }

    fn function_table(
        &self,
        function: &Summary,
        entries: &[&RemoteEntry],
        out: &mut Out,
    ) -> Result<(), CliError> {
        out.line(format!(
            "{}: {}, {}, {} on remote {}",
            function.id,
            output::count(function.entries, "entry", "entries"),
            output::size(function.bytes),
            output::count(
                function.fingerprints.len() as u64,
                "fingerprint",
                "fingerprints"
            ),
            self.url,
        ))?;
        let mut columns = vec![
            ("FINGERPRINT", Align::Left),
            ("ARGS#", Align::Left),
            ("SIZE", Align::Right),
            ("CREATED", Align::Right),
            ("EXPIRES", Align::Right),
            ("TOOK", Align::Right),
        ];
        if self.source.is_some() {
            columns.push(("SOURCE", Align::Left));
        }
        let mut table = Table::new(&columns);
        for entry in entries {
            let expires = entry.expires_in.map_or("never".to_owned(), |left| {
                format!(
                    "in {}",
                    humantime::format_duration(std::time::Duration::from_secs(left.as_secs()))
                )
            });
            let (created, took) = if entry.readable {
                (
                    output::ago(entry.created, self.now),
                    output::took(entry.compute_time),
                )
            } else {
                ("unreadable".to_owned(), "-".to_owned())
            };
            let mut row = vec![
                output::short(entry.fingerprint.as_bytes()),
                output::key_tag(entry.args_key.as_bytes()),
                output::size(entry.size),
                created,
                expires,
                took,
            ];
            if let Some(status) = self.status(&entry.fn_id, &entry.fingerprint) {
                row.push(status.as_str().to_owned());
            }
            table.row(row);
        }
        for line in table.render() {
            out.line(line)?;
        }
        Ok(())
    }
}
