use super::*;
use crate::codec::{self, Encoded};
use serde::de::DeserializeOwned;

fn enc<R: Serialize + DeserializeOwned>(value: &R) -> Encoded<R> {
    codec::encode(value).unwrap()
}

fn store() -> (tempfile::TempDir, Arc<Store>) {
    let temp = tempfile::tempdir().unwrap();
    let store = open_shared(&temp.path().join("cache"), OpenMode::Create).unwrap();
    (temp, store)
}

use std::sync::Arc;

fn key(n: u8) -> EntryKey {
    let mut builder = crate::key::KeyBuilder::new();
    builder.arg(&n);
    EntryKey::new(&[7; 32], &builder.finish().unwrap())
}

fn load<R: DeserializeOwned>(store: &Store, fn_id: &str, entry_key: &[u8]) -> Option<R> {
    store
        .load(&FunctionKey::of(fn_id), entry_key, None)
        .unwrap()
}

#[test]
fn put_then_load() {
    let (_temp, store) = store();
    store
        .put(
            "app::f",
            &key(1),
            &enc(&vec![1u32, 2, 3]),
            Duration::from_millis(5),
        )
        .unwrap();
    assert_eq!(
        load::<Vec<u32>>(&store, "app::f", &key(1)),
        Some(vec![1, 2, 3])
    );
    assert_eq!(load::<Vec<u32>>(&store, "app::f", &key(2)), None);
    assert_eq!(
        load::<Vec<u32>>(&store, "app::g", &key(1)),
        None,
        "per function"
    );
    assert_eq!(store.function_ids().unwrap(), ["app::f"]);
}

#[test]
fn large_values_go_to_blobs_and_come_back() {
    let (_temp, store) = store();
    // Varints of large numbers take 10 bytes each: ~3 MB.
    let value: Vec<u64> = (0..300_000).map(|i| u64::MAX - i).collect();
    store
        .put("app::big", &key(1), &enc(&value), Duration::ZERO)
        .unwrap();
    let raw = test_support::raw_entries(&store, "app::big");
    assert!(raw[0].1.len() < 200, "the database keeps only a reference");
    assert_eq!(store.blobs().list().unwrap().len(), 1);
    assert_eq!(load::<Vec<u64>>(&store, "app::big", &key(1)), Some(value));
}

/// Regression: a 2 MiB value whose blob had flipped bytes (same length)
/// was served as the result.
#[test]
fn a_damaged_blob_is_never_served() {
    let (_temp, store) = store();
    let value: Vec<u64> = (0..300_000).map(|i| u64::MAX - i).collect();
    store
        .put("app::big", &key(1), &enc(&value), Duration::ZERO)
        .unwrap();
    let (hash, _, _) = store.blobs().list().unwrap()[0];
    let path = store.blobs().path(&hash);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1_000_000] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let error = store
        .load::<Vec<u64>>(&FunctionKey::of("app::big"), &key(1), None)
        .unwrap_err();
    assert!(matches!(error, LoadError::Blob(_)), "{error}");
    assert!(!path.exists(), "the damaged blob is removed");
    store
        .put("app::big", &key(1), &enc(&value), Duration::ZERO)
        .unwrap();
    assert_eq!(load::<Vec<u64>>(&store, "app::big", &key(1)), Some(value));
}

#[test]
fn a_value_of_another_type_is_a_decode_error() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&(7u8, 8u8)), Duration::ZERO)
        .unwrap();
    let function = FunctionKey::of("app::f");
    assert!(
        store.load::<u8>(&function, &key(1), None).is_err(),
        "trailing bytes are rejected"
    );
    assert!(store.load::<String>(&function, &key(1), None).is_err());
}

#[test]
fn clear_removes_entries_and_unshared_blobs() {
    let (_temp, store) = store();
    let shared: Vec<u64> = (0..200_000).map(|i| u64::MAX - i).collect();
    let own: Vec<u64> = (1..200_001).map(|i| u64::MAX - i).collect();
    store
        .put("app::a", &key(1), &enc(&shared), Duration::ZERO)
        .unwrap();
    store
        .put("app::a", &key(2), &enc(&own), Duration::ZERO)
        .unwrap();
    store
        .put("app::b", &key(1), &enc(&shared), Duration::ZERO)
        .unwrap();
    // A function whose key sorts right after app::a's must keep its entries.
    assert_eq!(store.blobs().list().unwrap().len(), 2);
    store.clear_function("app::a").unwrap();
    assert!(test_support::raw_entries(&store, "app::a").is_empty());
    assert_eq!(store.blobs().list().unwrap().len(), 1, "b's blob survives");
    assert_eq!(load::<Vec<u64>>(&store, "app::b", &key(1)), Some(shared));
}

#[test]
fn one_handle_per_directory_in_a_process() {
    let (temp, store) = store();
    let again = open_shared(&temp.path().join("cache"), OpenMode::Create).unwrap();
    assert!(Arc::ptr_eq(&store, &again));
    let via_dots = temp.path().join("cache/../cache");
    assert!(Arc::ptr_eq(
        &store,
        &registry::open_existing(&via_dots).unwrap()
    ));
}

/// Regression: a directory written by funcache's sled version is moved
/// aside and started anew, never read as this format.
#[test]
fn a_sled_era_directory_is_moved_aside_and_rebuilt() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("cache");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sled-v1-cache"),
        &dir,
    );
    assert!(matches!(
        registry::open_existing(&dir),
        Err(Error::Format { found: 1, .. })
    ));
    let store = open_shared(&dir, OpenMode::Create).unwrap();
    assert!(
        store.function_ids().unwrap().is_empty(),
        "nothing carried over"
    );
    assert!(dir.join(layout::SLED_ASIDE).join("db").is_file());
    assert!(!dir.join("db").exists());
    store
        .put("app::f", &key(1), &enc(&5u32), Duration::ZERO)
        .unwrap();
    assert_eq!(load::<u32>(&store, "app::f", &key(1)), Some(5));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn usage_counts_accumulate_across_batches() {
    let (_temp, store) = store();
    store.journal().count("app::f", 3, 1);
    store.write_journal().unwrap();
    store.journal().count("app::f", 0, 3);
    store.journal().touch("app::f", key(1));
    store.write_journal().unwrap();
    assert_eq!(
        store.usage_counts().unwrap()["app::f"],
        UsageCounts { hits: 3, misses: 4 }
    );
    assert_eq!(store.last_reads().unwrap().len(), 1);
}

