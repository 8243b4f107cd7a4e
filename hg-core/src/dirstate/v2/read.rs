//! Reading a dirstate-v2 tree into a [`DirstateMap`].

use crate::dirstate::{DirstateError, DirstateMap, OnDiskBytes};

/// Placeholder until the reader lands.
pub(crate) fn read(
    _data: OnDiskBytes,
    _data_size: usize,
    _metadata: &[u8],
    _uuid: &[u8],
) -> Result<DirstateMap, DirstateError> {
    Err(DirstateError::Corrupted(
        "dirstate-v2 reading not implemented yet".into(),
    ))
}
