//! Answers for the common glob shapes without running a regex: `*.ext`,
//! `*suffix`, `name`, `dir/file` literals. Most ignore files are mostly
//! such lines, and matching them by hashing path components is several
//! times faster than a DFA pass over every byte of every path.
//!
//! Each shape reproduces the Python regex `match._regex` builds for it; a
//! path containing a newline (where Python's `$` has a special case) never
//! reaches these checks.
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::{KindPat, PatternKind};

/// Multiply-rotate hashing of short path pieces: the sets below are built
/// from the user's own ignore file, so SipHash's DoS resistance buys
/// nothing and its cost would dominate the lookups.
#[derive(Default, Clone, Copy)]
pub(crate) struct PieceHasher(u64);

impl Hasher for PieceHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 59));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl PieceHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A set of byte strings with [`PieceHasher`].
pub(crate) type PieceSet = HashSet<Vec<u8>, BuildHasherDefault<PieceHasher>>;

/// Bytes with a meaning in `match._globre`.
const GLOB_SPECIAL: &[u8] = b"*?[]{},\\";

/// How one pattern is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `relglob:*.ext`: a component (the last one for command-line
    /// patterns) has this extension (`.ext`, one dot).
    Extension(Vec<u8>),
    /// `relglob:*lit`: a component ends with `lit`.
    Suffix(Vec<u8>),
    /// `relglob:lit`: a component is `lit`.
    Name(Vec<u8>),
    /// `path:lit`, or a literal `glob:`/`rootglob:` of an include matcher:
    /// the path is `lit` or below it.
    Prefix(Vec<u8>),
    /// A literal `glob:`/`rootglob:` of a pattern matcher: the path is `lit`.
    Exact(Vec<u8>),
}

fn is_plain(lit: &[u8]) -> bool {
    !lit.is_empty() && !lit.iter().any(|b| GLOB_SPECIAL.contains(b))
}

/// The shape of `kp` if it has one. `include` is true for the
/// `(?:/|$)` glob suffix, false for `$`.
pub(crate) fn shape_of(kp: &KindPat, include: bool) -> Option<Shape> {
    let pat = &kp.pattern[..];
    match kp.kind {
        PatternKind::Path | PatternKind::RelPath => {
            if pat.is_empty() || pat == b"." {
                None
            } else {
                Some(Shape::Prefix(pat.to_vec()))
            }
        }
        PatternKind::Glob | PatternKind::RootGlob if is_plain(pat) => Some(if include {
            Shape::Prefix(pat.to_vec())
        } else {
            Shape::Exact(pat.to_vec())
        }),
        PatternKind::RelGlob => {
            if let Some(lit) = pat.strip_prefix(b"*") {
                if !is_plain(lit) || lit.contains(&b'/') {
                    return None;
                }
                if lit[0] == b'.' && !lit[1..].contains(&b'.') {
                    Some(Shape::Extension(lit.to_vec()))
                } else {
                    Some(Shape::Suffix(lit.to_vec()))
                }
            } else if is_plain(pat) && !pat.contains(&b'/') {
                Some(Shape::Name(pat.to_vec()))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// All shaped patterns of one matcher, indexed for lookups.
#[derive(Debug)]
pub(crate) struct FastPaths {
    /// Whether components other than the last one count (include matcher).
    all_components: bool,
    /// Last bytes of every extension, suffix and name: a component ending
    /// with another byte cannot match any of them.
    last_bytes: [bool; 256],
    extensions: PieceSet,
    suffixes: Vec<Vec<u8>>,
    names: PieceSet,
    prefixes: PieceSet,
    /// Bit `n` set when a prefix is `n` bytes long (bit 63: 63 or more),
    /// so that most ancestors are rejected without hashing.
    prefix_lens: u64,
    exact: PieceSet,
}

fn len_bit(len: usize) -> u64 {
    1u64 << len.min(63)
}

impl FastPaths {
    pub(crate) fn new(include: bool) -> Self {
        FastPaths {
            all_components: include,
            last_bytes: [false; 256],
            extensions: PieceSet::default(),
            suffixes: Vec::new(),
            names: PieceSet::default(),
            prefixes: PieceSet::default(),
            prefix_lens: 0,
            exact: PieceSet::default(),
        }
    }

    pub(crate) fn add(&mut self, shape: Shape) {
        if let Shape::Extension(lit) | Shape::Suffix(lit) | Shape::Name(lit) = &shape {
            if let Some(&last) = lit.last() {
                self.last_bytes[usize::from(last)] = true;
            }
        }
        match shape {
            Shape::Extension(e) => {
                self.extensions.insert(e);
            }
            Shape::Suffix(s) => self.suffixes.push(s),
            Shape::Name(n) => {
                self.names.insert(n);
            }
            Shape::Prefix(p) => {
                self.prefix_lens |= len_bit(p.len());
                self.prefixes.insert(p);
            }
            Shape::Exact(p) => {
                self.exact.insert(p);
            }
        }
    }

    fn component_matches(&self, comp: &[u8]) -> bool {
        match comp.last() {
            Some(&last) if self.last_bytes[usize::from(last)] => {}
            _ => return false,
        }
        if !self.extensions.is_empty() {
            if let Some(dot) = comp.iter().rposition(|&b| b == b'.') {
                if self.extensions.contains(&comp[dot..]) {
                    return true;
                }
            }
        }
        if !self.names.is_empty() && self.names.contains(comp) {
            return true;
        }
        self.suffixes.iter().any(|s| comp.ends_with(s))
    }

    /// Whether a shaped pattern matches `path` (which has no newline).
    pub(crate) fn matches(&self, path: &[u8]) -> bool {
        if !self.exact.is_empty() && self.exact.contains(path) {
            return true;
        }
        if self.prefix_lens != 0 {
            let lens = self.prefix_lens;
            let candidate = |p: &[u8]| lens & len_bit(p.len()) != 0 && self.prefixes.contains(p);
            if candidate(path) {
                return true;
            }
            for (pos, &b) in path.iter().enumerate() {
                if b == b'/' && candidate(&path[..pos]) {
                    return true;
                }
            }
        }
        if self.extensions.is_empty() && self.names.is_empty() && self.suffixes.is_empty() {
            return false;
        }
        if self.all_components {
            path.split(|&b| b == b'/')
                .any(|c| self.component_matches(c))
        } else {
            let last = match path.iter().rposition(|&b| b == b'/') {
                Some(i) => &path[i + 1..],
                None => path,
            };
            self.component_matches(last)
        }
    }
}
