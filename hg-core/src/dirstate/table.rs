//! Insertion-ordered hash table of paths to entries, with path bytes in the
//! buffer the table was parsed from or in one arena.
//!
//! Mercurial's Python maps are `dict`s: iteration (and therefore the byte
//! order of a packed dirstate-v1) follows insertion order, an overwrite keeps
//! the original position, and a re-insertion after removal goes to the end.
//! This table reproduces that with no allocation per entry: records live in a
//! `Vec` in insertion order (removed ones become tombstones until the next
//! compaction), paths are slices of a shared byte arena, and an open-addressing
//! index of `u32` record numbers finds a path by hash.
//!
//! A table parsed from a dirstate-v1 file keeps that file (the `bytes`
//! Python read, shared, not copied) as its base and reads the paths of the
//! parsed records there: at 260k files that is 10 MB of names not copied,
//! while Python's copy of the file is alive anyway during the parse, the
//! command's peak. Offsets below the base's length are in the base, the
//! others in the arena.

use std::sync::Arc;

use super::entry::DirstateEntry;
use super::error::DirstateError;
use super::on_disk::OnDiskBytes;
use super::pathhash::hash_bytes;

const EMPTY: u32 = 0;
const TOMBSTONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Record {
    start: u32,
    len: u32,
    hash: u32,
    /// `None` once removed (a tombstone in `records`).
    entry: Option<DirstateEntry>,
}

/// See the module documentation.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryTable {
    /// The buffer parsed records' paths are read from (see the module doc).
    base: Option<Arc<OnDiskBytes>>,
    /// Paths of records added after parsing, at offsets from the base's end.
    arena: Vec<u8>,
    records: Vec<Record>,
    /// Slots hold `record index + 1`, or EMPTY / TOMBSTONE.
    index: Vec<u32>,
    live: usize,
    /// Slots that are not EMPTY (live or tombstone); bounds probe lengths.
    used_slots: usize,
}

/// Both places paths live, borrowed (see the module doc).
#[derive(Clone, Copy)]
struct Names<'a> {
    base: &'a [u8],
    arena: &'a [u8],
}

impl<'a> Names<'a> {
    fn new(base: &'a Option<Arc<OnDiskBytes>>, arena: &'a [u8]) -> Self {
        Names {
            base: base.as_deref().map_or(&[][..], |b| &b[..]),
            arena,
        }
    }

    #[inline]
    fn of(&self, r: &Record) -> &'a [u8] {
        let (start, len) = (r.start as usize, r.len as usize);
        match start.checked_sub(self.base.len()) {
            None => &self.base[start..start + len],
            Some(at) => &self.arena[at..at + len],
        }
    }
}

enum Probe {
    Found(usize),
    /// Not present; the slot where it should be inserted.
    Vacant(usize),
}

impl EntryTable {
    /// An empty table sized for about `n` entries with `arena` path bytes.
    pub(crate) fn with_capacity(n: usize, arena: usize) -> Self {
        let mut t = Self {
            arena: Vec::with_capacity(arena),
            records: Vec::with_capacity(n),
            ..Self::default()
        };
        t.index = vec![EMPTY; slots_for(n)];
        t
    }

    /// An empty table for the `n` records of `base` that
    /// [`Self::append_in_base`] will add (offsets are `u32`: a base of
    /// 4 GiB or more is refused).
    pub(crate) fn with_base(base: Arc<OnDiskBytes>, n: usize) -> Result<Self, DirstateError> {
        if u32::try_from(base.len()).is_err() {
            return Err(DirstateError::TooLarge(
                "a dirstate of more than 4 GiB".into(),
            ));
        }
        let mut t = Self::with_capacity(n, 0);
        t.base = Some(base);
        Ok(t)
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The buffer the parsed records' paths are in, if any.
    pub(crate) fn base(&self) -> Option<&[u8]> {
        self.base.as_deref().map(|b| &b[..])
    }

    fn names(&self) -> Names<'_> {
        Names::new(&self.base, &self.arena)
    }

