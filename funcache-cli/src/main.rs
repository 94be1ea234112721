//! `funcache-cli`: look inside funcache cache directories, explain why a
//! cached function will miss, and remove entries to reclaim space.
//!
//! ```sh
//! cargo install --path funcache-cli      # or: cargo run -p funcache-cli -- inspect
//! ```
//!
//! # Which directory
//!
//! `--dir DIR`, else `$FUNCACHE_DIR`, else the directory the runtime uses
//! by default for the package found from `--manifest-path` (a `Cargo.toml`
//! or its directory) or, without it, from the working directory upwards:
//! `<target dir>/funcache` of its workspace, `$CARGO_TARGET_DIR/funcache`
//! when that is set. The directory must exist and be a funcache cache
//! (it has a `FUNCACHE` marker); nothing is ever created.
//!
//! # Commands
//!
//! * **`inspect [FN] [--json]`** — a row per function: entries, bytes of
//!   stored values, fingerprints present, oldest and newest entry, hits and
//!   misses recorded by the programs that used the directory; then the size
//!   on disk (database and blobs). With `FN`, a row per entry: fingerprint,
//!   a short hash of the arguments key (`ARGS#`; `--json` has the key),
//!   size, stored in the database or a blob, created, last used, compute
//!   time. With `--manifest-path`, every fingerprint is marked
//!   `live` (the current source produces it), `stale` (the function's source
//!   changed since), `gone` (the function is no longer in the source) or
//!   `unknown` (not a function of that package). A fingerprint that depends
//!   on the build (cargo features, `cfg`, compile-time environment) is
//!   judged under the build that stored it, from the answers recorded with
//!   it, and is `unknown` when they do not settle it.
//!
//!   ```text
//!   $ funcache-cli inspect
//!   ENTRIES     SIZE  FPS  OLDEST  NEWEST  HITS  MISSES  FUNCTION
//!         2     26 B    1  3m ago  3m ago     0       2  my_app::steps::label
//!         4     40 B    1  3m ago  1m ago     2       4  my_app::steps::square
//!         1  1.4 MiB    1  3m ago  3m ago     0       1  my_app::steps::table
//!
//!   3 functions, 7 entries, 1.4 MiB of values
//!   on disk: 1.9 MiB (database 512.6 KiB, blobs 1.4 MiB) in target/funcache
//!   ```
//!
//! * **`explain FN`** — computes FN's fingerprint from the current source
//!   (without building) and says whether the next call hits; if not, which
//!   items of its dependency closure changed, appeared or disappeared since
//!   the stored entries were computed, which external crates changed
//!   version, or — when all of that is unchanged — that the attribute's
//!   options did. References the index could not resolve are listed with
//!   their locations: edits behind them do not change the fingerprint.
//!
//!   ```text
//!   $ funcache-cli explain square
//!   my_app::steps::square: the next call will miss.
//!   Its fingerprint is now 4fb5ef60; 4 entries are stored under 1 other.
//!   Compared with fingerprint 0602bac9, recorded 2m ago:
//!     changed  crate::steps::scale
//!   ```
//!
//! * **`purge`** — removes entries, deletes blobs no entry uses any more and
//!   rewrites the database so the space goes back to the file system. The
//!   filters `--fn FN` (repeatable), `--stale`, `--older-than AGE` (computed
//!   before) and `--unused-for AGE` (not read since) narrow the selection
//!   together; `--all` selects everything; `--max-size SIZE` then evicts the
//!   least recently used of the remaining entries until the directory fits.
//!   `--dry-run` reports the same choice and changes nothing. AGE is a
//!   humantime duration (`90s`, `12h`, `7d`), SIZE a byte size (`500MiB`,
//!   `2GB`).
//!
//!   ```text
//!   $ funcache-cli purge --stale --dry-run
//!   would remove 4 entries (40 B of values) from 1 function:
//!     ENTRIES  SIZE  FUNCTION
//!           4  40 B  my_app::steps::square
//!   dry run, nothing changed; on disk 1.9 MiB now, about 1.9 MiB after
//!   4 entries (1.4 MiB) would remain
//!   ```
//!
//! * **`inspect --remote [URL]`**, **`purge --remote [URL]`** — the same
//!   over the remote tier (Redis) instead of the cache directory. URL is
//!   `redis://[user[:password]@]host[:port][/db]`, `rediss://…` or
//!   `redis+cluster://host:port,host:port`; given alone, `--remote` takes
//!   `$FUNCACHE_REMOTE` (write `inspect FN --remote`: a value after
//!   `--remote` without `://` is a usage error). Passwords are shown as
//!   `***`. `inspect --remote` has a row per function (entries, bytes,
//!   fingerprints, oldest and newest), or with `FN` a row per entry (with
//!   when Redis expires it, for a function with a `ttl`); the remote keeps
//!   no hit counts. `purge --remote` takes `--all`, `--fn`, `--stale` and
//!   `--older-than` (the remote records no reads and has no disk size, so
//!   `--unused-for` and `--max-size` are errors) and `--dry-run`.
//!
//!   ```text
//!   $ funcache-cli inspect --remote redis://ci:secret@cache:6379/0
//!   ENTRIES   SIZE  FPS  OLDEST  NEWEST  FUNCTION
//!         2   52 B    1  3m ago  3m ago  my_app::steps::label
//!
//!   1 function, 2 entries, 52 B of values on remote redis://***@cache:6379/0
//!   ```
//!
//! `FN` is a function id as the runtime stores it (`my_app::steps::parse`:
//! the crate, the module path, the name) or an unambiguous ending of one
//! (`steps::parse`, `parse`).
//!
//! # JSON
//!
//! `--json` on `inspect` and `purge` prints one JSON document (nothing on
//! stdout when the command fails). Field names are stable; sizes are bytes,
//! times RFC 3339 in UTC, fingerprints 64 hex digits, arguments keys hex; `status` is `live`,
//! `stale`, `gone` or `unknown`, and null without `--manifest-path`.
//!
//! * `inspect`: `{dir, source, disk: {database, blobs, total, limit}, functions:
//!   [{id, entries, bytes, fingerprints: [{fingerprint, entries, bytes,
//!   status}], oldest, newest, hits, misses}]}`
//! * `inspect FN`: `{dir, source, function: {…as above}, entries:
//!   [{fingerprint, args_key, size, blob, created, last_used,
//!   compute_seconds, readable, status}]}`
//! * `inspect --remote`: `{remote, source, functions: [{id, entries, bytes,
//!   fingerprints: [{fingerprint, entries, bytes, status}], oldest, newest}]}`;
//!   with FN: `{remote, source, function, entries: [{fingerprint, args_key,
//!   size, created, expires_in_seconds, compute_seconds, readable, status}]}`
//! * `purge --remote`: `{remote, dry_run, removed: {entries, bytes},
//!   functions: [{id, entries, bytes}], remaining: {entries, bytes}}`
//! * `purge`: `{dir, dry_run, removed: {entries, bytes}, evicted: {entries,
//!   bytes}, functions: [{id, entries, bytes}], remaining: {entries, bytes},
//!   max_size, disk_before: {database, blobs, total, limit}, disk_after (null for a
//!   dry run), reclaimed (null for a dry run), projected_total}`
//!
//! # Exit codes and errors
//!
//! 0 on success (a closed output pipe included). 2 for every error — a
//! directory that does not exist or is not a funcache cache, a store that
//! cannot be read or is damaged (the next program that uses the directory
//! moves a damaged database aside and starts anew), an unknown function id, a bad age or size, a purge
//! without a selector — printed as one line on stderr, and nothing in the
//! directory is changed (LMDB's `lmdb/lock.mdb` records readers whenever a
//! database is opened; it holds no data).
//!
//! Programs may use the directory while the CLI runs: LMDB lets any
//! number of processes read, and serialises writers.
//! 101 for a bug in funcache-cli itself.