#[test]
fn fingerprint_record_is_written_once() {
    let (_temp, store) = store();
    let record = FingerprintRecord {
        fn_id: "app::f".into(),
        dependencies: vec![("crate::f".into(), "00".repeat(32))],
        externals: vec![],
        unresolved: vec![],
        recorded_unix_ms: 1,
    };
    store.record_fingerprint(&[1; 32], &record).unwrap();
    let later = FingerprintRecord {
        recorded_unix_ms: 2,
        ..record.clone()
    };
    store.record_fingerprint(&[1; 32], &later).unwrap();
    let records = store.fingerprint_records().unwrap();
    assert_eq!(records, [([1; 32], record)]);
}

/// Regression guard: a flipped byte in a stored value decoded to another
/// value of the same type before envelopes had a checksum.
#[test]
fn a_flipped_byte_in_a_stored_value_is_never_served() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&1_000_000u64), Duration::ZERO)
        .unwrap();
    let (entry_key, bytes) = test_support::raw_entries(&store, "app::f").remove(0);
    for index in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[index] ^= 0x04;
        test_support::put_raw(&store, "app::f", &entry_key, &damaged);
        let loaded = store.load::<u64>(&FunctionKey::of("app::f"), &entry_key, None);
        assert!(loaded.is_err(), "byte {index}: {loaded:?}");
    }
}

/// A length prefix that claims more elements than the entry holds is an
/// error, and allocates no more than serde's cautious bound (1 MiB).
#[test]
fn a_crafted_length_prefix_is_an_error() {
    let (_temp, store) = store();
    let mut bytes = envelope::start(&Header::new(
        Duration::ZERO,
        codec::Codec::Postcard as u8,
        Payload::Inline,
    ));
    // postcard varint of 2^62 elements, then nothing.
    bytes.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    envelope::seal(&mut bytes, &FunctionKey::of("app::f").entry(&key(1)));
    test_support::put_raw(&store, "app::f", &key(1), &bytes);
    let loaded = store.load::<Vec<u64>>(&FunctionKey::of("app::f"), &key(1), None);
    assert!(matches!(loaded, Err(LoadError::Decode(_))), "{loaded:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever bytes an entry holds, loading it is a value, a miss or an
    /// error: never a panic. Valid entries with a byte changed are errors.
    #[test]
    fn entries_of_arbitrary_and_mutated_bytes(
        raw in proptest::collection::vec(proptest::num::u8::ANY, 0..120),
        value in proptest::collection::vec(".{0,8}", 0..6),
        at in proptest::num::usize::ANY,
        xor in 1u8..=255,
    ) {
        let (_temp, store) = store();
        let function = FunctionKey::of("app::p");
        test_support::put_raw(&store, "app::p", &key(1), &raw);
        let _ = store.load::<Vec<String>>(&function, &key(1), None);
        let _ = store.load::<(u64, String)>(&function, &key(1), None);
        store.put("app::p", &key(2), &enc(&value), Duration::ZERO).unwrap();
        proptest::prop_assert_eq!(store.load::<Vec<String>>(&function, &key(2), None).unwrap(), Some(value));
        let (entry_key, mut bytes) = test_support::raw_entries(&store, "app::p")
            .into_iter()
            .find(|(entry_key, _)| entry_key[..] == key(2)[..])
            .unwrap();
        let index = at % bytes.len();
        bytes[index] ^= xor;
        test_support::put_raw(&store, "app::p", &entry_key, &bytes);
        proptest::prop_assert!(store.load::<Vec<String>>(&function, &entry_key, None).is_err());
    }
}

/// Batch durability: a commit is synced by the background thread, without
/// anyone calling flush.
#[test]
fn commits_are_synced_in_the_background() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    let synced = || !store.unsynced.load(std::sync::atomic::Ordering::Acquire);
    // Generous: the syncer waits SYNC_DELAY, then syncs; a loaded machine
    // may take longer. Never syncing is the failure.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !synced() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(synced());
}

/// FUNCACHE_MAX_SIZE: over the limit, the least recently used entries of
/// every function go first (last use: creation or last recorded read),
/// until the directory is back under the limit.
#[test]
fn over_the_size_limit_the_least_recently_used_entries_are_evicted() {
    let (_temp, store) = store();
    let day_ago_ms = crate::envelope::now_unix_ms() - 86_400_000;
    let ids = ["app::a", "app::b"];
    let mut entries = Vec::new();
    for i in 0..40u8 {
        // Entry i was created i minutes after a day ago.
        let header = Header {
            created_unix_ms: day_ago_ms + u64::from(i) * 60_000,
            compute_micros: 0,
            codec: codec::Codec::Postcard as u8,
            payload: Payload::Inline,
        };
        let mut bytes = envelope::start(&header);
        bytes = postcard::to_extend(&vec![i; 3000], bytes).unwrap();
        let fn_id = ids[usize::from(i % 2)];
        envelope::seal(&mut bytes, &FunctionKey::of(fn_id).entry(&key(i)));
        test_support::put_raw(&store, fn_id, &key(i), &bytes);
        entries.push((fn_id, key(i)));
    }
    // The five oldest were read just now.
    let now = journal::now_unix_secs();
    let reads = entries[..5].iter().map(|(id, k)| (*id, k.as_ref()));
    store.access_log.append(reads, now).unwrap();

    let before = evict::size(&store).unwrap();
    let limit = before / 2;
    let evicted = evict::enforce(&store, limit).unwrap();
    assert!(evicted.entries > 0);
    assert!(
        evict::size(&store).unwrap() <= limit,
        "back under the limit"
    );
    let alive = |(id, k): &(&str, EntryKey)| load::<Vec<u8>>(&store, id, k).is_some();
    let kept: Vec<bool> = entries.iter().map(alive).collect();
    assert!(
        kept[..5].iter().all(|&k| k),
        "recently read survive: {kept:?}"
    );
    // Among the rest, eviction took the oldest first: no survivor is older
    // than an evicted entry.
    let first_kept = kept[5..].iter().position(|&k| k).unwrap() + 5;
    assert!(kept[first_kept..].iter().all(|&k| k), "{kept:?}");
    assert!(!kept[5], "the oldest unread entry went first: {kept:?}");
    assert_eq!(evicted.entries as usize, first_kept - 5);
}

