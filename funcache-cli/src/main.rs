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
//!   arguments key, size, stored in the database or a blob, created, last
//!   used, compute time. With `--manifest-path`, every fingerprint is marked
//!   `live` (the current source produces it), `stale` (the function's source
//!   changed since), `gone` (the function is no longer in the source) or
//!   `unknown` (not a function of that package).
//!
//!   ```text
//!   $ funcache-cli inspect
//!   ENTRIES     SIZE  FPS  OLDEST  NEWEST  HITS  MISSES  FUNCTION
//!         1  1.5 MiB    1  3m ago  3m ago     2       1  my_app::steps::load_table
//!         3    126 B    2  3m ago  2m ago     4       3  my_app::steps::parse
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
//!   $ funcache-cli explain my_app::steps::parse
//!   my_app::steps::parse: the next call will miss: its current fingerprint 9e8d7c6b is not stored (3 entries under 1 other fingerprint).
//!   Compared with fingerprint 3fa2c1d0, recorded 2m ago:
//!     changed  crate::steps::normalize
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
//! `FN` is a function id as the runtime stores it (`my_app::steps::parse`:
//! the crate, the module path, the name) or an unambiguous ending of one
//! (`steps::parse`, `parse`). `--json` on `inspect` and `purge` prints one
//! JSON document whose field names are stable: see the `Serialize` structs
//! in `inspect.rs` and `purge.rs`.
//!
//! # Exit codes and errors
//!
//! 0 on success (a closed output pipe included). 2 for every error — a
//! directory that does not exist or is not a funcache cache, a store that
//! cannot be read, a store locked by a running program, an unknown
//! function id, a bad age or size, a purge without a selector — printed as
//! one line on stderr, and nothing in the directory is changed.

mod args;
mod dir;
mod error;
mod explain;
mod fn_id;
mod inspect;
mod output;
mod purge;
mod select;
mod snapshot;
mod source;

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
        Command::Inspect(args) => inspect::run(&context, args, &mut out)?,
        Command::Explain(args) => explain::run(&context, args, &mut out)?,
        Command::Purge(args) => purge::run(&context, args, &mut out)?,
    }
    out.flush()
}

/// The message of the last panic, kept by the hook instead of printed: sled
/// can panic on a damaged file, the runtime turns that into an error we
/// report in one line, and the default hook would print it a second time.
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
