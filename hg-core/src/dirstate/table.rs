//! Insertion-ordered hash table of paths to entries, with all path bytes in
//! one arena.
//!
//! Mercurial's Python maps are `dict`s: iteration (and therefore the byte
//! order of a packed dirstate-v1) follows insertion order, an overwrite keeps
//! the original position, and a re-insertion after removal goes to the end.
//! This table reproduces that with no allocation per entry: records live in a
//! `Vec` in insertion order (removed ones become tombstones until the next
//! compaction), paths are slices of a shared byte arena, and an open-addressing
//! index of `u32` record numbers finds a path by hash.

use super::entry::DirstateEntry;
use super::error::DirstateError;
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
    arena: Vec<u8>,
    records: Vec<Record>,
    /// Slots hold `record index + 1`, or EMPTY / TOMBSTONE.
    index: Vec<u32>,
    live: usize,
    /// Slots that are not EMPTY (live or tombstone); bounds probe lengths.
    used_slots: usize,
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

    pub(crate) fn len(&self) -> usize {
        self.live
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
        let start = u32::try_from(self.arena.len())
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
        &self.arena[r.start as usize..(r.start + r.len) as usize]
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
        if (self.used_slots + 1) * 2 > self.index.len() {
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
        let mut arena = Vec::with_capacity(self.arena.len());
        let mut records = Vec::with_capacity(self.live.max(want));
        for r in &self.records {
            if r.entry.is_some() {
                let start = arena.len() as u32;
                arena.extend_from_slice(self.path_of(r));
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
            arena: &self.arena,
            records: self.records.iter(),
            left: self.live,
        }
    }

    /// Mutable access to every live entry, in insertion order.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&[u8], &mut DirstateEntry)) {
        let arena = &self.arena;
        for r in &mut self.records {
            if let Some(e) = r.entry.as_mut() {
                f(&arena[r.start as usize..(r.start + r.len) as usize], e);
            }
        }
    }
}

fn slots_for(n: usize) -> usize {
    (n.saturating_mul(2) + 2).next_power_of_two().max(16)
}

/// Iterator over live entries of an [`EntryTable`], in insertion order.
#[derive(Clone)]
pub struct TableIter<'a> {
    arena: &'a [u8],
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
                return Some((&self.arena[r.start as usize..(r.start + r.len) as usize], e));
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
}
