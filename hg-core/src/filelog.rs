//! Filelogs: the history of one tracked file (`mercurial/filelog.py`,
//! `utils/storageutil.py`).
//!
//! A file revision's stored text is its content, preceded by a metadata
//! header when there is metadata (a copy or rename records its source as
//! `copy: <path>` and `copyrev: <hex node>`) or when the content itself
//! starts with the marker `\1\n` (an empty header then keeps the content
//! unambiguous):
//!
//! ```text
//! \1\n
//! copy: a.txt\n
//! copyrev: 0123...\n
//! \1\n
//! <content>
//! ```
//!
//! The node of a file revision hashes that stored text, header included
//! (see [`hash_revision`]), so a file renamed without change gets a new node.

use crate::revlog::{Node, Revision, RevisionFlags, Revlog, RevlogError, NULL_REVISION};

pub use crate::revlog::hash_revision;

/// The marker that opens and closes a metadata header.
pub const META_MARKER: &[u8] = b"\x01\n";

/// The key/value pairs of a metadata header, in stored order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMetadata {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl FileMetadata {
    /// The value of `key` (the last one if repeated, like Python's dict).
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &v[..])
    }

    /// Every pair, in stored order.
    pub fn entries(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.entries
    }

    /// Whether the header is empty (the content starts with `\1\n`).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The copy source recorded by `copy` and `copyrev`, when both are
    /// present (Mercurial ignores one without the other, an old bug's
    /// leftover); an invalid `copyrev` is corruption.
    pub fn copy_source(&self) -> Result<Option<CopySource>, String> {
        match (self.get(b"copy"), self.get(b"copyrev")) {
            (Some(path), Some(rev)) => {
                let node = Node::from_hex(rev).ok_or("copyrev is not a 40-digit hex node")?;
                Ok(Some(CopySource {
                    path: path.to_vec(),
                    node,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Whether the header marks a censored revision (`censored` key).
    pub fn is_censored(&self) -> bool {
        self.get(b"censored").is_some()
    }
}

/// Where a copied or renamed file revision came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// The source file's path.
    pub path: Vec<u8>,
    /// The source's file revision node (in the source's filelog).
    pub node: Node,
}

/// Splits a stored text into its metadata header and the offset where the
/// content starts (`storageutil.parsemeta`): `Ok(None)` without header,
/// `Err` for an unterminated header or a line without `": "`.
pub fn parse_metadata(text: &[u8]) -> Result<Option<(FileMetadata, usize)>, String> {
    if !text.starts_with(META_MARKER) {
        return Ok(None);
    }
    let close = memchr::memmem::find(&text[2..], META_MARKER)
        .ok_or("metadata header has no end marker")?
        + 2;
    let mut entries = Vec::new();
    // `bytes.splitlines()`: \n, \r\n and \r end lines.
    let header = &text[2..close];
    let mut start = 0;
    let mut i = 0;
    let mut lines = Vec::new();
    while i < header.len() {
        if header[i] == b'\n' || header[i] == b'\r' {
            lines.push(&header[start..i]);
            if header[i] == b'\r' && header.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start < header.len() {
        lines.push(&header[start..]);
    }
    for line in lines {
        let sep = memchr::memmem::find(line, b": ").ok_or("metadata line without ': '")?;
        entries.push((line[..sep].to_vec(), line[sep + 2..].to_vec()));
    }
    Ok(Some((FileMetadata { entries }, close + 2)))
}

/// A file revision's stored text, split into metadata and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRevision {
    text: Vec<u8>,
    content_start: usize,
    metadata: Option<FileMetadata>,
}

impl FileRevision {
    /// Splits a stored text.
    pub fn parse(text: Vec<u8>) -> Result<FileRevision, String> {
        let (metadata, content_start) = match parse_metadata(&text)? {
            Some((meta, start)) => (Some(meta), start),
            None => (None, 0),
        };
        Ok(FileRevision {
            text,
            content_start,
            metadata,
        })
    }

    /// The stored text, metadata header included (what the node hashes).
    pub fn raw_text(&self) -> &[u8] {
        &self.text
    }

    /// The file's content (`filelog.read`, `hg cat`).
    pub fn content(&self) -> &[u8] {
        &self.text[self.content_start..]
    }

    /// The metadata header, if the text has one.
    pub fn metadata(&self) -> Option<&FileMetadata> {
        self.metadata.as_ref()
    }

    /// The content, without copying when there is no header.
    pub fn into_content(mut self) -> Vec<u8> {
        if self.content_start > 0 {
            self.text.drain(..self.content_start);
        }
        self.text
    }
}

/// One file's filelog.
#[derive(Debug)]
pub struct Filelog {
    revlog: Revlog,
}

impl Filelog {
    /// Wraps an opened `data/<file>` revlog.
    pub fn new(revlog: Revlog) -> Filelog {
        Filelog { revlog }
    }

    /// The underlying revlog (entries, flags, parents, raw data).
    pub fn revlog(&self) -> &Revlog {
        &self.revlog
    }

    /// The revision with node `node` (a manifest's file node).
    pub fn rev(&self, node: &Node) -> Result<Revision, RevlogError> {
        self.revlog.rev(node)
    }

    /// The size of the stored text recorded in the index (metadata header
    /// included), without reading any data: Mercurial's `rawsize`. `None`
    /// when the index does not record it.
    pub fn stored_size(&self, rev: Revision) -> Result<Option<u32>, RevlogError> {
        Ok(self.revlog.entry(rev)?.raw_size())
    }

    /// The revision's flags; see [`RevisionFlags::needs_processing`].
    pub fn flags(&self, rev: Revision) -> Result<RevisionFlags, RevlogError> {
        Ok(self.revlog.entry(rev)?.flags())
    }

    /// The parents' nodes, what [`hash_revision`] takes with a text.
    pub fn parent_nodes(&self, rev: Revision) -> Result<[Node; 2], RevlogError> {
        self.revlog.parent_nodes(rev)
    }

    /// The revision's stored text, verified against its node and split
    /// into metadata and content. Refuses censored and externally stored
    /// (lfs) revisions ([`RevlogError::UnsupportedFlags`]).
    pub fn revision(&self, rev: Revision) -> Result<FileRevision, RevlogError> {
        let text = self.revlog.data(rev)?;
        FileRevision::parse(text).map_err(|reason| self.corrupted(rev, reason))
    }

    /// The content of the revision (`filelog.read`, what `hg cat` prints).
    pub fn content(&self, rev: Revision) -> Result<Vec<u8>, RevlogError> {
        Ok(self.revision(rev)?.into_content())
    }

    fn corrupted(&self, rev: Revision, reason: impl Into<String>) -> RevlogError {
        RevlogError::Corrupted {
            path: self.revlog.index_path().to_owned(),
            rev: Some(rev),
            reason: reason.into(),
        }
    }

    /// Whether the stored text starts with a metadata header, from the
    /// `HASMETA` flag when the revlog records it, else from the first two
    /// bytes of the stored text.
    pub fn has_metadata_header(&self, rev: Revision) -> Result<bool, RevlogError> {
        if self.revlog.format().filelog_meta {
            return Ok(self.flags(rev)?.contains(RevisionFlags::HASMETA));
        }
        Ok(self.revlog.raw_data(rev)?.starts_with(META_MARKER))
    }

    /// The copy source of the revision (`filelog.renamed`): only a
    /// revision without first parent can record one (Mercurial gives a
    /// copy a null first parent), and only with both `copy` and `copyrev`.
    pub fn renamed(&self, rev: Revision) -> Result<Option<CopySource>, RevlogError> {
        let entry = self.revlog.entry(rev)?;
        if self.revlog.format().filelog_meta && !entry.flags().contains(RevisionFlags::HASMETA) {
            return Ok(None);
        }
        if entry.p1() != NULL_REVISION {
            return Ok(None);
        }
        let revision = self.revision(rev)?;
        match revision.metadata() {
            Some(meta) => meta
                .copy_source()
                .map_err(|reason| self.corrupted(rev, reason)),
            None => Ok(None),
        }
    }

    /// The size `filelog.size` of Mercurial 6.9 reports, which
    /// `basefilectx.cmp` compares with the working file's size: 0 for a
    /// censored revision, the content length for a copy, otherwise the
    /// stored size, metadata header included (so a content starting with
    /// `\1\n` counts 4 more bytes; `cmp` allows for that). Mercurial 7.2
    /// counts the content length for every revision with a header instead.
    pub fn size(&self, rev: Revision) -> Result<u64, RevlogError> {
        let entry = self.revlog.entry(rev)?;
        let flags = entry.flags();
        if flags.contains(RevisionFlags::CENSORED) {
            return Ok(0);
        }
        if self.renamed(rev)?.is_some() {
            return Ok(self.content(rev)?.len() as u64);
        }
        let processed = RevisionFlags(flags.needs_processing().0 & !RevisionFlags::ELLIPSIS.0);
        if processed.0 != 0 {
            return Err(RevlogError::UnsupportedFlags {
                path: self.revlog.index_path().to_owned(),
                rev,
                flags: processed.0,
            });
        }
        match entry.raw_size() {
            Some(size) => Ok(size as u64),
            None => Ok(self.revlog.raw_data(rev)?.len() as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parsing() {
        assert_eq!(parse_metadata(b"plain").unwrap(), None);
        let text = b"\x01\ncopy: a\ncopyrev: 0123456789012345678901234567890123456789\n\x01\nbody";
        let (meta, start) = parse_metadata(text).unwrap().unwrap();
        assert_eq!(&text[start..], b"body");
        assert_eq!(meta.get(b"copy"), Some(&b"a"[..]));
        let source = meta.copy_source().unwrap().unwrap();
        assert_eq!(source.path, b"a");
        assert_eq!(
            source.node.to_hex(),
            "0123456789012345678901234567890123456789"
        );
        // An escaped content that itself starts with the marker.
        let (meta, start) = parse_metadata(b"\x01\n\x01\n\x01\nx").unwrap().unwrap();
        assert!(meta.is_empty());
        assert_eq!(start, 4);
        let rev = FileRevision::parse(b"\x01\n\x01\n\x01\nx".to_vec()).unwrap();
        assert_eq!(rev.content(), b"\x01\nx");
        assert_eq!(rev.into_content(), b"\x01\nx");
        // Only copy, or an invalid copyrev.
        let (meta, _) = parse_metadata(b"\x01\ncopy: a\n\x01\n").unwrap().unwrap();
        assert_eq!(meta.copy_source(), Ok(None));
        let (meta, _) = parse_metadata(b"\x01\ncopy: a\ncopyrev: zz\n\x01\n")
            .unwrap()
            .unwrap();
        assert!(meta.copy_source().is_err());
        assert!(parse_metadata(b"\x01\ncopy: a\n").is_err());
        assert!(parse_metadata(b"\x01\nnocolon\n\x01\n").is_err());
        let (meta, _) = parse_metadata(b"\x01\ncensored: yes\n\x01\n")
            .unwrap()
            .unwrap();
        assert!(meta.is_censored());
    }
}
