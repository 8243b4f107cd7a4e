//! Deciding the files `hg status` could not decide from the dirstate alone.
//!
//! A file whose size is unchanged but whose mtime differs from the one the
//! dirstate recorded (after `touch`, `cp -r`, a restored CI cache) comes out
//! of the status walk as *unsure* (`lookup`). Mercurial then compares each
//! one with its first parent in `workingctx._checklookup` (context.py),
//! through `basefilectx.cmp` and `storageutil.filedataequivalent`: in
//! Python, one file after the other. This module gives the same answer for
//! every file, in parallel:
//!
//! - not in p1's manifest, or flags (`x`, `l` from `lstat`) other than
//!   p1's: modified;
//! - sizes that cannot match (Mercurial's notion of a stored size, with the
//!   4-byte `\1\n` escape allowance; symlinks always compared, issue6456):
//!   modified;
//! - otherwise the working content (a symlink's target) is hashed with the
//!   file revision's parents like Mercurial's `filedataequivalent` does,
//!   and when the hash cannot decide (a metadata header: copy source, or
//!   content starting with `\1\n`) the stored content is read and compared;
//! - a file that vanished or became unreadable on the way: deleted
//!   (issue5584), including the case where Mercurial's `flags` check
//!   already calls it modified;
//! - a clean file with an mtime that is reliable against `mtime_boundary`
//!   becomes a *fixup* (`mode`, `size`, mtime) for the dirstate, otherwise
//!   it is clean.
//!
//! Whatever it cannot reproduce exactly is *undecided*, for Mercurial's
//! own code to handle: revision flags that change what the stored text
//! means (censored, lfs, ellipsis, unknown bits), any failure reading the
//! store (where Mercurial could raise, or call the file deleted on an
//! `OSError`), malformed metadata headers (Mercurial raises), and paths
//! Mercurial's path auditor would refuse to read (it aborts).
//!
//! Preconditions the caller checks (the Python extension does): the file
//! system supports exec bits and symlinks (otherwise Mercurial's flags come
//! from the dirstate and p1), no encode filters or extension transforms
//! working-copy data, and the repository is not narrow, lfs or largefiles
//! ([`open_store`] refuses those).

mod audit;
mod decide;
mod stored;
mod working;

use std::path::Path;

use rayon::prelude::*;

use crate::dirstate::TruncatedTimestamp;
use crate::manifest::Manifest;
use crate::requirements::{Caveat, RequirementsError};
use crate::revlog::{Node, RevlogError};
use crate::store::Store;

pub use audit::AuditRefusal;
pub use decide::Verdict;

/// How a Mercurial version decides whether a file revision's stored text
/// carries a metadata header that makes its size and hash differ from the
/// content's: `filelog.size` and `filedataequivalent` changed in 7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaRule {
    /// Mercurial 6.9 and 7.0: only a copy source counts (`filelog.renamed`:
    /// a null first parent and both `copy` and `copyrev` in the header).
    CopySource,
    /// Mercurial 7.1 and later: any header counts (`filelog.has_meta`: the
    /// `HASMETA` flag in revlogs that record it, otherwise a null first
    /// parent and a raw text starting with `\1\n`).
    AnyHeader,
}

/// What [`check_lookup`] needs besides the files.
#[derive(Debug, Clone, Copy)]
pub struct LookupOptions {
    /// The file system's "now" when the status walk started
    /// (`dirstate.status`'s third value). `None`: clean files are listed
    /// as clean, never as fixups.
    pub mtime_boundary: Option<TruncatedTimestamp>,
    /// The calling Mercurial's metadata rule.
    pub meta_rule: MetaRule,
}

/// What `_poststatusfixup` records for a file found clean: the stat it
/// was compared with and a reliable mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixup {
    /// `st_mode`.
    pub mode: u32,
    /// `st_size`.
    pub size: u64,
    /// The mtime, made reliable against the boundary
    /// (`timestamp.reliable_mtime_of`).
    pub mtime: TruncatedTimestamp,
}

