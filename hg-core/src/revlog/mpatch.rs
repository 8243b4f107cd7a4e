//! Applying a chain of revlog deltas (`mercurial/mpatch.c`,
//! `pure/mpatch.py`). Hand-written: no crate reads Mercurial's delta format.
//!
//! A delta is a sequence of hunks, each a 12-byte header of three
//! big-endian signed 32-bit integers `start`, `end`, `length` followed by
//! `length` bytes: "replace bytes `start..end` of the input with these".
//! Hunks are sorted and do not overlap.
//!
//! Applying `n` deltas one after the other copies the whole text `n` times;
//! delta chains can be hundreds long. Instead, like Mercurial's C code, each
//! delta becomes a list of fragments (a run of its input, or literal bytes),
//! the lists are composed pairwise in a balanced tree (a fragment of a later
//! list that refers to a run of an earlier list's output is replaced by the
//! earlier list's fragments for that run, found by binary search), and the
//! text is written once at the end. The cost is
//! O(hunks × log(chain length) × log(hunks) + final text size).

/// Why a delta (or a chain of them) cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The bytes end in the middle of a hunk header or hunk data.
    #[error("patch cannot be decoded")]
    Truncated,
    /// A hunk's range is negative, reversed, out of order with the previous
    /// hunk, or past the end of the text it applies to.
    #[error("invalid patch")]
    InvalidHunk,
}

/// One hunk of a delta, borrowed from the delta bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hunk<'a> {
    /// First replaced byte of the input.
    pub start: usize,
    /// End (exclusive) of the replaced range.
    pub end: usize,
    /// The replacement bytes.
    pub data: &'a [u8],
}

/// Splits a delta into its hunks, checking only the framing (the header
/// fields are non-negative, `start <= end`, data in bounds).
pub fn parse_delta(delta: &[u8]) -> Result<Vec<Hunk<'_>>, PatchError> {
    let mut hunks = Vec::new();
    let mut rest = delta;
    while !rest.is_empty() {
        if rest.len() < 12 {
            return Err(PatchError::Truncated);
        }
        let field = |i: usize| i32::from_be_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
        let (start, end, len) = (field(0), field(4), field(8));
        if start < 0 || end < start || len < 0 {
            return Err(PatchError::InvalidHunk);
        }
        let len = len as usize;
        if rest.len() - 12 < len {
            return Err(PatchError::Truncated);
        }
        hunks.push(Hunk {
            start: start as usize,
            end: end as usize,
            data: &rest[12..12 + len],
        });
        rest = &rest[12 + len..];
    }
    Ok(hunks)
}

/// Checks that `hunks` can apply to a text of `input_len` bytes and returns
/// the length of the result.
fn output_len(hunks: &[Hunk<'_>], input_len: usize) -> Result<usize, PatchError> {
    let mut last = 0usize;
    let mut len = input_len;
    for h in hunks {
        if h.start < last || h.end > input_len {
            return Err(PatchError::InvalidHunk);
        }
        len = len - (h.end - h.start) + h.data.len();
        last = h.end;
    }
    Ok(len)
}

/// The size of the text `delta` makes from a text of `input_len` bytes
/// (`mpatch.patchedsize`), without building it.
pub fn patched_size(input_len: usize, delta: &[u8]) -> Result<usize, PatchError> {
    output_len(&parse_delta(delta)?, input_len)
}

/// A piece of a text described relative to some input text.
#[derive(Debug, Clone, Copy)]
enum Piece<'a> {
    /// `len` bytes of the input starting at `start`.
    Input { start: usize, len: usize },
    /// Literal bytes from a delta.
    Data(&'a [u8]),
}

impl Piece<'_> {
    fn len(&self) -> usize {
        match self {
            Piece::Input { len, .. } => *len,
            Piece::Data(d) => d.len(),
        }
    }
}

/// A text as a list of pieces of some input text, with each piece's offset
/// in the text (for binary search).
struct Fragments<'a> {
    pieces: Vec<Piece<'a>>,
    offsets: Vec<usize>,
}

impl<'a> Fragments<'a> {
    fn from_pieces(pieces: Vec<Piece<'a>>) -> Self {
        let mut offsets = Vec::with_capacity(pieces.len());
        let mut at = 0;
        for p in &pieces {
            offsets.push(at);
            at += p.len();
        }
        Fragments { pieces, offsets }
    }

