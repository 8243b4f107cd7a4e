//! The unsure-file comparison against Mercurial's own `_checklookup`, on
//! working copies made and judged by Mercurial 6.9.5 and 7.2.4
//! (`hg-core/fixtures/lookup/make-fixtures.sh`): every file must get
//! Mercurial's verdict under that version's metadata rule, except that a
//! file Mercurial aborts on must be left to it (undecided), and so may a
//! censored revision (Mercurial compares it with the empty file).
//!
//! Also, in temporary copies: fixups (mode, size, reliable mtime) against a
//! boundary, files that vanish, corrupt filelogs (undecided, never a
//! panic), refused repositories.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use hg_core::dirstate::TruncatedTimestamp;
use hg_core::lookup::{
    check_lookup, open_store, LookupError, LookupOptions, LookupOutcome, MetaRule,
};
use hg_core::revlog::Node;
use hg_core::store::Store;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lookup")
}

/// `path → verdict` as dump.py wrote it.
fn expected(repo: &str, rule: &str) -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(fixtures().join(format!("expected/{repo}.{rule}.txt"))).unwrap();
    text.lines()
        .map(|l| {
            let (p, v) = l.split_once('\t').unwrap();
            (p.to_owned(), v.to_owned())
        })
        .collect()
}

/// p1 from the dirstate's first 20 bytes (v1; v2 starts with a marker).
fn p1_of(root: &Path) -> Node {
    let data = std::fs::read(root.join(".hg/dirstate")).unwrap();
    let data = data.strip_prefix(b"dirstate-v2\n").unwrap_or(&data);
    Node::from_bytes(&data[..20]).unwrap()
}

fn verdicts(out: &LookupOutcome) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let s = |p: &[u8]| String::from_utf8(p.to_vec()).unwrap();
    for p in &out.modified {
        v.insert(s(p), "modified".to_owned());
    }
    for p in &out.deleted {
        v.insert(s(p), "deleted".to_owned());
    }
    for p in &out.clean {
        v.insert(s(p), "clean".to_owned());
    }
    for (p, _) in &out.fixup {
        v.insert(s(p), "fixup".to_owned());
    }
    for (p, why) in &out.undecided {
        v.insert(s(p), format!("undecided ({why})"));
    }
    v
}

fn run(root: &Path, files: &[&str], options: LookupOptions) -> LookupOutcome {
    let store = open_store(root).unwrap();
    let files: Vec<Vec<u8>> = files.iter().map(|f| f.as_bytes().to_vec()).collect();
    check_lookup(root, &store, &p1_of(root), &files, options).unwrap()
}

