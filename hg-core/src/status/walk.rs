//! The parallel working-copy walk.
//!
//! It reproduces the observable behaviour of Mercurial 6.9.5's
//! `dirstate.walk` + `dirstate.status` (Python and C), which decides which
//! files get looked at in three steps:
//!
//! 1. explicit paths of the matcher (`_walkexplicit`): `lstat` each one;
//! 2. if unknown or ignored files are listed, read directories from the
//!    explicit directories (or the root), not entering ignored ones
//!    (unless ignored files are listed) nor nested repositories;
//! 3. every matching dirstate entry not seen yet is `lstat`ed on its own;
//!    when unknown files are listed, entries below a symlink or a nested
//!    repository count as missing (`pathauditor`). Entries below a symlink
//!    count as missing even when unknown files are not listed: there Python
//!    follows the link and later aborts reading the file, and upstream's
//!    Rust status (whose answer test-status.t pins, issue6335) says missing.
//!
//! Instead of Python's dictionary of results, each path is classified the
//! moment it is first seen (a path is seen by exactly one step). Directories
//! are processed in parallel with rayon, each through one open descriptor;
//! the dirstate side of a directory is a sub-slice of the sorted entries.

use std::collections::HashSet;
use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::dirstate::{CachedDirectory, DirstateMap, EntryResolver, TruncatedTimestamp};
use crate::matchers::{Matcher, VisitChildrenSet};

use super::classify::{classify, Rules, Verdict};
use super::fs::{
    self, d_type_kind, kind_d_type, Fd, Listing, OpenMode, Stat, S_IFDIR, S_IFLNK, S_IFREG,
};
use super::outcome::{BadReason, Counters, StatusOutcome};
use super::tree::{self, Child, Item};
use super::{StatusError, StatusOptions};

/// Whether the v2 directory cache may be read and/or recorded in this run.
#[derive(Clone, Copy, Debug, Default)]
pub struct CachePolicy {
    /// Directories whose cached mtime is still current are not read again.
    pub read: bool,
    /// Fully known directories get their mtime recorded.
    pub record: bool,
    /// The ignore patterns changed: every cached mtime met is outdated.
    pub invalidate: bool,
}

/// Everything the walk needs, borrowed for its duration.
pub struct Walker<'s, 'a> {
    pub(super) root: Fd,
    pub(super) all: &'s [Item],
    /// Reads the paths and entries behind `all`'s ids.
    pub(super) at: EntryResolver<'a>,
    pub(super) dmap: &'a DirstateMap,
    pub(super) matcher: &'s dyn Matcher,
    pub(super) ignore: &'s (dyn Fn(&[u8]) -> bool + Sync),
    pub(super) opts: StatusOptions,
    pub(super) rules: Rules,
    pub(super) cache: CachePolicy,
    /// Paths already decided by the explicit step (plus `.hg`).
    pub(super) explicit: HashSet<Vec<u8>>,
    /// The directories directly holding a path of `explicit` (the root's
    /// `.hg` sentinel aside): only their listings are checked against it,
    /// so a plain `hg status` builds and hashes no path per entry.
    pub(super) explicit_parents: HashSet<Vec<u8>>,
    /// Directories traversed on their own (explicit directories).
    pub(super) starts: HashSet<Vec<u8>>,
    pub(super) out: Mutex<StatusOutcome<'a>>,
    /// Copy destinations, gathered once: a map read in place would
    /// otherwise search its tree for every file decided.
    pub(super) copied: HashSet<&'a [u8]>,
    pub(super) dirs_read: AtomicUsize,
    pub(super) stated: AtomicUsize,
    pub(super) from_cache: AtomicUsize,
    /// An untracked file was classified with the ignore patterns.
    pub(super) ignore_consulted: AtomicBool,
}

/// How one directory's dirstate entries are found on disk when the
/// directory is not listed (step 3).
#[derive(Clone, Copy)]
enum Anchor<'f> {
    /// `fstatat` relative to this directory.
    Dir(&'f Fd),
    /// Everything below is missing (or audited away).
    Dead,
}

/// Results gathered while handling one directory, merged once at its end.
type Local<'a> = StatusOutcome<'a>;

