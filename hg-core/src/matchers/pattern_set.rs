//! One compiled predicate for a list of patterns (`match._buildmatch`):
//! exact `filepath:` set, the all-`rootfilesin:` fast path, one combined
//! regex, and `subinclude:` sub-matchers.
use std::collections::HashSet;
use std::path::Path;

use std::sync::OnceLock;

use super::fast::{shape_of, FastPaths};
use super::python_re::{self, ReError};
use super::regex_text::{kindpat_regex, INCLUDE_SUFFIX, PATTERN_SUFFIX};
use super::{KindPat, PatternError, PatternKind};

/// Largest regex piece Mercurial compiles in one go (`MAX_RE_SIZE`).
const MAX_RE_SIZE: usize = 20000;

/// A `subinclude:` applied below `prefix`.
#[derive(Debug)]
struct SubInclude {
    prefix: Vec<u8>,
    matcher: super::IncludeMatcher,
}

/// How the regex-kind patterns are answered.
#[derive(Debug)]
enum RegexPart {
    /// No regex-kind pattern.
    None,
    /// One regex for everything (global flags, or pieces that only make
    /// sense joined).
    Full(regex::bytes::Regex),
    /// Shaped patterns through [`FastPaths`], the others (all anchored at
    /// the start) through `rest`; the exact full regex is built on demand
    /// for paths with a newline.
    Split {
        fast: Box<FastPaths>,
        rest: Option<regex::bytes::Regex>,
        /// Bytes the paths matched by `rest` can start with, when known.
        first_bytes: Option<Box<[bool; 256]>>,
        full_groups: Vec<String>,
        full: OnceLock<Option<regex::bytes::Regex>>,
    },
}

/// The compiled form of a pattern list: `matches` answers like the function
/// `_buildmatch` returns.
#[derive(Debug)]
pub struct PatternSet {
    /// `filepath:` patterns.
    exact: HashSet<Vec<u8>>,
    /// Set when every pattern is `rootfilesin:`: the allowed directories.
    rootfilesin_dirs: Option<HashSet<Vec<u8>>>,
    regex: RegexPart,
    subincludes: Vec<SubInclude>,
    /// The Python regex text (`matcher._pats`), kept for tests and debugging.
    python_regex: Vec<u8>,
}

/// Builds the exact message of Mercurial's abort for an invalid pattern:
/// the first pattern that fails alone, in `kindpats` order.
fn invalid_pattern_error(kindpats: &[KindPat], globsuffix: &[u8]) -> PatternError {
    for kp in kindpats {
        if kp.kind == PatternKind::FilePath {
            continue;
        }
        let text = match kindpat_regex(kp, globsuffix) {
            Ok(t) => t,
            Err(e) => return e,
        };
        match python_re::translate(&text) {
            Ok(_) => {}
            Err(ReError::Unsupported(why)) => return PatternError::Unsupported(why),
            Err(ReError::Invalid(_)) => {
                let mut message = Vec::new();
                if !kp.source.is_empty() {
                    message.extend_from_slice(&kp.source);
                    message.extend_from_slice(b": ");
                }
                message.extend_from_slice(b"invalid pattern (");
                message.extend_from_slice(kp.kind.name());
                message.extend_from_slice(b"): ");
                message.extend_from_slice(&kp.pattern);
                return PatternError::InvalidRegex { message };
            }
        }
    }
    PatternError::InvalidRegex {
        message: b"invalid pattern".to_vec(),
    }
}

/// `b'rootfilesin: %s' % stringutil.pprint(sorted(dirs))`: Mercurial's
/// `_pats` text for the all-`rootfilesin:` fast path.
fn rootfilesin_repr(dirs: &HashSet<Vec<u8>>) -> Vec<u8> {
    let mut sorted: Vec<&Vec<u8>> = dirs.iter().collect();
    sorted.sort();
    let mut out = b"rootfilesin: [".to_vec();
    for (i, d) in sorted.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.push(b'\'');
        for &b in d.iter() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\'' => out.extend_from_slice(b"\\'"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                32..=126 => out.push(b),
                _ => out.extend_from_slice(format!("\\x{:02x}", b).as_bytes()),
            }
        }
        out.push(b'\'');
    }
    out.push(b']');
    out
}

