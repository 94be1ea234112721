//! Guards against damaged pages of the database file: every value LMDB
//! hands out is checked to lie within the file, and the file keeps zeroed
//! room after its pages in use ([`DataFile`]).
//!
//! LMDB trusts the sizes stored in a page's nodes. A damaged size makes a
//! value run past the end of the file, and reading it (a checksum, a
//! decode) past the end of the file is a SIGBUS, which kills the program.
//! So each value a transaction reads is checked against the pages in use
//! (read from the meta page after the transaction began, so every page of
//! its snapshot is among them): one that runs past them is an error that
//! marks the database damaged (see `Store::mark_damaged`), never read.
//! ([`DataFile::keep_tail`] covers LMDB's own reads through a damaged node
//! offset.)
//!
//! The check applies to values inside the memory map; a page a write
//! transaction changed lives in its own memory and is not checked. The
//! map's address is read from `/proc/self/maps` when the store opens;
//! where that is not available, nothing is checked.

use std::borrow::Cow;
use std::cell::Cell;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use heed::{BoxedError, BytesDecode, BytesEncode};

/// Zeroed bytes kept after the database file's last page in use: more
/// than LMDB can read past a page through a damaged node offset and key
/// length (64 KiB each). See [`DataFile::keep_tail`].
const FILE_TAIL: u64 = 256 << 10;

/// The database file as the guards against damaged pages see it: where
/// this process maps it, its page size, and the zeroed room kept after its
/// pages in use.
pub(crate) struct DataFile {
    /// Open for `fallocate`; `None` when read only.
    file: Option<File>,
    /// LMDB's page size, in bytes.
    page_size: u64,
    /// Where this process maps the file, if known.
    map_start: Option<usize>,
    /// The file length the last [`keep_tail`](Self::keep_tail) reserved.
    tail_to: AtomicU64,
    /// Which file it is (a damage mark names it).
    id: Option<super::damage::DatabaseId>,
}

impl DataFile {
    /// The database file at `path`, mapped by this process's environment
    /// (opened already), with pages of `page_size` bytes.
    pub(crate) fn new(path: &Path, page_size: u64, writable: bool) -> DataFile {
        let file = writable
            .then(|| std::fs::OpenOptions::new().write(true).open(path).ok())
            .flatten();
        DataFile {
            file,
            page_size,
            map_start: map_start(path),
            tail_to: AtomicU64::new(0),
            id: super::damage::DatabaseId::of(path),
        }
    }

    /// Which file this process opened.
    pub(crate) fn id(&self) -> Option<super::damage::DatabaseId> {
        self.id
    }

    #[cfg(test)]
    pub(crate) fn page_size(&self) -> u64 {
        self.page_size
    }

    /// The bytes of the pages in use, as of `info`.
    fn used_bytes(&self, info: &heed::EnvInfo) -> u64 {
        (info.last_page_number as u64 + 1).saturating_mul(self.page_size)
    }

    /// What a transaction that began before `info` was read may read: the
    /// pages in use then.
    #[inline]
    pub(crate) fn bounds(&self, info: &heed::EnvInfo) -> Option<Bounds> {
        let map_start = self.map_start?;
        let used = usize::try_from(self.used_bytes(info)).unwrap_or(usize::MAX);
        Some(Bounds::new(map_start, info.map_size, used))
    }

    /// Keeps [`FILE_TAIL`] bytes of zeroes after the pages in use as of
    /// `info` (after each commit, and when a program opens the store).
    /// LMDB follows the node offsets in a page without checking them: a
    /// damaged offset or key length (two bytes each) makes it read up to
    /// ~128 KiB past its page, and past the end of the file that is a
    /// SIGBUS, which kills the program in the middle of a lookup, on every
    /// run. Within the file it reads zeroes or other pages, and the damage
    /// is reported as such (or the entry fails its checksum). `fallocate`
    /// only ever extends the file, so another process writing meanwhile
    /// loses nothing. A failure (a full disk) is left for the next commit.
    pub(crate) fn keep_tail(&self, info: &heed::EnvInfo) {
        use fs4::FileExt;
        let Some(file) = &self.file else {
            return;
        };
        let used = self.used_bytes(info);
        if self.tail_to.load(Ordering::Relaxed) >= used + FILE_TAIL / 2 {
            return;
        }
        let want = used + FILE_TAIL;
        if file.allocate(want).is_ok() {
            self.tail_to.store(want, Ordering::Relaxed);
        }
    }
}

