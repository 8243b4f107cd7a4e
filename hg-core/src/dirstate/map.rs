//! The dirstate in memory and its mutations, with the semantics of
//! `mercurial/dirstatemap.py`.

use std::borrow::Cow;

use super::copymap::CopyMap;
use super::dirs::{ancestors, DirsIter, DirsMultiset};
use super::entry::DirstateEntry;
use super::error::DirstateError;
use super::on_disk::OnDiskBytes;
use super::pathhash::PathHashMap;
use super::sorted::SortedEntries;
use super::table::{EntryTable, TableIter};
use super::timestamp::TruncatedTimestamp;
use super::v1;
use super::v2::read as v2_read;
use super::v2::tree::{self, Facts, Root};
use std::sync::OnceLock;

/// Parent changeset ids, 20 bytes each.
pub type Parents = ([u8; 20], [u8; 20]);

/// `(dest, source)` copies, as returned by `setparents_fixup`.
pub type CopyPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// `(state, mode, size, mtime)` as `hg debugdirstate` shows it.
pub type DebugTuple = (u8, i32, i32, i32);

/// What dirstate-v2 caches about a directory for the status walk: its mtime
/// when its listing was last recorded, and whether that listing recorded all
/// unknown / all ignored files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedDirectory {
    /// Directory mtime when recorded.
    pub mtime: TruncatedTimestamp,
    /// All unknown files under it were listed (ALL_UNKNOWN_RECORDED).
    pub all_unknown_recorded: bool,
    /// All ignored files under it were listed (ALL_IGNORED_RECORDED).
    pub all_ignored_recorded: bool,
}

/// A directory's child-node block in the data file the map was read from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OldBlock {
    pub(crate) start: u32,
    pub(crate) count: u32,
    pub(crate) descendants_with_entry: u32,
    pub(crate) tracked_descendants: u32,
}

/// Where a map loaded from dirstate-v2 came from, needed to append to it:
/// the bytes, the child blocks of every directory (root included, key ""),
/// and which directories had something change below them since loading
/// (their blocks cannot be reused by an append).
#[derive(Debug)]
pub(crate) struct V2Origin {
    pub(crate) data: OnDiskBytes,
    pub(crate) data_size: usize,
    pub(crate) unreachable_bytes: u32,
    pub(crate) uuid: Vec<u8>,
    pub(crate) dirty: PathHashMap<Box<[u8]>, ()>,
    /// Everything changed (after `clear`): no block is reusable.
    pub(crate) all_dirty: bool,
}

impl V2Origin {
    /// Records that the node at `path` changed: the child blocks of all its
    /// ancestors (root included) must be rewritten. Ancestors of a dirty
    /// directory are always dirty, so the walk stops at the first known one.
    pub(crate) fn mark(&mut self, path: &[u8]) {
        if self.all_dirty {
            return;
        }
        for d in ancestors(path).chain(std::iter::once(&b""[..])) {
            if self.dirty.contains_key(d) {
                return;
            }
            self.dirty.insert(d.into(), ());
        }
    }

    /// Whether `dir`'s old child block (from `old_blocks`) still describes
    /// its subtree.
    pub(crate) fn reusable(
        &self,
        old_blocks: &PathHashMap<Box<[u8]>, OldBlock>,
        dir: &[u8],
    ) -> Option<OldBlock> {
        if self.all_dirty || self.dirty.contains_key(dir) {
            return None;
        }
        old_blocks.get(dir).copied()
    }
}

/// The tables a map is made of: entries in dict order (see `table`), copy
/// sources, cached directories and, for a map read from dirstate-v2, the
/// child block of every directory it was read with.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) entries: EntryTable,
    pub(crate) copies: CopyMap,
    pub(crate) dir_cache: PathHashMap<Box<[u8]>, CachedDirectory>,
    pub(crate) old_blocks: PathHashMap<Box<[u8]>, OldBlock>,
}

/// How a dirstate-v2 tree was loaded: checked and to be read in place, or
/// parsed into tables (a tree not shaped for reading in place).
pub(crate) enum V2Load {
    InPlace(Facts),
    Parsed(Parsed),
}

/// Where a path is in a data file read in place: start and length.
type PathSpan = (u32, u16);

/// A dirstate-v2 tree the map answers from in place (see `v2::tree`).
#[derive(Clone, Copy, Debug)]
struct InPlace {
    root: Root,
    facts: Facts,
}

