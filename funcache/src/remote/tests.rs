//! The remote tier against a real `redis-server` (`funcache-testkit`):
//! values, ttl, leases, damaged values, read-only, the size cap, and a
//! remote that is down, hangs or is full.

use std::sync::Arc;
use std::time::Duration;

use funcache_testkit::{RedisCluster, RedisOptions, RedisServer, SilentServer, free_port};
use redis::Commands;

use super::client::{Client, Failure};
use super::keys;
use super::settings::Remote;
use super::tier::RemoteTier;
use crate::envelope;
use crate::store::MaxAge;
use crate::tier::{Tier, TierError, Value};

/// A plain connection to `server`, for looking at and changing what is
/// stored.
fn connection(server: &RedisServer) -> redis::Connection {
    redis::Client::open(server.url())
        .and_then(|client| client.get_connection())
        .unwrap()
}

fn client(url: &str, max_value_size: u64) -> Arc<Client> {
    let remote = Remote::new(url)
        .unwrap()
        .timeout(Duration::from_millis(200))
        .max_value_size(max_value_size);
    Arc::new(Client::new(remote).unwrap())
}

/// A server, a client of it (1 MiB cap) and a read-write tier without a
/// ttl: what most tests start from. `None` when the test is skipped.
fn served(test: &str) -> Option<(RedisServer, Arc<Client>, RemoteTier)> {
    let server = RedisServer::start(test, RedisOptions::default())?;
    let client = client(&server.url(), 1 << 20);
    let tier = tier(&client, None, false);
    Some((server, client, tier))
}

fn tier(client: &Arc<Client>, ttl: Option<Duration>, readonly: bool) -> RemoteTier {
    RemoteTier::new(Arc::clone(client), "t::remote", ttl, readonly)
}

fn entry_key(fingerprint: u8, arg: u64) -> Vec<u8> {
    let args = crate::key::ArgsKey::of_arg(&arg);
    crate::store::EntryKey::new(&[fingerprint; 32], &args).to_vec()
}

fn value(bytes: &[u8], created_unix_ms: u64) -> Value<'_> {
    Value {
        codec: 0,
        created_unix_ms,
        compute_micros: 7,
        bytes,
    }
}

/// (created, bytes) of what `tier` serves for `key`.
fn read(
    tier: &RemoteTier,
    key: &[u8],
    max_age: Option<MaxAge>,
) -> Result<Option<(u64, Vec<u8>)>, TierError> {
    let mut found = None;
    let hit = tier.get(key, max_age, &mut |value: &Value<'_>| {
        found = Some((value.created_unix_ms, value.bytes.to_vec()));
        Ok(())
    })?;
    assert_eq!(hit, found.is_some());
    Ok(found)
}

#[test]
fn values_round_trip_under_the_documented_key_in_the_disk_envelope() {
    let Some((server, client, tier)) = served("remote values") else {
        return;
    };
    let key = entry_key(1, 5);
    assert_eq!(read(&tier, &key, None).unwrap(), None);
    tier.put(&key, &value(b"abc", 1_700_000_000_000)).unwrap();
    assert_eq!(
        read(&tier, &key, None).unwrap(),
        Some((1_700_000_000_000, b"abc".to_vec()))
    );
    let name = keys::value_key("t::remote", &key);
    let stored: Vec<u8> = connection(&server).get(&name).unwrap();
    let (header, body) = envelope::decode(&stored, name.as_bytes()).unwrap();
    assert_eq!((header.compute_micros, body), (7, &b"abc"[..]));
    let ttl: i64 = connection(&server).pttl(&name).unwrap();
    assert_eq!(ttl, -1, "no ttl: kept until removed");
    // Another function's, or another fingerprint's, entry is another key.
    let other = RemoteTier::new(Arc::clone(&client), "t::other", None, false);
    assert_eq!(read(&other, &key, None).unwrap(), None);
    assert_eq!(read(&tier, &entry_key(2, 5), None).unwrap(), None);
}

