//! Flat manifests: for one changeset, every tracked file with the node of
//! its file revision and its flags, as sorted lines
//! `path \0 40-hex-node [flag] \n` (`mercurial/manifest.py`; flag `x`
//! executable, `l` symlink, none for a regular file).
//!
//! A [`Manifest`] keeps the text as read and answers lookups by binary
//! search over it (jumping to line starts), so opening one costs a single
//! validation pass and no per-file allocation: the status comparison only
//! looks up the few files whose contents are in doubt. Line ends are found
//! with `memchr` (SIMD byte search, already in the build through `regex`).

use rayon::prelude::*;

use crate::revlog::{Node, Revision, Revlog, RevlogError, NULL_REVISION};

/// The manifest revlog.
#[derive(Debug)]
pub struct Manifestlog {
    revlog: Revlog,
}

impl Manifestlog {
    /// Wraps an opened `00manifest` revlog.
    pub fn new(revlog: Revlog) -> Manifestlog {
        Manifestlog { revlog }
    }

    /// The underlying revlog.
    pub fn revlog(&self) -> &Revlog {
        &self.revlog
    }

    /// The manifest with node id `node` (empty for the null node).
    pub fn read(&self, node: &Node) -> Result<Manifest, RevlogError> {
        self.read_rev(self.revlog.rev(node)?)
    }

    /// The manifest at revision `rev` of the manifest log (empty for the
    /// null revision).
    pub fn read_rev(&self, rev: Revision) -> Result<Manifest, RevlogError> {
        if rev == NULL_REVISION {
            return Ok(Manifest::default());
        }
        let text = self.revlog.data(rev)?;
        Manifest::parse(text).map_err(|e| RevlogError::Corrupted {
            path: self.revlog.index_path().to_owned(),
            rev: Some(rev),
            reason: e.to_string(),
        })
    }
}

/// A file's flags in a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManifestFlags {
    /// A regular file (no flag).
    Regular,
    /// An executable file (`x`).
    Executable,
    /// A symbolic link (`l`); the file revision's text is the link target.
    Symlink,
}

impl ManifestFlags {
    /// The flag as Mercurial spells it (`""`, `"x"`, `"l"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestFlags::Regular => "",
            ManifestFlags::Executable => "x",
            ManifestFlags::Symlink => "l",
        }
    }
}

/// One line of a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestEntry<'a> {
    /// The file's path, relative to the repository root.
    pub path: &'a [u8],
    /// The node of the file revision in the file's filelog.
    pub node: Node,
    /// Regular, executable or symlink.
    pub flags: ManifestFlags,
}

/// Why a manifest text is not a valid flat manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("manifest line {line}: {reason}")]
pub struct InvalidManifest {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A validated flat manifest text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    text: Vec<u8>,
    len: usize,
}

/// Splits a validated line (without its newline) into path, hex and flags.
fn split_line(line: &[u8]) -> (&[u8], &[u8], u8) {
    let n = line.len();
    if line[n - 41] == 0 {
        (&line[..n - 41], &line[n - 40..], 0)
    } else {
        (&line[..n - 42], &line[n - 41..n - 1], line[n - 1])
    }
}

fn entry(line: &[u8]) -> ManifestEntry<'_> {
    let (path, hex, flag) = split_line(line);
    ManifestEntry {
        path,
        node: Node::from_hex(hex).expect("validated"),
        flags: match flag {
            b'x' => ManifestFlags::Executable,
            b'l' => ManifestFlags::Symlink,
            _ => ManifestFlags::Regular,
        },
    }
}

/// Size of the pieces [`Manifest::parse`] checks in parallel.
const PARSE_PIECE: usize = 1 << 20;

/// What [`check_lines`] found in a valid piece of manifest text.
struct CheckedLines<'a> {
    count: usize,
    first: &'a [u8],
    last: &'a [u8],
}