    /// Like [`Self::append_unindexed`] for a record whose path is
    /// `base[start..start + len]`: the path is not copied.
    pub(crate) fn append_in_base(
        &mut self,
        start: usize,
        len: usize,
        entry: DirstateEntry,
    ) -> Result<(), DirstateError> {
        let base = self.names().base;
        let (Some(path), Ok(start), Ok(len32), Ok(_)) = (
            base.get(start..start.saturating_add(len)),
            u32::try_from(start),
            u32::try_from(len),
            u32::try_from(self.records.len() + 1),
        ) else {
            return Err(DirstateError::TooLarge(
                "a path outside its buffer, or 4 GiB".into(),
            ));
        };
        let hash = hash_bytes(path);
        self.records.push(Record {
            start,
            len: len32,
            hash: hash as u32,
            entry: Some(entry),
        });
        Ok(())
    }

    /// Appends a record without indexing it: parsers append every record
    /// of a file this way and call [`Self::index_appended`] once at the end.
    /// Inserting one by one writes the index in hash order, a cache miss per
    /// record on a large table; indexing all records at once can visit the
    /// slots in order instead.
    pub(crate) fn append_unindexed(
        &mut self,
        path: &[u8],
        entry: DirstateEntry,
    ) -> Result<(), DirstateError> {
        self.push_record(path, entry, hash_bytes(path)).map(|_| ())
    }

    /// Appends a record (its path to the arena) and returns its number
    /// plus one, the value index slots hold.
    fn push_record(
        &mut self,
        path: &[u8],
        entry: DirstateEntry,
        hash: u64,
    ) -> Result<u32, DirstateError> {
        let start = u32::try_from(self.names().base.len() + self.arena.len())
            .ok()
            .filter(|s| s.checked_add(path.len() as u32).is_some());
        let (Some(start), Ok(len), Ok(n)) = (
            start,
            u32::try_from(path.len()),
            u32::try_from(self.records.len() + 1),
        ) else {
            return Err(DirstateError::TooLarge("more than 4 GiB of paths".into()));
        };
        self.arena.extend_from_slice(path);
        self.records.push(Record {
            start,
            len,
            hash: hash as u32,
            entry: Some(entry),
        });
        Ok(n)
    }

