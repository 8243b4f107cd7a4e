//! Which directories patterns can reach (`match._rootsdirsandparents` and
//! friends): the data behind `visitdir`/`visitchildrenset` pruning.
use std::collections::{HashMap, HashSet};

use super::{KindPat, PatternKind};

/// `match._patternrootsanddirs`: recursively included roots and
/// non-recursively included dirs, one per pattern.
pub(crate) fn roots_and_dirs(kindpats: &[KindPat]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut roots = Vec::new();
    let mut dirs = Vec::new();
    for kp in kindpats {
        let pat = &kp.pattern[..];
        match kp.kind {
            PatternKind::Glob | PatternKind::RootGlob => {
                let mut root: Vec<&[u8]> = Vec::new();
                for p in pat.split(|&b| b == b'/') {
                    if p.iter().any(|b| b"[{*?".contains(b)) {
                        break;
                    }
                    root.push(p);
                }
                roots.push(root.join(&b'/'));
            }
            PatternKind::RelPath | PatternKind::Path | PatternKind::FilePath => {
                roots.push(if pat == b"." {
                    Vec::new()
                } else {
                    pat.to_vec()
                });
            }
            PatternKind::RootFilesIn => {
                dirs.push(if pat == b"." {
                    Vec::new()
                } else {
                    pat.to_vec()
                });
            }
            _ => roots.push(Vec::new()),
        }
    }
    (roots, dirs)
}

/// `pathutil.finddirs`: every ancestor directory of `path`, ending with the
/// root `b""`.
pub(crate) fn find_dirs(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut end = Some(path.len());
    std::iter::from_fn(move || {
        let e = end?;
        match path[..e].iter().rposition(|&b| b == b'/') {
            Some(pos) => {
                end = Some(pos);
                Some(&path[..pos])
            }
            None => {
                end = None;
                Some(&path[..0])
            }
        }
    })
}

/// `pathutil.dirs` as a set: all ancestors of all paths (with `b""`).
pub(crate) fn dirs_of<'a>(paths: impl IntoIterator<Item = &'a Vec<u8>>) -> HashSet<Vec<u8>> {
    let mut out = HashSet::new();
    for p in paths {
        for d in find_dirs(p) {
            if !out.insert(d.to_vec()) {
                // All further ancestors are already there.
                break;
            }
        }
    }
    out
}

/// `match.path_or_parents_in_set`: `path` or one of its ancestors
/// (including the root) is in `set`.
pub(crate) fn path_or_parents_in_set(path: &[u8], set: &HashSet<Vec<u8>>) -> bool {
    if set.is_empty() {
        return false;
    }
    set.contains(path) || find_dirs(path).any(|d| set.contains(d))
}

/// `(dirname, basename)` pairs walking from `path` up to the root
/// (`_dirchildren._findsplitdirs`).
pub(crate) fn split_dirs(path: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut old = path.len();
    let mut end = path.len();
    while let Some(pos) = path[..end].iter().rposition(|&b| b == b'/') {
        out.push((&path[..pos], &path[pos + 1..old]));
        old = pos;
        end = pos;
    }
    out.push((&path[..0], &path[..old]));
    out
}

/// `_dirchildren`: for each directory in `only`, the names of its children
/// leading to any of `paths`.
pub(crate) fn dir_children<'a>(
    paths: impl IntoIterator<Item = &'a Vec<u8>>,
    only: &HashSet<Vec<u8>>,
) -> HashMap<Vec<u8>, HashSet<Vec<u8>>> {
    let mut out: HashMap<Vec<u8>, HashSet<Vec<u8>>> = HashMap::new();
    for p in paths {
        if p.is_empty() {
            continue;
        }
        for (d, b) in split_dirs(p) {
            if only.contains(d) {
                out.entry(d.to_vec()).or_default().insert(b.to_vec());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&[u8]]) -> HashSet<Vec<u8>> {
        items.iter().map(|s| s.to_vec()).collect()
    }

    #[test]
    fn rootsdirsandparents_doctests() {
        let kps = [
            KindPat::new(PatternKind::Glob, b"g/h/*", b""),
            KindPat::new(PatternKind::Glob, b"g/h", b""),
            KindPat::new(PatternKind::Glob, b"g*", b""),
        ];
        let (r, d) = roots_and_dirs(&kps);
        assert_eq!(r, vec![b"g/h".to_vec(), b"g/h".to_vec(), b"".to_vec()]);
        assert!(d.is_empty());
        assert_eq!(dirs_of(&r), set(&[b"", b"g"]));
    }

    #[test]
    fn finddirs_and_splits() {
        let v: Vec<&[u8]> = find_dirs(b"a/b/c").collect();
        assert_eq!(v, vec![&b"a/b"[..], b"a", b""]);
        let v: Vec<&[u8]> = find_dirs(b"").collect();
        assert_eq!(v, vec![&b""[..]]);
        assert_eq!(
            split_dirs(b"a/b/c"),
            vec![(&b"a/b"[..], &b"c"[..]), (b"a", b"b"), (b"", b"a")]
        );
        assert!(path_or_parents_in_set(b"a/b", &set(&[b"a"])));
        assert!(!path_or_parents_in_set(b"ab", &set(&[b"a"])));
        assert!(path_or_parents_in_set(b"x", &set(&[b""])));
    }
}
