//! The bytes of one cached node: a node's facts ([`NodeInfo`]) with crate
//! ids written as positions in the view (ids are per process), behind a
//! magic, a format number and the entry's own key, and followed by a
//! blake3 checksum of everything before it. Decoding checks all four, so
//! a truncated, corrupted, foreign or misplaced file reads as absent.

use std::collections::BTreeSet;

use crate::Digest;
use crate::cfg_text::TextInputs;
use crate::ids::{CrateId, ItemRef, NodeKey};
use crate::node::NodeInfo;
use crate::trait_sets::{Open, Uses};

const MAGIC: &[u8] = b"funcache-node\0";

/// Bumped whenever the layout below or the meaning of a field changes.
pub(crate) const ENTRY_FORMAT: u32 = 3;

/// One entry: the facts, and where they were computed (`locs`): the
/// locations in `info.unresolved` are only right there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub locs: String,
    pub info: NodeInfo,
}

/// The bytes of `entry` under `key`; `None` when a crate it names is not
/// in `view` (nothing to write then).
pub(crate) fn encode(key: &Digest, entry: &Entry, view: &[CrateId]) -> Option<Vec<u8>> {
    let position = |krate: CrateId| view.iter().position(|&c| c == krate).map(|p| p as u32);
    let info = &entry.info;
    // A root's signature facts are never cached (roots are not).
    if !info.sig_open.is_empty() {
        return None;
    }
    let mut w = Writer(Vec::with_capacity(256));
    w.0.extend_from_slice(MAGIC);
    w.u32(ENTRY_FORMAT);
    w.0.extend_from_slice(key.as_bytes());
    w.str(&entry.locs);
    w.str(&info.path);
    w.0.extend_from_slice(info.hash.as_bytes());
    w.u32(info.edges.len() as u32);
    for edge in &info.edges {
        w.u32(position(edge.item.krate)?);
        w.u32(edge.item.item);
        w.u32(edge.assoc);
    }
    w.strs(&info.externals);
    w.u32(info.unresolved.len() as u32);
    for (path, location) in &info.unresolved {
        w.str(path);
        w.str(location);
    }
    w.u32(info.open.local.len() as u32);
    for item in &info.open.local {
        w.u32(position(item.krate)?);
        w.u32(item.item);
    }
    w.strs(&info.open.foreign);
    w.strs(&info.by_name);
    w.0.push(info.uses.bits());
    match &info.gate {
        Some(gate) => {
            w.0.push(1);
            w.str(gate);
        }
        None => w.0.push(0),
    }
    w.strs(&info.inputs.cfgs);
    w.strs(&info.inputs.env);
    w.0.push(u8::from(info.inputs.out_dir));
    w.strs(&info.inputs.paths);
    w.0.push(u8::from(info.positional) | (u8::from(info.reads_docs) << 1));
    let checksum = blake3::hash(&w.0);
    w.0.extend_from_slice(checksum.as_bytes());
    Some(w.0)
}

