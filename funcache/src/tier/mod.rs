//! The tiers behind the memory tier, and the one trait a call reads and
//! writes them through: memory → local disk → (optional) remote.
//!
//! The memory tier holds decoded values of the call's type; every tier
//! behind it holds *encoded* values in its own checksummed, versioned
//! envelope ([`Value`] is what goes in and comes out), so a tier can be a
//! file, a database or a server. [`chain`] is the protocol over them: read
//! in order, fill the tiers in front of the one that hit, write to all.

mod chain;
pub(crate) mod disk;
mod lease_wait;
mod usage;

use std::time::Duration;

use crate::codec::DecodeError;
use crate::envelope::{Header, Payload};
use crate::error::Error;
use crate::stats::TierName;
use crate::store::{Busy, MaxAge};

pub(crate) use chain::Chain;
pub use chain::Look;
pub(crate) use disk::{DiskTier, FunctionFacts};
pub(crate) use usage::flush_usage;

/// An encoded value and what is known about it, as every tier stores it
/// (inside its own envelope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Value<'a> {
    /// Which codec wrote `bytes` (see `codec.rs`).
    pub codec: u8,
    /// When the value was computed, in milliseconds since the Unix epoch:
    /// kept when one tier fills another, so a `ttl` counts from the
    /// computation, not from the copy.
    pub created_unix_ms: u64,
    /// How long the computation took, in microseconds.
    pub compute_micros: u64,
    /// The encoded value.
    pub bytes: &'a [u8],
}

impl<'a> Value<'a> {
    /// The value an envelope's header and body describe.
    pub(crate) fn of(header: &Header, bytes: &'a [u8]) -> Value<'a> {
        Value {
            codec: header.codec,
            created_unix_ms: header.created_unix_ms,
            compute_micros: header.compute_micros,
            bytes,
        }
    }

    /// The envelope header that stores this value as `payload`: the
    /// inverse of [`Value::of`], for every tier that writes one.
    pub(crate) fn header(&self, payload: Payload) -> Header {
        Header {
            created_unix_ms: self.created_unix_ms,
            compute_micros: self.compute_micros,
            codec: self.codec,
            payload,
        }
    }
}

/// Turns a found value into the caller's type. Called at most once per
/// lookup, while the tier may still hold a read transaction: it decodes
/// and returns, nothing more.
pub(crate) type Open<'a> = dyn FnMut(&Value<'_>) -> Result<(), DecodeError> + 'a;

/// Why a tier gave no value, beyond a plain miss. Either way the call
/// computes; the kinds differ in what the warning says.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TierError {
    /// The tier itself failed: database, file system, network, timeout.
    #[error("{0}")]
    Failed(Error),
    /// A value was found but cannot be served: damaged, written by another
    /// format version, or not of the call's type. The computed value
    /// overwrites it.
    #[error("{0}")]
    Unreadable(Box<dyn std::error::Error + Send + Sync>),
}

/// The right to compute one entry while others wait for its result (a
/// cross-process key lock, a remote `SET NX PX` lease): released when
/// dropped, and by the OS or an expiry if the holder dies.
pub(crate) struct Lease(#[allow(dead_code)] Box<dyn Send>);

impl Lease {
    pub(crate) fn new(guard: impl Send + 'static) -> Lease {
        Lease(Box::new(guard))
    }
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lease")
    }
}

/// A store of encoded values behind the memory tier, for one function.
/// Keys are entry keys (fingerprint ‖ argument key); each tier adds the
/// function and its own namespace.
///
/// A tier enforces `max_age` (`ttl`) itself, checks its envelopes, and
/// handles its own failures (timeouts, retries, circuit breaking): an
/// `Err` is reported once by the caller and the call carries on without
/// it.
pub(crate) trait Tier: Send + Sync {
    /// What the tier's counters and warnings are named.
    fn name(&self) -> TierName;

