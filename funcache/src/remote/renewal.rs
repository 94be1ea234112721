//! Keeping held leases alive: one background thread renews every lease this
//! process holds each [`RENEW_EVERY`], so a computation that runs longer
//! than a lease's life keeps other machines waiting for its result instead
//! of computing it too. A holder that dies stops renewing, and its lease
//! expires within its life.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use super::client::Client;

/// How often held leases are renewed: a lease must live several times this
/// long, so that one slow or failed renewal does not let it lapse.
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(10);

/// Extends the lease only while it still holds the holder's token (it may
/// have expired and been taken by another).
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// One held lease, as the renewing thread needs it.
#[derive(Clone)]
struct Renewal {
    client: Arc<Client>,
    key: String,
    token: String,
    /// The life each renewal gives it.
    ttl: Duration,
}

#[derive(Default)]
struct Registry {
    next: u64,
    held: HashMap<u64, Renewal>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        // Without the thread (the OS refused one), leases simply last
        // their first life, as if their computation were short.
        let _ = std::thread::Builder::new()
            .name("funcache-lease".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(RENEW_EVERY);
                    renew_all();
                }
            });
        Mutex::default()
    })
}

/// Renews `key` (holding `token`) to live `ttl` again, until [`forget`] is
/// called with the returned id.
pub(crate) fn keep(client: &Arc<Client>, key: &str, token: &str, ttl: Duration) -> u64 {
    let mut registry = registry().lock().unwrap_or_else(PoisonError::into_inner);
    registry.next += 1;
    let id = registry.next;
    let renewal = Renewal {
        client: Arc::clone(client),
        key: key.to_owned(),
        token: token.to_owned(),
        ttl,
    };
    registry.held.insert(id, renewal);
    id
}

/// Stops renewing a lease (it is being released).
pub(crate) fn forget(id: u64) {
    registry()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .held
        .remove(&id);
}

/// Renews every held lease once (outside the registry's lock: a slow
/// remote must not hold up taking or releasing leases).
pub(crate) fn renew_all() {
    let held: Vec<Renewal> = registry()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .held
        .values()
        .cloned()
        .collect();
    for lease in held {
        // A failure was warned about by the client; the lease then lapses
        // as if its holder had died.
        let _ = lease.client.run("lease renewal", |conn| {
            redis::Script::new(RENEW)
                .key(&lease.key)
                .arg(&lease.token)
                .arg(lease.ttl.as_millis() as u64)
                .invoke::<i64>(conn)
        });
    }
}
