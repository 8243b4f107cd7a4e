//! `StatusOutcome::empty_dirs`: the directories Mercurial 7.2's `hg purge`
//! removes, exactly as upstream Mercurial 7.2.4's Rust status computes them.
//!
//! `hg purge` takes this list on trust: it prints and `rmdir`s every listed
//! directory without looking at it again, so it must be upstream's list, no
//! more, no less. Upstream computes it as a by-product of its own walk
//! (`RecursiveResponse::subtree_will_be_purged` in
//! `rust/hg-core/src/dirstate/status.rs`), whose shape differs from ours: it
//! always starts at the root and prunes with `visit_children_set` only (no
//! explicit step), reads untracked directories it does not list (to spot
//! nested repositories), and never reads a directory with tracked files when
//! neither unknown nor ignored files are listed. Rather than bend our walk
//! into that shape (and pay for it on every `hg status`), this module is a
//! second, read-only pass that mirrors upstream's recursion rule for rule.
//! It only runs when [`super::StatusOptions::collect_empty_dirs`] is set,
//! which only `hg purge` asks for.
//!
//! The rules, for a directory `D` other than the root (the root is never
//! listed): `D` is listed iff its subtree will be purged and the matcher
//! matches `D`. "Will be purged" is:
//!
//! - `D` has dirstate entries below it: true if `visit_children_set(D)` is
//!   empty; false, without reading `D`, if neither unknown nor ignored files
//!   are listed (`D`'s tracked subdirectories are still evaluated); else the
//!   AND over `D`'s children of: false for a child `visit_children_set`
//!   excludes, true for a child only in the dirstate, the rule of the child
//!   for a child on disk and in the dirstate (a directory recurses; a matched
//!   file or symlink with an entry: false, even marked removed; a matched
//!   file or symlink where the dirstate has a directory: the untracked file
//!   rule; anything else: false), the untracked rule below for a child only
//!   on disk; and
//!   false if `D` holds a `.hg` directory (nested repository). An unreadable
//!   `D` counts as having no children on disk.
//! - `D` is untracked: it is ignored if it or a directory above it is. If
//!   `D` is ignored and ignored files are not listed: false (upstream still
//!   reads it, to spot a nested repository, but nothing it can find there
//!   changes that answer, so this pass does not). Otherwise, if `D` cannot
//!   be read: true; if it holds a `.hg` directory: false; else the AND over
//!   its children (no `visit_children_set` pruning there).
//! - an untracked file or symlink: false unless matched; matched, true if
//!   its kind (ignored or unknown) is listed and files are removed
//!   ([`super::StatusOptions::empty_dirs_keep_files`] is off). Other file
//!   types (fifo, socket…): whether ignored files are listed.
//!
//! Four deliberate differences, each where upstream's list makes `hg purge`
//! do what Mercurial's C build does not. A file marked removed but still on
//! disk (`hg forget`) stays, and so does its directory. A file standing where the dirstate
//! has only a directory is purged like any untracked file (upstream keeps
//! its parent directory). A directory that is not listed (the matcher
//! does not match it) counts as staying for its parent, as it does for
//! Mercurial's C build; upstream lets its parent be listed, and `rmdir` of
//! that parent then fails (found by tests/test_purge_diff.py, `-X` of an
//! empty directory). And upstream answers false for a tracked
//! directory whose dirstate-v2 cached mtime let it skip `readdir`, so its
//! list depends on the cache's history. This pass never uses the cache and
//! gives the answer upstream gives when the directory is read.

use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;

use crate::matchers::{Matcher, VisitChildrenSet};

use super::fs::{self, d_type_kind, Fd, OpenMode, S_IFDIR, S_IFLNK, S_IFREG};
use super::tree::{self, Child, Item};
use super::{IgnoreFn, StatusOptions};
use crate::dirstate::EntryResolver;

/// What the pass found and what it cost.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// Directories to list, repo-relative, unsorted.
    pub(super) dirs: Vec<Vec<u8>>,
    /// Directories listed with `readdir`.
    pub(super) dirs_read: usize,
    /// `fstatat` calls.
    pub(super) stated: usize,
}

