//! The dirstate: what Mercurial knows about each tracked file.
