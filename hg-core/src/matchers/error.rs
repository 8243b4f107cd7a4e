//! Errors raised while turning patterns into matchers.
use std::path::PathBuf;

/// Why a set of patterns could not become a matcher.
///
/// The split matters to callers: `Unsupported` means "Mercurial's Python can
/// do this, we cannot do it exactly" (fall back), while `Abort` carries the
/// exact message Mercurial itself would abort with.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// Something this implementation does not reproduce exactly (regex
    /// features of Python's `re` without an equivalent, unusual pattern
    /// kinds, lazily-reported errors...): the caller must fall back to
    /// Mercurial's Python implementation.
    #[error("unsupported pattern: {0}")]
    Unsupported(String),
    /// A regex that Python's `re` rejects: `message` is exactly the text of
    /// Mercurial's `error.Abort` (without the `abort: ` prefix).
    #[error("{}", String::from_utf8_lossy(message))]
    InvalidRegex {
        /// Bytes of Mercurial's abort message, e.g.
        /// `/repo/.hgignore: invalid pattern (relre): (`.
        message: Vec<u8>,
    },
    /// A pattern file that could not be read for another reason than being
    /// absent (Python prints a warning with the OS error text; we fall back).
    #[error("unreadable pattern file {path:?}: {kind}")]
    UnreadableFile {
        /// The file's path as Mercurial opens it.
        path: PathBuf,
        /// What the OS said.
        kind: std::io::ErrorKind,
    },
}

impl PatternError {
    /// Shorthand used throughout the module for "let Python do it".
    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        PatternError::Unsupported(what.into())
    }

    /// Whether the only correct reaction is to let Mercurial's Python handle
    /// the whole operation (anything but an exactly reproduced abort).
    pub fn needs_fallback(&self) -> bool {
        !matches!(self, PatternError::InvalidRegex { .. })
    }
}