/// A large value replaced by another (a refresh that computed different
/// bytes) leaves no orphan file, unless another entry uses it.
#[test]
fn a_replaced_large_value_leaves_no_orphan_file() {
    let (_temp, store) = store();
    let first: Vec<u64> = (0..200_000).map(|i| u64::MAX - i).collect();
    let second: Vec<u64> = (1..200_001).map(|i| u64::MAX - i).collect();
    store
        .put("app::big", &key(1), &enc(&first), Duration::ZERO)
        .unwrap();
    store
        .put("app::big", &key(2), &enc(&first), Duration::ZERO)
        .unwrap();
    store
        .put("app::big", &key(1), &enc(&second), Duration::ZERO)
        .unwrap();
    assert_eq!(
        store.blobs().list().unwrap().len(),
        2,
        "key 2 still uses the first"
    );
    store
        .put("app::big", &key(2), &enc(&second), Duration::ZERO)
        .unwrap();
    assert_eq!(store.blobs().list().unwrap().len(), 1, "the first is gone");
    assert_eq!(
        load::<Vec<u64>>(&store, "app::big", &key(1)),
        Some(second.clone())
    );
    assert_eq!(load::<Vec<u64>>(&store, "app::big", &key(2)), Some(second));
}

/// `ttl`: with the clock moved forward (injected), a value older than its
/// ttl is a miss.
#[test]
fn values_past_their_ttl_are_misses() {
    let (_temp, store) = store();
    store
        .put("app::t", &key(1), &enc(&5u32), Duration::ZERO)
        .unwrap();
    let now = crate::envelope::now_unix_ms();
    let day = 86_400_000;
    let week = Duration::from_secs(7 * 86_400);
    let at = |ms| Some(MaxAge::new(week, ms));
    let function = FunctionKey::of("app::t");
    assert_eq!(
        store
            .load::<u32>(&function, &key(1), at(now + 6 * day))
            .unwrap(),
        Some(5)
    );
    assert_eq!(
        store
            .load::<u32>(&function, &key(1), at(now + 8 * day))
            .unwrap(),
        None
    );
    assert_eq!(
        store.load::<u32>(&function, &key(1), None).unwrap(),
        Some(5),
        "no ttl"
    );
    // Another machine's clock ahead of ours: not expired.
    assert_eq!(
        store
            .load::<u32>(&function, &key(1), at(now - day))
            .unwrap(),
        Some(5)
    );
}

/// A large value whose file was removed meanwhile (a purge or eviction in
/// another process) is a plain miss, not a damaged value.
#[test]
fn a_removed_blob_is_a_silent_miss() {
    let (_temp, store) = store();
    let value: Vec<u64> = (0..200_000).map(|i| u64::MAX - i).collect();
    store
        .put("app::big", &key(1), &enc(&value), Duration::ZERO)
        .unwrap();
    let (hash, _, _) = store.blobs().list().unwrap()[0];
    std::fs::remove_file(store.blobs().path(&hash)).unwrap();
    let loaded = store.load::<Vec<u64>>(&FunctionKey::of("app::big"), &key(1), None);
    assert!(matches!(loaded, Ok(None)), "{loaded:?}");
}

/// Regression guard: the checksum covers the key. An entry whose stored
/// key changed (a flipped bit turning `f(3)`'s key into `f(2)`'s) is not
/// served as the other call's value.
#[test]
fn an_entry_under_a_damaged_key_is_never_served() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(3), &enc(&9u64), Duration::ZERO)
        .unwrap();
    let (_, bytes) = test_support::raw_entries(&store, "app::f").remove(0);
    test_support::put_raw(&store, "app::f", &key(2), &bytes);
    let loaded = store.load::<u64>(&FunctionKey::of("app::f"), &key(2), None);
    assert!(loaded.is_err(), "{loaded:?}");
    assert_eq!(load::<u64>(&store, "app::f", &key(3)), Some(9));
}

/// A lookup, a write and a listing made while the thread decodes a value
/// inside a read (a `Deserialize` that calls a cached function) are
/// served: read transactions are not tied to threads (`MDB_NOTLS`), and
/// the nested lookup, finding its thread's kept transaction in use, opens
/// one of its own. (With thread-bound reader slots all three were refused.)
#[test]
fn reads_and_writes_inside_a_read_on_the_same_thread_are_served() {
    let (_temp, store) = store();
    store
        .put("app::outer", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store
        .put("app::inner", &key(2), &enc(&2u8), Duration::ZERO)
        .unwrap();
    store.settle();
    let mut inside = None;
    let outer = store
        .load_with(&FunctionKey::of("app::outer"), &key(1), None, |_, _| {
            let read = store.load::<u8>(&FunctionKey::of("app::inner"), &key(2), None);
            let write = store.put("app::inner", &key(3), &enc(&3u8), Duration::ZERO);
            let listing = store.function_ids();
            inside = Some((read.unwrap(), write.is_ok(), listing.unwrap().len()));
            Ok(())
        })
        .unwrap();
    assert_eq!(outer, Some(()));
    assert_eq!(inside, Some((Some(2), true, 2)));
    assert_eq!(
        load::<u8>(&store, "app::inner", &key(3)),
        Some(3),
        "queued, and committed by the writer"
    );
}

/// A lookup whose decoding panics (a caller's `Deserialize`) leaves its
/// thread's kept transaction slot usable: the next lookups are served and
/// keep a transaction again.
#[test]
fn a_panicking_decode_leaves_the_kept_transaction_slot_usable() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store.settle();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = store.load_with(
            &FunctionKey::of("app::f"),
            &key(1),
            None,
            |_, _| -> Result<u8, codec::DecodeError> { panic!("a Deserialize panics") },
        );
    }));
    assert!(panicked.is_err());
    assert_eq!(load_recent(&store, "app::f", &key(1)), Some(1));
    assert!(!store.snapshots.any_poisoned(), "the slot is in use again");
    assert_eq!(load_recent(&store, "app::f", &key(1)), Some(1));
    assert_eq!(store.snapshots.kept(), 1);
}

