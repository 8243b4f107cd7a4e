//! dirstate-v1: the flat format, byte-compatible with Mercurial's C
//! `parse_dirstate` / `pack_dirstate` (mercurial/cext/parsers.c).
//!
//! Layout: 40 bytes of parents, then records of a 17-byte header (state u8,
//! mode, size, mtime, length: big-endian i32/u32) followed by `length` bytes
//! of path, optionally `\0` and the copy source.

use super::entry::DirstateEntry;
use super::error::DirstateError;

/// Bytes before the first record: the two parent node ids.
pub const PARENTS_SIZE: usize = 40;
/// Fixed part of each record.
pub const HEADER_SIZE: usize = 17;

/// One decoded record, borrowing path and copy source from the input.
pub struct V1Record<'a> {
    /// Repo-relative path.
    pub path: &'a [u8],
    /// Where `path` starts in the input, for a map that keeps the input
    /// and reads its paths there instead of copying them.
    pub path_start: usize,
    /// Copy source when the stored name contains a `\0`.
    pub copy_source: Option<&'a [u8]>,
    /// Decoded state.
    pub entry: DirstateEntry,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Splits off the parents and walks records with the same checks (and error
/// messages) as the C parser; calls `sink` for each record in file order.
pub fn parse<'a>(
    data: &'a [u8],
    mut sink: impl FnMut(V1Record<'a>) -> Result<(), DirstateError>,
) -> Result<([u8; 20], [u8; 20]), DirstateError> {
    if data.len() < PARENTS_SIZE {
        return Err(DirstateError::V1Format("too little data for parents"));
    }
    let mut p1 = [0; 20];
    let mut p2 = [0; 20];
    p1.copy_from_slice(&data[..20]);
    p2.copy_from_slice(&data[20..40]);
    let mut pos = PARENTS_SIZE;
    while pos < data.len() {
        if data.len() - pos < HEADER_SIZE {
            return Err(DirstateError::V1Format("overflow in dirstate"));
        }
        let h = &data[pos..pos + HEADER_SIZE];
        let (state, mode, size, mtime) = (
            h[0],
            be32(h, 1) as i32,
            be32(h, 5) as i32,
            be32(h, 9) as i32,
        );
        let flen = be32(h, 13) as usize;
        pos += HEADER_SIZE;
        if flen > data.len() - pos {
            return Err(DirstateError::V1Format("overflow in dirstate"));
        }
        let entry = DirstateEntry::from_v1_data(state, mode, size, mtime)?;
        let name = &data[pos..pos + flen];
        let (path, copy_source) = match memchr::memchr(0, name) {
            Some(nul) => (&name[..nul], Some(&name[nul + 1..])),
            None => (name, None),
        };
        sink(V1Record {
            path,
            path_start: pos,
            copy_source,
            entry,
        })?;
        pos += flen;
    }
    Ok((p1, p2))
}

/// The number of records in `data` and the bytes of their names, found by
/// hopping from header to header (no name is read), so that the map can be
/// sized once: an index sized from a guess is either rebuilt or larger
/// than needed, and a larger index costs a cache miss more per insert.
/// Malformed input stops the count; [`parse`] reports the error.
pub fn count_records(data: &[u8]) -> (usize, usize) {
    let (mut n, mut names) = (0, 0);
    let mut pos = PARENTS_SIZE;
    while pos + HEADER_SIZE <= data.len() {
        let flen = be32(&data[pos..pos + HEADER_SIZE], 13) as usize;
        pos = pos.saturating_add(HEADER_SIZE).saturating_add(flen);
        n += 1;
        names += flen;
    }
    (n, names.min(data.len()))
}

/// Appends one record as the C packer writes it.
pub fn write_record(
    out: &mut Vec<u8>,
    path: &[u8],
    copy_source: Option<&[u8]>,
    entry: &DirstateEntry,
) -> Result<(), DirstateError> {
    let len = path.len() + copy_source.map_or(0, |c| c.len() + 1);
    let len =
        u32::try_from(len).map_err(|_| DirstateError::TooLarge("path too long for v1".into()))?;
    out.push(entry.state());
    out.extend_from_slice(&entry.v1_mode().to_be_bytes());
    out.extend_from_slice(&entry.v1_size().to_be_bytes());
    out.extend_from_slice(&entry.v1_mtime().to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(path);
    if let Some(c) = copy_source {
        out.push(0);
        out.extend_from_slice(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_truncation_like_c() {
        assert!(matches!(
            parse(&[0; 39], |_| Ok(())),
            Err(DirstateError::V1Format("too little data for parents"))
        ));
        let mut d = vec![0u8; 40];
        d.extend_from_slice(b"n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        assert!(matches!(
            parse(&d, |_| Ok(())),
            Err(DirstateError::V1Format("overflow in dirstate"))
        ));
        d.push(5);
        assert!(matches!(
            parse(&d, |_| Ok(())),
            Err(DirstateError::V1Format("overflow in dirstate"))
        ));
        d.extend_from_slice(b"abcd");
        assert!(matches!(
            parse(&d, |_| Ok(())),
            Err(DirstateError::V1Format("overflow in dirstate"))
        ));
        d.push(b'e');
        let mut n = 0;
        parse(&d, |r| {
            assert_eq!(r.path, b"abcde");
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn record_bytes_are_pinned() {
        let e = DirstateEntry::from_v1_data(b'n', 0o100644, 12, 1_700_000_000).unwrap();
        let mut out = vec![];
        write_record(&mut out, b"dst", Some(b"src"), &e).unwrap();
        let mut want = vec![b'n'];
        want.extend_from_slice(&0o100644u32.to_be_bytes());
        want.extend_from_slice(&12u32.to_be_bytes());
        want.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        want.extend_from_slice(&7u32.to_be_bytes());
        want.extend_from_slice(b"dst\0src");
        assert_eq!(out, want);
    }
}
