//! What a repository requires of its readers (`.hg/requires`,
//! `.hg/store/requires`, `hg help internals.requirements`), and where its
//! store is (following `.hg/sharedpath` for `hg share`).
//!
//! Store reading must refuse repositories whose format it does not know,
//! exactly as Mercurial refuses requirements it does not know: reading a
//! revlog v2 store as v1, or a tree manifest as a flat one, would give
//! wrong answers, not errors. So every requirement is classified
//! ([`classify`]): readable, readable with a caveat the caller must weigh
//! (narrow, sparse, lfs, largefiles: the store is fine but does not hold
//! or mean everything a plain repository's does), or unsupported (anything
//! else, including names we have never seen).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::store_path::StoreEncoding;

/// Why the requirements could not be read or make no sense together.
#[derive(Debug, thiserror::Error)]
pub enum RequirementsError {
    /// `<root>/.hg` is not a directory.
    #[error("repository {} not found", .0.display())]
    NotARepository(PathBuf),
    /// A file that must exist could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A requires file has an empty line or a name that does not start with
    /// a letter or digit (Mercurial: "corrupt .hg/requires file").
    #[error("corrupt requires file {}", .0.display())]
    Corrupted(PathBuf),
    /// `.hg/sharedpath` names a directory that does not exist.
    #[error(".hg/sharedpath points to nonexistent directory {}", .0.display())]
    SharedSourceMissing(PathBuf),
    /// A share and its source disagree on `share-safe`; Mercurial upgrades,
    /// downgrades or aborts depending on configuration
    /// (`share.safe-mismatch.*`), which only it can do.
    #[error("share-safe mismatch between {} and its share source", .0.display())]
    ShareSafeMismatch(PathBuf),
    /// Requirements that store reading does not implement (see
    /// [`RepoRequirements::unsupported`]).
    #[error("unsupported repository requirements: {}", .0.join(", "))]
    Unsupported(Vec<String>),
}

/// How store reading stands with one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Store reading handles it (or it does not concern the store).
    Readable,
    /// The store reads fine, but what it holds needs care; see [`Caveat`].
    Caveat(Caveat),
    /// We cannot read a store with this requirement (or do not know it).
    Unsupported,
}

/// Requirements under which the store is readable but its contents are not
/// the whole story, so a caller comparing working-copy files against it
/// should decide whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Caveat {
    /// `narrowhg-experimental`: filelogs outside the narrowspec are absent,
    /// and Mercurial compares narrow files the slow way (issue6150).
    Narrow,
    /// `exp-sparse`: the working copy holds only part of the manifest.
    Sparse,
    /// `lfs`: some file revisions are pointers to externally stored
    /// content (revision flag `EXTSTORED`).
    Lfs,
    /// `largefiles`: tracked standins hold hashes of untracked big files.
    Largefiles,
}

/// Classifies one requirement name.
pub fn classify(name: &str) -> Support {
    match name {
        // Revlog format and store layout we read.
        "revlogv1" | "store" | "fncache" | "dotencode" | "generaldelta" | "sparserevlog"
        | "revlog-compression-zstd" | "exp-compression-none" | "delta-info-revlog" | "fileindex-v1"
        | "exp-very-fragile-and-unsafe-plain-store-encoding"
        // Caches and files store reading does not look at.
        | "persistent-nodemap" | "bookmarksinstore" | "internal-phase" | "internal-phase-2"
        | "exp-archived-phase" | "dirstate-v2" | "exp-rc-dirstate-v2" | "exp-dirstate-v2"
        | "dirstate-tracked-key-v1"
        // Sharing: handled by [`RepoRequirements::read`].
        | "shared" | "relshared" | "share-safe" => Support::Readable,
        "narrowhg-experimental" => Support::Caveat(Caveat::Narrow),
        "exp-sparse" => Support::Caveat(Caveat::Sparse),
        "lfs" => Support::Caveat(Caveat::Lfs),
        "largefiles" => Support::Caveat(Caveat::Largefiles),
        // Known to Mercurial, not read here: revlog v2 and changelog v2
        // (other index format, sidedata, dockets), copies in sidedata (only
        // with those), tree manifests (one manifest per directory), and
        // formats that were removed (parentdelta, manifestv2). Everything
        // unknown, e.g. extensions' own, is unsupported too.
        _ => Support::Unsupported,
    }
}

/// The requirements of a repository and where its store is.
#[derive(Debug, Clone)]
pub struct RepoRequirements {
    hg_dir: PathBuf,
    store_path: PathBuf,
    shared_source: Option<PathBuf>,
    names: BTreeSet<String>,
}

/// Splits like Python's `bytes.splitlines()` (`\n`, `\r\n` and `\r`).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&bytes[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&bytes[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

/// Reads `<dir>/requires` into `names`; a missing file is no requirement
/// when `allow_missing` (Mercurial's `scmutil.readrequires`).
fn read_requires(
    dir: &Path,
    allow_missing: bool,
    names: &mut BTreeSet<String>,
) -> Result<(), RequirementsError> {
    let path = dir.join("requires");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if allow_missing && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(RequirementsError::Io { path, source }),
    };
    for line in split_lines(&bytes) {
        if !line.first().is_some_and(|c| c.is_ascii_alphanumeric()) {
            return Err(RequirementsError::Corrupted(path));
        }
        names.insert(String::from_utf8_lossy(line).into_owned());
    }
    Ok(())
}

