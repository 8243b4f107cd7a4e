//! The file-system floor for `hg status`: the least work any status
//! implementation must do on a working copy, i.e. read every directory and
//! `lstat()` every entry, in parallel on all cores.
//!
//! `benches/run.py` times this next to `hg status` so that "work / floor"
//! tells how far an implementation is from what the kernel alone costs. It is
//! deliberately lean (no path strings, no allocation per file, `fstatat`
//! relative to the open directory fd): a slower floor would flatter us.
//!
//! The walk is a library so that hg-core's in-process status benchmark uses
//! this very code as its floor; `src/main.rs` is the command-line wrapper.
//!
//! [`walk_reading`] is the floor of a *touched* working copy (every file's
//! mtime changed, its size not): there status must at least read every
//! file's content too, and the filelog of each (`benches/run.py` walks
//! `.hg/store/data` with it as well).
//!
//! [`lstat_listed`] is the floor under a status whose dirstate-v2 cache
//! vouched for every directory: no `readdir` at all, only an `lstat` of
//! each tracked file.

use rayon::prelude::*;
use std::ffi::{CStr, CString};
use std::io;

/// Files and directories seen below one directory; summed up the tree so the
/// walk needs no shared counters.
#[derive(Default, Clone, Copy)]
pub struct Counts {
    /// Non-directory entries lstat'ed.
    pub files: u64,
    /// Directories read, the root included.
    pub dirs: u64,
    /// Bytes read from regular files (only by [`walk_reading`]).
    pub bytes: u64,
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            files: self.files + o.files,
            dirs: self.dirs + o.dirs,
            bytes: self.bytes + o.bytes,
        }
    }
}

/// An open directory stream that is closed on every exit path, errors included.
struct Dir(*mut libc::DIR);

// SAFETY: a DIR stream may move between threads; it is only ever used by the
// one thread that owns it.
unsafe impl Send for Dir {}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a successful fdopendir and is closed once.
        unsafe { libc::closedir(self.0) };
    }
}

