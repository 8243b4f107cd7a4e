//! Writing a [`DirstateMap`] as a dirstate-v2 tree.
//!
//! The whole tree is serialized in one pass over the node paths sorted
//! component-wise (siblings by base name, parents before children): a stack of
//! open directories collects each directory's finished child nodes, and a
//! directory's children are written as one contiguous block when the walk
//! leaves it. Paths are written just before the node that owns them.
//!
//! Append mode writes the same tree after the existing `data_size` bytes, with
//! offsets shifted accordingly; nothing of the old data is referenced, so all
//! of it becomes unreachable. Auto mode appends only when the unreachable share
//! of the resulting file would stay under
//! [`ACCEPTABLE_UNREACHABLE_BYTES_RATIO`]; since nothing is reused that only
//! happens when the old data is small compared to the new tree.

use std::cmp::Ordering;

use super::{TreeMetadata, ACCEPTABLE_UNREACHABLE_BYTES_RATIO, NODE_SIZE};
use crate::dirstate::dirs::ancestors;
use crate::dirstate::entry::v2_flags::*;
use crate::dirstate::fxhash::FxHashMap;
use crate::dirstate::{DirstateEntry, DirstateError, DirstateMap};

/// `dirstatemap.WRITE_MODE_AUTO`.
pub const WRITE_MODE_AUTO: u8 = 0;
/// `dirstatemap.WRITE_MODE_FORCE_NEW`.
pub const WRITE_MODE_FORCE_NEW: u8 = 1;
/// `dirstatemap.WRITE_MODE_FORCE_APPEND`.
pub const WRITE_MODE_FORCE_APPEND: u8 = 2;

/// Orders paths component by component (`path.split(b"/")` in Python): this
/// is byte order with `/` sorting before every other byte.
pub(crate) fn component_order(a: &[u8], b: &[u8]) -> Ordering {
    let key = |c: u8| if c == b'/' { 0u8 } else { c.wrapping_add(0) };
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let (kx, ky) = (key(*x), key(*y));
            // '/' maps to 0; a real 0 byte cannot be in a path, but if it is,
            // fall back to raw order so the comparison stays total.
            return kx.cmp(&ky).then(x.cmp(y));
        }
    }
    a.len().cmp(&b.len())
}

fn too_large(what: &str) -> DirstateError {
    DirstateError::TooLarge(what.to_string())
}

struct Frame<'a> {
    path: &'a [u8],
    entry: Option<&'a DirstateEntry>,
    /// Index in `pending` of this node's first finished child.
    first_child: usize,
    descendants_with_entry: u32,
    tracked_descendants: u32,
}

struct Writer<'a> {
    map: &'a DirstateMap,
    out: Vec<u8>,
    /// Offset of `out[0]` in the data file.
    base: usize,
    /// Finished nodes waiting for their parent to write them as a block.
    pending: Vec<[u8; NODE_SIZE]>,
    frames: Vec<Frame<'a>>,
    nodes_with_entry: u32,
    nodes_with_copy_source: u32,
}

impl<'a> Writer<'a> {
    fn offset(&self) -> Result<u32, DirstateError> {
        u32::try_from(self.base + self.out.len()).map_err(|_| too_large("data file over 4 GiB"))
    }

    /// Writes the children block of the top frame; returns (start, count).
    fn flush_children(&mut self, first: usize) -> Result<(u32, u32), DirstateError> {
        let count = self.pending.len() - first;
        if count == 0 {
            return Ok((0, 0));
        }
        let start = self.offset()?;
        for node in &self.pending[first..] {
            self.out.extend_from_slice(node);
        }
        self.pending.truncate(first);
        Ok((start, count as u32))
    }

    fn close_top(&mut self) -> Result<(), DirstateError> {
        let Some(f) = self.frames.pop() else {
            return Ok(());
        };
        let (children_start, children_count) = self.flush_children(f.first_child)?;
        let path_len =
            u16::try_from(f.path.len()).map_err(|_| too_large("path over 65535 bytes"))?;
        let path_start = self.offset()?;
        self.out.extend_from_slice(f.path);
        let base_name_start = f.path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1) as u16;
        let (mut copy_start, mut copy_len) = (0u32, 0u16);
        let (flags, size, mtime_s, mtime_ns) = match f.entry {
            Some(e) => {
                self.nodes_with_entry += 1;
                if let Some(c) = self.map.copies.get(f.path) {
                    copy_len = u16::try_from(c.len())
                        .map_err(|_| too_large("copy source over 65535 bytes"))?;
                    copy_start = self.offset()?;
                    self.out.extend_from_slice(c);
                    self.nodes_with_copy_source += 1;
                }
                e.v2_data()
            }
            None => match self.map.dir_cache.get(f.path) {
                Some(c) => {
                    let mut flags = DIRECTORY | HAS_MTIME;
                    if c.mtime.second_ambiguous() {
                        flags |= MTIME_SECOND_AMBIGUOUS;
                    }
                    if c.all_unknown_recorded {
                        flags |= ALL_UNKNOWN_RECORDED;
                    }
                    if c.all_ignored_recorded {
                        flags |= ALL_IGNORED_RECORDED;
                    }
                    (flags, 0, c.mtime.truncated_seconds(), c.mtime.nanoseconds())
                }
                None => (DIRECTORY, 0, 0, 0),
            },
        };
        let mut node = [0u8; NODE_SIZE];
        node[0..4].copy_from_slice(&path_start.to_be_bytes());
        node[4..6].copy_from_slice(&path_len.to_be_bytes());
        node[6..8].copy_from_slice(&base_name_start.to_be_bytes());
        node[8..12].copy_from_slice(&copy_start.to_be_bytes());
        node[12..14].copy_from_slice(&copy_len.to_be_bytes());
        node[14..18].copy_from_slice(&children_start.to_be_bytes());
        node[18..22].copy_from_slice(&children_count.to_be_bytes());
        node[22..26].copy_from_slice(&f.descendants_with_entry.to_be_bytes());
        node[26..30].copy_from_slice(&f.tracked_descendants.to_be_bytes());
        node[30..32].copy_from_slice(&flags.to_be_bytes());
        node[32..36].copy_from_slice(&size.to_be_bytes());
        node[36..40].copy_from_slice(&mtime_s.to_be_bytes());
        node[40..44].copy_from_slice(&mtime_ns.to_be_bytes());
        self.pending.push(node);
        if let Some(parent) = self.frames.last_mut() {
            parent.descendants_with_entry +=
                f.descendants_with_entry + u32::from(f.entry.is_some());
            parent.tracked_descendants +=
                f.tracked_descendants + u32::from(f.entry.is_some_and(|e| e.tracked()));
        }
        Ok(())
    }
}

