//! Reading a whole file whose size is already known, in as few system calls
//! as possible.
//!
//! A touched working copy has every tracked file compared with its filelog:
//! two small files read per path, hundreds of thousands of them. `std`'s
//! `read_to_end` spends three extra system calls on each (an `fstat` for a
//! size hint, an `lseek` for the position, and a last `read` that returns 0
//! to prove the end), which is about as many as the useful ones, and the
//! callers here have just taken the `fstat` themselves. A file whose size
//! is not known yet (a filelog's `.i`) is read first into a small buffer
//! ([`read_if_small`]): most are smaller than it, and then one `read` is the
//! only call besides `open` and `close`. No crate does this one thing, so it
//! is written here.

use std::cell::RefCell;
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

/// Size of the buffer [`read_if_small`] reads into: a filelog's index of a
/// few revisions with inline data fits (the `benches/` layout's are 160 to
/// 410 bytes); a larger file costs what sizing it first would have.
pub const SMALL_FILE: usize = 16 * 1024;

/// What [`read_if_small`] read.
pub enum Start {
    /// The whole file: one read returned less than [`SMALL_FILE`] bytes,
    /// which for a regular file is its end.
    Whole(Vec<u8>),
    /// The first [`SMALL_FILE`] bytes; the file may be longer.
    Partial(Vec<u8>),
}

/// Reads `file` from its current position in one `read` of at most
/// [`SMALL_FILE`] bytes, saving the `fstat` that sizing a small file first
/// costs (a touched working copy reads one filelog index per file).
///
/// The read goes into a buffer kept by the thread, zeroed once: a fresh
/// zeroed buffer per file cost more than the `read` it serves.
pub fn read_if_small(file: &mut File) -> io::Result<Start> {
    thread_local! {
        static BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0u8; SMALL_FILE].into_boxed_slice());
    }
    BUFFER.with_borrow_mut(|buf| loop {
        match file.read(buf) {
            Ok(n) if n < SMALL_FILE => return Ok(Start::Whole(buf[..n].to_vec())),
            Ok(_) => return Ok(Start::Partial(buf.to_vec())),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    })
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
    fn small_files_are_read_whole_in_one_call() {
        for size in [0usize, 1, SMALL_FILE - 1] {
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let (_t, mut f) = file_with(&bytes);
            assert!(matches!(read_if_small(&mut f).unwrap(), Start::Whole(b) if b == bytes));
        }
        for size in [SMALL_FILE, SMALL_FILE + 1, 3 * SMALL_FILE] {
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let (_t, mut f) = file_with(&bytes);
            let Start::Partial(start) = read_if_small(&mut f).unwrap() else {
                panic!("{size} bytes read as whole");
            };
            assert_eq!(start, bytes[..SMALL_FILE]);
            // The rest follows from the position the read left.
            let rest = read_known_len(&mut f, (size - SMALL_FILE) as u64).unwrap();
            assert_eq!([start, rest].concat(), bytes);
        }
    }

    #[test]
    fn reads_from_the_current_position() {
        let (_t, mut f) = file_with(b"headerbody");
        f.seek(SeekFrom::Start(6)).unwrap();
        assert_eq!(read_known_len(&mut f, 4).unwrap(), b"body");
    }
}