impl<'s, 'a> Walker<'s, 'a> {
    pub(super) fn counters(&self) -> Counters {
        Counters {
            dirs_read: self.dirs_read.load(Ordering::Relaxed),
            entries_stated: self.stated.load(Ordering::Relaxed),
            dirs_from_cache: self.from_cache.load(Ordering::Relaxed),
        }
    }

    fn stat_at(&self, dir: RawFd, name: &[u8], follow: bool) -> io::Result<Stat> {
        self.stated.fetch_add(1, Ordering::Relaxed);
        fs::stat_at(dir, name, follow)
    }

    pub(super) fn flush(&self, local: Local<'a>) {
        let mut out = match self.out.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        out.absorb(local);
    }

    /// Records the verdict for a dirstate entry.
    pub(super) fn decide(&self, local: &mut Local<'a>, item: Item, st: Option<&Stat>) {
        let (path, Some(entry)) = (self.at.path(item), self.at.entry(item)) else {
            return;
        };
        let has_copy = !self.copied.is_empty() && self.copied.contains(path);
        match classify(&entry, st, has_copy, &self.rules) {
            Verdict::Lookup => local.lookup.push(path),
            Verdict::Modified => local.modified.push(path),
            Verdict::Added => local.added.push(path),
            Verdict::Removed => local.removed.push(path),
            Verdict::Deleted => local.deleted.push(path),
            Verdict::Clean if self.opts.list_clean => local.clean.push(path),
            Verdict::Clean | Verdict::Nothing => {}
        }
    }

    /// `ignore(path)` as the traversal uses it: never when ignored files are
    /// listed (everything is walked), always when neither unknown nor
    /// ignored files are.
    fn walk_ignores(&self, path: &[u8]) -> bool {
        if self.opts.list_ignored {
            false
        } else if self.opts.list_unknown {
            (self.ignore)(path)
        } else {
            true
        }
    }

    /// `dirstate._dirignore`: the path or one of its directories is ignored.
    pub(super) fn dir_ignore(&self, path: &[u8]) -> bool {
        (self.ignore)(path) || self.dir_ignore_ancestors(path)
    }

    /// Whether a directory strictly above `path` is ignored.
    pub(super) fn dir_ignore_ancestors(&self, path: &[u8]) -> bool {
        path.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .any(|(i, _)| (self.ignore)(&path[..i]))
    }

    /// A file on disk with no dirstate entry: unknown, ignored, or nothing.
    /// `dir_ignored` says whether an enclosing directory is ignored.
    pub(super) fn decide_untracked(&self, local: &mut Local<'a>, path: Vec<u8>, dir_ignored: bool) {
        let check = self.opts.list_ignored || self.matcher.exact_match(&path);
        if check {
            self.ignore_consulted.store(true, Ordering::Relaxed);
        }
        if check && (dir_ignored || (self.ignore)(&path)) {
            if self.opts.list_ignored {
                local.ignored.push(path);
            }
        } else if self.opts.list_unknown {
            local.unknown.push(path);
        }
    }

    fn visit_allows(set: &VisitChildrenSet, name: &[u8]) -> bool {
        match set {
            VisitChildrenSet::Set(s) => s.contains(name),
            VisitChildrenSet::Empty => false,
            _ => true,
        }
    }

