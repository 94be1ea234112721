//! `inspect [FN]`: what a cache directory holds, per function or per entry.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use funcache::{EntryInfo, Fingerprint, FunctionSummary};
use serde::Serialize;

use crate::args::InspectArgs;
use crate::error::CliError;
use crate::output::{self, Align, Out};
use crate::snapshot::Snapshot;
use crate::source::Status;
use crate::summary::{self, FunctionJson, Lens};
use crate::{Context, dir};

/// `inspect --json` without FN.
#[derive(Serialize)]
struct DirectoryReport<'a> {
    /// The cache directory.
    dir: &'a Path,
    /// The package (or workspace) compared with; null without --manifest-path.
    source: Option<&'a Path>,
    /// Bytes on disk.
    disk: DiskJson,
    /// Functions with entries, sorted by id.
    functions: Vec<FunctionJson>,
}

/// `inspect FN --json`.
#[derive(Serialize)]
struct FunctionReport<'a> {
    dir: &'a Path,
    source: Option<&'a Path>,
    function: FunctionJson,
    /// Its entries, newest fingerprint first, newest entry first.
    entries: Vec<EntryJson>,
}

/// Bytes on disk of a cache directory.
#[derive(Serialize)]
pub struct DiskJson {
    /// The database's pages in use.
    pub database: u64,
    /// Blob files.
    pub blobs: u64,
    /// Both.
    pub total: u64,
    /// The size limit programs enforce, as `FUNCACHE_MAX_SIZE` in this
    /// environment says (null: none).
    pub limit: Option<u64>,
}

impl From<funcache::DiskUsage> for DiskJson {
    fn from(usage: funcache::DiskUsage) -> Self {
        DiskJson {
            database: usage.database,
            blobs: usage.blobs,
            total: usage.total(),
            limit: funcache::max_size(),
        }
    }
}

#[derive(Serialize)]
struct EntryJson {
    fingerprint: String,
    /// The arguments key as hex (the digest of the arguments, or for small
    /// ones their encoding: its length depends on the runtime's key format).
    args_key: String,
    /// Bytes on disk: the database value plus the blob, if any.
    size: u64,
    /// Whether the value is in a blob file.
    blob: bool,
    created: String,
    last_used: String,
    compute_seconds: f64,
    /// Whether this funcache can read the entry (else it will be recomputed).
    readable: bool,
    status: Option<Status>,
}

/// Runs `inspect`.
pub fn run(context: &Context, args: &InspectArgs, out: &mut Out) -> Result<(), CliError> {
    // Index the source before opening the database: an error in the
    // source is reported before the directory is touched.
    let mut source = match &context.manifest_path {
        Some(_) => Some(context.source()?),
        None => None,
    };
    let location = context.location()?;
    let cache = dir::open(&location)?;
    let snapshot = Snapshot::read(&cache)?;
    if let Some(source) = &mut source {
        source.judge_build(&cache)?;
    }
    drop(cache);
    let view = View {
        dir: &location.path,
        lens: Lens {
            source: source.as_ref(),
            now: context.now,
            usage_recorded: true,
        },
    };
    match &args.function {
        None if args.json => out.json(&view.directory_json(&snapshot)),
        None => view.directory_table(&snapshot, out),
        Some(wanted) => {
            let id = snapshot.resolve(wanted, &location.path)?;
            let function = snapshot.function(&id).expect("resolved ids exist");
            let entries = sorted(snapshot.entries_of(&id));
            if args.json {
                out.json(&FunctionReport {
                    dir: view.dir,
                    source: view.lens.source_path(),
                    function: view.function_json(function, snapshot.entries_of(&id)),
                    entries: entries.iter().map(|e| view.entry_json(e)).collect(),
                })
            } else {
                view.function_table(function, &entries, out)
            }
        }
    }
}

