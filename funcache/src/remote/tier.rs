//! The remote tier of one function: values under the key layout of
//! `keys.rs`, in the envelope the disk tier writes, sealed with the Redis
//! key (identical on every machine).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::client::Client;
use super::{keys, lease};
use crate::envelope::{self, Payload};
use crate::stats::TierName;
use crate::store::{Busy, MaxAge};
use crate::tier::{Lease, Open, Tier, TierError, Value};
use crate::warn::warn_once;

/// Why a value found on the remote is not served.
#[derive(Debug, thiserror::Error)]
enum RemoteValueError {
    // Not transparent: see `store::LoadError::Envelope`.
    #[error("{0}")]
    Envelope(#[from] envelope::EnvelopeError),
    #[error("it refers to a large-value file, which only a cache directory has")]
    NotInline,
}

pub(crate) struct RemoteTier {
    client: Arc<Client>,
    fn_id: &'static str,
    /// The function's `ttl`: values are stored with the time they have
    /// left, so that Redis drops them when they expire.
    ttl: Option<Duration>,
    /// `FUNCACHE_READONLY`: read, never write, take no lease.
    readonly: bool,
    /// Whether a value over the size cap was reported (once per function).
    told_over_cap: AtomicBool,
}

impl RemoteTier {
    pub(crate) fn new(
        client: Arc<Client>,
        fn_id: &'static str,
        ttl: Option<Duration>,
        readonly: bool,
    ) -> Self {
        RemoteTier {
            client,
            fn_id,
            ttl,
            readonly,
            told_over_cap: AtomicBool::new(false),
        }
    }

    /// Reports, the first time for this function, that a value of `len`
    /// bytes stays local: logged at info level under the default cap, a
    /// warning under one the user chose (they meant it to matter).
    fn over_cap(&self, len: usize) {
        let settings = &self.client.settings;
        let cap = settings.max_value_size;
        if self.told_over_cap.swap(true, Ordering::Relaxed) {
            tracing::debug!(
                target: "funcache",
                "a result of {} ({len} bytes) is over the remote's cap of {cap} bytes: kept locally only",
                self.fn_id
            );
            return;
        }
        let message = format!(
            "funcache: results of {} over the remote's cap of {cap} bytes ({len} bytes here) \
             are kept locally only (raise the cap with FUNCACHE_REMOTE_MAX_VALUE or \
             Remote::max_value_size)",
            self.fn_id
        );
        if settings.max_value_chosen {
            warn_once("remote-cap", self.fn_id, || message);
        } else {
            tracing::info!(target: "funcache", "{message}");
        }
    }

    /// Milliseconds a value created at `created_unix_ms` has left under
    /// the function's `ttl` (`None`: no ttl; `Some(0)`: expired).
    fn remaining_ms(&self, created_unix_ms: u64) -> Option<u64> {
        let ttl = self.ttl?.as_millis().min(u128::from(u64::MAX)) as u64;
        let age = envelope::now_unix_ms().saturating_sub(created_unix_ms);
        Some(ttl.saturating_sub(age))
    }
}

impl Tier for RemoteTier {
    fn name(&self) -> TierName {
        TierName::Remote
    }

    /// Reads record nothing on a remote: `peek` is this too (the
    /// trait's default).
    fn get(
        &self,
        key: &[u8],
        max_age: Option<MaxAge>,
        open: &mut Open<'_>,
    ) -> Result<bool, TierError> {
        let value_key = keys::value_key(self.fn_id, key);
        let found = self.client.run_in_call(&value_key, "read", |conn| {
            redis::cmd("GET")
                .arg(&value_key)
                .query::<Option<Vec<u8>>>(conn)
        });
        // Failures were warned about by the client: a miss here.
        let Ok(Some(bytes)) = found else {
            return Ok(false);
        };
        let unreadable = |error: RemoteValueError| TierError::Unreadable(Box::new(error));
        let (header, body) = envelope::decode(&bytes, value_key.as_bytes())
            .map_err(|error| unreadable(error.into()))?;
        if max_age.is_some_and(|max_age| max_age.expired(header.created_unix_ms)) {
            return Ok(false);
        }
        if header.payload != Payload::Inline {
            return Err(unreadable(RemoteValueError::NotInline));
        }
        open(&Value::of(&header, body)).map_err(|error| TierError::Unreadable(Box::new(error)))?;
        Ok(true)
    }

    fn put(&self, key: &[u8], value: &Value<'_>) -> Result<(), TierError> {
        if self.readonly {
            return Ok(());
        }
        let remaining = self.remaining_ms(value.created_unix_ms);
        if remaining == Some(0) {
            return Ok(());
        }
        let value_key = keys::value_key(self.fn_id, key);
        if self.client.call_failed(&value_key) {
            // A command of this call failed already: leave the remote
            // alone. The write is the call's last step (no lease is held:
            // none is taken after a failure), so its mark ends here.
            self.client.end_call(&value_key);
            return Ok(());
        }
        let mut bytes = envelope::start(&value.header(Payload::Inline));
        bytes.extend_from_slice(value.bytes);
        envelope::seal(&mut bytes, value_key.as_bytes());
        let cap = self.client.settings.max_value_size;
        if bytes.len() as u64 > cap {
            self.over_cap(bytes.len());
            return Ok(());
        }
        // A failure (full, unreachable) was warned about by the client,
        // once per cause: the value is stored locally all the same.
        let _ = self.client.run_in_call(&value_key, "write", |conn| {
            let mut set = redis::cmd("SET");
            set.arg(&value_key).arg(&bytes);
            if let Some(ms) = remaining {
                set.arg("PX").arg(ms);
            }
            set.query::<()>(conn)
        });
        Ok(())
    }

    fn lease(&self, key: &[u8], wait: Duration) -> Option<Lease> {
        if self.readonly {
            return None;
        }
        let value_key = keys::value_key(self.fn_id, key);
        lease::take(&self.client, &value_key, wait)
    }

    /// Without this, an async call would never see another machine's
    /// lease (the default cannot tell "held" from "no lease") and would
    /// compute alongside it.
    fn try_lease(&self, key: &[u8]) -> Result<Option<Lease>, Busy> {
        if self.readonly {
            return Ok(None);
        }
        lease::try_take(&self.client, &keys::value_key(self.fn_id, key))
    }
}
