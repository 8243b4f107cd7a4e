//! The checks Mercurial's path auditor (`pathutil.pathauditor`, through
//! `wvfs.read`) makes before it reads a working file, so that a file it
//! would refuse to read is left to Mercurial (which then aborts) instead of
//! being read by us.
//!
//! Only regular files are audited: Mercurial reads a symlink's target
//! through `wvfs.readlink`, which does not audit.
//!
//! The per-directory checks (a symlink or a nested repository on the way)
//! are done once per directory for the whole call, in parallel, before the
//! files are decided.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rayon::prelude::*;

use crate::dirstate::pathhash::PathHashMap;

/// Why the auditor would refuse a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditRefusal {
    /// A component Mercurial never reads through: `..`, `.hg`, an empty
    /// first component, a trailing `/`, a Windows short name of `.hg`
    /// (`InputError`).
    IllegalComponent,
    /// A parent directory is a symlink ("traverses symbolic link").
    Symlink,
    /// A parent directory holds a `.hg` directory ("inside nested repo").
    NestedRepository,
    /// `lstat` of a parent failed other than with ENOENT, ENOTDIR or
    /// EINVAL: Mercurial raises that `OSError`.
    Io,
}

impl std::fmt::Display for AuditRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AuditRefusal::IllegalComponent => "illegal path component",
            AuditRefusal::Symlink => "traverses a symbolic link",
            AuditRefusal::NestedRepository => "inside a nested repository",
            AuditRefusal::Io => "a parent directory could not be stat'ed",
        })
    }
}

/// The state of one parent directory, as `_checkfs_exists` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// Exists (or is not a directory but does not fail the check): go on
    /// with the next component.
    Passes,
    /// Does not exist: the auditor stops here (the read then fails).
    Missing,
    /// Refused.
    Refused(AuditRefusal),
}

/// Parent-directory verdicts for every directory of a set of paths.
pub(crate) struct Auditor {
    prefixes: PathHashMap<Vec<u8>, Prefix>,
}

/// Every proper prefix of `path` that ends at a `/`, shortest first
/// (`pathutil.finddirs_rev_noroot`).
fn parent_dirs(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .map(move |(i, _)| &path[..i])
}

fn check_prefix(root: &Path, prefix: &[u8]) -> Prefix {
    let full = root.join(OsStr::from_bytes(prefix));
    match std::fs::symlink_metadata(&full) {
        Err(e) => match e.raw_os_error() {
            Some(libc::ENOENT) => Prefix::Missing,
            Some(libc::ENOTDIR) | Some(libc::EINVAL) => Prefix::Passes,
            _ => Prefix::Refused(AuditRefusal::Io),
        },
        Ok(meta) if meta.file_type().is_symlink() => Prefix::Refused(AuditRefusal::Symlink),
        Ok(meta) if meta.is_dir() && full.join(".hg").is_dir() => {
            Prefix::Refused(AuditRefusal::NestedRepository)
        }
        Ok(_) => Prefix::Passes,
    }
}

impl Auditor {
    /// Checks, in parallel, every parent directory of `paths`.
    pub(crate) fn new(root: &Path, paths: &[&[u8]]) -> Auditor {
        // A parent directory of a path shorter than what the path shares
        // with the previous one is the previous path's too: with sorted
        // paths, this leaves few duplicates to sort away.
        let mut dirs: Vec<&[u8]> = Vec::new();
        let mut previous: &[u8] = b"";
        for &p in paths {
            let common = p.iter().zip(previous).take_while(|(a, b)| a == b).count();
            dirs.extend(parent_dirs(p).filter(|d| d.len() >= common));
            previous = p;
        }
        dirs.sort_unstable();
        dirs.dedup();
        let prefixes = dirs
            .par_iter()
            .map(|d| (d.to_vec(), check_prefix(root, d)))
            .collect();
        Auditor { prefixes }
    }

