//! A check of the database file's structure, made when a process opens a
//! cache directory, before anything reads or writes the database.
//!
//! LMDB 0.9 trusts its pages: it follows their node offsets, sizes and
//! child page numbers unchecked, and its pages carry no checksum. Reads
//! are guarded (see `file_bounds.rs`): damage a read trips over is
//! reported, and the database is marked for rebuilding. But damage can
//! also look like absence. A leaf page whose node count is zeroed holds no
//! entries as far as a lookup can tell; the program computes the result
//! and writes it through the damaged page, LMDB writes past the memory it
//! allocated for the page, corrupts its heap, and the program aborts, on
//! every run (trial M).
//!
//! So when a process opens a directory, before it reads or writes
//! anything there, every page reachable from the meta page of a snapshot
//! (a read transaction, which keeps commits from reusing its pages) is
//! read once and checked:
//! - each page: its own number, the kind its place in the tree calls for
//!   (branch, leaf, overflow), a node pointer array and nodes that lie in
//!   the page, keys in ascending order, no page reached twice (no cycle);
//! - each tree: leaves at its depth, and page and entry counts that match
//!   its record (on the meta page for the free list and the main tree, in
//!   the main tree for the named tables);
//! - each overflow run: within the pages in use, long enough for its value;
//! - the free list: well-formed records of pages in use, none of them
//!   reachable or listed twice (LMDB would hand them out and overwrite
//!   live pages).
//!
//! What is found is damage found at open: a program moves the database
//! aside and starts a new one; `funcache-cli` and read-only programs
//! report it and read nothing (see `open.rs`). Damage done to the file
//! after the check, while the process runs, is not looked for (a write
//! into it is refused once a read found it: `Store::mark_damaged`).
//!
//! The layout read here is LMDB 0.9's on 64-bit little-endian machines
//! (`MDB_page`, `MDB_node`, `MDB_meta` and `MDB_db` in `mdb.c`, data
//! version 1); elsewhere nothing is checked.

use std::fmt;
use std::fs::File;
use std::path::Path;

use super::lmdb::LmdbEnv;

/// Damage found in the database file's structure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PageDamage(String);

/// As LMDB's errors travel (see `lmdb::is_corruption`).
impl From<PageDamage> for heed::Error {
    fn from(damage: PageDamage) -> heed::Error {
        heed::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, damage))
    }
}

/// Why a snapshot's check did not pass.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error(transparent)]
    Damage(#[from] PageDamage),
    /// Commits since the snapshot began overwrote its meta page (there
    /// are two, written in turn), or were writing it: it cannot be read.
    #[error("the snapshot's meta page was overwritten")]
    Superseded,
}

/// How often [`check`] begins a new snapshot when commits overwrite the
/// one it began (two commits during a few system calls).
const ATTEMPTS: usize = 8;

/// Checks the pages (of `page_size` bytes) of the database file at `path`
/// that a read transaction of `env` begun now sees. When commits keep overwriting the
/// snapshot's meta page before it is read, or the file cannot be opened
/// (no file descriptor left: that is not damage, and moving the database
/// aside would throw the cache away), nothing is checked; LMDB's own reads
/// stay guarded (see `file_bounds.rs`).
pub(crate) fn check(env: &LmdbEnv, path: &Path, page_size: u64) -> Result<(), PageDamage> {
    let Ok(file) = File::open(path) else {
        return Ok(());
    };
    for _ in 0..ATTEMPTS {
        // A transaction that cannot begin is reported by what follows.
        let Ok(txn) = env.read_txn() else {
            return Ok(());
        };
        match check_snapshot(&file, page_size, txn.id() as u64) {
            Err(Failure::Superseded) => continue,
            Err(Failure::Damage(damage)) => return Err(damage),
            Ok(()) => return Ok(()),
        }
    }
    Ok(())
}

/// Checks the pages of the database `file` (pages of `page_size` bytes)
/// reachable from the meta page of transaction `txn_id`, a snapshot that a
/// read transaction holds (so that no commit reuses its pages).
pub(crate) fn check_snapshot(file: &File, page_size: u64, txn_id: u64) -> Result<(), Failure> {
    walk(file, page_size, txn_id, None)
}

