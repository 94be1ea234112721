//! The check on databases funcache really wrote: every one passes, and
//! each kind of damage to one is found.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::store::{EntryKey, OpenMode, Store, open_shared};

fn key(n: u32) -> EntryKey {
    let mut builder = crate::key::KeyBuilder::new();
    builder.arg(&n);
    EntryKey::new(&[7; 32], &builder.finish().unwrap())
}

fn put(store: &Store, fn_id: &str, n: u32, len: usize) {
    let value = crate::codec::encode(&vec![n as u8; len]).unwrap();
    store.put(fn_id, &key(n), &value, Duration::ZERO).unwrap();
}

fn data_path(store: &Store) -> PathBuf {
    store.layout.data_file()
}

/// The last committed transaction, once everything queued is committed.
fn committed(store: &Store) -> u64 {
    store.settle();
    store.env.info().last_txn_id as u64
}

/// Runs the check on `store`'s file as its next write would.
fn check_now(store: &Store) -> Result<(), Failure> {
    let txn_id = committed(store);
    let file = File::open(data_path(store)).unwrap();
    check_snapshot(&file, store.data_file.page_size(), txn_id)
}

/// A cache of 3 functions: 3000 small entries, 40 values of 3–300 KB
/// (runs of overflow pages), some replaced and some removed (a free list).
fn populated() -> (tempfile::TempDir, Arc<Store>) {
    let temp = tempfile::tempdir().unwrap();
    let store = open_shared(&temp.path().join("cache"), OpenMode::Create).unwrap();
    for n in 0..3000 {
        put(
            &store,
            ["app::a", "app::b", "app::c"][n as usize % 3],
            n,
            40,
        );
    }
    for n in 0..40 {
        put(&store, "app::big", n, 3000 + n as usize * 7500);
    }
    for n in (0..3000).step_by(3) {
        put(&store, "app::a", n, 90);
    }
    let mut blobs = std::collections::HashSet::new();
    let removed: Vec<EntryKey> = (1..3000).step_by(3).map(key).collect();
    store
        .remove_entries("app::b", &removed, &mut blobs, || {})
        .unwrap();
    (temp, store)
}

/// What the check reaches in `store`'s file, by kind and tree.
fn reached_now(store: &Store) -> Vec<Reached> {
    let txn_id = committed(store);
    let file = File::open(data_path(store)).unwrap();
    reached(&file, store.data_file.page_size(), txn_id).unwrap()
}

/// No false alarm: every kind of write funcache makes (new entries,
/// values on runs of overflow pages, replacements that free pages,
/// removals, a cleared function, evictions under a size limit) leaves a
/// file that passes, and the check reaches every kind of page.
#[test]
fn every_database_funcache_writes_passes() {
    let (_temp, store) = populated();
    check_now(&store).unwrap();
    let reached = reached_now(&store);
    for (kind, tree) in [
        (P_BRANCH, Tree::Table),
        (P_LEAF, Tree::Table),
        (P_OVERFLOW, Tree::Table),
        (P_LEAF, Tree::Main),
        (P_LEAF, Tree::Free),
    ] {
        assert!(
            reached.iter().any(|&(_, k, t)| (k, t) == (kind, tree)),
            "no {kind:#x} page of a {tree:?} tree reached"
        );
    }
    for n in 0..40 {
        put(&store, "app::big", n, 200_000 - n as usize * 4000);
    }
    check_now(&store).unwrap();
    store.clear_function("app::c").unwrap();
    check_now(&store).unwrap();
    store.enforce_limit(200 << 10);
    check_now(&store).unwrap();
    for n in 0..3000 {
        put(&store, "app::a", n, 10 + n as usize % 300);
    }
    check_now(&store).unwrap();
}

/// The file of a populated cache, with its page size and last
/// transaction, to damage copies of.
struct Sample {
    _temp: tempfile::TempDir,
    bytes: Vec<u8>,
    page_size: usize,
    txn_id: u64,
    reached: Vec<Reached>,
}

impl Sample {
    fn new() -> Sample {
        let (temp, store) = populated();
        let reached = reached_now(&store);
        Sample {
            bytes: std::fs::read(data_path(&store)).unwrap(),
            page_size: store.data_file.page_size() as usize,
            txn_id: committed(&store),
            reached,
            _temp: temp,
        }
    }

    /// The check of a copy of the file changed by `damage`.
    fn check_damaged(&self, damage: impl FnOnce(&Sample, &mut [u8])) -> Result<(), Failure> {
        let mut bytes = self.bytes.clone();
        damage(self, &mut bytes);
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        check_snapshot(&file, self.page_size as u64, self.txn_id)
    }

