//! Writing a [`DirstateMap`] as a dirstate-v2 tree.
//!
//! The tree is serialized in one pass over the node paths sorted
//! component-wise (siblings by base name, parents before children): a stack of
//! open directories collects each directory's finished child nodes, and a
//! directory's children are written as one contiguous block when the walk
//! leaves it. Paths are written just before the node that owns them.
//!
//! Append mode writes after the existing `data_size` bytes and references the
//! old child block of every directory whose subtree did not change since the
//! map was loaded (the map tracks changed directories), so only changed
//! directories, their ancestors and their nodes' paths are rewritten. The old
//! blocks replaced this way (their nodes, paths and copy sources) are added to
//! `unreachable_bytes`. As upstream, auto mode appends while that count stays
//! under [`ACCEPTABLE_UNREACHABLE_BYTES_RATIO`] of the existing data size.

use std::cmp::Ordering;

use super::{TreeMetadata, ACCEPTABLE_UNREACHABLE_BYTES_RATIO, NODE_SIZE};
use crate::dirstate::entry::v2_flags::*;
use crate::dirstate::map::{OldBlock, V2Origin};
use crate::dirstate::pathhash::PathHashMap;
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
    let n = a.len().min(b.len());
    // Skip the common prefix 8 bytes at a time (sorting ~300k paths with a
    // byte-at-a-time comparator is the writer's main cost otherwise).
    let mut i = 0;
    while i + 8 <= n && a[i..i + 8] == b[i..i + 8] {
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    if i == n {
        return a.len().cmp(&b.len());
    }
    let (x, y) = (a[i], b[i]);
    match (x == b'/', y == b'/') {
        (true, _) => Ordering::Less,
        (_, true) => Ordering::Greater,
        _ => x.cmp(&y),
    }
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
    /// Old child block referenced instead of writing children.
    reused: Option<OldBlock>,
}

struct Writer<'a> {
    map: &'a DirstateMap,
    out: Vec<u8>,
    /// Offset of `out[0]` in the data file.
    base: usize,
    /// Finished nodes waiting for their parent to write them as a block.
    pending: Vec<[u8; NODE_SIZE]>,
    frames: Vec<Frame<'a>>,
}

impl<'a> Writer<'a> {
    fn offset(&self) -> Result<u32, DirstateError> {
        u32::try_from(self.base + self.out.len()).map_err(|_| too_large("data file over 4 GiB"))
    }

    /// Writes the finished nodes from `first` on as one block; returns
    /// (start, count), (0, 0) when there are none.
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
        let Some(mut f) = self.frames.pop() else {
            return Ok(());
        };
        let (children_start, children_count) = match f.reused {
            Some(b) => {
                f.descendants_with_entry = b.descendants_with_entry;
                f.tracked_descendants = b.tracked_descendants;
                (b.start, b.count)
            }
            None => self.flush_children(f.first_child)?,
        };
        let path_len =
            u16::try_from(f.path.len()).map_err(|_| too_large("path over 65535 bytes"))?;
        let path_start = self.offset()?;
        self.out.extend_from_slice(f.path);
        let base_name_start = f.path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1) as u16;
        let (mut copy_start, mut copy_len) = (0u32, 0u16);
        let (flags, size, mtime_s, mtime_ns) = match f.entry {
            Some(e) => {
                let copy = if self.map.parsed().copies.is_empty() {
                    None
                } else {
                    self.map.parsed().copies.get(f.path)
                };
                if let Some(c) = copy {
                    copy_len = u16::try_from(c.len())
                        .map_err(|_| too_large("copy source over 65535 bytes"))?;
                    copy_start = self.offset()?;
                    if copy_start == 0 {
                        // Offset 0 means "no copy source": only reachable
                        // with an empty path first in a new file.
                        self.out.push(0);
                        copy_start = self.offset()?;
                    }
                    self.out.extend_from_slice(c);
                }
                e.v2_data()
            }
            None => match self.map.parsed().dir_cache.get(f.path) {
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
            let has_entry = u32::from(f.entry.is_some());
            let tracked = u32::from(f.entry.is_some_and(|e| e.tracked()));
            parent.descendants_with_entry = parent
                .descendants_with_entry
                .saturating_add(f.descendants_with_entry.saturating_add(has_entry));
            parent.tracked_descendants = parent
                .tracked_descendants
                .saturating_add(f.tracked_descendants.saturating_add(tracked));
        }
        Ok(())
    }
}

