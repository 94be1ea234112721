//! The command line, as clap types. Parsing of ages and sizes happens here
//! so that a bad value is a usage error (exit 2) before anything is opened.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Look inside funcache cache directories, explain misses, reclaim space.
#[derive(Debug, Parser)]
#[command(
    name = "funcache-cli",
    version,
    max_term_width = 80,
    about,
    long_about = "Look inside funcache cache directories, explain why a cached function \
                  will miss, and remove entries to reclaim space.\n\n\
                  The cache directory is --dir, else $FUNCACHE_DIR, else the directory \
                  the runtime uses by default for the package found from --manifest-path \
                  or the working directory: <target dir>/funcache of its workspace \
                  ($CARGO_TARGET_DIR/funcache when that is set).",
    after_help = "Examples:\n  \
                  funcache-cli inspect\n  \
                  funcache-cli inspect my_app::steps::parse\n  \
                  funcache-cli explain parse --manifest-path my_app\n  \
                  funcache-cli purge --stale --dry-run"
)]
pub struct Cli {
    /// The cache directory [default: $FUNCACHE_DIR, else the package's default]
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// The package whose current source to compare with: its Cargo.toml or
    /// its directory (a virtual workspace means all its members). inspect
    /// compares only when it is given; explain and purge --stale default to
    /// the package enclosing the working directory
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarize each function's entries, or list one function's entries.
    #[command(
        long_about = "Without FN: one row per function — entries, bytes of stored values \
                      (blobs included), fingerprints present, oldest and newest entry, and \
                      the hits and misses recorded by programs that used the directory — \
                      then the directory's size on disk.\n\n\
                      With FN (a full id such as my_app::steps::parse, or an unambiguous \
                      ending such as steps::parse): one row per stored result — fingerprint, \
                      a short hash of the arguments key (ARGS#; --json has the key), size, \
                      where it is stored, when it was computed and last used, how long it \
                      took.\n\n\
                      With --manifest-path, each fingerprint is marked live (the current \
                      source produces it), stale (it does not), gone (the function is no \
                      longer in the source) or unknown (not a function of that package, \
                      a fingerprint that depends on the build in a way the answers recorded \
                      with it do not settle, or one of a function a macro writes, which the \
                      source cannot recompute).",
        after_help = "Examples:\n  \
                      funcache-cli inspect\n  \
                      funcache-cli inspect --manifest-path . --json\n  \
                      funcache-cli inspect steps::parse"
    )]
    Inspect(InspectArgs),

    /// Say why the next call of a function will miss.
    #[command(
        long_about = "Computes FN's fingerprint from the current source (nothing is built) \
                      and compares it with the fingerprints stored in the cache directory. \
                      If it is stored, the next call with stored arguments hits. Otherwise \
                      the dependency list recorded for the latest stored fingerprint is \
                      compared with the current one: items changed, appeared or \
                      disappeared, external crates changed, or — when the lists are \
                      identical — the attribute's options. References the index could not \
                      resolve (edits behind them are not seen) are listed with their \
                      locations.",
        after_help = "Examples:\n  \
                      funcache-cli explain my_app::steps::parse\n  \
                      funcache-cli explain parse --manifest-path crates/my_app/Cargo.toml\n  \
                      funcache-cli explain parse --covers"
    )]
    Explain(ExplainArgs),

    /// Remove entries and reclaim their space on disk.
    #[command(
        long_about = "Removes the entries the selectors choose, deletes blob files no \
                      entry uses any more, and rewrites the database so the space is \
                      returned to the file system.\n\n\
                      The filters --fn (repeatable: any of them), --stale, --older-than and \
                      --unused-for narrow the selection together (an entry must pass every \
                      one given). --all selects every entry. --max-size then evicts the \
                      least recently used of the remaining entries until the directory \
                      (database and blobs) fits in SIZE.\n\n\
                      AGE is a duration such as 90s, 12h, 7d or 2weeks; SIZE is a byte \
                      count such as 500MiB, 2GB or 1048576.",
        after_help = "Examples:\n  \
                      funcache-cli purge --stale --dry-run\n  \
                      funcache-cli purge --fn my_app::steps::parse --older-than 7d\n  \
                      funcache-cli purge --stale --max-size 500MiB --json\n  \
                      funcache-cli purge --all"
    )]
    Purge(PurgeArgs),
}

/// `inspect [FN] [--json]`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A function id, or an unambiguous ending of one, to list the entries of.
    #[arg(value_name = "FN")]
    pub function: Option<String>,

    /// Print one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Inspect the remote tier (Redis) instead of the cache directory: URL,
    /// or $FUNCACHE_REMOTE when given alone
    #[arg(
        long,
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = "",
        value_parser = inspect_remote
    )]
    pub remote: Option<String>,
}

