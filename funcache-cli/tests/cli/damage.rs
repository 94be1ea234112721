//! Damage to the database file of the kinds trial N made, each of which
//! crashed a program or `funcache-cli` before every page in use was
//! checked when a directory opens: a program on the damaged directory
//! exits normally with every value right and one warning, having moved the
//! database aside; its next run hits everything; `funcache-cli` reports
//! the damage in one line, says what rebuilds it, and crashes on none.

use std::path::Path;

use crate::util::{cli, copy_cache, shared};

/// The calls that fill the cache: enough small entries for several leaf
/// pages under a branch page.
fn calls() -> String {
    (1..=400).map(|i| format!("square={i} ")).collect()
}

/// LMDB 0.9's page header: flags at 10, free space's lower bound at 12
/// (`mdb.c`, `MDB_page`); the meta page's last page number at 136.
const FLAGS: usize = 10;
const LOWER: usize = 12;
const P_BRANCH: u16 = 0x01;
const P_LEAF: u16 = 0x02;
const META_LAST_PAGE: usize = 136;
const PAGE: usize = 4096;

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// The pages of the entries table (leaf pages whose first key is an
/// entry's: at least 40 bytes), and every branch page, by start.
fn pages(bytes: &[u8], kind: u16) -> Vec<usize> {
    (2 * PAGE..bytes.len() - PAGE + 1)
        .step_by(PAGE)
        .filter(|&start| {
            let flags = u16_at(bytes, start + FLAGS);
            if kind == P_BRANCH {
                return flags == P_BRANCH;
            }
            let node = start + usize::from(u16_at(bytes, start + 16));
            flags == P_LEAF && u16_at(bytes, start + LOWER) > 16 && u16_at(bytes, node + 6) >= 40
        })
        .collect()
}

/// What a kind of damage does to the bytes of `data.mdb`.
type Damage = fn(&mut [u8]);

/// Each kind, named.
const KINDS: &[(&str, Damage)] = &[
    // Trial M: reads miss and report nothing; a write went through them.
    ("leaf pages emptied", |bytes| {
        for start in pages(bytes, P_LEAF) {
            bytes[start + LOWER..start + LOWER + 2].copy_from_slice(&16u16.to_le_bytes());
        }
    }),
    // A node count past the page: LMDB aborted (exit 134).
    ("free space past the page", |bytes| {
        for start in pages(bytes, P_LEAF) {
            bytes[start + LOWER..start + LOWER + 2].copy_from_slice(&6000u16.to_le_bytes());
        }
    }),
    // Branch pages read as leaves: LMDB aborted or crashed (134, 139).
    ("branch pages marked as leaves", |bytes| {
        let branches = pages(bytes, P_BRANCH);
        assert!(!branches.is_empty(), "a branch page");
        for start in branches {
            bytes[start + FLAGS..start + FLAGS + 2].copy_from_slice(&P_LEAF.to_le_bytes());
        }
    }),
    // The meta pages count pages past the end of the file: reads there
    // were a SIGBUS or SIGSEGV.
    ("a last page past the file", |bytes| {
        for meta in [0, PAGE] {
            let at = meta + META_LAST_PAGE;
            bytes[at..at + 8].copy_from_slice(&100_480u64.to_le_bytes());
        }
    }),
];

