//! Answering questions from a dirstate-v2 tree in place, without building a
//! map: `hg status` on a large working copy asks for one entry (`.hgsub`),
//! the status walk's entries and a few cached directories, and never
//! mutates; parsing every node into a hash table first cost it more than the
//! walk's own CPU time (70 ms and ~25 MB at 260k files).
//!
//! [`check`] reads the whole tree once (bounds, node budget, and whether it
//! is shaped as the format requires: each node's path is its parent's path,
//! `/`, its base name, and siblings are sorted by base name). Only a tree so
//! shaped is read in place: [`find`] then descends it by binary search and
//! finds exactly the node a map keyed by full paths would hold. Any other
//! tree is parsed eagerly, as before, with the same errors.

use super::read::{children_range, slice, RawNode};
use super::{TreeMetadata, NODE_SIZE};
use crate::dirstate::entry::v2_flags::*;
use crate::dirstate::map::CachedDirectory;
use crate::dirstate::timestamp::TruncatedTimestamp;
use crate::dirstate::{DirstateEntry, DirstateError};
use std::cmp::Ordering;

/// The flags that make a node an entry (the eager reader's test).
const TRACKED_BITS: u16 = WDIR_TRACKED | P1_TRACKED | P2_INFO;

/// What [`check`] learnt about a tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    /// Nodes that are entries (the map's `len`).
    pub entries: usize,
    /// Entries with a copy source.
    pub copies: usize,
    /// Whether the tree has the shape [`find`] relies on.
    pub in_place: bool,
}

/// Where the root nodes of a checked tree are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Root {
    pub start: u32,
    pub count: u32,
}

impl Root {
    pub(crate) fn of(meta: &TreeMetadata) -> Self {
        Self {
            start: meta.root_start,
            count: meta.root_count,
        }
    }
}

/// Reads every node of the tree once. An `Err` is a corruption the eager
/// reader also reports (the caller then runs it, for the same message); a
/// tree that is merely not shaped for [`find`] is `in_place: false`.
pub(crate) fn check(data: &[u8], root: Root) -> Result<Facts, DirstateError> {
    struct Frame<'d> {
        next: usize,
        end: usize,
        parent: &'d [u8],
        last_base: Option<&'d [u8]>,
    }
    let mut facts = Facts {
        entries: 0,
        copies: 0,
        in_place: true,
    };
    // The eager reader copies every entry's path into one arena indexed by
    // u32 offsets: a tree whose paths overflow it is not read in place.
    let mut path_bytes: u64 = 0;
    let mut budget = data.len() / NODE_SIZE;
    let r = children_range(data, root.start, root.count)?;
    let mut stack = vec![Frame {
        next: r.start,
        end: r.end,
        parent: b"",
        last_base: None,
    }];
    while let Some(top) = stack.last_mut() {
        if top.next >= top.end {
            stack.pop();
            continue;
        }
        let node = RawNode::parse(&data[top.next..top.next + NODE_SIZE]);
        top.next += NODE_SIZE;
        budget = budget.checked_sub(1).ok_or_else(|| {
            DirstateError::Corrupted("more nodes reachable than the data file holds".into())
        })?;
        let path = &data[slice(data, node.path_start, node.path_len as usize, "path")?];
        let base_start = node.base_name_start as usize;
        let base = path.get(base_start..).unwrap_or(b"");
        let parent_ok = if top.parent.is_empty() {
            base_start == 0
        } else {
            base_start == top.parent.len() + 1
                && path.starts_with(top.parent)
                && path[top.parent.len()] == b'/'
        };
        let sorted = top.last_base.is_none_or(|last| last < base);
        if !parent_ok || !sorted || base.is_empty() || base.contains(&b'/') {
            facts.in_place = false;
        }
        top.last_base = Some(base);
        if node.flags & TRACKED_BITS != 0 {
            facts.entries += 1;
            path_bytes += path.len() as u64;
            if node.copy_start != 0 {
                slice(data, node.copy_start, node.copy_len as usize, "copy source")?;
                facts.copies += 1;
            }
        }
        if node.children_count > 0 {
            let r = children_range(data, node.children_start, node.children_count)?;
            stack.push(Frame {
                next: r.start,
                end: r.end,
                parent: path,
                last_base: None,
            });
        }
    }
    if path_bytes > u32::MAX as u64 || facts.entries >= u32::MAX as usize {
        facts.in_place = false;
    }
    Ok(facts)
}

/// The node whose path is `path` in a tree [`check`] found `in_place`.
pub(crate) fn find(data: &[u8], root: Root, path: &[u8]) -> Option<RawNode> {
    if path.is_empty() {
        return None;
    }
    let mut block = (root.start, root.count);
    let mut found = None;
    for name in path.split(|&b| b == b'/') {
        let (nodes, _) =
            data[children_range(data, block.0, block.1).ok()?].as_chunks::<NODE_SIZE>();
        let at = nodes
            .binary_search_by(|b| base_name_of(data, &RawNode::parse(b)).cmp(name))
            .ok()?;
        let node = RawNode::parse(&nodes[at]);
        block = (node.children_start, node.children_count);
        found = Some(node);
    }
    found
}

/// A node's base name (empty when its offset is out of range, which
/// [`check`] rejects for a tree read in place).
fn base_name_of<'d>(data: &'d [u8], node: &RawNode) -> &'d [u8] {
    path_of(data, node)
        .get(node.base_name_start as usize..)
        .unwrap_or(b"")
}

/// The entry a node holds, if it is one.
pub(crate) fn entry_of(node: &RawNode) -> Option<DirstateEntry> {
    (node.flags & TRACKED_BITS != 0)
        .then(|| DirstateEntry::from_v2_data(node.flags, node.size, node.mtime_s, node.mtime_ns))
}