/// Newest fingerprint group first (by its newest entry), newest entry first.
fn sorted(entries: &[EntryInfo]) -> Vec<&EntryInfo> {
    let mut newest: BTreeMap<Fingerprint, SystemTime> = BTreeMap::new();
    for entry in entries {
        let latest = newest.entry(entry.fingerprint).or_insert(entry.created);
        *latest = (*latest).max(entry.created);
    }
    let mut sorted: Vec<&EntryInfo> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        (newest[&b.fingerprint], b.fingerprint, b.created).cmp(&(
            newest[&a.fingerprint],
            a.fingerprint,
            a.created,
        ))
    });
    sorted
}

/// What every rendering needs.
struct View<'a> {
    dir: &'a Path,
    lens: Lens<'a>,
}

impl View<'_> {
    fn function_json(&self, function: &FunctionSummary, entries: &[EntryInfo]) -> FunctionJson {
        let sizes = entries.iter().map(|e| (e.fingerprint, e.size));
        self.lens.function_json(function, sizes)
    }

    fn entry_json(&self, entry: &EntryInfo) -> EntryJson {
        EntryJson {
            fingerprint: output::hex(entry.fingerprint.as_bytes()),
            args_key: output::hex(entry.args_key.as_bytes()),
            size: entry.size,
            blob: entry.blob,
            created: output::timestamp(entry.created),
            last_used: output::timestamp(entry.last_used),
            compute_seconds: entry.compute_time.as_secs_f64(),
            readable: entry.readable,
            status: self.lens.status(&entry.fn_id, &entry.fingerprint),
        }
    }

    fn directory_json<'s>(&'s self, snapshot: &Snapshot) -> DirectoryReport<'s> {
        DirectoryReport {
            dir: self.dir,
            source: self.lens.source_path(),
            disk: snapshot.disk.into(),
            functions: snapshot
                .functions
                .iter()
                .map(|f| self.function_json(f, snapshot.entries_of(&f.id)))
                .collect(),
        }
    }

    fn directory_table(&self, snapshot: &Snapshot, out: &mut Out) -> Result<(), CliError> {
        let disk = &snapshot.disk;
        let limit = funcache::max_size().map_or_else(String::new, |limit| {
            format!(", limit {}", output::size(limit))
        });
        let disk_line = format!(
            "on disk: {} (database {}, blobs {}{limit}) in {}",
            output::size(disk.total()),
            output::size(disk.database),
            output::size(disk.blobs),
            self.dir.display()
        );
        if snapshot.functions.is_empty() {
            out.line("no entries")?;
            return out.line(disk_line);
        }
        self.lens.functions_table(&snapshot.functions, "", out)?;
        out.line(disk_line)?;
        if let Some(source) = self.lens.source {
            out.line(format!(
                "SOURCE against {}: live = its current fingerprint,",
                source.manifest_dir.display()
            ))?;
            out.line(
                "stale = an older one, gone = no longer in the source, unknown = not from it",
            )?;
        }
        Ok(())
    }

    fn function_table(
        &self,
        function: &FunctionSummary,
        entries: &[&EntryInfo],
        out: &mut Out,
    ) -> Result<(), CliError> {
        out.line(self.lens.function_heading(function, ""))?;
        let mut table = self.lens.entry_table(vec![
            ("FINGERPRINT", Align::Left),
            ("ARGS#", Align::Left),
            ("SIZE", Align::Right),
            ("STORED", Align::Left),
            ("CREATED", Align::Right),
            ("LAST USED", Align::Right),
            ("TOOK", Align::Right),
        ]);
        let now = self.lens.now;
        for entry in entries {
            let (stored, created, used, took) = if entry.readable {
                (
                    if entry.blob { "blob" } else { "db" },
                    output::ago(entry.created, now),
                    output::ago(entry.last_used, now),
                    output::took(entry.compute_time),
                )
            } else {
                ("unreadable", "-".into(), "-".into(), "-".into())
            };
            let cells = vec![
                output::short(entry.fingerprint.as_bytes()),
                output::key_tag(entry.args_key.as_bytes()),
                output::size(entry.size),
                stored.to_owned(),
                created,
                used,
                took,
            ];
            self.lens
                .entry_row(&mut table, cells, &entry.fn_id, &entry.fingerprint);
        }
        summary::print(&table, out)
    }
}
