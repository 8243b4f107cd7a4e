//! Status from the paths a file watcher names, instead of a walk.
//!
//! With watchman (Mercurial's `fsmonitor`), the files that may differ from
//! what the dirstate says are: the paths watchman reports as changed since
//! the clock of the last status, the "notable" files that status listed
//! (fsmonitor's state file), every dirstate entry not known clean (added,
//! removed, merged, or without a reliable mtime) and every copy. fsmonitor
//! takes every other tracked file as clean and every other path as
//! unchanged; [`status_of_paths`] makes the same assumption and decides the
//! paths named exactly as the full walk (`walk.rs`) decides them, including
//! its audit: a path below a symlink, a non-directory or (when unknown files
//! are listed) a nested repository is missing, and an untracked file below
//! an ignored directory is not listed, because the walk never enters one.
//!
//! Only the plain question is answered this way: every file (the "always"
//! matcher), no clean or ignored files, no traversed or empty directories.
//! fsmonitor walks the whole working copy for the others, and so does the
//! caller ([`StatusError::NeedsWalk`]).

use std::io;
use std::path::Path;

use rayon::prelude::*;

use crate::dirstate::DirstateMap;

use super::classify::{classify, Rules, Verdict};
use super::fs::{self, Fd, OpenMode, Stat};
use super::outcome::{Counters, StatusOutcome};
use super::{fs_boundary, IgnoreFn, StatusError, StatusOptions};

/// `.hg` of the repository itself, or something in it: never a status path.
fn is_own_hg(path: &[u8]) -> bool {
    path == b".hg" || path.starts_with(b".hg/")
}

/// A path inside another repository's `.hg` (fsmonitor gives up then:
/// "nested-repo-detected").
fn is_in_nested_hg(path: &[u8]) -> bool {
    path.ends_with(b"/.hg") || path.windows(5).any(|w| w == b"/.hg/")
}

fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"", path),
    }
}

/// One directory on the way from the root to the directory decided.
struct Step {
    /// Where its name ends in the directory path.
    end: usize,
    /// The directory, open (`O_PATH`), or `None` if the walk could not get
    /// there: a component is missing, a symlink or not a directory, or
    /// (unknown files listed) a nested repository. Everything below is
    /// then missing.
    fd: Option<Fd>,
    /// The directory or one of its ancestors is ignored: the walk does not
    /// list it (only meaningful when unknown files are listed).
    ignored: bool,
}

/// The chain of directories from the root to the last directory decided,
/// kept from one directory to the next: directories come sorted, so
/// neighbours share most of their ancestors, and each ancestor is opened
/// and audited once per run of neighbours instead of once per directory.
#[derive(Default)]
struct Trail {
    steps: Vec<Step>,
    path: Vec<u8>,
}

/// Where a directory's files are looked up: its descriptor (`None`: all
/// missing) and whether it is ignored.
type Place = (Option<std::os::unix::io::RawFd>, bool);

/// Directories decided in a row by one task (sharing a [`Trail`]).
const GROUPS_PER_TASK: usize = 256;