/// Writes `value` under `key` of `fn_id` in a transaction of its own, as
/// another process would: the store is not told, so its kept read
/// transactions are not outdated.
fn put_as_another_process(store: &Store, fn_id: &str, key: &EntryKey, value: u8) {
    let function = FunctionKey::of(fn_id);
    let table_key = function.entry(key);
    let mut bytes = envelope::start(&Header::new(
        Duration::ZERO,
        codec::Codec::Postcard as u8,
        Payload::Inline,
    ));
    bytes.extend_from_slice(&enc(&value).bytes);
    envelope::seal(&mut bytes, &table_key);
    let mut txn = store.env.write_txn().unwrap();
    store
        .tables
        .entries
        .put(&mut txn, &table_key, &bytes)
        .unwrap();
    txn.commit().unwrap();
}

fn load_recent(store: &Store, fn_id: &str, key: &EntryKey) -> Option<u8> {
    store
        .load_with(&FunctionKey::of(fn_id), key, None, |header, body| {
            codec::decode(header.codec, body)
        })
        .unwrap()
}

/// A lookup reuses its thread's kept transaction only while nothing was
/// committed after it began, by any process: what this process or another
/// stored, replaced or removed is seen at once. Once idle, the thread
/// keeps no transaction for long.
#[test]
fn kept_read_transactions_see_every_commit_and_end_when_idle() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store.settle();
    assert_eq!(load_recent(&store, "app::f", &key(1)), Some(1));
    assert_eq!(
        store.snapshots.kept(),
        1,
        "the lookup's transaction is kept"
    );
    // This process's commit.
    store
        .put("app::f", &key(2), &enc(&2u8), Duration::ZERO)
        .unwrap();
    store.settle();
    assert_eq!(load_recent(&store, "app::f", &key(2)), Some(2));
    // Another process's: a new value, then a replaced one.
    assert_eq!(load_recent(&store, "app::f", &key(1)), Some(1));
    put_as_another_process(&store, "app::f", &key(3), 3);
    assert_eq!(load_recent(&store, "app::f", &key(3)), Some(3));
    put_as_another_process(&store, "app::f", &key(1), 9);
    assert_eq!(load_recent(&store, "app::f", &key(1)), Some(9), "replaced");

    // Idle: the sweeper ends the kept transaction.
    let idle = std::time::Instant::now();
    while store.snapshots.kept() > 0 && idle.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(store.snapshots.kept(), 0, "after {:?}", idle.elapsed());
}

