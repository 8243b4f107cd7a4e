//! Where a revlog lives in the store: the encoding of store paths
//! (`mercurial/store.py`: `encodedir`, `_encodefname`, `_auxencode`,
//! `_hashencode`, `_hybridencode`, `_pathencode`, `_plain_encode`).
//!
//! A file `foo/Bar.txt` has its history in the revlog `data/foo/Bar.txt.i`
//! (and `.d`), but that name is encoded before touching the file system so
//! that it is valid and unambiguous everywhere: directories that end in
//! `.i`, `.d` or `.hg` get `.hg` appended (a file `x.i` and a directory
//! `x.i/` cannot collide), uppercase letters become `_x`, bytes that some
//! file system rejects become `~xx`, Windows device names (`aux`, `com1`)
//! and names ending in a dot or space are escaped, and, with `dotencode`, a
//! leading dot or space too. With `fncache`, a path longer than 120 bytes
//! after all that is replaced by a hashed form in `dh/`: the first 8 bytes
//! of as many directories as fit, as much of the file name as fits, the
//! SHA-1 of the full path and the extension.
//!
//! Pure functions on byte strings, so they can be checked against
//! Mercurial's own encoder (`hg-core/fixtures/store/`).

use sha1::{Digest, Sha1};

/// The longest encoded path kept as is; longer ones are hashed.
const MAX_STORE_PATH_LEN: usize = 120;
/// Bytes of each directory name kept in a hashed path.
const DIR_PREFIX_LEN: usize = 8;
/// Room for directory prefixes (with their slashes) in a hashed path.
const MAX_SHORT_DIRS_LEN: usize = 8 * (DIR_PREFIX_LEN + 1) - 4;

/// How a repository's store encodes revlog paths, decided by its
/// requirements (`localrepo.makestore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreEncoding {
    /// No `store` requirement (pre-0.9.2 layout): revlogs under `.hg/`,
    /// only [`encode_dir`].
    Basic,
    /// `store` without `fncache`: [`encode_filename`], reversible, no
    /// length limit.
    Encoded,
    /// `fncache` without `dotencode`: [`hybrid_encode`] without
    /// dot-encoding.
    Hybrid,
    /// `fncache` and `dotencode` (the default since Mercurial 1.7), or
    /// `fileindex-v1`: [`hybrid_encode`] with dot-encoding.
    DotEncode,
    /// The experimental `exp-very-fragile-and-unsafe-plain-store-encoding`:
    /// [`plain_encode`].
    Plain,
}

impl StoreEncoding {
    /// The encoding for a repository that has the requirements for which
    /// `has` returns true.
    pub fn from_requirements(has: impl Fn(&str) -> bool) -> StoreEncoding {
        let plain = has("exp-very-fragile-and-unsafe-plain-store-encoding");
        if !has("store") {
            StoreEncoding::Basic
        } else if has("fncache") {
            if has("dotencode") {
                StoreEncoding::DotEncode
            } else if plain {
                StoreEncoding::Plain
            } else {
                StoreEncoding::Hybrid
            }
        } else if has("fileindex-v1") {
            if plain {
                StoreEncoding::Plain
            } else {
                StoreEncoding::DotEncode
            }
        } else {
            StoreEncoding::Encoded
        }
    }

    /// Encodes a store-relative path (`data/foo.txt.i`, `00manifest.i`).
    pub fn encode(self, path: &[u8]) -> Vec<u8> {
        match self {
            StoreEncoding::Basic => encode_dir(path),
            StoreEncoding::Encoded => encode_filename(path),
            StoreEncoding::Hybrid => hybrid_encode(path, false),
            StoreEncoding::DotEncode => hybrid_encode(path, true),
            StoreEncoding::Plain => plain_encode(path),
        }
    }

    /// The encoded path of the filelog index of a tracked file (given
    /// relative to the repository root, `/`-separated).
    pub fn filelog_index(self, file: &[u8]) -> Vec<u8> {
        self.encode(&[b"data/", file, b".i"].concat())
    }

    /// The encoded path of the filelog data file of a tracked file. It is
    /// encoded on its own: a hashed `.d` name has a different hash than
    /// its `.i`.
    pub fn filelog_data(self, file: &[u8]) -> Vec<u8> {
        self.encode(&[b"data/", file, b".d"].concat())
    }