    /// Indexes the records appended by [`Self::append_unindexed`] (on a
    /// table that had none before), with `dict` semantics for a path given
    /// twice: the first record keeps its position and takes the later
    /// entry, the later record becomes a tombstone.
    pub(crate) fn index_appended(&mut self) {
        let n = self.records.len();
        if slots_for(n) > self.index.len() {
            self.index = vec![EMPTY; slots_for(n)];
        }
        let mask = self.index.len() - 1;
        // Records in the order of their home slots (a counting sort on the
        // slot's high bits, stable, so a repeated path's first record comes
        // first): the probes then walk the index from start to end.
        let bits = self.index.len().trailing_zeros();
        let bucket_bits = bits.min(16);
        let shift = bits - bucket_bits;
        let mut starts = vec![0u32; (1usize << bucket_bits) + 1];
        for r in &self.records {
            starts[((r.hash as usize & mask) >> shift) + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        // (hash, record): the loop below then reads no record but the ones
        // whose hash matches.
        let mut order = vec![(0u32, 0u32); n];
        for (i, r) in self.records.iter().enumerate() {
            let b = (r.hash as usize & mask) >> shift;
            order[starts[b] as usize] = (r.hash, i as u32);
            starts[b] += 1;
        }
        // The hash of each slot's record, beside the index, so that probing
        // past other records does not read them.
        let mut slot_hash = vec![0u32; self.index.len()];
        let mut live = 0;
        for (h, i) in order {
            let i = i as usize;
            let mut pos = h as usize & mask;
            loop {
                let slot = self.index[pos];
                if slot == EMPTY {
                    self.index[pos] = i as u32 + 1;
                    slot_hash[pos] = h;
                    live += 1;
                    break;
                }
                let j = slot as usize - 1;
                if slot_hash[pos] == h
                    && self.path_of(&self.records[j]) == self.path_of(&self.records[i])
                {
                    let later = self.records[i].entry.take();
                    self.records[j].entry = later;
                    break;
                }
                pos = (pos + 1) & mask;
            }
        }
        self.live = live;
        self.used_slots = live;
    }

    fn path_of(&self, r: &Record) -> &[u8] {
        self.names().of(r)
    }

    fn probe(&self, path: &[u8], hash: u64) -> Probe {
        let mask = self.index.len() - 1;
        let mut pos = (hash as usize) & mask;
        let mut first_tomb = None;
        let h32 = hash as u32;
        loop {
            match self.index[pos] {
                EMPTY => return Probe::Vacant(first_tomb.unwrap_or(pos)),
                TOMBSTONE => {
                    if first_tomb.is_none() {
                        first_tomb = Some(pos);
                    }
                }
                slot => {
                    let r = &self.records[slot as usize - 1];
                    if r.hash == h32 && self.path_of(r) == path {
                        return Probe::Found(pos);
                    }
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    fn find(&self, path: &[u8]) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        match self.probe(path, hash_bytes(path)) {
            Probe::Found(pos) => Some(self.index[pos] as usize - 1),
            Probe::Vacant(_) => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn get(&self, path: &[u8]) -> Option<&DirstateEntry> {
        self.find(path).and_then(|i| self.records[i].entry.as_ref())
    }

    /// The stored path (borrowed from the table, so results can outlive
    /// the caller's key) and its entry.
    pub(crate) fn get_key_value(&self, path: &[u8]) -> Option<(&[u8], &DirstateEntry)> {
        let r = &self.records[self.find(path)?];
        Some((self.path_of(r), r.entry.as_ref()?))
    }

    pub(crate) fn get_mut(&mut self, path: &[u8]) -> Option<&mut DirstateEntry> {
        self.find(path)
            .and_then(move |i| self.records[i].entry.as_mut())
    }

    /// Inserts or overwrites (keeping the original position); returns the
    /// previous entry.
    pub(crate) fn insert(
        &mut self,
        path: &[u8],
        entry: DirstateEntry,
    ) -> Result<Option<DirstateEntry>, DirstateError> {
        if (self.used_slots + 1) * 8 > self.index.len() * 5 {
            self.rebuild(self.live + 1);
        }
        let hash = hash_bytes(path);
        match self.probe(path, hash) {
            Probe::Found(pos) => {
                let r = &mut self.records[self.index[pos] as usize - 1];
                Ok(r.entry.replace(entry))
            }
            Probe::Vacant(pos) => {
                let n = self.push_record(path, entry, hash)?;
                if self.index[pos] == EMPTY {
                    self.used_slots += 1;
                }
                self.index[pos] = n;
                self.live += 1;
                Ok(None)
            }
        }
    }

    pub(crate) fn remove(&mut self, path: &[u8]) -> Option<DirstateEntry> {
        if self.index.is_empty() {
            return None;
        }
        let Probe::Found(pos) = self.probe(path, hash_bytes(path)) else {
            return None;
        };
        let i = self.index[pos] as usize - 1;
        self.index[pos] = TOMBSTONE;
        self.live -= 1;
        let old = self.records[i].entry.take();
        let dead = self.records.len() - self.live;
        if dead > 1024 && dead > self.live {
            self.rebuild(self.live);
        }
        old
    }

    /// Drops tombstones (records, arena bytes and index slots) and resizes the
    /// index for at least `want` entries, preserving insertion order.
    fn rebuild(&mut self, want: usize) {
        let names = self.names();
        let base_len = names.base.len() as u32;
        let mut arena = Vec::with_capacity(self.arena.len());
        let mut records = Vec::with_capacity(self.live.max(want));
        for r in &self.records {
            if r.entry.is_some() {
                // Paths in the base stay there; the arena is compacted.
                let start = if r.start < base_len {
                    r.start
                } else {
                    let at = base_len + arena.len() as u32;
                    arena.extend_from_slice(names.of(r));
                    at
                };
                records.push(Record { start, ..*r });
            }
        }
        self.arena = arena;
        self.records = records;
        self.index = vec![EMPTY; slots_for(want.max(self.live))];
        let mask = self.index.len() - 1;
        for (i, r) in self.records.iter().enumerate() {
            // The stored hash is the low 32 bits of the full hash, which is
            // all a table of at most 2**31 slots ever needs.
            let mut pos = (r.hash as usize) & mask;
            while self.index[pos] != EMPTY {
                pos = (pos + 1) & mask;
            }
            self.index[pos] = i as u32 + 1;
        }
        self.used_slots = self.records.len();
    }

    /// Live entries in insertion order.
    pub(crate) fn iter(&self) -> TableIter<'_> {
        TableIter {
            names: self.names(),
            records: self.records.iter(),
            left: self.live,
        }
    }

    /// The live records' numbers, for [`TableView`] (in insertion order).
    pub(crate) fn live_ids(&self) -> Vec<u32> {
        let mut ids = Vec::with_capacity(self.live);
        ids.extend(
            (0u32..)
                .zip(&self.records)
                .filter(|(_, r)| r.entry.is_some())
                .map(|(i, _)| i),
        );
        ids
    }

    /// Records by number, borrowed (see [`TableView`]).
    pub(crate) fn view(&self) -> TableView<'_> {
        TableView {
            names: self.names(),
            records: &self.records,
        }
    }

    /// Mutable access to every live entry, in insertion order.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&[u8], &mut DirstateEntry)) {
        let names = Names::new(&self.base, &self.arena);
        for r in &mut self.records {
            let path = names.of(r);
            if let Some(e) = r.entry.as_mut() {
                f(path, e);
            }
        }
    }
}

/// Index slots for `n` entries: a power of two, at most half full when
/// sized (a parsed dirstate), rebuilt when inserts fill five eighths
/// (linear probing: a miss then probes about four slots).
/// The index is the table's largest part after the records (4 bytes a
/// slot); twice as many slots would cost 4 MB more at 260k files, and
/// the status command's peak memory is this table plus its sorted view.
fn slots_for(n: usize) -> usize {
    n.saturating_add(n / 2)
        .saturating_add(2)
        .next_power_of_two()
        .max(16)
}

/// A table's records by number: lets the status walk hold a 4-byte record
/// number per entry instead of a path slice and an entry reference (28
/// bytes more per tracked file for the length of the walk).
#[derive(Clone, Copy)]
pub(crate) struct TableView<'a> {
    names: Names<'a>,
    records: &'a [Record],
}

impl<'a> TableView<'a> {
    /// The path of record `id` (empty for a number out of range).
    #[inline]
    pub(crate) fn path(self, id: u32) -> &'a [u8] {
        self.records
            .get(id as usize)
            .map_or(&[][..], |r| self.names.of(r))
    }

    /// The entry of record `id`, `None` if removed or out of range.
    #[inline]
    pub(crate) fn entry(self, id: u32) -> Option<DirstateEntry> {
        self.records.get(id as usize).and_then(|r| r.entry)
    }
}

/// Iterator over live entries of an [`EntryTable`], in insertion order.
#[derive(Clone)]
pub struct TableIter<'a> {
    names: Names<'a>,
    records: std::slice::Iter<'a, Record>,
    left: usize,
}

impl<'a> Iterator for TableIter<'a> {
    type Item = (&'a [u8], &'a DirstateEntry);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        for r in self.records.by_ref() {
            if let Some(e) = &r.entry {
                self.left -= 1;
                return Some((self.names.of(r), e));
            }
        }
        None
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for TableIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(n: u32) -> DirstateEntry {
        DirstateEntry::new(true, true, false, Some((0o644, n)), None, None, None)
    }

