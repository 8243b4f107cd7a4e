//! Reading revlogs, the append-only files every revision of the changelog,
//! the manifest and each file is stored in (format: `index`).
//!
//! Only what reading a revision needs is here: the v1 index, inline and
//! split (`.d`) data, delta chains with and without generaldelta, chunk
//! decompression (`compression`), delta application (`mpatch`) and node id
//! lookup. Writing, revlog v0/v2, the persistent nodemap and sidedata are
//! not: an unsupported format is a [`RevlogError::UnsupportedFormat`], so a
//! caller can let Mercurial's own code handle the repository.
//!
//! Files are read whole, or memory-mapped (`memmap2`) above
//! [`MMAP_THRESHOLD`]: mapping costs more than reading for the small files
//! that most filelogs are (measured here with a warm cache, per file with
//! its `open`: 512 B to 64 KiB, read 21-50 µs, map 32-53 µs; 1 MiB, read
//! 100-220 µs, map 60-70 µs touching one byte per page, on a loaded
//! machine), and a mapped file truncated by another process (`hg strip`,
//! `rollback`) raises SIGBUS, so only large files take that risk (as
//! Mercurial's C index and upstream's Rust do for theirs).
//!
//! A [`Revlog`] is immutable after opening (a later change to the files is
//! not seen) and `Sync`, so threads can share one.

pub mod compression;
mod error;
pub mod index;
pub mod mpatch;
mod node;

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::whole_file;

pub use crate::ancestors::{Revision, NULL_REVISION};
pub use error::RevlogError;
pub use index::{IndexEntry, RevisionFlags, RevlogFormat};
pub use node::{hash_revision, Node, NODE_BYTES, NULL_NODE};

use index::{in_range, EntryPositions, INDEX_ENTRY_SIZE};

/// Files at least this large are memory-mapped; smaller ones are read.
pub const MMAP_THRESHOLD: u64 = 1 << 20;

/// The bytes of a whole file, read or mapped.
enum FileBytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Owned(v) => v,
            FileBytes::Mapped(m) => m,
        }
    }
}

impl FileBytes {
    /// Reads or maps `path`; `Ok(None)` if it does not exist.
    fn open(path: &Path) -> Result<Option<FileBytes>, RevlogError> {
        Self::open_in(None, path.as_os_str().as_bytes(), path)
    }

    /// [`FileBytes::open`] of `rel`, relative to the directory `dir` when
    /// given (one path lookup from there instead of from `/`); `path` is
    /// the full path, for messages and when `dir` is `None`.
    fn open_in(
        dir: Option<BorrowedFd>,
        rel: &[u8],
        path: &Path,
    ) -> Result<Option<FileBytes>, RevlogError> {
        let io = |source| RevlogError::Io {
            path: path.to_owned(),
            source,
        };
        let opened = match dir {
            Some(dir) => rustix::fs::openat(
                dir,
                rel,
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .map(std::fs::File::from)
            .map_err(std::io::Error::from),
            None => std::fs::File::open(path),
        };
        let mut file = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut start = match whole_file::read_if_small(&mut file).map_err(io)? {
            whole_file::Start::Whole(bytes) => return Ok(Some(FileBytes::Owned(bytes))),
            whole_file::Start::Partial(start) => start,
        };
        let len = file.metadata().map_err(io)?.len();
        if len >= MMAP_THRESHOLD {
            // SAFETY: the map is read-only. Mercurial only appends to revlog
            // files in place (it truncates them only in strip/rollback,
            // under the repository lock); see the module docs.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
            return Ok(Some(FileBytes::Mapped(map)));
        }
        let rest = len.saturating_sub(start.len() as u64);
        start.extend(whole_file::read_known_len(&mut file, rest).map_err(io)?);
        Ok(Some(FileBytes::Owned(start)))
    }
}

/// One revlog, opened for reading.
pub struct Revlog {
    index_path: PathBuf,
    data_path: PathBuf,
    index: FileBytes,
    /// The `.d` file, read on first use (an inline revlog has none).
    data: OnceLock<FileBytes>,
    format: RevlogFormat,
    positions: EntryPositions,
    node_map: OnceLock<HashMap<Node, Revision>>,
}

impl std::fmt::Debug for Revlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revlog")
            .field("index_path", &self.index_path)
            .field("revisions", &self.len())
            .field("format", &self.format)
            .finish()
    }
}

