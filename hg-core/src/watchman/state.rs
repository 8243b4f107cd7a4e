//! `.hg/fsmonitor.state`, read and written byte for byte as fsmonitor's
//! `state.py` does (Mercurial 6.9.5 and 7.2.4 are the same).
//!
//! Layout (version 4): the version as a big-endian `u32`, then
//! `hostname\0clock\0ignorehash\0`, then every "notable" file (the
//! modified, added, removed, deleted and unknown files of the status that
//! wrote it) each followed by `\0`. On reading, anything after the last
//! `\0` is dropped, and the file is *invalid* (fsmonitor deletes it and
//! starts from the null clock) when it has fewer than 4 bytes, another
//! version, fewer than three `\0`-separated chunks, or another host's
//! name. fsmonitor only writes it if the file still has the identity
//! (size, ctime, mtime in seconds: `util.filestat`) it had when read, so
//! that a concurrent writer wins; it writes through an atomic temporary
//! file and, like `atomictemp=True, checkambig=True`, moves the mtime one
//! second on when the new file's ctime equals the old one's.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `_version` in state.py.
pub const VERSION: u32 = 4;

/// The file's name under `.hg`.
pub const FILE_NAME: &str = "fsmonitor.state";

/// What a valid state file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// The watchman clock of the last status that wrote the file. May be
    /// empty: fsmonitor then treats it as no clock (`if not clock`).
    pub clock: Vec<u8>,
    /// The hex SHA-1 of `repr(ignore matcher)` (`_hashignore`): when it
    /// differs from the current one, fsmonitor queries from the null
    /// clock (the ignore rules changed, watchman's list is not enough).
    pub ignore_hash: Vec<u8>,
    /// Files that were not clean at that status: they must be looked at
    /// again even if watchman does not report them.
    pub notefiles: Vec<Vec<u8>>,
}

/// Why a state file is not used (fsmonitor logs it and deletes the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// Fewer than the 4 bytes of the version.
    #[error("state file only has {0} bytes")]
    TooShort(usize),
    /// Another format version.
    #[error("version switch from {0} to {VERSION}")]
    Version(u32),
    /// Fewer than three `\0`-separated chunks after the version.
    #[error("state file truncated (expected 3 chunks, found {0})")]
    Truncated(usize),
    /// Written on another host (a repository moved or shared).
    #[error("stored hostname \"{}\" different from current", .0.escape_ascii())]
    Hostname(Vec<u8>),
}

/// Parses the bytes of a state file for this `hostname`.
pub fn parse(bytes: &[u8], hostname: &[u8]) -> Result<State, Invalid> {
    let Some((version, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(Invalid::TooShort(bytes.len()));
    };
    let version = u32::from_be_bytes(*version);
    if version != VERSION {
        return Err(Invalid::Version(version));
    }
    let chunks: Vec<&[u8]> = rest.split(|&b| b == 0).collect();
    if chunks.len() < 3 {
        return Err(Invalid::Truncated(chunks.len()));
    }
    if chunks[0] != hostname {
        return Err(Invalid::Hostname(chunks[0].to_vec()));
    }
    Ok(State {
        clock: chunks[1].to_vec(),
        ignore_hash: chunks[2].to_vec(),
        // `state[3:-1]`: what follows the last NUL is dropped.
        notefiles: match chunks.len() {
            0..=3 => Vec::new(),
            n => chunks[3..n - 1].iter().map(|f| f.to_vec()).collect(),
        },
    })
}

/// The bytes `state.set` writes for `state` on `hostname`.
pub fn serialize(state: &State, hostname: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        4 + hostname.len()
            + state.clock.len()
            + state.ignore_hash.len()
            + 3
            + state.notefiles.iter().map(|f| f.len() + 1).sum::<usize>(),
    );
    out.extend_from_slice(&VERSION.to_be_bytes());
    for chunk in [hostname, &state.clock, &state.ignore_hash] {
        out.extend_from_slice(chunk);
        out.push(0);
    }
    for file in &state.notefiles {
        out.extend_from_slice(file);
        out.push(0);
    }
    out
}

/// This machine's name as Python's `socket.gethostname()` gives it
/// (`uname`'s node name) and fsmonitor stores it.
pub fn hostname() -> Vec<u8> {
    rustix::system::uname().nodename().to_bytes().to_vec()
}

/// Mercurial's `util.filestat` equality: size, ctime and mtime in whole
/// seconds, or "no file".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Identity(Option<(u64, i64, i64)>);

