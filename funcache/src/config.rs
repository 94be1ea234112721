//! Process-wide settings read from the environment.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::Error;
use crate::warn::warn_once;

/// Name of the variable that chooses the cache directory.
pub const DIR_VAR: &str = "FUNCACHE_DIR";
/// Recompute and overwrite on every call.
pub const REFRESH_VAR: &str = "FUNCACHE_REFRESH";
/// Bypass every tier: always run the function, store nothing.
pub const DISABLE_VAR: &str = "FUNCACHE_DISABLE";
/// Serve hits but never write to disk (for untrusted CI jobs).
pub const READONLY_VAR: &str = "FUNCACHE_READONLY";
/// How long a call waits for another process that is computing the same
/// entry (humantime syntax: `30s`, `5m`; default 2 minutes) before it
/// computes the value itself.
pub const LOCK_WAIT_VAR: &str = "FUNCACHE_LOCK_WAIT";

/// The remote tier shared between machines: `redis://[user[:password]@]host[:port][/db]`,
/// `rediss://…` (TLS, cargo feature `redis-tls`) or `redis+cluster://host:port,host:port`
/// (seed nodes of a Redis Cluster). Unset: no remote tier.
/// [`set_remote`](crate::set_remote) overrides it. See [`Remote`](crate::Remote).
pub const REMOTE_VAR: &str = "FUNCACHE_REMOTE";
/// The remote's password, when [`REMOTE_VAR`] has none (so that it stays
/// out of command lines and URLs in logs).
pub const REMOTE_PASSWORD_VAR: &str = "FUNCACHE_REMOTE_PASSWORD";
/// How long the remote may take to connect and to answer each command
/// (humantime syntax: `250ms`, `2s`; default 250 ms). Past it the call goes
/// on without the remote.
pub const REMOTE_TIMEOUT_VAR: &str = "FUNCACHE_REMOTE_TIMEOUT";
/// The largest stored value sent to the remote (`1MiB`, `500KB` or bytes;
/// default 1 MiB): larger ones stay in the local cache directory.
pub const REMOTE_MAX_VALUE_VAR: &str = "FUNCACHE_REMOTE_MAX_VALUE";

/// The default of [`LOCK_WAIT_VAR`].
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(120);

/// The most a cache directory may hold (`2GiB`, `500MB`, or bytes):
/// beyond it, the least recently used entries of every function are
/// evicted. Unset: no limit. [`set_max_size`] overrides it.
pub const MAX_SIZE_VAR: &str = "FUNCACHE_MAX_SIZE";

/// Sets the size limit of the cache directories this process uses,
/// overriding `FUNCACHE_MAX_SIZE`: the database's pages in use plus the
/// large-value files, in bytes. Call it before the first cached call.
///
/// ```no_run
/// funcache::set_max_size(2 << 30); // 2 GiB
/// ```
pub fn set_max_size(bytes: u64) {
    MAX_SIZE_OVERRIDE.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

static MAX_SIZE_OVERRIDE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The size limit of cache directories in this process, in bytes:
/// [`set_max_size`], else `FUNCACHE_MAX_SIZE`, else none.
pub fn max_size() -> Option<u64> {
    let set = MAX_SIZE_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed);
    if set > 0 {
        return Some(set);
    }
    env_max_size()
}

/// `FUNCACHE_MAX_SIZE`, read once; a value that is not a positive size is
/// warned about (once) and means no limit.
fn env_max_size() -> Option<u64> {
    static FROM_ENV: OnceLock<Option<u64>> = OnceLock::new();
    *FROM_ENV.get_or_init(|| {
        let value = std::env::var_os(MAX_SIZE_VAR)?;
        let text = value.to_string_lossy().trim().to_owned();
        if text.is_empty() {
            return None;
        }
        match text.parse::<bytesize::ByteSize>() {
            Ok(size) if size.as_u64() > 0 => Some(size.as_u64()),
            _ => {
                warn_once("env", MAX_SIZE_VAR, || {
                    format!("{MAX_SIZE_VAR}={text:?} is not a size (e.g. 2GiB); no limit")
                });
                None
            }
        }
    })
}