impl Revlog {
    /// Opens the revlog whose index is `index_path` (`….i`) and whose data,
    /// if split, is `data_path` (`….d`). A missing index is an empty revlog,
    /// as in Mercurial (a repository without commits has no changelog).
    pub fn open(
        index_path: impl Into<PathBuf>,
        data_path: impl Into<PathBuf>,
    ) -> Result<Revlog, RevlogError> {
        let index_path = index_path.into();
        let index = FileBytes::open(&index_path)?.unwrap_or(FileBytes::Owned(Vec::new()));
        Self::new(index_path, data_path.into(), index, None)
    }

    /// [`Revlog::open`] with the index opened as `index_rel` relative to
    /// the directory `dir` when given (the store's: see
    /// [`crate::store::Store`]), else as `index_path`.
    pub fn open_in(
        dir: Option<BorrowedFd>,
        index_rel: &[u8],
        index_path: PathBuf,
        data_path: PathBuf,
    ) -> Result<Revlog, RevlogError> {
        let index = FileBytes::open_in(dir, index_rel, &index_path)?
            .unwrap_or(FileBytes::Owned(Vec::new()));
        Self::new(index_path, data_path, index, None)
    }

    /// Opens the revlog `<radix>.i` / `<radix>.d`, where `radix` is the
    /// path without extension (`…/00changelog`).
    pub fn open_radix(radix: &Path) -> Result<Revlog, RevlogError> {
        let with = |ext: &str| {
            let mut s = radix.as_os_str().to_owned();
            s.push(ext);
            PathBuf::from(s)
        };
        Self::open(with(".i"), with(".d"))
    }

    /// A revlog from bytes in memory (tests, fuzzing, data that came from
    /// elsewhere). `name` only labels errors; `data` is the `.d` content of
    /// a split revlog.
    pub fn from_bytes(
        name: impl Into<PathBuf>,
        index: Vec<u8>,
        data: Option<Vec<u8>>,
    ) -> Result<Revlog, RevlogError> {
        let name = name.into();
        let data = FileBytes::Owned(data.unwrap_or_default());
        Self::new(name.clone(), name, FileBytes::Owned(index), Some(data))
    }

    fn new(
        index_path: PathBuf,
        data_path: PathBuf,
        index: FileBytes,
        data: Option<FileBytes>,
    ) -> Result<Revlog, RevlogError> {
        let format = if index.is_empty() {
            RevlogFormat::EMPTY
        } else {
            if index.len() < 4 {
                return Err(RevlogError::corrupted(
                    &index_path,
                    None,
                    "index shorter than its header",
                ));
            }
            let header = u32::from_be_bytes([index[0], index[1], index[2], index[3]]);
            RevlogFormat::from_header(header).map_err(|(version, flags)| {
                RevlogError::UnsupportedFormat {
                    path: index_path.clone(),
                    version,
                    flags,
                }
            })?
        };
        let positions = EntryPositions::scan(&index, format.inline)
            .map_err(|reason| RevlogError::corrupted(&index_path, None, reason))?;
        if positions.len() > i32::MAX as usize {
            return Err(RevlogError::corrupted(
                &index_path,
                None,
                "too many revisions",
            ));
        }
        let data_cell = OnceLock::new();
        if let Some(d) = data {
            let _ = data_cell.set(d);
        }
        Ok(Revlog {
            index_path,
            data_path,
            index,
            data: data_cell,
            format,
            positions,
            node_map: OnceLock::new(),
        })
    }

    /// The index file, for messages.
    pub fn index_path(&self) -> &Path {
        &self.index_path
    }

    /// What the header says (inline, generaldelta, ...).
    pub fn format(&self) -> RevlogFormat {
        self.format
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether there is no revision.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn out_of_range(&self, rev: Revision) -> RevlogError {
        RevlogError::RevisionOutOfRange {
            path: self.index_path.clone(),
            rev,
        }
    }

    fn corrupted(&self, rev: Revision, reason: impl Into<String>) -> RevlogError {
        RevlogError::corrupted(&self.index_path, Some(rev), reason)
    }

    /// The index entry of `rev` (not the null revision, which has none).
    pub fn entry(&self, rev: Revision) -> Result<IndexEntry<'_>, RevlogError> {
        if !in_range(rev, self.len()) {
            return Err(self.out_of_range(rev));
        }
        let pos = self.positions.position(rev as usize);
        let bytes = self.index[pos..pos + INDEX_ENTRY_SIZE]
            .try_into()
            .expect("64 bytes");
        Ok(IndexEntry::new(rev, bytes))
    }