impl Identity {
    fn of(meta: &fs::Metadata) -> Self {
        Identity(Some((meta.size(), meta.ctime(), meta.mtime())))
    }

    fn of_path(path: &Path) -> io::Result<Self> {
        match fs::metadata(path) {
            Ok(meta) => Ok(Identity::of(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Identity(None)),
            Err(e) => Err(e),
        }
    }
}

/// What [`StateFile::get`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// No state file: query from the null clock.
    Missing,
    /// A usable state.
    Valid(State),
    /// An unusable file, now deleted, as fsmonitor does.
    Invalidated(Invalid),
}

/// What [`StateFile::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file was replaced.
    Written,
    /// The file changed since it was read (another process wrote it):
    /// left alone, as fsmonitor does ("identity mismatch").
    IdentityMismatch,
    /// No clock was given: the file was deleted instead.
    Invalidated,
}

/// `.hg/fsmonitor.state` and the identity it had when last read, like
/// one `state.state` object.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    identity: Identity,
}

impl StateFile {
    /// The state file of the repository whose `.hg` is `hg_dir`.
    pub fn new(hg_dir: &Path) -> Self {
        StateFile {
            path: hg_dir.join(FILE_NAME),
            identity: Identity(None),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `state.get`: reads the file, remembers its identity, and deletes
    /// it when invalid. I/O errors other than a missing file are
    /// returned, as Python raises them.
    pub fn get(&mut self, hostname: &[u8]) -> io::Result<Loaded> {
        let mut file = match fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) => {
                self.identity = Identity(None);
                return if e.kind() == io::ErrorKind::NotFound {
                    Ok(Loaded::Missing)
                } else {
                    Err(e)
                };
            }
        };
        self.identity = Identity::of(&file.metadata()?);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        match parse(&bytes, hostname) {
            Ok(state) => Ok(Loaded::Valid(state)),
            Err(invalid) => {
                self.invalidate()?;
                Ok(Loaded::Invalidated(invalid))
            }
        }
    }

    /// `state.set`: with a clock, writes `state` if the file still has
    /// the identity it had at the last [`get`](Self::get) (no clock:
    /// deletes it). The recorded identity is not updated, as in Python.
    pub fn set(&mut self, hostname: &[u8], state: Option<&State>) -> io::Result<Written> {
        let Some(state) = state else {
            self.invalidate()?;
            return Ok(Written::Invalidated);
        };
        if Identity::of_path(&self.path)? != self.identity {
            return Ok(Written::IdentityMismatch);
        }
        atomic_write_checkambig(&self.path, &serialize(state, hostname))?;
        Ok(Written::Written)
    }

    /// `state.invalidate`: deletes the file (missing is fine).
    pub fn invalidate(&mut self) -> io::Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.identity = Identity(None);
        Ok(())
    }
}

