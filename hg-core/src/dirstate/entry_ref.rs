//! An entry as the status walk holds it: borrowed from the map's table, or
//! still encoded in a dirstate-v2 node read in place. The walk sorts a list
//! of these (one per entry) and decodes each once, when it decides that
//! file; decoding every node into a table first would cost 28 more bytes
//! per entry for the whole walk.

use super::entry::DirstateEntry;
use super::v2::read::RawNode;
use super::v2::NODE_SIZE;

/// See the module documentation.
#[derive(Clone, Copy, Debug)]
pub enum EntryRef<'m> {
    /// An entry of the map's table.
    Table(&'m DirstateEntry),
    /// A dirstate-v2 node that is an entry (its tracked bits are set).
    Node(&'m [u8; NODE_SIZE]),
}

impl EntryRef<'_> {
    /// The entry.
    #[inline]
    pub fn get(self) -> DirstateEntry {
        match self {
            Self::Table(e) => *e,
            Self::Node(b) => {
                let n = RawNode::parse(b);
                DirstateEntry::from_v2_data(n.flags, n.size, n.mtime_s, n.mtime_ns)
            }
        }
    }
}
