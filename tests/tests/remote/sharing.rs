//! Results shared between machines: through one Redis (single server and
//! cluster), and through a cache directory copied to another checkout.

use crate::machine::{Machine, barrier, builder, calls, values_under};
use crate::redis_data::{ClusterData, ServerData};
use crate::support::{self, Fixture};
use funcache_testkit::{RedisCluster, RedisOptions, RedisServer};

/// A CI cache restored elsewhere: the directory is copied to another path
/// and used by another checkout of the same source, with no Redis at all.
#[test]
fn a_cache_directory_copied_to_another_path_hits_in_another_checkout() {
    let _guard = support::lock();
    let temp = tempfile::tempdir().unwrap();
    let original = temp.path().join("original");
    let one = Fixture::copy("basic");
    one.build();
    let first = one.run(&original);
    assert_eq!(first.ran, ["double", "greet", "total"]);

    let restored = temp.path().join("restored").join("funcache");
    support::copy_dir(&original, &restored);
    let other = Fixture::copy("basic");
    assert_ne!(one.path(), other.path());
    other.build();
    let second = other.run(&restored);
    assert!(
        second.ran.is_empty(),
        "the copied directory in another checkout recomputed {:?}",
        second.ran
    );
    assert_eq!(second.stdout, first.stdout);
}

/// Machine A computes; machine B, with an empty cache directory, gets every
/// result from Redis and fills its own directory with them, which serves a
/// third run on B without the remote.
#[test]
fn a_result_computed_on_one_machine_is_a_hit_on_another() {
    let Some(server) = RedisServer::start(
        "a_result_computed_on_one_machine_is_a_hit_on_another",
        RedisOptions::default(),
    ) else {
        return;
    };
    let work = calls("square", 0..6);

    let a = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(a.runs("square"), 6);
    a.no_warnings();
    let keys = server.keys();
    let stored = values_under(&keys, a.prefix("square"));
    assert_eq!(stored.len(), 6, "one key per result: {keys:?}");
    assert!(
        keys.iter().all(|key| !key.ends_with(":lease")),
        "leases are released: {keys:?}"
    );

    // Each call twice: a remote hit fills the memory tier too.
    let b = Machine::with_remote(&server.url());
    let twice: Vec<_> = work.iter().chain(&work).copied().collect();
    let hits = b.run(&twice);
    assert_eq!(hits.total_runs(), 0, "B ran bodies: {}", hits.stderr);
    assert_eq!((hits.remote_hits(), hits.memory_hits()), (6, 6));
    hits.no_warnings();

    // B's own directory now holds them: no remote needed.
    let local = b.run_without_remote(&work);
    assert_eq!(local.total_runs(), 0);
    assert_eq!((local.disk_hits(), local.remote_hits()), (6, 0));
    assert_eq!(server.keys(), keys, "hits change nothing in Redis");
}

/// Pull-request CI: `FUNCACHE_READONLY=1` reads hits from Redis but writes
/// nothing to it, not even a lease.
#[test]
fn readonly_reads_the_remote_and_never_writes_it() {
    let Some(server) = RedisServer::start(
        "readonly_reads_the_remote_and_never_writes_it",
        RedisOptions::default(),
    ) else {
        return;
    };
    Machine::with_remote(&server.url()).run(&calls("square", 0..3));
    let before = server.keys();
    assert_eq!(before.len(), 3);

    let readonly = Machine::with_remote(&server.url())
        .env("FUNCACHE_READONLY", "1")
        .run(&calls("square", 0..6));
    assert_eq!(readonly.runs("square"), 3, "3..6 are not in Redis");
    assert_eq!(readonly.remote_hits(), 3);
    readonly.no_warnings();
    assert_eq!(server.keys(), before, "a read-only machine wrote to Redis");
    assert_eq!(server.dbsize(), 3);

    // FUNCACHE_DISABLE=1 bypasses the remote too.
    let disabled = Machine::with_remote(&server.url())
        .env("FUNCACHE_DISABLE", "1")
        .run(&calls("square", 0..6));
    assert_eq!((disabled.runs("square"), disabled.remote_hits()), (6, 0));
    assert_eq!(server.keys(), before, "a disabled cache wrote to Redis");
}