    /// [`StoreEncoding::filelog_index`] and [`StoreEncoding::filelog_data`]
    /// with one encoding instead of two where that gives the same paths:
    /// a touched working copy opens a filelog per tracked file, and the
    /// encoding is the largest share of the user-space time spent on each
    /// after hashing. Every encoding leaves a final `.i` or `.d` as it is,
    /// and both names have the same length, so either both are hashed
    /// (`dh/…`, where the hash covers the extension: the data path is then
    /// encoded on its own) or the data path is the index path with its
    /// last byte changed.
    pub fn filelog_paths(self, file: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let index = self.filelog_index(file);
        if index.starts_with(b"data/") && index.ends_with(b".i") {
            let mut data = index.clone();
            if let Some(last) = data.last_mut() {
                *last = b'd';
            }
            return (index, data);
        }
        let data = self.filelog_data(file);
        (index, data)
    }
}

/// `encodedir`: appends `.hg` to every directory whose name ends in `.hg`,
/// `.i` or `.d`, so that no directory name looks like a revlog file.
pub fn encode_dir(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 8);
    for &b in path {
        if b == b'/' && looks_like_revlog(&out) {
            out.extend_from_slice(b".hg");
        }
        out.push(b);
    }
    out
}

/// Whether a directory name (or the path up to it) ends like a revlog
/// file or `encode_dir`'s own suffix: `encode_dir` appends `.hg` to it.
fn looks_like_revlog(name: &[u8]) -> bool {
    name.ends_with(b".hg") || name.ends_with(b".i") || name.ends_with(b".d")
}

/// Bytes some file system cannot hold in a name: controls, `~` and above,
/// and Windows' reserved punctuation (`store._reserved`).
fn is_reserved(b: u8) -> bool {
    !(32..126).contains(&b) || b"\\:*?\"<>|".contains(&b)
}

fn push_escaped(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[b'~', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
}

/// `_encodefname`: reversible byte encoding (`A` → `_a`, `_` → `__`,
/// reserved bytes → `~xx`).
fn encode_fname(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 8);
    encode_fname_into(path, &mut out);
    out
}

/// [`encode_fname`], appending to `out`.
fn encode_fname_into(path: &[u8], out: &mut Vec<u8>) {
    for &b in path {
        if is_reserved(b) {
            push_escaped(out, b);
        } else if b.is_ascii_uppercase() || b == b'_' {
            out.push(b'_');
            out.push(b.to_ascii_lowercase());
        } else {
            out.push(b);
        }
    }
}

/// `lowerencode`: like [`encode_fname`] but lossy (uppercase simply
/// lowered, `_` kept), for the hashed form.
fn lower_encode(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 8);
    for &b in path {
        if is_reserved(b) {
            push_escaped(&mut out, b);
        } else {
            out.push(b.to_ascii_lowercase());
        }
    }
    out
}

/// `encodefilename`: the `store` (no `fncache`) encoding.
pub fn encode_filename(path: &[u8]) -> Vec<u8> {
    encode_fname(&encode_dir(path))
}

/// `_auxencode` on one path component: escapes Windows device names
/// (`aux`, `con`, `prn`, `nul`, `com1`-`com9`, `lpt1`-`lpt9`, alone or
/// before a dot) by their third byte, a trailing dot or space, and with
/// `dotencode` a leading dot or space (which then skips the device-name
/// check). The component is lowercase already.
fn aux_encode_component(name: &[u8], dotencode: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 6);
    aux_encode_component_into(name, dotencode, &mut out);
    out
}

/// [`aux_encode_component`], appending to `out`.
fn aux_encode_component_into(name: &[u8], dotencode: bool, out: &mut Vec<u8>) {
    if name.is_empty() {
        return;
    }
    if dotencode && (name[0] == b'.' || name[0] == b' ') {
        push_escaped(out, name[0]);
        out.extend_from_slice(&name[1..]);
    } else {
        let stem = name.iter().position(|&b| b == b'.').unwrap_or(name.len());
        let device = (stem == 3 && [&b"aux"[..], b"con", b"prn", b"nul"].contains(&&name[..3]))
            || (stem == 4
                && (b'1'..=b'9').contains(&name[3])
                && [&b"com"[..], b"lpt"].contains(&&name[..3]));
        if device {
            out.extend_from_slice(&name[..2]);
            push_escaped(out, name[2]);
            out.extend_from_slice(&name[3..]);
        } else {
            out.extend_from_slice(name);
        }
    }
    let last = *out.last().expect("a non-empty name was pushed");
    if last == b'.' || last == b' ' {
        out.pop();
        push_escaped(out, last);
    }
}

