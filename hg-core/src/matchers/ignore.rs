//! The ignore matcher (`dirstate._ignore`): `include:` of every ignore file
//! Mercurial lists, with the warnings it prints and dirstate-v2's hash of
//! the ignore patterns.
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::kind::{normpath, split_kind};
use super::{
    parse_pattern_file, IncludeMatcher, KindPat, Matcher, NeverMatcher, PatternError, PatternKind,
};
use sha1::{Digest, Sha1};

/// A warning Mercurial prints while reading ignore files, in the shape
/// `dirstate._rust_status` expects from the Rust status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoreWarning {
    /// `{file}: ignoring invalid syntax '{syntax}'`: `file` is the path the
    /// file was opened with.
    InvalidSyntax {
        /// The pattern file's path, as Mercurial prints it.
        file: Vec<u8>,
        /// The unknown `syntax:` value (stripped).
        syntax: Vec<u8>,
    },
    /// `skipping unreadable pattern file '{path}': No such file or
    /// directory`: `path` is relative to the repository root and already in
    /// the form `pathutil.canonpath` leaves unchanged.
    NoSuchFile {
        /// The path as written in the `include:` line.
        path: Vec<u8>,
    },
}

/// Everything `get_ignore_matcher_with_hash` computes.
pub struct IgnoreMatcherResult {
    /// Says whether a path is ignored.
    pub matcher: Box<dyn Matcher>,
    /// Warnings to print, in Mercurial's order.
    pub warnings: Vec<IgnoreWarning>,
    /// dirstate-v2 `ignore_patterns_hash` of the files read.
    pub patterns_hash: [u8; 20],
}

/// `posixpath.join(a, b)`.
fn posix_join(a: &[u8], b: &[u8]) -> Vec<u8> {
    if b.starts_with(b"/") {
        return b.to_vec();
    }
    let mut out = a.to_vec();
    if !out.is_empty() && !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(b);
    out
}

/// `posixpath.dirname(p)`.
fn posix_dirname(p: &[u8]) -> Vec<u8> {
    let i = p.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let head = &p[..i];
    if !head.is_empty() && head.iter().any(|&b| b != b'/') {
        let trimmed = head.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        return head[..trimmed].to_vec();
    }
    head.to_vec()
}

/// `(path, sha1(contents))` of pattern files, in reading order.
type FileDigests = Vec<(Vec<u8>, [u8; 20])>;

/// Reads pattern files recursively the way `_donormalize` handles
/// `include:`, collecting warnings and the bytes that feed the hash.
struct Expander<'a> {
    /// The matcher's root (repository root, or a `subinclude:` directory).
    root: &'a [u8],
    /// The repository root, to make hashed paths relative.
    repo_root: &'a [u8],
    /// Whether Mercurial would print warnings (`warn` is not None).
    warn: bool,
    warnings: Vec<IgnoreWarning>,
    /// `(path, sha1(contents))` of every file read, in reading order.
    hashed: FileDigests,
}

