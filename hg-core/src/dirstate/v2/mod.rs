//! dirstate-v2: a tree of nodes in an append-friendly data file
//! (`mercurial/helptext/internals/dirstate-v2.txt`).

pub mod read;
pub mod write;
