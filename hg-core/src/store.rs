//! A repository's store opened for reading: its requirements checked, its
//! path encoding chosen, and its revlogs (changelog, manifest, filelogs)
//! opened by name. The entry point of store reading.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::changelog::Changelog;
use crate::filelog::Filelog;
use crate::manifest::{Manifest, Manifestlog};
use crate::requirements::{RepoRequirements, RequirementsError};
use crate::revlog::{Node, Revlog, RevlogError};
use crate::store_path::StoreEncoding;

/// The store of one repository.
#[derive(Debug, Clone)]
pub struct Store {
    requirements: RepoRequirements,
    encoding: StoreEncoding,
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
        Store {
            requirements,
            encoding,
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
        (
            self.join(&self.encoding.filelog_index(file)),
            self.join(&self.encoding.filelog_data(file)),
        )
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
        let (index, data) = self.filelog_paths(file);
        Ok(Filelog::new(Revlog::open(index, data)?))
    }

    /// The manifest of changeset `node` (the empty manifest for the null
    /// changeset): what a working copy whose first parent is `node` is
    /// compared against.
    pub fn manifest_for_changeset(&self, node: &Node) -> Result<Manifest, RevlogError> {
        let manifest_node = self.changelog()?.manifest_node_of(node)?;
        self.manifestlog()?.read(&manifest_node)
    }
}
