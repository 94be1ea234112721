//! Entries travel in packs: one file per analysis that computed something,
//! holding every entry it computed, each length-prefixed. Creating a file
//! per entry cost ~4 ms each on this machine's ext4 (inode allocation): 11 s
//! for syn's 2,400 nodes; a pack costs one file.
//!
//! Each entry checks itself ([`codec::decode`]), so a damaged pack loses
//! only the entries it damaged. Packs are written to a temporary name and
//! renamed, named after their contents. When a directory holds many, the
//! next reader merges them into one and deletes the ones it merged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::codec;
use crate::Digest;

const MAGIC: &[u8] = b"funcache-pack\0";

/// Packs in one outline directory before they are merged.
pub(crate) const MERGE_AT: usize = 8;

/// Every entry of every pack in `dir`, by key (bytes still to be
/// decoded), and the packs read.
pub(crate) fn read_all(dir: &Path) -> (HashMap<Digest, Vec<u8>>, Vec<PathBuf>) {
    let mut entries = HashMap::new();
    let mut packs = Vec::new();
    for dir_entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = dir_entry.path();
        if path.extension().is_none_or(|e| e != "pack") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        packs.push(path);
        let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
            continue;
        };
        while let Some((len, tail)) = rest.split_first_chunk::<4>() {
            let Some((entry, tail)) = tail.split_at_checked(u32::from_le_bytes(*len) as usize)
            else {
                break;
            };
            // A damaged copy never shadows an intact one.
            if let Some(key) = codec::key_of(entry) {
                entries.entry(key).or_insert_with(|| entry.to_vec());
            }
            rest = tail;
        }
    }
    (entries, packs)
}

/// Writes `entries` as one pack in `dir`.
pub(crate) fn write<'a>(
    dir: &Path,
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> std::io::Result<()> {
    let mut bytes = MAGIC.to_vec();
    for entry in entries {
        bytes.extend_from_slice(&(entry.len() as u32).to_le_bytes());
        bytes.extend_from_slice(entry);
    }
    let name = blake3::hash(&bytes).to_hex();
    let path = dir.join(format!("{}.pack", &name[..32]));
    let temp = dir.join(format!(
        ".{}.{}.{:?}.tmp",
        &name[..16],
        std::process::id(),
        std::thread::current().id()
    ));
    let written = std::fs::write(&temp, &bytes).and_then(|()| std::fs::rename(&temp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_pack_keeps_the_entries_before_the_damage() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |n: u8| {
            let info = crate::node::NodeInfo {
                path: format!("item{n}"),
                hash: Digest([n; 32]),
                edges: Vec::new(),
                externals: Vec::new(),
                unresolved: Vec::new(),
                open: Default::default(),
                sig_open: Default::default(),
                by_name: Vec::new(),
                uses: Default::default(),
                gate: None,
                inputs: Default::default(),
                positional: false,
                reads_docs: false,
            };
            let entry = codec::Entry {
                locs: String::new(),
                info,
            };
            codec::encode(&Digest([n; 32]), &entry, &[]).unwrap()
        };
        let (a, b) = (entry(1), entry(2));
        write(dir.path(), [a.as_slice(), b.as_slice()]).unwrap();
        let (entries, packs) = read_all(dir.path());
        assert_eq!(packs.len(), 1);
        assert_eq!(entries[&Digest([1; 32])], a);
        assert_eq!(entries[&Digest([2; 32])], b);
        // Cut inside the second entry: the first one is still there.
        let bytes = std::fs::read(&packs[0]).unwrap();
        std::fs::write(&packs[0], &bytes[..bytes.len() - 3]).unwrap();
        let (entries, _) = read_all(dir.path());
        assert_eq!(entries.len(), 1);
        assert!(entries.contains_key(&Digest([1; 32])));
        // A damaged copy of an entry, in another pack, does not hide it.
        let mut damaged = a.clone();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 1;
        write(dir.path(), [damaged.as_slice()]).unwrap();
        for _ in 0..2 {
            assert_eq!(read_all(dir.path()).0[&Digest([1; 32])], a);
        }
        std::fs::write(&packs[0], b"not a pack").unwrap();
        assert!(read_all(dir.path()).0.is_empty());
    }
}
