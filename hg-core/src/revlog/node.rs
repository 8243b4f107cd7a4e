//! Node ids: the SHA-1 of a revision's parents and text, which names a
//! revision in every revlog and in manifests.

use sha1::{Digest, Sha1};
use std::fmt;

/// The length of a node id in bytes (SHA-1).
pub const NODE_BYTES: usize = 20;

/// A revision's node id (20-byte SHA-1). Index entries reserve 32 bytes for
/// it; only the first 20 are used by SHA-1 repositories, the only kind that
/// exists today.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Node(pub [u8; NODE_BYTES]);

/// The node id of the null revision (no revision): 20 zero bytes.
pub const NULL_NODE: Node = Node([0; NODE_BYTES]);

impl Node {
    /// Whether this is [`NULL_NODE`], the parent of root revisions.
    pub fn is_null(&self) -> bool {
        *self == NULL_NODE
    }

    /// The node from 20 bytes; `None` for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Option<Node> {
        Some(Node(bytes.try_into().ok()?))
    }

    /// Parses exactly 40 hexadecimal digits (either case), the form
    /// manifests, changelog entries and copy metadata store nodes in.
    pub fn from_hex(hex: &[u8]) -> Option<Node> {
        if hex.len() != 2 * NODE_BYTES {
            return None;
        }
        let mut out = [0u8; NODE_BYTES];
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Node(out))
    }

    /// The 40 lowercase hexadecimal digits Mercurial prints.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({self})")
    }
}

/// The node id Mercurial gives a revision with parents `p1`, `p2` and raw
/// text `text`: `sha1(min(p1, p2) + max(p1, p2) + text)`
/// (`storageutil.hashrevisionsha1`). For a file revision `text` includes its
/// metadata header, if any. Comparing this against a stored node decides
/// whether some content is the content of that revision without reading the
/// store, which is what `filelog.cmp` does.
pub fn hash_revision(p1: &Node, p2: &Node, text: &[u8]) -> Node {
    let (a, b) = if p1 <= p2 { (p1, p2) } else { (p2, p1) };
    let mut hasher = Sha1::new();
    hasher.update(a.0);
    hasher.update(b.0);
    hasher.update(text);
    Node(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let hex = b"0123456789abcdefABCDEF0123456789abcdef01";
        let node = Node::from_hex(hex).unwrap();
        assert_eq!(node.to_hex(), "0123456789abcdefabcdef0123456789abcdef01");
        assert!(Node::from_hex(&hex[..39]).is_none());
        assert!(Node::from_hex(b"g123456789abcdefABCDEF0123456789abcdef01").is_none());
        assert!(NULL_NODE.is_null());
    }

    #[test]
    fn hash_orders_parents() {
        let a = Node([1; 20]);
        let b = Node([2; 20]);
        assert_eq!(hash_revision(&a, &b, b"x"), hash_revision(&b, &a, b"x"));
        // sha1(20 zero bytes * 2 + "") is what an empty root revision hashes to:
        // b80de5d138758541c5f05265ad144ab9fa86d1db is `hg debugindex` of an
        // empty file committed with no parents.
        assert_eq!(
            hash_revision(&NULL_NODE, &NULL_NODE, b"").to_hex(),
            "b80de5d138758541c5f05265ad144ab9fa86d1db"
        );
    }
}
