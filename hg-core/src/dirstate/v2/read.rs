//! Reading a dirstate-v2 tree into a [`DirstateMap`], bounds-checked: every
//! offset, length and count is validated against `data_size`, and the number
//! of nodes visited is bounded so cyclic "trees" are reported, not looped on.

use super::tree::{self, Root};
use super::{TreeMetadata, NODE_SIZE};
use crate::dirstate::map::{OldBlock, Parsed, V2Load, V2Origin};
use crate::dirstate::pathhash::PathHashMap;
use crate::dirstate::table::EntryTable;
use crate::dirstate::{DirstateError, DirstateMap, OnDiskBytes};

/// A node's fields, as decoded (no validation beyond reading 44 bytes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawNode {
    pub path_start: u32,
    pub path_len: u16,
    pub base_name_start: u16,
    pub copy_start: u32,
    pub copy_len: u16,
    pub children_start: u32,
    pub children_count: u32,
    pub descendants_with_entry: u32,
    pub tracked_descendants: u32,
    pub flags: u16,
    pub size: u32,
    pub mtime_s: u32,
    pub mtime_ns: u32,
}

fn corrupted(what: impl Into<String>) -> DirstateError {
    DirstateError::Corrupted(what.into())
}

impl RawNode {
    /// Decodes `b`, which must hold at least [`NODE_SIZE`] bytes (callers
    /// slice nodes from bounds-checked child blocks); shorter input decodes
    /// as zeros.
    #[inline]
    pub(crate) fn parse(b: &[u8]) -> Self {
        let b: &[u8; NODE_SIZE] = b
            .get(..NODE_SIZE)
            .and_then(|b| b.try_into().ok())
            .unwrap_or(&[0; NODE_SIZE]);
        let u32_at = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let u16_at = |at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
        Self {
            path_start: u32_at(0),
            path_len: u16_at(4),
            base_name_start: u16_at(6),
            copy_start: u32_at(8),
            copy_len: u16_at(12),
            children_start: u32_at(14),
            children_count: u32_at(18),
            descendants_with_entry: u32_at(22),
            tracked_descendants: u32_at(26),
            flags: u16_at(30),
            size: u32_at(32),
            mtime_s: u32_at(36),
            mtime_ns: u32_at(40),
        }
    }
}

pub(crate) fn slice(
    data: &[u8],
    start: u32,
    len: usize,
    what: &str,
) -> Result<std::ops::Range<usize>, DirstateError> {
    let start = start as usize;
    match start.checked_add(len) {
        Some(end) if end <= data.len() => Ok(start..end),
        _ => Err(corrupted(format!(
            "{what} at {start}+{len} past end of data ({})",
            data.len()
        ))),
    }
}

pub(crate) fn children_range(
    data: &[u8],
    start: u32,
    count: u32,
) -> Result<std::ops::Range<usize>, DirstateError> {
    let len = (count as usize)
        .checked_mul(NODE_SIZE)
        .ok_or_else(|| corrupted("child node count overflows"))?;
    slice(data, start, len, "child nodes")
}

/// Calls `f` on every node of the tree in post-order (children before their
/// parent, siblings in file order), which is the order in which Mercurial's
/// Python reader fills its dict. `f` also gets the node's depth (0 for root
/// nodes).
pub(crate) fn walk(
    data: &[u8],
    root: Root,
    mut f: impl FnMut(&RawNode, usize) -> Result<(), DirstateError>,
) -> Result<(), DirstateError> {
    struct Frame {
        next: usize,
        end: usize,
        owner: Option<RawNode>,
    }
    // Each node occupies 44 bytes, so a well-formed tree has at most this many
    // node visits; more means nodes are reachable twice (a cycle or sharing).
    let mut budget = data.len() / NODE_SIZE;
    let root = children_range(data, root.start, root.count)?;
    let mut stack = vec![Frame {
        next: root.start,
        end: root.end,
        owner: None,
    }];
    while let Some(top) = stack.last_mut() {
        if top.next < top.end {
            let node = RawNode::parse(&data[top.next..top.next + NODE_SIZE]);
            top.next += NODE_SIZE;
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| corrupted("more nodes reachable than the data file holds"))?;
            if node.children_count > 0 {
                let r = children_range(data, node.children_start, node.children_count)?;
                stack.push(Frame {
                    next: r.start,
                    end: r.end,
                    owner: Some(node),
                });
            } else {
                f(&node, stack.len() - 1)?;
            }
        } else {
            let done = stack.pop().and_then(|fr| fr.owner);
            if let Some(node) = done {
                f(&node, stack.len() - 1)?;
            }
        }
    }
    Ok(())
}