/// A page the check reached: its number, its kind (`P_BRANCH`, `P_LEAF`,
/// `P_OVERFLOW`) and its tree.
pub(crate) type Reached = (u64, u16, Tree);

/// [`check_snapshot`], listing the branch, leaf and first overflow pages
/// it reached into `reached`.
fn walk(
    file: &File,
    page_size: u64,
    txn_id: u64,
    reached: Option<&mut Vec<Reached>>,
) -> Result<(), Failure> {
    if !cfg!(all(target_endian = "little", target_pointer_width = "64")) {
        return Ok(());
    }
    let page_size = usize::try_from(page_size).map_err(|_| damage("an impossible page size"))?;
    let file_len = file.metadata().map_err(io_damage)?.len();
    let meta = Meta::find(file, page_size, txn_id)?;
    if meta.version != META_VERSION {
        // LMDB opened it, so it is LMDB's format: another version's,
        // whose pages this check does not know how to read.
        return Ok(());
    }
    let pages_in_file = file_len / page_size as u64;
    if meta.last_page >= pages_in_file {
        return Err(damage(format!(
            "the meta page counts {} pages, the file holds {pages_in_file}",
            meta.last_page + 1
        ))
        .into());
    }
    let mut walk = Walk {
        file,
        page_size,
        last_page: meta.last_page,
        seen: vec![0; (meta.last_page as usize + 1).div_ceil(64)],
        reached,
    };
    walk.seen[0] |= 0b11; // the two meta pages
    walk.tree(Tree::Free, &meta.free)?;
    walk.tree(Tree::Main, &meta.main)?;
    Ok(())
}

fn damage(what: impl fmt::Display) -> PageDamage {
    PageDamage(format!("in its page structure: {what}"))
}

fn io_damage(error: std::io::Error) -> PageDamage {
    damage(format!("its pages cannot be read ({error})"))
}

/// Fills `bytes` from `file` at `offset` (a page that cannot be read in
/// full, past the end of the file, is damage).
fn read_at(file: &File, bytes: &mut [u8], offset: u64) -> Result<(), PageDamage> {
    #[cfg(unix)]
    let read = std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset);
    #[cfg(windows)]
    let read = {
        let mut filled = 0;
        loop {
            if filled == bytes.len() {
                break Ok(());
            }
            let at = offset + filled as u64;
            match std::os::windows::fs::FileExt::seek_read(file, &mut bytes[filled..], at) {
                Ok(0) => break Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => filled += n,
                Err(error) => break Err(error),
            }
        }
    };
    read.map_err(io_damage)
}

/// `MDB_page`'s header: page number (8 bytes), pad (2), flags (2), then
/// the lower and upper bounds of its free space (2 + 2), or for an
/// overflow page its page count (4).
const PAGE_HEADER: usize = 16;
const P_BRANCH: u16 = 0x01;
const P_LEAF: u16 = 0x02;
const P_OVERFLOW: u16 = 0x04;
const P_META: u16 = 0x08;
/// The bits that say what a page is (`P_LEAF2` and `P_SUBP` belong to
/// tables with duplicate keys, which funcache never makes); the others
/// (`P_DIRTY`, `P_LOOSE`, `P_KEEP`) are LMDB's bookkeeping.
const KIND_BITS: u16 = P_BRANCH | P_LEAF | P_OVERFLOW | P_META | 0x20 | 0x40;

/// `MDB_node`'s header: data size or child page number (4 bytes), flags
/// (2; a branch node's are the child page number's high bits), key size
/// (2); then the key, then the data.
const NODE_HEADER: usize = 8;
const F_BIGDATA: u16 = 0x01;
const F_SUBDATA: u16 = 0x02;

/// `MDB_db`, a tree's record: pad (4 bytes), flags (2), depth (2), branch,
/// leaf and overflow page counts, entries, root page (8 each).
const DB_RECORD: usize = 48;
/// `MDB_INTEGERKEY`, the free list's flag.
const INTEGER_KEY: u16 = 0x08;
const NO_ROOT: u64 = u64::MAX;
/// LMDB's cursor stack (`CURSOR_STACK`): no tree is deeper.
const MAX_DEPTH: u16 = 32;

