//! `.hgignore`-style pattern files (`match.readpatternfile`): comments,
//! `syntax:` switches and per-line kind prefixes.

/// What one pattern file says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ParsedPatternFile {
    /// Patterns with the kind prefix Mercurial gives them (`relre:x`,
    /// `relglob:x`, `include:x`...), still to be split with `_patsplit`.
    pub patterns: Vec<Vec<u8>>,
    /// The text of every unknown `syntax:` value, in file order.
    pub invalid_syntaxes: Vec<Vec<u8>>,
}

/// `syntax:` names and the prefix they give to the following lines, in the
/// dict order `readpatternfile` iterates them.
const SYNTAXES: [(&[u8], &[u8]); 6] = [
    (b"re", b"relre:"),
    (b"regexp", b"relre:"),
    (b"glob", b"relglob:"),
    (b"rootglob", b"rootglob:"),
    (b"include", b"include"),
    (b"subinclude", b"subinclude"),
];

/// ASCII whitespace as `bytes.strip()` understands it.
fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn rstrip(mut s: &[u8]) -> &[u8] {
    while let Some((&last, rest)) = s.split_last() {
        if !is_py_space(last) {
            break;
        }
        s = rest;
    }
    s
}

fn strip(mut s: &[u8]) -> &[u8] {
    while let Some((&first, rest)) = s.split_first() {
        if !is_py_space(first) {
            break;
        }
        s = rest;
    }
    rstrip(s)
}

/// Removes a comment the way `_commentre` does: from the first `#` preceded
/// by an even number of backslashes; then unescapes `\#`.
fn strip_comment(line: &[u8]) -> Vec<u8> {
    if !line.contains(&b'#') {
        return line.to_vec();
    }
    let mut cut = line.len();
    let mut run = 0usize;
    for (i, &b) in line.iter().enumerate() {
        if b == b'\n' {
            // `.` in `#.*` stops at a newline, which only ends a line.
            break;
        }
        if b == b'#' && run.is_multiple_of(2) {
            cut = i;
            break;
        }
        run = if b == b'\\' { run + 1 } else { 0 };
    }
    let kept = &line[..cut];
    let mut out = Vec::with_capacity(kept.len());
    let mut i = 0;
    while i < kept.len() {
        if kept[i] == b'\\' && kept.get(i + 1) == Some(&b'#') {
            out.push(b'#');
            i += 2;
        } else {
            out.push(kept[i]);
            i += 1;
        }
    }
    out
}

/// Parses the contents of a pattern file exactly as `readpatternfile`.
pub fn parse_pattern_file(contents: &[u8]) -> ParsedPatternFile {
    let mut result = ParsedPatternFile::default();
    let mut syntax: &[u8] = b"relre:";
    for raw in contents.split_inclusive(|&b| b == b'\n') {
        let uncommented = strip_comment(raw);
        let line = rstrip(&uncommented);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix(b"syntax:") {
            let s = strip(rest);
            match SYNTAXES.iter().find(|(name, _)| *name == s) {
                Some((_, prefix)) => syntax = prefix,
                None => result.invalid_syntaxes.push(s.to_vec()),
            }
            continue;
        }
        let mut line_syntax = syntax;
        let mut body = line;
        for (name, prefix) in SYNTAXES {
            if let Some(rest) = line.strip_prefix(prefix) {
                line_syntax = prefix;
                body = rest;
                break;
            }
            if line.starts_with(name) && line.get(name.len()) == Some(&b':') {
                line_syntax = prefix;
                body = &line[name.len() + 1..];
                break;
            }
        }
        let mut pattern = line_syntax.to_vec();
        pattern.extend_from_slice(body);
        result.patterns.push(pattern);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(s: &[u8]) -> Vec<String> {
        parse_pattern_file(s)
            .patterns
            .into_iter()
            .map(|p| String::from_utf8(p).unwrap())
            .collect()
    }

    #[test]
    fn syntax_and_prefixes() {
        assert_eq!(
            pats(b"a\nsyntax: glob\n*.o\nre:x\nglob:y\nrootglob:z\ninclude:f\nincludes/x\nsubinclude:s\npath:p\n"),
            vec![
                "relre:a",
                "relglob:*.o",
                "relre:x",
                "relglob:y",
                "rootglob:z",
                "include:f",
                "includes/x",
                "subinclude:s",
                "relglob:path:p"
            ]
        );
    }

    #[test]
    fn comments_and_whitespace() {
        assert_eq!(
            pats(b"a # c\nb\\#c\n\\\\#c\n  \n# x\nd \t\r\n"),
            vec!["relre:a", "relre:b#c", "relre:\\\\", "relre:d"]
        );
        let p = parse_pattern_file(b"syntax: foo \nsyntax:glob\nx");
        assert_eq!(p.invalid_syntaxes, vec![b"foo".to_vec()]);
        assert_eq!(p.patterns, vec![b"relglob:x".to_vec()]);
    }
}
