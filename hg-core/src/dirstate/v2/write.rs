//! Writing a [`DirstateMap`] as a dirstate-v2 tree.

use crate::dirstate::{DirstateError, DirstateMap};

/// Placeholder until the writer lands.
pub(crate) fn write(
    _map: &DirstateMap,
    _mode: u8,
) -> Result<(Vec<u8>, Vec<u8>, bool), DirstateError> {
    Err(DirstateError::Corrupted(
        "dirstate-v2 writing not implemented yet".into(),
    ))
}
