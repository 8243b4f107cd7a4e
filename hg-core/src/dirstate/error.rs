//! The one error type of the dirstate, so the binding can map each failure to
//! the exception Mercurial itself would raise in the same situation.

/// Everything that can go wrong while reading, changing or writing a dirstate.
///
/// Variants are split by the Python exception they correspond to, because the
/// binding must reproduce Mercurial's behaviour, not only report a failure.
#[derive(Debug, thiserror::Error)]
pub enum DirstateError {
    /// A dirstate-v2 data file or tree metadata is inconsistent (offsets or
    /// counts past the end, bad lengths). Mercurial raises
    /// `mercurial.error.CorruptedDirstate` here.
    #[error("dirstate is corrupted: {0}")]
    Corrupted(String),
    /// A dirstate-v1 file is truncated or a record overflows the file.
    /// Mercurial's C parser raises `ValueError` with exactly this message
    /// ("too little data for parents", "overflow in dirstate").
    #[error("{0}")]
    V1Format(&'static str),
    /// A dirstate-v1 record has a state byte other than n/a/r/m. The C parser
    /// raises `RuntimeError("unknown state: ...")`.
    #[error("unknown state: `{}`", char::from(*.0))]
    UnknownState(u8),
    /// A path with an empty component ("a//b") was given to a directory
    /// multiset. C's `dirs` raises `ValueError` with this message.
    #[error("found invalid consecutive slashes in path")]
    ConsecutiveSlashes,
    /// A directory multiset was asked to forget a path it never counted.
    /// C's `dirs.delpath` raises `ValueError` with this message.
    #[error("expected a value, found none")]
    DirNotFound,
    /// An operation needs an existing entry (`set_clean`,
    /// `set_possibly_dirty`); Python raises `KeyError(path)`.
    #[error("no entry for {}", String::from_utf8_lossy(.0))]
    NoSuchEntry(Vec<u8>),
    /// Nanoseconds out of range for a timestamp; Python raises `ValueError`.
    #[error("invalid timestamp: {0} nanoseconds")]
    InvalidTimestamp(u32),
    /// Paths and lengths that cannot be represented in the on-disk formats
    /// (a v2 path longer than 65535 bytes, a file over 4 GiB).
    #[error("cannot write dirstate: {0}")]
    TooLarge(String),
    /// Reading a file (mmap of a v2 data file) failed; maps to `OSError`.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