/// `ttl = "1h"` becomes a Redis expiry on the stored value.
#[test]
fn ttl_applies_on_the_remote() {
    let Some(server) = RedisServer::start("ttl_applies_on_the_remote", RedisOptions::default())
    else {
        return;
    };
    let run = Machine::with_remote(&server.url()).run(&calls("forecast", 1..2));
    let keys = server.keys();
    let stored = values_under(&keys, run.prefix("forecast"));
    assert_eq!(stored.len(), 1, "{keys:?}");
    let pttl: i64 = server.command(redis::cmd("PTTL").arg(stored[0]));
    assert!(
        pttl > 0 && pttl <= 3_600_000,
        "PTTL {pttl} ms: expected an expiry of at most an hour"
    );
}

/// Two machines with separate directories start the same slow call at the
/// same moment: the remote lease lets one compute it while the other waits
/// for its result.
#[test]
fn one_computation_across_machines() {
    let Some(server) =
        RedisServer::start("one_computation_across_machines", RedisOptions::default())
    else {
        return;
    };
    let ready = tempfile::tempdir().unwrap();
    let (name, value) = barrier(ready.path(), 2);
    let work = calls("slow", 7..8);
    let (a, b) = (
        Machine::with_remote(&server.url()),
        Machine::with_remote(&server.url()),
    );
    let children = [
        a.spawn(&work, &[(name, &value)]),
        b.spawn(&work, &[(name, &value)]),
    ];
    let outcomes = children.map(|child| crate::machine::Outcome::of(child, &work));
    let runs: u64 = outcomes.iter().map(|o| o.runs("slow")).sum();
    assert_eq!(
        runs, 1,
        "the body ran {runs} times:\n{}\n{}",
        outcomes[0].stderr, outcomes[1].stderr
    );
    for outcome in &outcomes {
        outcome.no_warnings();
    }
}

/// A lease whose holder is gone: the next caller waits for it to expire,
/// then computes; a lease held longer than `FUNCACHE_LOCK_WAIT` is given
/// up on, and the caller computes without it.
#[test]
fn a_lease_whose_holder_is_gone_does_not_block_for_long() {
    let Some(server) = RedisServer::start(
        "a_lease_whose_holder_is_gone_does_not_block_for_long",
        RedisOptions::default(),
    ) else {
        return;
    };
    let work = calls("square", 5..6);
    let first = Machine::with_remote(&server.url()).run(&work);
    let keys = server.keys();
    let value_key = values_under(&keys, first.prefix("square"))[0].to_owned();
    let lease_key = format!("{value_key}:lease");

    // A machine took the lease and died before storing its value.
    let forget = |lease_ms: u64| {
        let _: () = server.command(redis::cmd("DEL").arg(&value_key));
        let _: () = server.command(
            redis::cmd("SET")
                .arg(&lease_key)
                .arg("a-dead-machine")
                .arg("PX")
                .arg(lease_ms),
        );
    };
    forget(1_500);
    let after_expiry = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(after_expiry.runs("square"), 1);
    after_expiry.no_warnings();
    assert_eq!(
        server.keys(),
        [value_key.as_str()],
        "stored, and no lease left"
    );

    // One that holds it for ten minutes: given up after the lock wait.
    forget(600_000);
    let gave_up = Machine::with_remote(&server.url())
        .env("FUNCACHE_LOCK_WAIT", "1s")
        .run(&work);
    assert_eq!(gave_up.runs("square"), 1);
    let keys = server.keys();
    assert!(keys.contains(&value_key), "the value is stored: {keys:?}");
}

/// The cluster path: seeds in `redis+cluster://`, keys spread over the
/// nodes, leases and expiries included.
#[test]
fn a_redis_cluster_shares_results() {
    let Some(cluster) = RedisCluster::start("a_redis_cluster_shares_results") else {
        return;
    };
    let mut work = calls("square", 0..8);
    work.extend(calls("forecast", 1..3));

    let a = Machine::with_remote(&cluster.url_with_two_seeds()).run(&work);
    assert_eq!(a.total_runs(), 10);
    a.no_warnings();
    let keys = cluster.keys();
    assert_eq!(values_under(&keys, a.prefix("square")).len(), 8, "{keys:?}");
    assert_eq!(values_under(&keys, a.prefix("forecast")).len(), 2);

    let b = Machine::with_remote(&cluster.url_with_two_seeds()).run(&work);
    assert_eq!(b.total_runs(), 0, "{}", b.stderr);
    assert_eq!(b.remote_hits(), 10);
    b.no_warnings();

    // The CLI lists the entries of every master.
    let inspect = crate::cli::run_cli(&["inspect", "--remote", &cluster.url_with_two_seeds()], &[]);
    let table = inspect.ok();
    for (function, entries) in [("square", "8"), ("forecast", "2")] {
        let line = crate::cli::row(table, function)
            .unwrap_or_else(|| panic!("no {function} in:\n{table}"));
        assert_eq!(line.split_whitespace().next(), Some(entries), "{table}");
    }
}