/// `MDB_meta`, after the page header: magic, version, map address, map
/// size, the free list's and the main tree's records, last page number,
/// transaction id.
const META_MAGIC: u32 = 0xBEEF_C0DE;
const META_VERSION: u32 = 1;
const META_TREES: usize = PAGE_HEADER + 24;
const META_LAST_PAGE: usize = META_TREES + 2 * DB_RECORD;
const META_TXN_ID: usize = META_LAST_PAGE + 8;

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// A tree's record (`MDB_db`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TreeRecord {
    /// On the meta page, the free list's holds the page size.
    pad: u32,
    flags: u16,
    depth: u16,
    counts: Counts,
    root: u64,
}

/// What a tree holds, as its record counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    branch_pages: u64,
    leaf_pages: u64,
    overflow_pages: u64,
    entries: u64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} entries on {} branch, {} leaf and {} overflow pages",
            self.entries, self.branch_pages, self.leaf_pages, self.overflow_pages
        )
    }
}

impl TreeRecord {
    fn read(bytes: &[u8]) -> TreeRecord {
        TreeRecord {
            pad: u32_at(bytes, 0),
            flags: u16_at(bytes, 4),
            depth: u16_at(bytes, 6),
            counts: Counts {
                branch_pages: u64_at(bytes, 8),
                leaf_pages: u64_at(bytes, 16),
                overflow_pages: u64_at(bytes, 24),
                entries: u64_at(bytes, 32),
            },
            root: u64_at(bytes, 40),
        }
    }
}

/// The meta page of the last committed transaction.
struct Meta {
    /// LMDB's data version (checked against its own when it opens).
    version: u32,
    free: TreeRecord,
    main: TreeRecord,
    last_page: u64,
}

impl Meta {
    /// The meta page (0 or 1, written in turn) of transaction `txn_id`.
    /// Each is read twice: a commit writing it meanwhile shows as a
    /// difference.
    fn find(file: &File, page_size: usize, txn_id: u64) -> Result<Meta, Failure> {
        let mut newer = false;
        for pgno in 0..2 {
            let [mut page, mut again] = [vec![0; page_size], vec![0; page_size]];
            read_at(file, &mut page, pgno * page_size as u64)?;
            read_at(file, &mut again, pgno * page_size as u64)?;
            if page != again {
                return Err(Failure::Superseded);
            }
            let id = u64_at(&page, META_TXN_ID);
            if id == txn_id {
                return Ok(Meta::read(&page, page_size)?);
            }
            newer |= id > txn_id;
        }
        if newer {
            return Err(Failure::Superseded);
        }
        Err(damage(format!(
            "no meta page is of the snapshot's transaction ({txn_id})"
        ))
        .into())
    }

    fn read(page: &[u8], page_size: usize) -> Result<Meta, PageDamage> {
        let flags = u16_at(page, 10);
        if flags & KIND_BITS != P_META || u32_at(page, PAGE_HEADER) != META_MAGIC {
            return Err(damage("the last meta page is not one"));
        }
        let free = TreeRecord::read(&page[META_TREES..]);
        let main = TreeRecord::read(&page[META_TREES + DB_RECORD..]);
        if free.pad as usize != page_size {
            return Err(damage(format!(
                "the meta page's page size is {}, not {page_size}",
                free.pad
            )));
        }
        Ok(Meta {
            version: u32_at(page, PAGE_HEADER + 4),
            free,
            main,
            last_page: u64_at(page, META_LAST_PAGE),
        })
    }
}

/// Which tree a page belongs to: what its keys and values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tree {
    /// The free list: transaction ids (8-byte integers) to lists of pages.
    Free,
    /// The main tree: table names to their records.
    Main,
    /// A named table: byte keys to byte values.
    Table,
}

impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tree::Free => "the free list",
            Tree::Main => "the list of tables",
            Tree::Table => "a table",
        })
    }
}

impl Tree {
    fn flags(self) -> u16 {
        match self {
            Tree::Free => INTEGER_KEY,
            Tree::Main | Tree::Table => 0,
        }
    }

    /// Whether `previous` sorts before `key` (LMDB's comparison).
    fn in_order(self, previous: &[u8], key: &[u8]) -> bool {
        match self {
            Tree::Free => u64_at(previous, 0) < u64_at(key, 0),
            Tree::Main | Tree::Table => previous < key,
        }
    }
}

