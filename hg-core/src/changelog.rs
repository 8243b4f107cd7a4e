//! The changelog, read only as far as finding a changeset's manifest: a
//! changeset's text starts with the hex node of its manifest
//! (`manifest\nuser\ntime tz extra\nfiles...\n\ndescription`,
//! `mercurial/changelog.py`).

use crate::revlog::{Node, Revision, Revlog, RevlogError, NULL_NODE, NULL_REVISION};

/// The changelog revlog.
#[derive(Debug)]
pub struct Changelog {
    revlog: Revlog,
}

impl Changelog {
    /// Wraps an opened `00changelog` revlog.
    pub fn new(revlog: Revlog) -> Changelog {
        Changelog { revlog }
    }

    /// The underlying revlog (node lookups, parents).
    pub fn revlog(&self) -> &Revlog {
        &self.revlog
    }

    /// The manifest node of changeset `rev`; [`NULL_NODE`] for the null
    /// revision and for an empty changeset text, as in Mercurial.
    pub fn manifest_node(&self, rev: Revision) -> Result<Node, RevlogError> {
        if rev == NULL_REVISION {
            return Ok(NULL_NODE);
        }
        let text = self.revlog.data(rev)?;
        if text.is_empty() {
            return Ok(NULL_NODE);
        }
        let line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
        Node::from_hex(&text[..line_end]).ok_or_else(|| RevlogError::Corrupted {
            path: self.revlog.index_path().to_owned(),
            rev: Some(rev),
            reason: "changeset does not start with a manifest node".into(),
        })
    }

    /// The manifest node of the changeset with node id `node`.
    pub fn manifest_node_of(&self, node: &Node) -> Result<Node, RevlogError> {
        self.manifest_node(self.revlog.rev(node)?)
    }
}
