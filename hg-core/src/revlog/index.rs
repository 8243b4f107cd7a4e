//! The revlog v1 index: a 4-byte header sharing the first entry, then one
//! 64-byte big-endian entry per revision, with each revision's compressed
//! chunk right after its entry when the revlog is inline
//! (`mercurial/helptext/internals/revlogs.txt`, `pure/parsers.py`).
//!
//! Entries are read in place from the file's bytes; nothing is copied or
//! decoded ahead of time except, for inline revlogs, the position of each
//! entry (chunks of varying length sit between them, so finding entry `n`
//! needs a scan, which Mercurial's C index does once as well).

use super::{Node, Revision, NULL_REVISION};

/// The size of one v1 index entry.
pub const INDEX_ENTRY_SIZE: usize = 64;

/// Revlog version 0 (no `revlogv1` requirement; pre-2006): not read here.
pub const REVLOGV0: u16 = 0;
/// Revlog version 1 (RevlogNG): the format this module reads.
pub const REVLOGV1: u16 = 1;
/// The in-development revlog v2 (`exp-revlogv2.*`): not read here.
pub const REVLOGV2: u16 = 0xDEAD;
/// The in-development changelog v2 (`exp-changelog-v2`): not read here.
pub const CHANGELOGV2: u16 = 0xD34D;

/// Header flag (bit 16 of the header): chunks are stored in the `.i` file
/// after their index entry, no `.d` file.
pub const FLAG_INLINE_DATA: u32 = 1 << 16;
/// Header flag: each entry's base is the revision its delta applies to
/// (otherwise deltas apply to the previous revision and the base field is
/// the start of the chain).
pub const FLAG_GENERALDELTA: u32 = 1 << 17;
/// Header flag (filelogs, Mercurial 7.2 `delta-info-revlog`): the
/// [`RevisionFlags::HASMETA`] bit tells which revisions have a metadata
/// header.
pub const FLAG_FILELOG_META: u32 = 1 << 18;
/// Header flag (Mercurial 7.2 `delta-info-revlog`): revisions carry the
/// delta-information flags ([`RevisionFlags::DELTA_INFO`]).
pub const FLAG_DELTA_INFO: u32 = 1 << 19;
const KNOWN_V1_FLAGS: u32 =
    FLAG_INLINE_DATA | FLAG_GENERALDELTA | FLAG_FILELOG_META | FLAG_DELTA_INFO;

/// What the 4-byte header of a v1 revlog says about the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevlogFormat {
    /// Chunks live in the `.i` file (see [`FLAG_INLINE_DATA`]).
    pub inline: bool,
    /// Deltas apply to the entry's base revision (see [`FLAG_GENERALDELTA`]).
    pub generaldelta: bool,
    /// The `HASMETA` revision flag is meaningful (see [`FLAG_FILELOG_META`]).
    pub filelog_meta: bool,
    /// Delta-information revision flags are present (see [`FLAG_DELTA_INFO`]).
    pub delta_info: bool,
}

impl RevlogFormat {
    /// The format of an empty (or missing) revlog, as Mercurial assumes it:
    /// inline, and nothing else matters without revisions.
    pub const EMPTY: RevlogFormat = RevlogFormat {
        inline: true,
        generaldelta: false,
        filelog_meta: false,
        delta_info: false,
    };

    /// Decodes a header; `Err((version, flags))` for anything but v1 with
    /// known flags.
    pub fn from_header(header: u32) -> Result<RevlogFormat, (u16, u16)> {
        let version = (header & 0xFFFF) as u16;
        if version != REVLOGV1 || header & !0xFFFF & !KNOWN_V1_FLAGS != 0 {
            return Err((version, (header >> 16) as u16));
        }
        Ok(RevlogFormat {
            inline: header & FLAG_INLINE_DATA != 0,
            generaldelta: header & FLAG_GENERALDELTA != 0,
            filelog_meta: header & FLAG_FILELOG_META != 0,
            delta_info: header & FLAG_DELTA_INFO != 0,
        })
    }
}