/// Computes the purge list for the working copy open as `root`, whose
/// sorted dirstate entries are `all`.
pub(super) fn collect(
    root: &Fd,
    at: EntryResolver<'_>,
    all: &[Item],
    matcher: &dyn Matcher,
    ignore: IgnoreFn<'_>,
    opts: StatusOptions,
) -> Found {
    let pass = Pass {
        at,
        matcher,
        ignore,
        list_unknown: opts.list_unknown,
        list_ignored: opts.list_ignored,
        keep_files: opts.empty_dirs_keep_files,
        found: Mutex::new(Vec::new()),
        dirs_read: AtomicUsize::new(0),
        stated: AtomicUsize::new(0),
    };
    let top = IgnoredAbove::root();
    // The root's own answer is never used: the root is never removed.
    let _ = pass.tracked_dir(b"", Some(root), all, &top);
    Found {
        dirs: pass.found.into_inner().unwrap_or_else(|p| p.into_inner()),
        dirs_read: pass.dirs_read.into_inner(),
        stated: pass.stated.into_inner(),
    }
}

/// Whether a directory or one above it (the root excluded) is ignored,
/// computed at most once per directory and only when an untracked child
/// needs it, as upstream's `HasIgnoredAncestor` does.
struct IgnoredAbove<'p> {
    path: &'p [u8],
    parent: Option<&'p IgnoredAbove<'p>>,
    value: OnceLock<bool>,
}

impl<'p> IgnoredAbove<'p> {
    fn root() -> Self {
        IgnoredAbove {
            path: b"",
            parent: None,
            value: OnceLock::new(),
        }
    }

    fn child(parent: &'p IgnoredAbove<'p>, path: &'p [u8]) -> Self {
        IgnoredAbove {
            path,
            parent: Some(parent),
            value: OnceLock::new(),
        }
    }

    fn get(&self, ignore: IgnoreFn<'_>) -> bool {
        match self.parent {
            None => false,
            Some(p) => *self
                .value
                .get_or_init(|| p.get(ignore) || ignore(self.path)),
        }
    }
}

/// A directory's entries on disk, as upstream's `DirEntry::read_dir` sees
/// them: names with their file type (`S_IFMT` bits), sorted.
enum Listing {
    /// A `.hg` directory below the root: a nested repository.
    NestedRepo,
    Entries(Vec<(Vec<u8>, u32)>),
}

struct Pass<'s> {
    /// Reads the paths and entries behind the sorted ids.
    at: EntryResolver<'s>,
    matcher: &'s dyn Matcher,
    ignore: IgnoreFn<'s>,
    list_unknown: bool,
    list_ignored: bool,
    keep_files: bool,
    found: Mutex<Vec<Vec<u8>>>,
    dirs_read: AtomicUsize,
    stated: AtomicUsize,
}