#[test]
fn damage_is_moved_aside_by_a_program_and_reported_by_the_cli() {
    let fixture = &shared().fixture;
    let temp = tempfile::tempdir().unwrap();
    let filled = temp.path().join("filled");
    crate::util::calls(fixture, &filled, &calls());
    for (kind, damage) in KINDS {
        let cache = copy_cache(&filled);
        let db = cache.path().join("lmdb").join("data.mdb");
        let mut bytes = std::fs::read(&db).unwrap();
        damage(&mut bytes);
        std::fs::write(&db, &bytes).unwrap();

        let dir = cache.dir_arg();
        for command in [&["inspect"][..], &["purge", "--all"]] {
            let args: Vec<&str> = ["--dir", dir.as_str()]
                .iter()
                .chain(command)
                .copied()
                .collect();
            let line = cli(&args).error_line().to_owned();
            assert!(line.contains("is damaged"), "{kind}: {command:?}: {line}");
            assert!(
                line.contains("moves it aside"),
                "{kind}: {command:?}: {line}"
            );
        }

        let run = crate::util::calls(fixture, cache.path(), &calls());
        check_squares(&run.stdout, kind);
        let warnings = run.warnings();
        assert_eq!(warnings.len(), 1, "{kind}: one warning: {warnings:?}");
        assert!(warnings[0].contains("damaged"), "{kind}: {warnings:?}");
        assert_eq!(moved_aside(cache.path()), 1, "{kind}: moved aside");

        let again = crate::util::calls(fixture, cache.path(), &calls());
        check_squares(&again.stdout, kind);
        assert!(
            again.ran.is_empty(),
            "{kind}: rebuilt, all hits: {:?}",
            again.ran
        );
        assert!(
            !again.stderr.contains("warning"),
            "{kind}: {}",
            again.stderr
        );
    }
}

fn check_squares(stdout: &str, kind: &str) {
    check_squares_to(stdout, 400, kind);
}

fn check_squares_to(stdout: &str, last: u64, kind: &str) {
    for i in 1..=last {
        let line = format!("square({i})={}", i * i);
        assert!(stdout.lines().any(|l| l == line), "{kind}: {line} missing");
    }
}

fn moved_aside(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("lmdb.corrupt-")
        })
        .count()
}

/// Damage to stored values (trial N: random flips): each fails its
/// checksum, is recomputed and overwritten, with one warning for the
/// directory however many functions it hit; the database stays.
#[test]
fn damaged_values_of_several_functions_give_one_warning() {
    let fixture = &shared().fixture;
    let calls: String = (1..=200)
        .map(|i| format!("square={i} label=l{i} "))
        .collect();
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    crate::util::calls(fixture, &cache, &calls);
    let db = cache.join("lmdb").join("data.mdb");
    let mut bytes = std::fs::read(&db).unwrap();
    let mut flipped = 0;
    for start in pages(&bytes, P_LEAF) {
        let count = (usize::from(u16_at(&bytes, start + LOWER)) - 16) / 2;
        for index in 0..count {
            let node = start + usize::from(u16_at(&bytes, start + 16 + 2 * index));
            let size =
                usize::from(u16_at(&bytes, node)) | usize::from(u16_at(&bytes, node + 2)) << 16;
            let inline = u16_at(&bytes, node + 4) == 0;
            let end = node + 8 + usize::from(u16_at(&bytes, node + 6)) + size;
            if inline && end <= start + PAGE {
                // The last byte of the value: its checksum's.
                bytes[end - 1] ^= 0x5a;
                flipped += 1;
            }
        }
    }
    assert!(flipped >= 400, "{flipped}");
    std::fs::write(&db, &bytes).unwrap();

    let run = crate::util::calls(fixture, &cache, &calls);
    check_squares_and_labels(&run.stdout);
    assert_eq!(run.ran.len(), 400, "every damaged value recomputed");
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "one warning: {warnings:?}");
    assert!(warnings[0].contains("checksum"), "{warnings:?}");
    assert_eq!(moved_aside(&cache), 0, "the database stays");

    let again = crate::util::calls(fixture, &cache, &calls);
    check_squares_and_labels(&again.stdout);
    assert!(again.ran.is_empty(), "overwritten: {:?}", again.ran);
}

fn check_squares_and_labels(stdout: &str) {
    check_squares_to(stdout, 200, "values");
    for i in 1..=200 {
        let line = format!("label(l{i})=<l{i}>");
        assert!(stdout.lines().any(|l| l == line), "{line} missing");
    }
}