    #[test]
    fn bulk_loading_is_one_by_one_insertion() {
        // Paths given in a parser's order, with repeats: the index built at
        // the end must give what inserting them one by one gives.
        let paths: Vec<String> = (0..20_000u32)
            .map(|i| (i * 104_729) % 15_000)
            .map(|k| format!("dir{}/file{k}", k % 97))
            .collect();
        let mut one_by_one = EntryTable::default();
        let mut bulk = EntryTable::with_capacity(paths.len(), 0);
        for (i, p) in paths.iter().enumerate() {
            one_by_one.insert(p.as_bytes(), e(i as u32)).unwrap();
            bulk.append_unindexed(p.as_bytes(), e(i as u32)).unwrap();
        }
        bulk.index_appended();
        assert_eq!(bulk.len(), one_by_one.len());
        assert!(one_by_one.len() < paths.len(), "the input has repeats");
        let a: Vec<_> = one_by_one.iter().collect();
        let b: Vec<_> = bulk.iter().collect();
        assert_eq!(a, b);
        for p in &paths {
            assert_eq!(bulk.get(p.as_bytes()), one_by_one.get(p.as_bytes()));
        }
        // Still a normal table afterwards.
        bulk.insert(b"new", e(1)).unwrap();
        assert_eq!(
            bulk.remove(paths[0].as_bytes()),
            one_by_one.remove(paths[0].as_bytes())
        );
        assert_eq!(bulk.get(b"new"), Some(&e(1)));
    }

