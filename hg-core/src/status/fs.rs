//! Thin, safe wrappers over the few libc calls the walk needs.
//!
//! The walk works relative to open directory descriptors (`openat`,
//! `fstatat`, `fdopendir`) so the kernel resolves each path component once
//! instead of once per file, and so a whole directory is handled with one
//! descriptor. Everything here returns `io::Result`; nothing panics.

use std::ffi::CStr;
use std::io;
use std::os::unix::io::RawFd;

/// File type bits of `st_mode`, as Python's `stat.S_IFMT` sees them.
pub const S_IFMT: u32 = libc::S_IFMT;
/// Directory type bits.
pub const S_IFDIR: u32 = libc::S_IFDIR;
/// Regular file type bits.
pub const S_IFREG: u32 = libc::S_IFREG;
/// Symbolic link type bits.
pub const S_IFLNK: u32 = libc::S_IFLNK;

/// The `lstat` fields Mercurial's status looks at. `mtime_ns` is 0 when the
/// stat came from a source that (in Mercurial's C implementation) carries no
/// sub-second precision; the walk decides that, not this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// `st_mode`, type and permission bits.
    pub mode: u32,
    /// `st_size`.
    pub size: i64,
    /// `st_mtime` seconds.
    pub mtime_s: i64,
    /// `st_mtime` nanoseconds.
    pub mtime_ns: u32,
}

impl Stat {
    /// The `S_IFMT` part of the mode.
    pub fn kind(&self) -> u32 {
        self.mode & S_IFMT
    }
    /// Regular file or symlink: what Mercurial can track.
    pub fn is_file_or_link(&self) -> bool {
        matches!(self.kind(), S_IFREG | S_IFLNK)
    }
    fn from_libc(st: &libc::stat) -> Self {
        Stat {
            mode: st.st_mode,
            size: st.st_size,
            mtime_s: st.st_mtime,
            mtime_ns: u32::try_from(st.st_mtime_nsec).unwrap_or(0),
        }
    }
}

/// An owned file descriptor that is closed on drop.
#[derive(Debug)]
pub struct Fd(RawFd);

impl Fd {
    /// The raw descriptor, for `*at` calls.
    pub fn raw(&self) -> RawFd {
        self.0
    }
}

impl std::os::unix::io::AsFd for Fd {
    /// Lets `rustix` calls take the descriptor without another `unsafe`.
    fn as_fd(&self) -> std::os::unix::io::BorrowedFd<'_> {
        // SAFETY: `self` owns the descriptor, open until drop, and the
        // borrow cannot outlive `self`.
        unsafe { std::os::unix::io::BorrowedFd::borrow_raw(self.0) }
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own this descriptor and close it exactly once.
        unsafe {
            libc::close(self.0);
        }
    }
}

/// How a directory is opened: for reading its entries, or only as an anchor
/// for `fstatat` (`O_PATH` needs no read permission, like `lstat` on a full
/// path only needs search permission on the ancestors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// `O_RDONLY`: needed to list entries.
    Read,
    /// `O_RDONLY | O_NOFOLLOW`: list a directory that must not be a symlink.
    ReadNoFollow,
    /// `O_PATH`: stat children only; follows symlinks like a full-path lookup.
    Anchor,
    /// `O_PATH | O_NOFOLLOW`: stat children of a directory that must really
    /// be one (a symlink in its place means the tracked files below are gone).
    AnchorNoFollow,
}

/// Runs `f` with `name` as a NUL-terminated C string, without allocating for
/// ordinary lengths. A name containing NUL cannot exist on disk: ENOENT.
pub fn with_cstr<T>(name: &[u8], f: impl FnOnce(&CStr) -> io::Result<T>) -> io::Result<T> {
    const STACK: usize = 256;
    if name.len() < STACK {
        let mut buf = [0u8; STACK];
        buf[..name.len()].copy_from_slice(name);
        match CStr::from_bytes_with_nul(&buf[..=name.len()]) {
            Ok(c) => f(c),
            Err(_) => Err(io::Error::from_raw_os_error(libc::ENOENT)),
        }
    } else {
        let mut v = Vec::with_capacity(name.len() + 1);
        v.extend_from_slice(name);
        v.push(0);
        match CStr::from_bytes_with_nul(&v) {
            Ok(c) => f(c),
            Err(_) => Err(io::Error::from_raw_os_error(libc::ENOENT)),
        }
    }
}