/// `explain FN`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A function id, or an unambiguous ending of one.
    #[arg(value_name = "FN")]
    pub function: String,

    /// Also list what the fingerprint covers: every item of the source
    /// closure (the function included) and the external crates by
    /// version.
    #[arg(long)]
    pub covers: bool,
}

/// `purge` and its selectors.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Select every entry. With --remote: every funcache:* key, lease keys
    /// and keys of other format versions included.
    #[arg(long, conflicts_with_all = ["functions", "stale", "older_than", "unused_for", "max_size"])]
    pub all: bool,

    /// Only entries of this function (repeat for several).
    #[arg(long = "fn", value_name = "FN", id = "functions")]
    pub functions: Vec<String>,

    /// Only entries under fingerprints the current source no longer produces
    /// (see --manifest-path; functions of other packages are left alone).
    #[arg(long)]
    pub stale: bool,

    /// Only entries computed more than AGE ago.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: Option<Duration>,

    /// Only entries not read for AGE.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub unused_for: Option<Duration>,

    /// Then evict least recently used entries until the directory fits in SIZE.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// Report what would be removed and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Purge the remote tier (Redis) instead of the cache directory: URL, or
    /// $FUNCACHE_REMOTE when given alone. --unused-for and --max-size do not
    /// apply there
    #[arg(
        long,
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = "",
        value_parser = purge_remote
    )]
    pub remote: Option<String>,
}

impl PurgeArgs {
    /// Whether any selector was given.
    pub fn has_selector(&self) -> bool {
        self.all
            || !self.functions.is_empty()
            || self.stale
            || self.older_than.is_some()
            || self.unused_for.is_some()
            || self.max_size.is_some()
    }
}

/// A duration such as `7d` or `36h`, via humantime.
fn parse_age(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e} (examples: 90s, 12h, 7d)"))
}

/// A byte size such as `500MiB`, via bytesize.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    // bytesize reads "-5MB" as 5 MB once it skips what is not a digit;
    // a size must start with a digit.
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("a size starts with a number (examples: 500MiB, 2GB, 1048576)".into());
    }
    text.parse::<bytesize::ByteSize>()
        .map(|size| size.as_u64())
        .map_err(|e| format!("{e} (examples: 500MiB, 2GB, 1048576)"))
}

/// `inspect --remote`'s value: a URL, or empty (the option given alone:
/// `FUNCACHE_REMOTE`). `--remote` takes an optional value, so in
/// `inspect --remote square` clap hands it `square`; refusing that here
/// says what was meant instead of trying to connect to `square`.
fn inspect_remote(text: &str) -> Result<String, String> {
    remote_url(text, |value| {
        format!(
            "to inspect the function with the remote from FUNCACHE_REMOTE, write `inspect {value} --remote`"
        )
    })
}

/// `purge --remote`'s value, as [`inspect_remote`]'s; purge names
/// functions with `--fn`.
fn purge_remote(text: &str) -> Result<String, String> {
    remote_url(text, |value| {
        format!(
            "to purge the function with the remote from FUNCACHE_REMOTE, write `purge --fn {value} --remote`"
        )
    })
}

/// `text` when it is empty or looks like a URL (`://`), else a usage error
/// ending in `hint(text)`. A value with an `@` passes too: it may hold a
/// password, which this message would print, so the runtime's URL error
/// (which masks it) reports it instead.
fn remote_url(text: &str, hint: fn(&str) -> String) -> Result<String, String> {
    let url = text.trim();
    if url.is_empty() || url.contains("://") || url.contains('@') {
        return Ok(url.to_owned());
    }
    Err(format!(
        "`{url}` is not a Redis URL (redis://, rediss://, redis+cluster://); {}",
        hint(url)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ages_and_sizes() {
        assert_eq!(parse_age("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_age("90s").unwrap(), Duration::from_secs(90));
        assert!(parse_age("7x").unwrap_err().contains("unknown time unit"));
        assert!(parse_age("soon").is_err());
        assert_eq!(parse_size("500MiB").unwrap(), 500 << 20);
        assert_eq!(parse_size("2GB").unwrap(), 2_000_000_000);
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("-5MB").is_err());
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn a_remote_value_is_a_url_or_nothing() {
        assert_eq!(inspect_remote("").unwrap(), "");
        assert_eq!(inspect_remote("redis://h:1/0").unwrap(), "redis://h:1/0");
        // Left to the runtime, whose error masks the password.
        assert_eq!(purge_remote("u:pw@h").unwrap(), "u:pw@h");
        let error = inspect_remote("square").unwrap_err();
        assert!(
            error.ends_with("write `inspect square --remote`"),
            "{error}"
        );
        let error = purge_remote("square").unwrap_err();
        assert!(
            error.ends_with("write `purge --fn square --remote`"),
            "{error}"
        );
    }
}