    #[test]
    fn keeps_dict_order_semantics() {
        let mut t = EntryTable::default();
        for i in 0..5000u32 {
            t.insert(format!("f{i}").as_bytes(), e(i)).unwrap();
        }
        assert_eq!(t.insert(b"f3", e(99)).unwrap(), Some(e(3)));
        for i in (0..5000u32).step_by(2) {
            assert_eq!(
                t.remove(format!("f{i}").as_bytes()),
                Some(e(if i == 3 { 99 } else { i }))
            );
        }
        assert_eq!(t.len(), 2500);
        t.insert(b"f0", e(7)).unwrap();
        let order: Vec<Vec<u8>> = t.iter().map(|(p, _)| p.to_vec()).collect();
        assert_eq!(order.len(), 2501);
        assert_eq!(order[0], b"f1");
        assert_eq!(order[1], b"f3");
        assert_eq!(order.last().unwrap(), b"f0");
        assert_eq!(t.get(b"f3"), Some(&e(99)));
        assert_eq!(t.get(b"f4"), None);
        assert_eq!(t.remove(b"nope"), None);
        for i in 0..5000u32 {
            t.remove(format!("f{i}").as_bytes());
        }
        assert_eq!(t.len(), 0);
        assert_eq!(t.iter().count(), 0);
    }

    #[test]
    fn paths_read_in_the_base_behave_like_copied_ones() {
        // A base buffer holding some paths (with bytes around them), a
        // table reading them there, and a table that copied them: growth
        // past the index (rebuild), removals past the compaction threshold
        // and overwrites must leave both with the same entries in the same
        // order, and paths in the base must stay in it.
        let names: Vec<String> = (0..3000u32).map(|i| format!("d{}/f{i}", i % 13)).collect();
        let mut base = Vec::new();
        let mut spans = Vec::new();
        for n in &names {
            base.extend_from_slice(b"<hdr>");
            spans.push((base.len(), n.len()));
            base.extend_from_slice(n.as_bytes());
        }
        let mut in_base =
            EntryTable::with_base(Arc::new(OnDiskBytes::Owned(base)), names.len()).unwrap();
        let mut copied = EntryTable::with_capacity(names.len(), 0);
        for (i, (&(start, len), n)) in spans.iter().zip(&names).enumerate() {
            in_base.append_in_base(start, len, e(i as u32)).unwrap();
            copied.append_unindexed(n.as_bytes(), e(i as u32)).unwrap();
        }
        in_base.index_appended();
        copied.index_appended();
        for i in 0..6000u32 {
            let p = format!("new/{i}");
            in_base.insert(p.as_bytes(), e(i)).unwrap();
            copied.insert(p.as_bytes(), e(i)).unwrap();
        }
        for (i, n) in names.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
            assert_eq!(
                in_base.remove(n.as_bytes()),
                copied.remove(n.as_bytes()),
                "{i}"
            );
        }
        for i in (0..6000u32).step_by(2) {
            let p = format!("new/{i}");
            assert_eq!(in_base.remove(p.as_bytes()), copied.remove(p.as_bytes()));
        }
        in_base.insert(names[0].as_bytes(), e(77)).unwrap();
        copied.insert(names[0].as_bytes(), e(77)).unwrap();
        let a: Vec<_> = in_base.iter().collect();
        let b: Vec<_> = copied.iter().collect();
        assert_eq!(a, b);
        for n in &names {
            assert_eq!(in_base.get(n.as_bytes()), copied.get(n.as_bytes()));
        }
        // The kept parsed paths were not copied into the arena: it holds
        // at most the inserted ones.
        let inserted: usize = (0..6000).map(|i| format!("new/{i}").len()).sum();
        assert!(in_base.arena.len() <= inserted, "{}", in_base.arena.len());
        assert!(in_base.append_in_base(usize::MAX - 1, 5, e(0)).is_err());
    }
}