/// `openat(parent, path, O_DIRECTORY | mode)`. `parent` may be
/// `libc::AT_FDCWD`.
pub fn open_dir_at(parent: RawFd, path: &[u8], mode: OpenMode) -> io::Result<Fd> {
    let path: &[u8] = if path.is_empty() { b"." } else { path };
    let flags = libc::O_DIRECTORY
        | libc::O_CLOEXEC
        | match mode {
            OpenMode::Read => libc::O_RDONLY,
            OpenMode::ReadNoFollow => libc::O_RDONLY | libc::O_NOFOLLOW,
            OpenMode::Anchor => libc::O_PATH,
            OpenMode::AnchorNoFollow => libc::O_PATH | libc::O_NOFOLLOW,
        };
    with_cstr(path, |c| {
        // SAFETY: `c` is a valid NUL-terminated string for the call's duration.
        let fd = unsafe { libc::openat(parent, c.as_ptr(), flags) };
        if fd < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(Fd(fd))
        }
    })
}

/// `fstatat(dir, name)`, without following a final symlink unless `follow`.
pub fn stat_at(dir: RawFd, name: &[u8], follow: bool) -> io::Result<Stat> {
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    with_cstr(name, |c| {
        // SAFETY: zeroed `stat` is a valid out-buffer; `c` outlives the call.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::fstatat(dir, c.as_ptr(), &mut st, flags) };
        if r != 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(Stat::from_libc(&st))
        }
    })
}

/// `fstat(fd)`.
pub fn stat_fd(fd: RawFd) -> io::Result<Stat> {
    // SAFETY: zeroed `stat` is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::fstat(fd, &mut st) };
    if r != 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(Stat::from_libc(&st))
    }
}

/// One directory's entry names, packed in a single buffer (one allocation
/// per directory instead of one per name), sorted by name bytes.
#[derive(Debug, Default)]
pub struct Listing {
    names: Vec<u8>,
    /// (start, len, d_type) into `names`.
    items: Vec<(u32, u32, u8)>,
}

impl Listing {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether the directory had no entries besides `.` and `..`.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Name and `d_type` of entry `i` (in sorted order).
    pub fn get(&self, i: usize) -> (&[u8], u8) {
        let (s, l, t) = self.items[i];
        (&self.names[s as usize..(s + l) as usize], t)
    }
    /// Adds one entry; used by the walk to synthesise a listing from the
    /// dirstate when a directory is answered from the v2 cache.
    pub fn push(&mut self, name: &[u8], d_type: u8) {
        let start = self.names.len() as u32;
        self.names.extend_from_slice(name);
        self.items.push((start, name.len() as u32, d_type));
    }
    fn sort(&mut self) {
        let names = &self.names;
        self.items.sort_unstable_by(|a, b| {
            names[a.0 as usize..(a.0 + a.1) as usize]
                .cmp(&names[b.0 as usize..(b.0 + b.1) as usize])
        });
    }
}

/// Lists the entries of an open directory (without `.` and `..`), sorted.
///
/// `getdents64` straight into a stack buffer through `rustix::fs::RawDir`:
/// `fdopendir` would cost a `dup`, an `fstat`, an `fcntl` and a `close` per
/// directory on top of the reads (four syscalls out of six for a small
/// directory), and the walk lists tens of thousands of them. Like a `DIR*`
/// on a duplicate, this moves `dir`'s read offset, which nothing else uses.
pub fn read_dir(dir: &Fd) -> io::Result<Listing> {
    use std::mem::MaybeUninit;
    // The size glibc's readdir uses; one call covers ~1,000 short names.
    const BUF: usize = 32 * 1024;
    let mut buf = [MaybeUninit::<u8>::uninit(); BUF];
    let mut raw = rustix::fs::RawDir::new(dir, &mut buf);
    let mut listing = Listing::default();
    while let Some(entry) = raw.next() {
        let entry = entry.map_err(io::Error::from)?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        listing.push(name, kind_d_type(entry.file_type().as_raw_mode()));
    }
    listing.sort();
    Ok(listing)
}

/// Maps a `d_type` to `S_IFMT` bits; `None` when the file system did not say
/// (then the caller must `fstatat`).
pub fn d_type_kind(d_type: u8) -> Option<u32> {
    match d_type {
        libc::DT_REG => Some(S_IFREG),
        libc::DT_DIR => Some(S_IFDIR),
        libc::DT_LNK => Some(S_IFLNK),
        libc::DT_FIFO => Some(libc::S_IFIFO),
        libc::DT_SOCK => Some(libc::S_IFSOCK),
        libc::DT_CHR => Some(libc::S_IFCHR),
        libc::DT_BLK => Some(libc::S_IFBLK),
        _ => None,
    }
}

