//! One remote as the tiers use it: its settings, its connections and its
//! breaker. Every command goes through [`Client::run`], which is where
//! failures are classified, warned about once per cause and counted by
//! the breaker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

use redis::{ConnectionLike, RedisError, RedisResult};

use super::breaker::{Breaker, Change, OPEN_FOR, Permit, TRIPS_AFTER};
use super::pool::{Pool, PoolError};
use super::refusal;
use super::settings::Remote;
use crate::warn::warn_once;

pub(crate) struct Client {
    pub(crate) settings: Remote,
    /// The URL with its password as `***`: what warnings show.
    pub(crate) shown: String,
    pool: Pool,
    breaker: Breaker,
    /// Value keys whose call saw the remote fail (timed out, unreachable),
    /// and when: the rest of that call (lease, second read, write, lease
    /// release) skips the remote, so that one call costs at most about one
    /// timeout. A call ends its mark when it skips its write, or when it
    /// releases its lease; a mark no call ends (the write itself failed
    /// without a lease, or the body panicked) lapses after [`OPEN_FOR`].
    failed_calls: Mutex<HashMap<String, Instant>>,
    /// Set by a refusal that retrying will not change (`refusal.rs`): what
    /// it was. The remote is off for the process from then on.
    off: OnceLock<String>,
    /// Whether a cluster's first seed was asked if it is one.
    asked_seed: AtomicBool,
}

/// What went wrong with a command, as far as the caller cares.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The breaker is open: the remote was not asked.
    Skipped,
    /// The remote is unreachable, timed out or dropped the connection.
    Unavailable,
    /// The server answered with an error (`OOM` when full, …).
    Refused,
}

impl Client {
    pub(crate) fn new(settings: Remote) -> Result<Client, PoolError> {
        let pool = Pool::new(&settings.url, settings.timeout)?;
        Ok(Client {
            shown: settings.url.to_string(),
            settings,
            pool,
            breaker: Breaker::new(),
            failed_calls: Mutex::new(HashMap::new()),
            off: OnceLock::new(),
            asked_seed: AtomicBool::new(false),
        })
    }

    /// [`run`](Self::run) as part of the call on the entry stored under
    /// `value_key`: skipped (`Failure::Skipped`) if a command of this call
    /// failed already, and a failure marks the call.
    pub(crate) fn run_in_call<T>(
        &self,
        value_key: &str,
        what: &'static str,
        command: impl FnMut(&mut dyn ConnectionLike) -> RedisResult<T>,
    ) -> Result<T, Failure> {
        let now = Instant::now();
        {
            let mut failed = self.calls();
            match failed.get(value_key) {
                Some(since) if now.duration_since(*since) < OPEN_FOR => {
                    return Err(Failure::Skipped);
                }
                Some(_) => {
                    failed.remove(value_key);
                }
                None => {}
            }
        }
        let result = self.run(what, command);
        if let Err(Failure::Unavailable) = result {
            let mut failed = self.calls();
            failed.retain(|_, since| now.duration_since(*since) < OPEN_FOR);
            failed.insert(value_key.to_owned(), now);
        }
        result
    }

    /// Whether a command of the call on the entry under `value_key` failed.
    pub(crate) fn call_failed(&self, value_key: &str) -> bool {
        let failed = self.calls();
        failed
            .get(value_key)
            .is_some_and(|since| since.elapsed() < OPEN_FOR)
    }