/// A walk over the pages in use, each read once.
struct Walk<'f> {
    file: &'f File,
    page_size: usize,
    last_page: u64,
    /// One bit per page number: reached already (or listed as free).
    seen: Vec<u64>,
    /// Where the pages reached are listed, if anywhere (for tests).
    reached: Option<&'f mut Vec<Reached>>,
}

/// Where a page sits in its tree.
#[derive(Debug, Clone, Copy)]
struct Place {
    tree: Tree,
    /// 1 at the root.
    level: u16,
    depth: u16,
}

impl Walk<'_> {
    /// Checks the tree of `record` and every page it reaches.
    fn tree(&mut self, tree: Tree, record: &TreeRecord) -> Result<(), PageDamage> {
        if record.flags != tree.flags() {
            return Err(damage(format!(
                "{tree} has flags {:#x}, not {:#x}",
                record.flags,
                tree.flags()
            )));
        }
        let mut counts = Counts::default();
        if record.root != NO_ROOT {
            if record.depth == 0 || record.depth > MAX_DEPTH {
                return Err(damage(format!("a tree of depth {}", record.depth)));
            }
            let place = Place {
                tree,
                level: 1,
                depth: record.depth,
            };
            self.page(record.root, place, &mut counts)?;
        } else if record.depth != 0 {
            return Err(damage("an empty tree with a depth"));
        }
        if counts != record.counts {
            return Err(damage(format!(
                "{tree} holds {counts}; its record says {}",
                record.counts
            )));
        }
        Ok(())
    }

    /// Marks `count` pages from `pgno` as reached: they must be pages in
    /// use, reached for the first time.
    fn claim(&mut self, pgno: u64, count: u64) -> Result<(), PageDamage> {
        let end = pgno
            .checked_add(count)
            .filter(|&end| end <= self.last_page + 1);
        let Some(end) = end.filter(|_| count > 0) else {
            return Err(damage(format!(
                "pages {pgno}+{count} are not all in use (the last is {})",
                self.last_page
            )));
        };
        for page in pgno..end {
            let (word, bit) = ((page / 64) as usize, 1 << (page % 64));
            if self.seen[word] & bit != 0 {
                return Err(damage(format!("page {page} is reached twice")));
            }
            self.seen[word] |= bit;
        }
        Ok(())
    }

    /// Reads `count` pages from `pgno` (pages in use: claimed already, or
    /// checked to be).
    fn read(&self, pgno: u64, count: u64) -> Result<Vec<u8>, PageDamage> {
        let mut bytes = vec![0; count as usize * self.page_size];
        read_at(self.file, &mut bytes, pgno * self.page_size as u64)?;
        if u64_at(&bytes, 0) != pgno {
            return Err(damage(format!(
                "page {pgno} says it is page {}",
                u64_at(&bytes, 0)
            )));
        }
        Ok(bytes)
    }

    /// Checks the branch or leaf page `pgno` at `place`, and the pages it
    /// reaches.
    fn page(&mut self, pgno: u64, place: Place, counts: &mut Counts) -> Result<(), PageDamage> {
        self.claim(pgno, 1)?;
        let page = self.read(pgno, 1)?;
        let is_leaf = place.level == place.depth;
        let kind = if is_leaf { P_LEAF } else { P_BRANCH };
        if u16_at(&page, 10) & KIND_BITS != kind {
            return Err(damage(format!(
                "page {pgno} has flags {:#x} where a {} page belongs",
                u16_at(&page, 10),
                if is_leaf { "leaf" } else { "branch" }
            )));
        }
        if let Some(reached) = &mut self.reached {
            reached.push((pgno, kind, place.tree));
        }
        let nodes = Nodes::of(&page, pgno)?;
        let parsed = (0..nodes.count)
            .map(|index| nodes.node(index))
            .collect::<Result<Vec<_>, _>>()?;
        nodes.disjoint(parsed.iter().map(|node| node.span).collect())?;
        let mut children = Vec::new();
        let mut previous_key: Option<&[u8]> = None;
        for (index, node) in parsed.iter().enumerate() {
            // A branch page's first key is not stored: it is below all.
            if is_leaf || index > 0 {
                if place.tree == Tree::Free && node.key.len() != 8 {
                    return Err(damage(format!(
                        "page {pgno}: a free list key of {} bytes",
                        node.key.len()
                    )));
                }
                if let Some(previous) = previous_key
                    && !place.tree.in_order(previous, node.key)
                {
                    return Err(damage(format!("page {pgno}: keys out of order")));
                }
                previous_key = Some(node.key);
            }
            if is_leaf {
                self.leaf_node(pgno, place.tree, node, &mut children, counts)?;
            } else {
                children.push(Child::Page(node.child_pgno()));
            }
        }
        if is_leaf {
            counts.leaf_pages += 1;
            counts.entries += nodes.count as u64;
        } else {
            counts.branch_pages += 1;
            if nodes.count == 0 {
                return Err(damage(format!("branch page {pgno} has no children")));
            }
        }
        let below = Place {
            level: place.level + 1,
            ..place
        };
        for child in children {
            match child {
                Child::Page(child) => self.page(child, below, counts)?,
                Child::Table(record) => self.tree(Tree::Table, &record)?,
            }
        }
        Ok(())
    }

    /// Checks a leaf node's value: an overflow run, a table's record, a
    /// free list record.
    fn leaf_node(
        &mut self,
        pgno: u64,
        tree: Tree,
        node: &Node<'_>,
        children: &mut Vec<Child>,
        counts: &mut Counts,
    ) -> Result<(), PageDamage> {
        let value = match node.flags {
            0 => std::borrow::Cow::Borrowed(node.data),
            F_BIGDATA => std::borrow::Cow::Owned(self.overflow(
                u64_at(node.data, 0),
                node.size,
                tree,
                counts,
            )?),
            F_SUBDATA if tree == Tree::Main => {
                children.push(Child::Table(TreeRecord::read(node.data)));
                return Ok(());
            }
            flags => {
                return Err(damage(format!(
                    "page {pgno}: a node with flags {flags:#x} in {tree}"
                )));
            }
        };
        if tree == Tree::Free {
            self.free_pages(pgno, &value)?;
        }
        Ok(())
    }

    /// Checks the overflow run at `pgno` holding a value of `size` bytes;
    /// returns the value if `tree` is the free list (others are not read).
    fn overflow(
        &mut self,
        pgno: u64,
        size: u64,
        tree: Tree,
        counts: &mut Counts,
    ) -> Result<Vec<u8>, PageDamage> {
        if pgno < 2 || pgno > self.last_page {
            return Err(damage(format!(
                "a value on page {pgno}, not in use (the last is {})",
                self.last_page
            )));
        }
        let first = self.read(pgno, 1)?;
        if u16_at(&first, 10) & KIND_BITS != P_OVERFLOW {
            return Err(damage(format!("page {pgno} is not an overflow page")));
        }
        let pages = u64::from(u32_at(&first, 12));
        // What LMDB allocates for `size` bytes (`OVPAGES`); a run may be
        // longer (a value shortened in place).
        let needed = (size + PAGE_HEADER as u64).div_ceil(self.page_size as u64);
        if pages < needed {
            return Err(damage(format!(
                "overflow page {pgno} runs {pages} pages for {size} bytes"
            )));
        }
        self.claim(pgno, pages)?;
        counts.overflow_pages += pages;
        if let Some(reached) = &mut self.reached {
            reached.push((pgno, P_OVERFLOW, tree));
        }
        if tree != Tree::Free {
            return Ok(Vec::new());
        }
        let run = if needed == 1 {
            first
        } else {
            self.read(pgno, needed)?
        };
        Ok(run[PAGE_HEADER..PAGE_HEADER + size as usize].to_vec())
    }

    /// Claims the pages of a free list record (`MDB_IDL`: a count, then
    /// that many page numbers, in room that may be larger).
    fn free_pages(&mut self, pgno: u64, record: &[u8]) -> Result<(), PageDamage> {
        let room = (record.len() / 8).saturating_sub(1) as u64;
        if !record.len().is_multiple_of(8) || record.is_empty() || u64_at(record, 0) > room {
            return Err(damage(format!("page {pgno}: a malformed free list record")));
        }
        for index in 0..u64_at(record, 0) as usize {
            self.claim(u64_at(record, 8 + 8 * index), 1)?;
        }
        Ok(())
    }
}