    /// `Ok` if Mercurial's auditor lets `path` be read (or stops at a
    /// missing directory, so that the read itself fails).
    ///
    /// `passed_dir` is the directory part of the last path this thread
    /// found allowed (start with an empty one): a path in the same
    /// directory, as sorted paths mostly are, only has its name checked.
    pub(crate) fn check(&self, path: &[u8], passed_dir: &mut Vec<u8>) -> Result<(), AuditRefusal> {
        if path.ends_with(b"/") {
            return Err(AuditRefusal::IllegalComponent);
        }
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => (&path[..0], path),
        };
        if !component_allowed(name, dir.is_empty()) {
            return Err(AuditRefusal::IllegalComponent);
        }
        if dir == passed_dir.as_slice() {
            return Ok(());
        }
        if !dir.is_empty() && !each_component_allowed(dir) {
            return Err(AuditRefusal::IllegalComponent);
        }
        for dir in parent_dirs(path) {
            match self.prefixes.get(dir).copied().unwrap_or(Prefix::Passes) {
                Prefix::Passes => {}
                Prefix::Missing => break,
                Prefix::Refused(why) => return Err(why),
            }
        }
        passed_dir.clear();
        passed_dir.extend_from_slice(dir);
        Ok(())
    }
}

/// `encoding.hfsignoreclean`: code points HFS+ ignores in names, removed
/// in this order, each everywhere (as `bytes.replace` does).
const HFS_IGNORED: [&[u8]; 16] = [
    b"\xe2\x80\x8c",
    b"\xe2\x80\x8d",
    b"\xe2\x80\x8e",
    b"\xe2\x80\x8f",
    b"\xe2\x80\xaa",
    b"\xe2\x80\xab",
    b"\xe2\x80\xac",
    b"\xe2\x80\xad",
    b"\xe2\x80\xae",
    b"\xe2\x81\xaa",
    b"\xe2\x81\xab",
    b"\xe2\x81\xac",
    b"\xe2\x81\xad",
    b"\xe2\x81\xae",
    b"\xe2\x81\xaf",
    b"\xef\xbb\xbf",
];

fn replace_all(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..i]);
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// `pathauditor._lowerclean`: ASCII lowercase, then HFS-ignored code
/// points removed.
fn lower_clean(part: &[u8]) -> Vec<u8> {
    let mut s = part.to_ascii_lowercase();
    if s.contains(&0xe2) || s.contains(&0xef) {
        for c in HFS_IGNORED {
            s = replace_all(&s, c);
        }
    }
    s
}

/// The string checks of `pathauditor.__call__`, on a POSIX system.
#[cfg(test)]
fn components_allowed(path: &[u8]) -> bool {
    !path.ends_with(b"/") && each_component_allowed(path)
}

/// [`component_allowed`] for every `/`-separated component of `path`.
fn each_component_allowed(path: &[u8]) -> bool {
    path.split(|&b| b == b'/')
        .enumerate()
        .all(|(i, part)| component_allowed(part, i == 0))
}