/// A value this process replaced (a refresh) and has not committed yet is
/// what its lookups read, not the committed one it replaces.
#[test]
fn a_queued_replacement_is_read_before_the_committed_value() {
    let (_temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store.settle();
    let mut stale = 0;
    for round in 0..100u8 {
        let value = round + 2;
        store
            .put("app::f", &key(1), &enc(&value), Duration::ZERO)
            .unwrap();
        if load::<u8>(&store, "app::f", &key(1)) != Some(value) {
            stale += 1;
        }
        store.settle();
    }
    assert_eq!(stale, 0, "old values read back of 100 replacements");
}

/// Stores `value` under `key` of `fn_id` as if computed at `created_unix_ms`.
fn put_created(store: &Store, fn_id: &str, key: &EntryKey, value: &[u8], created_unix_ms: u64) {
    let header = Header {
        created_unix_ms,
        compute_micros: 0,
        codec: codec::Codec::Postcard as u8,
        payload: Payload::Inline,
    };
    store.put_value(fn_id, key, header, value).unwrap();
}

/// `ttl`: expired entries are collected, not only missed: with the clock
/// moved (injected) past the ttl of a function whose ttl is recorded, its
/// entries (and a large value's file) are removed; a function without a
/// ttl, and a value computed later, keep theirs.
#[test]
fn expired_entries_are_collected() {
    let (_temp, store) = store();
    let now = crate::envelope::now_unix_ms();
    let day = 86_400_000;
    let small = postcard::to_allocvec(&5u32).unwrap();
    let large = postcard::to_allocvec(&vec![7u8; envelope::BLOB_THRESHOLD]).unwrap();
    put_created(&store, "app::t", &key(1), &small, now);
    put_created(&store, "app::t", &key(2), &large, now);
    put_created(&store, "app::t", &key(3), &small, now + 3 * day);
    put_created(&store, "app::forever", &key(1), &small, now);
    let week = Duration::from_secs(7 * 86_400);
    store
        .record_ttl(&FunctionKey::of("app::t"), Some(week))
        .unwrap();
    assert_eq!(store.blobs().list().unwrap().len(), 1);

    assert_eq!(store.collect_expired(now + 6 * day).unwrap(), 0, "not yet");
    assert_eq!(store.collect_expired(now + 8 * day).unwrap(), 2);
    let stored = |fn_id| test_support::raw_entries(&store, fn_id).len();
    assert_eq!(stored("app::t"), 1, "the later value stays");
    assert_eq!(stored("app::forever"), 1, "no ttl: kept");
    assert!(
        store.blobs().list().unwrap().is_empty(),
        "its file went too"
    );

    // A function that no longer declares a ttl: its entries are kept.
    store.record_ttl(&FunctionKey::of("app::t"), None).unwrap();
    assert_eq!(store.collect_expired(now + 100 * day).unwrap(), 0);
    assert_eq!(stored("app::t"), 1);
}

/// Garbage collection (what `funcache-cli purge` runs after removing what
/// it selected) and eviction collect expired entries by the real clock.
#[test]
fn purges_and_evictions_collect_expired_entries() {
    // Unregistered: the expiry sweep another test's open starts in the
    // background would otherwise remove the expired entries between the
    // size measured below and the eviction, and the eviction would then
    // (rightly) take the kept entry.
    let temp = tempfile::tempdir().unwrap();
    let store = registry::open_unregistered(&temp.path().join("cache"), OpenMode::Create).unwrap();
    let week_ago = crate::envelope::now_unix_ms() - 7 * 86_400_000;
    let value = postcard::to_allocvec(&vec![1u8; 3000]).unwrap();
    for i in 0..4 {
        put_created(&store, "app::hourly", &key(i), &value, week_ago);
    }
    store
        .record_ttl(
            &FunctionKey::of("app::hourly"),
            Some(Duration::from_secs(3600)),
        )
        .unwrap();
    store.collect_garbage().unwrap();
    assert!(test_support::raw_entries(&store, "app::hourly").is_empty());

    for i in 0..4 {
        put_created(&store, "app::hourly", &key(i), &value, week_ago);
    }
    put_created(&store, "app::kept", &key(9), &value, week_ago);
    let limit = evict::size(&store).unwrap() - 1;
    assert_eq!(
        evict::enforce(&store, limit).unwrap(),
        evict::Evicted::default()
    );
    assert!(test_support::raw_entries(&store, "app::hourly").is_empty());
    assert_eq!(
        test_support::raw_entries(&store, "app::kept").len(),
        1,
        "removing the expired ones was enough: nothing else evicted"
    );
}

/// A write that finds the memory map full evicts the least recently used
/// entries and tries again: far more values are stored than the map holds
/// at once. (A value that still finds no room, as LMDB may not find a
/// free run of pages long enough, is returned unstored with one warning.)
/// Every put succeeds and nothing but the stored value is ever served.
#[test]
fn a_full_map_evicts_and_stores() {
    lmdb::TEST_MAP_SIZE.with(|size| size.set(Some(1 << 20)));
    let (_temp, store) = store();
    lmdb::TEST_MAP_SIZE.with(|size| size.set(None));
    let value = vec![3u8; 20_000];
    let mut served = 0;
    for i in 0..120u8 {
        store
            .put("app::big", &key(i), &enc(&value), Duration::ZERO)
            .unwrap();
        if let Some(loaded) = load::<Vec<u8>>(&store, "app::big", &key(i)) {
            assert!(loaded == value, "value {i} is the stored one");
            served += 1;
        }
    }
    // 1 MiB holds under 50 of them.
    assert!(served > 60, "only {served} of 120 stored");
    let kept = test_support::raw_entries(&store, "app::big").len();
    assert!(kept < 50, "{kept} kept");
}

/// Marks the child process of
/// [`a_database_grown_beyond_the_map_by_another_process_is_a_miss`].
const GROW_DIR: &str = "FUNCACHE_TEST_GROW_DIR";

/// `MDB_MAP_RESIZED`: another process (with a larger map) grows the
/// database beyond this process's map. Reads here are misses and writes
/// are skipped (one warning): never an error or a wrong value.
#[test]
fn a_database_grown_beyond_the_map_by_another_process_is_a_miss() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("cache");
    lmdb::TEST_MAP_SIZE.with(|size| size.set(Some(1 << 20)));
    let store = open_shared(&dir, OpenMode::Create).unwrap();
    lmdb::TEST_MAP_SIZE.with(|size| size.set(None));
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store.settle();
    crate::test_child::run_ignored("store::tests::child_grows_the_database", GROW_DIR, &dir);
    let function = FunctionKey::of("app::f");
    assert!(matches!(
        store.load::<u8>(&function, &key(1), None),
        Ok(None)
    ));
    store
        .put("app::f", &key(2), &enc(&2u8), Duration::ZERO)
        .unwrap();
    // Its commit fails (warned about): it leaves the queue unstored.
    store.settle();
    assert!(matches!(
        store.load::<u8>(&function, &key(2), None),
        Ok(None)
    ));
}

#[test]
#[ignore = "run by a_database_grown_beyond_the_map_by_another_process_is_a_miss"]
fn child_grows_the_database() {
    let Some(dir) = std::env::var_os(GROW_DIR) else {
        return;
    };
    let store = open_shared(std::path::Path::new(&dir), OpenMode::Existing).unwrap();
    let value = vec![5u8; 100_000];
    for i in 0..40u8 {
        store
            .put("app::g", &key(i), &enc(&value), Duration::ZERO)
            .unwrap();
    }
    store.flush().unwrap();
}

/// Group commit: a stored value is queued and committed by the writer
/// thread after the call returns. Until then this process reads it from
/// the queue, and the entry's key lock stays held, so that another process
/// that takes it finds the value in the database instead of computing it
/// again. (The test holds LMDB's write lock to keep the writer waiting.)
#[test]
fn a_queued_value_is_read_here_and_keeps_its_key_lock_until_committed() {
    let (_temp, store) = store();
    let function = FunctionKey::of("app::queued");
    let lock = store.lock_entry(&function, &key(1), Duration::ZERO);
    assert!(lock.is_some());
    let blocking = store.env.write_txn().unwrap();
    store
        .put("app::queued", &key(1), &enc(&11u32), Duration::ZERO)
        .unwrap();
    drop(lock);
    assert_eq!(load::<u32>(&store, "app::queued", &key(1)), Some(11));
    let mut peeked = None;
    store
        .load_with(&function, &key(1), None, |_, body| {
            peeked = Some(body.to_vec());
            Ok(())
        })
        .unwrap();
    assert!(peeked.is_some(), "served from the queue");
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        !key_lock::free_for_another_process(store.dir(), &function, &key(1)),
        "held until the value is committed"
    );
    blocking.abort();
    store.settle();
    assert!(key_lock::free_for_another_process(
        store.dir(),
        &function,
        &key(1)
    ));
    let committed = store
        .read(|txn, tables| {
            tables
                .entries
                .get(txn, &function.entry(&key(1)))
                .map(|found| found.is_some())
        })
        .unwrap();
    assert!(committed);
}

