//! One remote as the tiers use it: its settings, its connections and its
//! breaker. Every command goes through [`Client::run`], which is where
//! failures are classified, warned about once per cause and counted by
//! the breaker.

use std::time::Instant;

use redis::{ConnectionLike, RedisError, RedisResult};

use super::breaker::{Breaker, Change, OPEN_FOR, Permit, TRIPS_AFTER};
use super::pool::{Pool, PoolError};
use super::settings::Remote;
use crate::warn::warn_once;

pub(crate) struct Client {
    pub(crate) settings: Remote,
    /// The URL with its password as `***`: what warnings show.
    pub(crate) shown: String,
    pool: Pool,
    breaker: Breaker,
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
        })
    }

    /// Runs `command` (`what` names it in warnings: "read", "write", …)
    /// unless the breaker is open. A failure is warned about once per
    /// cause, and a connection failure counts towards the breaker.
    pub(crate) fn run<T>(
        &self,
        what: &'static str,
        command: impl FnMut(&mut dyn ConnectionLike) -> RedisResult<T>,
    ) -> Result<T, Failure> {
        let permit = self.breaker.permit(Instant::now());
        if permit == Permit::Refused {
            return Err(Failure::Skipped);
        }
        match self.pool.with(command) {
            Ok(value) => {
                self.answered();
                Ok(value)
            }
            Err(error) if is_server_reply(&error) => {
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
            Err(error) => {
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