/// The copy source of an entry node.
pub(crate) fn copy_source_of<'d>(data: &'d [u8], node: &RawNode) -> Option<&'d [u8]> {
    if node.flags & TRACKED_BITS == 0 || node.copy_start == 0 {
        return None;
    }
    data.get(slice(data, node.copy_start, node.copy_len as usize, "copy source").ok()?)
}

/// The directory cache a node records (directories only: a node that is
/// also an entry caches nothing).
pub(crate) fn cached_directory_of(node: &RawNode) -> Option<CachedDirectory> {
    (node.flags & TRACKED_BITS == 0 && node.flags & DIRECTORY != 0 && node.flags & HAS_MTIME != 0)
        .then(|| CachedDirectory {
            mtime: TruncatedTimestamp::from_raw(
                node.mtime_s,
                node.mtime_ns,
                node.flags & MTIME_SECOND_AMBIGUOUS != 0,
            ),
            all_unknown_recorded: node.flags & ALL_UNKNOWN_RECORDED != 0,
            all_ignored_recorded: node.flags & ALL_IGNORED_RECORDED != 0,
        })
}

/// The full path of a node.
pub(crate) fn path_of<'d>(data: &'d [u8], node: &RawNode) -> &'d [u8] {
    slice(data, node.path_start, node.path_len as usize, "path")
        .ok()
        .and_then(|r| data.get(r))
        .unwrap_or(b"")
}

/// The full path of the node at offset `at` (empty when out of range,
/// which [`entries_in_byte_order`]'s offsets never are): only the two
/// fields it needs are decoded, as the status walk asks for paths often.
#[inline]
pub(crate) fn path_at(data: &[u8], at: u32) -> &[u8] {
    let at = at as usize;
    let Some(&[a, b, c, d, e, f]) = data.get(at..at + 6) else {
        return b"";
    };
    let start = u32::from_be_bytes([a, b, c, d]) as usize;
    let len = u16::from_be_bytes([e, f]) as usize;
    data.get(start..start + len).unwrap_or(b"")
}

/// The entry of the node at offset `at`, if it is one.
#[inline]
pub(crate) fn entry_at(data: &[u8], at: u32) -> Option<DirstateEntry> {
    let at = at as usize;
    entry_of(&RawNode::parse(data.get(at..at + NODE_SIZE)?))
}

/// One thing a directory contributes to the byte-ordered list of entries:
/// a child's own entry (sorted at its base name), or a child's subtree
/// (sorted at its base name followed by `/`, as its paths are).
struct Emit<'d> {
    base: &'d [u8],
    subtree: bool,
    bytes: &'d [u8; NODE_SIZE],
    /// The node's offset in the data file.
    at: u32,
}

impl Emit<'_> {
    /// Byte order of `base`, `base/` keys: only when one base name is a
    /// prefix of the other does the `/` (or the end) decide.
    fn order(&self, other: &Self) -> Ordering {
        let n = self.base.len().min(other.base.len());
        match self.base[..n].cmp(&other.base[..n]) {
            Ordering::Equal => {}
            o => return o,
        }
        let tail = |e: &Self| e.base[n..].iter().chain(e.subtree.then_some(&b'/'));
        tail(self).cmp(tail(other))
    }
}

/// The emissions of the child block `(start, count)`, in byte order.
fn emissions(data: &[u8], start: u32, count: u32) -> Result<Vec<Emit<'_>>, DirstateError> {
    let range = children_range(data, start, count)?;
    let first = range.start;
    let (nodes, _) = data[range].as_chunks::<NODE_SIZE>();
    let mut v = Vec::with_capacity(nodes.len() + 4);
    for (i, bytes) in nodes.iter().enumerate() {
        let node = RawNode::parse(bytes);
        let base = base_name_of(data, &node);
        let at = u32::try_from(first + i * NODE_SIZE)
            .map_err(|_| DirstateError::Corrupted("a node past 4 GiB".into()))?;
        if node.flags & TRACKED_BITS != 0 {
            v.push(Emit {
                base,
                subtree: false,
                bytes,
                at,
            });
        }
        if node.children_count > 0 {
            v.push(Emit {
                base,
                subtree: true,
                bytes,
                at,
            });
        }
    }
    // Siblings are sorted by base name: only a name that is a prefix of a
    // later one moves, so this stable sort is about one pass.
    v.sort_by(Emit::order);
    Ok(v)
}

/// The offsets of the entry nodes of a tree [`check`] found `in_place`,
/// in byte order of their paths (the status walk's order), with no global
/// sort: a depth-first walk that visits each directory's children in the
/// order their paths sort. [`path_at`] and [`entry_at`] read them.
pub(crate) fn entries_in_byte_order(
    data: &[u8],
    root: Root,
    expected: usize,
) -> Result<Vec<u32>, DirstateError> {
    let mut out = Vec::with_capacity(expected);
    // A node is emitted at most twice (its entry, its subtree).
    let mut budget = 2 * (data.len() / NODE_SIZE);
    let mut stack = vec![emissions(data, root.start, root.count)?.into_iter()];
    while let Some(top) = stack.last_mut() {
        let Some(e) = top.next() else {
            stack.pop();
            continue;
        };
        budget = budget.checked_sub(1).ok_or_else(|| {
            DirstateError::Corrupted("more nodes reachable than the data file holds".into())
        })?;
        let node = RawNode::parse(e.bytes);
        if e.subtree {
            stack.push(emissions(data, node.children_start, node.children_count)?.into_iter());
        } else {
            out.push(e.at);
        }
    }
    Ok(out)
}