/// `os.path.normpath` for an absolute path: drops `.` and empty
/// components and folds `..` lexically, as Mercurial does before
/// resolving a relative share.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl RepoRequirements {
    /// Reads the requirements of the repository whose working copy is at
    /// `repo_root`, following `hg share` as Mercurial's
    /// `makelocalrepository` does: with `shared`/`relshared` the store is
    /// the one of the source named by `.hg/sharedpath` (absolute, or
    /// relative to `.hg/` for `relshared`); with `share-safe` the store's
    /// own `requires` file is added. It does not judge the requirements:
    /// see [`RepoRequirements::ensure_supported`].
    pub fn read(repo_root: &Path) -> Result<RepoRequirements, RequirementsError> {
        let hg_dir = repo_root.join(".hg");
        if !hg_dir.is_dir() {
            return Err(RequirementsError::NotARepository(repo_root.to_owned()));
        }
        let mut names = BTreeSet::new();
        read_requires(&hg_dir, true, &mut names)?;
        let shared = names.contains("shared") || names.contains("relshared");
        let shared_source = if shared {
            let path = hg_dir.join("sharedpath");
            let mut target =
                std::fs::read(&path).map_err(|source| RequirementsError::Io { path, source })?;
            while target.last() == Some(&b'\n') {
                target.pop();
            }
            let mut source = PathBuf::from(OsStr::from_bytes(&target));
            if names.contains("relshared") {
                source = normalize(&hg_dir.join(source));
            }
            match std::fs::canonicalize(&source) {
                Ok(real) if real.is_dir() => Some(real),
                _ => return Err(RequirementsError::SharedSourceMissing(source)),
            }
        } else {
            None
        };
        let store_base = shared_source.clone().unwrap_or_else(|| hg_dir.clone());
        if names.contains("share-safe") {
            if let Some(source) = &shared_source {
                let mut source_names = BTreeSet::new();
                read_requires(source, true, &mut source_names)?;
                if !source_names.contains("share-safe") {
                    return Err(RequirementsError::ShareSafeMismatch(repo_root.to_owned()));
                }
            }
            read_requires(&store_base.join("store"), false, &mut names)?;
        } else if let Some(source) = &shared_source {
            let mut source_names = BTreeSet::new();
            read_requires(source, false, &mut source_names)?;
            if source_names.contains("share-safe") {
                return Err(RequirementsError::ShareSafeMismatch(repo_root.to_owned()));
            }
        }
        // With share-safe, `store` itself is listed in the store's requires.
        let store_path = if names.contains("store") {
            store_base.join("store")
        } else {
            store_base
        };
        Ok(RepoRequirements {
            hg_dir,
            store_path,
            shared_source,
            names,
        })
    }

    /// The `.hg` directory of the working copy.
    pub fn hg_dir(&self) -> &Path {
        &self.hg_dir
    }

    /// The directory revlogs live in: `.hg/store` (or the share source's),
    /// or `.hg` itself for the ancient layout without `store`.
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    /// For a share, the source repository's `.hg` directory (resolved).
    pub fn shared_source(&self) -> Option<&Path> {
        self.shared_source.as_deref()
    }

    /// Whether the repository has requirement `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// All requirement names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The requirements store reading cannot honour, sorted; a missing
    /// `revlogv1` (revlog v0 repository) is reported as `"revlogv0"`.
    pub fn unsupported(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .names()
            .filter(|n| classify(n) == Support::Unsupported)
            .map(str::to_owned)
            .collect();
        if !self.contains("revlogv1") {
            out.push("revlogv0".to_owned());
        }
        out.sort();
        out
    }

    /// The caveats (narrow, sparse, lfs, largefiles) of this repository,
    /// in that order.
    pub fn caveats(&self) -> Vec<Caveat> {
        let mut caveats: Vec<Caveat> = self
            .names()
            .filter_map(|n| match classify(n) {
                Support::Caveat(c) => Some(c),
                _ => None,
            })
            .collect();
        caveats.sort();
        caveats
    }

    /// `Ok` if every requirement is readable, or a caveat when
    /// `allow_caveats`; otherwise [`RequirementsError::Unsupported`] with
    /// the offending names, so a caller can fall back to Mercurial.
    pub fn ensure_supported(&self, allow_caveats: bool) -> Result<(), RequirementsError> {
        let mut refused = self.unsupported();
        if !allow_caveats {
            refused.extend(
                self.names()
                    .filter(|n| matches!(classify(n), Support::Caveat(_)))
                    .map(str::to_owned),
            );
            refused.sort();
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(RequirementsError::Unsupported(refused))
        }
    }

    /// How filelog paths are encoded in this store.
    pub fn store_encoding(&self) -> StoreEncoding {
        StoreEncoding::from_requirements(|name| self.contains(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_like_python() {
        assert_eq!(
            split_lines(b"a\nb\r\nc\rd"),
            vec![&b"a"[..], b"b", b"c", b"d"]
        );
        assert_eq!(split_lines(b"a\n\nb\n"), vec![&b"a"[..], b"", b"b"]);
        assert!(split_lines(b"").is_empty());
    }

    #[test]
    fn classification() {
        assert_eq!(classify("revlogv1"), Support::Readable);
        assert_eq!(classify("exp-sparse"), Support::Caveat(Caveat::Sparse));
        assert_eq!(classify("exp-revlogv2.2"), Support::Unsupported);
        assert_eq!(classify("exp-changelog-v2"), Support::Unsupported);
        assert_eq!(classify("treemanifest"), Support::Unsupported);
        assert_eq!(classify("some-extension-thing"), Support::Unsupported);
    }

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/.hg/../../c/./.hg")),
            PathBuf::from("/a/c/.hg")
        );
    }
}