    /// The node id of `rev`; [`NULL_NODE`] for [`NULL_REVISION`].
    pub fn node(&self, rev: Revision) -> Result<Node, RevlogError> {
        if rev == NULL_REVISION {
            return Ok(NULL_NODE);
        }
        Ok(self.entry(rev)?.node())
    }

    /// The parents of `rev` as revision numbers; `[-1, -1]` for the null
    /// revision.
    pub fn parents(&self, rev: Revision) -> Result<[Revision; 2], RevlogError> {
        if rev == NULL_REVISION {
            return Ok([NULL_REVISION; 2]);
        }
        let parents = self.entry(rev)?.parents();
        for p in parents {
            if p != NULL_REVISION && !(0..rev).contains(&p) {
                return Err(self.corrupted(rev, format!("parent {p} out of range")));
            }
        }
        Ok(parents)
    }

    /// The parents of `rev` as node ids, what [`hash_revision`] takes.
    pub fn parent_nodes(&self, rev: Revision) -> Result<[Node; 2], RevlogError> {
        let [p1, p2] = self.parents(rev)?;
        Ok([self.node(p1)?, self.node(p2)?])
    }

    /// The revision whose node id is `node`; [`NULL_REVISION`] for
    /// [`NULL_NODE`]. Scans the index from the end (recent revisions are the
    /// ones usually asked for) unless [`Revlog::node_map`] was built.
    pub fn find_rev(&self, node: &Node) -> Option<Revision> {
        if node.is_null() {
            return Some(NULL_REVISION);
        }
        if let Some(map) = self.node_map.get() {
            return map.get(node).copied();
        }
        (0..self.len() as Revision)
            .rev()
            .find(|&rev| self.entry(rev).expect("in range").node_bytes() == node.0)
    }

    /// Like [`Revlog::find_rev`], with an error naming the revlog.
    pub fn rev(&self, node: &Node) -> Result<Revision, RevlogError> {
        self.find_rev(node)
            .ok_or_else(|| RevlogError::NodeNotFound {
                path: self.index_path.clone(),
                node: *node,
            })
    }

    /// A node → revision map of the whole revlog, built on first call and
    /// used by [`Revlog::find_rev`] afterwards: worth it for a caller that
    /// looks up many nodes in one revlog.
    pub fn node_map(&self) -> &HashMap<Node, Revision> {
        self.node_map.get_or_init(|| {
            (0..self.len() as Revision)
                .map(|rev| (self.entry(rev).expect("in range").node(), rev))
                .collect()
        })
    }