/// When stored results reach the disk: `batch` (the default), `sync` or
/// `lazy`. See [`Durability`].
pub const DURABILITY_VAR: &str = "FUNCACHE_DURABILITY";

/// When stored results are committed and synced to disk
/// ([`DURABILITY_VAR`]).
///
/// Every commit is one LMDB transaction: whatever stops the process, the
/// directory serves each result whose commit completed and never a torn
/// one, and a result lost is only recomputed. In every mode the process
/// reads its own results at once (a result not yet committed is served
/// from the queue), and other processes see a result once it is committed;
/// one that computes the same key meanwhile waits for that commit.
///
/// What a crash can cost:
///
/// | mode | process killed (`kill -9`, abort) | OS crash or power loss |
/// |---|---|---|
/// | [`Batch`](Self::Batch) | results still queued (the last few ms) | also those committed in the last [`SYNC_DELAY`](crate::SYNC_DELAY) |
/// | [`Lazy`](Self::Lazy) | results still queued | everything the OS has not written back |
/// | [`Sync`](Self::Sync) | nothing whose call returned | nothing whose call returned |
///
/// A normal exit (returning from `main`, [`std::process::exit`]) commits
/// what is queued; [`crate::flush`] commits it and syncs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// `batch` (default): a stored result is queued; a background thread
    /// per cache directory commits everything queued in one transaction
    /// (a batch every few milliseconds under load), then another syncs what
    /// was committed, one sync per batch, at most
    /// [`SYNC_DELAY`](crate::SYNC_DELAY) later. A killed process loses the
    /// results still queued; an OS crash also those not yet synced; a
    /// database it damages is moved aside and rebuilt.
    #[default]
    Batch,
    /// `sync`: each result is committed and synced on its caller's thread
    /// before its call returns (about two disk syncs per miss). Nothing
    /// whose call returned is lost.
    Sync,
    /// `lazy`: committed in groups as [`Batch`](Self::Batch); nothing is
    /// synced but by [`crate::flush`] and the OS's own write-back.
    Lazy,
}

/// The environment switches, read once per process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Switches {
    pub refresh: bool,
    pub disable: bool,
    pub readonly: bool,
    pub durability: Durability,
    /// See [`LOCK_WAIT_VAR`].
    pub lock_wait: Duration,
    /// `FUNCACHE_MAX_SIZE`, read with the others so that a bad value is
    /// warned about at the first call, as theirs are (it is used only when
    /// a value is stored, which a run of hits never does).
    pub max_size: Option<u64>,
}

impl Switches {
    /// The switches (a reference: a hit reads a flag or two, not the
    /// whole struct).
    #[inline]
    pub(crate) fn get() -> &'static Switches {
        static SWITCHES: OnceLock<Switches> = OnceLock::new();
        SWITCHES.get_or_init(|| Switches {
            refresh: flag(REFRESH_VAR),
            disable: flag(DISABLE_VAR),
            readonly: flag(READONLY_VAR),
            durability: durability(),
            lock_wait: lock_wait(),
            max_size: env_max_size(),
        })
    }
}

/// Reads a boolean variable. Unset, empty, `0`, `false`, `no` and `off` are
/// false; `1`, `true`, `yes` and `on` are true; anything else is reported
/// and treated as false.
fn flag(name: &str) -> bool {
    let Some(value) = std::env::var_os(name) else {
        return false;
    };
    let text = value.to_string_lossy().trim().to_ascii_lowercase();
    match text.as_str() {
        "" | "0" | "false" | "no" | "off" => false,
        "1" | "true" | "yes" | "on" => true,
        _ => {
            warn_once("env", name, || {
                format!("{name}={text:?} is not a boolean (use 1 or 0); treating it as 0")
            });
            false
        }
    }
}

fn lock_wait() -> Duration {
    let Some(value) = std::env::var_os(LOCK_WAIT_VAR) else {
        return DEFAULT_LOCK_WAIT;
    };
    let text = value.to_string_lossy().trim().to_owned();
    humantime::parse_duration(&text).unwrap_or_else(|_| {
        warn_once("env", LOCK_WAIT_VAR, || {
            format!("{LOCK_WAIT_VAR}={text:?} is not a duration (e.g. 30s, 5m); using 2m")
        });
        DEFAULT_LOCK_WAIT
    })
}