#[test]
fn a_ttl_is_the_time_a_value_has_left() {
    let Some(server) = RedisServer::start("remote ttl", RedisOptions::default()) else {
        return;
    };
    let client = client(&server.url(), 1 << 20);
    let tier = tier(&client, Some(Duration::from_secs(60)), false);
    let now = envelope::now_unix_ms();
    let (fresh, aged, expired) = (entry_key(1, 1), entry_key(1, 2), entry_key(1, 3));
    tier.put(&fresh, &value(b"a", now)).unwrap();
    tier.put(&aged, &value(b"b", now - 50_000)).unwrap();
    tier.put(&expired, &value(b"c", now - 61_000)).unwrap();
    let mut conn = connection(&server);
    let pttl = |key: &[u8], conn: &mut redis::Connection| -> i64 {
        conn.pttl(keys::value_key("t::remote", key)).unwrap()
    };
    let fresh_left = pttl(&fresh, &mut conn);
    assert!(fresh_left > 10_000 && fresh_left <= 60_000, "{fresh_left}");
    let aged_left = pttl(&aged, &mut conn);
    assert!(
        aged_left > 0 && aged_left <= 10_000,
        "a copy does not extend life"
    );
    assert_eq!(
        pttl(&expired, &mut conn),
        -2,
        "an expired value is not sent"
    );
    // A reader with a ttl does not serve what its ttl says is too old.
    let later = Some(MaxAge::new(Duration::from_secs(60), now + 59_000));
    assert!(read(&tier, &aged, later).unwrap().is_none());
    assert!(read(&tier, &fresh, later).unwrap().is_some());
}

#[test]
fn a_damaged_or_foreign_value_is_unreadable_and_then_overwritten() {
    let Some((server, _client, tier)) = served("remote damaged") else {
        return;
    };
    let key = entry_key(1, 9);
    let name = keys::value_key("t::remote", &key);
    let mut conn = connection(&server);
    let _: () = conn.set(&name, b"\x03garbage").unwrap();
    assert!(matches!(
        read(&tier, &key, None),
        Err(TierError::Unreadable(_))
    ));
    // A valid envelope with one flipped byte.
    tier.put(&key, &value(b"right", 1)).unwrap();
    let mut stored: Vec<u8> = conn.get(&name).unwrap();
    let middle = stored.len() / 2;
    stored[middle] ^= 1;
    let _: () = conn.set(&name, &stored).unwrap();
    assert!(matches!(
        read(&tier, &key, None),
        Err(TierError::Unreadable(_))
    ));
    // A valid envelope moved under another key fails its checksum.
    tier.put(&key, &value(b"right", 1)).unwrap();
    let other = entry_key(1, 10);
    let bytes: Vec<u8> = conn.get(&name).unwrap();
    let _: () = conn
        .set(keys::value_key("t::remote", &other), bytes)
        .unwrap();
    assert!(read(&tier, &other, None).is_err());
    // The recomputed value overwrites: served again.
    assert_eq!(read(&tier, &key, None).unwrap().unwrap().1, b"right");
    // A value that does not decode as the caller's type is unreadable too.
    let refused = tier.get(&key, None, &mut |_: &Value<'_>| {
        Err(crate::codec::decode::<u64>(99, b"").unwrap_err())
    });
    assert!(matches!(refused, Err(TierError::Unreadable(_))));
}

#[test]
fn read_only_reads_but_never_writes_or_leases() {
    let Some(server) = RedisServer::start("remote readonly", RedisOptions::default()) else {
        return;
    };
    let client = client(&server.url(), 1 << 20);
    let writer = tier(&client, None, false);
    let reader = tier(&client, None, true);
    let (stored, new) = (entry_key(1, 1), entry_key(1, 2));
    writer.put(&stored, &value(b"x", 1)).unwrap();
    assert!(read(&reader, &stored, None).unwrap().is_some());
    reader.put(&new, &value(b"y", 1)).unwrap();
    assert!(read(&writer, &new, None).unwrap().is_none());
    assert!(reader.lease(&new, Duration::ZERO).is_none());
    let leases: Vec<String> = connection(&server).keys("*:lease").unwrap();
    assert!(leases.is_empty(), "{leases:?}");
}

#[test]
fn values_over_the_cap_stay_local() {
    let Some(server) = RedisServer::start("remote cap", RedisOptions::default()) else {
        return;
    };
    let client = client(&server.url(), 100);
    let tier = tier(&client, None, false);
    let (small, large) = (entry_key(1, 1), entry_key(1, 2));
    tier.put(&small, &value(&[1; 50], 1)).unwrap();
    tier.put(&large, &value(&[2; 200], 1)).unwrap();
    assert!(read(&tier, &small, None).unwrap().is_some());
    assert!(read(&tier, &large, None).unwrap().is_none());
}

