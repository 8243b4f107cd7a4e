//! Copy sources (`dirstatemap.copymap`), in Python `dict` order.
//!
//! Mercurial prints copies in the dict's order (`hg debugdirstate`,
//! `dirstate.copies()`), so insertion order is part of the observable
//! behaviour: an overwrite keeps the position, a re-insertion after removal
//! goes to the end. Copies are few, so a hash map plus an insertion counter
//! (sorted on iteration) is enough.

use super::pathhash::PathHashMap;

/// Insertion number and copy source of a destination.
type Slot = (u64, Box<[u8]>);

#[derive(Clone, Debug, Default)]
pub(crate) struct CopyMap {
    map: PathHashMap<Box<[u8]>, Slot>,
    next: u64,
}

impl CopyMap {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn get(&self, dest: &[u8]) -> Option<&[u8]> {
        self.map.get(dest).map(|(_, s)| &**s)
    }

    /// `copymap[dest] = source`; returns the previous source.
    pub(crate) fn insert(&mut self, dest: &[u8], source: &[u8]) -> Option<Box<[u8]>> {
        if let Some((_, s)) = self.map.get_mut(dest) {
            return Some(std::mem::replace(s, source.into()));
        }
        self.map.insert(dest.into(), (self.next, source.into()));
        self.next += 1;
        None
    }

    pub(crate) fn remove(&mut self, dest: &[u8]) -> Option<Box<[u8]>> {
        self.map.remove(dest).map(|(_, s)| s)
    }

    /// Destinations, unordered.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.map.keys().map(|k| &**k)
    }

    /// `(dest, source)` in dict order.
    pub(crate) fn ordered(&self) -> Vec<(&[u8], &[u8])> {
        let mut v: Vec<(u64, &[u8], &[u8])> = self
            .map
            .iter()
            .map(|(k, (n, s))| (*n, &**k, &**s))
            .collect();
        v.sort_unstable_by_key(|x| x.0);
        v.into_iter().map(|(_, k, s)| (k, s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dict_order() {
        let mut c = CopyMap::default();
        c.insert(b"b", b"1");
        c.insert(b"a", b"2");
        c.insert(b"c", b"3");
        assert_eq!(c.insert(b"b", b"4").as_deref(), Some(&b"1"[..]));
        c.remove(b"a");
        c.insert(b"a", b"5");
        let keys: Vec<&[u8]> = c.ordered().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![&b"b"[..], b"c", b"a"]);
        assert_eq!(c.get(b"b"), Some(&b"4"[..]));
    }
}
