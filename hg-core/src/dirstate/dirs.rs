//! Counting multiset of the directories that contain dirstate files.

use super::error::DirstateError;
use super::pathhash::PathHashMap;

/// How many files live under each directory (at any depth). Backs
/// `pathutil.dirs`, `hastrackeddir` and `hasdir`: a directory is "in" the
/// dirstate while its count is positive. Like C's `dirs` (and `finddirs`),
/// the root "" counts as the ancestor of every path.
#[derive(Debug, Default, Clone)]
pub struct DirsMultiset {
    counts: PathHashMap<Box<[u8]>, u32>,
}

/// Rejects paths that C's `dirs` rejects: an empty component in the middle.
fn check_path(path: &[u8]) -> Result<(), DirstateError> {
    if path.windows(2).any(|w| w == b"//") {
        return Err(DirstateError::ConsecutiveSlashes);
    }
    Ok(())
}

/// Proper ancestor directories of `path`, deepest first ("a/b/c" -> "a/b", "a").
pub(crate) fn ancestors(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut end = path.len();
    std::iter::from_fn(move || {
        let slash = path[..end].iter().rposition(|&b| b == b'/')?;
        end = slash;
        Some(&path[..slash])
    })
}

impl DirsMultiset {
    /// Counts the directories of every path.
    pub fn from_paths<'a>(paths: impl Iterator<Item = &'a [u8]>) -> Result<Self, DirstateError> {
        let mut me = Self::default();
        for p in paths {
            me.add_path(p)?;
        }
        Ok(me)
    }

    /// Counts one more file under each ancestor directory of `path`. Like C,
    /// it stops incrementing at the first ancestor that was already present
    /// only after bumping it, so cost is proportional to new directories.
    pub fn add_path(&mut self, path: &[u8]) -> Result<(), DirstateError> {
        check_path(path)?;
        for dir in ancestors(path).chain(std::iter::once(&b""[..])) {
            if let Some(c) = self.counts.get_mut(dir) {
                *c += 1;
                // C's dirs counts each directory once per *direct* child
                // occurrence and stops at the first known ancestor; the
                // membership answers are the same as counting everything.
                return Ok(());
            }
            self.counts.insert(dir.into(), 1);
        }
        Ok(())
    }

    /// Forgets one file under each ancestor directory of `path`.
    pub fn delete_path(&mut self, path: &[u8]) -> Result<(), DirstateError> {
        check_path(path)?;
        for dir in ancestors(path).chain(std::iter::once(&b""[..])) {
            match self.counts.get_mut(dir) {
                None => return Err(DirstateError::DirNotFound),
                Some(c) if *c > 1 => {
                    *c -= 1;
                    return Ok(());
                }
                Some(_) => {
                    self.counts.remove(dir);
                }
            }
        }
        Ok(())
    }

    /// Whether some counted file lives under `dir`.
    pub fn contains(&self, dir: &[u8]) -> bool {
        self.counts.contains_key(dir)
    }

    /// The directories, in no particular order.
    pub fn iter(&self) -> DirsIter<'_> {
        DirsIter(self.counts.keys())
    }

    /// Number of distinct directories.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no directory is counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Iterator over a [`DirsMultiset`]'s directories.
pub struct DirsIter<'a>(std::collections::hash_map::Keys<'a, Box<[u8]>, u32>);

impl<'a> Iterator for DirsIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.next().map(|k| &**k)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_forgets() {
        let mut d =
            DirsMultiset::from_paths([&b"a/b/c"[..], b"a/b/d", b"a/e", b"f"].into_iter()).unwrap();
        assert!(d.contains(b"a") && d.contains(b"a/b") && d.contains(b""));
        assert!(!d.contains(b"f") && !d.contains(b"a/b/c"));
        assert_eq!(d.len(), 3);
        d.delete_path(b"a/b/c").unwrap();
        assert!(d.contains(b"a/b"));
        d.delete_path(b"a/b/d").unwrap();
        assert!(!d.contains(b"a/b") && d.contains(b"a"));
        d.delete_path(b"a/e").unwrap();
        assert!(d.contains(b""), "f is still there");
        d.delete_path(b"f").unwrap();
        assert!(d.is_empty());
        assert!(matches!(
            d.delete_path(b"x/y"),
            Err(DirstateError::DirNotFound)
        ));
        assert!(matches!(
            d.add_path(b"a//b"),
            Err(DirstateError::ConsecutiveSlashes)
        ));
    }

    #[test]
    fn ancestors_deepest_first() {
        let v: Vec<&[u8]> = ancestors(b"a/b/c").collect();
        assert_eq!(v, vec![&b"a/b"[..], b"a"]);
        assert_eq!(ancestors(b"abc").count(), 0);
    }
}
