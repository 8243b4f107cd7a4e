//! Pattern kinds and the `(kind, pattern, source)` triples that Mercurial
//! keeps in a matcher's `_kindpats`.
use super::PatternError;

/// The `kind:` prefixes Mercurial knows (`match.allpatternkinds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternKind {
    /// `re:`: regex anchored at the start of the path.
    Re,
    /// `glob:`: glob relative to the cwd (already rooted when it reaches a
    /// matcher).
    Glob,
    /// `path:`: a path matched recursively.
    Path,
    /// `filepath:`: exactly one file.
    FilePath,
    /// `relglob:`: unrooted glob.
    RelGlob,
    /// `relpath:`: cwd-relative path (rooted when it reaches a matcher).
    RelPath,
    /// `relre:`: unanchored regex.
    RelRe,
    /// `rootglob:`: glob rooted at the repository root.
    RootGlob,
    /// `rootfilesin:`: files directly in a directory.
    RootFilesIn,
    /// `include:`: a pattern file read in place.
    Include,
    /// `subinclude:`: a pattern file applying below its own directory.
    SubInclude,
    /// `listfile:`: a file listing patterns (expanded by Python).
    ListFile,
    /// `listfile0:`: NUL-separated `listfile:`.
    ListFile0,
    /// `set:`: a fileset (needs a changeset context: never supported here).
    Set,
}

impl PatternKind {
    /// Every kind with its spelling, in `match.allpatternkinds` order.
    const ALL: [(PatternKind, &'static [u8]); 14] = [
        (PatternKind::Re, b"re"),
        (PatternKind::Glob, b"glob"),
        (PatternKind::Path, b"path"),
        (PatternKind::FilePath, b"filepath"),
        (PatternKind::RelGlob, b"relglob"),
        (PatternKind::RelPath, b"relpath"),
        (PatternKind::RelRe, b"relre"),
        (PatternKind::RootGlob, b"rootglob"),
        (PatternKind::ListFile, b"listfile"),
        (PatternKind::ListFile0, b"listfile0"),
        (PatternKind::Set, b"set"),
        (PatternKind::Include, b"include"),
        (PatternKind::SubInclude, b"subinclude"),
        (PatternKind::RootFilesIn, b"rootfilesin"),
    ];

    /// The kind named `name` (without the colon), if Mercurial knows it.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    /// The kind's spelling, as it appears in Mercurial's error messages and
    /// sort order.
    pub fn name(self) -> &'static [u8] {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, n)| *n)
            .unwrap_or(b"")
    }
}

/// One `(kind, pattern, source)` triple: `source` is the pattern file it came
/// from (empty for command-line patterns), used in error messages and to
/// resolve `subinclude:` paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KindPat {
    /// The pattern kind.
    pub kind: PatternKind,
    /// The pattern text after the `kind:` prefix (already normalized).
    pub pattern: Vec<u8>,
    /// The pattern file path as Mercurial recorded it, or empty.
    pub source: Vec<u8>,
}

impl KindPat {
    /// Convenience constructor, used heavily by tests.
    pub fn new(kind: PatternKind, pattern: &[u8], source: &[u8]) -> Self {
        KindPat {
            kind,
            pattern: pattern.to_vec(),
            source: source.to_vec(),
        }
    }

    /// Builds a triple from Python's `_kindpats` strings, rejecting kinds a
    /// matcher never sees.
    pub fn from_names(kind: &[u8], pattern: &[u8], source: &[u8]) -> Result<Self, PatternError> {
        let kind = PatternKind::from_name(kind).ok_or_else(|| {
            PatternError::unsupported(format!(
                "unknown pattern kind {}",
                String::from_utf8_lossy(kind)
            ))
        })?;
        Ok(KindPat::new(kind, pattern, source))
    }

    /// Python's tuple ordering `(kind, pat, source)` on the kind's bytes,
    /// which `patternmatcher` sorts by (it decides which invalid pattern is
    /// reported first).
    pub(crate) fn python_cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.kind.name(), &self.pattern, &self.source).cmp(&(
            other.kind.name(),
            &other.pattern,
            &other.source,
        ))
    }
}

/// `match._patsplit`: splits `kind:pat` when `kind` is known, else returns
/// `default` and the whole pattern.
pub fn split_kind(pattern: &[u8], default: PatternKind) -> (PatternKind, &[u8]) {
    if let Some(colon) = pattern.iter().position(|&b| b == b':') {
        if let Some(kind) = PatternKind::from_name(&pattern[..colon]) {
            return (kind, &pattern[colon + 1..]);
        }
    }
    (default, pattern)
}

/// `posixpath.normpath` on bytes (what `util.normpath` is on POSIX).
pub fn normpath(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let initial_slashes = if path.starts_with(b"/") {
        if path.starts_with(b"//") && !path.starts_with(b"///") {
            2
        } else {
            1
        }
    } else {
        0
    };
    let mut comps: Vec<&[u8]> = Vec::new();
    for comp in path.split(|&b| b == b'/') {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if comp != b".."
            || (initial_slashes == 0 && comps.is_empty())
            || comps.last() == Some(&&b".."[..])
        {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = vec![b'/'; initial_slashes];
    out.extend_from_slice(&comps.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_like_posixpath() {
        assert_eq!(normpath(b"./a//b/../c/"), b"a/c");
        assert_eq!(normpath(b""), b".");
        assert_eq!(normpath(b"."), b".");
        assert_eq!(normpath(b"../a/.."), b"..");
        assert_eq!(normpath(b"/../a"), b"/a");
        assert_eq!(normpath(b"//a"), b"//a");
        assert_eq!(normpath(b"///a"), b"/a");
        assert_eq!(normpath(b"a/../.."), b"..");
    }

    #[test]
    fn split_kind_known_only() {
        assert_eq!(
            split_kind(b"re:a:b", PatternKind::Glob),
            (PatternKind::Re, &b"a:b"[..])
        );
        assert_eq!(
            split_kind(b"foo:b", PatternKind::Glob),
            (PatternKind::Glob, &b"foo:b"[..])
        );
        assert_eq!(
            split_kind(b"x", PatternKind::RelRe),
            (PatternKind::RelRe, &b"x"[..])
        );
    }
}