/// Whether `path` lies strictly below directory `dir` ("" is the root).
fn is_below(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() || (path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/')
}

/// Serializes `map`; see [`DirstateMap::pack_v2`].
pub(crate) fn write(
    map: &DirstateMap,
    write_mode: u8,
) -> Result<(Vec<u8>, Vec<u8>, bool), DirstateError> {
    // Every node path: entries, their ancestor directories, cached directories.
    let mut dirs: FxHashMap<&[u8], ()> = FxHashMap::default();
    for (p, _) in map.iter() {
        for d in ancestors(p) {
            if dirs.insert(d, ()).is_some() {
                break;
            }
        }
    }
    for d in map.dir_cache.keys() {
        if !d.is_empty() {
            dirs.insert(d, ());
            for a in ancestors(d) {
                dirs.insert(a, ());
            }
        }
    }
    let mut nodes: Vec<(&[u8], Option<&DirstateEntry>)> =
        Vec::with_capacity(map.len() + dirs.len());
    nodes.extend(map.iter().map(|(p, e)| (p, Some(e))));
    nodes.extend(
        dirs.into_keys()
            .filter(|d| !map.contains_key(d))
            .map(|d| (d, None)),
    );
    nodes.sort_unstable_by(|a, b| component_order(a.0, b.0));

    let old = map.origin.as_ref();
    let old_size = old.map_or(0, |o| o.data_size);
    let mut w = Writer {
        map,
        out: Vec::with_capacity(nodes.len() * (NODE_SIZE + 40)),
        base: 0,
        pending: Vec::new(),
        frames: Vec::new(),
        nodes_with_entry: 0,
        nodes_with_copy_source: 0,
    };
    // Decide the mode first since offsets depend on it. The tree's size does
    // not depend on the base, so it is computed up front for auto mode.
    let can_append = old.is_some();
    let append = match write_mode {
        WRITE_MODE_FORCE_NEW => false,
        WRITE_MODE_FORCE_APPEND => can_append,
        _ => {
            // After appending, all `old_size` bytes are unreachable.
            can_append && {
                let total = (old_size + estimate_len(map, &nodes)) as f64;
                (old_size as f64) / total < ACCEPTABLE_UNREACHABLE_BYTES_RATIO
            }
        }
    };
    if append {
        w.base = old_size;
    }
    w.frames.push(Frame {
        path: b"",
        entry: None,
        first_child: 0,
        descendants_with_entry: 0,
        tracked_descendants: 0,
    });
    for (path, entry) in nodes {
        while w.frames.len() > 1 && !is_below(path, w.frames.last().map_or(b"", |f| f.path)) {
            w.close_top()?;
        }
        let first_child = w.pending.len();
        w.frames.push(Frame {
            path,
            entry,
            first_child,
            descendants_with_entry: 0,
            tracked_descendants: 0,
        });
    }
    while w.frames.len() > 1 {
        w.close_top()?;
    }
    let (root_start, root_count) = w.flush_children(0)?;
    let unreachable_bytes = if append {
        u32::try_from(old_size).map_err(|_| too_large("data file over 4 GiB"))?
    } else {
        0
    };
    let meta = TreeMetadata {
        root_start,
        root_count,
        nodes_with_entry: w.nodes_with_entry,
        nodes_with_copy_source: w.nodes_with_copy_source,
        unreachable_bytes,
        ignore_patterns_hash: map.ignore_patterns_hash,
    };
    Ok((w.out, meta.to_bytes(), append))
}

/// Bytes the tree will take: one node plus the path per node, plus copy
/// sources of entries.
fn estimate_len(map: &DirstateMap, nodes: &[(&[u8], Option<&DirstateEntry>)]) -> usize {
    nodes
        .iter()
        .map(|(p, e)| {
            NODE_SIZE + p.len() + e.and_then(|_| map.copies.get(*p)).map_or(0, |c| c.len())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_order_matches_python_split_sort() {
        let mut v: Vec<&[u8]> = vec![b"a.txt", b"a/b", b"a", b"a/b/c", b"a-b", b"b"];
        v.sort_by(|a, b| component_order(a, b));
        assert_eq!(v, vec![&b"a"[..], b"a/b", b"a/b/c", b"a-b", b"a.txt", b"b"]);
    }
}
