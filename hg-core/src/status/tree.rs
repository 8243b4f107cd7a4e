//! Views of the sorted dirstate as a tree: the children of one directory.
//!
//! In a list of paths sorted by bytes, everything under `dir/` is one
//! contiguous range, so a directory's subtree is a sub-slice of the ids of
//! [`crate::dirstate::SortedEntries`] and no tree has to be built (or
//! allocated) up front.

use crate::dirstate::EntryResolver;

/// One sorted dirstate entry: an id its [`EntryResolver`] reads.
pub type Item = u32;

/// A name directly under a directory, as the dirstate knows it: a file
/// entry, a subdirectory holding entries, or (rarely) both.
#[derive(Clone, Copy, Debug)]
pub struct Child<'s, 'a> {
    /// The path component.
    pub name: &'a [u8],
    /// The entry for `dir/name` itself.
    pub file: Option<Item>,
    /// Entries under `dir/name/`.
    pub sub: &'s [Item],
}

/// The dirstate children of the directory whose subtree is `slice`, every
/// path of which starts with `prefix_len` bytes of `dir/` (0 at the root).
/// Sorted by name, a file and a subdirectory of the same name merged.
pub fn children<'s, 'a>(
    at: EntryResolver<'a>,
    slice: &'s [Item],
    prefix_len: usize,
) -> Vec<Child<'s, 'a>> {
    let mut out: Vec<Child<'s, 'a>> = Vec::new();
    let mut i = 0;
    while i < slice.len() {
        let path = at.path(slice[i]);
        let rest = path.get(prefix_len..).unwrap_or(b"");
        match rest.iter().position(|&b| b == b'/') {
            None => {
                out.push(Child {
                    name: rest,
                    file: Some(slice[i]),
                    sub: &[],
                });
                i += 1;
            }
            Some(k) => {
                // Sorted: the paths under `head` are one run starting at
                // `i`, so its end is found by binary search, not a scan
                // (a scan would visit every entry once per ancestor).
                let head = &path[..prefix_len + k + 1];
                let len = slice[i..].partition_point(|&id| at.path(id).starts_with(head));
                out.push(Child {
                    name: &rest[..k],
                    file: None,
                    sub: &slice[i..i + len],
                });
                i += len;
            }
        }
    }
    out.sort_by(|a, b| {
        a.name
            .cmp(b.name)
            .then(a.file.is_none().cmp(&b.file.is_none()))
    });
    // merge a file and a subdirectory of the same name
    let mut merged: Vec<Child<'s, 'a>> = Vec::with_capacity(out.len());
    for c in out {
        match merged.last_mut() {
            Some(last) if last.name == c.name => {
                if last.file.is_none() {
                    last.file = c.file;
                }
                if last.sub.is_empty() {
                    last.sub = c.sub;
                }
            }
            _ => merged.push(c),
        }
    }
    merged
}

/// The sub-slice of entries under directory `dir` (`b""` = everything).
pub fn subtree<'s>(at: EntryResolver<'_>, all: &'s [Item], dir: &[u8]) -> &'s [Item] {
    if dir.is_empty() {
        return all;
    }
    let mut prefix = Vec::with_capacity(dir.len() + 1);
    prefix.extend_from_slice(dir);
    prefix.push(b'/');
    let start = all.partition_point(|&id| at.path(id) < prefix.as_slice());
    let len = all[start..].partition_point(|&id| at.path(id).starts_with(&prefix));
    &all[start..start + len]
}

/// Binary search for an exact path.
pub fn find(at: EntryResolver<'_>, all: &[Item], path: &[u8]) -> Option<Item> {
    all.binary_search_by(|&id| at.path(id).cmp(path))
        .ok()
        .map(|i| all[i])
}

/// Joins a directory and a name with `/` (no separator at the root).
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(dir.len() + 1 + name.len());
    if !dir.is_empty() {
        v.extend_from_slice(dir);
        v.push(b'/');
    }
    v.extend_from_slice(name);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_and_subtree() {
        let mut m = crate::dirstate::DirstateMap::new_empty();
        for p in [&b"a"[..], b"a.b", b"a/x", b"a/y/z", b"a0", b"b/c"] {
            m.set_tracked(p).unwrap();
        }
        let sorted = m.sorted_entries();
        let (at, items) = (sorted.resolver, &sorted.ids[..]);
        let ch = children(at, items, 0);
        let names: Vec<&[u8]> = ch.iter().map(|c| c.name).collect();
        assert_eq!(names, vec![&b"a"[..], b"a.b", b"a0", b"b"]);
        assert!(ch[0].file.is_some());
        assert_eq!(ch[0].sub.len(), 2);
        assert_eq!(ch[3].sub.len(), 1);
        let sub = subtree(at, items, b"a");
        assert_eq!(sub.len(), 2);
        let ch = children(at, sub, 2);
        let names: Vec<&[u8]> = ch.iter().map(|c| c.name).collect();
        assert_eq!(names, vec![&b"x"[..], b"y"]);
        assert!(find(at, items, b"a0").is_some());
        assert!(find(at, items, b"a1").is_none());
        assert_eq!(join(b"", b"x"), b"x");
        assert_eq!(join(b"d", b"x"), b"d/x");
    }
}