fn durability() -> Durability {
    let Some(value) = std::env::var_os(DURABILITY_VAR) else {
        return Durability::Batch;
    };
    match value.to_string_lossy().trim().to_ascii_lowercase().as_str() {
        "" | "batch" => Durability::Batch,
        "sync" | "flush" | "immediate" => Durability::Sync,
        "lazy" => Durability::Lazy,
        other => {
            let other = other.to_owned();
            warn_once("env", DURABILITY_VAR, || {
                format!(
                    "{DURABILITY_VAR}={other:?} is not `batch`, `sync` or `lazy`; using `batch`"
                )
            });
            Durability::Batch
        }
    }
}

/// Chooses the cache directory for this process, overriding
/// `FUNCACHE_DIR` and the default — for a program that takes the directory
/// as its own command-line option.
///
/// Call it before the first cached call: functions that have already opened
/// their directory keep using it.
///
/// ```no_run
/// funcache::set_cache_dir("/var/cache/my-pipeline")?;
/// # Ok::<(), funcache::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::DirAlreadySet`] if a different directory was set before.
pub fn set_cache_dir(dir: impl Into<PathBuf>) -> Result<(), Error> {
    let dir = dir.into();
    let current = DIR_OVERRIDE.get_or_init(|| dir.clone());
    if *current == dir {
        Ok(())
    } else {
        Err(Error::DirAlreadySet {
            current: current.clone(),
        })
    }
}

static DIR_OVERRIDE: OnceLock<PathBuf> = OnceLock::new();

/// Where a function's cache directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum DirChoice {
    /// [`set_cache_dir`], else `FUNCACHE_DIR`, else this default (computed
    /// by the macro at build time: `<target dir>/funcache` of the
    /// workspace).
    Default(&'static str),
    /// Exactly this directory, whatever the environment says.
    Fixed(&'static str),
}

impl DirChoice {
    pub(crate) fn resolve(self) -> PathBuf {
        let default = match self {
            DirChoice::Fixed(dir) => return PathBuf::from(dir),
            DirChoice::Default(default) => default,
        };
        if let Some(dir) = DIR_OVERRIDE.get() {
            return dir.clone();
        }
        if let Some(dir) = env_dir() {
            return PathBuf::from(dir);
        }
        // Empty only if the macro ran outside cargo (no CARGO_MANIFEST_DIR).
        PathBuf::from(if default.is_empty() {
            ".funcache"
        } else {
            default
        })
    }
}

fn env_dir() -> Option<OsString> {
    static DIR: OnceLock<Option<OsString>> = OnceLock::new();
    DIR.get_or_init(|| std::env::var_os(DIR_VAR).filter(|dir| !dir.is_empty()))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs this test binary's `test` in a child with `vars` set and
    /// returns its stderr.
    fn child_stderr(test: &str, vars: &[(&str, &str)]) -> String {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env("FUNCACHE_CONFIG_TEST_CHILD", "1")
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        stderr
    }

    #[test]
    fn bad_max_size_is_warned_at_the_first_call_like_the_others() {
        // `FUNCACHE_MAX_SIZE=-5` or `=lots` said nothing in a run that
        // stored nothing, while a bad `FUNCACHE_LOCK_WAIT` warned.
        const TEST: &str =
            "config::tests::bad_max_size_is_warned_at_the_first_call_like_the_others";
        if std::env::var_os("FUNCACHE_CONFIG_TEST_CHILD").is_some() {
            let first = Switches::get();
            assert_eq!(first.max_size, None);
            assert_eq!(Switches::get(), first);
            assert_eq!(max_size(), None);
            return;
        }
        for bad in ["-5", "lots", "0"] {
            let stderr = child_stderr(TEST, &[(MAX_SIZE_VAR, bad), (LOCK_WAIT_VAR, "soon")]);
            let warned = |var: &str| stderr.lines().filter(|l| l.contains(var)).count();
            assert_eq!(warned(MAX_SIZE_VAR), 1, "{bad}: {stderr}");
            assert_eq!(warned(LOCK_WAIT_VAR), 1, "{stderr}");
        }
    }
}
