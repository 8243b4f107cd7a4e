//! Differential tests: every answer recorded from Mercurial 6.9.5's own
//! `match.py` and CPython's `re` by `fixtures/matchers/make-fixtures.py`
//! must be reproduced exactly (or, for regexes, refused as Unsupported so
//! that Python does the work).
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use hg_core::matchers::python_re::{self, ReError};
use hg_core::matchers::regex_text::{glob_to_re, kindpat_regex};
use hg_core::matchers::{
    get_ignore_matcher_with_hash, parse_pattern_file, AlwaysMatcher, DifferenceMatcher,
    FileMatcher, IgnoreWarning, IncludeMatcher, IntersectionMatcher, KindPat, Matcher,
    NeverMatcher, PatternError, PatternKind, PatternMatcher, UnionMatcher, VisitChildrenSet,
};

fn fixtures() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/matchers/fixtures.txt");
    std::fs::read_to_string(path).expect("fixtures.txt (run make-fixtures.py)")
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn unhex_list(s: &str) -> Vec<Vec<u8>> {
    if s == "-" {
        return Vec::new();
    }
    s.split(',').map(unhex).collect()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn vcs(v: VisitChildrenSet) -> String {
    match v {
        VisitChildrenSet::Empty => "empty".into(),
        VisitChildrenSet::This => "this".into(),
        VisitChildrenSet::Recursive => "all".into(),
        VisitChildrenSet::Set(s) => {
            let mut items: Vec<String> = s
                .iter()
                .map(|x| {
                    if x.is_empty() {
                        "-".to_string()
                    } else {
                        x.iter().map(|b| format!("{:02x}", b)).collect()
                    }
                })
                .collect();
            items.sort();
            // Python sorts bytes; hex preserves byte order except "-" (empty
            // sorts first in both).
            format!("set:{}", items.join(","))
        }
    }
}

fn records(tag: &str) -> Vec<Vec<String>> {
    fixtures()
        .lines()
        .filter(|l| l.split('\t').next() == Some(tag))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn regex_text_is_mercurials() {
    let recs = records("regex");
    assert!(recs.len() > 500);
    for r in recs {
        let kind = PatternKind::from_name(r[1].as_bytes()).unwrap();
        let kp = KindPat::new(kind, &unhex(&r[2]), b"");
        let got = kindpat_regex(&kp, &unhex(&r[3]));
        if r[4] == "!" {
            assert!(got.is_err(), "{:?} should fail", r);
        } else {
            assert_eq!(show(&got.unwrap()), show(&unhex(&r[4])), "{:?}", r);
        }
    }
    for r in records("globre") {
        assert_eq!(
            show(&glob_to_re(&unhex(&r[1]))),
            show(&unhex(&r[2])),
            "{:?}",
            r
        );
    }
}

#[test]
fn python_re_semantics() {
    let recs = records("re");
    let mut unsupported = HashSet::new();
    let mut checked = 0;
    let mut cache: std::collections::HashMap<Vec<u8>, Result<regex::bytes::Regex, ReError>> =
        Default::default();
    for r in &recs {
        let pat = unhex(&r[1]);
        let path = unhex(&r[2]);
        let compiled = cache
            .entry(pat.clone())
            .or_insert_with(|| python_re::translate(&pat).and_then(|t| python_re::compile(&[t])));
        match (&*compiled, r[3].as_str()) {
            (Ok(re), "1") | (Ok(re), "0") => {
                assert_eq!(
                    re.is_match(&path),
                    r[3] == "1",
                    "re {:?} on {:?}",
                    show(&pat),
                    show(&path)
                );
                checked += 1;
            }
            (Ok(_), other) => panic!("{:?} accepted, Python says {}", show(&pat), other),
            (Err(ReError::Invalid(why)), res) => {
                assert_eq!(
                    res,
                    "E",
                    "{:?} rejected ({}) but Python accepts",
                    show(&pat),
                    why
                )
            }
            (Err(ReError::Unsupported(_)), _) => {
                unsupported.insert(show(&pat));
            }
        }
    }
    assert!(checked > 5000, "only {} checks", checked);
    // Everything we refuse must be a feature we deliberately leave to Python.
    let expected: HashSet<String> = [
        "a*+",
        "a++",
        "(?x)a b",
        "(?L)a",
        "(?u)a",
        "(?=a)a",
        "(?!b)a",
        "(?<=a)b",
        "(a)\\1",
        "(?P<n>a)",
        "(?P=n)",
        "(?>a)",
        "(?(1)a|b)",
        "[[]",
        "[a--b]",
        "[a&&b]",
        "a$b",
        "(?:a$)b",
        "a$\\n",
        "\\18",
        "\\8",
        "a{99999999999}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let extra: Vec<_> = unsupported.difference(&expected).collect();
    assert!(extra.is_empty(), "unexpectedly unsupported: {:?}", extra);
}

fn parse_kindpats(field: &str) -> Vec<KindPat> {
    if field == "-" {
        return Vec::new();
    }
    field
        .split(',')
        .map(|kp| {
            let (k, p) = kp.split_once(':').unwrap();
            KindPat::new(
                PatternKind::from_name(k.as_bytes()).unwrap(),
                &unhex(p),
                b"",
            )
        })
        .collect()
}

fn build_spec(typ: &str, arg: &str) -> Box<dyn Matcher> {
    let root = Path::new("/root");
    match typ {
        "pattern" => Box::new(PatternMatcher::new(parse_kindpats(arg), root).unwrap()),
        "include" => Box::new(IncludeMatcher::new(parse_kindpats(arg), root).unwrap()),
        "exact" => Box::new(FileMatcher::new(unhex_list(arg))),
        "always" => Box::new(AlwaysMatcher),
        _ => Box::new(NeverMatcher),
    }
}

#[test]
fn matchers_answer_like_mercurial() {
    let text = fixtures();
    let mut current: Option<(Box<dyn Matcher>, String, Vec<u8>)> = None;
    let mut pending_error: Option<(PatternError, String)> = None;
    let mut cases = 0;
    for line in text.lines() {
        let r: Vec<&str> = line.split('\t').collect();
        match r[0] {
            "matcher" => {
                cases += 1;
                let root = Path::new("/root");
                let built: Result<(Box<dyn Matcher>, Vec<u8>), PatternError> = match r[1] {
                    "pattern" => PatternMatcher::new(parse_kindpats(r[2]), root).map(|m| {
                        let p = m.python_regex().to_vec();
                        (Box::new(m) as Box<dyn Matcher>, p)
                    }),
                    "include" => IncludeMatcher::new(parse_kindpats(r[2]), root).map(|m| {
                        let p = m.python_regex().to_vec();
                        (Box::new(m) as Box<dyn Matcher>, p)
                    }),
                    _ => Ok((Box::new(FileMatcher::new(unhex_list(r[2]))), Vec::new())),
                };
                match built {
                    Ok((m, pats)) => current = Some((m, line.to_string(), pats)),
                    Err(e) => {
                        pending_error = Some((e, line.to_string()));
                        current = None;
                    }
                }
            }
            "merr" => {
                let (e, case) = pending_error
                    .take()
                    .expect("Rust built a matcher Python rejects");
                match e {
                    PatternError::InvalidRegex { message } => {
                        assert_eq!(show(&message), show(&unhex(r[1])), "{}", case)
                    }
                    PatternError::Unsupported(_) => {}
                    other => panic!("{}: {:?}", case, other),
                }
            }
            "combo" => {
                cases += 1;
                let m1 = build_spec(r[2], r[3]);
                let m2 = build_spec(r[4], r[5]);
                let m: Box<dyn Matcher> = match r[1] {
                    "union" => Box::new(UnionMatcher::new(vec![m1, m2])),
                    "intersection" => Box::new(IntersectionMatcher::new(m1, m2)),
                    _ => Box::new(DifferenceMatcher::new(m1, m2)),
                };
                current = Some((m, line.to_string(), Vec::new()));
            }
            "flags" => {
                let (m, case, _) = current.as_ref().unwrap();
                let got = format!("{}{}", m.matches_everything() as u8, m.is_exact() as u8);
                assert_eq!(got, r[1], "{}", case);
            }
            "pats" => {
                if let Some((e, case)) = pending_error.take() {
                    panic!("{}: Rust error {:?} but Python accepts", case, e);
                }
                let (_, case, pats) = current.as_ref().unwrap();
                assert_eq!(show(pats), show(&unhex(r[1])), "{}", case);
            }
            "files" => {
                let (m, case, _) = current.as_ref().unwrap();
                let mut got: Vec<Vec<u8>> = m
                    .file_set()
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default();
                got.sort();
                let n: usize = r[1].parse().unwrap();
                let expected = if n == 0 {
                    Vec::new()
                } else {
                    r[2].split(',').map(unhex).collect()
                };
                assert_eq!(got, expected, "{}", case);
            }
            "m" | "x" | "v" if current.is_some() => {
                let (m, case, _) = current.as_ref().unwrap();
                let arg = unhex(r[1]);
                match r[0] {
                    "m" => assert_eq!(m.matches(&arg), r[2] == "1", "{} on {:?}", case, show(&arg)),
                    "x" => assert_eq!(
                        m.exact_match(&arg),
                        r[2] == "1",
                        "{} exact {:?}",
                        case,
                        show(&arg)
                    ),
                    _ => assert_eq!(
                        vcs(m.visit_children_set(&arg)),
                        r[2],
                        "{} visit {:?}",
                        case,
                        show(&arg)
                    ),
                }
            }
            "pf" | "ignore" => current = None,
            _ => {}
        }
    }
    assert!(cases >= 50);
}

#[test]
fn pattern_files_parse_like_mercurial() {
    for r in records("pf") {
        let parsed = parse_pattern_file(&unhex(&r[1]));
        assert_eq!(
            parsed.patterns,
            unhex_list(&r[2]),
            "{:?}",
            show(&unhex(&r[1]))
        );
        let warnings: Vec<Vec<u8>> = parsed
            .invalid_syntaxes
            .iter()
            .map(|s| format!("<FILE>: ignoring invalid syntax '{}'\n", show(s)).into_bytes())
            .collect();
        assert_eq!(warnings, unhex_list(&r[3]));
    }
}

fn warning_text(w: &IgnoreWarning, root: &str) -> String {
    match w {
        IgnoreWarning::InvalidSyntax { file, syntax } => format!(
            "{}: ignoring invalid syntax '{}'\n",
            show(file).replace(root, "<ROOT>"),
            show(syntax)
        ),
        IgnoreWarning::NoSuchFile { path } => format!(
            "skipping unreadable pattern file '{}': No such file or directory\n",
            show(path)
        ),
    }
}

#[test]
fn ignore_files_like_mercurial() {
    let text = fixtures();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut cases = 0;
    while i < lines.len() {
        let r: Vec<&str> = lines[i].split('\t').collect();
        i += 1;
        if r[0] != "ignore" {
            continue;
        }
        cases += 1;
        let dir = tempfile::tempdir().unwrap();
        let root: PathBuf = dir.path().to_path_buf();
        let root_str = root.to_str().unwrap().to_string();
        for entry in r[1].split(',') {
            let (name, contents) = entry.split_once('=').unwrap();
            let full = root.join(show(&unhex(name)));
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, unhex(contents)).unwrap();
        }
        let result = get_ignore_matcher_with_hash(vec![root.join(".hgignore")], &root);
        let mut expected_warnings = Vec::new();
        let mut expected_error = None;
        let mut checks = Vec::new();
        while i < lines.len() {
            let rr: Vec<&str> = lines[i].split('\t').collect();
            match rr[0] {
                "iw" => expected_warnings.push(show(&unhex(rr[1]))),
                "ie" => expected_error = Some(show(&unhex(rr[1]))),
                "im" | "iv" => checks.push(rr),
                _ => break,
            }
            i += 1;
        }
        match (result, expected_error) {
            (Err(PatternError::InvalidRegex { message }), Some(e)) => {
                assert_eq!(show(&message).replace(&root_str, "<ROOT>"), e)
            }
            (Err(PatternError::Unsupported(_)), Some(_)) => {}
            (Err(e), _) => panic!("case {}: unexpected error {:?}", r[1], e),
            (Ok(_), Some(e)) => panic!("case {}: Python aborts with {}", r[1], e),
            (Ok(res), None) => {
                let got: Vec<String> = res
                    .warnings
                    .iter()
                    .map(|w| warning_text(w, &root_str))
                    .collect();
                assert_eq!(got, expected_warnings, "case {}", r[1]);
                for c in checks {
                    let arg = unhex(c[1]);
                    if c[0] == "im" {
                        assert_eq!(
                            res.matcher.matches(&arg),
                            c[2] == "1",
                            "case {} path {:?}",
                            r[1],
                            show(&arg)
                        );
                    } else {
                        assert_eq!(
                            vcs(res.matcher.visit_children_set(&arg)),
                            c[2],
                            "case {} dir {:?}",
                            r[1],
                            show(&arg)
                        );
                    }
                }
            }
        }
    }
    assert!(cases >= 10);
}

/// The PATHS list of the generator, in order (recovered from the first
/// matcher case, which lists every path once per `m` record).
fn fixture_paths() -> Vec<Vec<u8>> {
    let text = fixtures();
    let mut paths = Vec::new();
    let mut in_first = false;
    for line in text.lines() {
        let r: Vec<&str> = line.split('\t').collect();
        match r[0] {
            "matcher" if in_first => break,
            "matcher" => in_first = true,
            "m" if in_first => paths.push(unhex(r[1])),
            _ => {}
        }
    }
    paths
}

#[test]
fn random_globs_and_regexes_like_mercurial() {
    let paths = fixture_paths();
    assert!(paths.len() > 80);
    let root = Path::new("/root");
    let mut checked = 0;
    let mut unsupported = 0;
    for r in records("rnd") {
        let kp = KindPat::new(
            PatternKind::from_name(r[2].as_bytes()).unwrap(),
            &unhex(&r[3]),
            b"",
        );
        let built: Result<Box<dyn Matcher>, PatternError> = if r[1] == "pattern" {
            PatternMatcher::new(vec![kp], root).map(|m| Box::new(m) as Box<dyn Matcher>)
        } else {
            IncludeMatcher::new(vec![kp], root).map(|m| Box::new(m) as Box<dyn Matcher>)
        };
        match (built, r[4].as_str()) {
            (Ok(m), bits) if bits != "E" => {
                let got: String = paths
                    .iter()
                    .map(|p| if m.matches(p) { '1' } else { '0' })
                    .collect();
                assert_eq!(got, bits, "{:?}", r);
                checked += 1;
            }
            (Err(PatternError::Unsupported(_)), _) => unsupported += 1,
            (Err(PatternError::InvalidRegex { .. }), "E") => {}
            (other, bits) => panic!("{:?}: {:?} vs {}", r, other.err(), bits),
        }
    }
    assert!(
        checked > 500,
        "{} checked, {} unsupported",
        checked,
        unsupported
    );
    let mut checked = 0;
    for r in records("rre") {
        let pat = unhex(&r[1]);
        let compiled = python_re::translate(&pat).and_then(|t| python_re::compile(&[t]));
        match (compiled, r[2].as_str()) {
            (Ok(re), bits) if bits != "E" && bits != "W" => {
                let got: String = paths
                    .iter()
                    .map(|p| if re.is_match(p) { '1' } else { '0' })
                    .collect();
                assert_eq!(got, bits, "regex {:?}", show(&pat));
                checked += 1;
            }
            (Ok(_), res) => panic!("{:?} accepted, Python says {}", show(&pat), res),
            (Err(ReError::Invalid(why)), res) => assert_eq!(res, "E", "{:?}: {}", show(&pat), why),
            (Err(ReError::Unsupported(_)), _) => {}
        }
    }
    assert!(checked > 100, "only {} random regexes checked", checked);
}