/// Opens `name` relative to `parent` (or the cwd) as a directory stream;
/// relative opens avoid re-resolving the full path for every directory.
fn open_dir(parent: libc::c_int, name: &CStr) -> io::Result<Dir> {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    // SAFETY: name is a valid NUL-terminated string.
    let fd = unsafe { libc::openat(parent, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is an open directory fd; fdopendir takes ownership of it.
    let dir = unsafe { libc::fdopendir(fd) };
    if dir.is_null() {
        let err = io::Error::last_os_error();
        // SAFETY: fdopendir failed, so fd is still ours to close.
        unsafe { libc::close(fd) };
        return Err(err);
    }
    Ok(Dir(dir))
}

/// Reads one directory, lstats each entry and recurses into subdirectories in
/// parallel. Unreadable entries are skipped: the floor measures cost, not
/// correctness.
fn visit(dir: Dir, excluded: &[CString], read: bool) -> Counts {
    // SAFETY: dir.0 is a valid open directory stream.
    let fd = unsafe { libc::dirfd(dir.0) };
    let mut counts = Counts {
        files: 0,
        dirs: 1,
        bytes: 0,
    };
    let mut subdirs: Vec<CString> = Vec::new();
    loop {
        // SAFETY: readdir on a valid stream; the entry is used before the next call.
        let entry = unsafe { libc::readdir(dir.0) };
        if entry.is_null() {
            break;
        }
        // SAFETY: d_name is NUL-terminated within the entry.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        let bytes = name.to_bytes();
        if bytes == b"." || bytes == b".." || bytes == b".hg" {
            continue;
        }
        if excluded.iter().any(|e| e.as_c_str() == name) {
            continue;
        }
        // SAFETY: an all-zero stat is a valid out-parameter.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fd is open, name is NUL-terminated, st is writable.
        let rc = unsafe { libc::fstatat(fd, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
        if rc != 0 {
            continue;
        }
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            subdirs.push(name.to_owned());
        } else {
            counts.files += 1;
            if read && st.st_mode & libc::S_IFMT == libc::S_IFREG {
                counts.bytes += read_all(fd, name);
            }
        }
    }
    // The parent stays open while its children are opened relative to it;
    // rayon's depth-first stealing keeps the number of open fds near the depth.
    let below = subdirs
        .par_iter()
        .filter_map(|name| open_dir(fd, name).ok())
        .map(|child| visit(child, &[], read))
        .reduce(Counts::default, |a, b| a + b);
    drop(dir);
    counts + below
}

/// Walks the tree at `root` (skipping `.hg` and the top-level `excluded`
/// names); the one call the binary and the benchmarks make.
pub fn walk(root: &CStr, excluded: &[CString]) -> io::Result<Counts> {
    Ok(visit(open_dir(libc::AT_FDCWD, root)?, excluded, false))
}

/// [`walk`], also reading every regular file to its end: the least a status
/// that must compare contents can do.
pub fn walk_reading(root: &CStr, excluded: &[CString]) -> io::Result<Counts> {
    Ok(visit(open_dir(libc::AT_FDCWD, root)?, excluded, true))
}

/// Reads the file `name` of the directory `dir` to its end into a reused
/// buffer; returns the bytes read (0 when it cannot be opened).
fn read_all(dir: libc::c_int, name: &CStr) -> u64 {
    let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    // SAFETY: name is a valid NUL-terminated string.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags) };
    if fd < 0 {
        return 0;
    }
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        // SAFETY: fd is open and buf is writable for its whole length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        total += n as u64;
    }
    // SAFETY: fd was opened above and is closed once.
    unsafe { libc::close(fd) };
    total
}

/// `lstat` of every path in `paths` (relative to `root`, `/`-separated),
/// each relative to its directory, opened once per run of neighbours
/// (`O_PATH`), on all cores: what a status must still do when no directory
/// needs reading. `files` counts the paths that could be stat'ed, `dirs`
/// the directory opens.
pub fn lstat_listed(root: &CStr, paths: &mut [&[u8]]) -> io::Result<Counts> {
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
    // SAFETY: root is a valid NUL-terminated string.
    let root_fd = unsafe { libc::open(root.as_ptr(), flags) };
    if root_fd < 0 {
        return Err(io::Error::last_os_error());
    }
    paths.par_sort_unstable();
    let counts = paths
        .par_chunks(4096)
        .map(|chunk| {
            let mut counts = Counts::default();
            let mut current: Option<(&[u8], libc::c_int)> = None;
            for path in chunk {
                let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
                    Some(i) => (&path[..i], &path[i + 1..]),
                    None => (&path[..0], &path[..]),
                };
                let fd = match current {
                    Some((d, fd)) if d == dir => fd,
                    _ => {
                        if let Some((_, fd)) = current.take() {
                            // SAFETY: opened below, closed once.
                            unsafe { libc::close(fd) };
                        }
                        let fd = if dir.is_empty() {
                            // SAFETY: duplicating an open descriptor.
                            unsafe { libc::dup(root_fd) }
                        } else {
                            let Ok(c) = CString::new(dir) else { continue };
                            counts.dirs += 1;
                            // SAFETY: root_fd is open, c is NUL-terminated.
                            unsafe { libc::openat(root_fd, c.as_ptr(), flags) }
                        };
                        if fd < 0 {
                            continue;
                        }
                        current = Some((dir, fd));
                        fd
                    }
                };
                let Ok(c) = CString::new(name) else { continue };
                // SAFETY: an all-zero stat is a valid out-parameter.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                // SAFETY: fd is open, c is NUL-terminated, st is writable.
                let rc =
                    unsafe { libc::fstatat(fd, c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
                counts.files += u64::from(rc == 0);
            }
            if let Some((_, fd)) = current {
                // SAFETY: opened above, closed once.
                unsafe { libc::close(fd) };
            }
            counts
        })
        .reduce(Counts::default, |a, b| a + b);
    // SAFETY: opened above, closed once.
    unsafe { libc::close(root_fd) };
    Ok(counts)
}
