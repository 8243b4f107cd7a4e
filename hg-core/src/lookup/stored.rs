//! One file revision of p1, seen the way Mercurial's `filelog.size`,
//! `filelog.cmp` and `storageutil.filedataequivalent` see it, for the
//! calling Mercurial's [`MetaRule`].
//!
//! Reading a stored text costs a delta chain; most decisions need none:
//! the node hashes the stored text with the parents, so hashing the working
//! content (escaped as Mercurial stores it) decides equality, and the sizes
//! come from the index unless the revision may carry a metadata header.

use sha1::{Digest, Sha1};

use super::{MetaRule, UndecidedReason};
use crate::filelog::{parse_metadata, Filelog, META_MARKER};
use crate::parent_fd::ParentFd;
use crate::revlog::{Node, Revision, RevisionFlags, NULL_REVISION};
use crate::store::Store;

/// A manifest entry's file revision, opened in its filelog.
pub(crate) struct StoredFile {
    filelog: Filelog,
    rev: Revision,
    node: Node,
    rule: MetaRule,
}

/// The node Mercurial would give `data` as a file revision with these
/// parents: escaped with an empty metadata header when it starts with
/// `\1\n` (`filedataequivalent`), then `hash_revision`.
fn working_node(parents: &[Node; 2], data: &[u8]) -> Node {
    let (a, b) = if parents[0] <= parents[1] {
        (&parents[0], &parents[1])
    } else {
        (&parents[1], &parents[0])
    };
    let mut hasher = Sha1::new();
    hasher.update(a.0);
    hasher.update(b.0);
    if data.starts_with(META_MARKER) {
        hasher.update(META_MARKER);
        hasher.update(META_MARKER);
    }
    hasher.update(data);
    Node(hasher.finalize().into())
}

/// `storageutil.filtermetadata`: the content after a metadata header.
/// Python raises `ValueError` on an unterminated header.
fn filter_metadata(text: &[u8]) -> Result<&[u8], UndecidedReason> {
    if !text.starts_with(META_MARKER) {
        return Ok(text);
    }
    let close = memchr::memmem::find(&text[2..], META_MARKER)
        .ok_or(UndecidedReason::Metadata("no end marker"))?;
    Ok(&text[close + 4..])
}

impl StoredFile {
    /// Opens the filelog of `path` and finds `node` in it. Revisions whose
    /// flags change what the stored text means are refused.
    pub(crate) fn open(
        store: &Store,
        parent: &mut ParentFd,
        path: &[u8],
        node: Node,
        rule: MetaRule,
    ) -> Result<StoredFile, UndecidedReason> {
        let filelog = store.filelog_in(path, parent)?;
        let rev = filelog.rev(&node)?;
        let flags = filelog.flags(rev)?.needs_processing();
        if flags.0 != 0 {
            return Err(UndecidedReason::RevisionFlags(flags.0));
        }
        Ok(StoredFile {
            filelog,
            rev,
            node,
            rule,
        })
    }

    fn flags(&self) -> Result<RevisionFlags, UndecidedReason> {
        Ok(self.filelog.flags(self.rev)?)
    }

    fn first_parent_is_null(&self) -> Result<bool, UndecidedReason> {
        Ok(self.filelog.revlog().entry(self.rev)?.p1() == NULL_REVISION)
    }

    /// Whether the index alone tells that the size is the raw size: the
    /// revision cannot have a header that counts under the rule.
    fn header_excluded_by_index(&self) -> Result<bool, UndecidedReason> {
        if self.filelog.revlog().format().filelog_meta && self.rule == MetaRule::AnyHeader {
            return Ok(!self.flags()?.contains(RevisionFlags::HASMETA));
        }
        // Both rules look at the stored text only for a null first parent
        // (Mercurial gives copies one).
        Ok(!self.first_parent_is_null()?)
    }

    /// Whether the header counts (`filelog.renamed` for 6.9/7.0,
    /// `filelog.has_meta` for 7.1+).
    fn header_counts(&self) -> Result<bool, UndecidedReason> {
        match self.rule {
            MetaRule::AnyHeader => {
                if self.filelog.revlog().format().filelog_meta {
                    return Ok(self.flags()?.contains(RevisionFlags::HASMETA));
                }
                if !self.first_parent_is_null()? {
                    return Ok(false);
                }
                Ok(self
                    .filelog
                    .revlog()
                    .raw_data(self.rev)?
                    .starts_with(META_MARKER))
            }
            MetaRule::CopySource => {
                // `storageutil.filerevisioncopied`: parents in stored order.
                if !self.first_parent_is_null()? {
                    return Ok(false);
                }
                let text = self.filelog.revlog().data(self.rev)?;
                let meta = match parse_metadata(&text) {
                    Ok(Some((meta, _))) => meta,
                    Ok(None) => return Ok(false),
                    Err(_) => return Err(UndecidedReason::Metadata("unparsable header")),
                };
                if meta.get(b"copy").is_none() || meta.get(b"copyrev").is_none() {
                    return Ok(false);
                }
                // `bin(copyrev)` raises on a bad node.
                match meta.copy_source() {
                    Ok(_) => Ok(true),
                    Err(_) => Err(UndecidedReason::Metadata("invalid copyrev")),
                }
            }
        }
    }