fn compile(groups: &[String]) -> Result<regex::bytes::Regex, PatternError> {
    python_re::compile(groups).map_err(|e| match e {
        ReError::Unsupported(w) | ReError::Invalid(w) => PatternError::Unsupported(w),
    })
}

/// Whether a regex piece is anchored at the path start by a literal or
/// class, so that the DFA gives up after a few bytes on most paths (unlike
/// `.*X` and `(?:|.*/)X`, which must scan every path to its end).
fn is_cheap(kp: &KindPat, text: &[u8]) -> bool {
    match kp.kind {
        PatternKind::RelGlob => false,
        PatternKind::RelRe if !kp.pattern.starts_with(b"^") => false,
        _ => {
            !text.is_empty()
                && !text.starts_with(b".")
                && !text.starts_with(b"(")
                && !text.starts_with(b"^.")
                && !text.starts_with(b"^(")
        }
    }
}

/// The byte every path matched by a cheap piece starts with, when it is
/// obvious from the pattern text (`None`: unknown, any byte possible).
fn first_byte(kp: &KindPat) -> Option<u8> {
    let pat = &kp.pattern[..];
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"/_-~@%=".contains(&b);
    match kp.kind {
        PatternKind::Glob | PatternKind::RootGlob | PatternKind::Path | PatternKind::RelPath => {
            pat.first().copied().filter(|&b| plain(b) || b == b'.')
        }
        PatternKind::RootFilesIn if pat != b"." => pat.first().copied(),
        PatternKind::Re | PatternKind::RelRe => {
            if pat.contains(&b'|') || pat.contains(&b'(') {
                return None;
            }
            let body = pat.strip_prefix(b"^").unwrap_or(pat);
            let (byte, rest) = match body {
                [b'\\', c, rest @ ..] if !c.is_ascii_alphanumeric() => (*c, rest),
                [c, rest @ ..] if plain(*c) => (*c, rest),
                _ => return None,
            };
            match rest.first() {
                Some(b'*' | b'?' | b'{') => None,
                _ => Some(byte),
            }
        }
        _ => None,
    }
}

/// Splits the regex-kind patterns into fast-path shapes and a regex of
/// cheap anchored pieces. When some piece needs a full scan anyway, one
/// regex over everything is faster than hashing components on top of it.
fn split(
    pieces: &[(&KindPat, Vec<u8>)],
    include: bool,
    full_groups: Vec<String>,
) -> Result<RegexPart, PatternError> {
    let mut fast = FastPaths::new(include);
    let mut rest = Vec::new();
    let mut first_bytes = Some([false; 256]);
    for (kp, text) in pieces {
        if let Some(shape) = shape_of(kp, include) {
            fast.add(shape);
            continue;
        }
        if !is_cheap(kp, text) {
            return Ok(RegexPart::Full(compile(&full_groups)?));
        }
        match (first_byte(kp), first_bytes.as_mut()) {
            (Some(b), Some(table)) => table[usize::from(b)] = true,
            _ => first_bytes = None,
        }
        match python_re::analyze(text) {
            Ok(t) if !t.global_flags => rest.push(t.regex),
            _ => return Ok(RegexPart::Full(compile(&full_groups)?)),
        }
    }
    let rest_regex = if rest.is_empty() {
        None
    } else {
        Some(compile(&rest)?)
    };
    Ok(RegexPart::Split {
        fast: Box::new(fast),
        rest: rest_regex,
        first_bytes: first_bytes.map(Box::new),
        full_groups,
        full: OnceLock::new(),
    })
}

