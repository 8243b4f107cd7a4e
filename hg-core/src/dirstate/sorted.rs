//! The dirstate's entries in byte order of their paths, as the status walk
//! holds them: one 4-byte id per entry (a record number of the map's
//! table, or a node's offset in a dirstate-v2 data file read in place),
//! read through an [`EntryResolver`].
//!
//! In a list sorted by bytes, everything under `dir/` is one contiguous
//! range, which is what the walk needs. A list of path slices and entry
//! references was 32 bytes per tracked file for the whole command (8 MB
//! at 260k files, 32 MB at 1M, a quarter of the heap at its peak); the ids
//! are 4 bytes, and resolving one is an index into memory the map holds
//! anyway.

use super::entry::DirstateEntry;
use super::table::TableView;
use super::v2::tree;

/// Reads the path and entry behind an id of a [`SortedEntries`].
#[derive(Clone, Copy)]
pub struct EntryResolver<'m>(Source<'m>);

#[derive(Clone, Copy)]
enum Source<'m> {
    /// Ids are record numbers of the map's table.
    Table(TableView<'m>),
    /// Ids are offsets of entry nodes in this dirstate-v2 data.
    Tree(&'m [u8]),
}

impl<'m> EntryResolver<'m> {
    /// The path of `id` (empty for an id that is not one of this list's).
    #[inline]
    pub fn path(self, id: u32) -> &'m [u8] {
        match self.0 {
            Source::Table(t) => t.path(id),
            Source::Tree(data) => tree::path_at(data, id),
        }
    }

    /// The entry of `id` (`None` for an id that is not one of this list's).
    #[inline]
    pub fn entry(self, id: u32) -> Option<DirstateEntry> {
        match self.0 {
            Source::Table(t) => t.entry(id),
            Source::Tree(data) => tree::entry_at(data, id),
        }
    }
}

/// See the module documentation.
pub struct SortedEntries<'m> {
    /// The ids, sorted by path.
    pub ids: Vec<u32>,
    /// What the ids mean.
    pub resolver: EntryResolver<'m>,
}

impl<'m> SortedEntries<'m> {
    /// The ids of a table's live records, sorted by path on all cores
    /// (serial time before the parallel walk can start).
    pub(crate) fn of_table(view: TableView<'m>, mut ids: Vec<u32>) -> Self {
        use rayon::slice::ParallelSliceMut;
        ids.par_sort_unstable_by(|&a, &b| view.path(a).cmp(view.path(b)));
        SortedEntries {
            ids,
            resolver: EntryResolver(Source::Table(view)),
        }
    }

    /// Node offsets already in byte order of their paths.
    pub(crate) fn of_tree(data: &'m [u8], ids: Vec<u32>) -> Self {
        SortedEntries {
            ids,
            resolver: EntryResolver(Source::Tree(data)),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Paths and entries, in byte order of paths.
    pub fn iter(&self) -> impl Iterator<Item = (&'m [u8], DirstateEntry)> + '_ {
        let r = self.resolver;
        self.ids
            .iter()
            .filter_map(move |&id| Some((r.path(id), r.entry(id)?)))
    }
}

#[cfg(test)]
mod tests {
    use crate::dirstate::DirstateMap;

    /// Removed records (tombstones in the table) are not listed, ids of
    /// records added after removals resolve to their own paths, and an id
    /// from nowhere resolves to nothing instead of panicking.
    #[test]
    fn table_ids_skip_removed_records() {
        let mut m = DirstateMap::new_empty();
        for i in (0..50).rev() {
            m.set_tracked(format!("d{}/f{i}", i % 7).as_bytes())
                .unwrap();
        }
        for i in (0..50).step_by(3) {
            m.set_untracked(format!("d{}/f{i}", i % 7).as_bytes())
                .unwrap();
        }
        m.set_tracked(b"a/new").unwrap();
        let sorted = m.sorted_entries();
        let got: Vec<Vec<u8>> = sorted.iter().map(|(p, _)| p.to_vec()).collect();
        let mut want: Vec<Vec<u8>> = m.iter().map(|(p, _)| p.to_vec()).collect();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(sorted.len(), m.len());
        assert_eq!(sorted.resolver.path(u32::MAX), b"");
        assert!(sorted.resolver.entry(u32::MAX).is_none());
    }
}
