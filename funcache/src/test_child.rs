//! Tests that need a second process: the test binary runs one of its own
//! ignored tests in a child process, with a variable telling it where to
//! work (the ignored test returns at once without it).

use std::ffi::OsStr;
use std::process::{Command, Output};

/// Runs the ignored test `name` of this binary in a child process with
/// `var` set to `value`; asserts that it ran and passed.
pub(crate) fn run_ignored(name: &str, var: &str, value: impl AsRef<OsStr>) -> Output {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--test-threads=1"])
        .env(var, value)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{output:?}"
    );
    output
}
