//! The remote tier on real Redis: results shared between "machines" (child
//! processes with separate cache directories and one Redis), a cache
//! directory reused in another place and checkout, the faults the remote
//! must never turn into a wrong result or a failed call, a Redis Cluster,
//! and `funcache-cli --remote`.
//!
//! Each "machine" is this test binary run again as a child process (see
//! [`machine`] and [`program`]): its cached functions are defined here, so
//! no crate has to be built but for the copied-checkout case and the CLI.
//!
//! Without `redis-server` and `redis-cli` the Redis cases print SKIPPED on
//! stderr and pass — unless `CI=true`, where they fail.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod faults;
mod machine;
mod program;
mod redis_data;
mod sharing;