/// `d_type` for `S_IFMT` bits (inverse of [`d_type_kind`]).
pub fn kind_d_type(kind: u32) -> u8 {
    match kind {
        S_IFREG => libc::DT_REG,
        S_IFDIR => libc::DT_DIR,
        S_IFLNK => libc::DT_LNK,
        libc::S_IFIFO => libc::DT_FIFO,
        libc::S_IFSOCK => libc::DT_SOCK,
        libc::S_IFCHR => libc::DT_CHR,
        libc::S_IFBLK => libc::DT_BLK,
        _ => libc::DT_UNKNOWN,
    }
}

/// The C library's message for an errno, as Python's `OSError.strerror`
/// gives it (Mercurial prints exactly that after the path).
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: XSI strerror_r writes a NUL-terminated string into `buf`.
    let r = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if r != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: strerror_r succeeded, so buf holds a C string.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// The file system's idea of "now": the mtime of a file created in `dir`
/// (Mercurial's `timestamp.get_fs_now` does this in `.hg`). Comparing file
/// mtimes to this, not to the system clock, is what makes ambiguity
/// detection right on file systems with coarse or skewed clocks.
pub fn fs_now(dir: &std::path::Path) -> io::Result<Stat> {
    use std::os::unix::fs::OpenOptionsExt;
    let pid = std::process::id();
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!("tmp-status-now-{pid}-{nanos:x}-{attempt}"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => {
                use std::os::unix::io::AsRawFd;
                let st = stat_fd(file.as_raw_fd());
                drop(file);
                let _ = std::fs::remove_file(&path);
                return st;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(libc::EEXIST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_matches_python() {
        assert_eq!(strerror(libc::ENOENT), "No such file or directory");
        assert_eq!(strerror(libc::EACCES), "Permission denied");
    }

    #[test]
    fn read_dir_sorted_and_stat() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("b"), b"xy").unwrap();
        std::fs::write(t.path().join("a"), b"x").unwrap();
        std::fs::create_dir(t.path().join("c")).unwrap();
        let p = t.path().as_os_str().as_encoded_bytes();
        let fd = open_dir_at(libc::AT_FDCWD, p, OpenMode::Read).unwrap();
        let l = read_dir(&fd).unwrap();
        let names: Vec<&[u8]> = (0..l.len()).map(|i| l.get(i).0).collect();
        assert_eq!(names, vec![&b"a"[..], b"b", b"c"]);
        let st = stat_at(fd.raw(), b"b", false).unwrap();
        assert_eq!(st.size, 2);
        assert_eq!(st.kind(), S_IFREG);
        assert!(stat_at(fd.raw(), b"zz", false).is_err());
        assert!(stat_at(fd.raw(), b"a\0b", false).is_err());
    }

    #[test]
    fn read_dir_spans_several_getdents_calls_and_keeps_types() {
        // 2,000 names of 200 bytes: about 440 KB of dirents, many buffers.
        let t = tempfile::tempdir().unwrap();
        let name = |i: usize| format!("{i:05}{}", "x".repeat(195));
        for i in 0..2000 {
            std::fs::write(t.path().join(name(i)), b"").unwrap();
        }
        std::fs::create_dir(t.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("nowhere", t.path().join("link")).unwrap();
        let p = t.path().as_os_str().as_encoded_bytes();
        let fd = open_dir_at(libc::AT_FDCWD, p, OpenMode::Read).unwrap();
        let l = read_dir(&fd).unwrap();
        assert_eq!(l.len(), 2002);
        for i in 0..2000 {
            let (n, t) = l.get(i);
            assert_eq!(n, name(i).as_bytes());
            assert!(matches!(d_type_kind(t), Some(S_IFREG) | None));
        }
        let kinds: Vec<_> = (2000..2002)
            .map(|i| (l.get(i).0, d_type_kind(l.get(i).1)))
            .collect();
        // tmpfs and ext4 report types; a file system that does not says
        // DT_UNKNOWN, which the walk answers with fstatat.
        for (n, k) in kinds {
            match n {
                b"link" => assert!(matches!(k, Some(S_IFLNK) | None)),
                b"sub" => assert!(matches!(k, Some(S_IFDIR) | None)),
                other => panic!("unexpected entry {other:?}"),
            }
        }
    }

    #[test]
    fn read_dir_of_a_descriptor_without_read_access_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().as_os_str().as_encoded_bytes();
        let fd = open_dir_at(libc::AT_FDCWD, p, OpenMode::Anchor).unwrap();
        assert!(read_dir(&fd).is_err());
    }
}