/// One name of a directory with dirstate entries, from the merge of the
/// dirstate's children and the directory's listing.
enum Pair<'c, 's, 'a> {
    /// In the dirstate and on disk (with its type).
    Both(&'c Child<'s, 'a>, u32),
    /// Only in the dirstate.
    Left(&'c Child<'s, 'a>),
    /// Only on disk.
    Right(&'c [u8], u32),
}

impl Pair<'_, '_, '_> {
    fn name(&self) -> &[u8] {
        match self {
            Pair::Both(c, _) | Pair::Left(c) => c.name,
            Pair::Right(n, _) => n,
        }
    }
}

/// AND over all items, evaluating every one of them (each may list
/// directories below it), in parallel.
fn all_of<T: Sync>(items: &[T], f: impl Fn(&T) -> bool + Sync + Send) -> bool {
    items.par_iter().map(f).reduce(|| true, |a, b| a && b)
}

fn visit_allows(set: &VisitChildrenSet, name: &[u8]) -> bool {
    match set {
        VisitChildrenSet::Set(s) => s.contains(name),
        VisitChildrenSet::Empty => false,
        VisitChildrenSet::This | VisitChildrenSet::Recursive => true,
    }
}

impl Pass<'_> {
    fn push(&self, path: Vec<u8>) {
        match self.found.lock() {
            Ok(mut g) => g.push(path),
            Err(p) => p.into_inner().push(path),
        }
    }

    fn stat_kind(&self, dir: RawFd, name: &[u8]) -> io::Result<u32> {
        self.stated.fetch_add(1, Ordering::Relaxed);
        fs::stat_at(dir, name, false).map(|st| st.kind())
    }

    /// Upstream's `read_dir`: the entries with their types, or the nested
    /// repository marker (below the root), or an error. At the root, `.hg`
    /// is left out whatever it is.
    fn list(&self, fd: &Fd, at_root: bool) -> io::Result<Listing> {
        let raw = fs::read_dir(fd)?;
        self.dirs_read.fetch_add(1, Ordering::Relaxed);
        let mut entries = Vec::with_capacity(raw.len());
        for i in 0..raw.len() {
            let (name, d_type) = raw.get(i);
            let kind = match d_type_kind(d_type) {
                Some(k) => k,
                None => match self.stat_kind(fd.raw(), name) {
                    Ok(k) => k,
                    // Deleted since `readdir`: upstream skips it.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                },
            };
            if name == b".hg" {
                if at_root {
                    continue;
                }
                if kind == S_IFDIR {
                    return Ok(Listing::NestedRepo);
                }
            }
            entries.push((name.to_vec(), kind));
        }
        Ok(Listing::Entries(entries))
    }

    /// Opens child `name` of `parent` for listing. A symlink is never
    /// followed: the walk only descends into entries typed as directories.
    /// Whether purge removes the matched untracked file `path`: when its
    /// kind (ignored, or else unknown) is purged and files are removed.
    fn untracked_file_goes(&self, path: &[u8], ignored_above: bool) -> bool {
        let ignored = ignored_above || (self.ignore)(path);
        let purged = if ignored {
            self.list_ignored
        } else {
            self.list_unknown
        };
        purged && !self.keep_files
    }

    /// Lists directory `path` if its subtree will be purged and the
    /// matcher matches it, and tells its parent whether it goes: a directory
    /// left in place (not matched, e.g. excluded by `-X`) keeps its parent
    /// from becoming empty. Upstream's Rust passes on the subtree's answer
    /// alone, so `hg purge -X path:a/b` with `a/b` empty lists `a`, whose
    /// `rmdir` then fails; Mercurial's C build leaves `a`, as we do.
    fn listed(&self, path: Vec<u8>, purged: bool) -> bool {
        let listed = purged && self.matcher.matches(&path);
        if listed {
            self.push(path);
        }
        listed
    }

    fn open_for_listing(&self, parent: &Fd, name: &[u8]) -> Option<Fd> {
        fs::open_dir_at(parent.raw(), name, OpenMode::ReadNoFollow).ok()
    }

    /// Upstream's `traverse_fs_directory_and_dirstate`: directory `dir`
    /// (open as `fd`, `None` if it could not be opened) with dirstate
    /// entries `sub` below it.
    fn tracked_dir(
        &self,
        dir: &[u8],
        fd: Option<&Fd>,
        sub: &[Item],
        above: &IgnoredAbove<'_>,
    ) -> bool {
        let vcs = self.matcher.visit_children_set(dir);
        if vcs.is_empty() {
            return true;
        }
        let prefix_len = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let kids = tree::children(self.at, sub, prefix_len);
        if !self.list_unknown && !self.list_ignored {
            // Upstream's `can_skip_fs_readdir`: no listing, each dirstate
            // child is looked up on its own, and the answer is false.
            if let Some(fd) = fd {
                kids.par_iter()
                    .filter(|c| visit_allows(&vcs, c.name))
                    .for_each(|c| {
                        if let Ok(kind) = self.stat_kind(fd.raw(), c.name) {
                            let _ = self.both(dir, fd, c, kind, above);
                        }
                    });
            }
            return false;
        }
        let listing = match fd.map(|fd| self.list(fd, dir.is_empty())) {
            Some(Ok(l)) => l,
            // Unreadable: as if empty on disk.
            _ => Listing::Entries(Vec::new()),
        };
        let (entries, nested) = match listing {
            Listing::NestedRepo => (Vec::new(), true),
            Listing::Entries(e) => (e, false),
        };
        let mut pairs: Vec<Pair<'_, '_, '_>> = Vec::with_capacity(kids.len().max(entries.len()));
        let (mut i, mut j) = (0, 0);
        while i < kids.len() || j < entries.len() {
            let k = kids.get(i);
            let e = entries.get(j);
            match (k, e) {
                (Some(c), Some((n, kind))) if c.name == n.as_slice() => {
                    pairs.push(Pair::Both(c, *kind));
                    i += 1;
                    j += 1;
                }
                (Some(c), Some((n, _))) if c.name < n.as_slice() => {
                    pairs.push(Pair::Left(c));
                    i += 1;
                }
                (Some(c), None) => {
                    pairs.push(Pair::Left(c));
                    i += 1;
                }
                (_, Some((n, kind))) => {
                    pairs.push(Pair::Right(n, *kind));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        let children = all_of(&pairs, |p| {
            if !visit_allows(&vcs, p.name()) {
                return false;
            }
            match (p, fd) {
                (Pair::Both(c, kind), Some(fd)) => self.both(dir, fd, c, *kind, above),
                (Pair::Right(name, kind), Some(fd)) => {
                    self.untracked(dir, fd, name, *kind, above.get(self.ignore))
                }
                // Only in the dirstate (or on disk with no way to open it,
                // which cannot happen: a listing needs the descriptor).
                _ => true,
            }
        });
        children && !nested
    }

    /// Upstream's `traverse_fs_and_dirstate`: dirstate child `c` of `dir`
    /// found on disk as a `kind`.
    fn both(
        &self,
        dir: &[u8],
        parent: &Fd,
        c: &Child<'_, '_>,
        kind: u32,
        above: &IgnoredAbove<'_>,
    ) -> bool {
        let path = tree::join(dir, c.name);
        match kind {
            S_IFDIR => {
                let here = IgnoredAbove::child(above, &path);
                let fd = if self.list_unknown || self.list_ignored {
                    self.open_for_listing(parent, c.name)
                } else {
                    fs::open_dir_at(parent.raw(), c.name, OpenMode::AnchorNoFollow).ok()
                };
                let purged = self.tracked_dir(&path, fd.as_ref(), c.sub, &here);
                self.listed(path, purged)
            }
            S_IFREG | S_IFLNK if self.matcher.matches(&path) => match c.file {
                // A file with an entry stays, even one marked removed: status
                // reports it as removed, not unknown, so purge leaves it
                // (Mercurial's C build; upstream's Rust lists its directory,
                // whose `rmdir` then fails, after `hg forget`).
                Some(_) => false,
                // A file where the dirstate only has a directory: status
                // lists it as unknown or ignored, and purge removes it like
                // any untracked file (Mercurial's C build; upstream's Rust
                // keeps its parent, found by tests/test_purge_diff.py).
                None => self.untracked_file_goes(&path, above.get(self.ignore)),
            },
            _ => false,
        }
    }

    /// Upstream's `traverse_fs_only`: `name` in `dir` (open as `parent`) has
    /// no dirstate entry; `ignored_above` says whether `dir` or a directory
    /// above it is ignored.
    fn untracked(
        &self,
        dir: &[u8],
        parent: &Fd,
        name: &[u8],
        kind: u32,
        ignored_above: bool,
    ) -> bool {
        let path = tree::join(dir, name);
        match kind {
            S_IFDIR => {
                let ignored = ignored_above || (self.ignore)(&path);
                if ignored && !self.list_ignored {
                    // Upstream reads it (looking for a nested repository)
                    // and then answers false whatever it found.
                    return false;
                }
                // Always true here: this is only reached from a listed
                // directory, and directories are listed only when unknown
                // or ignored files are.
                let descend = self.list_unknown || self.list_ignored;
                let fd = self.open_for_listing(parent, name);
                let listing = fd.as_ref().map(|fd| self.list(fd, false));
                let purged = match (listing, fd.as_ref()) {
                    (Some(Ok(Listing::NestedRepo)), _) => false,
                    (Some(Ok(Listing::Entries(entries))), Some(fd)) if descend => {
                        all_of(&entries, |(n, k)| self.untracked(&path, fd, n, *k, ignored))
                    }
                    _ => true,
                };
                self.listed(path, purged)
            }
            S_IFREG | S_IFLNK => {
                self.matcher.matches(&path) && self.untracked_file_goes(&path, ignored_above)
            }
            _ => self.list_ignored,
        }
    }
}