/// The 16 flag bits of an index entry (`REVIDX_*` in
/// `revlogutils/constants.py`). Some change what the stored text means, so
/// a reader must look at them before trusting a revision's raw text as its
/// content: see [`RevisionFlags::needs_processing`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RevisionFlags(pub u16);

impl RevisionFlags {
    /// The text was replaced by a tombstone (`hg censor`); its hash no
    /// longer matches.
    pub const CENSORED: RevisionFlags = RevisionFlags(1 << 15);
    /// Narrow/ellipsis revision: its node does not hash its parents.
    pub const ELLIPSIS: RevisionFlags = RevisionFlags(1 << 14);
    /// The stored text is a pointer to content stored elsewhere (lfs).
    pub const EXTSTORED: RevisionFlags = RevisionFlags(1 << 13);
    /// Changelog only: the changeset has copy information in sidedata.
    pub const HASCOPIESINFO: RevisionFlags = RevisionFlags(1 << 12);
    /// Filelog only, when the revlog has [`FLAG_FILELOG_META`]: the text
    /// starts with a `\1\n` metadata header.
    pub const HASMETA: RevisionFlags = RevisionFlags(1 << 11);
    /// Delta-information bits (snapshot, quality, ...): they describe how
    /// the chunk was chosen, never what the text is.
    pub const DELTA_INFO: RevisionFlags = RevisionFlags(0b111_1100_0000);
    /// Every bit Mercurial 7.2 defines.
    pub const KNOWN: RevisionFlags = RevisionFlags(0b1111_1111_1100_0000);

    /// Whether all bits of `other` are set.
    pub fn contains(self, other: RevisionFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub fn intersects(self, other: RevisionFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits that make a revision's raw text differ from its content or
    /// from what its node hashes (censored, ellipsis, extstored) and the bits
    /// no Mercurial version defines. A reader that does not implement the
    /// matching flag processor must refuse such a revision; the others
    /// (`HASCOPIESINFO`, `HASMETA`, delta information) are informative.
    pub fn needs_processing(self) -> RevisionFlags {
        RevisionFlags(
            self.0 & (Self::CENSORED.0 | Self::ELLIPSIS.0 | Self::EXTSTORED.0 | !Self::KNOWN.0),
        )
    }
}

impl std::fmt::Debug for RevisionFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RevisionFlags({:#06x})", self.0)
    }
}

/// One revision's index entry, borrowed from the index bytes.
#[derive(Clone, Copy)]
pub struct IndexEntry<'a> {
    rev: Revision,
    bytes: &'a [u8; INDEX_ENTRY_SIZE],
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

impl<'a> IndexEntry<'a> {
    pub(crate) fn new(rev: Revision, bytes: &'a [u8; INDEX_ENTRY_SIZE]) -> Self {
        IndexEntry { rev, bytes }
    }

    /// The revision this entry describes.
    pub fn rev(&self) -> Revision {
        self.rev
    }

    /// Offset of the revision's chunk in the data (the `.d` file, or the
    /// chunks of an inline `.i` file counted without their entries). The
    /// first entry's offset field holds the file header instead, so it is 0.
    pub fn data_offset(&self) -> u64 {
        if self.rev == 0 {
            return 0;
        }
        let b = self.bytes;
        u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// The revision's flags.
    pub fn flags(&self) -> RevisionFlags {
        RevisionFlags(u16::from_be_bytes([self.bytes[6], self.bytes[7]]))
    }

    /// Length of the stored (compressed) chunk.
    pub fn compressed_len(&self) -> u32 {
        be32(&self.bytes[8..])
    }

    /// Length of the revision's full raw text (metadata header included),
    /// when recorded: `None` if the field is negative (very old revlogs
    /// stored -1 meaning "unknown").
    pub fn raw_size(&self) -> Option<u32> {
        let v = be32(&self.bytes[12..]) as i32;
        (v >= 0).then_some(v as u32)
    }

    /// The base field: with generaldelta, the revision this chunk's delta
    /// applies to; without, the first revision of the delta chain. Equal to
    /// the revision itself when the chunk is a full text.
    pub fn base_rev(&self) -> Revision {
        be32(&self.bytes[16..]) as i32
    }

    /// The changelog revision that introduced this revision.
    pub fn link_rev(&self) -> Revision {
        be32(&self.bytes[20..]) as i32
    }

    /// First parent, [`NULL_REVISION`] if none.
    pub fn p1(&self) -> Revision {
        be32(&self.bytes[24..]) as i32
    }

    /// Second parent, [`NULL_REVISION`] if none.
    pub fn p2(&self) -> Revision {
        be32(&self.bytes[28..]) as i32
    }

    /// Both parents.
    pub fn parents(&self) -> [Revision; 2] {
        [self.p1(), self.p2()]
    }

    /// The revision's node id (first 20 of the 32 bytes reserved).
    pub fn node(&self) -> Node {
        Node(self.bytes[32..52].try_into().expect("20 bytes"))
    }

    /// The node id bytes without copying, for scans.
    pub(crate) fn node_bytes(&self) -> &'a [u8] {
        &self.bytes[32..52]
    }
}

impl std::fmt::Debug for IndexEntry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexEntry")
            .field("rev", &self.rev)
            .field("offset", &self.data_offset())
            .field("flags", &self.flags())
            .field("compressed_len", &self.compressed_len())
            .field("raw_size", &self.raw_size())
            .field("base_rev", &self.base_rev())
            .field("link_rev", &self.link_rev())
            .field("parents", &self.parents())
            .field("node", &self.node())
            .finish()
    }
}

