//! Which remote a process uses: [`Remote`], from [`set_remote`] or the
//! environment. Compiled with or without the `redis` feature, so that a
//! program's configuration code does not depend on it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::url::{RemoteUrl, redact_text};
use crate::config::{REMOTE_MAX_VALUE_VAR, REMOTE_PASSWORD_VAR, REMOTE_TIMEOUT_VAR, REMOTE_VAR};
use crate::error::Error;
use crate::warn::warn_once;

/// The default of [`REMOTE_TIMEOUT_VAR`].
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
/// The default of [`REMOTE_MAX_VALUE_VAR`].
pub(crate) const DEFAULT_MAX_VALUE: u64 = 1 << 20;

/// A remote tier shared between machines (Redis), behind the local cache
/// directory: a call that misses locally reads it, and a computed result is
/// written to it, so that a result computed on one machine is a hit on the
/// others. Give it to [`set_remote`], or set `FUNCACHE_REMOTE`.
///
/// ```no_run
/// use std::time::Duration;
///
/// let remote = funcache::Remote::new("redis://cache.internal:6379/0")?
///     .timeout(Duration::from_millis(500))
///     .max_value_size(4 << 20);
/// println!("{remote}"); // redis://cache.internal:6379/0 (a password shows as ***)
/// funcache::set_remote(remote);
/// # Ok::<(), funcache::Error>(())
/// ```
///
/// The remote never fails a call and never slows one down by more than
/// about its timeout: when it cannot be reached, times out, is full or
/// holds a damaged value, the call carries on with the local tiers and one
/// warning says why. After 3 failures in a row it is left alone for 30 s.
/// `Display` and `Debug` show the URL with its password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Remote {
    pub(crate) url: RemoteUrl,
    pub(crate) timeout: Duration,
    pub(crate) max_value_size: u64,
}

impl Remote {
    /// A remote at `url`: `redis://[user[:password]@]host[:port][/db]`,
    /// `rediss://…` (TLS; needs the cargo feature `redis-tls`) or
    /// `redis+cluster://host:port,host:port` (seed nodes of a Redis
    /// Cluster). Without a password in the URL, `FUNCACHE_REMOTE_PASSWORD`
    /// gives it. The timeout and the value size cap start from
    /// `FUNCACHE_REMOTE_TIMEOUT` and `FUNCACHE_REMOTE_MAX_VALUE` (defaults
    /// 250 ms and 1 MiB). Nothing is connected until a cached call needs
    /// the remote.
    ///
    /// # Errors
    ///
    /// [`Error::RemoteUrl`] when `url` is not such a URL; its message says
    /// what is wrong and shows the URL without its password.
    pub fn new(url: &str) -> Result<Remote, Error> {
        let mut parsed = RemoteUrl::parse(url).map_err(|reason| Error::RemoteUrl {
            url: redact_text(url),
            reason,
        })?;
        if parsed.password.is_none() {
            parsed.password = std::env::var(REMOTE_PASSWORD_VAR)
                .ok()
                .filter(|p| !p.is_empty());
        }
        Ok(Remote {
            url: parsed,
            timeout: env_timeout(),
            max_value_size: env_max_value(),
        })
    }

    /// How long connecting, and then each command, may take (default
    /// 250 ms). A zero duration is taken as 1 ms.
    pub fn timeout(mut self, timeout: Duration) -> Remote {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The largest stored value, in bytes of its envelope, that is sent
    /// to the remote (default 1 MiB); larger ones stay local.
    pub fn max_value_size(mut self, bytes: u64) -> Remote {
        self.max_value_size = bytes;
        self
    }

    /// The URL with its password as `***`.
    pub fn redacted_url(&self) -> String {
        self.url.to_string()
    }

    /// The remote `FUNCACHE_REMOTE` names, if set and valid (an invalid
    /// one is warned about once, without its password).
    pub(crate) fn from_env() -> Option<Remote> {
        let text = std::env::var(REMOTE_VAR).ok()?;
        if text.trim().is_empty() {
            return None;
        }
        match Remote::new(&text) {
            Ok(remote) => Some(remote),
            Err(error) => {
                warn_once("env", REMOTE_VAR, || {
                    format!("funcache: {REMOTE_VAR}: {error}; running without the remote tier")
                });
                None
            }
        }
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.url, f)
    }
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("url", &self.url.to_string())
            .field("timeout", &self.timeout)
            .field("max_value_size", &self.max_value_size)
            .finish()
    }
}

