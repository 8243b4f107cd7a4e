//! One compiled predicate for a list of patterns (`match._buildmatch`):
//! exact `filepath:` set, the all-`rootfilesin:` fast path, one combined
//! regex, and `subinclude:` sub-matchers.
use std::collections::HashSet;
use std::path::Path;

use super::python_re::{self, ReError};
use super::regex_text::kindpat_regex;
use super::{KindPat, PatternError, PatternKind};

/// Largest regex piece Mercurial compiles in one go (`MAX_RE_SIZE`).
const MAX_RE_SIZE: usize = 20000;

/// A `subinclude:` applied below `prefix`.
#[derive(Debug)]
struct SubInclude {
    prefix: Vec<u8>,
    matcher: super::IncludeMatcher,
}

/// The compiled form of a pattern list: `matches` answers like the function
/// `_buildmatch` returns.
#[derive(Debug)]
pub struct PatternSet {
    /// `filepath:` patterns.
    exact: HashSet<Vec<u8>>,
    /// Set when every pattern is `rootfilesin:`: the allowed directories.
    rootfilesin_dirs: Option<HashSet<Vec<u8>>>,
    /// The combined regex of the other patterns.
    regex: Option<regex::bytes::Regex>,
    /// Literal prefixes answering without the regex when all regex patterns
    /// are `path:`-like (`lit(?:/|$)`).
    path_prefixes: Option<HashSet<Vec<u8>>>,
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

/// Recognizes `reescape(lit)(?:/|$)` (a `path:`/`relpath:` regex) and
/// returns `lit`.
fn path_literal(kp: &KindPat) -> Option<Vec<u8>> {
    match kp.kind {
        PatternKind::Path | PatternKind::RelPath
            if !kp.pattern.is_empty() && kp.pattern != b"." =>
        {
            Some(kp.pattern.clone())
        }
        _ => None,
    }
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
            regex: None,
            path_prefixes: None,
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
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        for kp in &rest {
            if kp.kind == PatternKind::FilePath {
                set.exact.insert(kp.pattern.clone());
            } else {
                pieces.push(kindpat_regex(kp, globsuffix)?);
            }
        }
        set.python_regex = pieces.join(&b'|');
        if pieces.is_empty() {
            return Ok(set);
        }
        // Mercurial compiles pieces in groups of at most MAX_RE_SIZE bytes;
        // flags and errors are per group, so translate per group too.
        let mut groups: Vec<Vec<u8>> = Vec::new();
        let mut start = 0;
        let mut size = 0;
        for (idx, piece) in pieces.iter().enumerate() {
            if piece.len() > MAX_RE_SIZE {
                return Err(PatternError::unsupported("matcher pattern is too long"));
            } else if size + piece.len() > MAX_RE_SIZE {
                groups.push(pieces[start..idx].join(&b'|'));
                start = idx;
                size = 0;
            }
            size += piece.len() + 1;
        }
        groups.push(pieces[start..].join(&b'|'));
        let mut translated = Vec::with_capacity(groups.len());
        for group in &groups {
            match python_re::translate(group) {
                Ok(t) => translated.push(t),
                Err(ReError::Unsupported(why)) => return Err(PatternError::Unsupported(why)),
                Err(ReError::Invalid(_)) => {
                    let owned: Vec<KindPat> = rest.iter().map(|kp| (*kp).clone()).collect();
                    return Err(invalid_pattern_error(&owned, globsuffix));
                }
            }
        }
        let literals: Option<HashSet<Vec<u8>>> = rest
            .iter()
            .filter(|kp| kp.kind != PatternKind::FilePath)
            .map(|kp| path_literal(kp))
            .collect();
        set.path_prefixes = literals;
        set.regex = Some(python_re::compile(&translated).map_err(|e| match e {
            ReError::Unsupported(w) | ReError::Invalid(w) => PatternError::Unsupported(w),
        })?);
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
        if let Some(prefixes) = &self.path_prefixes {
            // `lit(?:/|$)`: `path` is `lit`, `lit` + "\n", or below `lit`.
            let trimmed = path.strip_suffix(b"\n").unwrap_or(path);
            if prefixes.contains(trimmed) || prefixes.contains(path) {
                return true;
            }
            if super::roots::find_dirs(path).any(|d| !d.is_empty() && prefixes.contains(d)) {
                return true;
            }
        } else if let Some(re) = &self.regex {
            if re.is_match(path) {
                return true;
            }
        }
        self.subincludes.iter().any(|s| {
            path.starts_with(&s.prefix)
                && super::Matcher::matches(&s.matcher, &path[s.prefix.len()..])
        })
    }

    /// Mercurial's `_pats` text for the regex part.
    pub fn python_regex(&self) -> &[u8] {
        &self.python_regex
    }
}
