//! Reading a whole file whose size is already known, in as few system calls
//! as possible.
//!
//! A touched working copy has every tracked file compared with its filelog:
//! two small files read per path, hundreds of thousands of them. `std`'s
//! `read_to_end` spends three extra system calls on each (an `fstat` for a
//! size hint, an `lseek` for the position, and a last `read` that returns 0
//! to prove the end), which is about as many as the useful ones, and the
//! callers here have just taken the `fstat` themselves. No crate does this
//! one thing, so it is written here.

use std::fs::File;
use std::io::{self, Read};

/// Reads `file` from its current position (the start of a freshly opened
/// file) to its end, `len` being the size its `fstat` gave.
///
/// The first `read` asks for one byte more than `len`: a regular file that
/// did not grow returns exactly `len`, and a read shorter than asked is the
/// end of a regular file, so no further call is needed. A file that grew in
/// between (the read fills the extra byte) or a short read before `len`
/// (another kind of file system) is read on to its real end, so the result
/// is always the whole file.
pub fn read_known_len(file: &mut File, len: u64) -> io::Result<Vec<u8>> {
    let want = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(1))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
    let mut data = vec![0u8; want];
    let mut got = 0;
    loop {
        match file.read(&mut data[got..]) {
            Ok(0) => break,
            Ok(n) => {
                got += n;
                if got == want {
                    // It grew since its size was taken: read the rest.
                    file.read_to_end(&mut data)?;
                    return Ok(data);
                }
                if got >= want - 1 {
                    // Exactly `len` bytes, in a read that asked for more.
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    data.truncate(got);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        t.write_all(bytes).unwrap();
        t.flush().unwrap();
        let f = File::open(t.path()).unwrap();
        (t, f)
    }

    #[test]
    fn reads_exactly_the_file() {
        for size in [0usize, 1, 4095, 4096, 70_000] {
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let (_t, mut f) = file_with(&bytes);
            assert_eq!(read_known_len(&mut f, size as u64).unwrap(), bytes);
        }
    }

    #[test]
    fn a_stale_size_still_gives_the_whole_file() {
        let bytes = b"0123456789".to_vec();
        // The file grew after its size was taken (size said 4).
        let (_t, mut f) = file_with(&bytes);
        assert_eq!(read_known_len(&mut f, 4).unwrap(), bytes);
        // It shrank (size said 100).
        let (_t, mut f) = file_with(&bytes);
        assert_eq!(read_known_len(&mut f, 100).unwrap(), bytes);
        // Exactly one byte more than announced.
        let (_t, mut f) = file_with(&bytes);
        assert_eq!(read_known_len(&mut f, 9).unwrap(), bytes);
    }

    #[test]
    fn reads_from_the_current_position() {
        let (_t, mut f) = file_with(b"headerbody");
        f.seek(SeekFrom::Start(6)).unwrap();
        assert_eq!(read_known_len(&mut f, 4).unwrap(), b"body");
    }
}