/// Decides the status of `changed` plus the dirstate entries not known
/// clean and the copies; every other tracked file is taken as clean.
/// `ignore` is `dirstate._ignore`. Paths may repeat and come in any order;
/// the outcome's lists are unsorted, as [`super::status`]'s are.
pub fn status_of_paths<'a>(
    dmap: &'a DirstateMap,
    root: &Path,
    ignore: IgnoreFn<'_>,
    opts: StatusOptions,
    changed: &[Vec<u8>],
) -> Result<StatusOutcome<'a>, StatusError> {
    if opts.list_clean || opts.list_ignored {
        return Err(StatusError::NeedsWalk("clean or ignored files are listed"));
    }
    if opts.collect_traversed_dirs || opts.collect_empty_dirs {
        return Err(StatusError::NeedsWalk("directories are collected"));
    }
    let mut paths: Vec<&[u8]> = Vec::with_capacity(changed.len());
    for p in changed {
        if is_in_nested_hg(p) {
            return Err(StatusError::NeedsWalk("a path inside a nested repository"));
        }
        if !p.is_empty() && !is_own_hg(p) {
            paths.push(p);
        }
    }
    paths.extend(dmap.unsettled_paths());
    paths.extend(dmap.copy_map_iter().map(|(dest, _)| dest));
    paths.sort_unstable_by(|a, b| split_parent(a).cmp(&split_parent(b)));
    paths.dedup();
    let mut groups: Vec<(&[u8], Vec<&[u8]>)> = Vec::new();
    for p in paths {
        let (dir, _) = split_parent(p);
        match groups.last_mut() {
            Some((d, members)) if *d == dir => members.push(p),
            _ => groups.push((dir, vec![p])),
        }
    }

    let root_fd = fs::open_dir_at(
        libc::AT_FDCWD,
        root.as_os_str().as_encoded_bytes(),
        OpenMode::Anchor,
    )
    .map_err(StatusError::Root)?;
    let ctx = Context {
        dmap,
        root: &root_fd,
        ignore,
        opts,
        rules: Rules {
            check_exec: opts.check_exec,
            boundary: fs_boundary(root),
        },
    };
    let parts = groups
        .par_chunks(GROUPS_PER_TASK)
        .map(|chunk| {
            let mut trail = Trail::default();
            let mut all = (StatusOutcome::default(), 0);
            for (dir, members) in chunk {
                let place = ctx.place(&mut trail, dir, &mut all.1)?;
                ctx.decide_dir(place, members, &mut all)?;
            }
            Ok(all)
        })
        .collect::<Result<Vec<_>, StatusError>>()?;
    let mut out = StatusOutcome::default();
    let mut stated = 0;
    for (part, n) in parts {
        stated += n;
        out.absorb(part);
    }
    out.counters = Counters {
        dirs_read: 0,
        entries_stated: stated,
        dirs_from_cache: 0,
    };
    Ok(out)
}

/// What every directory's decisions share.
struct Context<'s, 'a> {
    dmap: &'a DirstateMap,
    root: &'s Fd,
    ignore: IgnoreFn<'s>,
    opts: StatusOptions,
    rules: Rules,
}