/// What a page leads to, checked after the page.
enum Child {
    Page(u64),
    Table(TreeRecord),
}

/// A branch or leaf page's nodes.
struct Nodes<'p> {
    page: &'p [u8],
    pgno: u64,
    /// Where the nodes begin: every node lies between it and the page end.
    upper: usize,
    count: usize,
    /// A leaf page's nodes hold data; a branch page's, child page numbers.
    is_leaf: bool,
}

/// A node of a [`Nodes`] page.
struct Node<'p> {
    /// The data size (leaf) or the child page number's low bits (branch).
    size: u64,
    flags: u16,
    key: &'p [u8],
    /// The data as stored: the value, an overflow page number, a table's
    /// record (leaf pages only; empty in branch pages).
    data: &'p [u8],
    /// Where the node starts and ends in its page.
    span: (usize, usize),
}

impl<'p> Nodes<'p> {
    fn of(page: &'p [u8], pgno: u64) -> Result<Nodes<'p>, PageDamage> {
        let (lower, upper) = (usize::from(u16_at(page, 12)), usize::from(u16_at(page, 14)));
        if lower < PAGE_HEADER || lower % 2 != 0 || lower > upper || upper > page.len() {
            return Err(damage(format!(
                "page {pgno} has free space from {lower} to {upper}"
            )));
        }
        Ok(Nodes {
            page,
            pgno,
            upper,
            count: (lower - PAGE_HEADER) / 2,
            is_leaf: u16_at(page, 10) & P_LEAF != 0,
        })
    }

    fn node(&self, index: usize) -> Result<Node<'p>, PageDamage> {
        let offset = usize::from(u16_at(self.page, PAGE_HEADER + 2 * index));
        let out = || {
            damage(format!(
                "page {}: node {index} runs out of the page",
                self.pgno
            ))
        };
        if offset < self.upper || offset % 2 != 0 || offset + NODE_HEADER > self.page.len() {
            return Err(out());
        }
        let size =
            u64::from(u16_at(self.page, offset)) | u64::from(u16_at(self.page, offset + 2)) << 16;
        let flags = u16_at(self.page, offset + 4);
        let key_start = offset + NODE_HEADER;
        let key_end = key_start + usize::from(u16_at(self.page, offset + 6));
        let stored = match flags {
            _ if !self.is_leaf => 0,
            F_BIGDATA => 8,
            F_SUBDATA => DB_RECORD as u64,
            _ => size,
        };
        let data_end = key_end as u64 + stored;
        if data_end > self.page.len() as u64 || (flags == F_SUBDATA && size != DB_RECORD as u64) {
            return Err(out());
        }
        Ok(Node {
            size,
            flags,
            key: &self.page[key_start..key_end],
            data: &self.page[key_end..data_end as usize],
            // LMDB rounds a node's room up to an even size.
            span: (offset, (data_end as usize).next_multiple_of(2)),
        })
    }

    /// Checks that the nodes' `spans` (one per node) do not overlap: a
    /// damaged key or value size that keeps a node within its page can
    /// still run it into the next, and LMDB moves nodes by their sizes.
    fn disjoint(&self, mut spans: Vec<(usize, usize)>) -> Result<(), PageDamage> {
        spans.sort_unstable();
        match spans.windows(2).find(|pair| pair[0].1 > pair[1].0) {
            Some(pair) => Err(damage(format!(
                "page {}: the node at {} runs into the node at {}",
                self.pgno, pair[0].0, pair[1].0
            ))),
            None => Ok(()),
        }
    }
}

impl Node<'_> {
    /// A branch node's child page number.
    fn child_pgno(&self) -> u64 {
        self.size | u64::from(self.flags) << 32
    }
}

/// The pages [`check`] reaches, listed (see [`Reached`]).
#[cfg(test)]
pub(crate) fn reached(file: &File, page_size: u64, txn_id: u64) -> Result<Vec<Reached>, Failure> {
    let mut reached = Vec::new();
    walk(file, page_size, txn_id, Some(&mut reached))?;
    Ok(reached)
}

#[cfg(test)]
mod tests;
