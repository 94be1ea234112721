//! Content-addressed files for large values.
//!
//! A blob is written to a temporary file in the same directory, synced, and
//! renamed into place, so a reader never sees a partial file under its final
//! name, and a crash leaves at worst a stray temporary file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::Error;

/// Temporary files start with this; everything else in the directory is a
/// blob named by its hash.
const TEMP_PREFIX: &str = ".tmp-";

/// The `blobs/` directory of a cache.
#[derive(Debug, Clone)]
pub(crate) struct Blobs {
    dir: PathBuf,
}

fn hex(hash: &[u8; 32]) -> String {
    blake3::Hash::from_bytes(*hash).to_hex().to_string()
}

impl Blobs {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Blobs { dir }
    }

    pub(crate) fn path(&self, hash: &[u8; 32]) -> PathBuf {
        self.dir.join(hex(hash))
    }

    fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Stores `bytes` and returns their hash. An existing blob with the same
    /// hash and length is reused.
    pub(crate) fn write(&self, bytes: &[u8]) -> Result<[u8; 32], Error> {
        let hash = *blake3::hash(bytes).as_bytes();
        let path = self.path(&hash);
        if fs::metadata(&path).is_ok_and(|meta| meta.len() == bytes.len() as u64) {
            return Ok(hash);
        }
        super::layout::create_private_dir(&self.dir).map_err(Self::io_error(&self.dir))?;
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.dir)
            .map_err(Self::io_error(&self.dir))?;
        temp.write_all(bytes).map_err(Self::io_error(temp.path()))?;
        temp.as_file()
            .sync_all()
            .map_err(Self::io_error(temp.path()))?;
        temp.persist(&path).map_err(|error| Error::Io {
            path: path.clone(),
            source: error.error,
        })?;
        Ok(hash)
    }

    /// Reads a blob, checking its length and its content against the
    /// reference. A blob whose bytes do not hash to its name is damaged
    /// (a bad disk, a stray write): it is removed, so that the value is
    /// computed and written again, and never served.
    pub(crate) fn read(&self, hash: &[u8; 32], len: u64) -> Result<Vec<u8>, Error> {
        let path = self.path(hash);
        let bytes = fs::read(&path).map_err(Self::io_error(&path))?;
        let problem = if bytes.len() as u64 != len {
            format!("blob is {} bytes, expected {len}", bytes.len())
        } else if blake3::hash(&bytes).as_bytes() != hash {
            "blob content does not match its hash".to_owned()
        } else {
            return Ok(bytes);
        };
        let removed = match fs::remove_file(&path) {
            Ok(()) => "removed",
            Err(_) => "could not be removed",
        };
        Err(Error::Io {
            path,
            source: io::Error::new(io::ErrorKind::InvalidData, format!("{problem}; {removed}")),
        })
    }

    /// Every blob file: (hash, size in bytes, modified time).
    pub(crate) fn list(&self) -> Result<Vec<([u8; 32], u64, SystemTime)>, Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(Self::io_error(&self.dir)(error)),
        };
        let mut blobs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Self::io_error(&self.dir))?;
            let name = entry.file_name();
            let Some(hash) = name.to_str().and_then(|n| blake3::Hash::from_hex(n).ok()) else {
                continue;
            };
            let meta = entry.metadata().map_err(Self::io_error(&entry.path()))?;
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            blobs.push((*hash.as_bytes(), meta.len(), modified));
        }
        Ok(blobs)
    }

    /// Removes blobs not in `referenced` and temporary files, skipping
    /// anything younger than `grace` (a concurrent writer may be about to
    /// reference it). Returns (files removed, bytes freed).
    pub(crate) fn remove_unreferenced(
        &self,
        referenced: &std::collections::HashSet<[u8; 32]>,
        grace: Duration,
    ) -> Result<(u64, u64), Error> {
        let now = SystemTime::now();
        let young = |modified: SystemTime| {
            now.duration_since(modified)
                .map(|age| age < grace)
                .unwrap_or(true)
        };
        let (mut files, mut bytes) = (0, 0);
        for (hash, len, modified) in self.list()? {
            if referenced.contains(&hash) || young(modified) {
                continue;
            }
            let path = self.path(&hash);
            match fs::remove_file(&path) {
                Ok(()) => {
                    files += 1;
                    bytes += len;
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(Self::io_error(&path)(error)),
            }
        }
        // Temporary files left by a crash mid-write.
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let is_temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
                let meta = entry.metadata().ok();
                let modified = meta.as_ref().and_then(|m| m.modified().ok());
                if is_temp
                    && modified.is_some_and(|m| !young(m))
                    && fs::remove_file(entry.path()).is_ok()
                {
                    files += 1;
                    bytes += meta.map_or(0, |m| m.len());
                }
            }
        }
        Ok((files, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn write_read_round_trip_and_dedup() {
        let temp = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(temp.path().join("blobs"));
        let data = vec![42u8; 3000];
        let hash = blobs.write(&data).unwrap();
        assert_eq!(blobs.write(&data).unwrap(), hash, "same content, same name");
        assert_eq!(blobs.read(&hash, 3000).unwrap(), data);
        assert_eq!(blobs.list().unwrap().len(), 1);
    }

    #[test]
    fn wrong_length_is_an_error() {
        let temp = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(temp.path().to_path_buf());
        let hash = blobs.write(b"abc").unwrap();
        assert!(blobs.read(&hash, 4).is_err());
        assert!(blobs.read(&[0; 32], 3).is_err(), "missing blob");
    }

    /// Regression: a blob with flipped bytes (same length) was served as
    /// the value.
    #[test]
    fn a_blob_with_flipped_bytes_is_an_error_and_removed() {
        let temp = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(temp.path().to_path_buf());
        let data = vec![7u8; 5000];
        let hash = blobs.write(&data).unwrap();
        let mut damaged = fs::read(blobs.path(&hash)).unwrap();
        damaged[4000] ^= 0x10;
        fs::write(blobs.path(&hash), damaged).unwrap();
        let error = blobs.read(&hash, 5000).unwrap_err();
        assert!(error.to_string().contains("does not match"), "{error}");
        assert!(!blobs.path(&hash).exists(), "the damaged blob is removed");
        assert_eq!(blobs.write(&data).unwrap(), hash);
        assert_eq!(blobs.read(&hash, 5000).unwrap(), data);
    }

    #[test]
    fn garbage_collection_keeps_referenced_and_young_blobs() {
        let temp = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(temp.path().to_path_buf());
        let keep = blobs.write(b"keep").unwrap();
        let drop = blobs.write(b"drop").unwrap();
        let referenced: HashSet<_> = [keep].into();
        assert_eq!(
            blobs
                .remove_unreferenced(&referenced, Duration::from_secs(3600))
                .unwrap()
                .0,
            0
        );
        assert_eq!(
            blobs
                .remove_unreferenced(&referenced, Duration::ZERO)
                .unwrap(),
            (1, 4)
        );
        assert!(blobs.path(&keep).exists());
        assert!(!blobs.path(&drop).exists());
    }
}