fn aux_encode(components: &[&[u8]], dotencode: bool) -> Vec<Vec<u8>> {
    components
        .iter()
        .map(|c| aux_encode_component(c, dotencode))
        .collect()
}

/// `os.path.splitext`'s extension: from the last dot, unless only dots
/// precede it.
fn extension(basename: &[u8]) -> &[u8] {
    match basename.iter().rposition(|&b| b == b'.') {
        Some(dot) if basename[..dot].iter().any(|&b| b != b'.') => &basename[dot..],
        _ => &[],
    }
}

/// `_hashencode`: the `dh/` form of a path (already [`encode_dir`]-ed,
/// starting with `data/` or `meta/`).
fn hash_encode(path: &[u8], dotencode: bool) -> Vec<u8> {
    let digest = Sha1::digest(path);
    let mut hex = Vec::with_capacity(40);
    for b in digest {
        hex.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    let lowered = lower_encode(path.get(5..).unwrap_or_default());
    let components: Vec<&[u8]> = lowered.split(|&b| b == b'/').collect();
    let parts = aux_encode(&components, dotencode);
    let (basename, dirs) = parts.split_last().expect("split yields one part at least");
    let ext = extension(basename);
    let mut short_dirs: Vec<Vec<u8>> = Vec::new();
    let mut short_len = 0;
    for dir in dirs {
        let mut d = dir[..dir.len().min(DIR_PREFIX_LEN)].to_vec();
        if let Some(last) = d.last_mut() {
            if *last == b'.' || *last == b' ' {
                *last = b'_';
            }
        }
        let total = if short_len == 0 {
            d.len()
        } else {
            short_len + 1 + d.len()
        };
        if short_len != 0 && total > MAX_SHORT_DIRS_LEN {
            break;
        }
        short_dirs.push(d);
        short_len = total;
    }
    let mut dirs = short_dirs.join(&b'/');
    if !dirs.is_empty() {
        dirs.push(b'/');
    }
    let used = 3 + dirs.len() + hex.len() + ext.len();
    let filler = &basename[..basename.len().min(MAX_STORE_PATH_LEN.saturating_sub(used))];
    [&b"dh/"[..], &dirs, filler, &hex, ext].concat()
}

/// `_hybridencode` (and, with `dotencode`, `_pathencode`, the C
/// `pathencode`): the reversible encoding of `path` if it is at most 120
/// bytes, the hashed `dh/` form otherwise.
pub fn hybrid_encode(path: &[u8], dotencode: bool) -> Vec<u8> {
    // One pass, component by component, into one buffer: every step of
    // `encode_dir`, `_encodefname` and `_auxencode` is local to a component
    // (a touched working copy encodes a filelog path per tracked file).
    let mut out = Vec::with_capacity(path.len() + 16);
    let mut encoded = Vec::with_capacity(64);
    let mut parts = path.split(|&b| b == b'/').peekable();
    while let Some(part) = parts.next() {
        encoded.clear();
        encode_fname_into(part, &mut encoded);
        let is_dir = parts.peek().is_some();
        if is_dir && looks_like_revlog(part) {
            // `encode_dir`; `_encodefname` leaves `.hg` as it is.
            encoded.extend_from_slice(b".hg");
        }
        aux_encode_component_into(&encoded, dotencode, &mut out);
        if is_dir {
            out.push(b'/');
        }
    }
    if out.len() > MAX_STORE_PATH_LEN {
        hash_encode(&encode_dir(path), dotencode)
    } else {
        out
    }
}

/// `_plain_encode`: only `data/` paths change, every directory getting a
/// `_` suffix so that no directory and revlog names collide.
pub fn plain_encode(path: &[u8]) -> Vec<u8> {
    match path.strip_prefix(b"data/") {
        Some(rest) => {
            let mut out = b"data/".to_vec();
            for &b in rest {
                if b == b'/' {
                    out.push(b'_');
                }
                out.push(b);
            }
            out
        }
        None => path.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: Vec<u8>) -> String {
        String::from_utf8(v).unwrap()
    }

    /// The doctests of `mercurial/store.py`.
    #[test]
    fn store_py_doctests() {
        assert_eq!(s(encode_dir(b"data/foo.i")), "data/foo.i");
        assert_eq!(s(encode_dir(b"data/foo.i/bla.i")), "data/foo.i.hg/bla.i");
        assert_eq!(
            s(encode_dir(b"data/foo.i.hg/bla.i")),
            "data/foo.i.hg.hg/bla.i"
        );
        assert_eq!(
            s(encode_filename(b"foo.i/bar.d/bla.hg/hi:world?/HELLO")),
            "foo.i.hg/bar.d.hg/bla.hg.hg/hi~3aworld~3f/_h_e_l_l_o"
        );
        assert_eq!(
            s(encode_fname(b"the\x07quick\xADshot")),
            "the~07quick~adshot"
        );
        assert_eq!(s(lower_encode(b"HELLO")), "hello");
        let aux = |p: &[u8], dot| {
            let parts: Vec<&[u8]> = p.split(|&b| b == b'/').collect();
            aux_encode(&parts, dot)
                .into_iter()
                .map(s)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            aux(b".foo/aux.txt/txt.aux/con/prn/nul/foo.", true),
            [
                "~2efoo",
                "au~78.txt",
                "txt.aux",
                "co~6e",
                "pr~6e",
                "nu~6c",
                "foo~2e"
            ]
        );
        assert_eq!(
            aux(b".com1com2/lpt9.lpt4.lpt1/conprn/com0/lpt0/foo.", false),
            [
                ".com1com2",
                "lp~749.lpt4.lpt1",
                "conprn",
                "com0",
                "lpt0",
                "foo~2e"
            ]
        );
        assert_eq!(aux(b"foo. ", true), ["foo.~20"]);
        assert_eq!(aux(b" .foo", true), ["~20.foo"]);
        assert_eq!(
            s(plain_encode(b"data/ b a r /fuz.d_/baz.i/foo.txt")),
            "data/ b a r _/fuz.d__/baz.i_/foo.txt"
        );
        assert_eq!(s(plain_encode(b"00manifest.i")), "00manifest.i");
    }

    /// `_hybridencode` step by step, as Mercurial composes it.
    fn hybrid_encode_by_steps(path: &[u8], dotencode: bool) -> Vec<u8> {
        let dired = encode_dir(path);
        let encoded = encode_fname(&dired);
        let components: Vec<&[u8]> = encoded.split(|&b| b == b'/').collect();
        let joined = aux_encode(&components, dotencode).join(&b'/');
        if joined.len() > MAX_STORE_PATH_LEN {
            hash_encode(&dired, dotencode)
        } else {
            joined
        }
    }

    use proptest::prelude::*;

    proptest::proptest! {
        /// The one-pass encoder gives what the steps give, on paths made
        /// of the bytes and names every step treats specially.
        #[test]
        fn one_pass_is_the_steps(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec![
                    "aux", "con.x", "com1", "lpt9.d", "nul", "prn.", ".", " ", "",
                    "x.i", "y.d", "z.hg", ".hg", "A_b", "com0", "auxx",
                ]).prop_map(|s| s.as_bytes().to_vec()),
                proptest::collection::vec(proptest::prop_oneof![
                    proptest::sample::select(b" .~_:Aaz\x01\x7f\xe9".to_vec()),
                    proptest::num::u8::ANY,
                ], 0..12),
            ],
            1..6,
        ), dotencode: bool, long in 0usize..3) {
            let mut path = b"data/".to_vec();
            path.extend(parts.join(&b'/'));
            path.extend(b"-".repeat(long * 50));
            path.extend_from_slice(b".i");
            proptest::prop_assert_eq!(
                hybrid_encode(&path, dotencode),
                hybrid_encode_by_steps(&path, dotencode)
            );
        }
    }

    #[test]
    fn extension_like_splitext() {
        assert_eq!(extension(b"foo.i"), b".i");
        assert_eq!(extension(b".foo"), b"");
        assert_eq!(extension(b"..i"), b"");
        assert_eq!(extension(b"noext"), b"");
    }

    #[test]
    fn hashed_form_keeps_the_limit() {
        let long = [
            b"data/".to_vec(),
            b"Very Long Directory Name/".repeat(8),
            b"File.txt.i".to_vec(),
        ]
        .concat();
        let encoded = hybrid_encode(&long, true);
        // Seven 8-byte directory prefixes fit in 68 bytes, the eighth not.
        let dirs = "very lon/".repeat(7);
        let digest = format!("{:x}", Sha1::digest(&long));
        assert_eq!(s(encoded), format!("dh/{dirs}file.txt.i{digest}.i"));
    }
}
