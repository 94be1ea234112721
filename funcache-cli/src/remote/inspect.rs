//! `inspect --remote [URL] [FN]`: what the remote holds, per function or
//! per entry.

use std::path::Path;

use funcache::{FunctionSummary, RemoteEntry};
use serde::Serialize;

use super::RemoteSnapshot;
use crate::Context;
use crate::args::InspectArgs;
use crate::error::CliError;
use crate::output::{self, Align, Out};
use crate::source::Status;
use crate::summary::{self, FunctionJson, Lens};

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
        place: format!(" on remote {}", snapshot.url),
        url: &snapshot.url,
        lens: Lens {
            source: source.as_ref(),
            now: context.now,
            usage_recorded: false,
        },
    };
    let functions = snapshot.functions();
    match &args.function {
        None if args.json => out.json(&RemoteReport {
            remote: view.url,
            source: view.lens.source_path(),
            functions: functions
                .iter()
                .map(|f| view.function_json(f, &snapshot.entries[&f.id]))
                .collect(),
        }),
        None if functions.is_empty() => out.line(format!("no entries{}", view.place)),
        None => view.lens.functions_table(&functions, &view.place, out),
        Some(wanted) => {
            let id = snapshot.resolve(wanted)?;
            let entries = &snapshot.entries[&id];
            let mut sorted: Vec<&RemoteEntry> = entries.iter().collect();
            // Newest first.
            sorted.sort_by_key(|e| std::cmp::Reverse((e.created, e.fingerprint)));
            let function = functions
                .iter()
                .find(|f| f.id == id)
                .expect("resolved ids exist");
            if args.json {
                out.json(&FunctionReport {
                    remote: view.url,
                    source: view.lens.source_path(),
                    function: view.function_json(function, entries),
                    entries: sorted.iter().map(|e| view.entry_json(e)).collect(),
                })
            } else {
                view.function_table(function, &sorted, out)
            }
        }
    }
}

/// What every rendering needs.
struct View<'a> {
    /// The URL, with its password as `***`.
    url: &'a str,
    /// ` on remote <url>`, where the directory's lines name nothing.
    place: String,
    lens: Lens<'a>,
}

impl View<'_> {
    fn function_json(&self, function: &FunctionSummary, entries: &[RemoteEntry]) -> FunctionJson {
        let sizes = entries.iter().map(|e| (e.fingerprint, e.size));
        self.lens.function_json(function, sizes)
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
            status: self.lens.status(&entry.fn_id, &entry.fingerprint),
        }
    }

    fn function_table(
        &self,
        function: &FunctionSummary,
        entries: &[&RemoteEntry],
        out: &mut Out,
    ) -> Result<(), CliError> {
        out.line(self.lens.function_heading(function, &self.place))?;
        let mut table = self.lens.entry_table(vec![
            ("FINGERPRINT", Align::Left),
            ("ARGS#", Align::Left),
            ("SIZE", Align::Right),
            ("CREATED", Align::Right),
            ("EXPIRES", Align::Right),
            ("TOOK", Align::Right),
        ]);
        for entry in entries {
            let expires = entry.expires_in.map_or("never".to_owned(), |left| {
                format!(
                    "in {}",
                    humantime::format_duration(std::time::Duration::from_secs(left.as_secs()))
                )
            });
            let (created, took) = if entry.readable {
                (
                    output::ago(entry.created, self.lens.now),
                    output::took(entry.compute_time),
                )
            } else {
                ("unreadable".to_owned(), "-".to_owned())
            };
            let cells = vec![
                output::short(entry.fingerprint.as_bytes()),
                output::key_tag(entry.args_key.as_bytes()),
                output::size(entry.size),
                created,
                expires,
                took,
            ];
            self.lens
                .entry_row(&mut table, cells, &entry.fn_id, &entry.fingerprint);
        }
        summary::print(&table, out)
    }
}