/// The dirstate in memory, with lazily built directory multisets and the
/// dirstate-v2 extras.
///
/// A map read from a well-shaped dirstate-v2 tree starts unparsed: lookups,
/// lengths, the status walk's entries and cached directories are read from
/// the tree in place, and the tables are built on the first question that
/// needs them (iteration, a write, any mutation). Until then no mutation
/// has happened, so the tree and the tables agree.
#[derive(Debug, Default)]
pub struct DirstateMap {
    parsed: OnceLock<Parsed>,
    in_place: Option<InPlace>,
    /// Why building the tables from a checked tree failed (never expected:
    /// `tree::check` tests what parsing needs); writes then refuse.
    poisoned: OnceLock<String>,
    /// Where the paths of the unsettled entries are in the tree read in
    /// place, once asked (see [`Self::unsettled_paths`]).
    unsettled: OnceLock<Option<Vec<PathSpan>>>,
    tracked_dirs: Option<DirsMultiset>,
    all_dirs: Option<DirsMultiset>,
    pub(crate) ignore_patterns_hash: [u8; 20],
    pub(crate) origin: Option<V2Origin>,
    /// Read from dirstate-v1: its `debug_iter(all)` has no directory nodes,
    /// as with Mercurial's C map (the v1 format has no directory records).
    from_v1: bool,
}

/// Unordered (insertion-ordered, in fact) iteration over entries.
pub type DirstateMapIter<'a> = TableIter<'a>;

/// Iteration over `(dest, source)` copies, in Python dict order.
pub struct CopyMapIter<'a>(std::vec::IntoIter<(&'a [u8], &'a [u8])>);

