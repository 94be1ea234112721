//! Tests of the built `funcache-cli` binary against real cache directories
//! that the `fixtures/cli` crate produced. One test binary: the fixture is
//! built once and its cache directories are copied for each test.

#[path = "../../../tests/tests/support/mod.rs"]
mod support;
mod util;

mod crash;
mod damage;
mod disk_full;
mod errors;
mod explain;
mod inspect;
mod limit;
mod macro_written;
mod purge;
mod remote;
mod sharing;
