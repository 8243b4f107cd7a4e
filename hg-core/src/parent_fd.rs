//! The open directory of the last file opened, so that its neighbours are
//! opened with a one-component path.
//!
//! `openat(base, "a/b/c/d/f")` resolves every component again for each
//! file; a touched working copy opens two such paths per tracked file (the
//! file and its filelog), and the kernel's path walk was the largest single
//! cost in the profile. Files come sorted, so consecutive ones mostly share
//! their directory: keeping it open (`O_PATH`) turns each open into
//! `openat(dir, "f")`. No crate does this, so it is written here.
//!
//! It changes nothing a caller can observe: a directory is opened exactly as
//! the long `openat` would resolve it (intermediate symlinks followed), and
//! when it cannot be opened the caller gets the long path back, so the error
//! comes from the same call as before.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags};

/// See the module documentation. One per thread of work: it is a cache of
/// the previous call, not shared.
#[derive(Debug, Default)]
pub struct ParentFd {
    /// The directory part (without the trailing `/`) of the last path.
    dir: Vec<u8>,
    /// That directory, open, or `None` if it could not be opened.
    fd: Option<OwnedFd>,
}

impl ParentFd {
    /// Where to open `path` (relative to `base`) from: the descriptor and
    /// the path relative to it. A path without a directory part, or whose
    /// directory cannot be opened, is returned whole, relative to `base`.
    /// Every call on one `ParentFd` must pass the same `base`: the
    /// directory kept open was resolved from it.
    pub fn resolve<'s, 'p>(
        &'s mut self,
        base: BorrowedFd<'s>,
        path: &'p [u8],
    ) -> (BorrowedFd<'s>, &'p [u8]) {
        let Some(slash) = path.iter().rposition(|&b| b == b'/') else {
            return (base, path);
        };
        let (dir, name) = (&path[..slash], &path[slash + 1..]);
        if name.is_empty() {
            return (base, path);
        }
        if self.dir != dir {
            self.dir.clear();
            self.dir.extend_from_slice(dir);
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            self.fd = rustix::fs::openat(base, dir, flags, Mode::empty()).ok();
        }
        match &self.fd {
            Some(fd) => (fd.as_fd(), name),
            None => (base, path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn open_file(at: BorrowedFd, rel: &[u8]) -> std::io::Result<Vec<u8>> {
        let fd = rustix::fs::openat(at, rel, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        let mut f = fs::File::from(fd);
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut v)?;
        Ok(v)
    }

    #[test]
    fn opens_neighbours_through_their_directory() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("a/b")).unwrap();
        fs::write(t.path().join("a/b/x"), b"x").unwrap();
        fs::write(t.path().join("a/b/y"), b"y").unwrap();
        fs::write(t.path().join("top"), b"t").unwrap();
        let root = fs::File::open(t.path()).unwrap();
        let mut p = ParentFd::default();
        for (path, want) in [(&b"a/b/x"[..], &b"x"[..]), (b"a/b/y", b"y"), (b"top", b"t")] {
            let (at, rel) = p.resolve(root.as_fd(), path);
            assert_eq!(open_file(at, rel).unwrap(), want);
        }
        let (_, rel) = p.resolve(root.as_fd(), b"a/b/x");
        assert_eq!(rel, b"x");
    }

    #[test]
    fn a_missing_or_file_directory_gives_the_whole_path_back() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("f"), b"f").unwrap();
        let root = fs::File::open(t.path()).unwrap();
        let mut p = ParentFd::default();
        let (_, rel) = p.resolve(root.as_fd(), b"missing/x");
        assert_eq!(rel, b"missing/x");
        let (_, rel) = p.resolve(root.as_fd(), b"f/x");
        assert_eq!(rel, b"f/x");
        let (at, rel) = p.resolve(root.as_fd(), b"f/x");
        let err = open_file(at, rel).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
    }

    #[test]
    fn follows_a_symlinked_directory_as_the_long_path_would() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir(t.path().join("real")).unwrap();
        fs::write(t.path().join("real/x"), b"x").unwrap();
        std::os::unix::fs::symlink("real", t.path().join("link")).unwrap();
        let root = fs::File::open(t.path()).unwrap();
        let mut p = ParentFd::default();
        let (at, rel) = p.resolve(root.as_fd(), b"link/x");
        assert_eq!(rel, b"x");
        assert_eq!(open_file(at, rel).unwrap(), b"x");
    }
}