/// The checks of `pathauditor.__call__` on one component of a path
/// (`first`: the first one).
fn component_allowed(part: &[u8], first: bool) -> bool {
    if part == b".." {
        return false;
    }
    let refused_name = if part.contains(&0xe2) || part.contains(&0xef) {
        let clean = lower_clean(part);
        clean == b".hg" || clean == b".hg." || (first && clean.is_empty())
    } else {
        // `lower_clean` without its copy: nothing to remove.
        part.eq_ignore_ascii_case(b".hg")
            || part.eq_ignore_ascii_case(b".hg.")
            || (first && part.is_empty())
    };
    if refused_name {
        return false;
    }
    if let Some(tilde) = part.iter().position(|&b| b == b'~') {
        let (first, last) = (&part[..tilde], &part[tilde + 1..]);
        let first = first.to_ascii_uppercase();
        if !last.is_empty()
            && last.iter().all(u8::is_ascii_digit)
            && (first == b"HG" || first == b"HG8B6C")
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_checks_like_pathauditor() {
        for ok in [
            &b"a"[..],
            b"a/b",
            b"a~1",
            b"hg~x",
            b".hgignore",
            b"d/.hgx",
            b"t~",
        ] {
            assert!(components_allowed(ok), "{ok:?}");
        }
        for bad in [
            &b"a/"[..],
            b"../a",
            b"a/../b",
            b".hg/x",
            b"a/.HG/x",
            b"a/.hg./x",
            b"/a",
            b"HG~1/x",
            b"a/hg8b6c~12",
            b"a/.h\xe2\x80\x8cg/x",
            b".\xef\xbb\xbfhg",
        ] {
            assert!(!components_allowed(bad), "{bad:?}");
        }
    }

    #[test]
    fn parents_shortest_first() {
        let dirs: Vec<&[u8]> = parent_dirs(b"a/b/c").collect();
        assert_eq!(dirs, vec![&b"a"[..], b"a/b"]);
        assert_eq!(parent_dirs(b"top").count(), 0);
    }

    #[test]
    fn every_parent_directory_is_checked() {
        // `check` lets a directory it has no verdict for pass: each one
        // must be in the map, however the paths share prefixes.
        let tmp = tempfile::tempdir().unwrap();
        let mut paths: Vec<&[u8]> = vec![
            b"a/b",
            b"a/b/c",
            b"a/bc/d",
            b"a-b/c",
            b"ab/c",
            b"a/b/c/d/e",
            b"x",
            b"a/b/d",
            b"a/b",
            b"b/a/b",
            b"b/a/b/c",
        ];
        for sorted in [false, true] {
            if sorted {
                paths.sort_unstable();
            }
            let auditor = Auditor::new(tmp.path(), &paths);
            let mut want: Vec<&[u8]> = paths.iter().flat_map(|p| parent_dirs(p)).collect();
            want.sort_unstable();
            want.dedup();
            let mut got: Vec<&[u8]> = auditor.prefixes.keys().map(Vec::as_slice).collect();
            got.sort_unstable();
            assert_eq!(got, want, "sorted: {sorted}");
        }
    }

    #[test]
    fn directory_checks() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("d/e")).unwrap();
        std::fs::create_dir_all(root.join("nested/.hg")).unwrap();
        std::os::unix::fs::symlink("d", root.join("link")).unwrap();
        std::fs::write(root.join("file"), b"").unwrap();
        let paths: Vec<&[u8]> = vec![b"d/e/f", b"nested/x", b"link/f", b"gone/x/y", b"file/x"];
        let auditor = Auditor::new(root, &paths);
        let verdicts: [(&[u8], Result<(), AuditRefusal>); 10] = [
            (b"d/e/f", Ok(())),
            (b"top", Ok(())),
            (b".hg", Err(AuditRefusal::IllegalComponent)),
            (b"nested/x", Err(AuditRefusal::NestedRepository)),
            (b"link/f", Err(AuditRefusal::Symlink)),
            (b"gone/x/y", Ok(())),
            (b"file/x", Ok(())),
            (b"d/e/.hg", Err(AuditRefusal::IllegalComponent)),
            (b"d/.hg/g", Err(AuditRefusal::IllegalComponent)),
            (b"d/e/", Err(AuditRefusal::IllegalComponent)),
        ];
        for (path, want) in verdicts {
            assert_eq!(auditor.check(path, &mut Vec::new()), want, "{path:?}");
        }
        // What a thread keeps from the previous path never changes a
        // verdict, whatever came before.
        for (before, _) in verdicts {
            for (path, want) in verdicts {
                let mut passed = Vec::new();
                let _ = auditor.check(before, &mut passed);
                assert_eq!(
                    auditor.check(path, &mut passed),
                    want,
                    "{before:?} then {path:?}"
                );
            }
        }
    }
}