#[test]
fn a_lease_is_exclusive_released_by_its_holder_only_and_waiters_see_the_value() {
    let Some((server, _client, tier)) = served("remote lease") else {
        return;
    };
    let key = entry_key(3, 1);
    let lease_key = keys::lease_key(&keys::value_key("t::remote", &key));
    let held = tier.lease(&key, Duration::ZERO).expect("free");
    assert!(tier.lease(&key, Duration::ZERO).is_none(), "held");
    let ttl: i64 = connection(&server).pttl(&lease_key).unwrap();
    assert!(ttl > 0 && ttl <= 30_000, "a lease expires by itself: {ttl}");
    drop(held);
    let exists: bool = connection(&server).exists(&lease_key).unwrap();
    assert!(!exists, "released");

    // A holder whose lease expired and was taken by another does not
    // delete the other's.
    let held = tier.lease(&key, Duration::ZERO).unwrap();
    let _: () = connection(&server).set(&lease_key, "another").unwrap();
    drop(held);
    let token: String = connection(&server).get(&lease_key).unwrap();
    assert_eq!(token, "another");

    // A waiter returns once the value is stored (long before its wait).
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| tier.lease(&key, Duration::from_secs(600)));
        std::thread::sleep(Duration::from_millis(50));
        tier.put(&key, &value(b"done", 1)).unwrap();
        assert!(waiter.join().unwrap().is_none(), "the value ends the wait");
    });
    // An expired (here: deleted) lease lets the next caller take it.
    let _: () = connection(&server).del(&lease_key).unwrap();
    assert!(tier.lease(&key, Duration::from_secs(600)).is_some());
}