/// Mercurial's `atomictempfile(checkambig=True)`: the content goes to
/// `.NAME-XXXXXXXX~` beside the file, with the old file's permission bits
/// (or 0o666 less the umask), and is renamed over it; if the new file's
/// ctime (seconds) equals the old one's, its mtime becomes the old mtime
/// plus one second (`filestat.avoidambig`), so that a reader comparing
/// stats sees the change. Not fsynced, like Mercurial.
fn atomic_write_checkambig(path: &Path, content: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default();
    let old = match fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let (temp_path, mut temp) = create_temp(dir, name)?;
    let result = (|| {
        if let Some(old) = &old {
            temp.set_permissions(fs::Permissions::from_mode(old.mode() & 0o777))?;
        }
        temp.write_all(content)?;
        drop(temp);
        fs::rename(&temp_path, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp_path);
        return Err(e);
    }
    if let Some(old) = old {
        let new = fs::metadata(path)?;
        if new.ctime() == old.ctime() {
            let advanced = (old.mtime() + 1) & 0x7fff_ffff;
            let t = rustix::fs::Timespec {
                tv_sec: advanced,
                tv_nsec: 0,
            };
            let times = rustix::fs::Timestamps {
                last_access: t,
                last_modification: t,
            };
            match rustix::fs::utimensat(rustix::fs::CWD, path, &times, rustix::fs::AtFlags::empty())
            {
                // Mercurial skips this when it may not (another user's file).
                Ok(()) | Err(rustix::io::Errno::PERM) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Creates a new temporary file named like `mkstemp(prefix=b'.NAME-',
/// suffix=b'~')` does.
fn create_temp(dir: &Path, name: &std::ffi::OsStr) -> io::Result<(PathBuf, fs::File)> {
    use std::time::{SystemTime, UNIX_EPOCH};
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ (u64::from(std::process::id()) << 32);
    for _ in 0..100 {
        let mut temp_name = b".".to_vec();
        temp_name.extend_from_slice(name.as_encoded_bytes());
        temp_name.push(b'-');
        for _ in 0..8 {
            // xorshift: only uniqueness matters, create_new checks it.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            temp_name.push(LETTERS[(seed % LETTERS.len() as u64) as usize]);
        }
        temp_name.push(b'~');
        let temp_path = dir.join(OsString::from_vec(temp_name));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rules() {
        let ok = b"\0\0\0\x04host\0c:1:2\0abc\0a\0b/c\0";
        assert_eq!(
            parse(ok, b"host").unwrap(),
            State {
                clock: b"c:1:2".to_vec(),
                ignore_hash: b"abc".to_vec(),
                notefiles: vec![b"a".to_vec(), b"b/c".to_vec()],
            }
        );
        // What follows the last NUL is dropped; three chunks are enough.
        let state = parse(b"\0\0\0\x04host\0c\0hash", b"host").unwrap();
        assert_eq!(state.ignore_hash, b"hash");
        assert!(state.notefiles.is_empty());
        let state = parse(b"\0\0\0\x04host\0c\0h\0x\0tail", b"host").unwrap();
        assert_eq!(state.notefiles, vec![b"x".to_vec()]);
        assert_eq!(parse(b"\0\0\0", b"host"), Err(Invalid::TooShort(3)));
        assert_eq!(
            parse(b"\0\0\0\x03host\0c\0h\0", b"host"),
            Err(Invalid::Version(3))
        );
        assert_eq!(
            parse(b"\0\0\0\x04host\0c", b"host"),
            Err(Invalid::Truncated(2))
        );
        assert_eq!(
            parse(b"\0\0\0\x04other\0c\0h\0", b"host"),
            Err(Invalid::Hostname(b"other".to_vec()))
        );
    }

    #[test]
    fn serialize_round_trips() {
        let state = State {
            clock: b"c:1:2:3:4".to_vec(),
            ignore_hash: b"da39a3ee5e6b4b0d3255bfef95601890afd80709".to_vec(),
            notefiles: vec![b"a".to_vec(), b"\xff".to_vec()],
        };
        assert_eq!(parse(&serialize(&state, b"h"), b"h").unwrap(), state);
        let empty = State::default();
        assert_eq!(serialize(&empty, b"h"), b"\0\0\0\x04h\0\0\0");
        assert_eq!(parse(&serialize(&empty, b"h"), b"h").unwrap(), empty);
    }

    #[test]
    fn get_set_invalidate() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::new(dir.path());
        assert_eq!(file.get(b"h").unwrap(), Loaded::Missing);
        let state = State {
            clock: b"c:1".to_vec(),
            ignore_hash: b"x".to_vec(),
            notefiles: vec![],
        };
        assert_eq!(file.set(b"h", Some(&state)).unwrap(), Written::Written);
        assert_eq!(fs::read(file.path()).unwrap(), serialize(&state, b"h"));
        // The identity recorded was "no file": now stale, as in Python.
        assert_eq!(
            file.set(b"h", Some(&state)).unwrap(),
            Written::IdentityMismatch
        );
        assert_eq!(file.get(b"h").unwrap(), Loaded::Valid(state.clone()));
        // Rewriting keeps the permission bits and leaves no temp file.
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o640)).unwrap();
        file.get(b"h").unwrap();
        let old = fs::metadata(file.path()).unwrap();
        assert_eq!(file.set(b"h", Some(&state)).unwrap(), Written::Written);
        let new = fs::metadata(file.path()).unwrap();
        assert_eq!(new.mode() & 0o777, 0o640);
        // Same-second rewrite: the mtime moved on (checkambig).
        if new.ctime() == old.ctime() {
            assert_eq!(new.mtime(), (old.mtime() + 1) & 0x7fff_ffff);
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Another host's file is deleted on read.
        assert!(matches!(
            file.get(b"other").unwrap(),
            Loaded::Invalidated(Invalid::Hostname(_))
        ));
        assert!(!file.path().exists());
        assert_eq!(file.set(b"h", None).unwrap(), Written::Invalidated);
    }
}