/// `cache_clear()` after a call whose value is still queued: the value is
/// committed first and cleared with the rest, not written afterwards.
#[test]
fn a_clear_removes_values_still_queued() {
    let (_temp, store) = store();
    for n in 0..50 {
        store
            .put("app::cleared", &key(n), &enc(&n), Duration::ZERO)
            .unwrap();
    }
    store.clear_function("app::cleared").unwrap();
    store.settle();
    assert!(test_support::raw_entries(&store, "app::cleared").is_empty());
    assert_eq!(load::<u8>(&store, "app::cleared", &key(3)), None);
}

/// Listing sees what calls of this process stored, queued or not.
#[test]
fn listings_include_queued_values() {
    let (_temp, store) = store();
    for n in 0..20 {
        store
            .put("app::listed", &key(n), &enc(&n), Duration::ZERO)
            .unwrap();
    }
    let mut seen = 0;
    store
        .for_each_entry(&FunctionKey::of("app::listed"), |_, _| seen += 1)
        .unwrap();
    assert_eq!(seen, 20);
    assert_eq!(store.function_ids().unwrap(), ["app::listed"]);
}

/// A store without a writer thread (here: one not opened through the
/// registry, which gives it one) commits each value on the caller's
/// thread, as `sync` durability does: nothing waits in a queue.
#[test]
fn without_a_writer_values_are_committed_by_their_callers() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open(
        &temp.path().join("cache"),
        OpenMode::Create,
        Durability::Batch,
    )
    .unwrap();
    store
        .put("app::direct", &key(1), &enc(&5u8), Duration::ZERO)
        .unwrap();
    let function = FunctionKey::of("app::direct");
    let committed = store
        .read(|txn, tables| {
            tables
                .entries
                .get(txn, &function.entry(&key(1)))
                .map(|found| found.is_some())
        })
        .unwrap();
    assert!(committed);
    assert!(store.queue.queued(&function.entry(&key(1))).is_none());
}

/// Backpressure: threads that store faster than the writer commits wait
/// for room (unit tests allow 16 queued values), and every value arrives.
#[test]
fn a_full_queue_makes_callers_wait_and_loses_nothing() {
    let (_temp, store) = store();
    std::thread::scope(|scope| {
        for thread in 0..4u8 {
            let store = &store;
            scope.spawn(move || {
                for n in 0..50u8 {
                    let fn_id = ["app::t0", "app::t1", "app::t2", "app::t3"][thread as usize];
                    store
                        .put(fn_id, &key(n), &enc(&u32::from(n)), Duration::ZERO)
                        .unwrap();
                    assert_eq!(load::<u32>(store, fn_id, &key(n)), Some(u32::from(n)));
                }
            });
        }
    });
    for fn_id in ["app::t0", "app::t1", "app::t2", "app::t3"] {
        assert_eq!(
            test_support::raw_entries(&store, fn_id).len(),
            50,
            "{fn_id}"
        );
    }
}

const READER_DIR: &str = "FUNCACHE_TEST_READER_DIR";

/// A process killed while it reads leaves its reader slot in the lock
/// file, and the slot's snapshot keeps pages from reuse. A write clears
/// such slots (at most once a second), so the database does not grow
/// behind a dead reader until some process happens to open it again.
#[test]
fn writes_clear_the_reader_slots_of_killed_processes() {
    let (temp, store) = store();
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store.settle();
    let ready = temp.path().join("reading");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::tests::child_reads_until_killed",
            "--ignored",
            "--test-threads=1",
        ])
        .env(READER_DIR, store.dir())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !ready.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ready.exists(), "the child began its read");
    child.kill().unwrap();
    child.wait().unwrap();
    // Past the check interval, one write.
    std::thread::sleep(READER_CHECK_EVERY + Duration::from_millis(100));
    store
        .put("app::f", &key(2), &enc(&2u8), Duration::ZERO)
        .unwrap();
    store.settle();
    assert_eq!(
        store.env.clear_stale_readers().unwrap(),
        0,
        "the write cleared the dead reader's slot"
    );
}

#[test]
#[ignore = "run by writes_clear_the_reader_slots_of_killed_processes"]
fn child_reads_until_killed() {
    let Some(dir) = std::env::var_os(READER_DIR) else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let store = open_shared(dir, OpenMode::Existing).unwrap();
    let _ = store.load_with(
        &FunctionKey::of("app::f"),
        &key(1),
        None,
        |_, _| -> Result<(), codec::DecodeError> {
            std::fs::write(dir.parent().unwrap().join("reading"), b"").unwrap();
            std::thread::sleep(Duration::from_secs(120));
            Ok(())
        },
    );
}

const DAMAGED_DIR: &str = "FUNCACHE_TEST_DAMAGED_DIR";

/// Writes `bytes` over the file at `path`, in place: a process that maps
/// it sees the change.
fn overwrite_in_place(path: &std::path::Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, bytes))
        .unwrap();
}

/// How many damaged databases were moved aside in `dir`.
fn moved_aside(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("lmdb.corrupt-"))
        .count()
}

/// Damage LMDB reports while a process uses the database (here the
/// `MDB_PAGE_FULL` a damaged page gave trial L's runs) is remembered in the
/// directory: the next program to open it moves the database aside and
/// starts anew, instead of every run warning and recomputing the same key.
#[test]
fn damage_found_in_use_has_the_next_opener_rebuild_the_database() {
    let (_temp, store) = store();
    put_as_another_process(&store, "app::f", &key(1), 1);
    assert_eq!(load::<u8>(&store, "app::f", &key(1)), Some(1));
    let _ = store.db_error(heed::Error::Mdb(heed::MdbError::PageFull));
    assert!(store.layout.damage_mark().exists());
    assert_a_program_rebuilds(&store);
    assert!(
        !store.layout.damage_mark().exists(),
        "the mark goes with it"
    );
}