/// Checks the non-empty piece `text` (whole lines); an error gives its
/// 1-based line number within the piece.
fn check_lines(text: &[u8]) -> Result<CheckedLines<'_>, (usize, &'static str)> {
    let mut first: &[u8] = &[];
    let mut previous: &[u8] = &[];
    let mut rest = text;
    let mut count = 0;
    while !rest.is_empty() {
        count += 1;
        let end = memchr::memchr(b'\n', rest).ok_or((count, "no final newline"))?;
        let line = &rest[..end];
        rest = &rest[end + 1..];
        let n = line.len();
        let (path, hex, flag) = if n >= 41 && line[n - 41] == 0 {
            (&line[..n - 41], &line[n - 40..], None)
        } else if n >= 42 && line[n - 42] == 0 {
            (&line[..n - 42], &line[n - 41..n - 1], Some(line[n - 1]))
        } else {
            return Err((count, "no NUL-separated 40-digit node"));
        };
        match flag {
            None | Some(b'x') | Some(b'l') => {}
            Some(b't') => return Err((count, "tree manifest directory entry")),
            Some(_) => return Err((count, "unknown flag")),
        }
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err((count, "node is not hexadecimal"));
        }
        if path.is_empty() || memchr::memchr(0, path).is_some() {
            return Err((count, "empty path or NUL in path"));
        }
        if count > 1 && path <= previous {
            return Err((count, "lines not in sorted order"));
        }
        if count == 1 {
            first = path;
        }
        previous = path;
    }
    Ok(CheckedLines {
        count,
        first,
        last: previous,
    })
}

impl Manifest {
    /// Checks a manifest text: every line is `path\0` + 40 hex digits +
    /// an optional `x` or `l` flag + `\n`, paths are non-empty without NUL,
    /// and lines are strictly sorted by path (Mercurial's C parser checks
    /// the order too). A `t` flag (tree manifest directory) is refused.
    pub fn parse(text: Vec<u8>) -> Result<Manifest, InvalidManifest> {
        // Large texts (a 100k-file manifest is 8 MB) are checked in
        // parallel, in pieces cut after a newline; the pieces' results are
        // then joined in order, so the error reported is the first one, on
        // the same line as a single pass would report it.
        let mut pieces = Vec::new();
        let mut rest = &text[..];
        while rest.len() > PARSE_PIECE {
            let cut = memchr::memchr(b'\n', &rest[PARSE_PIECE..])
                .map_or(rest.len(), |i| PARSE_PIECE + i + 1);
            let (piece, tail) = rest.split_at(cut);
            pieces.push(piece);
            rest = tail;
        }
        if !rest.is_empty() {
            pieces.push(rest);
        }
        let checked: Vec<_> = pieces.par_iter().map(|p| check_lines(p)).collect();
        let mut count = 0;
        let mut previous: Option<&[u8]> = None;
        for result in checked {
            match result {
                Ok(lines) => {
                    if previous.is_some_and(|p| lines.first <= p) {
                        return Err(InvalidManifest {
                            line: count + 1,
                            reason: "lines not in sorted order",
                        });
                    }
                    count += lines.count;
                    previous = Some(lines.last);
                }
                Err((line, reason)) => {
                    return Err(InvalidManifest {
                        line: count + line,
                        reason,
                    })
                }
            }
        }
        Ok(Manifest { text, len: count })
    }