    /// The first page reached of `kind` in `tree`: where it starts.
    fn page(&self, kind: u16, tree: Tree) -> usize {
        let (pgno, ..) = self
            .reached
            .iter()
            .find(|&&(_, k, t)| (k, t) == (kind, tree))
            .unwrap();
        *pgno as usize * self.page_size
    }

    /// Where node `index` of the page at `page` starts.
    fn node(bytes: &[u8], page: usize, index: usize) -> usize {
        page + usize::from(u16_at(bytes, page + PAGE_HEADER + 2 * index))
    }

    /// Where the meta page of the last transaction starts.
    fn live_meta(&self) -> usize {
        (0..2)
            .map(|pgno| pgno * self.page_size)
            .find(|&at| u64_at(&self.bytes, at + META_TXN_ID) == self.txn_id)
            .unwrap()
    }
}

fn set_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn set_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn assert_found(result: Result<(), Failure>, what: &str) {
    let message = result.expect_err(what).to_string();
    assert!(message.contains("page structure"), "{what}: {message}");
}

/// Each kind of damage to the pages a write goes through is found; the
/// undamaged copy passes.
#[test]
fn each_kind_of_damage_is_found() {
    let sample = Sample::new();
    sample.check_damaged(|_, _| {}).unwrap();
    // Not damage: another LMDB data version (LMDB checks it on opening),
    // whose pages this check cannot read.
    sample
        .check_damaged(|s, bytes| set_u16(bytes, s.live_meta() + PAGE_HEADER + 4, 2))
        .unwrap();
    // Trial M: leaf pages emptied (a node count of zero): reads miss and
    // report nothing, and a write went through them.
    assert_found(
        sample.check_damaged(|s, bytes| {
            for &(pgno, kind, tree) in &s.reached {
                if (kind, tree) == (P_LEAF, Tree::Table) {
                    set_u16(bytes, pgno as usize * s.page_size + 12, PAGE_HEADER as u16);
                }
            }
        }),
        "emptied leaf pages",
    );
    let branch = sample.page(P_BRANCH, Tree::Table);
    let branch_pgno = (branch / sample.page_size) as u16;
    assert_found(
        sample.check_damaged(|_, bytes| {
            // The first child's low bits: the branch page itself (a cycle).
            let node = Sample::node(bytes, branch, 0);
            set_u16(bytes, node, branch_pgno);
            set_u16(bytes, node + 2, 0);
        }),
        "a child that is its own parent",
    );
    assert_found(
        sample.check_damaged(|_, bytes| {
            let node = Sample::node(bytes, branch, 1);
            set_u16(bytes, node + 2, 0x7fff);
        }),
        "a child past the last page",
    );
    let leaf = sample.page(P_LEAF, Tree::Table);
    assert_found(
        sample.check_damaged(|_, bytes| set_u16(bytes, leaf + PAGE_HEADER, 4095)),
        "a node offset out of the page",
    );
    assert_found(
        sample.check_damaged(|s, bytes| set_u16(bytes, leaf + 14, s.page_size as u16 + 2)),
        "free space past the page",
    );
    assert_found(
        sample.check_damaged(|_, bytes| {
            let first = u16_at(bytes, leaf + PAGE_HEADER);
            let second = u16_at(bytes, leaf + PAGE_HEADER + 2);
            set_u16(bytes, leaf + PAGE_HEADER, second);
            set_u16(bytes, leaf + PAGE_HEADER + 2, first);
        }),
        "keys out of order",
    );
    assert_found(
        sample.check_damaged(|_, bytes| {
            let node = Sample::node(bytes, leaf, 0);
            set_u16(bytes, node + 2, 0x10);
        }),
        "a value size past the page",
    );
    assert_found(
        sample.check_damaged(|_, bytes| {
            let node = Sample::node(bytes, leaf, 0);
            set_u16(bytes, node + 6, 0xfff0);
        }),
        "a key size past the page",
    );
    // Trial N, seed 79: a key 48 bytes longer, still within the page and
    // in order, runs into the next node.
    let message = sample
        .check_damaged(|_, bytes| {
            // The node lowest in the page: another follows it.
            let count = (usize::from(u16_at(bytes, leaf + 12)) - PAGE_HEADER) / 2;
            let node = (0..count)
                .map(|i| Sample::node(bytes, leaf, i))
                .min()
                .unwrap();
            set_u16(bytes, node + 6, u16_at(bytes, node + 6) + 48);
        })
        .expect_err("a node running into the next")
        .to_string();
    assert!(message.contains("runs into"), "{message}");
    assert_found(
        sample.check_damaged(|_, bytes| set_u16(bytes, leaf + 10, P_BRANCH)),
        "a leaf marked as a branch",
    );
    assert_found(
        sample.check_damaged(|_, bytes| set_u64(bytes, leaf, 1)),
        "a page naming another",
    );
    let overflow = sample
        .reached
        .iter()
        .map(|&(pgno, ..)| pgno as usize * sample.page_size)
        .find(|&at| {
            u16_at(&sample.bytes, at + 10) == P_OVERFLOW && u32_at(&sample.bytes, at + 12) > 2
        })
        .unwrap();
    assert_found(
        sample.check_damaged(|_, bytes| set_u16(bytes, overflow + 12, 1)),
        "an overflow run shortened",
    );
    // The free list names a live page: LMDB would hand it out and
    // overwrite it.
    let free = sample.page(P_LEAF, Tree::Free);
    assert_found(
        sample.check_damaged(|_, bytes| {
            let node = Sample::node(bytes, free, 0);
            let record = node + NODE_HEADER + 8;
            assert!(u64_at(bytes, record) > 0, "a record with pages");
            set_u64(bytes, record + 8, (leaf / sample.page_size) as u64);
        }),
        "a free list naming a live page",
    );
    assert_found(
        sample.check_damaged(|_, bytes| {
            let node = Sample::node(bytes, free, 0);
            let record = node + NODE_HEADER + 8;
            set_u64(bytes, record, 100_003);
        }),
        "a free list record's count past its room",
    );
    assert_found(
        sample.check_damaged(|_, bytes| set_u16(bytes, leaf + 12, 6000)),
        "a node count past the page",
    );
    assert_found(
        sample.check_damaged(|s, bytes| {
            let counts = s.live_meta() + META_TREES + DB_RECORD + 32;
            set_u64(bytes, counts, u64_at(bytes, counts) + 1);
        }),
        "the main tree's entry count changed",
    );
    assert_found(
        sample.check_damaged(|s, bytes| {
            let last = s.live_meta() + META_LAST_PAGE;
            set_u64(bytes, last, u64_at(bytes, last) + 1_000_000);
        }),
        "a last page past the file",
    );
}