    fn data_file(&self) -> Result<&[u8], RevlogError> {
        if let Some(d) = self.data.get() {
            return Ok(d);
        }
        let bytes = FileBytes::open(&self.data_path)?.ok_or_else(|| RevlogError::Io {
            path: self.data_path.clone(),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
        // Another thread may have won the race: both read the same file.
        let _ = self.data.set(bytes);
        Ok(self.data.get().expect("just set"))
    }

    /// The chunk of `rev` as stored (compressed, with its header byte).
    pub fn stored_chunk(&self, rev: Revision) -> Result<&[u8], RevlogError> {
        let entry = self.entry(rev)?;
        let len = entry.compressed_len() as usize;
        if self.format.inline {
            let start = self.positions.position(rev as usize) + INDEX_ENTRY_SIZE;
            // The scan at open time guarantees the chunk is inside the file.
            return Ok(&self.index[start..start + len]);
        }
        if len == 0 {
            return Ok(&[]);
        }
        let data = self.data_file()?;
        let start = entry.data_offset();
        usize::try_from(start)
            .ok()
            .and_then(|s| Some(s..s.checked_add(len)?))
            .and_then(|range| data.get(range))
            .ok_or_else(|| {
                self.corrupted(
                    rev,
                    format!("chunk at {start}+{len} past the end of the data file"),
                )
            })
    }

    /// The chunk of `rev`, decompressed: a full text or a delta, depending
    /// on its place in its delta chain.
    pub fn chunk(&self, rev: Revision) -> Result<Cow<'_, [u8]>, RevlogError> {
        let entry = self.entry(rev)?;
        let stored = self.stored_chunk(rev)?;
        let hint = (entry.base_rev() == rev)
            .then(|| entry.raw_size().map(|s| s as usize))
            .flatten();
        compression::decompress_chunk(stored, hint).map_err(|e| match e {
            compression::ChunkError::UnknownHeader(header) => RevlogError::UnknownCompression {
                path: self.index_path.clone(),
                rev,
                header,
            },
            compression::ChunkError::Invalid(reason) => self.corrupted(rev, reason),
        })
    }

    /// The revisions whose chunks rebuild `rev`, oldest first: the first
    /// holds a full text (or is [`NULL_REVISION`], an empty text, when a
    /// generaldelta chain ends on the null revision), every next one a delta
    /// against the text before it. Revisions with an empty chunk (an empty
    /// delta) are left out, as Mercurial does.
    pub fn delta_chain(&self, rev: Revision) -> Result<Vec<Revision>, RevlogError> {
        let mut chain = Vec::new();
        let mut current = rev;
        let mut entry = self.entry(rev)?;
        loop {
            let base = entry.base_rev();
            if base == current {
                chain.push(current);
                break;
            }
            if base < NULL_REVISION || base > current {
                return Err(self.corrupted(current, format!("delta base {base} out of range")));
            }
            if entry.compressed_len() > 0 {
                chain.push(current);
            }
            current = if self.format.generaldelta {
                base
            } else {
                current - 1
            };
            if current == NULL_REVISION {
                chain.push(NULL_REVISION);
                break;
            }
            entry = self.entry(current)?;
        }
        chain.reverse();
        Ok(chain)
    }

    /// The raw text of `rev` (Mercurial's `rawdata`): the delta chain
    /// applied, before any flag processing and without checking the hash.
    /// For a file revision this includes the metadata header; for a
    /// revision with [`RevisionFlags::needs_processing`] flags it is not the
    /// content (see [`Revlog::data`]).
    pub fn raw_data(&self, rev: Revision) -> Result<Vec<u8>, RevlogError> {
        if rev == NULL_REVISION {
            return Ok(Vec::new());
        }
        let entry = self.entry(rev)?;
        let chain = self.delta_chain(rev)?;
        let (&base, deltas) = chain.split_first().expect("a chain has a base");
        let base_text = if base == NULL_REVISION {
            Cow::Borrowed(&[][..])
        } else {
            self.chunk(base)?
        };
        let text = if deltas.is_empty() {
            base_text.into_owned()
        } else {
            let deltas = deltas
                .iter()
                .map(|&r| self.chunk(r))
                .collect::<Result<Vec<_>, _>>()?;
            mpatch::apply_deltas(&base_text, &deltas)
                .map_err(|e| self.corrupted(rev, format!("delta chain: {e}")))?
        };
        if let Some(size) = entry.raw_size() {
            if size as usize != text.len() {
                return Err(self.corrupted(
                    rev,
                    format!("text is {} bytes, index says {size}", text.len()),
                ));
            }
        }
        Ok(text)
    }

    /// Whether `text` hashes, with the parents of `rev`, to the node of
    /// `rev` (Mercurial's `checkhash`).
    pub fn check_hash(&self, rev: Revision, text: &[u8]) -> Result<bool, RevlogError> {
        let [p1, p2] = self.parent_nodes(rev)?;
        Ok(hash_revision(&p1, &p2, text) == self.node(rev)?)
    }

    /// The text of `rev` as Mercurial's `revision()` returns it, verified
    /// against its node id. Refuses ([`RevlogError::UnsupportedFlags`]) a
    /// revision whose flags need a processor we do not implement (censored,
    /// lfs, ellipsis, unknown bits): its raw text is not its content.
    pub fn data(&self, rev: Revision) -> Result<Vec<u8>, RevlogError> {
        if rev == NULL_REVISION {
            return Ok(Vec::new());
        }
        let flags = self.entry(rev)?.flags().needs_processing();
        if flags.0 != 0 {
            return Err(RevlogError::UnsupportedFlags {
                path: self.index_path.clone(),
                rev,
                flags: flags.0,
            });
        }
        let text = self.raw_data(rev)?;
        if !self.check_hash(rev, &text)? {
            return Err(RevlogError::HashMismatch {
                path: self.index_path.clone(),
                rev,
            });
        }
        Ok(text)
    }
}

/// Parents as the ancestor walks of [`crate::ancestors`] read them.
impl crate::ancestors::Graph for Revlog {
    fn parents(&self, rev: Revision) -> Result<[Revision; 2], crate::ancestors::GraphError> {
        Revlog::parents(self, rev).map_err(|_| crate::ancestors::GraphError::ParentOutOfRange(rev))
    }
}

impl crate::ancestors::Graph for &Revlog {
    fn parents(&self, rev: Revision) -> Result<[Revision; 2], crate::ancestors::GraphError> {
        Revlog::parents(self, rev).map_err(|_| crate::ancestors::GraphError::ParentOutOfRange(rev))
    }
}