/// Every node of the tree to write (entries, their ancestor directories,
/// cached directories) in [`component_order`], as `(path, entry)`.
///
/// Not by sorting all paths: in a large working copy they share long
/// prefixes, so a global sort compares the same leading bytes over and over
/// (it was 55% of writing a 260k-entry tree). The order is that of a
/// depth-first walk of the directory tree with siblings sorted by base name,
/// so each node is filed under its parent directory (one hash lookup of the
/// parent, as the ancestor set needed anyway) and only siblings' base names
/// are sorted.
pub(crate) fn nodes_in_component_order(map: &DirstateMap) -> Vec<(&[u8], Option<&DirstateEntry>)> {
    const NONE: u32 = u32::MAX;
    fn split(path: &[u8]) -> (&[u8], &[u8]) {
        match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (b"", path),
        }
    }
    /// Directories by id (0 is the root), with their parent's id.
    struct Dirs<'a> {
        ids: PathHashMap<&'a [u8], u32>,
        paths: Vec<&'a [u8]>,
        parents: Vec<u32>,
    }
    impl<'a> Dirs<'a> {
        /// The id of directory `dir`, creating it and its missing ancestors.
        fn id(&mut self, dir: &'a [u8]) -> u32 {
            if let Some(&id) = self.ids.get(dir) {
                return id;
            }
            let mut missing = vec![dir];
            let mut parent = loop {
                let up = split(missing[missing.len() - 1]).0;
                match self.ids.get(up) {
                    Some(&id) => break id,
                    None => missing.push(up),
                }
            };
            for d in missing.into_iter().rev() {
                let id = self.paths.len() as u32;
                self.ids.insert(d, id);
                self.paths.push(d);
                self.parents.push(parent);
                parent = id;
            }
            parent
        }
    }
    /// The first 8 bytes of a name, zero-padded, big-endian: ordered as
    /// the names are wherever they differ in those bytes.
    fn prefix(name: &[u8]) -> u64 {
        let mut b = [0u8; 8];
        let n = name.len().min(8);
        b[..n].copy_from_slice(&name[..n]);
        u64::from_be_bytes(b)
    }
    #[derive(Clone, Copy)]
    struct Item<'a> {
        /// `prefix(base)`: most sibling comparisons need nothing else.
        key: u64,
        parent: u32,
        base: &'a [u8],
        path: &'a [u8],
        entry: Option<&'a DirstateEntry>,
        /// The directory this node is, if it has children.
        dir: u32,
    }
    let mut dirs = Dirs {
        ids: PathHashMap::default(),
        paths: vec![b""],
        parents: vec![NONE],
    };
    dirs.ids.insert(b"", 0);
    let mut items: Vec<Item> = Vec::with_capacity(map.len() + map.len() / 8);
    let odd = |p: &[u8]| p.first().is_none_or(|&b| b == b'/');
    // Siblings usually follow each other (a dirstate is written in tree or
    // sorted order): comparing with the previous parent saves most lookups.
    let mut last: (&[u8], u32) = (b"", 0);
    for (path, entry) in map.iter() {
        if odd(path) {
            return nodes_by_sorting(map);
        }
        let (dir, base) = split(path);
        if dir != last.0 {
            last = (dir, dirs.id(dir));
        }
        items.push(Item {
            key: prefix(base),
            parent: last.1,
            base,
            path,
            entry: Some(entry),
            dir: NONE,
        });
    }
    for d in map.parsed().dir_cache.keys() {
        if d.starts_with(b"/") {
            return nodes_by_sorting(map);
        }
        if !d.is_empty() {
            dirs.id(d);
        }
    }
    for (id, &path) in dirs.paths.iter().enumerate().skip(1) {
        let base = split(path).1;
        items.push(Item {
            key: prefix(base),
            parent: dirs.parents[id],
            base,
            path,
            entry: None,
            dir: id as u32,
        });
    }
    // Items grouped by parent (a counting sort), then siblings by name.
    let mut starts = vec![0usize; dirs.paths.len() + 1];
    for it in &items {
        starts[it.parent as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut fill = starts.clone();
    let mut grouped: Vec<u32> = vec![0; items.len()];
    for (i, it) in items.iter().enumerate() {
        let at = &mut fill[it.parent as usize];
        grouped[*at] = i as u32;
        *at += 1;
    }
    for w in starts.windows(2) {
        grouped[w[0]..w[1]].sort_unstable_by(|&a, &b| {
            let (a, b) = (&items[a as usize], &items[b as usize]);
            a.key.cmp(&b.key).then_with(|| a.base.cmp(b.base))
        });
    }
    // Depth first, a node before its children.
    let mut out = Vec::with_capacity(grouped.len());
    let mut stack = vec![(starts[0], starts[1])];
    while let Some(top) = stack.last_mut() {
        if top.0 >= top.1 {
            stack.pop();
            continue;
        }
        let mut it = items[grouped[top.0] as usize];
        top.0 += 1;
        // A path that is both an entry and a directory (its two items are
        // siblings with the same name) is one node.
        if top.0 < top.1 && items[grouped[top.0] as usize].base == it.base {
            let other = items[grouped[top.0] as usize];
            top.0 += 1;
            it.entry = it.entry.or(other.entry);
            if it.dir == NONE {
                it.dir = other.dir;
            }
        }
        out.push((it.path, it.entry));
        if it.dir != NONE {
            let d = it.dir as usize;
            stack.push((starts[d], starts[d + 1]));
        }
    }
    out
}

/// [`nodes_in_component_order`] by a global sort: for maps with an empty
/// path or one starting with `/` (never written by Mercurial, possible in a
/// corrupted file), where "/x" lies below the node "" in component order
/// but the byte string "" also names the root directory.
fn nodes_by_sorting(map: &DirstateMap) -> Vec<(&[u8], Option<&DirstateEntry>)> {
    let dirs = map.node_directories();
    let mut nodes: Vec<(&[u8], Option<&DirstateEntry>)> =
        Vec::with_capacity(map.len() + dirs.len());
    nodes.extend(map.iter().map(|(p, e)| (p, Some(e))));
    nodes.extend(
        dirs.into_keys()
            .filter(|d| !d.is_empty() && !map.contains_key(d))
            .map(|d| (d, None)),
    );
    nodes.sort_unstable_by(|a, b| component_order(a.0, b.0));
    nodes
}

/// Whether `path` lies strictly below directory `dir` ("" is the root).
fn is_below(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() || (path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/')
}

/// Bytes of the old data that an append makes unreachable: every old block
/// that is not reused, with its nodes' paths and copy sources.
fn replaced_bytes(origin: &V2Origin, old_blocks: &PathHashMap<Box<[u8]>, OldBlock>) -> u64 {
    let data = &origin.data[..origin.data_size];
    let block_bytes = |b: &OldBlock| -> u64 {
        let mut total = 0u64;
        for i in 0..b.count as usize {
            let at = b.start as usize + i * NODE_SIZE;
            // Blocks were bounds-checked when the map was read.
            let Some(n) = data.get(at..at + NODE_SIZE) else {
                break;
            };
            let path_len = u16::from_be_bytes([n[4], n[5]]) as u64;
            let copy_start = u32::from_be_bytes([n[8], n[9], n[10], n[11]]);
            let copy_len = if copy_start != 0 {
                u16::from_be_bytes([n[12], n[13]]) as u64
            } else {
                0
            };
            total += NODE_SIZE as u64 + path_len + copy_len;
        }
        total
    };
    if origin.all_dirty {
        return origin.data_size as u64;
    }
    origin
        .dirty
        .keys()
        .filter_map(|d| old_blocks.get(d))
        .map(block_bytes)
        .sum()
}

/// Serializes `map`; see [`DirstateMap::pack_v2`].
pub(crate) fn write(
    map: &DirstateMap,
    write_mode: u8,
) -> Result<(Vec<u8>, Vec<u8>, bool), DirstateError> {
    let origin = map.origin.as_ref();
    let old_blocks = &map.parsed().old_blocks;
    let unreachable_after_append = origin.map(|o| {
        (o.unreachable_bytes as u64 + replaced_bytes(o, old_blocks)).min(o.data_size as u64)
    });
    let append = match (write_mode, origin, unreachable_after_append) {
        (_, None, _) | (_, _, None) | (WRITE_MODE_FORCE_NEW, _, _) => false,
        (WRITE_MODE_FORCE_APPEND, _, _) => true,
        (_, Some(o), Some(u)) => {
            o.data_size > 0
                && (u as f64) / (o.data_size as f64) < ACCEPTABLE_UNREACHABLE_BYTES_RATIO
        }
    };
    let reuse = if append { origin } else { None };

    let nodes = nodes_in_component_order(map);

    let mut w = Writer {
        map,
        out: Vec::new(),
        base: if append {
            origin.map_or(0, |o| o.data_size)
        } else {
            0
        },
        pending: Vec::new(),
        frames: Vec::new(),
    };
    let root_reused = reuse.and_then(|o| o.reusable(old_blocks, b""));
    let (root_start, root_count) = match root_reused {
        Some(b) => (b.start, b.count),
        None => {
            w.out.reserve(nodes.len() * (NODE_SIZE + 40));
            w.frames.push(Frame {
                path: b"",
                entry: None,
                first_child: 0,
                descendants_with_entry: 0,
                tracked_descendants: 0,
                reused: None,
            });
            let mut i = 0;
            while i < nodes.len() {
                let (path, entry) = nodes[i];
                i += 1;
                while w.frames.len() > 1 && !is_below(path, w.frames.last().map_or(b"", |f| f.path))
                {
                    w.close_top()?;
                }
                let reused = reuse.and_then(|o| o.reusable(old_blocks, path));
                if reused.is_some() {
                    // The old block covers this whole subtree: skip it.
                    while i < nodes.len() && is_below(nodes[i].0, path) {
                        i += 1;
                    }
                }
                let first_child = w.pending.len();
                w.frames.push(Frame {
                    path,
                    entry,
                    first_child,
                    descendants_with_entry: 0,
                    tracked_descendants: 0,
                    reused,
                });
            }
            while w.frames.len() > 1 {
                w.close_top()?;
            }
            w.flush_children(0)?
        }
    };
    let unreachable_bytes = if append {
        u32::try_from(unreachable_after_append.unwrap_or(0))
            .map_err(|_| too_large("data file over 4 GiB"))?
    } else {
        0
    };
    let meta = TreeMetadata {
        root_start,
        root_count,
        nodes_with_entry: u32::try_from(map.len()).map_err(|_| too_large("too many entries"))?,
        nodes_with_copy_source: map
            .parsed()
            .copies
            .keys()
            .filter(|k| map.contains_key(k))
            .count() as u32,
        unreachable_bytes,
        ignore_patterns_hash: map.ignore_patterns_hash,
    };
    Ok((w.out, meta.to_bytes(), append))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dirstate::v2::read::walk;
    use crate::dirstate::{CachedDirectory, OnDiskBytes, TruncatedTimestamp};

    #[test]
    fn component_order_matches_python_split_sort() {
        let mut v: Vec<&[u8]> = vec![b"a.txt", b"a/b", b"a", b"a/b/c", b"a-b", b"b"];
        v.sort_by(|a, b| component_order(a, b));
        assert_eq!(v, vec![&b"a"[..], b"a/b", b"a/b/c", b"a-b", b"a.txt", b"b"]);
    }

    #[test]
    fn component_order_equals_split_comparison() {
        let mut rng = Rng(0x1234_5678);
        let alphabet = b"a/.-\x00b";
        let gen = |rng: &mut Rng| -> Vec<u8> {
            let len = rng.next(12);
            (0..len)
                .map(|_| alphabet[rng.next(alphabet.len())])
                .collect()
        };
        for _ in 0..20000 {
            let (a, b) = (gen(&mut rng), gen(&mut rng));
            let want = a.split(|&c| c == b'/').cmp(b.split(|&c| c == b'/'));
            assert_eq!(component_order(&a, &b), want, "{a:?} {b:?}");
        }
    }

    #[test]
    fn tree_order_equals_sorting_by_component_order() {
        let mut rng = Rng(0x9e37_79b9);
        let alphabet = b"a/.-b";
        for round in 0..300 {
            let mut m = DirstateMap::new_empty();
            let n = 1 + rng.next(40);
            // Paths as Mercurial has them (but with empty components and
            // trailing slashes, which the tree must order right too), and in
            // one round of ten also "" and leading slashes (the fallback).
            let odd_round = round % 10 == 0;
            for _ in 0..n {
                let len = rng.next(9) + usize::from(!odd_round);
                let mut p: Vec<u8> = (0..len)
                    .map(|_| alphabet[rng.next(alphabet.len())])
                    .collect();
                if !odd_round && p[0] == b'/' {
                    p[0] = b'b';
                }
                m.set_tracked(&p).unwrap();
            }
            if round % 3 == 0 {
                let c = CachedDirectory {
                    mtime: TruncatedTimestamp::from_raw(1, 2, false),
                    all_unknown_recorded: true,
                    all_ignored_recorded: false,
                };
                m.set_cached_directory(b"b/a", Some(c));
                m.set_cached_directory(b"a.", Some(c));
            }
            let got: Vec<_> = nodes_in_component_order(&m)
                .into_iter()
                .map(|(p, e)| (p.to_vec(), e.copied()))
                .collect();
            let want: Vec<_> = nodes_by_sorting(&m)
                .into_iter()
                .map(|(p, e)| (p.to_vec(), e.copied()))
                .collect();
            assert_eq!(got, want, "round {round}");
        }
    }

    /// Everything observable about a map, order-independent.
    type Snapshot = (
        Vec<(Vec<u8>, DirstateEntry)>,
        Vec<(Vec<u8>, Vec<u8>)>,
        Vec<(Vec<u8>, CachedDirectory)>,
    );

    fn snapshot(m: &DirstateMap) -> Snapshot {
        let mut e: Vec<_> = m.iter().map(|(p, e)| (p.to_vec(), *e)).collect();
        e.sort_by(|a, b| a.0.cmp(&b.0));
        let mut c: Vec<_> = m
            .copy_map_iter()
            .filter(|(k, _)| m.contains_key(k))
            .map(|(a, b)| (a.to_vec(), b.to_vec()))
            .collect();
        c.sort();
        let mut d: Vec<_> = m
            .parsed()
            .dir_cache
            .iter()
            .map(|(k, v)| (k.to_vec(), *v))
            .collect();
        d.sort_by(|a, b| a.0.cmp(&b.0));
        (e, c, d)
    }

    /// Bytes reachable from the root: nodes, paths, copy sources.
    fn reachable(data: &[u8], meta: &[u8]) -> usize {
        let meta = TreeMetadata::parse(meta).unwrap();
        let mut n = 0;
        walk(
            data,
            crate::dirstate::v2::tree::Root::of(&meta),
            |node, _| {
                n += NODE_SIZE + node.path_len as usize;
                if node.copy_start != 0 {
                    n += node.copy_len as usize;
                }
                Ok(())
            },
        )
        .unwrap();
        n
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    const PATHS: [&[u8]; 10] = [
        b"a", b"b/c", b"b/d", b"b/e/f", b"b/e/g", b"h/i/j/k", b"h/l", b"m", b"b.x", b"n/o",
    ];

    fn mutate(m: &mut DirstateMap, rng: &mut Rng) {
        let p = PATHS[rng.next(PATHS.len())];
        let t = TruncatedTimestamp::new(rng.next(3) as i64, 0, false).unwrap();
        match rng.next(8) {
            0 => drop(m.set_tracked(p).unwrap()),
            1 => drop(m.set_untracked(p).unwrap()),
            2 => drop(m.set_clean(p, 0o100644, 3, t)),
            3 => m
                .reset_state(
                    p,
                    rng.next(2) == 0,
                    rng.next(2) == 0,
                    rng.next(2) == 0,
                    true,
                    Some((0o100755, 1, Some(t))),
                )
                .unwrap(),
            // Copies of paths without an entry are not persisted (as in
            // Python), so only record copies the way Mercurial does.
            4 if m.contains_key(p) => drop(m.copy_map_insert(p, b"src").unwrap()),
            4 => {}
            5 => drop(m.copy_map_remove(p).unwrap()),
            6 => {
                let dir = [&b"b"[..], b"b/e", b"h/i", b"q/r"][rng.next(4)];
                let c = CachedDirectory {
                    mtime: t,
                    all_unknown_recorded: rng.next(2) == 0,
                    all_ignored_recorded: false,
                };
                m.set_cached_directory(dir, if rng.next(3) == 0 { None } else { Some(c) });
            }
            _ => drop(m.set_possibly_dirty(p)),
        }
    }

    #[test]
    fn chained_appends_reuse_blocks_and_count_unreachable_bytes_exactly() {
        for seed in 1..60u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut m = DirstateMap::new_empty();
            for _ in 0..30 {
                mutate(&mut m, &mut rng);
            }
            let (mut file, mut meta, appended) = m.pack_v2(WRITE_MODE_AUTO).unwrap();
            assert!(!appended, "nothing to append to");
            for round in 0..6 {
                let size = file.len();
                let mut loaded =
                    DirstateMap::new_v2(OnDiskBytes::Owned(file.clone()), size, &meta, b"id")
                        .unwrap();
                assert_eq!(snapshot(&loaded), snapshot(&m), "seed {seed} round {round}");
                for _ in 0..rng.next(4) {
                    let mut r2 = Rng(rng.0);
                    mutate(&mut m, &mut r2);
                    mutate(&mut loaded, &mut rng);
                }
                let mode = [WRITE_MODE_FORCE_APPEND, WRITE_MODE_AUTO][rng.next(2)];
                let (bytes, new_meta, appended) = loaded.pack_v2(mode).unwrap();
                if appended {
                    file.extend_from_slice(&bytes);
                } else {
                    file = bytes;
                }
                meta = new_meta;
                let unreachable = TreeMetadata::parse(&meta).unwrap().unreachable_bytes as usize;
                assert_eq!(
                    unreachable,
                    file.len() - reachable(&file, &meta),
                    "seed {seed} round {round}"
                );
                if mode == WRITE_MODE_AUTO && appended {
                    assert!((unreachable as f64) / (size as f64) < 0.5);
                }
                if !appended {
                    assert_eq!(unreachable, 0);
                }
            }
        }
    }

    /// Everything a map read in place answers without building its tables,
    /// against the same map with its tables built.
    #[test]
    fn answers_in_place_equal_answers_from_tables() {
        let probes: Vec<&[u8]> = PATHS
            .iter()
            .copied()
            .chain([
                &b""[..],
                b"b",
                b"b/e",
                b"h",
                b"h/i",
                b"h/i/j",
                b"n",
                b"q",
                b"q/r",
                b"x",
                b"b/e/f/zz",
                b"b/",
                b"/b",
                b"b//c",
                b"src",
            ])
            .collect();
        let mut in_place_rounds = 0;
        for seed in 1..160u64 {
            let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
            let mut m = DirstateMap::new_empty();
            for _ in 0..40 {
                mutate(&mut m, &mut rng);
            }
            // Names that are prefixes of their siblings' names, with bytes
            // below and above `/`: the byte order of paths is not the
            // order of the tree's siblings.
            let alphabet = b"a.-b0";
            for _ in 0..rng.next(30) {
                let mut p: Vec<u8> = Vec::new();
                for c in 0..1 + rng.next(3) {
                    if c > 0 {
                        p.push(b'/');
                    }
                    for _ in 0..1 + rng.next(3) {
                        p.push(alphabet[rng.next(alphabet.len())]);
                    }
                }
                // One path in forty with an empty component.
                if rng.next(40) == 0 {
                    p.extend_from_slice(b"//x");
                }
                m.set_tracked(&p).unwrap();
            }
            let (file, meta, _) = m.pack_v2(WRITE_MODE_FORCE_NEW).unwrap();
            let load = || {
                let size = file.len();
                DirstateMap::new_v2(OnDiskBytes::Owned(file.clone()), size, &meta, b"id").unwrap()
            };
            let (lazy, tables) = (load(), load());
            tables.iter().count();
            assert!(tables.tables_built());
            for &p in &probes {
                assert_eq!(
                    lazy.get_key_value(p),
                    tables.get_key_value(p),
                    "seed {seed} {p:?}"
                );
                assert_eq!(lazy.contains_key(p), tables.contains_key(p));
                assert_eq!(
                    lazy.copy_map_get(p),
                    tables.copy_map_get(p),
                    "seed {seed} {p:?}"
                );
                assert_eq!(
                    lazy.cached_directory(p),
                    tables.cached_directory(p),
                    "{p:?}"
                );
            }
            assert_eq!(lazy.len(), tables.len());
            assert_eq!(lazy.copy_map_len(), tables.copy_map_len());
            let copies = |m: &DirstateMap| -> Vec<(Vec<u8>, Vec<u8>)> {
                m.copy_map_iter()
                    .map(|(a, b)| (a.to_vec(), b.to_vec()))
                    .collect()
            };
            // Dict order too: Mercurial prints copies in it.
            assert_eq!(copies(&lazy), copies(&tables), "seed {seed}");
            let sorted = |m: &DirstateMap| -> Vec<(Vec<u8>, DirstateEntry)> {
                m.sorted_entries()
                    .iter()
                    .map(|(p, e)| (p.to_vec(), e))
                    .collect()
            };
            assert_eq!(sorted(&lazy), sorted(&tables), "seed {seed}");
            let unsettled = lazy.unsettled_paths();
            assert_eq!(unsettled, tables.unsettled_paths(), "seed {seed}");
            // The second answer comes from the kept ranges.
            assert_eq!(lazy.unsettled_paths(), unsettled, "seed {seed}");
            let in_place = !lazy.tables_built();
            // Empty path components (`a//b`, `a/`) make a tree that is
            // parsed at load; every other tree is read in place.
            let odd = lazy
                .iter()
                .any(|(p, _)| p.windows(2).any(|w| w == b"//") || p.ends_with(b"/"));
            assert!(in_place || odd, "seed {seed}: a question built the tables");
            in_place_rounds += usize::from(in_place);
            // The first mutation builds them, and then answers as before.
            let mut lazy = lazy;
            lazy.set_possibly_dirty(b"nowhere").unwrap_err();
            assert!(lazy.tables_built());
            assert_eq!(snapshot(&lazy), snapshot(&tables));
        }
        assert!(
            in_place_rounds > 60,
            "{in_place_rounds} rounds read in place"
        );
    }

    /// A tree whose siblings are out of order cannot be searched in place:
    /// it is parsed at once, and a map keyed by full paths still finds all.
    #[test]
    fn unsorted_siblings_are_parsed_eagerly() {
        let mut m = DirstateMap::new_empty();
        m.set_tracked(b"a").unwrap();
        m.set_tracked(b"b").unwrap();
        let (mut file, meta, _) = m.pack_v2(WRITE_MODE_FORCE_NEW).unwrap();
        let root = TreeMetadata::parse(&meta).unwrap();
        assert_eq!(root.root_count, 2);
        let at = root.root_start as usize;
        let (first, second) = file[at..at + 2 * NODE_SIZE].split_at_mut(NODE_SIZE);
        first.swap_with_slice(second);
        let size = file.len();
        let loaded = DirstateMap::new_v2(OnDiskBytes::Owned(file), size, &meta, b"id").unwrap();
        assert!(loaded.tables_built());
        assert!(loaded.contains_key(b"a") && loaded.contains_key(b"b"));
        assert_eq!(loaded.len(), 2);
    }

    #[test]
    fn unchanged_map_appends_nothing() {
        let mut m = DirstateMap::new_empty();
        m.set_tracked(b"a/b").unwrap();
        let (file, meta, _) = m.pack_v2(WRITE_MODE_FORCE_NEW).unwrap();
        let size = file.len();
        let loaded = DirstateMap::new_v2(OnDiskBytes::Owned(file), size, &meta, b"x").unwrap();
        let (bytes, meta2, appended) = loaded.pack_v2(WRITE_MODE_AUTO).unwrap();
        assert!(appended);
        assert!(bytes.is_empty());
        assert_eq!(meta2, meta);
    }
}
