//! The remote tier: a Redis server or cluster shared between machines,
//! behind the local cache directory. A call reads memory → disk → remote;
//! a remote hit fills the disk and memory tiers; a computed value is
//! written to disk, then to the remote. No Redis type leaves this module.
//!
//! Configured by [`set_remote`] or `FUNCACHE_REMOTE` (see [`Remote`]),
//! with the cargo feature `redis` (on by default; `redis-tls` adds
//! `rediss://`).
//!
//! # Key layout
//!
//! ```text
//! funcache:v{FORMAT_VERSION}:{fn_id}:{hex fingerprint}:{hex args key}         value
//! funcache:v{FORMAT_VERSION}:{fn_id}:{hex fingerprint}:{hex args key}:lease   lease
//! ```
//!
//! e.g. `funcache:v3:my_app::steps::parse:4fb5…(64 hex):00a1…`. The
//! fingerprint is 32 bytes; the args key is the [`ArgsKey`](crate::ArgsKey)
//! (a kind byte, then the arguments' encoding or its digest). Fingerprint
//! and args key are the last two `:`-separated fields (a function id holds
//! `::`), so `purge --remote --stale` can compare fingerprints. Nothing of
//! the machine or the cache directory is in a key, so every machine and
//! checkout shares them. Another format version lives under another
//! prefix and is never read.
//!
//! # Values
//!
//! A value is the envelope the disk tier writes (`envelope.rs`: version
//! byte, header, value, checksum), always inline, with its checksum seeded
//! by the value key's bytes. A value that fails the check or does not
//! decode is a miss: recomputed and overwritten. A function with a `ttl`
//! stores its values with `PX` = the time they have left (a copy does not
//! extend a value's life). Values whose envelope is over the size cap
//! (`FUNCACHE_REMOTE_MAX_VALUE`, 1 MiB) are not sent.
//!
//! # Leases
//!
//! A call that missed everywhere takes the entry's lease (`SET … NX PX
//! 30000` with a random token) before computing; other machines wait for
//! the value meanwhile (see `lease.rs`). A background thread renews held
//! leases every 10 s, so a long computation keeps them; a holder that dies
//! frees its lease within 30 s. `FUNCACHE_READONLY=1` reads the
//! remote but writes nothing and takes no lease.
//!
//! # Failures
//!
//! Connecting and every command time out after `FUNCACHE_REMOTE_TIMEOUT`
//! (250 ms). Any failure makes the call go on without the remote, with one
//! warning per cause (the URL shown with its password as `***`); after 3
//! failures in a row the remote is left alone for 30 s, then probed by one
//! call (see `breaker.rs`).

mod settings;
mod url;

#[cfg(feature = "redis")]
mod admin;
#[cfg(feature = "redis")]
mod breaker;
#[cfg(feature = "redis")]
mod client;
#[cfg(feature = "redis")]
mod keys;
#[cfg(feature = "redis")]
mod lease;
#[cfg(feature = "redis")]
mod pool;
#[cfg(feature = "redis")]
mod renewal;
#[cfg(all(test, feature = "redis"))]
mod tests;
#[cfg(feature = "redis")]
mod tier;

pub use settings::{Remote, set_remote};

#[cfg(feature = "redis")]
pub use admin::{RemoteCache, RemoteEntry};
#[cfg(all(test, feature = "redis"))]
pub(crate) use client::Client;
#[cfg(feature = "redis")]
pub(crate) use tier::RemoteTier;

/// The remote this process uses, connected lazily: decided on the first
/// call that needs it. `None` without one, or when it cannot be used
/// (warned about once).
#[cfg(feature = "redis")]
pub(crate) fn shared() -> Option<&'static std::sync::Arc<client::Client>> {
    use std::sync::{Arc, OnceLock};
    static SHARED: OnceLock<Option<Arc<client::Client>>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let remote = settings::decide()?;
            match client::Client::new(remote.clone()) {
                Ok(client) => Some(Arc::new(client)),
                Err(error) => {
                    crate::warn::warn_once("remote", &remote.to_string(), || {
                        format!(
                            "funcache: the remote {remote} cannot be used ({error}); running \
                             with the local cache only"
                        )
                    });
                    None
                }
            }
        })
        .as_ref()
}

#[cfg(not(feature = "redis"))]
pub(crate) use settings::warn_if_configured;
