//! What every CLI test needs: the `cli` fixture built once, cache
//! directories it produced (copied per test, so tests can change them in
//! parallel), and a runner for the binary under test.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use crate::support::{self, Fixture, Run};

/// State built once per test binary.
pub struct Shared {
    /// The fixture's source, built; never edited.
    pub fixture: Fixture,
    /// The standard set of calls run twice, and one more call of each
    /// function: see [`STANDARD`].
    pub standard: PathBuf,
    /// Entries in two generations two seconds apart (see [`aged`]).
    pub aged: PathBuf,
    /// A moment between the two generations.
    pub boundary: SystemTime,
    /// Where per-test copies go.
    root: PathBuf,
}

/// Entries of the standard cache: (function id, entries). Each entry was
/// computed once (a miss); all but the last one of each function were read
/// once (a hit). Both `table` entries are blobs.
pub const STANDARD: [(&str, u64); 4] = [
    ("cli::steps::label", 3),
    ("cli::steps::shifted", 2),
    ("cli::steps::square", 4),
    ("cli::steps::table", 2),
];

/// The shared state, built by the first test that asks.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let root = root();
        let fixture = Fixture::copy_into("cli", temp_in(&root, "source-"));
        {
            let _guard = support::lock();
            fixture.build();
        }

        let standard = root.join("standard");
        let first = fixture.run(&standard);
        assert_eq!(
            first.ran,
            [
                "label", "label", "shifted", "square", "square", "square", "table"
            ]
        );
        // The same calls again, all hits, then one new call per function.
        // (The runtime hands a function's hit count to the directory when
        // it next stores a result or a batch of reads is due; a run that
        // only hits would leave its hits unrecorded.)
        let second = calls(
            &fixture,
            &standard,
            "square=1 square=2 square=3 label=a label=b table=150000 shifted=1 \
             square=4 label=c table=150001 shifted=2",
        );
        assert_eq!(second.ran, ["label", "shifted", "square", "table"]);

        let (aged, boundary) = aged(&fixture, &root);
        Shared {
            fixture,
            standard,
            aged,
            boundary,
            root,
        }
    })
}