impl Expander<'_> {
    /// Appends the patterns of `include:{pat}` to `out`.
    fn include(&mut self, pat: &[u8], out: &mut Vec<KindPat>) -> Result<(), PatternError> {
        let fullpath = posix_join(self.root, pat);
        let contents = match std::fs::read(Path::new(std::ffi::OsStr::from_bytes(&fullpath))) {
            Ok(c) => c,
            Err(e) => {
                if !self.warn {
                    return Ok(());
                }
                if e.kind() == std::io::ErrorKind::NotFound && canonpath_keeps(self.root, pat) {
                    self.warnings
                        .push(IgnoreWarning::NoSuchFile { path: pat.to_vec() });
                    return Ok(());
                }
                // Python prints this path (or OS message) differently from
                // what the Rust status protocol can express.
                return Err(PatternError::UnreadableFile {
                    path: PathBuf::from(std::ffi::OsStr::from_bytes(&fullpath)),
                    kind: e.kind(),
                });
            }
        };
        let hashed_path = match fullpath.strip_prefix(self.repo_root) {
            Some(rest) if rest.starts_with(b"/") => rest[1..].to_vec(),
            _ => fullpath.clone(),
        };
        self.hashed
            .push((hashed_path, Sha1::digest(&contents).into()));
        let parsed = parse_pattern_file(&contents);
        if self.warn {
            for syntax in parsed.invalid_syntaxes {
                self.warnings.push(IgnoreWarning::InvalidSyntax {
                    file: fullpath.clone(),
                    syntax,
                });
            }
        }
        for line in &parsed.patterns {
            let (kind, p) = split_kind(line, PatternKind::Glob);
            match kind {
                PatternKind::RelGlob
                | PatternKind::Path
                | PatternKind::FilePath
                | PatternKind::RootFilesIn
                | PatternKind::RootGlob => out.push(KindPat::new(kind, &normpath(p), pat)),
                PatternKind::Re | PatternKind::RelRe => out.push(KindPat::new(kind, p, pat)),
                PatternKind::SubInclude => {
                    let kp = KindPat::new(kind, p, pat);
                    self.hash_subinclude(&kp)?;
                    out.push(kp);
                }
                PatternKind::Include => {
                    let mut inner = Vec::new();
                    self.include(p, &mut inner)?;
                    out.extend(inner);
                }
                PatternKind::Glob
                | PatternKind::RelPath
                | PatternKind::ListFile
                | PatternKind::ListFile0
                | PatternKind::Set => {
                    return Err(PatternError::unsupported(format!(
                        "{:?} pattern in a pattern file",
                        kind
                    )))
                }
            }
        }
        Ok(())
    }

    /// Reads a `subinclude:`d file (and its own includes) only for the hash:
    /// the matcher reads it again when it is built.
    fn hash_subinclude(&mut self, kp: &KindPat) -> Result<(), PatternError> {
        let (newroot, path) = subinclude_paths(kp)?;
        let mut sub = Expander {
            root: &newroot,
            repo_root: self.repo_root,
            warn: false,
            warnings: Vec::new(),
            hashed: Vec::new(),
        };
        let mut ignored = Vec::new();
        // Errors in the sub-file surface when the matcher is built.
        let _ = sub.include(&path, &mut ignored);
        self.hashed.extend(sub.hashed);
        Ok(())
    }
}

/// Whether `pathutil.canonpath(root, root, pat)` (which `_rust_status`
/// applies to our warning) returns `pat` unchanged without aborting, so
/// that the printed warning is the one Mercurial's Python prints. Unsure
/// cases answer false (the caller then falls back).
fn canonpath_keeps(root: &[u8], pat: &[u8]) -> bool {
    if pat.is_empty() || pat.starts_with(b"/") || normpath(pat) != pat || pat.starts_with(b"..") {
        return false;
    }
    let lower = pat.to_ascii_lowercase();
    if lower.windows(3).any(|w| w == b".hg") || pat.contains(&b'~') || !pat.is_ascii() {
        return false;
    }
    // The path auditor refuses symlinks and nested repositories on the way.
    for (pos, _) in pat.iter().enumerate().filter(|(_, &b)| b == b'/') {
        let prefix = posix_join(root, &pat[..pos]);
        let path = Path::new(std::ffi::OsStr::from_bytes(&prefix));
        match std::fs::symlink_metadata(path) {
            Err(_) => break,
            Ok(meta) if meta.file_type().is_symlink() => return false,
            Ok(meta) if meta.is_dir() && path.join(".hg").is_dir() => return false,
            Ok(_) => {}
        }
    }
    true
}

/// `(newroot, path)` of a `subinclude:` (`match._expandsubinclude`).
fn subinclude_paths(kp: &KindPat) -> Result<(Vec<u8>, Vec<u8>), PatternError> {
    let sourceroot = posix_dirname(&normpath(&kp.source));
    let path = posix_join(&sourceroot, &kp.pattern);
    let newroot = posix_dirname(&path);
    if !newroot.starts_with(b"/") {
        return Err(PatternError::unsupported("subinclude with a relative root"));
    }
    Ok((newroot, path))
}