/// Once this process found the database damaged, it writes nothing more
/// to it: LMDB writes through a damaged page's offsets into memory it
/// allocated (trial M: a corrupted heap, then an abort).
#[test]
fn nothing_is_written_to_a_database_found_damaged() {
    let (_temp, store) = store();
    let _ = store.db_error(heed::Error::Mdb(heed::MdbError::Corrupted));
    store
        .put("app::f", &key(1), &enc(&1u8), Duration::ZERO)
        .unwrap();
    store.settle();
    assert_eq!(load::<u8>(&store, "app::f", &key(1)), None);
    assert!(store.write(|_, _| Ok(())).is_err());
}

/// Once this process found the database damaged, it reads nothing more
/// from it: a transaction that met the damage fails every later read
/// (trial N: a warning for each function read after it), and other reads
/// may meet worse. Lookups miss, and their results are computed.
#[test]
fn nothing_is_read_from_a_database_found_damaged() {
    let (_temp, store) = store();
    put_as_another_process(&store, "app::f", &key(1), 1);
    assert_eq!(load::<u8>(&store, "app::f", &key(1)), Some(1));
    let _ = store.db_error(heed::Error::Mdb(heed::MdbError::PageNotFound));
    assert_eq!(load::<u8>(&store, "app::f", &key(1)), None);
}

const KEPT_DIR: &str = "FUNCACHE_TEST_KEPT_DIR";

/// Two programs that found the same damage: the first moved the database
/// aside and started a new one; the second, whose mark (or check) was
/// about the old database, leaves the new one alone instead of moving it
/// aside too (and with it what the first stored there).
#[test]
fn a_mark_about_a_database_already_moved_aside_leaves_the_new_one_alone() {
    let (_temp, store) = store();
    put_as_another_process(&store, "app::f", &key(1), 1);
    store.flush().unwrap();
    std::fs::write(store.layout.damage_mark(), "database 1:1\nMDB_CORRUPTED").unwrap();
    crate::test_child::run_ignored("store::tests::child_finds_key_1", KEPT_DIR, store.dir());
    assert_eq!(moved_aside(store.dir()), 0, "left alone");
    assert!(
        !store.layout.damage_mark().exists(),
        "the stale mark is gone"
    );
}

#[test]
#[ignore = "run by a_mark_about_a_database_already_moved_aside_leaves_the_new_one_alone"]
fn child_finds_key_1() {
    let Some(dir) = std::env::var_os(KEPT_DIR) else {
        return;
    };
    let store = open_shared(std::path::Path::new(&dir), OpenMode::Create).unwrap();
    assert_eq!(load::<u8>(&store, "app::f", &key(1)), Some(1));
}

/// Trial O: two programs found the same damage; the first renamed the
/// database aside, and the second's rename found nothing there. That
/// failed its open, and it ran with no disk tier at all. Now it takes
/// the new database (started by whichever of them gets there first).
#[test]
fn a_database_another_process_just_moved_aside_is_not_an_error() {
    let (_temp, store) = store();
    std::fs::rename(store.layout.db(), store.dir().join("lmdb.corrupt-1")).unwrap();
    // The race is between its check that the database is still in place
    // and its rename: with no identity to check, the move reaches the
    // rename.
    damage::move_aside(&store.layout, None, "MDB_CORRUPTED").unwrap();
    assert!(store.layout.db().is_dir(), "ready for a new database");
    assert_eq!(moved_aside(store.dir()), 1, "moved once");
}

/// The other side of the same race: a program opening the directory in
/// the moment between the other's rename and its new database finds no
/// database directory; it starts the new one itself rather than run with
/// no disk tier.
#[test]
fn a_database_directory_gone_while_opening_is_started_anew() {
    let temp = tempfile::tempdir().unwrap();
    let layout = Layout::new(&temp.path().join("cache"));
    layout.prepare(true).unwrap();
    std::fs::remove_dir_all(layout.db()).unwrap();
    let store = Store::open_env_again(&layout, OpenMode::Create, crate::config::Durability::Batch);
    assert!(
        store.is_ok(),
        "{:?}",
        store.err().map(|e| e.into_error(&layout.root))
    );
}

/// Each database moved aside is as large as the cache was: only the
/// latest is kept.
#[test]
fn only_the_latest_database_moved_aside_is_kept() {
    let (_temp, store) = store();
    let older = store.dir().join("lmdb.corrupt-1");
    std::fs::create_dir(&older).unwrap();
    std::fs::write(older.join("data.mdb"), [0; 4096]).unwrap();
    let _ = store.db_error(heed::Error::Mdb(heed::MdbError::Corrupted));
    assert_a_program_rebuilds(&store);
    assert!(!older.exists(), "the older one is deleted");
}

/// Trial M: a damaged page naming the tables made the opener find none
/// and create them, writing through the damage (a corrupted heap, then an
/// abort, on every run). A database with commits but without its tables
/// is damaged: moved aside, and a new one started.
#[test]
fn a_damaged_page_naming_the_tables_is_moved_aside_not_written() {
    let (_temp, store) = store();
    put_as_another_process(&store, "app::f", &key(1), 1);
    store.flush().unwrap();
    let path = store.layout.data_file();
    let mut bytes = std::fs::read(&path).unwrap();
    let mut renamed = 0;
    for at in 0..bytes.len() - 7 {
        if &bytes[at..at + 7] == b"entries" {
            bytes[at + 6] = b'x';
            renamed += 1;
        }
    }
    assert!(renamed > 0);
    overwrite_in_place(&path, &bytes);
    assert_a_program_rebuilds(&store);
}

/// Has a child process open the directory of `store` as a program does:
/// it moves the damaged database aside and a new one serves.
fn assert_a_program_rebuilds(store: &Store) {
    crate::test_child::run_ignored(
        "store::tests::child_opens_a_damaged_directory",
        DAMAGED_DIR,
        store.dir(),
    );
    assert_eq!(moved_aside(store.dir()), 1, "moved aside");
}