impl<'a> Iterator for CopyMapIter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DirstateMap {
    /// A map with no entries (no dirstate file, or after `clear`).
    pub fn new_empty() -> Self {
        Self::default()
    }

    /// Parses dirstate-v1 bytes, which the map keeps: its paths are read
    /// there, not copied (see `table`). Empty input is an empty map with
    /// null parents (Mercurial does not call the parser for an empty file).
    pub fn new_v1(data: impl Into<OnDiskBytes>) -> Result<(Self, Parents), DirstateError> {
        let data = data.into();
        let mut map = Self {
            from_v1: true,
            ..Self::default()
        };
        if data.is_empty() {
            return Ok((map, ([0; 20], [0; 20])));
        }
        let data = std::sync::Arc::new(data);
        let (records, _) = v1::count_records(&data);
        let mut parsed = Parsed {
            entries: EntryTable::with_base(data.clone(), records)?,
            ..Parsed::default()
        };
        let copies = &mut parsed.copies;
        let entries = &mut parsed.entries;
        let parents = v1::parse(&data, |r| {
            if let Some(c) = r.copy_source {
                copies.insert(r.path, c);
            }
            entries.append_in_base(r.path_start, r.path.len(), r.entry)
        })?;
        parsed.entries.index_appended();
        map.parsed = OnceLock::from(parsed);
        Ok((map, parents))
    }

    /// The dirstate-v1 bytes the map was parsed from, which its paths are
    /// read from (mutations since are not in them; `None` for a map not
    /// parsed from v1).
    pub fn v1_source(&self) -> Option<&[u8]> {
        self.parsed.get()?.entries.base()
    }

    /// Reads a dirstate-v2 tree. `data` is the whole data file (only its
    /// first `data_size` bytes count), `metadata` the docket's tree metadata.
    pub fn new_v2(
        data: OnDiskBytes,
        data_size: usize,
        metadata: &[u8],
        uuid: &[u8],
    ) -> Result<Self, DirstateError> {
        v2_read::read(data, data_size, metadata, uuid)
    }

    /// A map read from dirstate-v2, answering from the tree at `root` in
    /// place or from tables already parsed.
    pub(crate) fn from_v2(
        origin: V2Origin,
        ignore_patterns_hash: [u8; 20],
        root: Root,
        loaded: V2Load,
    ) -> Self {
        let mut map = Self {
            ignore_patterns_hash,
            origin: Some(origin),
            ..Self::default()
        };
        match loaded {
            V2Load::InPlace(facts) => map.in_place = Some(InPlace { root, facts }),
            V2Load::Parsed(p) => map.parsed = OnceLock::from(p),
        }
        map
    }

    /// The tables, built from the tree on first use.
    pub(crate) fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| self.parse_in_place())
    }

    /// The tables, for a mutation (built from the tree first if needed).
    fn parsed_mut(&mut self) -> &mut Parsed {
        self.parsed();
        match self.parsed.get_mut() {
            Some(p) => p,
            None => unreachable!("initialised just above"),
        }
    }

    fn parse_in_place(&self) -> Parsed {
        let (Some(ip), Some(o)) = (&self.in_place, &self.origin) else {
            return Parsed::default();
        };
        match v2_read::parse(&o.data[..o.data_size], ip.root, ip.facts.entries) {
            Ok(p) => p,
            Err(e) => {
                let _ = self.poisoned.set(e.to_string());
                Parsed::default()
            }
        }
    }

    /// The tree to answer from in place, while the tables are not built.
    fn tree(&self) -> Option<(&[u8], &InPlace)> {
        if self.parsed.get().is_some() {
            return None;
        }
        let ip = self.in_place.as_ref()?;
        let o = self.origin.as_ref()?;
        Some((&o.data[..o.data_size], ip))
    }

    /// The node of `path` in the tree read in place; `None` both when the
    /// tables are built and when there is no such node (check `tree()`).
    fn node(&self, path: &[u8]) -> Option<(&[u8], super::v2::read::RawNode)> {
        let (data, ip) = self.tree()?;
        tree::find(data, ip.root, path).map(|n| (data, n))
    }

    /// Whether the tables are built (false while a dirstate-v2 map answers
    /// from its tree in place), so tests and traces can tell.
    pub fn tables_built(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// Refuses to serialize a map whose tables could not be built.
    fn check_not_poisoned(&self) -> Result<(), DirstateError> {
        match self.poisoned.get() {
            Some(why) => Err(DirstateError::Corrupted(why.clone())),
            None => Ok(()),
        }
    }

    /// The used bytes of the dirstate-v2 data file this map was read from
    /// (`None` for other maps), to tell whether other input is the same.
    pub fn v2_data(&self) -> Option<&[u8]> {
        self.origin.as_ref().and_then(|o| o.data.get(..o.data_size))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match self.tree() {
            Some((_, ip)) => ip.facts.entries,
            None => self.parsed().entries.len(),
        }
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry of `path`, if any.
    pub fn get(&self, path: &[u8]) -> Option<DirstateEntry> {
        self.get_key_value(path).map(|(_, e)| e)
    }

    /// The entry of `path` with the map's own copy of the path, for results
    /// that borrow from the map rather than from the question.
    pub fn get_key_value(&self, path: &[u8]) -> Option<(&[u8], DirstateEntry)> {
        if self.tree().is_some() {
            let (data, node) = self.node(path)?;
            return tree::entry_of(&node).map(|e| (tree::path_of(data, &node), e));
        }
        self.parsed()
            .entries
            .get_key_value(path)
            .map(|(p, e)| (p, *e))
    }

    /// Whether `path` has an entry.
    pub fn contains_key(&self, path: &[u8]) -> bool {
        self.get_key_value(path).is_some()
    }

    /// All entries, in Python dict order, without allocating.
    pub fn iter(&self) -> DirstateMapIter<'_> {
        self.parsed().entries.iter()
    }

    /// The paths of the entries that are not [`DirstateEntry::settled`]:
    /// the ones a watchman status examines even when watchman names no
    /// change, in dict order. A map read in place cannot change, so its
    /// answer is kept: a chg server's preloaded map computes it once, in
    /// its loader thread, instead of in every command's worker.
    pub fn unsettled_paths(&self) -> Vec<&[u8]> {
        if let Some((data, ranges)) = self.unsettled_in_place() {
            return ranges
                .iter()
                .filter_map(|&(start, len)| data.get(start as usize..start as usize + len as usize))
                .collect();
        }
        self.iter()
            .filter(|(_, e)| !e.settled())
            .map(|(p, _)| p)
            .collect()
    }

    /// The tree read in place and where its unsettled entries' paths are
    /// (`None` with the tables built, or for a tree that fails to walk).
    fn unsettled_in_place(&self) -> Option<(&[u8], &[PathSpan])> {
        let (data, ip) = self.tree()?;
        let ranges = self.unsettled.get_or_init(|| {
            let mut out = Vec::new();
            let walked = v2_read::walk(data, ip.root, |node, _| {
                if tree::entry_of(node).is_some_and(|e| !e.settled()) {
                    out.push((node.path_start, node.path_len));
                }
                Ok(())
            });
            walked.ok().map(|()| out)
        });
        Some((data, ranges.as_deref()?))
    }

    /// Every entry with its path, sorted by path, still encoded in the tree
    /// read in place (`None` when the tables are built: see
    /// [`Self::sorted_entries`]).
    pub fn sorted_entries_in_place(&self) -> Option<SortedEntries<'_>> {
        let (data, ip) = self.tree()?;
        let ids = tree::entries_in_byte_order(data, ip.root, ip.facts.entries).ok()?;
        Some(SortedEntries::of_tree(data, ids))
    }

    /// Number of recorded copies.
    pub fn copy_map_len(&self) -> usize {
        match self.tree() {
            Some((_, ip)) => ip.facts.copies,
            None => self.parsed().copies.len(),
        }
    }

    /// Copy source of `path`.
    pub fn copy_map_get(&self, path: &[u8]) -> Option<&[u8]> {
        if self.tree().is_some() {
            let (data, node) = self.node(path)?;
            return tree::copy_source_of(data, &node);
        }
        self.parsed().copies.get(path)
    }

    /// Whether `path` has a copy source.
    pub fn copy_map_contains_key(&self, path: &[u8]) -> bool {
        self.copy_map_get(path).is_some()
    }

    /// `copymap[dest] = source`; returns the previous source.
    pub fn copy_map_insert(
        &mut self,
        dest: &[u8],
        source: &[u8],
    ) -> Result<Option<Vec<u8>>, DirstateError> {
        self.mark_changed(dest);
        Ok(self.parsed_mut().copies.insert(dest, source).map(Vec::from))
    }

    /// `copymap.pop(dest, None)`.
    pub fn copy_map_remove(&mut self, dest: &[u8]) -> Result<Option<Vec<u8>>, DirstateError> {
        if self.copy_map_contains_key(dest) {
            self.mark_changed(dest);
        }
        Ok(self.parsed_mut().copies.remove(dest).map(Vec::from))
    }

    /// All `(dest, source)` copies, in Python dict order (Mercurial prints
    /// copies in this order).
    pub fn copy_map_iter(&self) -> CopyMapIter<'_> {
        if let Some((data, ip)) = self.tree() {
            if ip.facts.copies == 0 {
                return CopyMapIter(Vec::new().into_iter());
            }
            let mut out = Vec::with_capacity(ip.facts.copies);
            let walked = v2_read::walk(data, ip.root, |node, _| {
                if let Some(source) = tree::copy_source_of(data, node) {
                    out.push((tree::path_of(data, node), source));
                }
                Ok(())
            });
            if walked.is_ok() {
                return CopyMapIter(out.into_iter());
            }
        }
        CopyMapIter(self.parsed().copies.ordered().into_iter())
    }

    /// Keeps the directory multisets (when built) in step with an entry
    /// change. Counting is exact: "tracked" dirs count entries tracked in the
    /// working copy (`state != 'r'`), "all" dirs count every entry. This is
    /// what freshly built `pathutil.dirs` would hold after the change.
    fn update_dirs(
        &mut self,
        path: &[u8],
        old: Option<&DirstateEntry>,
        new: Option<&DirstateEntry>,
    ) -> Result<(), DirstateError> {
        let old_t = old.is_some_and(|e| e.tracked());
        let new_t = new.is_some_and(|e| e.tracked());
        if let Some(d) = &mut self.tracked_dirs {
            if !old_t && new_t {
                d.add_path(path)?;
            } else if old_t && !new_t {
                d.delete_path(path)?;
            }
        }
        if let Some(d) = &mut self.all_dirs {
            if old.is_none() && new.is_some() {
                d.add_path(path)?;
            } else if old.is_some() && new.is_none() {
                d.delete_path(path)?;
            }
        }
        Ok(())
    }

    /// Replaces (or removes, with `None`) the entry of `path`, updating the
    /// directory multisets first so a bad path leaves the map unchanged.
    fn store(&mut self, path: &[u8], new: Option<DirstateEntry>) -> Result<(), DirstateError> {
        let old = self.get(path);
        let new = new.filter(|e| e.any_tracked());
        self.update_dirs(path, old.as_ref(), new.as_ref())?;
        if old != new {
            self.mark_changed(path);
        }
        if old.is_some() && new.is_none() {
            self.forget_ancestor_caches(path);
        }
        match new {
            Some(e) => {
                self.parsed_mut().entries.insert(path, e)?;
            }
            None => {
                self.parsed_mut().entries.remove(path);
            }
        }
        Ok(())
    }

    /// A cached directory mtime promises "every name in this directory on
    /// disk has a dirstate node or is ignored". Dropping an entry breaks that
    /// promise for its directory (the file may still be on disk, now unknown)
    /// and, when the directory's node disappears with it, for each ancestor.
    fn forget_ancestor_caches(&mut self, path: &[u8]) {
        if self.parsed().dir_cache.is_empty() {
            return;
        }
        let mut end = path.len();
        loop {
            end = path[..end].iter().rposition(|&b| b == b'/').unwrap_or(0);
            let dir = &path[..end];
            if self.parsed().dir_cache.contains_key(dir) {
                self.set_cached_directory(dir, None);
            }
            if end == 0 {
                break;
            }
        }
    }

    /// `dirstatemap.set_tracked`: true when the file was not tracked before.
    pub fn set_tracked(&mut self, path: &[u8]) -> Result<bool, DirstateError> {
        match self.get(path) {
            None => {
                self.store(
                    path,
                    Some(DirstateEntry::new(
                        true, false, false, None, None, None, None,
                    )),
                )?;
                Ok(true)
            }
            Some(mut e) if !e.tracked() => {
                e.set_tracked();
                self.store(path, Some(e))?;
                Ok(true)
            }
            Some(mut e) => {
                e.set_possibly_dirty();
                self.store(path, Some(e))?;
                Ok(false)
            }
        }
    }

    /// `dirstatemap.set_untracked`: false only when there was no entry (an
    /// already removed entry still answers true, as in Python).
    pub fn set_untracked(&mut self, path: &[u8]) -> Result<bool, DirstateError> {
        let Some(mut e) = self.get(path) else {
            return Ok(false);
        };
        let keep_copy = e.p2_info();
        e.set_untracked();
        self.store(path, Some(e))?;
        if !keep_copy {
            self.copy_map_remove(path)?;
        }
        Ok(true)
    }

    /// `dirstatemap.set_clean`: records the file clean (size masked to 31
    /// bits) and forgets its copy source. Missing entry: `NoSuchEntry`
    /// (Python's KeyError).
    pub fn set_clean(
        &mut self,
        path: &[u8],
        mode: u32,
        size: u32,
        mtime: TruncatedTimestamp,
    ) -> Result<(), DirstateError> {
        let Some(mut e) = self.get(path) else {
            return Err(DirstateError::NoSuchEntry(path.to_vec()));
        };
        e.set_clean(mode, size & 0x7FFF_FFFF, mtime);
        self.store(path, Some(e))?;
        self.copy_map_remove(path)?;
        Ok(())
    }

    /// [`DirstateMap::set_clean`] for many files at once (the fix-ups of a
    /// status that compared thousands of files), all or nothing: if one
    /// file has no entry or is not tracked, nothing changes and that file
    /// is the `NoSuchEntry` error, so the caller can take Mercurial's
    /// file-by-file path (`dirstate.set_clean` checks a file that is not
    /// tracked before recording it).
    pub fn set_clean_all(
        &mut self,
        files: &[(&[u8], u32, u32, TruncatedTimestamp)],
    ) -> Result<(), DirstateError> {
        if let Some((path, ..)) = files
            .iter()
            .find(|(path, ..)| !self.get(path).is_some_and(|e| e.tracked()))
        {
            return Err(DirstateError::NoSuchEntry(path.to_vec()));
        }
        // `set_clean` with one table lookup per file instead of six: the
        // entries stay tracked, so the directory counts and caches that
        // `store` maintains cannot change.
        let has_copies = !self.parsed().copies.is_empty();
        for &(path, mode, size, mtime) in files {
            let changed = match self.parsed_mut().entries.get_mut(path) {
                Some(e) => {
                    let before = *e;
                    e.set_clean(mode, size & 0x7FFF_FFFF, mtime);
                    *e != before
                }
                // Not reached (checked above); `set_clean` reports it.
                None => {
                    self.set_clean(path, mode, size, mtime)?;
                    continue;
                }
            };
            if changed {
                self.mark_changed(path);
            }
            if has_copies {
                self.copy_map_remove(path)?;
            }
        }
        Ok(())
    }

    /// `dirstatemap.set_possibly_dirty`. Missing entry: `NoSuchEntry`.
    pub fn set_possibly_dirty(&mut self, path: &[u8]) -> Result<(), DirstateError> {
        match self.parsed_mut().entries.get_mut(path) {
            Some(e) => {
                let before = *e;
                e.set_possibly_dirty();
                if *e != before {
                    self.mark_changed(path);
                }
                Ok(())
            }
            None => Err(DirstateError::NoSuchEntry(path.to_vec())),
        }
    }

    /// `dirstatemap.reset_state`: replaces the entry with a fresh one built
    /// from these flags (dropping fallback bits and the copy source), or
    /// removes it when tracked nowhere.
    pub fn reset_state(
        &mut self,
        path: &[u8],
        wc_tracked: bool,
        p1_tracked: bool,
        p2_info: bool,
        has_meaningful_mtime: bool,
        parent_file_data: Option<(u32, u32, Option<TruncatedTimestamp>)>,
    ) -> Result<(), DirstateError> {
        let new = (wc_tracked || p1_tracked || p2_info).then(|| {
            DirstateEntry::from_item_args(
                wc_tracked,
                p1_tracked,
                p2_info,
                true,
                has_meaningful_mtime,
                parent_file_data,
                None,
                None,
            )
        });
        self.store(path, new)?;
        self.copy_map_remove(path)?;
        Ok(())
    }

    /// `setparents(..., fold_p2=True)`: drops merge data of every entry that
    /// has it (and is tracked), returning the copies removed on the way.
    pub fn setparents_fixup(&mut self) -> Result<CopyPairs, DirstateError> {
        self.parsed_mut();
        let Some(parsed) = self.parsed.get_mut() else {
            return Ok(Vec::new());
        };
        let copies = &mut parsed.copies;
        let origin = &mut self.origin;
        let mut dropped = Vec::new();
        parsed.entries.for_each_mut(|path, e| {
            if e.p2_info() {
                if let Some(source) = copies.remove(path) {
                    if !source.is_empty() {
                        dropped.push((path.to_vec(), source.into_vec()));
                    }
                }
                e.drop_merge_data();
                if let Some(o) = origin.as_mut() {
                    o.mark(path);
                }
            }
        });
        Ok(dropped)
    }

    /// Forgets every entry, copy and cached directory (`dirstatemap.clear`).
    /// The v2 origin is kept: its bytes simply all become unreachable.
    pub fn clear(&mut self) {
        // Nothing of the old tables is needed: no reason to build them.
        self.parsed = OnceLock::from(Parsed::default());
        self.tracked_dirs = None;
        self.all_dirs = None;
        if let Some(o) = &mut self.origin {
            o.all_dirty = true;
        }
    }

    /// Notes a change of the node at `path` for append-mode writes.
    fn mark_changed(&mut self, path: &[u8]) {
        if let Some(o) = &mut self.origin {
            o.mark(path);
        }
    }

    /// dirstate-v1 bytes, identical to the C `pack_dirstate` for the same
    /// dict contents and order.
    pub fn pack_v1(&self, parents: &Parents) -> Result<Vec<u8>, DirstateError> {
        self.check_not_poisoned()?;
        let copies = &self.parsed().copies;
        let mut size = v1::PARENTS_SIZE;
        for (path, _) in self.iter() {
            size += v1::HEADER_SIZE + path.len();
        }
        for (dest, source) in copies.ordered() {
            if self.contains_key(dest) {
                size += source.len() + 1;
            }
        }
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&parents.0);
        out.extend_from_slice(&parents.1);
        let has_copies = !copies.is_empty();
        for (path, e) in self.iter() {
            let copy = if has_copies { copies.get(path) } else { None };
            v1::write_record(&mut out, path, copy, e)?;
        }
        Ok(out)
    }

    /// dirstate-v2 data. `write_mode`: 0 auto, 1 force-new, 2 force-append
    /// (`dirstatemap.WRITE_MODE_*`). Returns (bytes to write, tree metadata,
    /// whether the bytes are to be appended at the old `data_size`).
    pub fn pack_v2(&self, write_mode: u8) -> Result<(Vec<u8>, Vec<u8>, bool), DirstateError> {
        self.check_not_poisoned()?;
        super::v2::write::write(self, write_mode)
    }

    fn tracked_dirs_built(&mut self) -> Result<&mut DirsMultiset, DirstateError> {
        if self.tracked_dirs.is_none() {
            let d =
                DirsMultiset::from_paths(self.iter().filter(|(_, e)| e.tracked()).map(|(p, _)| p))?;
            self.tracked_dirs = Some(d);
        }
        Ok(self.tracked_dirs.get_or_insert_with(DirsMultiset::default))
    }

    fn all_dirs_built(&mut self) -> Result<&mut DirsMultiset, DirstateError> {
        if self.all_dirs.is_none() {
            let d = DirsMultiset::from_paths(self.iter().map(|(p, _)| p))?;
            self.all_dirs = Some(d);
        }
        Ok(self.all_dirs.get_or_insert_with(DirsMultiset::default))
    }

    /// Whether some file tracked in the working copy lives under `dir`.
    pub fn has_tracked_dir(&mut self, dir: &[u8]) -> Result<bool, DirstateError> {
        Ok(self.tracked_dirs_built()?.contains(dir))
    }

    /// Whether some entry (tracked or removed) lives under `dir`.
    pub fn has_dir(&mut self, dir: &[u8]) -> Result<bool, DirstateError> {
        Ok(self.all_dirs_built()?.contains(dir))
    }

    /// Directories containing tracked files (for `dirfoldmap`).
    pub fn tracked_dirs(&mut self) -> Result<DirsIter<'_>, DirstateError> {
        Ok(self.tracked_dirs_built()?.iter())
    }

    /// `debug_iter(all)`, sorted by path: entries with their v1 tuple, and with
    /// `all` also the tree's directory nodes (state `b' '`, mode 0, size -1,
    /// mtime the cached directory seconds or -1).
    pub fn debug_iter(&self, all: bool) -> std::vec::IntoIter<(Cow<'_, [u8]>, DebugTuple)> {
        let mut out: Vec<(Cow<'_, [u8]>, DebugTuple)> = self
            .iter()
            .map(|(p, e)| {
                (
                    Cow::Borrowed(p),
                    (e.state(), e.v1_mode(), e.v1_size(), e.v1_mtime()),
                )
            })
            .collect();
        if all && !self.from_v1 {
            for d in self.node_directories().into_keys() {
                if self.contains_key(d) {
                    continue;
                }
                let mtime = self
                    .parsed()
                    .dir_cache
                    .get(d)
                    .map_or(-1, |c| c.mtime.truncated_seconds() as i32);
                out.push((Cow::Borrowed(d), (b' ', 0, -1, mtime)));
            }
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out.into_iter()
    }

    /// The directories dirstate-v2 has a node for: every ancestor of an
    /// entry, and every cached directory with its ancestors (as stored;
    /// the root is not a node, callers drop a "" key).
    pub(crate) fn node_directories(&self) -> PathHashMap<&[u8], ()> {
        let mut dirs: PathHashMap<&[u8], ()> = PathHashMap::default();
        for (p, _) in self.iter() {
            for d in ancestors(p) {
                if dirs.insert(d, ()).is_some() {
                    break;
                }
            }
        }
        for d in self.parsed().dir_cache.keys() {
            dirs.insert(d, ());
            for a in ancestors(d) {
                dirs.insert(a, ());
            }
        }
        dirs
    }

    /// All entries sorted by path bytes: a directory's subtree is then the
    /// contiguous range of paths starting with "dir/" (the status walk relies
    /// on this).
    pub fn sorted_entries(&self) -> SortedEntries<'_> {
        if let Some(v) = self.sorted_entries_in_place() {
            return v;
        }
        let table = &self.parsed().entries;
        SortedEntries::of_table(table.view(), table.live_ids())
    }

    /// The v2 directory cache of `dir` (always `None` for a v1 map).
    pub fn cached_directory(&self, dir: &[u8]) -> Option<CachedDirectory> {
        if self.tree().is_some() {
            return self
                .node(dir)
                .and_then(|(_, n)| tree::cached_directory_of(&n));
        }
        self.parsed().dir_cache.get(dir).copied()
    }

    /// Every directory that has a cache, with it (all of them: this builds
    /// the tables of a map read in place).
    pub fn cached_directories(&self) -> impl Iterator<Item = (&[u8], &CachedDirectory)> {
        self.parsed().dir_cache.iter().map(|(k, v)| (&**k, v))
    }

    /// Records (or forgets) a directory's cache; written by `pack_v2` only.
    pub fn set_cached_directory(&mut self, dir: &[u8], c: Option<CachedDirectory>) {
        if self.cached_directory(dir) != c {
            self.mark_changed(dir);
        }
        let cache = &mut self.parsed_mut().dir_cache;
        match c {
            Some(c) => {
                cache.insert(dir.into(), c);
            }
            None => {
                cache.remove(dir);
            }
        }
    }

    /// SHA-1 of the ignore patterns the directory cache was computed with.
    pub fn ignore_patterns_hash(&self) -> [u8; 20] {
        self.ignore_patterns_hash
    }

    /// Records the ignore patterns hash to write in the tree metadata.
    pub fn set_ignore_patterns_hash(&mut self, h: [u8; 20]) {
        self.ignore_patterns_hash = h;
    }

    /// The bytes this map was read from (dirstate-v2, up to `data_size`).
    pub fn on_disk_data(&self) -> Option<&[u8]> {
        self.origin.as_ref().map(|o| &o.data[..o.data_size])
    }

    /// The data-file id this map was read from (dirstate-v2), if any.
    pub fn v2_uuid(&self) -> Option<&[u8]> {
        self.origin.as_ref().map(|o| &*o.uuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_can_live_in_a_python_object() {
        fn check<T: Send + Sync + 'static>() {}
        check::<DirstateMap>();
    }

    #[test]
    fn v2_keeps_directory_cache_and_ignore_hash() {
        let mut m = DirstateMap::new_empty();
        m.set_tracked(b"src/a.rs").unwrap();
        let mtime = TruncatedTimestamp::new(1_700_000_000, 12, true).unwrap();
        let c = CachedDirectory {
            mtime,
            all_unknown_recorded: true,
            all_ignored_recorded: false,
        };
        m.set_cached_directory(b"src", Some(c));
        m.set_cached_directory(b"empty/dir", Some(c));
        m.set_ignore_patterns_hash([7; 20]);
        let (data, meta, appended) = m.pack_v2(0).unwrap();
        assert!(!appended);
        let n = data.len();
        let back = DirstateMap::new_v2(OnDiskBytes::Owned(data), n, &meta, b"id").unwrap();
        assert_eq!(back.cached_directory(b"src"), Some(c));
        assert_eq!(back.cached_directory(b"empty/dir"), Some(c));
        assert_eq!(back.cached_directory(b"empty"), None);
        assert_eq!(back.ignore_patterns_hash(), [7; 20]);
        assert_eq!(back.v2_uuid(), Some(&b"id"[..]));
        let dirs: Vec<(Vec<u8>, DebugTuple)> = back
            .debug_iter(true)
            .filter(|(_, t)| t.0 == b' ')
            .map(|(p, t)| (p.into_owned(), t))
            .collect();
        let secs = 1_700_000_000 & 0x7FFF_FFFF;
        assert_eq!(
            dirs,
            vec![
                (b"empty".to_vec(), (b' ', 0, -1, -1)),
                (b"empty/dir".to_vec(), (b' ', 0, -1, secs)),
                (b"src".to_vec(), (b' ', 0, -1, secs)),
            ]
        );
    }

    #[test]
    fn set_clean_all_is_all_or_nothing() {
        let fresh = || {
            let mut m = DirstateMap::new_empty();
            m.set_tracked(b"a").unwrap();
            m.set_tracked(b"b").unwrap();
            m.set_tracked(b"gone").unwrap();
            m.set_untracked(b"gone").unwrap();
            m
        };
        let mut m = fresh();
        let t = TruncatedTimestamp::new(1_700_000_000, 5, false).unwrap();
        let before: Vec<_> = [&b"a"[..], b"b"].iter().map(|p| m.get(p)).collect();
        // An untracked or missing file: an error naming it, and no change.
        for bad in [&b"gone"[..], b"missing"] {
            let err = m
                .set_clean_all(&[(b"a", 0o644, 3, t), (bad, 0o644, 3, t), (b"b", 0o644, 3, t)])
                .unwrap_err();
            assert!(matches!(err, DirstateError::NoSuchEntry(p) if p == bad));
            let after: Vec<_> = [&b"a"[..], b"b"].iter().map(|p| m.get(p)).collect();
            assert_eq!(after, before);
        }
        // All tracked: the same entries as one `set_clean` each.
        let mut one_by_one = fresh();
        m.set_clean_all(&[(b"a", 0o644, 3, t), (b"b", 0o755, 1 << 31 | 9, t)])
            .unwrap();
        one_by_one.set_clean(b"a", 0o644, 3, t).unwrap();
        one_by_one.set_clean(b"b", 0o755, 1 << 31 | 9, t).unwrap();
        for p in [&b"a"[..], b"b"] {
            assert_eq!(m.get(p), one_by_one.get(p));
            assert!(m.get(p).unwrap().tracked());
        }
    }

    #[test]
    fn set_clean_all_writes_what_set_clean_writes() {
        // A v2 map read from disk, with a copy: the fast path must forget
        // the copy source and mark the same nodes changed (the append-mode
        // bytes show which ones: `f`'s block is rewritten only if `f/g` is
        // marked), and leave an unchanged entry unmarked.
        use super::super::v2::write::{WRITE_MODE_FORCE_APPEND, WRITE_MODE_FORCE_NEW};
        let t = TruncatedTimestamp::new(1_700_000_000, 5, false).unwrap();
        let mut m = DirstateMap::new_empty();
        for p in [&b"a"[..], b"d/b", b"d/c", b"e", b"f/g", b"f/h"] {
            m.set_tracked(p).unwrap();
        }
        m.set_clean(b"e", 0o644, 3, t).unwrap();
        m.copy_map_insert(b"d/b", b"a").unwrap();
        let (data, meta, _) = m.pack_v2(WRITE_MODE_FORCE_NEW).unwrap();
        let n = data.len();
        let read =
            || DirstateMap::new_v2(OnDiskBytes::Owned(data.clone()), n, &meta, b"id").unwrap();
        let fixups = [
            (&b"a"[..], 0o644, 3, t),
            (b"d/b", 0o755, 1 << 31 | 9, t),
            (b"e", 0o644, 3, t),
            (b"f/g", 0o644, 4, t),
        ];
        let mut bulk = read();
        bulk.set_clean_all(&fixups).unwrap();
        let mut one_by_one = read();
        for &(p, mode, size, mtime) in &fixups {
            one_by_one.set_clean(p, mode, size, mtime).unwrap();
        }
        assert_eq!(bulk.copy_map_get(b"d/b"), None);
        for mode in [WRITE_MODE_FORCE_APPEND, WRITE_MODE_FORCE_NEW] {
            assert_eq!(
                bulk.pack_v2(mode).unwrap(),
                one_by_one.pack_v2(mode).unwrap()
            );
        }
        let debug = |m: &DirstateMap| {
            m.debug_iter(true)
                .map(|(p, t)| (p.into_owned(), t))
                .collect::<Vec<_>>()
        };
        assert_eq!(debug(&bulk), debug(&one_by_one));
    }

    #[test]
    fn sorted_entries_keep_subtrees_contiguous() {
        let mut m = DirstateMap::new_empty();
        for p in [&b"a/b"[..], b"a.txt", b"a/c", b"b", b"a-"] {
            m.set_tracked(p).unwrap();
        }
        let order: Vec<&[u8]> = m.sorted_entries().iter().map(|(p, _)| p).collect();
        assert_eq!(order, vec![&b"a-"[..], b"a.txt", b"a/b", b"a/c", b"b"]);
    }
}

#[cfg(test)]
mod copy_append_tests {
    use super::*;

    /// A copy source dropped while the entry itself stays the same (commit of
    /// a renamed, possibly-dirty file) must not survive an append-mode write
    /// through the reused old node.
    #[test]
    fn dropped_copy_is_not_resurrected_by_append_write() {
        let mut map = DirstateMap::new_empty();
        map.reset_state(b"d/b", true, true, false, false, None)
            .unwrap();
        map.copy_map_insert(b"d/b", b"src").unwrap();
        map.set_tracked(b"src").unwrap();
        let (data, meta, _) = map.pack_v2(1).unwrap();
        let size = data.len();
        let mut map =
            DirstateMap::new_v2(OnDiskBytes::Owned(data.clone()), size, &meta, b"u").unwrap();
        let before = map.get(b"d/b");
        map.reset_state(b"d/b", true, true, false, false, None)
            .unwrap();
        assert_eq!(map.get(b"d/b"), before, "the entry itself is unchanged");
        let (tail, meta, append) = map.pack_v2(2).unwrap();
        assert!(append);
        let mut all = data;
        all.extend_from_slice(&tail);
        let size = all.len();
        let reread = DirstateMap::new_v2(OnDiskBytes::Owned(all), size, &meta, b"u").unwrap();
        assert_eq!(reread.copy_map_get(b"d/b"), None);
        assert_eq!(reread.get(b"d/b"), before);
    }
}