    /// The raw size as `revlog.rawsize` gives it: from the index, or the
    /// raw text's length when the index does not record it.
    fn raw_size(&self) -> Result<u64, UndecidedReason> {
        match self.filelog.stored_size(self.rev)? {
            Some(size) => Ok(u64::from(size)),
            None => Ok(self.filelog.revlog().raw_data(self.rev)?.len() as u64),
        }
    }

    /// `filelog.size(rev)` when the index alone gives it.
    pub(crate) fn size_from_index(&self) -> Result<Option<u64>, UndecidedReason> {
        if !self.header_excluded_by_index()? {
            return Ok(None);
        }
        Ok(self.filelog.stored_size(self.rev)?.map(u64::from))
    }

    /// `filelog.size(rev)`: the content's length for a revision whose
    /// header counts, else the raw size (a content starting with `\1\n`
    /// then counts its 4-byte escape; `basefilectx.cmp` allows for it).
    pub(crate) fn size(&self) -> Result<u64, UndecidedReason> {
        if self.header_counts()? {
            return Ok(self.content()?.len() as u64);
        }
        self.raw_size()
    }

    /// `filelog.read(node)`: the verified stored text without its header.
    fn content(&self) -> Result<Vec<u8>, UndecidedReason> {
        let text = self.filelog.revlog().data(self.rev)?;
        Ok(filter_metadata(&text)?.to_vec())
    }

    /// Whether `data` hashes to this revision's node: then it is this
    /// revision's content (the first test of `filedataequivalent`).
    pub(crate) fn hash_matches(&self, data: &[u8]) -> Result<bool, UndecidedReason> {
        let parents = self.filelog.parent_nodes(self.rev)?;
        Ok(working_node(&parents, data) == self.node)
    }

    /// Whether the index records the raw size a stored text equal to the
    /// escaped `data` has (or none): with a matching hash, then Mercurial's
    /// size check lets it reach the comparison, whatever the rule.
    pub(crate) fn raw_size_fits(&self, data: &[u8]) -> Result<bool, UndecidedReason> {
        let escaped = data.len() as u64 + if data.starts_with(META_MARKER) { 4 } else { 0 };
        Ok(self
            .filelog
            .stored_size(self.rev)?
            .is_none_or(|size| u64::from(size) == escaped))
    }

    /// `filedataequivalent` once the hash did not match: equal only if
    /// the header counts and the stored content is `data`.
    pub(crate) fn equivalent_without_hash(&self, data: &[u8]) -> Result<bool, UndecidedReason> {
        if !self.header_counts()? {
            return Ok(false);
        }
        Ok(self.content()? == data)
    }

    /// `filedataequivalent(store, node, data)`.
    pub(crate) fn equivalent(&self, data: &[u8]) -> Result<bool, UndecidedReason> {
        if self.hash_matches(data)? {
            return Ok(true);
        }
        self.equivalent_without_hash(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revlog::{hash_revision, NULL_NODE};

    #[test]
    fn working_node_escapes_like_filedataequivalent() {
        let p = [NULL_NODE, Node([3; 20])];
        assert_eq!(
            working_node(&p, b"abc"),
            hash_revision(&p[0], &p[1], b"abc")
        );
        assert_eq!(
            working_node(&p, b"\x01\nabc"),
            hash_revision(&p[0], &p[1], b"\x01\n\x01\n\x01\nabc")
        );
    }

    #[test]
    fn filtermetadata() {
        assert_eq!(filter_metadata(b"plain").unwrap(), b"plain");
        assert_eq!(
            filter_metadata(b"\x01\ncopy: a\n\x01\nbody").unwrap(),
            b"body"
        );
        assert_eq!(filter_metadata(b"\x01\n\x01\n\x01\nx").unwrap(), b"\x01\nx");
        // Python finds the closing marker from offset 2, even overlapping
        // the opening one's end.
        assert_eq!(filter_metadata(b"\x01\n\x01\n").unwrap(), b"");
        assert!(filter_metadata(b"\x01\nno end").is_err());
    }
}
