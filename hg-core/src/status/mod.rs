//! `hg status`: the parallel working-copy walk.
//!
//! [`status`] computes what Mercurial 6.9.5's `dirstate.status` computes
//! (the lists of `dirstate._rust_status`'s 12-tuple), following the Python
//! implementation's observable rules exactly (see [`walk`] for how), but
//! reading directories in parallel through open descriptors and skipping
//! directories whose dirstate-v2 cached mtime proves them unchanged.
//!
//! The walk only reads the dirstate; the v2 cache changes it wants are
//! returned in the outcome and applied with [`apply_cache_updates`], so the
//! caller can release the map borrow (and convert results) in between.

mod classify;
mod empty_dirs;
mod explicit;
pub mod fs;
mod outcome;
pub mod pathto;
mod tree;
mod walk;
mod watched;

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::dirstate::{DirstateMap, TruncatedTimestamp};
use crate::matchers::Matcher;

pub use classify::{classify, Rules, Verdict};
pub use outcome::{BadReason, Counters, StatusOutcome};
pub use walk::CachePolicy;
pub use watched::status_of_paths;

/// The switches of `dirstate.status` that change what is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusOptions {
    /// `dirstate._checkexec`: the file system keeps exec bits.
    pub check_exec: bool,
    /// List clean files.
    pub list_clean: bool,
    /// List ignored files (all directories are then entered).
    pub list_ignored: bool,
    /// List unknown files (non-ignored directories are then entered).
    pub list_unknown: bool,
    /// Report traversed directories (`match.traversedir` is set).
    pub collect_traversed_dirs: bool,
    /// Compute [`StatusOutcome::empty_dirs`], the directories `hg purge`
    /// removes (Mercurial 7.2 asks for them instead of traversed ones, and
    /// takes them on trust). It costs a second pass over the working copy
    /// (see `empty_dirs.rs`), so only purge turns it on: a plain `hg status`
    /// does no extra work.
    pub collect_empty_dirs: bool,
    /// Mercurial 7.2's `empty_dirs_keep_files` (`hg purge --dirs`, files are
    /// not removed): an untracked file then keeps its directory, which
    /// will not become empty.
    pub empty_dirs_keep_files: bool,
    /// The matcher's `prefix()`: only literal paths, no patterns. With
    /// explicit files only, Mercurial then skips looking at other dirstate
    /// entries (its "step 3").
    pub matcher_is_prefix: bool,
}

/// Failures that stop the walk; the binding turns them into a fallback to
/// Mercurial's own implementation, so none of them produces wrong output.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// An I/O error Mercurial itself would not survive or would handle in a
    /// way we do not reproduce.
    #[error("I/O error on {}: {source}", String::from_utf8_lossy(.path))]
    Io {
        /// The repo-relative path concerned.
        path: Vec<u8>,
        /// The OS error.
        source: std::io::Error,
    },
    /// The repository root cannot be opened.
    #[error("cannot open the repository root: {0}")]
    Root(std::io::Error),
    /// [`status_of_paths`] cannot answer this question from a list of
    /// paths; the caller walks the working copy instead.
    #[error("needs a full walk: {0}")]
    NeedsWalk(&'static str),
}

/// The ignore predicate: `dirstate._ignore` (a path, no ancestor check).
pub type IgnoreFn<'a> = &'a (dyn Fn(&[u8]) -> bool + Sync);

