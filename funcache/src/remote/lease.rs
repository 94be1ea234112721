//! The lease on computing one entry across machines: `SET <value key>:lease
//! <token> NX PX <LEASE_TTL>`. A caller that cannot take it polls until
//! the value appears, the lease is released or expires, or its wait runs
//! out; then the call reads the tiers again and computes only if the
//! value is still missing. The holder releases the lease when its call
//! ends, deleting it only if it still holds its own token (it may have
//! expired and been taken by another); while it computes, `renewal.rs`
//! keeps the lease alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::client::Client;
use super::{keys, renewal};
use crate::store::Busy;
use crate::tier::Lease;

/// How long a lease lasts unless released or renewed: a holder that dies
/// frees the entry for others after at most this.
const LEASE_TTL: Duration = Duration::from_secs(30);
const _: () = assert!(3 * renewal::RENEW_EVERY.as_secs() <= LEASE_TTL.as_secs());

/// The first pause between polls; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// Deletes the lease only if it still holds the holder's token.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
";

/// A held lease, renewed while held; released when dropped.
struct Held {
    client: Arc<Client>,
    /// The key of the value it leases, and its own.
    value_key: String,
    key: String,
    token: String,
    /// Its id with the renewing thread.
    renewal: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        renewal::forget(self.renewal);
        // Should the remote fail now, the lease expires by itself.
        // (Skipped if the call's write failed: one timeout per call.)
        let _ = self
            .client
            .run_in_call(&self.value_key, "lease release", |conn| {
                redis::Script::new(RELEASE)
                    .key(&self.key)
                    .arg(&self.token)
                    .invoke::<i64>(conn)
            });
        self.client.end_call(&self.value_key);
    }
}

/// What one try at a lease found.
enum Attempt {
    /// The lease is ours.
    Taken(Lease),
    /// Another holds it and the value is not there yet: worth waiting.
    Held,
    /// Compute without a lease: the value appeared meanwhile, or the
    /// remote failed (warned about by the client).
    Without,
}

/// One `SET NX` for the lease under `key` (of the value under
/// `value_key`) with `token`; when another holds it, whether the value is
/// stored already.
fn attempt(client: &Arc<Client>, value_key: &str, key: &str, token: &str) -> Attempt {
    let taken = client.run_in_call(value_key, "lease", |conn| {
        redis::cmd("SET")
            .arg(key)
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(LEASE_TTL.as_millis() as u64)
            .query::<Option<String>>(conn)
    });
    match taken {
        Err(_) => return Attempt::Without,
        Ok(Some(_)) => {
            return Attempt::Taken(Lease::new(Held {
                client: Arc::clone(client),
                value_key: value_key.to_owned(),
                renewal: renewal::keep(client, key, token, LEASE_TTL),
                key: key.to_owned(),
                token: token.to_owned(),
            }));
        }
        Ok(None) => {}
    }
    // Another machine computes it: its value ends the wait.
    let stored = client.run_in_call(value_key, "lease", |conn| {
        redis::cmd("EXISTS").arg(value_key).query::<bool>(conn)
    });
    match stored {
        Ok(false) => Attempt::Held,
        Ok(true) | Err(_) => Attempt::Without,
    }
}

/// Takes the lease on the entry stored under `value_key`, waiting at most
/// `wait` while another holds it. `None`: compute without one (the value
/// appeared, the wait ran out, or the remote is unusable).
pub(crate) fn take(client: &Arc<Client>, value_key: &str, wait: Duration) -> Option<Lease> {
    let key = keys::lease_key(value_key);
    let token = token();
    let deadline = Instant::now() + wait;
    let mut pause = FIRST_PAUSE;
    loop {
        match attempt(client, value_key, &key, &token) {
            Attempt::Taken(lease) => return Some(lease),
            Attempt::Without => return None,
            Attempt::Held => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// [`take`] without waiting: `Err(Busy)` while another holds the lease and
/// the value is not stored yet, so that an async call can wait for it off
/// its thread (`tier::lease_wait`).
pub(crate) fn try_take(client: &Arc<Client>, value_key: &str) -> Result<Option<Lease>, Busy> {
    match attempt(client, value_key, &keys::lease_key(value_key), &token()) {
        Attempt::Taken(lease) => Ok(Some(lease)),
        Attempt::Held => Err(Busy),
        Attempt::Without => Ok(None),
    }
}

/// A token no other holder has: the standard library's per-process random
/// seed (containers on many machines share process ids and clocks), the
/// process, the moment, a counter.
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let mut hasher = blake3::Hasher::new();
    hasher.update(&random.to_le_bytes());
    hasher.update(&std::process::id().to_le_bytes());
    hasher.update(&crate::envelope::now_unix_ms().to_le_bytes());
    hasher.update(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.finalize().to_hex()[..32].to_owned()
}