/// What [`set_remote`] chose.
static OVERRIDE: Mutex<Option<Remote>> = Mutex::new(None);
/// Whether the process has decided its remote (the first call that needed
/// it): later choices cannot take effect.
static DECIDED: AtomicBool = AtomicBool::new(false);

/// Uses `remote` as this process's remote tier, overriding
/// `FUNCACHE_REMOTE`. Call it before the first cached call: the remote is
/// decided then, and a later call is warned about and ignored.
///
/// ```no_run
/// funcache::set_remote(funcache::Remote::new("redis://127.0.0.1:6379/0")?);
/// # Ok::<(), funcache::Error>(())
/// ```
pub fn set_remote(remote: Remote) {
    if DECIDED.load(Ordering::Acquire) {
        warn_once("remote-late", &remote.to_string(), || {
            format!(
                "funcache: set_remote({remote}) came after the first cached call, which \
                 decided the remote; it is ignored"
            )
        });
        return;
    }
    #[cfg(not(feature = "redis"))]
    warn_without_feature(&remote);
    *OVERRIDE.lock().unwrap_or_else(PoisonError::into_inner) = Some(remote);
}

/// Says once, when a remote is configured, that this build cannot use it.
#[cfg(not(feature = "redis"))]
pub(crate) fn warn_if_configured() {
    static CHECKED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    CHECKED.get_or_init(|| {
        if let Some(remote) = decide() {
            warn_without_feature(&remote);
        }
    });
}

#[cfg(not(feature = "redis"))]
fn warn_without_feature(remote: &Remote) {
    warn_once("remote", "feature", || {
        format!(
            "funcache: a remote ({remote}) is configured, but funcache was built without the \
             `redis` feature; running with the local cache only"
        )
    });
}

/// The remote this process uses, decided now: [`set_remote`]'s, else
/// `FUNCACHE_REMOTE`'s. Called once per process.
pub(crate) fn decide() -> Option<Remote> {
    DECIDED.store(true, Ordering::Release);
    let chosen = OVERRIDE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    chosen.or_else(Remote::from_env)
}

fn env_timeout() -> Duration {
    env_setting(
        REMOTE_TIMEOUT_VAR,
        |text| {
            humantime::parse_duration(text)
                .ok()
                .filter(|t| !t.is_zero())
        },
        "a duration (e.g. 250ms, 2s)",
        (DEFAULT_TIMEOUT, "250ms"),
    )
}

fn env_max_value() -> u64 {
    env_setting(
        REMOTE_MAX_VALUE_VAR,
        |text| {
            let size = text.parse::<bytesize::ByteSize>().ok()?;
            // Only a number with an optional unit is a size (as before
            // this helper): refuse anything that does not start with one.
            text.starts_with(|c: char| c.is_ascii_digit())
                .then(|| size.as_u64())
        },
        "a size (e.g. 1MiB, 500KB)",
        (DEFAULT_MAX_VALUE, "1MiB"),
    )
}

/// Environment variable `var` (trimmed) read by `parse`; unset gives the
/// default, a value `parse` refuses one warning saying it is not `what`
/// and the default (shown as its text).
fn env_setting<T>(
    var: &'static str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
    (default, shown): (T, &str),
) -> T {
    let Some(text) = std::env::var(var).ok() else {
        return default;
    };
    parse(text.trim()).unwrap_or_else(|| {
        warn_once("env", var, || {
            format!("funcache: {var}={text:?} is not {what}; using {shown}")
        });
        default
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_validates_and_redacts() {
        let remote = Remote::new("redis://u:hunter2@h:1/2")
            .unwrap()
            .timeout(Duration::ZERO)
            .max_value_size(10);
        assert_eq!(remote.to_string(), "redis://u:***@h:1/2");
        assert_eq!(remote.redacted_url(), "redis://u:***@h:1/2");
        assert_eq!(remote.timeout, Duration::from_millis(1));
        assert_eq!(remote.max_value_size, 10);
        let debug = format!("{remote:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert_eq!(remote.url.password.as_deref(), Some("hunter2"));

        let error = Remote::new("redis://u:hunter2@h:port").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("not a port"), "{message}");
        assert!(message.contains("redis://u:***@h:port"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