#[test]
#[ignore = "run by the tests of damaged directories"]
fn child_opens_a_damaged_directory() {
    let Some(dir) = std::env::var_os(DAMAGED_DIR) else {
        return;
    };
    let store = open_shared(std::path::Path::new(&dir), OpenMode::Create).unwrap();
    assert_eq!(
        load::<u8>(&store, "app::f", &key(1)),
        None,
        "a new database"
    );
    store
        .put("app::f", &key(1), &enc(&2u8), Duration::ZERO)
        .unwrap();
    assert_eq!(load::<u8>(&store, "app::f", &key(1)), Some(2));
}

/// Where the child of a `damaged_*` test reads, by the damage it does.
const BROKEN_OFFSETS_DIR: &str = "FUNCACHE_TEST_BROKEN_OFFSETS_DIR";
const BROKEN_SIZES_DIR: &str = "FUNCACHE_TEST_BROKEN_SIZES_DIR";

/// Writes 200 entries, and has a child process that opened the directory
/// (its check of the pages passed) damage every leaf page of the entries
/// (`var` says how, see [`child_reads_damaged_pages`]) and then read every
/// entry: it must neither crash nor read a wrong value. Damage done while
/// a process runs is met by its reads alone.
fn read_after_damaging_leaf_pages(store: &Store, var: &str) {
    for n in 0..200u8 {
        store
            .put("app::f", &key(n), &enc(&vec![n; 40]), Duration::ZERO)
            .unwrap();
    }
    store.flush().unwrap();
    crate::test_child::run_ignored("store::tests::child_reads_damaged_pages", var, store.dir());
}

/// Changes every leaf page of the entries in the database of `store` with
/// `damage(page start, bytes)`, in place: the maps of this process and of
/// others see it.
fn damage_leaf_pages(store: &Store, damage: impl Fn(usize, &mut [u8])) {
    let path = store.layout.data_file();
    let mut bytes = std::fs::read(&path).unwrap();
    let page = store.data_file.page_size() as usize;
    let mut damaged = 0;
    for start in (2 * page..bytes.len().saturating_sub(page)).step_by(page) {
        let flags = u16::from_le_bytes([bytes[start + 10], bytes[start + 11]]);
        let lower = u16::from_le_bytes([bytes[start + 12], bytes[start + 13]]);
        // Entries only: the table names' records are read when opening.
        if flags & 0x02 != 0 && lower > 16 && first_key_size(start, &bytes) >= 40 {
            damage(start, &mut bytes);
            damaged += 1;
        }
    }
    assert!(damaged > 0);
    overwrite_in_place(&path, &bytes);
}

/// The key size of the first node of the leaf page at `start`.
fn first_key_size(start: usize, bytes: &[u8]) -> u16 {
    let node = start + usize::from(u16::from_le_bytes([bytes[start + 16], bytes[start + 17]]));
    u16::from_le_bytes([bytes[node + 6], bytes[node + 7]])
}

/// Trial L: a damaged node offset in a leaf page made LMDB read past the
/// end of the database file, and every program (and `funcache-cli`) died
/// of SIGBUS in the middle of a lookup, on every run. (Damage that is
/// there when a process opens the directory is found by the check of the
/// pages; this is damage done while it runs.) With zeroed room kept after
/// the last page, a process reading such pages sees misses or errors,
/// never a crash and never a wrong value.
#[test]
fn damaged_node_offsets_are_misses_not_crashes() {
    let (_temp, store) = store();
    read_after_damaging_leaf_pages(&store, BROKEN_OFFSETS_DIR);
}

/// A damaged value size (the high half of a node's data size) makes the
/// value run far past the end of the file: it is refused as damage before
/// anything reads it (reading it was a SIGBUS), and the database is marked
/// for rebuilding.
#[test]
fn damaged_value_sizes_are_damage_not_crashes() {
    let (_temp, store) = store();
    read_after_damaging_leaf_pages(&store, BROKEN_SIZES_DIR);
    assert!(store.layout.damage_mark().exists(), "marked for rebuilding");
}

#[test]
#[ignore = "run by the damaged_* tests"]
fn child_reads_damaged_pages() {
    let (dir, damage): (_, fn(usize, &mut [u8])) =
        if let Some(dir) = std::env::var_os(BROKEN_OFFSETS_DIR) {
            // The high byte of the first node offset: the node is then
            // ~65 KB past its page, past the end of this small file.
            (dir, |start, bytes| bytes[start + 17] = 0xff)
        } else if let Some(dir) = std::env::var_os(BROKEN_SIZES_DIR) {
            (dir, |start, bytes| {
                let offset = u16::from_le_bytes([bytes[start + 16], bytes[start + 17]]);
                let node = start + usize::from(offset);
                bytes[node + 2] = 0xff;
                bytes[node + 3] = 0x7f;
            })
        } else {
            return;
        };
    let store = open_shared(std::path::Path::new(&dir), OpenMode::Existing).unwrap();
    damage_leaf_pages(&store, damage);
    for n in 0..200u8 {
        if let Ok(Some(value)) = store.load::<Vec<u8>>(&FunctionKey::of("app::f"), &key(n), None) {
            assert_eq!(value, vec![n; 40], "never a wrong value");
        }
    }
}

/// Trial M: every leaf page of the entries emptied (a node count of zero),
/// so reads find nothing and report nothing. The program computed each
/// result and wrote it through a damaged page: LMDB corrupted its heap and
/// the program aborted, on every run. Now every page in use is checked
/// when a program opens the directory (see `page_check.rs`): the database
/// is moved aside before anything reads or writes it, and a new one
/// serves.
#[test]
fn damage_that_reads_cannot_see_is_found_when_a_program_opens() {
    let (_temp, store) = store();
    for n in 0..200u8 {
        store
            .put("app::f", &key(n), &enc(&vec![n; 40]), Duration::ZERO)
            .unwrap();
    }
    store.flush().unwrap();
    damage_leaf_pages(&store, |start, bytes| {
        bytes[start + 12..start + 14].copy_from_slice(&16u16.to_le_bytes());
    });
    assert_a_program_rebuilds(&store);
}
