//! dirstate-v2: a tree of nodes in an append-friendly data file
//! (`mercurial/helptext/internals/dirstate-v2.txt`).
//!
//! Node layout (44 bytes, big-endian): path start u32, path len u16,
//! base-name start u16, copy-source start u32, copy-source len u16, children
//! start u32, children count u32, descendants with entry u32, tracked
//! descendants u32, flags u16, size u32, mtime seconds u32, mtime ns u32.
//! Tree metadata (44 bytes, in the docket): root nodes start u32, count u32,
//! nodes with entry u32, nodes with copy source u32, unreachable bytes u32,
//! 4 unused bytes, 20-byte ignore patterns hash.

pub mod read;
pub(crate) mod tree;
pub mod write;

/// Size of one node.
pub const NODE_SIZE: usize = 44;
/// Size of the tree metadata stored in the docket.
pub const TREE_METADATA_SIZE: usize = 44;

/// Append to the existing data file unless the unreachable share of the
/// result would reach this ratio (upstream's ACCEPTABLE_UNREACHABLE_BYTES_RATIO).
pub const ACCEPTABLE_UNREACHABLE_BYTES_RATIO: f64 = 0.5;

/// Decoded tree metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeMetadata {
    /// Offset of the root nodes.
    pub root_start: u32,
    /// Number of root nodes.
    pub root_count: u32,
    /// Nodes that have an entry (len of the map).
    pub nodes_with_entry: u32,
    /// Nodes that have a copy source.
    pub nodes_with_copy_source: u32,
    /// Bytes of the data file no longer referenced.
    pub unreachable_bytes: u32,
    /// SHA-1 of the ignore patterns, or zeros.
    pub ignore_patterns_hash: [u8; 20],
}

impl TreeMetadata {
    /// Parses the docket's 44 metadata bytes.
    pub fn parse(b: &[u8]) -> Result<Self, crate::dirstate::DirstateError> {
        if b.len() != TREE_METADATA_SIZE {
            return Err(crate::dirstate::DirstateError::Corrupted(format!(
                "tree metadata is {} bytes, expected {TREE_METADATA_SIZE}",
                b.len()
            )));
        }
        let u = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let mut ignore_patterns_hash = [0; 20];
        ignore_patterns_hash.copy_from_slice(&b[24..44]);
        Ok(Self {
            root_start: u(0),
            root_count: u(4),
            nodes_with_entry: u(8),
            nodes_with_copy_source: u(12),
            unreachable_bytes: u(16),
            ignore_patterns_hash,
        })
    }

    /// The 44 bytes to store in the docket (unused bytes zeroed).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(TREE_METADATA_SIZE);
        for x in [
            self.root_start,
            self.root_count,
            self.nodes_with_entry,
            self.nodes_with_copy_source,
            self.unreachable_bytes,
            0,
        ] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v.extend_from_slice(&self.ignore_patterns_hash);
        v
    }
}
