//! Signals to processes by id.

use std::process::Command;

/// Sends `signal` by name (`"STOP"`, `"CONT"`, `"KILL"`) to process `pid`
/// with the shell's `kill` builtin: the workspace denies unsafe code, so
/// no `libc::kill`, and the builtin needs no package beyond `sh`. For a
/// process that holds no [`crate::RedisServer`] handle, such as a child
/// test process told the server's pid; with the handle, use
/// [`crate::RedisServer::signal`].
///
/// # Panics
/// When `kill` fails (say, the process is gone).
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\""])
        .arg(signal)
        .arg(pid.to_string())
        .status();
    assert!(
        status.is_ok_and(|status| status.success()),
        "kill -s {signal} {pid} failed"
    );
}
