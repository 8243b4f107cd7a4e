//! One file's verdict, step by step as `workingctx._checklookup` and
//! `basefilectx.cmp` take it (Mercurial 6.9 to 7.2 share that code):
//!
//! ```text
//! if f not in p1 or flags(f) != p1.flags(f) or p1[f].cmp(wctx[f]): modified
//! elif mtime_boundary is None: clean
//! elif reliable_mtime_of(lstat(f), mtime_boundary): fixup
//! else: clean
//! (any OSError: deleted)
//!
//! cmp: s = filelog.size(rev); w = lstat(f).st_size
//!      if s - 4 == w or s == w or p1.flags(f) == 'l':
//!          return not filedataequivalent(filelog, node, wread(f))
//!      return True
//! ```
//!
//! One reordering, which cannot change the answer: when `filelog.size`
//! would need the stored text (a revision that may carry a metadata
//! header, e.g. every file's first revision), the working content is read
//! and hashed first. A matching hash proves the stored text is the escaped
//! content, whose size passes Mercurial's size check under either
//! [`super::MetaRule`], so the file is equal without reading the store; only
//! otherwise is the exact size computed (and a failed read counts only if
//! Mercurial would have read).

use std::fs::Metadata;
use std::io;

use super::stored::StoredFile;
use super::working::{self, Opened};
use super::{Context, Fixup, UndecidedReason};
use crate::dirstate::TruncatedTimestamp;
use crate::manifest::{ManifestEntry, ManifestFlags};
use crate::parent_fd::ParentFd;

/// The decision for one file.
#[derive(Debug)]
pub enum Verdict {
    /// Differs from p1 (or is not in it).
    Modified,
    /// Vanished or unreadable on the way (an `OSError` in Python).
    Deleted,
    /// Same as p1; its mtime is not reliable enough to record.
    Clean,
    /// Same as p1, with what to record.
    Fixup(Fixup),
    /// Left to Mercurial.
    Undecided(UndecidedReason),
}

/// How the content comparison ended, when it did not give an answer.
enum Stop {
    Deleted,
    Undecided(UndecidedReason),
}

impl From<UndecidedReason> for Stop {
    fn from(why: UndecidedReason) -> Stop {
        Stop::Undecided(why)
    }
}

/// What a thread of work keeps from the file it decided before: its
/// working directory and its filelog's, kept open (see
/// [`crate::parent_fd`]), where its manifest line ended (files come
/// sorted, so the next one's line is usually the next line), and its
/// directory if the path auditor let it pass.
#[derive(Default)]
pub(crate) struct Previous {
    working: ParentFd,
    store: ParentFd,
    manifest_cursor: usize,
    /// See [`super::audit::Auditor::check`].
    audited_dir: Vec<u8>,
}

/// Decides `path`.
pub(crate) fn decide(ctx: &Context, previous: &mut Previous, path: &[u8]) -> Verdict {
    let Some(entry) = ctx.manifest.get_from(path, &mut previous.manifest_cursor) else {
        return Verdict::Modified;
    };
    let mut opened = working::open(&ctx.root, &mut previous.working, path);
    if working::flags(opened.stat()) != entry.flags {
        return Verdict::Modified;
    }
    match differs(ctx, previous, path, &entry, &mut opened) {
        Ok(true) => return Verdict::Modified,
        Ok(false) => {}
        Err(Stop::Deleted) => return Verdict::Deleted,
        Err(Stop::Undecided(why)) => return Verdict::Undecided(why),
    }
    let Some(boundary) = ctx.options.mtime_boundary else {
        return Verdict::Clean;
    };
    // Python stats the file again here (`wctx[f].lstat()`).
    let Ok(stat) = working::restat(&ctx.root, path, &opened) else {
        return Verdict::Deleted;
    };
    match TruncatedTimestamp::from_stat(&stat).make_reliable(&boundary) {
        Some(mtime) => Verdict::Fixup(Fixup {
            mode: std::os::unix::fs::MetadataExt::mode(&stat),
            size: stat.len(),
            mtime,
        }),
        None => Verdict::Clean,
    }
}

/// The working content, or why it could not be had: `Ok(Err(_))` is an
/// `OSError` (deleted if Mercurial reads), `Err` a refusal of the path
/// auditor (Mercurial aborts).
fn read_working(
    ctx: &Context,
    audited_dir: &mut Vec<u8>,
    path: &[u8],
    opened: &mut Opened,
) -> Result<io::Result<Vec<u8>>, UndecidedReason> {
    let is_link = opened.stat().is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        ctx.audit
            .check(path, audited_dir)
            .map_err(UndecidedReason::Audit)?;
    }
    Ok(working::read(&ctx.root, path, opened))
}

/// Whether Mercurial's size check sends the file to the content comparison.
fn sizes_allow_compare(stored: u64, working: u64, symlink: bool) -> bool {
    stored == working || stored.checked_sub(4) == Some(working) || symlink
}

/// `p1[f].cmp(wctx[f])`: whether the working file differs from `entry`.
fn differs(
    ctx: &Context,
    previous: &mut Previous,
    path: &[u8],
    entry: &ManifestEntry,
    opened: &mut Opened,
) -> Result<bool, Stop> {
    let stored = StoredFile::open(
        ctx.store,
        &mut previous.store,
        path,
        entry.node,
        ctx.options.meta_rule,
    )?;
    let symlink = entry.flags == ManifestFlags::Symlink;
    let stat_len = opened.stat().ok().map(Metadata::len);
    let mut content = None;
    let size = match stored.size_from_index()? {
        Some(size) => size,
        None => {
            if let Some(len) = stat_len {
                // Hash first (see the module docs); the read may be refused
                // or fail, then the exact path below decides.
                if let Ok(read) = read_working(ctx, &mut previous.audited_dir, path, opened) {
                    if let Ok(data) = &read {
                        let plain_size = symlink || data.len() as u64 == len;
                        if plain_size && stored.raw_size_fits(data)? && stored.hash_matches(data)? {
                            return Ok(false);
                        }
                    }
                    content = Some(read);
                }
            }
            stored.size()?
        }
    };
    // `fctx.size()`: an `OSError` from `lstat` means deleted.
    let Some(len) = stat_len else {
        return Err(Stop::Deleted);
    };
    if !sizes_allow_compare(size, len, symlink) {
        return Ok(true);
    }
    let data = match content {
        Some(read) => read,
        None => read_working(ctx, &mut previous.audited_dir, path, opened)?,
    };
    let Ok(data) = data else {
        return Err(Stop::Deleted);
    };
    Ok(!stored.equivalent(&data)?)
}