/// Computes the status of the working copy at `root` against `dmap`.
///
/// `ignore` is only called when unknown or ignored files are listed or an
/// explicit untracked path has to be classified. `patterns_changed` tells
/// whether the ignore patterns differ from those the v2 cache was recorded
/// with (`None`: not known in this run, the cache is then neither read nor
/// recorded).
pub fn status<'a>(
    dmap: &'a DirstateMap,
    matcher: &dyn Matcher,
    root: &Path,
    ignore: IgnoreFn<'_>,
    opts: StatusOptions,
    patterns_changed: Option<bool>,
) -> Result<StatusOutcome<'a>, StatusError> {
    let boundary = fs_boundary(root);
    let root_fd = fs::open_dir_at(
        libc::AT_FDCWD,
        root.as_os_str().as_encoded_bytes(),
        fs::OpenMode::Read,
    )
    .map_err(StatusError::Root)?;
    let all = dmap.sorted_entries();
    let is_v2 = dmap.v2_uuid().is_some();
    let cache = CachePolicy {
        read: is_v2 && patterns_changed == Some(false) && CACHE_READ_ENABLED,
        record: is_v2 && patterns_changed.is_some() && boundary.is_some(),
        invalidate: is_v2 && patterns_changed == Some(true),
    };
    let w = walk::Walker {
        root: root_fd,
        all: &all.ids,
        at: all.resolver,
        dmap,
        matcher,
        ignore,
        opts,
        rules: Rules {
            check_exec: opts.check_exec,
            boundary,
        },
        cache,
        explicit: HashSet::new(),
        explicit_parents: HashSet::new(),
        starts: HashSet::new(),
        out: Mutex::new(StatusOutcome::default()),
        copied: if dmap.copy_map_len() > 0 {
            dmap.copy_map_iter().map(|(dest, _)| dest).collect()
        } else {
            HashSet::new()
        },
        dirs_read: AtomicUsize::new(0),
        stated: AtomicUsize::new(0),
        from_cache: AtomicUsize::new(0),
        ignore_consulted: AtomicBool::new(false),
    };
    let w = explicit::run(w)?;
    let mut counters = w.counters();
    let purge = opts
        .collect_empty_dirs
        .then(|| empty_dirs::collect(&w.root, w.at, w.all, matcher, ignore, opts));
    let ignore_consulted = w.ignore_consulted.load(Ordering::Relaxed);
    let mut out = w.out.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = purge {
        // A second pass of its own (see `empty_dirs`): its reads count too.
        counters.dirs_read += found.dirs_read;
        counters.entries_stated += found.stated;
        out.empty_dirs = found.dirs;
    }
    out.counters = counters;
    out.ignore_consulted = ignore_consulted;
    if cache.invalidate {
        // Cached mtimes of directories this run did not visit were computed
        // with the old patterns too.
        let seen: HashSet<Vec<u8>> = out.cache_updates.iter().map(|(p, _)| p.clone()).collect();
        for (d, _) in dmap.cached_directories() {
            if !seen.contains(d) {
                out.cache_updates.push((d.to_vec(), None));
            }
        }
    }
    out.dirty = is_v2 && (patterns_changed == Some(true) || !out.cache_updates.is_empty());
    Ok(out)
}

/// The file system's "now" when status starts (the mtime of a file just
/// written in `.hg`): mtimes at or after it are ambiguous. `None` when it
/// cannot be measured (read-only `.hg`).
fn fs_boundary(root: &Path) -> Option<TruncatedTimestamp> {
    fs::fs_now(&root.join(".hg"))
        .ok()
        .map(|st| TruncatedTimestamp::from_seconds_and_nanos(st.mtime_s, st.mtime_ns as i64))
}

/// Whether a current cached directory mtime lets the walk skip `readdir`.
/// Sound because `DirstateMap` forgets a directory's cache (and its
/// ancestors') when an entry below it is dropped, so a file that stops being
/// tracked is seen again as unknown.
pub const CACHE_READ_ENABLED: bool = true;

/// Applies the directory-cache changes of an outcome to the map (after the
/// outcome's borrow of the map has ended).
pub fn apply_cache_updates(
    dmap: &mut DirstateMap,
    updates: Vec<(Vec<u8>, Option<crate::dirstate::CachedDirectory>)>,
) {
    for (dir, c) in updates {
        dmap.set_cached_directory(&dir, c);
    }
}
