//! The Python regex text Mercurial builds for each pattern (`match._globre`,
//! `match._regex`), byte for byte, so it can be compared with Mercurial's
//! own output and then parsed with Python `re` rules.
use super::{KindPat, PatternError, PatternKind};

/// `globsuffix` of `patternmatcher`: a glob matches whole paths.
pub const PATTERN_SUFFIX: &[u8] = b"$";
/// `globsuffix` of `includematcher`: a glob also matches directories.
pub const INCLUDE_SUFFIX: &[u8] = b"(?:/|$)";

/// Bytes that `stringutil.regexbytesescapemap` escapes with a backslash.
const RE_SPECIAL: &[u8] = b"()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c";

/// Appends `c` escaped as `regexbytesescapemap.get(c, c)` does.
fn push_escaped(out: &mut Vec<u8>, c: u8) {
    if RE_SPECIAL.contains(&c) {
        out.push(b'\\');
    }
    out.push(c);
}

/// `stringutil.reescape`: escapes regex metacharacters of a literal path.
pub fn reescape(pat: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pat.len() * 2);
    for &c in pat {
        push_escaped(&mut out, c);
    }
    out
}

/// `match._globre`: converts an extended glob into Python regex text.
pub fn glob_to_re(pat: &[u8]) -> Vec<u8> {
    let n = pat.len();
    let mut i = 0;
    let mut res = Vec::with_capacity(n * 2);
    let mut group = 0usize;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            b'*' => {
                if pat.get(i) == Some(&b'*') {
                    i += 1;
                    if pat.get(i) == Some(&b'/') {
                        i += 1;
                        res.extend_from_slice(b"(?:.*/)?");
                    } else {
                        res.extend_from_slice(b".*");
                    }
                } else {
                    res.extend_from_slice(b"[^/]*");
                }
            }
            b'?' => res.push(b'.'),
            b'[' => {
                let mut j = i;
                if j < n && (pat[j] == b'!' || pat[j] == b']') {
                    j += 1;
                }
                while j < n && pat[j] != b']' {
                    j += 1;
                }
                if j >= n {
                    res.extend_from_slice(b"\\[");
                } else {
                    let mut stuff = Vec::with_capacity(j - i);
                    for &b in &pat[i..j] {
                        if b == b'\\' {
                            stuff.extend_from_slice(b"\\\\");
                        } else {
                            stuff.push(b);
                        }
                    }
                    i = j + 1;
                    res.push(b'[');
                    match stuff.first() {
                        Some(b'!') => {
                            res.push(b'^');
                            res.extend_from_slice(&stuff[1..]);
                        }
                        Some(b'^') => {
                            res.push(b'\\');
                            res.extend_from_slice(&stuff);
                        }
                        _ => res.extend_from_slice(&stuff),
                    }
                    res.push(b']');
                }
            }
            b'{' => {
                group += 1;
                res.extend_from_slice(b"(?:");
            }
            b'}' if group > 0 => {
                res.push(b')');
                group -= 1;
            }
            b',' if group > 0 => res.push(b'|'),
            b'\\' => match pat.get(i) {
                Some(&p) => {
                    i += 1;
                    push_escaped(&mut res, p);
                }
                None => push_escaped(&mut res, c),
            },
            _ => push_escaped(&mut res, c),
        }
    }
    res
}

/// `match.FLAG_RE` (`^\(\?([aiLmsux]+)\)(.*)`): splits a leading global
/// inline flag group off a `relre:` pattern. Like Python's `(.*)` without
/// DOTALL, the rest stops at the first newline (the remainder is dropped,
/// as in Mercurial).
fn split_leading_flags(pat: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = pat.strip_prefix(b"(?")?;
    let len = rest.iter().take_while(|b| b"aiLmsux".contains(b)).count();
    if len == 0 || rest.get(len) != Some(&b')') {
        return None;
    }
    let tail = &rest[len + 1..];
    let end = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
    Some((&rest[..len], &tail[..end]))
}