mod args;
mod build_answers;
mod dir;
mod error;
mod explain;
mod fn_id;
mod inspect;
mod output;
mod purge;
mod remote;
mod removal;
mod select;
mod snapshot;
mod source;
mod summary;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::SystemTime;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::{CliError, EXIT_ERROR};
use crate::output::Out;
use crate::source::Source;

/// What every command needs besides its own arguments.
pub struct Context {
    /// `--dir`.
    pub dir: Option<PathBuf>,
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// One "now" for the whole command, so ages and cut-offs agree.
    pub now: SystemTime,
}

impl Context {
    /// The cache directory's path.
    pub fn location(&self) -> Result<dir::Location, CliError> {
        dir::locate(self.dir.as_deref(), self.manifest_path.as_deref())
    }

    /// The current source of the package from `--manifest-path` or the
    /// working directory.
    pub fn source(&self) -> Result<Source, CliError> {
        Source::load(&dir::manifest_dir(self.manifest_path.as_deref())?)
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let context = Context {
        dir: cli.dir,
        manifest_path: cli.manifest_path,
        now: SystemTime::now(),
    };
    let mut out = Out::stdout();
    match &cli.command {
        Command::Inspect(args) => match &args.remote {
            Some(url) => remote::inspect::run(&context, args, url, &mut out)?,
            None => inspect::run(&context, args, &mut out)?,
        },
        Command::Explain(args) => explain::run(&context, args, &mut out)?,
        Command::Purge(args) => match &args.remote {
            Some(url) => remote::purge::run(&context, args, url, &mut out)?,
            None => purge::run(&context, args, &mut out)?,
        },
    }
    out.flush()
}

/// The message of the last panic, kept by the hook instead of printed: a
/// panic is a bug of funcache-cli, reported in one line, and the default
/// hook would print it a second time.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Usage errors (a bad age or size included) exit 2; --help and
            // --version exit 0.
            let _ = error.print();
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{message}{location}"));
    }));
    match panic::catch_unwind(AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("error: {}", error.chain());
            ExitCode::from(EXIT_ERROR)
        }
        Err(_) => {
            let message = PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
            eprintln!(
                "error: internal error in funcache-cli (please report it): {}",
                message.unwrap_or_else(|| "panic".to_owned())
            );
            ExitCode::from(101)
        }
    }
}
