//! Pure-Rust core of the Mercurial accelerator: no Python here.
