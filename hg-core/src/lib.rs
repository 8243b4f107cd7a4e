//! Pure-Rust core of the Mercurial accelerator: no Python here.
//!
//! Mercurial's working-copy hot path, split by what each module holds:
//! the dirstate (formats and the in-memory map), path matchers and ignore
//! patterns, and the parallel status walk that joins them with the file system.

pub mod ancestors;
pub mod changelog;
pub mod dirstate;
pub mod filelog;
pub mod lookup;
pub mod manifest;
pub mod matchers;
pub mod parent_fd;
pub mod requirements;
pub mod revlog;
pub mod status;
pub mod store;
pub mod store_path;
#[deny(missing_docs)]
pub mod watchman;
pub(crate) mod whole_file;
