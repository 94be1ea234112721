//! `inspect --remote` and `purge --remote`: the same views and selectors
//! over a remote tier (Redis) that the plain commands have over a cache
//! directory. The Redis work is the runtime's ([`funcache::RemoteCache`]);
//! this module only chooses, groups and renders.
//!
//! What a remote does not record is refused rather than guessed: it keeps
//! no last-read times (`--unused-for`) nor hit counts, and has no size on
//! disk to fit (`--max-size`).

pub mod inspect;
pub mod purge;

use std::collections::BTreeMap;

use funcache::{FunctionSummary, Remote, RemoteCache, RemoteEntry};

use crate::error::CliError;
use crate::fn_id::{self, Lookup};

/// Connects to the remote `--remote` names: its URL, or `FUNCACHE_REMOTE`
/// when given without one.
pub fn connect(url: &str) -> Result<RemoteCache, CliError> {
    let url = match url.trim() {
        "" => std::env::var(funcache::REMOTE_VAR)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .ok_or(CliError::NoRemote)?,
        // A value that is not a URL was refused while parsing (see
        // `args::remote_url`).
        url => url.to_owned(),
    };
    Ok(RemoteCache::connect(Remote::new(&url)?)?)
}

/// Everything on the remote, read once, by function id.
pub struct RemoteSnapshot {
    /// The URL, with its password as `***`.
    pub url: String,
    pub entries: BTreeMap<String, Vec<RemoteEntry>>,
}

impl RemoteSnapshot {
    pub fn read(remote: &RemoteCache) -> Result<RemoteSnapshot, CliError> {
        let mut entries: BTreeMap<String, Vec<RemoteEntry>> = BTreeMap::new();
        for entry in remote.entries()? {
            entries.entry(entry.fn_id.clone()).or_default().push(entry);
        }
        Ok(RemoteSnapshot {
            url: remote.url(),
            entries,
        })
    }

    /// Its functions summarized, sorted by id.
    pub fn functions(&self) -> Vec<FunctionSummary> {
        RemoteCache::functions(self.all_entries())
    }

    /// The id `wanted` names (a full id or an unambiguous ending).
    pub fn resolve(&self, wanted: &str) -> Result<String, CliError> {
        fn_id::find(wanted, self.entries.keys().map(String::as_str)).map_err(
            |lookup| match lookup {
                Lookup::NotFound(suggestions) => CliError::NotOnRemote {
                    id: wanted.to_owned(),
                    url: self.url.clone(),
                    suggestions,
                },
                Lookup::Ambiguous(candidates) => CliError::Ambiguous {
                    id: wanted.to_owned(),
                    candidates,
                },
            },
        )
    }

    pub fn all_entries(&self) -> impl Iterator<Item = &RemoteEntry> {
        self.entries.values().flatten()
    }
}
