//! The `funcache-cli` binary, built once per test process into the
//! fixtures' target directory (a test cannot name another package's binary
//! with `CARGO_BIN_EXE_*`, and building into the workspace's own target
//! directory would wait on the cargo that runs the tests).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::{fixture_target_dir, workspace};

/// The path of a `funcache-cli` built from this workspace's source.
pub fn binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let output = Command::new(env!("CARGO"))
                .args(["build", "--quiet", "-p", "funcache-cli", "--manifest-path"])
                .arg(workspace().join("Cargo.toml"))
                .env("CARGO_TARGET_DIR", fixture_target_dir())
                .env("CARGO_PROFILE_DEV_DEBUG", "0")
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "building funcache-cli failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            fixture_target_dir().join("debug").join("funcache-cli")
        })
        .clone()
}
