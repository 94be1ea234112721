//! The remote is never allowed to hurt: whatever Redis does — dies, hangs,
//! fills up, hands back damaged bytes, or was never reachable — every call
//! returns its correct value (checked by [`Machine::run`]) and the process
//! says so in exactly one warning.

use crate::machine::{Machine, calls, signal_before, values_under};
use crate::redis_data::{ClusterData, ServerData};
use funcache_testkit::{RedisCluster, RedisOptions, RedisServer, SilentServer};

/// The server is killed (SIGKILL) between two calls of a run.
#[test]
fn the_server_killed_mid_run() {
    let Some(server) = RedisServer::start("the_server_killed_mid_run", RedisOptions::default())
    else {
        return;
    };
    let (name, value) = signal_before(5, "KILL", &server);
    let run =
        Machine::with_remote(&server.url()).run_with(&calls("square", 0..10), &[(name, &value)]);
    assert_eq!(run.runs("square"), 10);
    run.one_warning();
}

/// A server that accepts connections and never answers: the calls still
/// finish (timeouts, then the circuit breaker), with the default timeout.
#[test]
fn a_server_that_never_answers() {
    let silent = SilentServer::start();
    let run = Machine::with_remote(&silent.url())
        .env("FUNCACHE_REMOTE_TIMEOUT", "250ms")
        .run(&calls("square", 0..6));
    assert_eq!(run.runs("square"), 6);
    run.one_warning();
}

/// The same through `redis+cluster://`: discovering the cluster's slots
/// from a seed that never answers must time out too.
#[test]
fn a_cluster_seed_that_never_answers() {
    let silent = SilentServer::start();
    let url = silent.url().replace("redis://", "redis+cluster://");
    let url = url.trim_end_matches("/0");
    let run = Machine::with_remote(url)
        .env("FUNCACHE_REMOTE_TIMEOUT", "250ms")
        .run(&calls("square", 0..6));
    assert_eq!(run.runs("square"), 6);
    run.one_warning();
}

/// A real server frozen with SIGSTOP between two calls: the same as a
/// silent one; once it resumes, what was stored before is still shared.
#[test]
fn a_server_stopped_mid_run() {
    let Some(server) = RedisServer::start("a_server_stopped_mid_run", RedisOptions::default())
    else {
        return;
    };
    let (name, value) = signal_before(3, "STOP", &server);
    let work = calls("square", 0..6);
    let stopped = Machine::with_remote(&server.url())
        .env("FUNCACHE_REMOTE_TIMEOUT", "100ms")
        .run_with(&work, &[(name, &value)]);
    server.signal("CONT");
    assert_eq!(stopped.runs("square"), 6);
    stopped.one_warning();

    let later = Machine::with_remote(&server.url()).run(&work);
    assert!(
        later.remote_hits() >= 3,
        "the results stored before the stop were lost: {} hits",
        later.remote_hits()
    );
}

/// A full server (`maxmemory`, `noeviction`): writes fail with OOM once it
/// is full; what it took is still served.
#[test]
fn a_full_server() {
    let Some(server) = RedisServer::start(
        "a_full_server",
        RedisOptions::default()
            .maxmemory("1mb")
            .maxmemory_policy("noeviction"),
    ) else {
        return;
    };
    // An empty server already uses most of a megabyte: leave room for a
    // few values above what it uses now, so that some writes succeed
    // before the others fail.
    let info: String = server.command(redis::cmd("INFO").arg("memory"));
    let used: u64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("INFO memory has used_memory");
    let limit = used + 5 * crate::program::BLOB_LEN as u64;
    let _: () = server.command(redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(limit));

    let work = calls("blob", 0..16);
    let filling = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(filling.runs("blob"), 16);
    let warning = filling.one_warning();
    assert!(
        warning.contains("full") || warning.contains("maxmemory"),
        "the warning does not say the server is full: {warning}"
    );
    let keys = server.keys();
    let stored = values_under(&keys, filling.prefix("blob")).len() as u64;
    assert!(
        (1..16).contains(&stored),
        "{stored} of 16 values stored: the server was never full, or never took one ({warning})"
    );

    let reading = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(reading.remote_hits(), stored);
    assert_eq!(reading.runs("blob"), 16 - stored);
}