/// Builds the matcher of a `subinclude:` pattern and the path prefix it
/// applies to. Mercurial builds it lazily and reports its errors only when
/// a path reaches it, so any error here means "let Python do it".
pub(crate) fn build_subinclude(
    kp: &KindPat,
    root: &Path,
) -> Result<(Vec<u8>, IncludeMatcher), PatternError> {
    let (newroot, path) = subinclude_paths(kp)?;
    let root_bytes = root.as_os_str().as_bytes();
    let normalized = normpath(&newroot);
    let prefix = if normalized == normpath(root_bytes) {
        Vec::new()
    } else {
        let mut rootsep = normpath(root_bytes);
        if !rootsep.ends_with(b"/") {
            rootsep.push(b'/');
        }
        match normalized.strip_prefix(&rootsep[..]) {
            Some(rel) if !rel.is_empty() => {
                let mut p = rel.to_vec();
                p.push(b'/');
                p
            }
            _ => {
                return Err(PatternError::unsupported(
                    "subinclude outside the repository",
                ))
            }
        }
    };
    let mut expander = Expander {
        root: &newroot,
        repo_root: root_bytes,
        warn: false,
        warnings: Vec::new(),
        hashed: Vec::new(),
    };
    let mut kindpats = Vec::new();
    let unsupported = |e: PatternError| PatternError::Unsupported(format!("in subinclude: {}", e));
    expander
        .include(&path, &mut kindpats)
        .map_err(unsupported)?;
    let newroot_path = Path::new(std::ffi::OsStr::from_bytes(&newroot));
    let matcher = IncludeMatcher::new(kindpats, newroot_path).map_err(unsupported)?;
    Ok((prefix, matcher))
}

/// The ignore matcher for `ignore_files` (Python's `dirstate._ignorefiles()`
/// list, in its order) and the warnings Mercurial would print.
pub fn get_ignore_matcher(
    ignore_files: Vec<PathBuf>,
    root: &Path,
) -> Result<(Box<dyn Matcher>, Vec<IgnoreWarning>), PatternError> {
    let r = get_ignore_matcher_with_hash(ignore_files, root)?;
    Ok((r.matcher, r.warnings))
}

/// [`get_ignore_matcher`] plus dirstate-v2's `ignore_patterns_hash`: SHA-1
/// over `"{path} {sha1(contents)}\n"` for every file read (top-level files
/// sorted by path, each followed by the files it includes, depth first),
/// paths relative to the root when inside it — as Mercurial's Rust status
/// computes it.
pub fn get_ignore_matcher_with_hash(
    ignore_files: Vec<PathBuf>,
    root: &Path,
) -> Result<IgnoreMatcherResult, PatternError> {
    get_ignore_matcher_reading(ignore_files, root, true)
}

/// [`get_ignore_matcher_with_hash`], with `warn` false when Mercurial's
/// Python has already read the same files and printed their warnings (our
/// extension under fsmonitor): unreadable files are then skipped without a
/// warning or an error, as Python's `readpatternfile` does without `warn`.
pub fn get_ignore_matcher_reading(
    ignore_files: Vec<PathBuf>,
    root: &Path,
    warn: bool,
) -> Result<IgnoreMatcherResult, PatternError> {
    let root_bytes = root.as_os_str().as_bytes();
    // Python hands over `dirstate._rootdir`, which ends with a separator;
    // hashed paths must still come out relative ("dir/.hgignore").
    let mut repo_root = root_bytes;
    while let Some(trimmed) = repo_root.strip_suffix(b"/") {
        repo_root = trimmed;
    }
    let mut expander = Expander {
        root: root_bytes,
        repo_root,
        warn,
        warnings: Vec::new(),
        hashed: Vec::new(),
    };
    let mut kindpats = Vec::new();
    let mut per_file: Vec<(Vec<u8>, FileDigests)> = Vec::new();
    for file in &ignore_files {
        let pat = file.as_os_str().as_bytes();
        expander.include(pat, &mut kindpats)?;
        per_file.push((pat.to_vec(), std::mem::take(&mut expander.hashed)));
    }
    per_file.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha1::new();
    for (_, records) in &per_file {
        for (path, digest) in records {
            hasher.update(path);
            hasher.update(b" ");
            hasher.update(digest);
            hasher.update(b"\n");
        }
    }
    let warnings = expander.warnings;
    let matcher: Box<dyn Matcher> = if kindpats.is_empty() {
        Box::new(NeverMatcher)
    } else {
        match IncludeMatcher::new(kindpats, root) {
            Ok(m) => Box::new(m),
            // Python prints the warnings before aborting; we cannot both
            // return them and fail, so let Python do it all.
            Err(PatternError::InvalidRegex { .. }) if !warnings.is_empty() => {
                return Err(PatternError::unsupported("invalid pattern after warnings"))
            }
            Err(e) => return Err(e),
        }
    };
    Ok(IgnoreMatcherResult {
        matcher,
        warnings,
        patterns_hash: hasher.finalize().into(),
    })
}