/// Builds a map from a data file and the docket's metadata; see
/// [`DirstateMap::new_v2`]. A well-shaped tree is not parsed here: the map
/// answers from it in place until something needs more (see `tree`).
pub(crate) fn read(
    on_disk: OnDiskBytes,
    data_size: usize,
    metadata: &[u8],
    uuid: &[u8],
) -> Result<DirstateMap, DirstateError> {
    let meta = TreeMetadata::parse(metadata)?;
    if data_size > on_disk.len() {
        return Err(corrupted(format!(
            "data file is {} bytes, docket says {data_size}",
            on_disk.len()
        )));
    }
    let data = &on_disk[..data_size];
    let root = Root::of(&meta);
    let loaded = match tree::check(data, root) {
        Ok(facts) if facts.in_place => V2Load::InPlace(facts),
        // A corrupt or oddly shaped tree: parse it now, for its error.
        _ => V2Load::Parsed(parse(data, root, meta.nodes_with_entry as usize)?),
    };
    let origin = V2Origin {
        data: on_disk,
        data_size,
        unreachable_bytes: meta.unreachable_bytes,
        uuid: uuid.to_vec(),
        dirty: PathHashMap::default(),
        all_dirty: false,
    };
    Ok(DirstateMap::from_v2(
        origin,
        meta.ignore_patterns_hash,
        root,
        loaded,
    ))
}

/// Parses a tree into the map's tables: entries in the post-order of
/// [`walk`] (Python's dict order), copies, cached directories and every
/// directory's child block (root included, key ""), which append-mode
/// writes reuse.
/// `expected` entries are preallocated for.
pub(crate) fn parse(data: &[u8], root: Root, expected: usize) -> Result<Parsed, DirstateError> {
    let mut parsed = Parsed::default();
    let expected = expected.min(data.len() / NODE_SIZE);
    parsed.entries = EntryTable::with_capacity(expected, expected * 32);
    let old_blocks = &mut parsed.old_blocks;
    let entries = &mut parsed.entries;
    let copies = &mut parsed.copies;
    let dir_cache = &mut parsed.dir_cache;
    walk(data, root, |node, _depth| {
        let path = &data[slice(data, node.path_start, node.path_len as usize, "path")?];
        if node.children_count > 0 {
            old_blocks.insert(
                path.into(),
                OldBlock {
                    start: node.children_start,
                    count: node.children_count,
                    descendants_with_entry: node.descendants_with_entry,
                    tracked_descendants: node.tracked_descendants,
                },
            );
        }
        if let Some(entry) = tree::entry_of(node) {
            if node.copy_start != 0 {
                let copy =
                    &data[slice(data, node.copy_start, node.copy_len as usize, "copy source")?];
                copies.insert(path, copy);
            }
            entries.append_unindexed(path, entry)?;
        } else if let Some(c) = tree::cached_directory_of(node) {
            dir_cache.insert(path.into(), c);
        }
        Ok(())
    })?;
    parsed.entries.index_appended();
    parsed.old_blocks.insert(
        Box::from(&b""[..]),
        OldBlock {
            start: root.start,
            count: root.count,
            // The root is not a node: its counts are never written.
            descendants_with_entry: 0,
            tracked_descendants: 0,
        },
    );
    Ok(parsed)
}