/// The key of an intact entry (checksum, magic and format right), `None`
/// for anything else. [`decode`] checks the rest.
pub(crate) fn key_of(bytes: &[u8]) -> Option<Digest> {
    let (body, checksum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if blake3::hash(body).as_bytes() != checksum {
        return None;
    }
    let rest = body.strip_prefix(MAGIC)?;
    let (format, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*format) != ENTRY_FORMAT {
        return None;
    }
    Some(Digest(*rest.first_chunk::<32>()?))
}

/// The entry in `bytes` if they are a whole, intact entry of this format
/// stored under `key`, and every crate position is in `view`.
pub(crate) fn decode(key: &Digest, bytes: &[u8], view: &[CrateId]) -> Option<Entry> {
    let (body, checksum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if blake3::hash(body).as_bytes() != checksum {
        return None;
    }
    let mut r = Reader(body);
    if r.take(MAGIC.len())? != MAGIC || r.u32()? != ENTRY_FORMAT || r.take(32)? != key.as_bytes() {
        return None;
    }
    let krate = |position: u32| view.get(position as usize).copied();
    let locs = r.str()?;
    let path = r.str()?;
    let hash = Digest(r.take(32)?.try_into().ok()?);
    let mut edges = Vec::new();
    for _ in 0..r.count()? {
        let item = ItemRef {
            krate: krate(r.u32()?)?,
            item: r.u32()?,
        };
        edges.push(NodeKey {
            item,
            assoc: r.u32()?,
        });
    }
    let externals = r.strs()?;
    let mut unresolved = Vec::new();
    for _ in 0..r.count()? {
        unresolved.push((r.str()?, r.str()?));
    }
    let mut local = BTreeSet::new();
    for _ in 0..r.count()? {
        local.insert(ItemRef {
            krate: krate(r.u32()?)?,
            item: r.u32()?,
        });
    }
    let foreign = r.strs()?.into_iter().collect();
    let by_name = r.strs()?;
    let uses = Uses::from_bits(r.byte()?)?;
    let gate = match r.byte()? {
        0 => None,
        1 => Some(r.str()?),
        _ => return None,
    };
    let cfgs = r.strs()?;
    let env = r.strs()?;
    let out_dir = match r.byte()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let paths = r.strs()?;
    let flags = r.byte()?;
    if flags > 3 {
        return None;
    }
    if !r.0.is_empty() {
        return None;
    }
    Some(Entry {
        locs,
        info: NodeInfo {
            path,
            hash,
            edges,
            externals,
            unresolved,
            open: Open { local, foreign },
            sig_open: Open::default(),
            by_name,
            uses,
            gate,
            inputs: TextInputs {
                cfgs,
                env,
                out_dir,
                paths,
            },
            positional: flags & 1 != 0,
            reads_docs: flags & 2 != 0,
        },
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, n: u32) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn strs<'a>(
        &mut self,
        items: impl IntoIterator<Item = &'a String, IntoIter: ExactSizeIterator>,
    ) {
        let items = items.into_iter();
        self.u32(items.len() as u32);
        for s in items {
            self.str(s);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A length that the rest of the bytes can hold (every element takes
    /// at least 4 bytes), so a corrupt count cannot allocate much.
    fn count(&mut self) -> Option<usize> {
        let n = self.u32()? as usize;
        (n <= self.0.len() / 4).then_some(n)
    }

    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }

    fn strs(&mut self) -> Option<Vec<String>> {
        (0..self.count()?).map(|_| self.str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        let item = |krate, item| ItemRef { krate, item };
        let mut uses = Uses::default();
        uses.note("Debug");
        Entry {
            locs: "src/lib.rs:3:1".into(),
            info: NodeInfo {
                path: "steps::Parser::parse".into(),
                hash: Digest([7; 32]),
                edges: vec![NodeKey::item(item(4, 2)), NodeKey::assoc(item(9, 5), 1)],
                externals: vec!["serde@1.0.0".into()],
                unresolved: vec![("helpers::missing".into(), "src/lib.rs:4:5".into())],
                open: Open {
                    local: [item(9, 3)].into_iter().collect(),
                    foreign: ["Display".to_owned()].into_iter().collect(),
                },
                sig_open: Open::default(),
                by_name: vec!["push".into()],
                uses,
                gate: Some("feature = \"fast\"".into()),
                inputs: TextInputs {
                    cfgs: vec!["debug_assertions".into()],
                    env: vec!["MODE".into()],
                    out_dir: true,
                    paths: vec!["CARGO_MANIFEST_DIR".into(), "file!()".into()],
                },
                positional: true,
                reads_docs: false,
            },
        }
    }

    #[test]
    fn an_entry_reads_back_as_written_in_another_view_numbering() {
        let key = Digest([1; 32]);
        let bytes = encode(&key, &sample(), &[4, 9]).unwrap();
        // The same crates with other ids in another process.
        let read = decode(&key, &bytes, &[0, 1]).unwrap();
        let mut expected = sample();
        expected.info.edges = vec![
            NodeKey::item(ItemRef { krate: 0, item: 2 }),
            NodeKey::assoc(ItemRef { krate: 1, item: 5 }, 1),
        ];
        expected.info.open.local = [ItemRef { krate: 1, item: 3 }].into_iter().collect();
        assert_eq!(read, expected);
    }

    /// Guards the "corrupt reads as absent" promise: every truncation and
    /// every single flipped byte is refused, never misread.
    #[test]
    fn damaged_foreign_or_misplaced_bytes_read_as_absent() {
        let key = Digest([1; 32]);
        let bytes = encode(&key, &sample(), &[4, 9]).unwrap();
        for len in 0..bytes.len() {
            assert!(
                decode(&key, &bytes[..len], &[4, 9]).is_none(),
                "cut at {len}"
            );
        }
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x20;
            assert!(decode(&key, &damaged, &[4, 9]).is_none(), "byte {i}");
        }
        assert!(decode(&Digest([2; 32]), &bytes, &[4, 9]).is_none());
        // A view without the second crate cannot place its edges.
        assert!(decode(&key, &bytes, &[4]).is_none());
        assert!(decode(&key, b"", &[4, 9]).is_none());
    }

    #[test]
    fn a_crate_outside_the_view_is_not_written() {
        assert!(encode(&Digest([1; 32]), &sample(), &[4]).is_none());
    }
}
