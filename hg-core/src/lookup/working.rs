//! The working-copy side of a comparison, read the way Mercurial reads it:
//! flags from `lstat` (`dirstate.flagfunc` on a file system with exec bits
//! and symlinks), content through `repo.wread` (a symlink's target, or the
//! file's bytes after the path audit).
//!
//! A touched working copy sends every tracked file here, so the common
//! case, a regular file, costs one path lookup instead of three: the file
//! is opened relative to the working copy's root (`openat` with
//! `O_NOFOLLOW`, through `rustix`), and its `lstat` is the `fstat` of that
//! descriptor (the same answer for a file that is not a symlink). The
//! content is read from the same descriptor, and that stat is also what a
//! clean file's fix-up records (see [`restat`]). Anything else
//! (a symlink, a directory, a file that cannot be opened) takes Mercurial's
//! own path: `lstat`, `readlink`, `open` by full path.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

use crate::manifest::ManifestFlags;
use crate::parent_fd::ParentFd;

/// The working copy's root: its path, and a descriptor to open files
/// relative to (none if the root could not be opened: then full paths).
pub(crate) struct Root {
    path: PathBuf,
    fd: Option<OwnedFd>,
}

impl Root {
    /// Opens `path` as a directory.
    pub(crate) fn open(path: &Path) -> Root {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Root {
            path: path.to_owned(),
            fd: rustix::fs::open(path, flags, Mode::empty()).ok(),
        }
    }

    /// The working file's path.
    pub(crate) fn full_path(&self, path: &[u8]) -> PathBuf {
        self.path.join(OsStr::from_bytes(path))
    }
}

/// A working file as the comparison found it.
pub(crate) enum Opened {
    /// A regular file, open for reading, with its stat.
    Regular(File, Metadata),
    /// Anything else, as `lstat` sees it: a symlink, a directory, a file
    /// that is missing or could not be opened.
    Other(io::Result<Metadata>),
}

impl Opened {
    /// The `lstat` of the file when it was opened.
    pub(crate) fn stat(&self) -> Result<&Metadata, &io::Error> {
        match self {
            Opened::Regular(_, meta) => Ok(meta),
            Opened::Other(stat) => stat.as_ref(),
        }
    }
}

/// Opens the working file `path`: see the module docs.
pub(crate) fn open(root: &Root, parent: &mut ParentFd, path: &[u8]) -> Opened {
    if let Some(fd) = &root.fd {
        // NONBLOCK: a FIFO put in a file's place must not block the open.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let (at, rel) = parent.resolve(fd.as_fd(), path);
        if let Ok(file) = rustix::fs::openat(at, rel, flags, Mode::empty()) {
            let file = File::from(file);
            if let Ok(meta) = file.metadata() {
                if meta.file_type().is_file() {
                    return Opened::Regular(file, meta);
                }
            }
        }
    }
    Opened::Other(std::fs::symlink_metadata(root.full_path(path)))
}

/// The stat Mercurial records for a clean file (its second `os.lstat`,
/// after the comparison). For an opened regular file, the stat taken when
/// it was opened: the same values unless the file changed while it was
/// compared, and then recording the earlier mtime is the safe choice (the
/// next status finds it changed and compares again, where Mercurial's later
/// stat could vouch for content it did not read).
pub(crate) fn restat(root: &Root, path: &[u8], opened: &Opened) -> io::Result<Metadata> {
    match opened {
        Opened::Regular(_, meta) => Ok(meta.clone()),
        Opened::Other(_) => std::fs::symlink_metadata(root.full_path(path)),
    }
}

/// `workingctx.flags(f)`: `l` for a symlink, else `x` if the owner may
/// execute it (a directory counts too), else none; none when `lstat`
/// failed (`flagfunc` catches the `OSError`).
pub(crate) fn flags(stat: Result<&Metadata, &io::Error>) -> ManifestFlags {
    match stat {
        Err(_) => ManifestFlags::Regular,
        Ok(m) if m.file_type().is_symlink() => ManifestFlags::Symlink,
        Ok(m) if m.permissions().mode() & 0o100 != 0 => ManifestFlags::Executable,
        Ok(_) => ManifestFlags::Regular,
    }
}

/// `repo.wread(f)` without filters: a symlink's target (`readlink`), or
/// the file's bytes (from the open descriptor when there is one). Read
/// once: the caller keeps the result.
pub(crate) fn read(root: &Root, path: &[u8], opened: &mut Opened) -> io::Result<Vec<u8>> {
    match opened {
        Opened::Regular(file, meta) => crate::whole_file::read_known_len(file, meta.len()),
        Opened::Other(Ok(meta)) if meta.file_type().is_symlink() => {
            Ok(std::fs::read_link(root.full_path(path))?
                .into_os_string()
                .into_vec())
        }
        Opened::Other(_) => std::fs::read(root.full_path(path)),
    }
}