/// Where the database file's pages in use are mapped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    map_start: usize,
    map_end: usize,
    /// The end of the last page in use.
    used_end: usize,
}

impl Bounds {
    /// The bounds of a map at `map_start` of `map_size` bytes, whose first
    /// `used` bytes are pages in use.
    pub(crate) fn new(map_start: usize, map_size: usize, used: usize) -> Bounds {
        Bounds {
            map_start,
            map_end: map_start.saturating_add(map_size),
            used_end: map_start.saturating_add(used),
        }
    }

    fn holds(self, bytes: &[u8]) -> bool {
        let start = bytes.as_ptr() as usize;
        if start < self.map_start || start >= self.map_end {
            return true;
        }
        start
            .checked_add(bytes.len())
            .is_some_and(|end| end <= self.used_end)
    }
}

thread_local! {
    /// The bounds of the transaction this thread reads in, if known.
    static BOUNDS: Cell<Option<Bounds>> = const { Cell::new(None) };
}

/// The bounds values are checked against until dropped (the previous ones
/// then apply again: a read may run inside another).
pub(crate) struct Scope(Option<Bounds>);

impl Scope {
    #[inline]
    pub(crate) fn enter(bounds: Option<Bounds>) -> Scope {
        Scope(BOUNDS.with(|current| current.replace(bounds)))
    }
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        BOUNDS.with(|current| current.set(self.0));
    }
}

/// A value that runs past the pages in use.
#[derive(Debug, thiserror::Error)]
#[error("a stored value runs past the end of the database file (a damaged page)")]
pub(crate) struct OutOfFile;

/// Bytes, checked against the thread's [`Bounds`] when read.
pub(crate) enum CheckedBytes {}

impl<'a> BytesEncode<'a> for CheckedBytes {
    type EItem = [u8];

    fn bytes_encode(item: &'a [u8]) -> Result<Cow<'a, [u8]>, BoxedError> {
        Ok(Cow::Borrowed(item))
    }
}

impl<'a> BytesDecode<'a> for CheckedBytes {
    type DItem = &'a [u8];

    #[inline]
    fn bytes_decode(bytes: &'a [u8]) -> Result<&'a [u8], BoxedError> {
        match BOUNDS.with(Cell::get) {
            Some(bounds) if !bounds.holds(bytes) => Err(Box::new(OutOfFile)),
            _ => Ok(bytes),
        }
    }
}

/// The address at which this process maps `data_file` (LMDB maps it once,
/// from offset 0), from `/proc/self/maps`.
fn map_start(data_file: &Path) -> Option<usize> {
    let path = data_file.canonicalize().ok()?;
    let path = path.to_str()?;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        // start-end perms offset dev inode path
        let mut fields = line.split_whitespace();
        let range = fields.next()?;
        let offset = fields.nth(1)?;
        let mapped = fields.nth(2)?;
        if mapped != path || u64::from_str_radix(offset, 16).ok()? != 0 {
            return None;
        }
        usize::from_str_radix(range.split('-').next()?, 16).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_past_the_pages_in_use_are_refused() {
        let map = [0u8; 64];
        let start = map.as_ptr() as usize;
        let _scope = Scope::enter(Some(Bounds::new(start, 64, 32)));
        assert!(CheckedBytes::bytes_decode(&map[..32]).is_ok());
        assert!(CheckedBytes::bytes_decode(&map[8..16]).is_ok());
        assert!(CheckedBytes::bytes_decode(&map[16..40]).is_err());
        assert!(CheckedBytes::bytes_decode(&map[40..48]).is_err());
        // Outside the map (a write transaction's own page): not checked.
        let other = [1u8; 8];
        assert!(CheckedBytes::bytes_decode(&other).is_ok());
    }

    #[test]
    fn the_previous_bounds_apply_again_after_a_scope() {
        let map = [0u8; 64];
        let start = map.as_ptr() as usize;
        let _outer = Scope::enter(Some(Bounds::new(start, 64, 16)));
        {
            let _inner = Scope::enter(None);
            assert!(CheckedBytes::bytes_decode(&map[..40]).is_ok());
        }
        assert!(CheckedBytes::bytes_decode(&map[..40]).is_err());
    }
}
