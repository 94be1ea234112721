//! Test harnesses shared by funcache's crates: a real `redis-server` on a
//! free loopback port ([`RedisServer`]), a three-node Redis Cluster
//! ([`RedisCluster`]) and a TCP server that never answers
//! ([`SilentServer`]). Everything is stopped and removed on drop.
//!
//! A test whose binary is missing calls nothing else: the constructors
//! return `None` after one loud `SKIPPED <test>: ...` line on stderr —
//! except when the environment has `CI=true`, where CI installed the
//! binaries and a missing one is a test failure (a panic), never a skip.
//! That rule lives in [`installed`] and nowhere else.

mod cluster;
mod install;
mod ports;
mod resp;
mod scratch;
mod server;
mod signal;
mod silent;

pub use cluster::RedisCluster;
pub use install::installed;
pub use ports::{free_port, refused};
pub use server::{RedisOptions, RedisServer};
pub use signal::send_signal;
pub use silent::SilentServer;

#[cfg(test)]
mod tests;
