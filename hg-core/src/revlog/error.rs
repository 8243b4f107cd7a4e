//! The one error type of store reading, so that a caller (the status
//! binding) can tell "this repository is damaged" from "this is a format we
//! chose not to read" from "the file system failed", and fall back to
//! Mercurial's own code for the last two.

use super::Revision;
use std::path::PathBuf;

/// Everything that can go wrong while reading a revlog, a manifest, a
/// changelog entry or a filelog revision. Never a panic: corrupt or
/// truncated files end here.
#[derive(Debug, thiserror::Error)]
pub enum RevlogError {
    /// Opening, reading or mapping a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file we tried to read.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes on disk contradict the format: a truncated index, an
    /// offset past the end of the data, a delta base after its revision, an
    /// undecodable patch or compressed chunk, a malformed manifest line...
    #[error("{}: corrupted revlog{}: {reason}", path.display(), rev_suffix(*rev))]
    Corrupted {
        /// The index file (or the file being parsed).
        path: PathBuf,
        /// The revision being read, when there is one.
        rev: Option<Revision>,
        /// What was wrong, for humans.
        reason: String,
    },
    /// A well-formed file in a format this crate does not read (revlog v0,
    /// v2, changelog v2, unknown header flags). Mercurial may read it.
    #[error("{}: unsupported revlog format: version {version}, flags {flags:#x}", path.display())]
    UnsupportedFormat {
        /// The index file.
        path: PathBuf,
        /// The low 16 bits of the header.
        version: u16,
        /// The high 16 bits of the header.
        flags: u16,
    },
    /// A chunk starts with a compression header other than zlib (`x`),
    /// zstd (`(`), stored (`u`) and plain (`\0`): an engine from an
    /// extension. Mercurial with that extension may read it.
    #[error("{}: unknown compression header {header:#04x} in revision {rev}", path.display())]
    UnknownCompression {
        /// The revlog.
        path: PathBuf,
        /// The revision whose chunk has this header.
        rev: Revision,
        /// The first byte of the chunk.
        header: u8,
    },
    /// A revision number outside the revlog (or the null revision where a
    /// real one is required).
    #[error("{}: revision {rev} out of range", path.display())]
    RevisionOutOfRange {
        /// The revlog.
        path: PathBuf,
        /// The revision asked for.
        rev: Revision,
    },
    /// No revision has this node id.
    #[error("{}: no revision with node {node}", path.display())]
    NodeNotFound {
        /// The revlog.
        path: PathBuf,
        /// The node asked for.
        node: super::Node,
    },
    /// The reconstructed text does not hash to the revision's node id
    /// (corruption, or a revision whose flags say its text is not hashed
    /// as stored).
    #[error("{}: integrity check failed on revision {rev}", path.display())]
    HashMismatch {
        /// The revlog.
        path: PathBuf,
        /// The revision.
        rev: Revision,
    },
    /// The revision has flags whose meaning needs a flag processor we do not
    /// implement (censored, externally stored by lfs, ellipsis, or a bit
    /// unknown to Mercurial): its raw text is not its content.
    #[error("{}: revision {rev} has unsupported flags {flags:#06x}", path.display())]
    UnsupportedFlags {
        /// The revlog.
        path: PathBuf,
        /// The revision.
        rev: Revision,
        /// The flags that stopped us.
        flags: u16,
    },
}

fn rev_suffix(rev: Option<Revision>) -> String {
    match rev {
        Some(r) => format!(" (revision {r})"),
        None => String::new(),
    }
}

impl RevlogError {
    /// Shorthand for [`RevlogError::Corrupted`].
    pub(crate) fn corrupted(
        path: impl Into<PathBuf>,
        rev: Option<Revision>,
        reason: impl Into<String>,
    ) -> Self {
        RevlogError::Corrupted {
            path: path.into(),
            rev,
            reason: reason.into(),
        }
    }

    /// Whether the data is damaged (as opposed to unsupported, missing or
    /// unreadable), i.e. whether Mercurial itself would also fail.
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            RevlogError::Corrupted { .. } | RevlogError::HashMismatch { .. }
        )
    }
}
