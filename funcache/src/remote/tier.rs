//! The remote tier of one function: values under the key layout of
//! `keys.rs`, in the envelope the disk tier writes, sealed with the Redis
//! key (identical on every machine).

use std::sync::Arc;
use std::time::Duration;

use super::client::Client;
use super::{keys, lease};
use crate::envelope::{self, Payload};
use crate::stats::TierName;
use crate::store::MaxAge;
use crate::tier::{Lease, Open, Tier, TierError, Value};

/// Why a value found on the remote is not served.
#[derive(Debug, thiserror::Error)]
enum RemoteValueError {
    #[error(transparent)]
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
        let found = self.client.run("read", |conn| {
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
        let mut bytes = envelope::start(&value.header(Payload::Inline));
        bytes.extend_from_slice(value.bytes);
        envelope::seal(&mut bytes, value_key.as_bytes());
        let cap = self.client.settings.max_value_size;
        if bytes.len() as u64 > cap {
            tracing::debug!(
                target: "funcache",
                "a result of {} ({} bytes) is over the remote's cap of {cap} bytes: kept locally only",
                self.fn_id,
                bytes.len()
            );
            return Ok(());
        }
        // A failure (full, unreachable) was warned about by the client,
        // once per cause: the value is stored locally all the same.
        let _ = self.client.run("write", |conn| {
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
}
