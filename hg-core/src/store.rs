//! A repository's store opened for reading: its requirements checked, its
//! path encoding chosen, and its revlogs (changelog, manifest, filelogs)
//! opened by name. The entry point of store reading.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags};

use crate::changelog::Changelog;
use crate::filelog::Filelog;
use crate::manifest::{Manifest, Manifestlog};
use crate::parent_fd::ParentFd;
use crate::requirements::{RepoRequirements, RequirementsError};
use crate::revlog::{Node, Revlog, RevlogError};
use crate::store_path::StoreEncoding;

/// The store of one repository.
#[derive(Debug, Clone)]
pub struct Store {
    requirements: RepoRequirements,
    encoding: StoreEncoding,
    /// The store directory, open: filelogs are opened relative to it, which
    /// saves resolving the whole path for each of thousands of files
    /// (`None` if it could not be opened: full paths then).
    dir: Option<Arc<OwnedFd>>,
}

impl Store {
    /// Opens the store of the repository whose working copy is at
    /// `repo_root`, refusing ([`RequirementsError::Unsupported`]) a
    /// repository with a requirement store reading does not implement.
    /// Caveats (narrow, sparse, lfs, largefiles) are accepted: check
    /// [`RepoRequirements::caveats`] through [`Store::requirements`].
    pub fn open(repo_root: &Path) -> Result<Store, RequirementsError> {
        let requirements = RepoRequirements::read(repo_root)?;
        requirements.ensure_supported(true)?;
        Ok(Store::new(requirements))
    }

    /// The store described by already-read requirements, without judging
    /// them.
    pub fn new(requirements: RepoRequirements) -> Store {
        let encoding = requirements.store_encoding();
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(requirements.store_path(), flags, Mode::empty())
            .ok()
            .map(Arc::new);
        Store {
            requirements,
            encoding,
            dir,
        }
    }

    /// The repository's requirements.
    pub fn requirements(&self) -> &RepoRequirements {
        &self.requirements
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        self.requirements.store_path()
    }

    /// How revlog paths are encoded.
    pub fn encoding(&self) -> StoreEncoding {
        self.encoding
    }

    /// The file of an encoded store path.
    fn join(&self, encoded: &[u8]) -> PathBuf {
        self.path().join(OsStr::from_bytes(encoded))
    }

    /// Opens the revlog with store-relative `radix` (`00manifest`,
    /// `data/foo.txt`): `<radix>.i` and `<radix>.d`, each encoded.
    pub fn revlog(&self, radix: &[u8]) -> Result<Revlog, RevlogError> {
        let index = self.encoding.encode(&[radix, b".i"].concat());
        let data = self.encoding.encode(&[radix, b".d"].concat());
        Revlog::open(self.join(&index), self.join(&data))
    }

    /// The paths of the index and data files of the filelog of `file`
    /// (relative to the repository root, `/`-separated).
    pub fn filelog_paths(&self, file: &[u8]) -> (PathBuf, PathBuf) {
        let (index, data) = self.encoding.filelog_paths(file);
        (self.join(&index), self.join(&data))
    }

    /// Opens the changelog.
    pub fn changelog(&self) -> Result<Changelog, RevlogError> {
        Ok(Changelog::new(self.revlog(b"00changelog")?))
    }

    /// Opens the (flat) manifest log.
    pub fn manifestlog(&self) -> Result<Manifestlog, RevlogError> {
        Ok(Manifestlog::new(self.revlog(b"00manifest")?))
    }

    /// Opens the filelog of `file` (relative to the repository root,
    /// `/`-separated). A file never committed has an empty filelog.
    pub fn filelog(&self, file: &[u8]) -> Result<Filelog, RevlogError> {
        self.filelog_in(file, &mut ParentFd::default())
    }

    /// [`Store::filelog`] for one of many files taken in order: `parent`
    /// keeps the previous filelog's directory open, so a neighbour's index
    /// is opened by its name alone.
    pub fn filelog_in(&self, file: &[u8], parent: &mut ParentFd) -> Result<Filelog, RevlogError> {
        let (index_rel, data_rel) = self.encoding.filelog_paths(file);
        let index = self.join(&index_rel);
        let data = self.join(&data_rel);
        let revlog = match self.dir.as_deref() {
            Some(dir) => {
                let (at, rel) = parent.resolve(dir.as_fd(), &index_rel);
                Revlog::open_in(Some(at), rel, index, data)?
            }
            None => Revlog::open_in(None, &index_rel, index, data)?,
        };
        Ok(Filelog::new(revlog))
    }

    /// The manifest of changeset `node` (the empty manifest for the null
    /// changeset): what a working copy whose first parent is `node` is
    /// compared against.
    pub fn manifest_for_changeset(&self, node: &Node) -> Result<Manifest, RevlogError> {
        let manifest_node = self.changelog()?.manifest_node_of(node)?;
        self.manifestlog()?.read(&manifest_node)
    }
}
