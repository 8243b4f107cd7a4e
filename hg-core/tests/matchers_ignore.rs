//! Ignore-file behaviour that the differential fixtures do not cover:
//! dirstate-v2's pattern hash, the errors that must make the caller fall
//! back to Python, and path resolution of `include:`/`subinclude:`.
use std::path::Path;

use hg_core::matchers::{
    get_ignore_matcher, get_ignore_matcher_with_hash, IgnoreWarning, Matcher, PatternError,
    VisitChildrenSet,
};

fn write(root: &Path, name: &str, contents: &[u8]) {
    let full = root.join(name);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, contents).unwrap();
}

fn hex(d: [u8; 20]) -> String {
    d.iter().map(|b| format!("{:02x}", b)).collect()
}

#[test]
fn patterns_hash_covers_every_file_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".hgignore",
        b"syntax: glob\n*.o\ninclude:inc\nsubinclude:dir/.hgignore\n",
    );
    write(root, "inc", b"syntax: glob\n*.pyc\n");
    write(root, "dir/.hgignore", b"foo\n");
    write(root, "extra", b"bar\n");
    // Given in reverse order: the hash sorts top-level files by path.
    let r = get_ignore_matcher_with_hash(vec![root.join("extra"), root.join(".hgignore")], root)
        .unwrap();
    // hashlib: sha1(b".hgignore " + sha1(a) + b"\n" + b"inc " + ... ).
    assert_eq!(
        hex(r.patterns_hash),
        "94959d41f4903e686fe418068ea5d79e43def35c"
    );
    assert!(r.warnings.is_empty());
    assert!(r.matcher.matches(b"x.o"));
    assert!(r.matcher.matches(b"sub/x.pyc"));
    assert!(r.matcher.matches(b"dir/foo"));
    assert!(r.matcher.matches(b"dir/a/foo/b"));
    assert!(!r.matcher.matches(b"foo"));
    assert!(r.matcher.matches(b"bar"));
}

/// Python passes `dirstate._rootdir`, which ends with '/': the hashed paths
/// must still be relative, as in test-hgignore.t's expected docket hash.
#[test]
fn patterns_hash_is_the_same_with_a_trailing_separator_on_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".hgignore", b"subinclude:dir/.hgignore\n");
    write(root, "dir/.hgignore", b"foo\n");
    let files = || vec![root.join(".hgignore")];
    let plain = get_ignore_matcher_with_hash(files(), root).unwrap();
    let mut with_sep = root.as_os_str().to_owned();
    with_sep.push("/");
    let slashed = get_ignore_matcher_with_hash(files(), Path::new(&with_sep)).unwrap();
    // hashlib: sha1(b".hgignore " + sha1(b"subinclude:dir/.hgignore\n") + b"\n"
    //               + b"dir/.hgignore " + sha1(b"foo\n") + b"\n")
    assert_eq!(
        hex(plain.patterns_hash),
        "d2da075d6153f5c4fd9630e68a5249ac7d450285"
    );
    assert_eq!(hex(slashed.patterns_hash), hex(plain.patterns_hash));
}

#[test]
fn no_ignore_file_matches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = get_ignore_matcher_with_hash(vec![], dir.path()).unwrap();
    assert!(!r.matcher.matches(b"a"));
    assert_eq!(r.matcher.visit_children_set(b""), VisitChildrenSet::Empty);
    assert_eq!(
        hex(r.patterns_hash),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
}

#[test]
fn include_is_relative_to_the_root_not_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".hgignore", b"include:sub/a\n");
    write(root, "sub/a", b"include:b\n");
    write(root, "b", b"syntax: glob\n*.x\n");
    write(root, "sub/b", b"syntax: glob\n*.y\n");
    let (m, w) = get_ignore_matcher(vec![root.join(".hgignore")], root).unwrap();
    assert!(w.is_empty());
    assert!(m.matches(b"f.x"));
    assert!(!m.matches(b"f.y"));
}

#[test]
fn warnings_name_files_like_mercurial() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".hgignore",
        b"syntax: nope\ninclude:missing/file\nsyntax: glob\n*.o\n",
    );
    let (m, w) = get_ignore_matcher(vec![root.join(".hgignore")], root).unwrap();
    let mut file = root.as_os_str().as_encoded_bytes().to_vec();
    file.extend_from_slice(b"/.hgignore");
    assert_eq!(
        w,
        vec![
            IgnoreWarning::InvalidSyntax {
                file,
                syntax: b"nope".to_vec()
            },
            IgnoreWarning::NoSuchFile {
                path: b"missing/file".to_vec()
            },
        ]
    );
    assert!(m.matches(b"a.o"));
}

#[test]
fn unprintable_situations_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A missing top-level file: Python prints its absolute path, which the
    // Rust status protocol would print relative.
    let err = get_ignore_matcher(vec![root.join("absent")], root)
        .err()
        .unwrap();
    assert!(err.needs_fallback(), "{:?}", err);
    // A directory: Python prints the OS error text.
    write(root, "d/x", b"");
    write(root, ".hgignore", b"include:d\n");
    let err = get_ignore_matcher(vec![root.join(".hgignore")], root)
        .err()
        .unwrap();
    assert!(
        matches!(err, PatternError::UnreadableFile { .. }),
        "{:?}",
        err
    );
    // Invalid regex after a warning: Python prints the warning, then aborts.
    write(root, ".hgignore", b"syntax: nope\nsyntax: regexp\n(\n");
    let err = get_ignore_matcher(vec![root.join(".hgignore")], root)
        .err()
        .unwrap();
    assert!(matches!(err, PatternError::Unsupported(_)), "{:?}", err);
    // Without warning, Mercurial's exact abort message.
    write(root, ".hgignore", b"syntax: regexp\nok\n(\n[\n");
    let err = get_ignore_matcher(vec![root.join(".hgignore")], root)
        .err()
        .unwrap();
    let mut expected = root
        .join(".hgignore")
        .as_os_str()
        .as_encoded_bytes()
        .to_vec();
    expected.extend_from_slice(b": invalid pattern (relre): (");
    assert_eq!(err, PatternError::InvalidRegex { message: expected });
    assert!(!err.needs_fallback());
}

#[test]
fn lookaround_is_left_to_python() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".hgignore", b"syntax: regexp\nfoo(?=bar)\n");
    let err = get_ignore_matcher(vec![root.join(".hgignore")], root)
        .err()
        .unwrap();
    assert!(matches!(err, PatternError::Unsupported(_)));
}

#[test]
fn excluded_subtrees_are_pruned() {
    use hg_core::matchers::{
        AlwaysMatcher, DifferenceMatcher, IncludeMatcher, KindPat, PatternKind,
    };
    let root = Path::new("/r");
    let exclude =
        IncludeMatcher::new(vec![KindPat::new(PatternKind::Path, b"build", b"")], root).unwrap();
    let m = DifferenceMatcher::new(Box::new(AlwaysMatcher), Box::new(exclude));
    assert_eq!(m.visit_children_set(b"build"), VisitChildrenSet::Empty);
    // Like Python: below an excluded root the answer is only 'this' (the
    // walk never gets there since 'build' itself is pruned).
    assert_eq!(m.visit_children_set(b"build/x"), VisitChildrenSet::This);
    assert_eq!(m.visit_children_set(b""), VisitChildrenSet::This);
    assert_eq!(m.visit_children_set(b"src"), VisitChildrenSet::Recursive);
}