    /// Looks `key` up for a call; on a hit hands the value to `open` and
    /// returns `true`. Records the use as the tier does (last-used times).
    fn get(
        &self,
        key: &[u8],
        max_age: Option<MaxAge>,
        open: &mut Open<'_>,
    ) -> Result<bool, TierError>;

    /// [`get`](Self::get) without recording anything (`f_peek`). The
    /// default is `get` itself, for a tier whose reads record nothing.
    fn peek(
        &self,
        key: &[u8],
        max_age: Option<MaxAge>,
        open: &mut Open<'_>,
    ) -> Result<bool, TierError> {
        self.get(key, max_age, open)
    }

    /// Stores `value` under `key`, replacing what was there.
    fn put(&self, key: &[u8], value: &Value<'_>) -> Result<(), TierError>;

    /// Takes the lease on computing `key`, waiting at most `wait` while
    /// another holds it. `None`: compute without one (the wait ran out, the
    /// tier cannot lease, or leasing failed).
    fn lease(&self, key: &[u8], wait: Duration) -> Option<Lease>;

    /// [`lease`](Self::lease) without waiting, saying when another holds
    /// it (`Err(Busy)`), so that an async call can wait off its thread.
    /// By default a held lease is not told apart (`Ok(None)`).
    fn try_lease(&self, key: &[u8]) -> Result<Option<Lease>, Busy> {
        Ok(self.lease(key, Duration::ZERO))
    }
}

/// A tier for tests: values in a map, failures on demand, every call
/// logged.
#[cfg(test)]
pub(crate) mod fake {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// (codec, created, compute, bytes) of a stored value.
    type Stored = (u8, u64, u64, Vec<u8>);

    pub(crate) struct FakeTier {
        pub name: TierName,
        pub values: Mutex<HashMap<Vec<u8>, Stored>>,
        pub fail: bool,
        pub log: Mutex<Vec<String>>,
    }

    impl FakeTier {
        pub(crate) fn new(name: TierName) -> FakeTier {
            FakeTier {
                name,
                values: Mutex::default(),
                fail: false,
                log: Mutex::default(),
            }
        }

        fn note(&self, what: &str) {
            self.log.lock().unwrap().push(what.to_owned());
        }

        fn find(&self, key: &[u8], open: &mut Open<'_>) -> Result<bool, TierError> {
            if self.fail {
                return Err(TierError::Failed(Error::Unavailable {
                    path: "fake".into(),
                }));
            }
            let values = self.values.lock().unwrap();
            let Some((codec, created_unix_ms, compute_micros, bytes)) = values.get(key) else {
                return Ok(false);
            };
            let value = Value {
                codec: *codec,
                created_unix_ms: *created_unix_ms,
                compute_micros: *compute_micros,
                bytes,
            };
            open(&value).map_err(|error| TierError::Unreadable(Box::new(error)))?;
            Ok(true)
        }
    }

    impl Tier for FakeTier {
        fn name(&self) -> TierName {
            self.name
        }
        fn get(
            &self,
            key: &[u8],
            _: Option<MaxAge>,
            open: &mut Open<'_>,
        ) -> Result<bool, TierError> {
            self.note("get");
            self.find(key, open)
        }
        fn peek(
            &self,
            key: &[u8],
            _: Option<MaxAge>,
            open: &mut Open<'_>,
        ) -> Result<bool, TierError> {
            self.note("peek");
            self.find(key, open)
        }
        fn put(&self, key: &[u8], value: &Value<'_>) -> Result<(), TierError> {
            self.note("put");
            if self.fail {
                return Err(TierError::Failed(Error::Unavailable {
                    path: "fake".into(),
                }));
            }
            self.values.lock().unwrap().insert(
                key.to_vec(),
                (
                    value.codec,
                    value.created_unix_ms,
                    value.compute_micros,
                    value.bytes.to_vec(),
                ),
            );
            Ok(())
        }
        fn lease(&self, _: &[u8], _: Duration) -> Option<Lease> {
            self.note("lease");
            Some(Lease::new(()))
        }
    }
}