#[test]
fn a_server_that_is_down_costs_a_miss_and_opens_the_breaker() {
    let client = client(&format!("redis://127.0.0.1:{}/0", free_port()), 1 << 20);
    let tier = tier(&client, None, false);
    let key = entry_key(1, 1);
    for _ in 0..super::breaker::TRIPS_AFTER {
        assert_eq!(read(&tier, &key, None).unwrap(), None);
    }
    tier.put(&key, &value(b"x", 1)).unwrap();
    assert!(tier.lease(&key, Duration::from_secs(600)).is_none());
    assert!(
        matches!(client.run("test", |_| Ok(())), Err(Failure::Skipped)),
        "after 3 failures the remote is left alone"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts connections (the kernel does, into the backlog) and never
    // says a word.
    let silent = SilentServer::start();
    let url = silent.url();
    let client = client(&url, 1 << 20);
    let tier = tier(&client, None, false);
    let key = entry_key(1, 1);
    assert_eq!(read(&tier, &key, None).unwrap(), None);
    tier.put(&key, &value(b"x", 1)).unwrap();
    assert!(tier.lease(&key, Duration::from_secs(600)).is_none());
    assert!(matches!(
        client.run("test", |_| Ok(())),
        Err(Failure::Skipped)
    ));
}

#[test]
fn a_full_server_refuses_writes_but_still_serves_and_stays_in_use() {
    let Some(server) = RedisServer::start("remote full", RedisOptions::default().maxmemory("1"))
    else {
        return;
    };
    let client = client(&server.url(), 1 << 20);
    let tier = tier(&client, None, false);
    let key = entry_key(1, 1);
    for _ in 0..super::breaker::TRIPS_AFTER + 1 {
        tier.put(&key, &value(b"x", 1)).unwrap();
    }
    assert!(matches!(
        client.run("test", |conn| redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query::<()>(conn)),
        Err(Failure::Refused)
    ));
    assert_eq!(read(&tier, &key, None).unwrap(), None, "reads still work");
    assert!(
        client.run("test", |_| Ok(())).is_ok(),
        "no breaker for a full server"
    );
}

#[test]
fn the_admin_view_lists_and_removes_entries() {
    let Some((server, client, tier)) = served("remote admin") else {
        return;
    };
    let other = RemoteTier::new(
        Arc::clone(&client),
        "t::other",
        Some(Duration::from_secs(3600)),
        false,
    );
    let now = envelope::now_unix_ms();
    tier.put(&entry_key(1, 1), &value(b"one", now - 5_000))
        .unwrap();
    tier.put(&entry_key(2, 1), &value(b"two", now)).unwrap();
    other.put(&entry_key(1, 1), &value(b"three", now)).unwrap();
    let _lease = tier.lease(&entry_key(1, 2), Duration::ZERO).unwrap();
    let mut conn = connection(&server);
    let damaged = keys::value_key("t::other", &entry_key(4, 4));
    let _: () = conn.set(&damaged, "not an envelope").unwrap();
    let _: () = conn.set("unrelated:key", "x").unwrap();
    let _: () = conn.set("funcache:v1:old::f:00:00", "x").unwrap();

    let remote = super::RemoteCache::connect(Remote::new(&server.url()).unwrap()).unwrap();
    let entries = remote.entries().unwrap();
    let listed: Vec<(&str, u8, bool)> = entries
        .iter()
        .map(|e| (e.fn_id.as_str(), e.fingerprint.as_bytes()[0], e.readable))
        .collect();
    assert_eq!(
        listed,
        [
            ("t::other", 1, true),
            ("t::other", 4, false),
            ("t::remote", 1, true),
            ("t::remote", 2, true)
        ]
    );
    let first = &entries[2];
    assert_eq!(first.key(), keys::value_key("t::remote", &entry_key(1, 1)));
    let created = first.created.duration_since(std::time::UNIX_EPOCH).unwrap();
    assert_eq!(created.as_millis() as u64, now - 5_000);
    assert_eq!(first.expires_in, None);
    assert!(entries[0].expires_in.is_some(), "stored with a ttl");
    let stored: Vec<u8> = conn.get(first.key()).unwrap();
    assert_eq!(first.size, stored.len() as u64);

    let removed = remote.remove(&entries[..2]).unwrap();
    assert_eq!(removed.entries, 2);
    assert_eq!(removed.bytes, entries[0].size + entries[1].size);
    assert_eq!(
        remote.remove(&entries[..2]).unwrap().entries,
        0,
        "gone already"
    );
    assert_eq!(remote.entries().unwrap().len(), 2);
    let untouched: bool = conn.exists("unrelated:key").unwrap();
    assert!(untouched);
}

#[test]
fn the_admin_view_reports_an_unreachable_remote_without_its_password() {
    let url = format!("redis://u:hunter2@127.0.0.1:{}/0", free_port());
    let error = super::RemoteCache::connect(Remote::new(&url).unwrap()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("redis://u:***@127.0.0.1"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn a_cluster_serves_leases_and_lists_entries_on_every_master() {
    let Some(cluster) = RedisCluster::start("remote cluster") else {
        return;
    };
    let client = client(&cluster.url(), 1 << 20);
    let tier = tier(&client, Some(Duration::from_secs(3600)), false);
    let now = envelope::now_unix_ms();
    // Enough keys to land on every master.
    for arg in 0..30 {
        tier.put(&entry_key(1, arg), &value(&arg.to_le_bytes(), now))
            .unwrap();
    }
    for arg in 0..30 {
        let (_, bytes) = read(&tier, &entry_key(1, arg), None).unwrap().unwrap();
        assert_eq!(bytes, arg.to_le_bytes());
    }
    let key = entry_key(1, 99);
    let held = tier.lease(&key, Duration::ZERO).unwrap();
    assert!(tier.lease(&key, Duration::ZERO).is_none());
    drop(held);
    assert!(tier.lease(&key, Duration::ZERO).is_some());

    let remote = super::RemoteCache::connect(Remote::new(&cluster.url()).unwrap()).unwrap();
    let entries = remote.entries().unwrap();
    assert_eq!(entries.len(), 30);
    let holding = cluster
        .nodes()
        .iter()
        .filter(|node| {
            let keys: Vec<String> = connection(node).keys("funcache:*").unwrap();
            !keys.is_empty()
        })
        .count();
    assert_eq!(holding, 3, "spread over every master");
    assert_eq!(remote.remove(&entries).unwrap().entries, 30);
    assert!(remote.entries().unwrap().is_empty());
}

#[test]
fn a_wrong_password_is_a_miss_not_a_failure_of_the_call() {
    let Some(server) =
        RedisServer::start("remote auth", RedisOptions::default().requirepass("right"))
    else {
        return;
    };
    for url in [
        format!("redis://:wrong@{}/0", server.address()),
        format!("redis://{}/0", server.address()),
    ] {
        let client = client(&url, 1 << 20);
        let tier = tier(&client, None, false);
        let key = entry_key(1, 1);
        tier.put(&key, &value(b"x", 1)).unwrap();
        assert_eq!(read(&tier, &key, None).unwrap(), None);
        assert!(tier.lease(&key, Duration::ZERO).is_none());
    }
    let client = client(&server.url(), 1 << 20);
    let tier = tier(&client, None, false);
    tier.put(&entry_key(1, 1), &value(b"x", 1)).unwrap();
    assert!(read(&tier, &entry_key(1, 1), None).unwrap().is_some());
}

#[cfg(not(feature = "redis-tls"))]
#[test]
fn tls_without_its_feature_is_refused_up_front() {
    let remote = Remote::new("rediss://h:6380/0").unwrap();
    let error = Client::new(remote).err().unwrap();
    assert!(error.to_string().contains("`redis-tls`"), "{error}");
}

/// Regression: an idle connection the server had closed (its `timeout`, a
/// proxy, `CLIENT KILL`) made the next command fail: a miss, a warning and
/// a step towards the breaker, though the server was fine.
#[test]
fn a_pooled_connection_closed_by_the_server_is_replaced_silently() {
    let Some((server, _client, tier)) = served("remote reconnect") else {
        return;
    };
    let key = entry_key(1, 1);
    tier.put(&key, &value(b"kept", 1)).unwrap();
    for _ in 0..super::breaker::TRIPS_AFTER {
        let killed: u64 = redis::cmd("CLIENT")
            .arg(&["KILL", "TYPE", "normal", "SKIPME", "yes"][..])
            .query(&mut connection(&server))
            .unwrap();
        assert!(killed >= 1);
        assert_eq!(read(&tier, &key, None).unwrap().unwrap().1, b"kept");
    }
}

#[test]
fn a_server_killed_mid_run_costs_misses_not_failures() {
    let Some(mut server) = RedisServer::start("remote killed", RedisOptions::default()) else {
        return;
    };
    let client = client(&server.url(), 1 << 20);
    let tier = tier(&client, None, false);
    let key = entry_key(1, 1);
    tier.put(&key, &value(b"x", 1)).unwrap();
    assert!(read(&tier, &key, None).unwrap().is_some());
    server.kill();
    assert_eq!(read(&tier, &key, None).unwrap(), None);
    tier.put(&key, &value(b"y", 1)).unwrap();
    assert!(tier.lease(&key, Duration::from_secs(600)).is_none());
    assert!(matches!(
        client.run("test", |_| Ok(())),
        Err(Failure::Skipped)
    ));
}

#[test]
fn a_held_lease_is_renewed_and_a_lost_one_is_not() {
    let Some((server, _client, tier)) = served("remote renewal") else {
        return;
    };
    let (kept, lost) = (entry_key(5, 1), entry_key(5, 2));
    let lease_key = |key: &[u8]| keys::lease_key(&keys::value_key("t::remote", key));
    let _kept = tier.lease(&kept, Duration::ZERO).unwrap();
    let _lost = tier.lease(&lost, Duration::ZERO).unwrap();
    let mut conn = connection(&server);
    // Both nearly expired; the second taken over by another holder.
    let _: () = conn.pexpire(lease_key(&kept), 1_000).unwrap();
    let _: () = conn.set(lease_key(&lost), "another").unwrap();
    let _: () = conn.pexpire(lease_key(&lost), 1_000).unwrap();
    super::renewal::renew_all();
    let kept_ttl: i64 = conn.pttl(lease_key(&kept)).unwrap();
    assert!(kept_ttl > 1_000, "renewed to the full lease: {kept_ttl}");
    let lost_ttl: i64 = conn.pttl(lease_key(&lost)).unwrap();
    assert!(
        lost_ttl <= 1_000,
        "another's lease is left alone: {lost_ttl}"
    );
    let token: String = conn.get(lease_key(&lost)).unwrap();
    assert_eq!(token, "another");
}