/// The check reads damaged bytes without ever panicking: random flips
/// of 1 to 8 bytes, anywhere in the pages in use or in the headers and
/// node pointers of the pages reached, are either found or pass. Flips in
/// values, free pages and unused room are harmless to LMDB (a value has
/// its own checksum) and pass; most flips in the structure are found.
#[test]
fn random_damage_never_panics_the_check() {
    let sample = Sample::new();
    let used = sample.bytes.len().min(
        (u64_at(&sample.bytes, sample.live_meta() + META_LAST_PAGE) as usize + 1)
            * sample.page_size,
    );
    let structure: Vec<usize> = sample
        .reached
        .iter()
        .filter(|&&(_, kind, _)| kind != P_OVERFLOW)
        .flat_map(|&(pgno, ..)| {
            let page = pgno as usize * sample.page_size;
            page..page + 64
        })
        .collect();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const RUNS: usize = 1000;
    let mut found = [0; 2];
    for run in 0..2 * RUNS {
        let flips: Vec<(usize, u8)> = (0..1 + next() % 8)
            .map(|_| {
                let at = match run % 2 {
                    0 => (next() % used as u64) as usize,
                    _ => structure[(next() % structure.len() as u64) as usize],
                };
                (at, 1 + (next() % 255) as u8)
            })
            .collect();
        let result = sample.check_damaged(|_, bytes| {
            for &(at, mask) in &flips {
                bytes[at] ^= mask;
            }
        });
        found[run % 2] += usize::from(result.is_err());
    }
    assert!(found[0] > 0, "anywhere: {} of {RUNS} found", found[0]);
    assert!(
        found[1] > RUNS * 3 / 4,
        "in the structure: {} of {RUNS} found",
        found[1]
    );
}

/// No false alarm while other writers commit: a check reads the snapshot
/// of its read transaction, whose pages no commit reuses, and begins
/// anew when commits overwrite that snapshot's meta page.
#[test]
fn checks_during_commits_pass() {
    let (_temp, store) = populated();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store
                    .write(|txn, tables| {
                        for k in 0..20u32 {
                            let key = (n * 20 + k).to_le_bytes();
                            tables.entries.put(txn, &key, &[n as u8; 300])?;
                            tables
                                .entries
                                .delete(txn, &(n * 20 + k).wrapping_sub(400).to_le_bytes())?;
                        }
                        Ok(())
                    })
                    .unwrap();
                n += 1;
            }
        });
        for _ in 0..100 {
            check(&store.env, &data_path(&store), store.data_file.page_size()).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}