fn check_fixture(repo: &str, rule_name: &str, rule: MetaRule, may_leave: &[&str]) {
    let root = fixtures().join("repos").join(repo);
    let want = expected(repo, rule_name);
    let files: Vec<&str> = want.keys().map(String::as_str).collect();
    let options = LookupOptions {
        mtime_boundary: None,
        meta_rule: rule,
    };
    let out = run(&root, &files, options);
    let got = verdicts(&out);
    let mut problems = Vec::new();
    for (path, verdict) in &want {
        let ours = got.get(path).map(String::as_str).unwrap_or("<missing>");
        let ok = if verdict.starts_with("error:") {
            ours.starts_with("undecided")
        } else if may_leave.contains(&path.as_str()) {
            ours == verdict || ours.starts_with("undecided")
        } else {
            ours == verdict
        };
        if !ok {
            problems.push(format!("{path}: Mercurial {verdict}, ours {ours}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{repo} ({rule_name}):\n{}",
        problems.join("\n")
    );
    // Every list in path order, as `_checklookup` builds them.
    assert!(out.modified.windows(2).all(|w| w[0] < w[1]));
    assert!(out.clean.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn basic_as_mercurial_6_9() {
    check_fixture("basic", "copy-source", MetaRule::CopySource, &[]);
}

#[test]
fn basic_as_mercurial_7_2() {
    check_fixture("basic", "any-header", MetaRule::AnyHeader, &[]);
}

#[test]
fn delta_info_flags_as_mercurial_7_2() {
    check_fixture("delta-info", "any-header", MetaRule::AnyHeader, &[]);
}

#[test]
fn censored_revision_is_left_to_mercurial() {
    for (name, rule) in [
        ("copy-source", MetaRule::CopySource),
        ("any-header", MetaRule::AnyHeader),
    ] {
        check_fixture("censored", name, rule, &["secret"]);
    }
    let root = fixtures().join("repos/censored");
    let out = run(
        &root,
        &["secret"],
        LookupOptions {
            mtime_boundary: None,
            meta_rule: MetaRule::AnyHeader,
        },
    );
    assert_eq!(out.undecided.len(), 1, "{out:?}");
}

/// A scratch copy of a fixture (symlinks kept), to change files in.
fn scratch(repo: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(fixtures().join("repos").join(repo))
        .arg(tmp.path().join("r"))
        .status()
        .unwrap();
    assert!(status.success());
    tmp
}

#[test]
fn fixups_record_stat_and_reliable_mtime() {
    let tmp = scratch("basic");
    let root = tmp.path().join("r");
    let meta = std::fs::symlink_metadata(root.join("plain-clean")).unwrap();
    let file_mtime = TruncatedTimestamp::from_stat(&meta);
    let options = |boundary: TruncatedTimestamp| LookupOptions {
        mtime_boundary: Some(boundary),
        meta_rule: MetaRule::AnyHeader,
    };
    // A boundary a minute later: reliable, recorded as is.
    let later =
        TruncatedTimestamp::new(i64::from(file_mtime.truncated_seconds()) + 60, 0, false).unwrap();
    let out = run(
        &root,
        &["plain-clean", "link-clean", "plain-samesize"],
        options(later),
    );
    assert_eq!(out.modified, vec![b"plain-samesize".to_vec()]);
    assert!(out.clean.is_empty());
    assert_eq!(out.fixup.len(), 2);
    let (path, fixup) = &out.fixup[1];
    assert_eq!(path, b"plain-clean");
    assert_eq!(fixup.mode, meta.mode());
    assert_eq!(fixup.size, meta.size());
    assert_eq!(fixup.mtime, file_mtime);
    let link = std::fs::symlink_metadata(root.join("link-clean")).unwrap();
    assert_eq!(out.fixup[0].1.size, link.size());
    // The boundary in the same second, later nanoseconds: second-ambiguous.
    let same = TruncatedTimestamp::new(
        i64::from(file_mtime.truncated_seconds()),
        file_mtime.nanoseconds().max(1) + 1,
        false,
    )
    .unwrap();
    let out = run(&root, &["plain-clean"], options(same));
    if file_mtime.nanoseconds() == 0 {
        assert_eq!(out.clean, vec![b"plain-clean".to_vec()]);
    } else {
        assert!(out.fixup[0].1.mtime.second_ambiguous());
    }
    // The boundary before the file's mtime (within a day): clean.
    let before =
        TruncatedTimestamp::new(i64::from(file_mtime.truncated_seconds()) - 10, 0, false).unwrap();
    let out = run(&root, &["plain-clean"], options(before));
    assert_eq!(out.clean, vec![b"plain-clean".to_vec()]);
}

#[test]
fn unsure_file_gone_or_replaced() {
    let tmp = scratch("basic");
    let root = tmp.path().join("r");
    std::fs::remove_file(root.join("plain-clean")).unwrap();
    std::fs::remove_file(root.join("exec-clean")).unwrap();
    std::fs::remove_dir_all(root.join("sub")).unwrap();
    // A directory where a regular file was: a directory's `x` bit makes
    // the flags differ: modified, as in Python.
    std::fs::remove_file(root.join("copy-clean")).unwrap();
    std::fs::create_dir(root.join("copy-clean")).unwrap();
    let options = LookupOptions {
        mtime_boundary: None,
        meta_rule: MetaRule::CopySource,
    };
    let out = run(
        &root,
        &["plain-clean", "exec-clean", "sub/clean", "copy-clean"],
        options,
    );
    assert_eq!(
        out.deleted,
        vec![b"plain-clean".to_vec(), b"sub/clean".to_vec()]
    );
    // p1 says `x`, the missing file has no flags: modified (Mercurial's
    // `flags` check comes first).
    assert_eq!(
        out.modified,
        vec![b"copy-clean".to_vec(), b"exec-clean".to_vec()]
    );
}

/// Overwrites `len` bytes at `offset` of a store file.
fn scribble(path: &Path, offset: usize, bytes: &[u8]) {
    let mut data = std::fs::read(path).unwrap();
    data[offset..offset + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, data).unwrap();
}

#[test]
fn corrupt_filelogs_leave_files_undecided() {
    let tmp = scratch("basic");
    let root = tmp.path().join("r");
    let store = Store::open(&root).unwrap();
    let options = LookupOptions {
        mtime_boundary: None,
        meta_rule: MetaRule::AnyHeader,
    };
    // A truncated index, a garbled chunk, a missing filelog.
    let (index, _) = store.filelog_paths(b"plain-clean");
    let len = std::fs::metadata(&index).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .unwrap();
    f.set_len(len - 3).unwrap();
    let (index, _) = store.filelog_paths(b"copy-clean");
    scribble(&index, 64, b"\xff\xff\xff\xff");
    let (index, _) = store.filelog_paths(b"two-revs");
    std::fs::remove_file(index).unwrap();
    let out = run(
        &root,
        &["plain-clean", "copy-clean", "two-revs", "sub/clean"],
        options,
    );
    let undecided: Vec<&[u8]> = out.undecided.iter().map(|(p, _)| p.as_slice()).collect();
    assert_eq!(
        undecided,
        vec![&b"copy-clean"[..], b"plain-clean", b"two-revs"]
    );
    assert_eq!(out.clean, vec![b"sub/clean".to_vec()]);
}

#[test]
fn refused_repositories() {
    let tmp = scratch("basic");
    let root = tmp.path().join("r");
    let requires = root.join(".hg/requires");
    let mut text = std::fs::read_to_string(&requires).unwrap();
    text.push_str("narrowhg-experimental\n");
    std::fs::write(&requires, &text).unwrap();
    assert!(matches!(open_store(&root), Err(LookupError::Caveat(_))));
    text.push_str("some-future-format\n");
    std::fs::write(&requires, &text).unwrap();
    assert!(matches!(
        open_store(&root),
        Err(LookupError::Requirements(_))
    ));
    // p1 unknown to the changelog: nothing decided.
    let tmp = scratch("basic");
    let root = tmp.path().join("r");
    let store = open_store(&root).unwrap();
    let options = LookupOptions {
        mtime_boundary: None,
        meta_rule: MetaRule::AnyHeader,
    };
    let err = check_lookup(
        &root,
        &store,
        &Node([7; 20]),
        &[b"plain-clean".to_vec()],
        options,
    );
    assert!(matches!(err, Err(LookupError::Manifest(_))));
}