    /// The output of validated `hunks` over an input of `input_len` bytes.
    fn from_hunks(hunks: &[Hunk<'a>], input_len: usize) -> Self {
        let mut pieces = Vec::with_capacity(hunks.len() * 2 + 1);
        let mut last = 0;
        for h in hunks {
            if h.start > last {
                pieces.push(Piece::Input {
                    start: last,
                    len: h.start - last,
                });
            }
            if !h.data.is_empty() {
                pieces.push(Piece::Data(h.data));
            }
            last = h.end;
        }
        if input_len > last {
            pieces.push(Piece::Input {
                start: last,
                len: input_len - last,
            });
        }
        Self::from_pieces(pieces)
    }

    /// Appends to `out` the pieces of `self` covering `start..start + len`
    /// of the text `self` describes (which the caller guarantees exists).
    fn extend_range(&self, out: &mut Vec<Piece<'a>>, start: usize, len: usize) {
        if len == 0 {
            return;
        }
        let mut i = self.offsets.partition_point(|&o| o <= start) - 1;
        let mut skip = start - self.offsets[i];
        let mut want = len;
        while want > 0 {
            let piece = self.pieces[i];
            let take = (piece.len() - skip).min(want);
            out.push(match piece {
                Piece::Input { start, .. } => Piece::Input {
                    start: start + skip,
                    len: take,
                },
                Piece::Data(d) => Piece::Data(&d[skip..skip + take]),
            });
            want -= take;
            skip = 0;
            i += 1;
        }
    }

    /// The text of applying `self` then `later` (whose input is `self`'s
    /// output), described over `self`'s input.
    fn then(&self, later: &Fragments<'a>) -> Fragments<'a> {
        let mut pieces = Vec::with_capacity(self.pieces.len() + later.pieces.len());
        for piece in &later.pieces {
            match *piece {
                Piece::Input { start, len } => self.extend_range(&mut pieces, start, len),
                Piece::Data(d) => pieces.push(Piece::Data(d)),
            }
        }
        Fragments::from_pieces(pieces)
    }
}

/// Applies `deltas` in order to `base` and returns the resulting text.
pub fn apply_deltas<D: AsRef<[u8]>>(base: &[u8], deltas: &[D]) -> Result<Vec<u8>, PatchError> {
    let mut len = base.len();
    let mut lists = Vec::with_capacity(deltas.len());
    for delta in deltas {
        let hunks = parse_delta(delta.as_ref())?;
        let out_len = output_len(&hunks, len)?;
        if deltas.len() == 1 {
            return Ok(apply_one(base, &hunks, out_len));
        }
        lists.push(Fragments::from_hunks(&hunks, len));
        len = out_len;
    }
    if lists.is_empty() {
        return Ok(base.to_vec());
    }
    // Balanced pairwise composition keeps every fragment list short-lived
    // and the number of times a fragment is re-examined logarithmic.
    while lists.len() > 1 {
        let mut next = Vec::with_capacity(lists.len().div_ceil(2));
        let mut it = lists.into_iter();
        while let Some(first) = it.next() {
            match it.next() {
                Some(second) => next.push(first.then(&second)),
                None => next.push(first),
            }
        }
        lists = next;
    }
    let combined = lists.pop().expect("one list");
    let mut out = Vec::with_capacity(len);
    for piece in &combined.pieces {
        match *piece {
            Piece::Input { start, len } => out.extend_from_slice(&base[start..start + len]),
            Piece::Data(d) => out.extend_from_slice(d),
        }
    }
    debug_assert_eq!(out.len(), len);
    Ok(out)
}

/// One validated delta, applied directly.
fn apply_one(base: &[u8], hunks: &[Hunk<'_>], out_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_len);
    let mut last = 0;
    for h in hunks {
        out.extend_from_slice(&base[last..h.start]);
        out.extend_from_slice(h.data);
        last = h.end;
    }
    out.extend_from_slice(&base[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hunk(start: i32, end: i32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&start.to_be_bytes());
        v.extend_from_slice(&end.to_be_bytes());
        v.extend_from_slice(&(data.len() as i32).to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    /// The obvious quadratic reference: apply each delta in turn.
    fn naive(base: &[u8], deltas: &[Vec<u8>]) -> Result<Vec<u8>, PatchError> {
        let mut text = base.to_vec();
        for d in deltas {
            let hunks = parse_delta(d)?;
            let n = output_len(&hunks, text.len())?;
            text = apply_one(&text, &hunks, n);
        }
        Ok(text)
    }

    #[test]
    fn simple() {
        let base = b"line1\nline2\nline3\n";
        let d1 = hunk(6, 12, b"LINE2\nextra\n");
        assert_eq!(
            apply_deltas(base, std::slice::from_ref(&d1)).unwrap(),
            b"line1\nLINE2\nextra\nline3\n"
        );
        let d2 = [hunk(0, 6, b""), hunk(18, 24, b"end\n")].concat();
        assert_eq!(
            apply_deltas(base, &[d1.clone(), d2]).unwrap(),
            b"LINE2\nextra\nend\n"
        );
        assert_eq!(apply_deltas::<Vec<u8>>(base, &[]).unwrap(), base);
        assert_eq!(apply_deltas(base, &[Vec::new()]).unwrap(), base);
        assert_eq!(patched_size(base.len(), &d1).unwrap(), 24);
    }

    #[test]
    fn bad_deltas() {
        let base = b"0123456789";
        let ok = hunk(2, 4, b"xy");
        for cut in 1..ok.len() {
            assert_eq!(
                apply_deltas(base, &[&ok[..cut]]),
                Err(PatchError::Truncated)
            );
        }
        assert_eq!(
            apply_deltas(base, &[hunk(5, 4, b"")]),
            Err(PatchError::InvalidHunk)
        );
        assert_eq!(
            apply_deltas(base, &[hunk(-1, 4, b"")]),
            Err(PatchError::InvalidHunk)
        );
        assert_eq!(
            apply_deltas(base, &[hunk(2, 11, b"")]),
            Err(PatchError::InvalidHunk)
        );
        let unordered = [hunk(5, 6, b""), hunk(1, 2, b"")].concat();
        assert_eq!(
            apply_deltas(base, &[unordered]),
            Err(PatchError::InvalidHunk)
        );
        let negative_len = [
            &5i32.to_be_bytes()[..],
            &6i32.to_be_bytes(),
            &(-1i32).to_be_bytes(),
        ]
        .concat();
        assert_eq!(
            apply_deltas(base, &[negative_len]),
            Err(PatchError::InvalidHunk)
        );
        // The second delta applies to the 4-byte output of the first.
        let shrink = hunk(0, 6, b"");
        assert_eq!(
            apply_deltas(base, &[shrink, hunk(0, 5, b"")]),
            Err(PatchError::InvalidHunk)
        );
    }

    /// A strategy for a random chain: each delta is generated against the
    /// length of the text it applies to.
    fn chain() -> impl Strategy<Value = (Vec<u8>, Vec<Vec<u8>>)> {
        (
            proptest::collection::vec(any::<u8>(), 0..60),
            proptest::collection::vec(any::<u64>(), 0..12),
        )
            .prop_map(|(base, seeds)| {
                let mut len = base.len();
                let mut deltas = Vec::new();
                for seed in seeds {
                    let mut x = seed;
                    let mut next = |m: usize| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((x >> 33) as usize) % m.max(1)
                    };
                    let mut d = Vec::new();
                    let mut at = 0;
                    let mut out = len;
                    for _ in 0..next(5) {
                        if at > len {
                            break;
                        }
                        let start = at + next(len - at + 1);
                        let end = start + next(len - start + 1);
                        let data: Vec<u8> = (0..next(8)).map(|i| b'a' + (i as u8)).collect();
                        d.extend(hunk(start as i32, end as i32, &data));
                        out = out - (end - start) + data.len();
                        at = end;
                    }
                    deltas.push(d);
                    len = out;
                }
                (base, deltas)
            })
    }

    proptest! {
        #[test]
        fn composition_matches_sequential((base, deltas) in chain()) {
            prop_assert_eq!(apply_deltas(&base, &deltas), naive(&base, &deltas));
        }

        #[test]
        fn arbitrary_bytes_never_panic(base in proptest::collection::vec(any::<u8>(), 0..40),
                                       deltas in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4)) {
            let _ = apply_deltas(&base, &deltas);
            prop_assert_eq!(apply_deltas(&base, &deltas), naive(&base, &deltas));
        }
    }
}