/// A directory for this process's fixture copies and caches. Statics are
/// never dropped, so rather than TempDirs that would pile up, each run
/// uses `<tmp>/funcache-cli-tests/<pid>` and removes those of processes
/// that are gone. (Not inside the workspace: cargo would take a fixture
/// there for an undeclared member.)
fn root() -> PathBuf {
    let parent = std::env::temp_dir().join("funcache-cli-tests");
    if let Ok(entries) = fs::read_dir(&parent) {
        for entry in entries.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !Path::new("/proc").join(&pid).exists() && Path::new("/proc/self").exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    let root = parent.join(std::process::id().to_string());
    fs::create_dir_all(&root).unwrap();
    root
}

/// Two generations of entries:
///
/// * old, computed at T0: `square(1)`, `square(2)`, `table(150000)`,
///   `table(160000)`;
/// * two seconds later, `square(1)` and `table(150000)` are read again
///   (64 times each: the runtime may record only a sample of reads, and
///   both functions have `memory = 0`, so every call reads the disk) and
///   `square(3)` and `table(170000)` computed.
///
/// So by creation time the old four precede `boundary`, and by last use
/// `square(2)` and `table(160000)` are the least recently used.
fn aged(fixture: &Fixture, root: &Path) -> (PathBuf, SystemTime) {
    let dir = root.join("aged");
    let old = calls(fixture, &dir, "square=1 square=2 table=150000 table=160000");
    assert_eq!(old.ran, ["square", "square", "table", "table"]);
    let old_done = SystemTime::now();
    // Last-used times are kept to the second: two seconds make the read of
    // the old entries land in a later second than their creation.
    std::thread::sleep(Duration::from_secs(2));
    let new_start = SystemTime::now();
    let reads = format!("{}{}", "square=1 ".repeat(64), "table=150000 ".repeat(64));
    let new = calls(fixture, &dir, &format!("{reads}square=3 table=170000"));
    assert_eq!(new.ran, ["square", "table"], "only the new calls compute");
    let gap = new_start.duration_since(old_done).unwrap();
    (dir, old_done + gap / 2)
}

/// Runs the built fixture with these calls.
pub fn calls(fixture: &Fixture, cache: &Path, calls: &str) -> Run {
    fixture.run_with(cache, &[("FIXTURE_CALLS", calls)])
}

/// Whether `call` has to compute in `cache` (checked read-only, so the
/// directory is left as it was).
pub fn computes(cache: &Path, call: &str) -> bool {
    let run = shared().fixture.run_with(
        cache,
        &[("FIXTURE_CALLS", call), ("FUNCACHE_READONLY", "1")],
    );
    !run.ran.is_empty()
}

fn temp_in(root: &Path, prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(root)
        .unwrap()
}

/// A private copy of a cache directory, removed when dropped.
pub struct CacheCopy {
    dir: tempfile::TempDir,
}

impl CacheCopy {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--dir <path>` as arguments.
    pub fn dir_arg(&self) -> String {
        self.path().to_str().unwrap().to_owned()
    }
}

/// Copies `from` (a cache directory: it can be copied and still hits).
pub fn copy_cache(from: &Path) -> CacheCopy {
    let dir = temp_in(&shared().root, "cache-");
    crate::support::copy_dir(from, dir.path());
    CacheCopy { dir }
}

/// A fresh, unbuilt copy of the fixture's source, to edit: the CLI reads
/// source, so nothing needs building.
pub fn source_copy() -> Fixture {
    let shared = shared();
    let copy = Fixture::copy_into("cli", temp_in(&shared.root, "source-"));
    // The lock cargo wrote when it built the cache's program: a copy with
    // another lock asks other versions or features of its dependencies,
    // and every fingerprint reaching one would rightly differ.
    std::fs::copy(
        shared.fixture.path().join("Cargo.lock"),
        copy.path().join("Cargo.lock"),
    )
    .unwrap();
    copy
}

/// Every file under `dir` with its length and a hash of its contents:
/// equal before and after means the command changed nothing.
///
/// LMDB's `lock.mdb` is left out: every open records its reader slots
/// there. It holds no data; `data.mdb`, blobs and marker are the data.
pub fn contents(dir: &Path) -> BTreeMap<PathBuf, (u64, u64)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let lock_file = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == "lock.mdb");
            if path.is_dir() {
                stack.push(path);
            } else if !lock_file {
                let bytes = fs::read(&path).unwrap();
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&bytes, &mut hasher);
                let digest = std::hash::Hasher::finish(&hasher);
                files.insert(path, (bytes.len() as u64, digest));
            }
        }
    }
    files
}

/// Sum of the sizes of every file under `dir`.
pub fn size_on_disk(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                size_on_disk(&entry.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

/// One run of `funcache-cli`.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "failed: {self:#?}");
        &self.stdout
    }

    /// Asserts success and parses stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// Asserts exit code 2, nothing on stdout, and exactly one line on
    /// stderr; returns that line.
    pub fn error_line(&self) -> &str {
        assert_eq!(self.code, 2, "expected exit 2: {self:#?}");
        assert!(self.stdout.is_empty(), "stdout on error: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        lines[0]
    }

    /// Asserts a usage error from clap (exit 2) and returns its first line,
    /// which carries the reason.
    pub fn usage_error(&self) -> &str {
        assert_eq!(self.code, 2, "expected exit 2: {self:#?}");
        assert!(self.stdout.is_empty(), "stdout on error: {self:#?}");
        let first = self.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{self:#?}");
        first
    }
}

/// The binary under test, with no cache directory or target directory
/// from the environment and a working directory outside any package.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_funcache-cli"));
    command
        .env_remove("FUNCACHE_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    command
}

/// Runs `funcache-cli ARGS`.
pub fn cli(args: &[&str]) -> Output {
    run(command().args(args))
}

/// Runs a prepared command.
pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The JSON functions of `inspect --json` as id → entries.
pub fn entry_counts(cache: &Path) -> BTreeMap<String, u64> {
    let report = cli(&["--dir", cache.to_str().unwrap(), "inspect", "--json"]).json();
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["entries"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The sizes of one function's entries, sorted.
pub fn entry_sizes(cache: &Path, id: &str) -> Vec<u64> {
    let report = cli(&["--dir", cache.to_str().unwrap(), "inspect", id, "--json"]).json();
    let mut sizes: Vec<u64> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["size"].as_u64().unwrap())
        .collect();
    sizes.sort();
    sizes
}

/// The size of the blob entry `table(rows)`: rows × 10 bytes plus a
/// small envelope.
pub fn is_table_of(size: u64, rows: u64) -> bool {
    (rows * 10..rows * 10 + 200).contains(&size)
}