    /// The call on the entry under `value_key` is over: its next call uses
    /// the remote again (unless the breaker says otherwise).
    pub(crate) fn end_call(&self, value_key: &str) {
        let mut failed = self.calls();
        if !failed.is_empty() {
            failed.remove(value_key);
        }
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.failed_calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `command` (`what` names it in warnings: "read", "write", …)
    /// unless the breaker is open. A failure is warned about once per
    /// cause, and a connection failure counts towards the breaker.
    pub(crate) fn run<T>(
        &self,
        what: &'static str,
        command: impl FnMut(&mut dyn ConnectionLike) -> RedisResult<T>,
    ) -> Result<T, Failure> {
        if self.off.get().is_some() {
            return Err(Failure::Skipped);
        }
        let permit = self.breaker.permit(Instant::now());
        if permit == Permit::Refused {
            return Err(Failure::Skipped);
        }
        let error = match self.pool.with(command) {
            Ok(value) => {
                self.answered();
                return Ok(value);
            }
            Err(error) => error,
        };
        if let Some(why) = self.lasting_refusal(&error) {
            self.switch_off(why);
            return Err(Failure::Refused);
        }
        match error {
            error if is_server_reply(&error) => {
                // The server is there: no breaker, but one warning per
                // kind of refusal.
                let code = error.code().unwrap_or("ERR").to_owned();
                warn_once("remote", &format!("{} {code}", self.shown), || {
                    let why = if code == "OOM" {
                        "is full (maxmemory reached); results are kept locally only".to_owned()
                    } else {
                        format!("refused a {what}: {}", self.redact(&error))
                    };
                    format!("funcache: the remote {} {why}", self.shown)
                });
                self.answered();
                Err(Failure::Refused)
            }
            error => {
                self.pool.clear();
                warn_once("remote", &format!("{} unavailable", self.shown), || {
                    format!(
                        "funcache: the remote {} failed ({what}: {}); calls go on with the \
                         local cache only (after {TRIPS_AFTER} failures in a row the remote is \
                         left alone for {}s at a time)",
                        self.shown,
                        self.redact(&error),
                        OPEN_FOR.as_secs()
                    )
                });
                if self.breaker.failure(Instant::now()) == Change::Opened {
                    tracing::debug!(
                        target: "funcache",
                        "the remote {} is left alone for {OPEN_FOR:?} after repeated failures",
                        self.shown
                    );
                }
                Err(Failure::Unavailable)
            }
        }
    }

    /// What to tell the user if `error` is a refusal that retrying will
    /// not change. A cluster that could not be connected at all is asked
    /// (once) whether its first seed is a server without cluster support.
    fn lasting_refusal(&self, error: &RedisError) -> Option<String> {
        refusal::lasting(error, &self.settings.url).or_else(|| {
            let no_connection = error.kind() == redis::ErrorKind::ClusterConnectionNotFound;
            (no_connection && !self.asked_seed.swap(true, Ordering::Relaxed))
                .then(|| refusal::seed_is_no_cluster(&self.settings.url, self.settings.timeout))
                .flatten()
        })
    }

    /// Turns the remote off for the process, saying `why` once.
    fn switch_off(&self, why: String) {
        self.pool.clear();
        warn_once("remote", &format!("{} off", self.shown), || {
            format!(
                "funcache: the remote {} {why}; it is not used again by this process, which \
                 goes on with the local cache only",
                self.shown
            )
        });
        let _ = self.off.set(why);
    }

    /// Why the remote was switched off, if it was.
    #[cfg(test)]
    pub(crate) fn off_reason(&self) -> Option<&str> {
        self.off.get().map(String::as_str)
    }

    /// The remote answered: the breaker closes (if it was probing).
    fn answered(&self) {
        if self.breaker.success() == Change::Recovered {
            tracing::debug!(target: "funcache", "the remote {} answers again", self.shown);
        }
    }

    /// An error's text with the password, should the client ever quote
    /// it, as `***`.
    fn redact(&self, error: &RedisError) -> String {
        if error.is_timeout() {
            return format!("no answer within {:?}", self.settings.timeout);
        }
        let text = error.to_string();
        match self.settings.url.password.as_deref() {
            Some(password) if !password.is_empty() => text.replace(password, "***"),
            _ => text,
        }
    }
}

/// Whether `error` is the server's answer to a command (it is reachable
/// and the connection is fine), not a failure to reach it.
fn is_server_reply(error: &RedisError) -> bool {
    error.code().is_some()
        && !(error.is_io_error()
            || error.is_timeout()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
            || error.is_unrecoverable_error()
            || error.is_cluster_error())
}
