//! The dirstate-v2 docket (`.hg/dirstate` when dirstate-v2 is enabled):
//! parents, tree metadata, used size and id of the data file.
//!
//! Python reads and writes the docket itself (`dirstateutils/docket.py`);
//! this parser is for native users (benches, tests) that load a repository
//! without Python.

use super::error::DirstateError;
use super::map::Parents;
use super::v2::TREE_METADATA_SIZE;

/// First bytes of a v2 docket.
pub const V2_FORMAT_MARKER: &[u8; 12] = b"dirstate-v2\n";
const HEADER_SIZE: usize = 12 + 32 + 32 + TREE_METADATA_SIZE + 4 + 1;

/// A parsed docket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Docket {
    /// Working-copy parents.
    pub parents: Parents,
    /// The tree metadata, to pass to `DirstateMap::new_v2`.
    pub tree_metadata: Vec<u8>,
    /// Bytes of the data file that belong to the dirstate.
    pub data_size: usize,
    /// Data-file id; the file is `.hg/dirstate.<uuid>`.
    pub uuid: Vec<u8>,
}

impl Docket {
    /// Parses docket bytes (not the empty file, which means "no dirstate").
    pub fn parse(data: &[u8]) -> Result<Self, DirstateError> {
        if data.len() < HEADER_SIZE || &data[..12] != V2_FORMAT_MARKER {
            return Err(DirstateError::Corrupted(
                "dirstate is not in v2 format".into(),
            ));
        }
        let mut p1 = [0; 20];
        let mut p2 = [0; 20];
        p1.copy_from_slice(&data[12..32]);
        p2.copy_from_slice(&data[44..64]);
        let meta = data[76..76 + TREE_METADATA_SIZE].to_vec();
        let at = 76 + TREE_METADATA_SIZE;
        let data_size =
            u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize;
        let uuid_len = data[at + 4] as usize;
        let uuid = data
            .get(HEADER_SIZE..HEADER_SIZE + uuid_len)
            .ok_or_else(|| DirstateError::Corrupted("docket uuid truncated".into()))?
            .to_vec();
        Ok(Self {
            parents: (p1, p2),
            tree_metadata: meta,
            data_size,
            uuid,
        })
    }

    /// Docket bytes, as `DirstateDocket.serialize`.
    pub fn serialize(&self) -> Result<Vec<u8>, DirstateError> {
        let mut v = Vec::with_capacity(HEADER_SIZE + self.uuid.len());
        v.extend_from_slice(V2_FORMAT_MARKER);
        for p in [&self.parents.0, &self.parents.1] {
            v.extend_from_slice(p);
            v.extend_from_slice(&[0; 12]);
        }
        if self.tree_metadata.len() != TREE_METADATA_SIZE {
            return Err(DirstateError::Corrupted(
                "tree metadata must be 44 bytes".into(),
            ));
        }
        v.extend_from_slice(&self.tree_metadata);
        let size = u32::try_from(self.data_size)
            .map_err(|_| DirstateError::TooLarge("data size".into()))?;
        v.extend_from_slice(&size.to_be_bytes());
        let len =
            u8::try_from(self.uuid.len()).map_err(|_| DirstateError::TooLarge("uuid".into()))?;
        v.push(len);
        v.extend_from_slice(&self.uuid);
        Ok(v)
    }

    /// Name of the data file inside `.hg/`.
    pub fn data_filename(&self) -> Vec<u8> {
        let mut v = b"dirstate.".to_vec();
        v.extend_from_slice(&self.uuid);
        v
    }
}
