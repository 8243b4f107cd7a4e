//! Decoding one stored chunk, by its first byte (`revlog.decompress`):
//!
//! | first byte | meaning |
//! |---|---|
//! | (empty chunk) | empty text |
//! | `x` (0x78) | zlib stream (the byte is zlib's own CMF header) |
//! | `(` (0x28) | zstd frame (the byte starts zstd's magic `28 b5 2f fd`) |
//! | `u` | stored: the rest is the text |
//! | `\0` | stored: the whole chunk, header byte included, is the text |
//!
//! Crates: `flate2` for zlib, on its `zlib-rs` backend (pure Rust, no C
//! build; decoded revlog chunks ~1.3-1.5x faster than flate2's default
//! `miniz_oxide` here, see the crate docs in `Cargo.toml`), and `zstd`, the
//! binding to the reference C library (the format has no complete pure-Rust
//! decoder as fast). Both are maintained and widely used.

use std::borrow::Cow;

/// Why a chunk could not be decoded; [`super::Revlog`] turns this into a
/// [`super::RevlogError`] with the file and revision.
#[derive(Debug)]
pub enum ChunkError {
    /// The chunk's header byte names no engine we know.
    UnknownHeader(u8),
    /// The compressed stream is invalid or truncated.
    Invalid(String),
}

/// Decodes one chunk. `size_hint` is the expected decoded size when known
/// (the raw size of a full-text chunk), to allocate once; it is only a hint.
pub fn decompress_chunk(
    chunk: &[u8],
    size_hint: Option<usize>,
) -> Result<Cow<'_, [u8]>, ChunkError> {
    let Some(&header) = chunk.first() else {
        return Ok(Cow::Borrowed(chunk));
    };
    match header {
        b'x' => inflate_zlib(chunk, size_hint).map(Cow::Owned),
        b'\0' => Ok(Cow::Borrowed(chunk)),
        b'u' => Ok(Cow::Borrowed(&chunk[1..])),
        0x28 => decode_zstd(chunk, size_hint).map(Cow::Owned),
        other => Err(ChunkError::UnknownHeader(other)),
    }
}

/// Largest buffer we pre-allocate from a hint: a corrupt index must not make
/// us reserve gigabytes before the stream proves it holds that much.
const MAX_PREALLOC: usize = 64 << 20;

thread_local! {
    /// One inflater per thread, reset between chunks: creating one
    /// allocates its state, which costs as much as inflating a small chunk.
    static INFLATER: std::cell::RefCell<flate2::Decompress> =
        std::cell::RefCell::new(flate2::Decompress::new(true));
    /// One zstd decompression context per thread, for the same reason
    /// (`ZSTD_createDCtx` dominated reading small zstd chunks).
    static ZSTD_CONTEXT: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

fn inflate_zlib(chunk: &[u8], size_hint: Option<usize>) -> Result<Vec<u8>, ChunkError> {
    INFLATER.with(|cell| {
        let mut inflater = cell.borrow_mut();
        inflater.reset(true);
        inflate_with(&mut inflater, chunk, size_hint)
    })
}

fn inflate_with(
    inflater: &mut flate2::Decompress,
    chunk: &[u8],
    size_hint: Option<usize>,
) -> Result<Vec<u8>, ChunkError> {
    use flate2::{FlushDecompress, Status};
    let mut out = Vec::with_capacity(
        size_hint
            .unwrap_or(chunk.len().saturating_mul(4))
            .clamp(64, MAX_PREALLOC),
    );
    loop {
        let consumed = inflater.total_in() as usize;
        let produced = out.len();
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(4096));
        }
        let status = inflater
            .decompress_vec(&chunk[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| ChunkError::Invalid(format!("zlib: {e}")))?;
        match status {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => {
                let stalled = inflater.total_in() as usize == consumed && out.len() == produced;
                if stalled {
                    return Err(ChunkError::Invalid("zlib: truncated stream".into()));
                }
            }
        }
    }
}

fn decode_zstd(chunk: &[u8], size_hint: Option<usize>) -> Result<Vec<u8>, ChunkError> {
    // Mercurial's zstd engine writes frames with their content size, so one
    // bulk call into an exact buffer is the common case; a frame without it
    // (or with a size that disagrees) goes through the streaming decoder.
    let declared = zstd::zstd_safe::get_frame_content_size(chunk)
        .ok()
        .flatten();
    if let Some(size) = declared.and_then(|s| usize::try_from(s).ok()) {
        if size <= MAX_PREALLOC.max(size_hint.unwrap_or(0)) {
            let bulk = ZSTD_CONTEXT.with(|cell| {
                let mut cell = cell.borrow_mut();
                let context = match &mut *cell {
                    Some(c) => c,
                    None => cell.insert(zstd::bulk::Decompressor::new().ok()?),
                };
                context.decompress(chunk, size).ok()
            });
            if let Some(out) = bulk.filter(|out| out.len() == size) {
                return Ok(out);
            }
        }
    }
    let mut out = Vec::with_capacity(size_hint.unwrap_or(0).min(MAX_PREALLOC));
    zstd::stream::copy_decode(chunk, &mut out)
        .map_err(|e| ChunkError::Invalid(format!("zstd: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn headers() {
        let text = b"hello hello hello hello hello hello".repeat(100);
        assert_eq!(&*decompress_chunk(&zlib(&text), None).unwrap(), &text[..]);
        assert_eq!(
            &*decompress_chunk(&zlib(&text), Some(3)).unwrap(),
            &text[..]
        );
        let z = zstd::bulk::compress(&text, 3).unwrap();
        assert_eq!(z[0], 0x28);
        assert_eq!(&*decompress_chunk(&z, Some(text.len())).unwrap(), &text[..]);
        assert_eq!(&*decompress_chunk(b"uabc", None).unwrap(), b"abc");
        assert_eq!(&*decompress_chunk(b"\0abc", None).unwrap(), b"\0abc");
        assert_eq!(&*decompress_chunk(b"", None).unwrap(), b"");
        assert!(matches!(
            decompress_chunk(b"Bzh", None),
            Err(ChunkError::UnknownHeader(b'B'))
        ));
    }

    #[test]
    fn truncated_streams_are_errors() {
        let text = b"some text that compresses somewhat, somewhat, somewhat".repeat(50);
        let z = zlib(&text);
        for cut in 1..z.len() {
            assert!(
                decompress_chunk(&z[..cut], None).is_err(),
                "zlib cut at {cut}"
            );
        }
        let z = zstd::bulk::compress(&text, 3).unwrap();
        for cut in 1..z.len() {
            assert!(
                decompress_chunk(&z[..cut], None).is_err(),
                "zstd cut at {cut}"
            );
        }
    }
}