/// Why a file was left to Mercurial.
#[derive(Debug, thiserror::Error)]
pub enum UndecidedReason {
    /// The file's history could not be read as Mercurial would read it.
    #[error("{0}")]
    Store(#[from] RevlogError),
    /// The revision's flags change what its stored text means.
    #[error("revision flags {0:#06x}")]
    RevisionFlags(u16),
    /// The stored text's metadata header is malformed; Mercurial raises.
    #[error("malformed metadata header: {0}")]
    Metadata(&'static str),
    /// Mercurial's path auditor would refuse to read the file.
    #[error("path audit: {0}")]
    Audit(AuditRefusal),
}

/// The answer for a set of unsure files, each list in path order, as
/// `workingctx._checklookup` returns it, plus the files left to Mercurial.
#[derive(Debug, Default)]
pub struct LookupOutcome {
    /// Content or flags differ from p1, or not in p1.
    pub modified: Vec<Vec<u8>>,
    /// Vanished or unreadable while being compared.
    pub deleted: Vec<Vec<u8>>,
    /// Same as p1, mtime not reliable enough to record.
    pub clean: Vec<Vec<u8>>,
    /// Same as p1, with what the dirstate should record.
    pub fixup: Vec<(Vec<u8>, Fixup)>,
    /// Left to Mercurial, with the reason.
    pub undecided: Vec<(Vec<u8>, UndecidedReason)>,
}

/// Why no file could be decided.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The requirements could not be read or are not all supported.
    #[error(transparent)]
    Requirements(#[from] RequirementsError),
    /// The repository is narrow, or its files may be stored elsewhere
    /// (lfs, largefiles): Mercurial's own comparison differs.
    #[error("repository requirement caveat: {0:?}")]
    Caveat(Caveat),
    /// p1's changeset or manifest could not be read.
    #[error("reading p1's manifest: {0}")]
    Manifest(#[from] RevlogError),
}

/// Opens the store of the repository at `repo_root` for [`check_lookup`],
/// refusing what it cannot compare exactly: unsupported requirements, and
/// the narrow, lfs and largefiles caveats. Sparse is accepted: it only
/// limits which files are tracked, not how they compare.
pub fn open_store(repo_root: &Path) -> Result<Store, LookupError> {
    let store = Store::open(repo_root)?;
    if let Some(&c) = store
        .requirements()
        .caveats()
        .iter()
        .find(|&&c| c != Caveat::Sparse)
    {
        return Err(LookupError::Caveat(c));
    }
    Ok(store)
}

/// What every file's decision reads.
pub(crate) struct Context<'a> {
    pub root: working::Root,
    pub store: &'a Store,
    pub manifest: &'a Manifest,
    pub options: LookupOptions,
    pub audit: audit::Auditor,
}

/// Decides `files` (paths relative to `repo_root`, as the dirstate holds
/// them) against changeset `p1` of `store`, as `workingctx._checklookup`
/// would, on all cores. Files are taken in sorted order, like Python's
/// `sorted(files)`, and every list of the outcome keeps that order.
pub fn check_lookup(
    repo_root: &Path,
    store: &Store,
    p1: &Node,
    files: &[Vec<u8>],
    options: LookupOptions,
) -> Result<LookupOutcome, LookupError> {
    if files.is_empty() {
        return Ok(LookupOutcome::default());
    }
    // Reading p1's manifest is mostly serial (one changeset, one
    // decompression): the path auditor's checks of every parent directory
    // run beside it.
    let (manifest, (sorted, audit)) = rayon::join(
        || store.manifest_for_changeset(p1),
        || {
            let mut sorted: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
            sorted.sort_unstable();
            let audit = audit::Auditor::new(repo_root, &sorted);
            (sorted, audit)
        },
    );
    let manifest = manifest?;
    let ctx = Context {
        root: working::Root::open(repo_root),
        store,
        manifest: &manifest,
        options,
        audit,
    };
    // Each split of the (sorted) list keeps what its previous file left:
    // see `decide::Previous`.
    let verdicts: Vec<Verdict> = sorted
        .par_iter()
        .map_init(decide::Previous::default, |previous, path| {
            decide::decide(&ctx, previous, path)
        })
        .collect();
    let mut out = LookupOutcome::default();
    for (path, verdict) in sorted.into_iter().zip(verdicts) {
        let path = path.to_vec();
        match verdict {
            Verdict::Modified => out.modified.push(path),
            Verdict::Deleted => out.deleted.push(path),
            Verdict::Clean => out.clean.push(path),
            Verdict::Fixup(f) => out.fixup.push((path, f)),
            Verdict::Undecided(why) => out.undecided.push((path, why)),
        }
    }
    Ok(out)
}
