//! What a status run returns: Mercurial's lists plus the facts the caller
//! needs to keep the dirstate's v2 directory cache up to date.

use crate::dirstate::CachedDirectory;

use super::fs::strerror;

/// Why an explicitly named path (or a directory the walk had to read) is
/// reported through `match.bad`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadReason {
    /// An OS error, reported with its `strerror` text like Python does.
    OsError(i32),
    /// A directory the walk could not list (Mercurial warns with the path
    /// relative to the current directory, unlike explicit paths).
    Unreadable(i32),
    /// An explicit path of a type Mercurial cannot track; the value is its
    /// `S_IFMT` bits.
    BadType(u32),
}

impl BadReason {
    /// The message Mercurial passes to `match.bad` for this reason.
    pub fn message(&self) -> String {
        match *self {
            BadReason::OsError(errno) | BadReason::Unreadable(errno) => strerror(errno),
            BadReason::BadType(kind) => {
                let name = match kind {
                    libc::S_IFCHR => "character device",
                    libc::S_IFBLK => "block device",
                    libc::S_IFIFO => "fifo",
                    libc::S_IFSOCK => "socket",
                    libc::S_IFDIR => "directory",
                    _ => "unknown",
                };
                format!("unsupported file type (type is {name})")
            }
        }
    }
}

/// Work counters, so that tests (and benchmarks) can prove what the walk did
/// not do, e.g. that a cached directory was not read again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Directories whose entries were listed with `readdir` (by both
    /// passes when `empty_dirs` are collected: see `empty_dirs.rs`).
    pub dirs_read: usize,
    /// `fstatat` calls on entries (both passes, likewise).
    pub entries_stated: usize,
    /// Directories answered from the dirstate-v2 directory cache.
    pub dirs_from_cache: usize,
}

/// The result of [`super::status`]: the lists of `dirstate._rust_status`'s
/// 12-tuple (unsorted; Mercurial sorts them itself) and cache bookkeeping.
///
/// Tracked paths borrow from the dirstate map; paths that only exist on disk
/// are owned.
#[derive(Debug, Default)]
pub struct StatusOutcome<'a> {
    /// Possibly modified: contents must be compared to be sure.
    pub lookup: Vec<&'a [u8]>,
    /// Certainly modified.
    pub modified: Vec<&'a [u8]>,
    /// Added.
    pub added: Vec<&'a [u8]>,
    /// Marked removed.
    pub removed: Vec<&'a [u8]>,
    /// Tracked but missing on disk.
    pub deleted: Vec<&'a [u8]>,
    /// Clean (only filled when asked for).
    pub clean: Vec<&'a [u8]>,
    /// Ignored files (only when asked for).
    pub ignored: Vec<Vec<u8>>,
    /// Unknown files (only when asked for).
    pub unknown: Vec<Vec<u8>>,
    /// Paths for `match.bad`, with the reason.
    pub bad: Vec<(Vec<u8>, BadReason)>,
    /// Directories the walk traversed, for `match.traversedir`.
    pub traversed: Vec<Vec<u8>>,
    /// Directories that are or will be empty once `hg purge` has removed
    /// what it removes, which it then removes without checking again
    /// (only with [`super::StatusOptions::collect_empty_dirs`]): upstream
    /// Mercurial 7.2.4's Rust list, repo-relative, `/`-separated, unsorted,
    /// never the root.
    pub empty_dirs: Vec<Vec<u8>>,
    /// Directory-cache changes to apply to the map (`None` = forget).
    pub cache_updates: Vec<(Vec<u8>, Option<CachedDirectory>)>,
    /// Whether the dirstate must be written back (cache or ignore hash
    /// changed).
    pub dirty: bool,
    /// What the walk did.
    pub counters: Counters,
    /// Whether an untracked file had to be classified with the ignore
    /// patterns (`dirstate._dirignore` in Python). Python reads those
    /// patterns lazily at that moment when ignored files are listed or
    /// unknown ones are not, so only then would it abort on an invalid
    /// pattern or warn about a missing ignore file.
    pub ignore_consulted: bool,
}

impl<'a> StatusOutcome<'a> {
    /// Appends the lists of `other` (results gathered apart, e.g. per
    /// directory or per task) to these; counters and flags are left alone.
    pub fn absorb(&mut self, other: StatusOutcome<'a>) {
        self.lookup.extend(other.lookup);
        self.modified.extend(other.modified);
        self.added.extend(other.added);
        self.removed.extend(other.removed);
        self.deleted.extend(other.deleted);
        self.clean.extend(other.clean);
        self.ignored.extend(other.ignored);
        self.unknown.extend(other.unknown);
        self.bad.extend(other.bad);
        self.traversed.extend(other.traversed);
        self.empty_dirs.extend(other.empty_dirs);
        self.cache_updates.extend(other.cache_updates);
    }
}
