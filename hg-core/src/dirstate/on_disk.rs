//! The bytes a dirstate-v2 map was read from.

use std::ops::Deref;

/// The bytes behind a v2 map. Kept alive for the map's lifetime so that an
/// append-mode write knows what it appends to, without copying them: the
/// binding passes a Python-owned buffer as [`OnDiskBytes::Shared`], native
/// users (benches) an mmap.
pub enum OnDiskBytes {
    /// A memory-mapped data file.
    Mmap(memmap2::Mmap),
    /// Bytes owned by Rust.
    Owned(Vec<u8>),
    /// Bytes owned by someone else (a Python `bytes` object), exposed as a slice.
    Shared(Box<dyn Deref<Target = [u8]> + Send + Sync>),
}

impl OnDiskBytes {
    /// Maps a data file read-only. The file must not be truncated while the
    /// map lives; Mercurial never rewrites a data file in place except to
    /// append past `data_size`, which readers ignore.
    pub fn map_file(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(Self::Owned(Vec::new()));
        }
        // SAFETY: see above; the mapping is read-only and Mercurial only
        // appends to data files.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(Self::Mmap(map))
    }
}

/// A copy, for callers that hold borrowed bytes (tests, benches, tools);
/// the binding shares Python's buffer instead.
impl From<&[u8]> for OnDiskBytes {
    fn from(bytes: &[u8]) -> Self {
        Self::Owned(bytes.to_vec())
    }
}

/// See `From<&[u8]>`.
impl From<&Vec<u8>> for OnDiskBytes {
    fn from(bytes: &Vec<u8>) -> Self {
        Self::Owned(bytes.clone())
    }
}

impl From<Vec<u8>> for OnDiskBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Owned(bytes)
    }
}

impl Deref for OnDiskBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mmap(m) => m,
            Self::Owned(v) => v,
            Self::Shared(b) => b,
        }
    }
}

impl std::fmt::Debug for OnDiskBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OnDiskBytes({} bytes)", self.len())
    }
}