/// Where each entry starts in the index bytes.
#[derive(Debug)]
pub(crate) enum EntryPositions {
    /// Split revlog: entry `r` is at `r * 64`.
    Fixed { count: usize },
    /// Inline revlog: entries interleaved with chunks, positions found by
    /// one scan at open time.
    Inline(Vec<usize>),
}

impl EntryPositions {
    /// Finds the entries of `index`; `Err(reason)` if the bytes cannot be a
    /// v1 index of that layout (length not a multiple of 64, a chunk running
    /// past the end of an inline file).
    pub(crate) fn scan(index: &[u8], inline: bool) -> Result<Self, String> {
        if !inline {
            if !index.len().is_multiple_of(INDEX_ENTRY_SIZE) {
                return Err(format!(
                    "index size {} is not a multiple of {INDEX_ENTRY_SIZE}",
                    index.len()
                ));
            }
            return Ok(EntryPositions::Fixed {
                count: index.len() / INDEX_ENTRY_SIZE,
            });
        }
        let mut positions = Vec::new();
        let mut pos = 0usize;
        while pos < index.len() {
            if index.len() - pos < INDEX_ENTRY_SIZE {
                return Err(format!("truncated index entry at byte {pos}"));
            }
            positions.push(pos);
            let chunk = be32(&index[pos + 8..]) as usize;
            pos = pos
                .checked_add(INDEX_ENTRY_SIZE + chunk)
                .filter(|&end| end <= index.len())
                .ok_or_else(|| {
                    format!(
                        "inline chunk of revision {} runs past the end of the index",
                        positions.len() - 1
                    )
                })?;
        }
        Ok(EntryPositions::Inline(positions))
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            EntryPositions::Fixed { count } => *count,
            EntryPositions::Inline(p) => p.len(),
        }
    }

    /// Start of entry `rev` (which must be in range).
    pub(crate) fn position(&self, rev: usize) -> usize {
        match self {
            EntryPositions::Fixed { .. } => rev * INDEX_ENTRY_SIZE,
            EntryPositions::Inline(p) => p[rev],
        }
    }
}

/// Whether `rev` is a real revision of an index of `len` entries.
pub(crate) fn in_range(rev: Revision, len: usize) -> bool {
    rev != NULL_REVISION && rev >= 0 && (rev as usize) < len
}
