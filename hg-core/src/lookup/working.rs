//! The working-copy side of a comparison, read the way Mercurial reads it:
//! flags from `lstat` (`dirstate.flagfunc` on a file system with exec bits
//! and symlinks), content through `repo.wread` (a symlink's target, or the
//! file's bytes after the path audit).

use std::ffi::OsStr;
use std::fs::Metadata;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::manifest::ManifestFlags;

/// The working file's path.
pub(crate) fn full_path(root: &Path, path: &[u8]) -> PathBuf {
    root.join(OsStr::from_bytes(path))
}

/// `os.lstat`.
pub(crate) fn lstat(root: &Path, path: &[u8]) -> io::Result<Metadata> {
    std::fs::symlink_metadata(full_path(root, path))
}

/// `workingctx.flags(f)`: `l` for a symlink, else `x` if the owner may
/// execute it (a directory counts too), else none; none when `lstat`
/// failed (`flagfunc` catches the `OSError`).
pub(crate) fn flags(stat: &io::Result<Metadata>) -> ManifestFlags {
    match stat {
        Err(_) => ManifestFlags::Regular,
        Ok(m) if m.file_type().is_symlink() => ManifestFlags::Symlink,
        Ok(m) if m.permissions().mode() & 0o100 != 0 => ManifestFlags::Executable,
        Ok(_) => ManifestFlags::Regular,
    }
}

/// `repo.wread(f)` without filters: a symlink's target (`readlink`), or
/// the file's bytes. `is_link` is what the `lstat` just before said.
pub(crate) fn read(root: &Path, path: &[u8], is_link: bool) -> io::Result<Vec<u8>> {
    let full = full_path(root, path);
    if is_link {
        Ok(std::fs::read_link(full)?.into_os_string().into_vec())
    } else {
        std::fs::read(full)
    }
}