impl<'a> Context<'_, 'a> {
    /// Gets to `dir` from the root one component at a time, as the walk
    /// would (see [`Step`]), reusing what `trail` holds of the way.
    fn place(
        &self,
        trail: &mut Trail,
        dir: &[u8],
        stated: &mut usize,
    ) -> Result<Place, StatusError> {
        let list_unknown = self.opts.list_unknown;
        let shared = trail
            .steps
            .iter()
            .take_while(|st| {
                dir.len() >= st.end
                    && dir[..st.end] == trail.path[..st.end]
                    && (dir.len() == st.end || dir[st.end] == b'/')
            })
            .count();
        trail.steps.truncate(shared);
        trail.path.clear();
        trail.path.extend_from_slice(dir);
        let mut start = trail.steps.last().map_or(0, |st| st.end + 1);
        while start < dir.len() {
            let (fd, ignored) = match trail.steps.last() {
                Some(st) => (st.fd.as_ref(), st.ignored),
                None => (Some(self.root), false),
            };
            let Some(parent) = fd.map(Fd::raw) else {
                break; // missing: so is everything below
            };
            let end = dir[start..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(dir.len(), |i| start + i);
            let (prefix, component) = (&dir[..end], &dir[start..end]);
            let ignored = ignored || (list_unknown && (self.ignore)(prefix));
            let fd = match fs::open_dir_at(parent, component, OpenMode::AnchorNoFollow) {
                Ok(opened) => {
                    let nested = list_unknown && {
                        *stated += 1;
                        fs::stat_at(opened.raw(), b".hg", true)
                            .is_ok_and(|s| s.kind() == fs::S_IFDIR)
                    };
                    (!nested).then_some(opened)
                }
                Err(e) if is_not_there(&e) => None,
                Err(e) if e.raw_os_error() == Some(libc::EACCES) => {
                    // The walk would report the directory unreadable.
                    return Err(StatusError::NeedsWalk("a directory cannot be searched"));
                }
                Err(source) => {
                    return Err(StatusError::Io {
                        path: prefix.to_vec(),
                        source,
                    })
                }
            };
            trail.steps.push(Step { end, fd, ignored });
            start = end + 1;
        }
        Ok(match trail.steps.last() {
            _ if dir.is_empty() => (Some(self.root.raw()), false),
            // Stopped early below a missing directory.
            Some(st) if st.end != dir.len() => (None, st.ignored),
            Some(st) => (st.fd.as_ref().map(Fd::raw), st.ignored),
            None => (None, false),
        })
    }

    /// Decides the paths of one directory; also returns how many `lstat`s
    /// it made.
    fn decide_dir(
        &self,
        (dir_fd, dir_ignored): Place,
        members: &[&[u8]],
        (out, stated): &mut (StatusOutcome<'a>, usize),
    ) -> Result<(), StatusError> {
        for &path in members {
            let (_, name) = split_parent(path);
            let mut lstat = |fd: std::os::unix::io::RawFd| -> Result<Option<Stat>, StatusError> {
                *stated += 1;
                match fs::stat_at(fd, name, false) {
                    Ok(st) => Ok(Some(st)),
                    Err(e) if is_not_there(&e) => Ok(None),
                    Err(source) => Err(StatusError::Io {
                        path: path.to_vec(),
                        source,
                    }),
                }
            };
            match self.dmap.get_key_value(path) {
                Some((key, entry)) => {
                    let st = match dir_fd {
                        Some(fd) => lstat(fd)?,
                        None => None,
                    };
                    let st = self.as_walk_sees_it(st, dir_ignored);
                    let has_copy = self.dmap.copy_map_contains_key(key);
                    match classify(&entry, st.as_ref(), has_copy, &self.rules) {
                        Verdict::Lookup => out.lookup.push(key),
                        Verdict::Modified => out.modified.push(key),
                        Verdict::Added => out.added.push(key),
                        Verdict::Removed => out.removed.push(key),
                        Verdict::Deleted => out.deleted.push(key),
                        Verdict::Clean | Verdict::Nothing => {}
                    }
                }
                None => {
                    let Some(fd) = dir_fd.filter(|_| self.opts.list_unknown) else {
                        continue;
                    };
                    if dir_ignored {
                        continue;
                    }
                    match lstat(fd)? {
                        Some(st) if st.is_file_or_link() && !(self.ignore)(path) => {
                            out.unknown.push(path.to_vec());
                        }
                        Some(st) if st.kind() == fs::S_IFDIR && !(self.ignore)(path) => {
                            // The walk would list it, or warn that it cannot.
                            if let Err(e) = fs::open_dir_at(fd, name, OpenMode::ReadNoFollow) {
                                if e.raw_os_error() == Some(libc::EACCES) {
                                    return Err(StatusError::NeedsWalk("an unreadable directory"));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// The stat the walk would have for a tracked file: from a directory
    /// listing when unknown files are listed and its directory is not
    /// ignored (files and symlinks only, no nanoseconds: Mercurial's C
    /// `listdir`); from its step 3 otherwise (`os.lstat` of any type with
    /// nanoseconds when unknown files are listed, else `statfiles`: files
    /// and symlinks only, no nanoseconds).
    fn as_walk_sees_it(&self, st: Option<Stat>, dir_ignored: bool) -> Option<Stat> {
        if self.opts.list_unknown && dir_ignored {
            return st;
        }
        st.filter(Stat::is_file_or_link)
            .map(|st| Stat { mtime_ns: 0, ..st })
    }
}

/// The errors that mean "nothing there" to the walk: the file or one of
/// its directories is gone, or a component is not a directory (or a
/// symlink where a directory was, with `O_NOFOLLOW`).
fn is_not_there(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::ELOOP)
    )
}