/// The remote configured in code, with a per-value cap: values above it
/// stay local, the others are shared.
#[test]
fn values_above_the_size_cap_stay_local() {
    let Some(server) = RedisServer::start(
        "values_above_the_size_cap_stay_local",
        RedisOptions::default(),
    ) else {
        return;
    };
    let mut work = calls("square", 0..2);
    work.extend(calls("blob", 0..2));
    let (name, value) = builder(&server.url(), 1024);
    let capped = Machine::new().run_with(&work, &[(name, &value)]);
    assert_eq!(capped.total_runs(), 4);
    let keys = server.keys();
    assert_eq!(values_under(&keys, capped.prefix("square")).len(), 2);
    assert_eq!(
        values_under(&keys, capped.prefix("blob")).len(),
        0,
        "a {} byte value went to Redis despite a 1 KiB cap",
        crate::program::BLOB_LEN
    );

    // The default cap (1 MiB) lets the blobs through.
    let default = Machine::with_remote(&server.url()).run(&work);
    assert_eq!((default.runs("square"), default.runs("blob")), (0, 2));
    let keys = server.keys();
    assert_eq!(values_under(&keys, default.prefix("blob")).len(), 2);

    // And FUNCACHE_REMOTE_MAX_VALUE caps like the builder does.
    let blobs = calls("blob", 2..3);
    let env_capped = Machine::with_remote(&server.url())
        .env("FUNCACHE_REMOTE_MAX_VALUE", "1KiB")
        .run(&blobs);
    assert_eq!(env_capped.runs("blob"), 1);
    let keys = server.keys();
    assert_eq!(values_under(&keys, env_capped.prefix("blob")).len(), 2);
}

/// A value over 1 MiB travels when the cap allows it, and a remote hit of
/// it becomes a large-value file in the local directory.
#[test]
fn a_large_value_travels_when_the_cap_allows_it() {
    let Some(server) = RedisServer::start(
        "a_large_value_travels_when_the_cap_allows_it",
        RedisOptions::default(),
    ) else {
        return;
    };
    let work = calls("large", 0..1);
    let default_cap = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(server.dbsize(), 0, "1.5 MiB is over the default cap");

    let a = Machine::with_remote(&server.url())
        .env("FUNCACHE_REMOTE_MAX_VALUE", "4MiB")
        .run(&work);
    assert_eq!(a.runs("large"), 1);
    let keys = server.keys();
    assert_eq!(values_under(&keys, default_cap.prefix("large")).len(), 1);

    let b = Machine::with_remote(&server.url()).env("FUNCACHE_REMOTE_MAX_VALUE", "4MiB");
    let hit = b.run(&work);
    assert_eq!((hit.runs("large"), hit.remote_hits()), (0, 1));
    hit.no_warnings();
    let local = b.run_without_remote(&work);
    assert_eq!((local.runs("large"), local.disk_hits()), (0, 1));
    assert!(
        std::fs::read_dir(b.cache_dir().join("blobs"))
            .is_ok_and(|mut entries| entries.next().is_some()),
        "the hit was not stored as a large-value file"
    );
}

/// `FUNCACHE_REFRESH=1` recomputes, and the new result replaces the one in
/// Redis too (a function of the outside world is refreshed everywhere).
#[test]
fn refresh_overwrites_the_remote() {
    let Some(server) = RedisServer::start("refresh_overwrites_the_remote", RedisOptions::default())
    else {
        return;
    };
    let work = calls("forecast", 4..5);
    let first = Machine::with_remote(&server.url()).run(&work);
    let keys = server.keys();
    let key = values_under(&keys, first.prefix("forecast"))[0];
    let before: Vec<u8> = server.command(redis::cmd("GET").arg(key));

    // Created-at is in the envelope: a recomputed value differs in it.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let refreshed = Machine::with_remote(&server.url())
        .env("FUNCACHE_REFRESH", "1")
        .run(&work);
    assert_eq!(refreshed.runs("forecast"), 1);
    refreshed.no_warnings();
    let after: Vec<u8> = server.command(redis::cmd("GET").arg(key));
    assert_ne!(before, after, "the refreshed value did not reach Redis");
}
