//! A cache directory read once: its functions, their entries and its size,
//! which `inspect` and `purge` both work from.

use std::collections::BTreeMap;
use std::path::Path;

use funcache::{CacheDir, DiskUsage, EntryInfo, FunctionSummary};

use crate::error::CliError;
use crate::fn_id::{self, Lookup};

/// Everything stored, at one moment.
pub struct Snapshot {
    /// Functions that have entries, sorted by id.
    pub functions: Vec<FunctionSummary>,
    /// Their entries, by function id.
    pub entries: BTreeMap<String, Vec<EntryInfo>>,
    /// Bytes on disk.
    pub disk: DiskUsage,
}

impl Snapshot {
    /// Reads the directory.
    pub fn read(dir: &CacheDir) -> Result<Snapshot, CliError> {
        let functions = dir.functions()?;
        let mut entries = BTreeMap::new();
        for function in &functions {
            entries.insert(function.id.clone(), dir.entries(&function.id)?);
        }
        Ok(Snapshot {
            functions,
            entries,
            disk: dir.disk_usage(),
        })
    }

    /// The id of the function `wanted` names (a full id or an unambiguous
    /// ending), or an error naming close ids.
    pub fn resolve(&self, wanted: &str, dir: &Path) -> Result<String, CliError> {
        fn_id::find(wanted, self.functions.iter().map(|f| f.id.as_str())).map_err(|lookup| {
            match lookup {
                Lookup::NotFound(suggestions) => CliError::UnknownFunction {
                    id: wanted.to_owned(),
                    dir: dir.to_path_buf(),
                    suggestions,
                },
                Lookup::Ambiguous(candidates) => CliError::Ambiguous {
                    id: wanted.to_owned(),
                    candidates,
                },
            }
        })
    }

    /// The summary of one function.
    pub fn function(&self, id: &str) -> Option<&FunctionSummary> {
        self.functions.iter().find(|f| f.id == id)
    }

    /// One function's entries.
    pub fn entries_of(&self, id: &str) -> &[EntryInfo] {
        self.entries.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every entry, function by function.
    pub fn all_entries(&self) -> impl Iterator<Item = &EntryInfo> {
        self.entries.values().flatten()
    }
}