impl PatternSet {
    /// `_buildmatch(kindpats, globsuffix, root)`; `root` is the file-system
    /// root `subinclude:` paths are resolved against.
    pub fn new(kindpats: &[KindPat], globsuffix: &[u8], root: &Path) -> Result<Self, PatternError> {
        let mut subincludes = Vec::new();
        let mut rest: Vec<&KindPat> = Vec::new();
        for kp in kindpats {
            if kp.kind == PatternKind::SubInclude {
                let (prefix, matcher) = super::ignore::build_subinclude(kp, root)?;
                subincludes.push(SubInclude { prefix, matcher });
            } else {
                rest.push(kp);
            }
        }
        let mut set = PatternSet {
            exact: HashSet::new(),
            rootfilesin_dirs: None,
            regex: RegexPart::None,
            subincludes,
            python_regex: Vec::new(),
        };
        if rest.is_empty() {
            return Ok(set);
        }
        if rest.iter().all(|kp| kp.kind == PatternKind::RootFilesIn) {
            let dirs: HashSet<Vec<u8>> = rest.iter().map(|kp| kp.pattern.clone()).collect();
            set.python_regex = rootfilesin_repr(&dirs);
            set.rootfilesin_dirs = Some(dirs);
            return Ok(set);
        }
        let mut pieces: Vec<(&KindPat, Vec<u8>)> = Vec::new();
        for kp in &rest {
            if kp.kind == PatternKind::FilePath {
                set.exact.insert(kp.pattern.clone());
            } else {
                pieces.push((kp, kindpat_regex(kp, globsuffix)?));
            }
        }
        let texts: Vec<&[u8]> = pieces.iter().map(|(_, t)| &t[..]).collect();
        set.python_regex = texts.join(&b'|');
        if pieces.is_empty() {
            return Ok(set);
        }
        // Mercurial compiles pieces in groups of at most MAX_RE_SIZE bytes;
        // flags and errors are per group, so translate per group too.
        let mut groups: Vec<Vec<u8>> = Vec::new();
        let mut start = 0;
        let mut size = 0;
        for (idx, text) in texts.iter().enumerate() {
            if text.len() > MAX_RE_SIZE {
                return Err(PatternError::unsupported("matcher pattern is too long"));
            } else if size + text.len() > MAX_RE_SIZE {
                groups.push(texts[start..idx].join(&b'|'));
                start = idx;
                size = 0;
            }
            size += text.len() + 1;
        }
        groups.push(texts[start..].join(&b'|'));
        let mut full_groups = Vec::with_capacity(groups.len());
        let mut global_flags = false;
        for group in &groups {
            match python_re::analyze(group) {
                Ok(t) => {
                    global_flags |= t.global_flags;
                    full_groups.push(t.regex);
                }
                Err(ReError::Unsupported(why)) => return Err(PatternError::Unsupported(why)),
                Err(ReError::Invalid(_)) => {
                    let owned: Vec<KindPat> = rest.iter().map(|kp| (*kp).clone()).collect();
                    return Err(invalid_pattern_error(&owned, globsuffix));
                }
            }
        }
        let include = match globsuffix {
            INCLUDE_SUFFIX => Some(true),
            PATTERN_SUFFIX => Some(false),
            _ => None,
        };
        set.regex = match include {
            Some(include) if !global_flags => split(&pieces, include, full_groups)?,
            _ => RegexPart::Full(compile(&full_groups)?),
        };
        Ok(set)
    }

    /// Whether `path` matches any of the patterns.
    pub fn matches(&self, path: &[u8]) -> bool {
        if !self.exact.is_empty() && self.exact.contains(path) {
            return true;
        }
        if let Some(dirs) = &self.rootfilesin_dirs {
            let dir = match path.iter().rposition(|&b| b == b'/') {
                Some(i) => &path[..i],
                None => b".",
            };
            if dirs.contains(dir) {
                return true;
            }
        }
        let regex_match = match &self.regex {
            RegexPart::None => false,
            RegexPart::Full(re) => re.is_match(path),
            RegexPart::Split {
                fast,
                rest,
                first_bytes,
                full_groups,
                full,
            } => {
                if path.contains(&b'\n') {
                    // Python's `$` matches before a final newline: only the
                    // full translation handles that exactly.
                    full.get_or_init(|| compile(full_groups).ok())
                        .as_ref()
                        .is_some_and(|re| re.is_match(path))
                } else {
                    let may_start =
                        |t: &[bool; 256]| path.first().is_some_and(|&b| t[usize::from(b)]);
                    fast.matches(path)
                        || rest.as_ref().is_some_and(|re| {
                            first_bytes.as_deref().is_none_or(may_start) && re.is_match(path)
                        })
                }
            }
        };
        regex_match
            || self.subincludes.iter().any(|s| {
                path.starts_with(&s.prefix)
                    && super::Matcher::matches(&s.matcher, &path[s.prefix.len()..])
            })
    }

    /// Mercurial's `_pats` text for the regex part.
    pub fn python_regex(&self) -> &[u8] {
        &self.python_regex
    }
}