    /// The manifest text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the manifest lists no file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry of `path`, by binary search over the text.
    pub fn get(&self, path: &[u8]) -> Option<ManifestEntry<'_>> {
        self.search(path, 0, self.text.len())
            .ok()
            .map(|(s, e)| entry(&self.text[s..e]))
    }

    /// [`Manifest::get`] for paths looked up in increasing order, as a
    /// touched working copy's sorted files are: `cursor` (0 at first) is
    /// where the previous lookup ended, and the line there is usually the
    /// one sought, so most lookups compare one line instead of searching
    /// the whole text. Any order still gives the right answer (a path
    /// before the cursor is searched for before it), and so does any
    /// cursor value (one that is not a line start of this manifest, say
    /// from another one, only costs a whole search).
    pub fn get_from(&self, path: &[u8], cursor: &mut usize) -> Option<ManifestEntry<'_>> {
        let text = &self.text[..];
        let at = *cursor;
        let at_line_start = at == 0 || (at <= text.len() && text[at - 1] == b'\n');
        let line = if at_line_start {
            self.line_at(at)
        } else {
            None
        };
        let found = match line {
            Some((start, end)) => match split_line(&text[start..end]).0.cmp(path) {
                std::cmp::Ordering::Equal => Ok((start, end)),
                std::cmp::Ordering::Less => self.search(path, end + 1, text.len()),
                std::cmp::Ordering::Greater => self.search(path, 0, start),
            },
            None => self.search(path, 0, text.len()),
        };
        match found {
            Ok((start, end)) => {
                *cursor = end + 1;
                Some(entry(&text[start..end]))
            }
            Err(insertion) => {
                *cursor = insertion;
                None
            }
        }
    }

    /// The line starting at `start` (a line start, or the text's end).
    fn line_at(&self, start: usize) -> Option<(usize, usize)> {
        let rest = self.text.get(start..).filter(|r| !r.is_empty())?;
        let end = start + memchr::memchr(b'\n', rest).expect("validated");
        Some((start, end))
    }

    /// Searches `path` among the lines starting in `lo..hi` (both line
    /// starts): `Ok` with the line's bounds (newline excluded), or `Err`
    /// with the start of the first line after where it would be.
    fn search(&self, path: &[u8], mut lo: usize, mut hi: usize) -> Result<(usize, usize), usize> {
        let text = &self.text[..];
        // Invariant: lo and hi are line starts; the line sought, if any,
        // starts in lo..hi.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = memchr::memrchr(b'\n', &text[lo..mid]).map_or(lo, |i| lo + i + 1);
            let end = start + memchr::memchr(b'\n', &text[start..]).expect("validated");
            let (line_path, _, _) = split_line(&text[start..end]);
            match line_path.cmp(path) {
                std::cmp::Ordering::Equal => return Ok((start, end)),
                std::cmp::Ordering::Less => lo = end + 1,
                std::cmp::Ordering::Greater => hi = start,
            }
        }
        Err(lo)
    }

    /// Whether `path` is in the manifest.
    pub fn contains(&self, path: &[u8]) -> bool {
        self.get(path).is_some()
    }

    /// Every entry, in path order.
    pub fn iter(&self) -> impl Iterator<Item = ManifestEntry<'_>> {
        self.text
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(path: &str, hexbyte: char, flag: &str) -> String {
        format!("{path}\0{}{flag}\n", hexbyte.to_string().repeat(40))
    }

    #[test]
    fn lookup() {
        let paths = ["a", "a.txt", "a/b", "a/c", "b", "dir/sub/x", "z"];
        let text: String = paths
            .iter()
            .enumerate()
            .map(|(i, p)| {
                line(
                    p,
                    char::from_digit(i as u32, 16).unwrap(),
                    ["", "x", "l"][i % 3],
                )
            })
            .collect();
        let m = Manifest::parse(text.into_bytes()).unwrap();
        assert_eq!(m.len(), paths.len());
        for (i, p) in paths.iter().enumerate() {
            let e = m.get(p.as_bytes()).unwrap();
            assert_eq!(e.path, p.as_bytes());
            assert_eq!(e.node, Node([(i as u8) * 0x11; 20]));
            assert_eq!(e.flags.as_str(), ["", "x", "l"][i % 3]);
        }
        for absent in ["", "0", "a/", "a/a", "a/bb", "c", "zz", "dir", "dir/sub"] {
            assert!(m.get(absent.as_bytes()).is_none(), "{absent}");
        }
        assert_eq!(
            m.iter().map(|e| e.path).collect::<Vec<_>>(),
            paths.map(str::as_bytes)
        );
        assert!(Manifest::default().get(b"a").is_none());
        assert!(Manifest::default().get_from(b"a", &mut 0).is_none());
        // A cursor gives `get`'s answer whatever order the paths come in.
        let mut queries: Vec<&str> = paths.to_vec();
        queries.extend(["", "0", "a/", "a/a", "a/bb", "c", "zz", "dir", "dir/sub"]);
        queries.sort();
        let orders = [queries.clone(), queries.iter().rev().copied().collect(), {
            let mut q = queries.clone();
            q.rotate_left(5);
            q
        }];
        for order in orders {
            // A cursor left by another manifest, mid-line or past the end.
            for start in [0, 3, 60, usize::MAX] {
                let mut cursor = start;
                let q = order[0].as_bytes();
                assert_eq!(m.get_from(q, &mut cursor), m.get(q), "cursor {start}");
            }
            let mut cursor = 0;
            for q in order {
                assert_eq!(
                    m.get_from(q.as_bytes(), &mut cursor),
                    m.get(q.as_bytes()),
                    "{q}"
                );
            }
        }
    }

    #[test]
    fn pieces_checked_in_parallel_report_as_one_pass() {
        // Over two pieces' worth of lines, with faults put on every line
        // around the cuts and a few elsewhere: `parse` must report what a
        // single pass over the whole text reports.
        let good: Vec<String> = (0..40_000)
            .map(|i| line(&format!("dir{:02}/file{i:06}.txt", i % 97 / 10), 'a', ""))
            .collect();
        let mut sorted = good.clone();
        sorted.sort();
        let text = sorted.concat();
        assert!(text.len() > 2 * PARSE_PIECE);
        let m = Manifest::parse(text.clone().into_bytes()).unwrap();
        assert_eq!(m.len(), sorted.len());
        let mut starts = vec![0];
        for l in &sorted {
            starts.push(starts.last().unwrap() + l.len());
        }
        let cut_lines: Vec<usize> = (1..=2)
            .map(|k| starts.iter().position(|&s| s > k * PARSE_PIECE).unwrap() - 1)
            .collect();
        let mut faulty = vec![0, 1, 777, sorted.len() - 1];
        for c in &cut_lines {
            faulty.extend([c - 1, *c, c + 1, c + 2]);
        }
        for &i in &faulty {
            for fault in ["order", "hex", "flag", "noeol"] {
                let mut lines = sorted.clone();
                match fault {
                    "order" => lines[i] = line(if i == 0 { "zzz" } else { "a-first" }, 'a', ""),
                    "hex" => lines[i] = lines[i].replace("aaaa", "aaag"),
                    "flag" => lines[i] = lines[i].replace('\n', "q\n"),
                    _ => {
                        if i + 1 != lines.len() {
                            continue;
                        }
                        lines[i].pop();
                    }
                }
                let text = lines.concat().into_bytes();
                let (line, reason) = check_lines(&text).err().unwrap();
                assert_eq!(
                    Manifest::parse(text).unwrap_err(),
                    InvalidManifest { line, reason },
                    "{fault} at line {i}"
                );
            }
        }
    }

    #[test]
    fn invalid() {
        let bad = |t: String| Manifest::parse(t.into_bytes()).unwrap_err().reason;
        assert_eq!(
            bad(line("b", '1', "") + &line("a", '1', "")),
            "lines not in sorted order"
        );
        assert_eq!(
            bad(line("a", '1', "") + &line("a", '1', "")),
            "lines not in sorted order"
        );
        assert_eq!(bad(line("a", '1', "t")), "tree manifest directory entry");
        assert_eq!(bad(line("a", '1', "q")), "unknown flag");
        assert_eq!(bad(line("a", 'g', "")), "node is not hexadecimal");
        assert_eq!(bad(line("", '1', "")), "empty path or NUL in path");
        assert_eq!(bad("a\0abc\n".into()), "no NUL-separated 40-digit node");
        let mut t = line("a", '1', "");
        t.pop();
        assert_eq!(bad(t), "no final newline");
    }
}