/// A stored value damaged in Redis (one byte flipped with SETRANGE) is a
/// miss with one warning, never a wrong value; the recomputed value
/// replaces it and is a hit for the next machine.
#[test]
fn a_value_corrupted_in_redis() {
    let Some(server) = RedisServer::start("a_value_corrupted_in_redis", RedisOptions::default())
    else {
        return;
    };
    let work = calls("square", 0..3);
    let first = Machine::with_remote(&server.url()).run(&work);
    let keys = server.keys();
    let stored: Vec<&str> = values_under(&keys, first.prefix("square"));
    assert_eq!(stored.len(), 3, "{keys:?}");
    let mut corrupted = Vec::new();
    for key in &stored {
        let mut bytes: Vec<u8> = server.command(redis::cmd("GET").arg(*key));
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let _: u64 = server.command(
            redis::cmd("SETRANGE")
                .arg(*key)
                .arg(last)
                .arg(&bytes[last..]),
        );
        corrupted.push(bytes);
    }

    let second = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(second.runs("square"), 3, "a damaged value was served");
    let warning = second.one_warning();
    // Regression: the warning said the value was "damaged on disk".
    assert!(
        warning.contains("remote") && !warning.contains("disk"),
        "the warning should blame the remote, not the disk: {warning}"
    );
    for (key, damaged) in stored.iter().zip(&corrupted) {
        let now: Vec<u8> = server.command(redis::cmd("GET").arg(*key));
        assert_ne!(&now, damaged, "{key} was not overwritten");
    }

    let third = Machine::with_remote(&server.url()).run(&work);
    assert_eq!(third.total_runs(), 0);
    assert_eq!(third.remote_hits(), 3);
    third.no_warnings();
}

/// A remote that is never usable: a URL that does not parse, a port
/// nothing listens on, a wrong password. The password shows nowhere.
#[test]
fn an_unusable_remote_warns_once() {
    let Some(server) = RedisServer::start(
        "an_unusable_remote_warns_once",
        RedisOptions::default().requirepass("right-pass"),
    ) else {
        return;
    };
    let wrong_password = format!("redis://:wrong-s3cret@127.0.0.1:{}/0", server.port());
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        format!("redis://127.0.0.1:{port}/0")
    };
    // Unparsable URLs, some carrying the password: a scheme the remote does
    // not speak, a port that is not a number, a slash missing.
    let unparsable = [
        "not a url",
        "mongodb://app:wrong-s3cret@127.0.0.1/",
        "redis://:wrong-s3cret@127.0.0.1:port/0",
        "redis:/:wrong-s3cret@127.0.0.1:6379/0",
    ];
    for url in unparsable.into_iter().chain([&*refused, &*wrong_password]) {
        let run = Machine::with_remote(url).run(&calls("square", 0..4));
        assert_eq!(run.runs("square"), 4, "{url}");
        let warning = run.one_warning();
        assert!(
            !run.stderr.contains("wrong-s3cret"),
            "the password was printed: {warning}"
        );
    }
    assert_eq!(server.dbsize(), 0);
}

/// One master of a three-node cluster killed between two calls: the keys
/// it served fail, the others still work; one warning.
#[test]
fn a_cluster_master_killed_mid_run() {
    let Some(cluster) = RedisCluster::start("a_cluster_master_killed_mid_run") else {
        return;
    };
    let (name, value) = signal_before(4, "KILL", &cluster.nodes()[2]);
    let run = Machine::with_remote(&cluster.url_with_two_seeds())
        .run_with(&calls("square", 0..12), &[(name, &value)]);
    assert_eq!(run.runs("square"), 12);
    run.one_warning();
}
