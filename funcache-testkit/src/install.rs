//! The SKIPPED rule, once for every harness.

use std::io::Write;
use std::process::{Command, Stdio};

/// Whether `binary --version` runs. If not, prints
/// `SKIPPED <test>: <binary> is not installed ...` to stderr and returns
/// `false` so the test can return early.
///
/// # Panics
/// When `binary` is missing and the environment has `CI=true`: CI installs
/// the binaries, so there a missing one fails the test instead of skipping
/// it.
pub fn installed(test: &str, binary: &str) -> bool {
    let runs = Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: {binary} is not installed, and CI=true requires it"
        );
        // Straight to the stderr stream, past libtest's capture (which
        // catches `eprintln!`), so that a passing run shows it too.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!! SKIPPED {test}: {binary} is not installed \
             (apt-get install redis-server redis-tools) !!!!!!!!\n"
        );
    }
    runs
}