    /// Step 2 on directory `dir`, open as `fd`; `sub` are its dirstate
    /// entries; `dir_ignored` tells whether `dir` or an ancestor is ignored
    /// (only meaningful when ignored files are listed).
    pub(super) fn traverse(
        &self,
        dir: &[u8],
        fd: &Fd,
        sub: &'s [Item],
        dir_ignored: bool,
    ) -> Result<(), StatusError> {
        let vcs = self.matcher.visit_children_set(dir);
        if vcs.is_empty() {
            // Python skips the listing; the entries are step 3's.
            return self.step3_dir(dir, Anchor::Dir(fd), sub, false);
        }
        let prefix_len = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let kids = tree::children(self.at, sub, prefix_len);
        let cached = if dir.is_empty() {
            None
        } else {
            self.dmap.cached_directory(dir)
        };
        let cache_stale = cached.is_some() && self.cache.invalidate;
        let dir_stat = fs::stat_fd(fd.raw()).ok();
        let mut synthetic_stats: Option<Vec<Option<Stat>>> = None;
        let listing = match self.cached_listing(fd, cached, cache_stale, dir_stat.as_ref(), &kids) {
            Some((l, stats)) => {
                self.from_cache.fetch_add(1, Ordering::Relaxed);
                synthetic_stats = Some(stats);
                l
            }
            None => match fs::read_dir(fd) {
                Ok(l) => {
                    self.dirs_read.fetch_add(1, Ordering::Relaxed);
                    l
                }
                Err(e) => {
                    return self.unreadable_dir(dir, e, sub);
                }
            },
        };
        let listed_cache = synthetic_stats.is_some();
        let mut local = Local::default();
        if cache_stale && !listed_cache {
            local.cache_updates.push((dir.to_vec(), None));
        }

        // A `.hg` directory below the root means a nested repository: its
        // listing is empty, as `osutil.listdir(skip='.hg')` returns.
        if !dir.is_empty() {
            let nested = (0..listing.len()).any(|i| {
                let (name, dt) = listing.get(i);
                name == b".hg" && self.kind_of(fd, name, dt) == Some(S_IFDIR)
            });
            if nested {
                self.flush(local);
                return self.step3_dir(dir, Anchor::Dir(fd), sub, self.opts.list_unknown);
            }
        }

        let check_explicit = self.explicit_parents.contains(dir);
        let mut all_known = true;
        let mut subdirs: Vec<(Vec<u8>, &'s [Item], bool)> = Vec::new();
        let mut step3_children: Vec<Child<'s, 'a>> = Vec::new();
        let (mut i, mut j) = (0usize, 0usize);
        while i < listing.len() || j < kids.len() {
            let fs_name = (i < listing.len()).then(|| listing.get(i).0);
            let dm_name = kids.get(j).map(|c| c.name);
            let (fs_entry, child) = match (fs_name, dm_name) {
                (Some(f), Some(d)) if f == d => {
                    i += 1;
                    j += 1;
                    (Some(i - 1), Some(kids[j - 1]))
                }
                (Some(f), Some(d)) if f < d => {
                    i += 1;
                    (Some(i - 1), None)
                }
                (Some(_), None) => {
                    i += 1;
                    (Some(i - 1), None)
                }
                _ => {
                    j += 1;
                    (None, Some(kids[j - 1]))
                }
            };
            let name = match (fs_entry, child) {
                (Some(k), _) => listing.get(k).0,
                (None, Some(c)) => c.name,
                (None, None) => continue,
            };
            if dir.is_empty() && name == b".hg" {
                // The repository's own `.hg` is a sentinel in Python's results.
                if let Some(c) = child {
                    step3_children.push(c);
                }
                continue;
            }
            if !Self::visit_allows(&vcs, name) {
                all_known = false;
                if let Some(c) = child {
                    step3_children.push(c);
                }
                continue;
            }
            let fs_entry = match fs_entry {
                Some(k) => k,
                None => {
                    // In the dirstate, not on disk: step 3 finds it missing.
                    if let Some(c) = child {
                        step3_children.push(c);
                    }
                    continue;
                }
            };
            // The full path is only built when needed: tracked files use the
            // dirstate's own copy of their path.
            let nf = || tree::join(dir, name);
            if check_explicit && self.explicit.contains(&nf()) {
                all_known = false;
                if let Some(c) = child {
                    if !c.sub.is_empty() {
                        step3_children.push(Child { file: None, ..c });
                    }
                }
                continue;
            }
            let (_, dt) = listing.get(fs_entry);
            let pre_stat = synthetic_stats.as_ref().and_then(|s| s[fs_entry]);
            let kind = match pre_stat {
                Some(st) => Some(st.kind()),
                None => self.kind_of(fd, name, dt),
            };
            let kind = match kind {
                Some(k) => k,
                None => {
                    // Vanished since readdir: not there.
                    if let Some(c) = child {
                        step3_children.push(c);
                    }
                    continue;
                }
            };
            let file = child.and_then(|c| c.file);
            let sub_of = child.map(|c| c.sub).unwrap_or(&[]);
            match kind {
                S_IFDIR => {
                    let nf = nf();
                    if !self.walk_ignores(&nf) {
                        if self.opts.collect_traversed_dirs {
                            local.traversed.push(nf.clone());
                        }
                        let child_ignored =
                            self.opts.list_ignored && (dir_ignored || (self.ignore)(&nf));
                        if child.is_none() && self.cache.record && !child_ignored {
                            all_known = false;
                        }
                        subdirs.push((nf.clone(), sub_of, child_ignored));
                    } else if let Some(c) = child.filter(|c| !c.sub.is_empty()) {
                        step3_children.push(Child { file: None, ..c });
                    }
                    if let Some(item) = file {
                        if self.matcher.matches(self.at.path(item)) {
                            self.decide(&mut local, item, None);
                        }
                    }
                }
                S_IFREG | S_IFLNK => {
                    if let Some(item) = file {
                        if self.matcher.matches(self.at.path(item)) {
                            let st = match pre_stat {
                                Some(st) => Some(st),
                                None => match self.stat_at(fd.raw(), name, false) {
                                    Ok(st) => Some(st),
                                    Err(e) if e.raw_os_error() == Some(libc::ENOENT) => None,
                                    Err(e) => {
                                        return Err(StatusError::Io {
                                            path: self.at.path(item).to_vec(),
                                            source: e,
                                        })
                                    }
                                },
                            };
                            // Mercurial's C listdir stat has no nanoseconds.
                            let st = st.map(|s| Stat { mtime_ns: 0, ..s });
                            self.decide(&mut local, item, st.as_ref());
                        }
                    } else {
                        let nf = nf();
                        if !self.matcher.matches(&nf) {
                            all_known = false;
                        } else if !self.walk_ignores(&nf) {
                            let was_ignored =
                                self.opts.list_ignored && (dir_ignored || (self.ignore)(&nf));
                            if !was_ignored {
                                all_known = false;
                            }
                            self.decide_untracked(&mut local, nf, dir_ignored);
                        }
                        // else: ignored (not listed), fine for the cache
                    }
                    if let Some(c) = child.filter(|c| !c.sub.is_empty()) {
                        step3_children.push(Child { file: None, ..c });
                    }
                }
                _ => {
                    if let Some(item) = file {
                        if self.matcher.matches(self.at.path(item)) {
                            self.decide(&mut local, item, None);
                        }
                    }
                    if let Some(c) = child.filter(|c| !c.sub.is_empty()) {
                        step3_children.push(Child { file: None, ..c });
                    }
                }
            }
        }

        // Only directories the dirstate already has a node for get a cached
        // mtime (upstream never adds nodes for untracked directories).
        let has_node = !sub.is_empty() || cached.is_some();
        if self.cache.record && !listed_cache && !dir.is_empty() {
            if all_known && has_node {
                self.record_cache(&mut local, dir, cached, cache_stale, dir_stat.as_ref());
            } else if cached.is_some() && !cache_stale {
                // Whatever was recorded no longer describes this directory.
                local.cache_updates.push((dir.to_vec(), None));
            }
        }
        self.flush(local);

        // Dirstate-only children (missing, under files, ignored directories…)
        let step3 = step3_children
            .into_par_iter()
            .map(|c| self.step3_child(dir, fd, c));
        let walk = subdirs.into_par_iter().map(|(nf, sub, ign)| {
            let name = &nf[prefix_len..];
            match fs::open_dir_at(fd.raw(), name, OpenMode::ReadNoFollow) {
                Ok(cfd) => self.traverse(&nf, &cfd, sub, ign),
                Err(e) => self.unreadable_dir(&nf, e, sub),
            }
        });
        step3
            .chain(walk)
            .collect::<Result<Vec<()>, StatusError>>()?;
        Ok(())
    }

    /// A directory Python's `listdir` would fail on: warn like Mercurial
    /// (permission denied, vanished). Its tracked files count as missing
    /// without being looked at, as upstream's Rust status reports them and
    /// test-status-eacces.t pins for Rust (`! d1/x`); Python/C would `lstat`
    /// each one instead and find it clean.
    pub(super) fn unreadable_dir(
        &self,
        dir: &[u8],
        e: io::Error,
        sub: &'s [Item],
    ) -> Result<(), StatusError> {
        let errno = e.raw_os_error().unwrap_or(0);
        if errno != libc::EACCES && errno != libc::ENOENT && errno != libc::EPERM {
            return Err(StatusError::Io {
                path: dir.to_vec(),
                source: e,
            });
        }
        let mut local = Local::default();
        local.bad.push((dir.to_vec(), BadReason::Unreadable(errno)));
        self.flush(local);
        self.step3_dir(dir, Anchor::Dead, sub, false)
    }

    fn kind_of(&self, fd: &Fd, name: &[u8], d_type: u8) -> Option<u32> {
        match d_type_kind(d_type) {
            Some(k) => Some(k),
            None => self.stat_at(fd.raw(), name, false).ok().map(|s| s.kind()),
        }
    }

    /// When `dir`'s cached mtime is current, its listing is its dirstate
    /// children that still exist (plus ignored names, which do not matter
    /// when ignored files are not listed).
    fn cached_listing(
        &self,
        fd: &Fd,
        cached: Option<CachedDirectory>,
        stale: bool,
        dir_stat: Option<&Stat>,
        kids: &[Child<'s, 'a>],
    ) -> Option<(Listing, Vec<Option<Stat>>)> {
        let c = cached?;
        if !self.cache.read || stale || !c.all_unknown_recorded || self.opts.list_ignored {
            return None;
        }
        let st = dir_stat?;
        let now = TruncatedTimestamp::from_seconds_and_nanos(st.mtime_s, st.mtime_ns as i64);
        if !c.mtime.likely_equal(&now) {
            return None;
        }
        // No `.hg` check: creating a nested repository's `.hg` here would
        // have changed this directory's mtime, like any new entry.
        let mut listing = Listing::default();
        let mut stats = Vec::with_capacity(kids.len());
        for k in kids {
            if let Ok(st) = self.stat_at(fd.raw(), k.name, false) {
                listing.push(k.name, kind_d_type(st.kind()));
                stats.push(Some(st));
            }
        }
        Some((listing, stats))
    }

    fn record_cache(
        &self,
        local: &mut Local<'a>,
        dir: &[u8],
        cached: Option<CachedDirectory>,
        stale: bool,
        dir_stat: Option<&Stat>,
    ) {
        let (Some(boundary), Some(st)) = (self.rules.boundary, dir_stat) else {
            return;
        };
        let mtime = TruncatedTimestamp::from_seconds_and_nanos(st.mtime_s, st.mtime_ns as i64);
        let Some(reliable) = mtime.make_reliable(&boundary) else {
            return;
        };
        let up_to_date = !stale
            && cached.is_some_and(|c| c.all_unknown_recorded && c.mtime.likely_equal(&reliable));
        if !up_to_date {
            local.cache_updates.push((
                dir.to_vec(),
                Some(CachedDirectory {
                    mtime: reliable,
                    all_unknown_recorded: true,
                    all_ignored_recorded: false,
                }),
            ));
        }
    }

    /// Step 3 for dirstate child `c` of a listed directory `dir` (open as
    /// `fd`): its own entry is missing or replaced, its subtree is looked up
    /// path by path.
    fn step3_child(&self, dir: &[u8], fd: &Fd, c: Child<'s, 'a>) -> Result<(), StatusError> {
        if let Some(item) = c.file {
            let file = self.at.path(item);
            if self.matcher.matches(file) && !self.is_explicit(file) {
                let st = self.lookup_file(Anchor::Dir(fd), c.name);
                let mut local = Local::default();
                self.decide(&mut local, item, st.as_ref());
                self.flush(local);
            }
        }
        if c.sub.is_empty() {
            return Ok(());
        }
        let path = tree::join(dir, c.name);
        self.step3_subdir(Anchor::Dir(fd), &path, c.name, c.sub)
    }

    fn is_explicit(&self, path: &[u8]) -> bool {
        !self.explicit.is_empty() && self.explicit.contains(path)
    }

    /// `lstat` of a dirstate file that was not listed, as Python's step 3
    /// does it: a plain `os.lstat` (any type, with nanoseconds) when
    /// unknown files are listed, else `osutil.statfiles` (files and
    /// symlinks only, no nanoseconds).
    fn lookup_file(&self, anchor: Anchor<'_>, name: &[u8]) -> Option<Stat> {
        let Anchor::Dir(fd) = anchor else {
            return None;
        };
        let st = self.stat_at(fd.raw(), name, false).ok()?;
        if self.opts.list_unknown {
            Some(st)
        } else if st.is_file_or_link() {
            Some(Stat { mtime_ns: 0, ..st })
        } else {
            None
        }
    }

    /// Step 3 into subdirectory `name` of `parent`, auditing it like
    /// `pathauditor` when unknown files are listed.
    fn step3_subdir(
        &self,
        parent: Anchor<'_>,
        path: &[u8],
        name: &[u8],
        sub: &'s [Item],
    ) -> Result<(), StatusError> {
        if self.starts.contains(path) {
            return Ok(());
        }
        let Anchor::Dir(pfd) = parent else {
            return self.step3_dir(path, Anchor::Dead, sub, false);
        };
        if self.opts.list_unknown {
            let alive = match self.stat_at(pfd.raw(), name, false) {
                Ok(st) if st.kind() == S_IFLNK => false,
                Ok(st) if st.kind() == S_IFDIR => true,
                Ok(_) => false, // a file: everything below fails with ENOTDIR
                Err(_) => false,
            };
            if !alive {
                return self.step3_dir(path, Anchor::Dead, sub, false);
            }
            match fs::open_dir_at(pfd.raw(), name, OpenMode::Anchor) {
                Ok(fd) => {
                    let nested = self
                        .stat_at(fd.raw(), b".hg", true)
                        .is_ok_and(|s| s.kind() == S_IFDIR);
                    let anchor = if nested {
                        Anchor::Dead
                    } else {
                        Anchor::Dir(&fd)
                    };
                    self.step3_dir(path, anchor, sub, false)
                }
                Err(_) => self.step3_dir(path, Anchor::Dead, sub, false),
            }
        } else {
            // A tracked directory replaced by a symlink: everything below is
            // missing, as upstream's Rust status says (issue6335 in
            // test-status.t). Python/C would follow the link and then abort in
            // `pathauditor` when reading a file through it.
            match fs::open_dir_at(pfd.raw(), name, OpenMode::AnchorNoFollow) {
                Ok(fd) => self.step3_dir(path, Anchor::Dir(&fd), sub, false),
                Err(_) => self.step3_dir(path, Anchor::Dead, sub, false),
            }
        }
    }

    /// Step 3 for all entries under `dir` (which is not listed). `dead`
    /// forces every file below to be missing (failed audit).
    fn step3_dir(
        &self,
        dir: &[u8],
        anchor: Anchor<'_>,
        sub: &'s [Item],
        dead: bool,
    ) -> Result<(), StatusError> {
        let anchor = if dead { Anchor::Dead } else { anchor };
        let vcs = self.matcher.visit_children_set(dir);
        if vcs.is_empty() {
            return Ok(());
        }
        if !dir.is_empty() && self.cache.invalidate && self.dmap.cached_directory(dir).is_some() {
            let mut local = Local::default();
            local.cache_updates.push((dir.to_vec(), None));
            self.flush(local);
        }
        let prefix_len = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let kids = tree::children(self.at, sub, prefix_len);
        let mut local = Local::default();
        let mut subdirs = Vec::new();
        for c in &kids {
            if !Self::visit_allows(&vcs, c.name) {
                continue;
            }
            if let Some(item) = c.file {
                let file = self.at.path(item);
                if self.matcher.matches(file) && !self.is_explicit(file) {
                    let st = self.lookup_file(anchor, c.name);
                    self.decide(&mut local, item, st.as_ref());
                }
            }
            if !c.sub.is_empty() {
                subdirs.push(*c);
            }
        }
        self.flush(local);
        subdirs
            .into_par_iter()
            .map(|c| {
                let path = tree::join(dir, c.name);
                self.step3_subdir(anchor, &path, c.name, c.sub)
            })
            .collect::<Result<Vec<()>, StatusError>>()?;
        Ok(())
    }

    /// Entry point of step 3 over the whole dirstate when the root is not
    /// traversed.
    pub(super) fn step3_root(&self) -> Result<(), StatusError> {
        self.step3_dir(b"", Anchor::Dir(&self.root), self.all, false)
    }
}