/// `match._regex`: the regex text of one (normalized) pattern.
pub fn kindpat_regex(kp: &KindPat, globsuffix: &[u8]) -> Result<Vec<u8>, PatternError> {
    let pat = &kp.pattern[..];
    if pat.is_empty() && matches!(kp.kind, PatternKind::Glob | PatternKind::RelPath) {
        return Ok(Vec::new());
    }
    Ok(match kp.kind {
        PatternKind::Re => pat.to_vec(),
        PatternKind::Path | PatternKind::RelPath => {
            if pat == b"." {
                return Ok(Vec::new());
            }
            let mut r = reescape(pat);
            r.extend_from_slice(b"(?:/|$)");
            r
        }
        PatternKind::RootFilesIn => {
            let mut r = if pat == b"." {
                Vec::new()
            } else {
                let mut e = reescape(pat);
                e.push(b'/');
                e
            };
            r.extend_from_slice(b"[^/]+$");
            r
        }
        PatternKind::RelGlob => {
            let globre = glob_to_re(pat);
            let mut r = Vec::with_capacity(globre.len() + 16);
            if let Some(rest) = globre.strip_prefix(b"[^/]*") {
                r.extend_from_slice(b".*");
                r.extend_from_slice(rest);
            } else {
                r.extend_from_slice(b"(?:|.*/)");
                r.extend_from_slice(&globre);
            }
            r.extend_from_slice(globsuffix);
            r
        }
        PatternKind::RelRe => {
            let (flags, body) = match split_leading_flags(pat) {
                Some((f, b)) => (Some(f), b),
                None => (None, pat),
            };
            let mut r = Vec::with_capacity(body.len() + 8);
            if let Some(f) = flags {
                r.extend_from_slice(b"(?");
                r.extend_from_slice(f);
                r.push(b':');
            }
            if !body.starts_with(b"^") {
                r.extend_from_slice(b".*");
            }
            r.extend_from_slice(body);
            if flags.is_some() {
                r.push(b')');
            }
            r
        }
        PatternKind::Glob | PatternKind::RootGlob => {
            let mut r = glob_to_re(pat);
            r.extend_from_slice(globsuffix);
            r
        }
        other => {
            return Err(PatternError::unsupported(format!(
                "not a regex pattern kind: {:?}",
                other
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &[u8]) -> String {
        String::from_utf8(glob_to_re(p)).unwrap()
    }

    #[test]
    fn globre_doctests() {
        assert_eq!(g(b"?"), ".");
        assert_eq!(g(b"*"), "[^/]*");
        assert_eq!(g(b"**"), ".*");
        assert_eq!(g(b"**/a"), "(?:.*/)?a");
        assert_eq!(g(b"a/**/b"), "a/(?:.*/)?b");
        assert_eq!(g(b"[a*?!^][^b][!c]"), "[a*?!^][\\^b][^c]");
        assert_eq!(g(b"{a,b}"), "(?:a|b)");
        assert_eq!(g(b".\\*\\?"), "\\.\\*\\?");
        assert_eq!(g(b"a,b}"), "a,b\\}");
        assert_eq!(g(b"[abc"), "\\[abc");
        assert_eq!(g(b"x\\"), "x\\\\");
    }

    #[test]
    fn relre_flags_moved_into_group() {
        let kp = KindPat::new(PatternKind::RelRe, b"(?i)foo", b"");
        assert_eq!(kindpat_regex(&kp, b"$").unwrap(), b"(?i:.*foo)");
        let kp = KindPat::new(PatternKind::RelRe, b"(?i)^foo", b"");
        assert_eq!(kindpat_regex(&kp, b"$").unwrap(), b"(?i:^foo)");
        let kp = KindPat::new(PatternKind::RelRe, b"(?i)a\nb", b"");
        assert_eq!(kindpat_regex(&kp, b"$").unwrap(), b"(?i:.*a)");
    }
}
