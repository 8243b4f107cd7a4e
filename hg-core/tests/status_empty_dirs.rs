//! `StatusOutcome::empty_dirs` (Mercurial 7.2's `hg purge` list) on real
//! temporary trees.
//!
//! The expected lists are upstream Mercurial 7.2.4's Rust answers: the
//! `test_purge_t_*` tests replay the scenarios of its `tests/test-purge.t`
//! (each names the lines whose `(rust !)` output it pins), the others pin
//! one rule of upstream's `RecursiveResponse::subtree_will_be_purged` each
//! (see `src/status/empty_dirs.rs`). `status_empty_dirs_upstream.rs`
//! compares random trees with upstream's own build.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::PathBuf;

use hg_core::dirstate::{DirstateMap, TruncatedTimestamp};
use hg_core::matchers::{
    get_ignore_matcher, AlwaysMatcher, DifferenceMatcher, FileMatcher, IncludeMatcher, KindPat,
    Matcher, PatternMatcher,
};
use hg_core::status::{status, StatusOptions};

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    map: DirstateMap,
}

/// `hg purge`'s switches that reach status.
#[derive(Clone, Copy)]
struct Purge {
    unknown: bool,
    ignored: bool,
    /// `--dirs` without `--files`: files stay.
    keep_files: bool,
}

/// `hg purge`: unknown files and empty directories.
const PURGE: Purge = Purge {
    unknown: true,
    ignored: false,
    keep_files: false,
};
/// `hg purge -i`: ignored files only.
const PURGE_I: Purge = Purge {
    unknown: false,
    ignored: true,
    keep_files: false,
};
/// `hg purge --all`.
const PURGE_ALL: Purge = Purge {
    unknown: true,
    ignored: true,
    keep_files: false,
};
/// `hg purge --dirs`.
const PURGE_DIRS: Purge = Purge {
    unknown: true,
    ignored: false,
    keep_files: true,
};

impl Repo {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        fs::create_dir(root.join(".hg")).unwrap();
        Repo {
            _tmp: tmp,
            root,
            map: DirstateMap::new_empty(),
        }
    }
    fn write(&self, rel: &str, data: &[u8]) {
        let p = self.root.join(rel);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(&p, data).unwrap();
    }
    fn mkdir(&self, rel: &str) {
        fs::create_dir_all(self.root.join(rel)).unwrap();
    }
    fn rm(&self, rel: &str) {
        let p = self.root.join(rel);
        if p.is_dir() {
            fs::remove_dir_all(p).unwrap();
        } else {
            fs::remove_file(p).unwrap();
        }
    }
    /// Writes `rel` and tracks it as clean.
    fn track(&mut self, rel: &str, data: &[u8]) {
        self.write(rel, data);
        let mtime = TruncatedTimestamp::new(1_600_000_000, 0, false).unwrap();
        self.map
            .reset_state(
                rel.as_bytes(),
                true,
                true,
                false,
                true,
                Some((0o100644, data.len() as u32, Some(mtime))),
            )
            .unwrap();
    }
    /// `hg rm --after`-like: `rel` is marked removed (it may stay on disk).
    fn mark_removed(&mut self, rel: &str) {
        self.map
            .reset_state(rel.as_bytes(), false, true, false, false, None)
            .unwrap();
    }
    fn kindpats(pats: &[&str]) -> Vec<KindPat> {
        pats.iter()
            .map(|p| {
                let (k, v) = p.split_once(':').unwrap();
                KindPat::from_names(k.as_bytes(), v.as_bytes(), b"").unwrap()
            })
            .collect()
    }
    /// `hg purge PATTERN...`.
    fn patterns(&self, pats: &[&str]) -> Box<dyn Matcher> {
        Box::new(PatternMatcher::new(Self::kindpats(pats), &self.root).unwrap())
    }
    /// `-I PATTERN...`.
    fn include(&self, pats: &[&str]) -> Box<dyn Matcher> {
        Box::new(IncludeMatcher::new(Self::kindpats(pats), &self.root).unwrap())
    }
    /// `-X PATTERN...` on top of `m`.
    fn exclude(&self, m: Box<dyn Matcher>, pats: &[&str]) -> Box<dyn Matcher> {
        Box::new(DifferenceMatcher::new(m, self.include(pats)))
    }
    /// The purge list (sorted) with `.hgignore` as the ignore file.
    fn purge(&self, m: &dyn Matcher, p: Purge) -> Vec<String> {
        let hgignore = self.root.join(".hgignore");
        let ignore: Option<Box<dyn Matcher>> = hgignore
            .exists()
            .then(|| get_ignore_matcher(vec![hgignore], &self.root).unwrap().0);
        let ignore_fn = |path: &[u8]| ignore.as_ref().is_some_and(|m| m.matches(path));
        let opts = StatusOptions {
            check_exec: true,
            list_unknown: p.unknown,
            list_ignored: p.ignored,
            collect_empty_dirs: true,
            empty_dirs_keep_files: p.keep_files,
            ..StatusOptions::default()
        };
        let out = status(&self.map, m, &self.root, &ignore_fn, opts, None).unwrap();
        let mut v: Vec<String> = out
            .empty_dirs
            .iter()
            .map(|d| String::from_utf8_lossy(d).into_owned())
            .collect();
        v.sort();
        v
    }
    /// Always matcher.
    fn purge_all(&self, p: Purge) -> Vec<String> {
        self.purge(&AlwaysMatcher, p)
    }
}

fn list(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The repository of test-purge.t lines 14-25: `r1`, `directory/r2` and an
/// `.hgignore` holding `ignored` (a regexp: any path containing it).
fn purge_t() -> Repo {
    let mut r = Repo::new();
    r.track("r1", b"r1\n");
    r.track("directory/r2", b"r2\n");
    r.track(".hgignore", b"ignored\n");
    r
}

#[test]
fn test_purge_t_empty_and_untracked_directories() {
    let r = purge_t();
    // test-purge.t:49-51: an empty directory
    r.mkdir("empty_dir");
    assert_eq!(r.purge_all(PURGE), list(&["empty_dir"]));
    r.rm("empty_dir");
    // test-purge.t:66-73: `untracked_dir (rust !)`, listed while it still
    // holds the files purge removes first
    r.write("untracked_dir/untracked_file1", b"");
    r.write("untracked_dir/untracked_file2", b"");
    assert_eq!(r.purge_all(PURGE), list(&["untracked_dir"]));
    r.rm("untracked_dir");
    // test-purge.t:86-96: untracked files only
    r.write("untracked_file", b"");
    r.write("untracked_file_readonly", b"");
    assert!(r.purge_all(PURGE).is_empty());
    r.rm("untracked_file");
    r.rm("untracked_file_readonly");
    // test-purge.t:112-114: an untracked file in a tracked directory
    r.write("directory/untracked_file", b"");
    assert!(r.purge_all(PURGE).is_empty());
    r.rm("directory/untracked_file");
    // test-purge.t:125-129 and 141-146 (from a subdirectory: same matcher)
    r.mkdir("untracked_directory/nested_directory");
    assert_eq!(
        r.purge_all(PURGE),
        list(&[
            "untracked_directory",
            "untracked_directory/nested_directory"
        ])
    );
}

#[test]
fn test_purge_t_part_of_the_tree() {
    // test-purge.t:159-164: `hg purge -p ../untracked_directory` from
    // `directory`, which holds an untracked file
    let r = purge_t();
    r.mkdir("untracked_directory/nested_directory");
    r.write("directory/untracked_file", b"");
    let m = r.patterns(&["relpath:untracked_directory"]);
    assert_eq!(
        r.purge(&*m, PURGE),
        list(&[
            "untracked_directory",
            "untracked_directory/nested_directory"
        ])
    );
}

#[test]
fn test_purge_t_ignored_and_missing_files() {
    let mut r = purge_t();
    // test-purge.t:184-221: an ignored and an unknown file, nothing to rmdir
    r.write("ignored", b"");
    r.write("untracked_file", b"");
    for p in [PURGE, PURGE_I, PURGE_ALL] {
        assert!(r.purge_all(p).is_empty());
    }
    r.rm("ignored");
    // test-purge.t:225-237: a missing tracked file
    r.rm("r1");
    assert!(r.purge_all(PURGE).is_empty());
    // test-purge.t:249-255: a tracked file in an ignored directory (issue621)
    r.write("r1", b"r1\n");
    r.track(".hgignore", b"ignored\ndirectory\n");
    assert!(r.purge_all(PURGE).is_empty());
}

#[test]
fn test_purge_t_excluded() {
    let mut r = purge_t();
    r.track(".hgignore", b"ignored\ndirectory\n");
    // test-purge.t:259-261
    r.write("excluded_file", b"");
    let m = r.exclude(Box::new(AlwaysMatcher), &["glob:excluded_file"]);
    assert!(r.purge(&*m, PURGE).is_empty());
    r.rm("excluded_file");
    // test-purge.t:272-275: files in an excluded directory
    r.write("excluded_dir/file", b"");
    let m = r.exclude(Box::new(AlwaysMatcher), &["glob:excluded_dir"]);
    assert!(r.purge(&*m, PURGE).is_empty());
    r.rm("excluded_dir");
    // test-purge.t:288-290: an excluded empty directory
    r.mkdir("excluded_dir");
    assert!(r.purge(&*m, PURGE).is_empty());
    r.rm("excluded_dir");
    // test-purge.t:301-306: `-X .svn -X '*/.svn'`, then `-X re:.*.svn`
    r.write(".svn/foo", b"");
    r.write("directory/.svn/foo", b"");
    let m = r.exclude(Box::new(AlwaysMatcher), &["glob:.svn", "glob:*/.svn"]);
    assert!(r.purge(&*m, PURGE).is_empty());
    let m = r.exclude(Box::new(AlwaysMatcher), &["re:.*.svn"]);
    assert!(r.purge(&*m, PURGE).is_empty());
}

#[test]
fn test_purge_t_files_and_dirs() {
    // test-purge.t:308: `.svn`, `directory` and `r1` are gone (the last two
    // stay tracked, missing)
    let mut r = purge_t();
    r.track(".hgignore", b"ignored\ndirectory\n");
    r.rm("directory");
    r.rm("r1");
    r.mkdir("empty_dir");
    r.write("untracked_file", b"");
    r.write("dir/untracked_file", b"");
    // test-purge.t:329-332: `--dirs` keeps the files, so only `empty_dir`
    assert_eq!(r.purge_all(PURGE_DIRS), list(&["empty_dir"]));
    // test-purge.t:345-352: `--files --dirs`: `dir (rust !)` too
    assert_eq!(r.purge_all(PURGE), list(&["dir", "empty_dir"]));
}

#[test]
fn test_purge_t_nested_repositories() {
    // test-purge.t:370-375: `hg init nested; hg init double/nested`
    let r = purge_t();
    r.mkdir("nested/.hg");
    r.mkdir("double/nested/.hg");
    for p in [PURGE, PURGE_I, PURGE_ALL, PURGE_DIRS] {
        assert!(r.purge_all(p).is_empty());
    }
}

#[test]
fn test_purge_t_directory_that_cannot_be_removed() {
    // test-purge.t:392-403: `container/keep` tracked, an empty subdirectory;
    // `--dirs` and `--dirs -a` list the subdirectory only
    let mut r = purge_t();
    r.mkdir("container/empty_subdir");
    r.track("container/keep", b"hi\n");
    assert_eq!(r.purge_all(PURGE_DIRS), list(&["container/empty_subdir"]));
    let all_dirs = Purge {
        keep_files: true,
        ..PURGE_ALL
    };
    assert_eq!(r.purge_all(all_dirs), list(&["container/empty_subdir"]));
}

#[test]
fn never_the_root() {
    let r = Repo::new();
    for p in [PURGE, PURGE_ALL] {
        assert!(r.purge_all(p).is_empty());
    }
}

#[test]
fn off_unless_asked() {
    let r = Repo::new();
    r.mkdir("empty");
    let opts = StatusOptions {
        list_unknown: true,
        ..StatusOptions::default()
    };
    let never = |_: &[u8]| false;
    let out = status(&r.map, &AlwaysMatcher, &r.root, &never, opts, None).unwrap();
    assert!(out.empty_dirs.is_empty());
}

#[test]
fn children_set_empty_counts_as_purged() {
    // Upstream does not look below a directory `visit_children_set` rules
    // out and says "purged": matched by an exact matcher naming it, a
    // tracked directory is listed (and its `rmdir` then fails).
    let mut r = Repo::new();
    r.track("d/f", b"f");
    r.track("e/f", b"f");
    let m = FileMatcher::new([b"d".to_vec()]);
    assert_eq!(r.purge(&m, PURGE), list(&["d"]));
    // also when nothing is listed (no directory is read at all)
    let none = Purge {
        unknown: false,
        ignored: false,
        keep_files: false,
    };
    assert_eq!(r.purge(&m, none), list(&["d"]));
    // a child the children set leaves out keeps its parent
    r.mkdir("d/sub/e");
    let m = r.include(&["path:d/sub"]);
    assert_eq!(r.purge(&*m, PURGE), list(&["d/sub", "d/sub/e"]));
    let m = r.include(&["path:d/sub/e"]);
    assert_eq!(r.purge(&*m, PURGE), list(&["d/sub/e"]));
}

#[test]
fn neither_unknown_nor_ignored_listed() {
    // Upstream reads no directory with tracked files then (it answers
    // "not purged" for them) and so never meets an untracked one.
    let mut r = Repo::new();
    r.track("d/f", b"f");
    r.mkdir("d/empty");
    r.mkdir("empty");
    r.mark_removed("d/f");
    r.track("g/h", b"h");
    r.rm("g/h");
    let none = Purge {
        unknown: false,
        ignored: false,
        keep_files: false,
    };
    assert!(r.purge_all(none).is_empty());
    assert_eq!(r.purge_all(PURGE), list(&["d/empty", "empty", "g"]));
}

#[test]
fn tracked_directories() {
    let mut r = Repo::new();
    // removed but still on disk (`hg forget`): status says removed, purge
    // leaves the file and so its directory (Mercurial's C build)
    r.track("rem/f", b"f");
    r.mark_removed("rem/f");
    // removed and gone, or missing: only in the dirstate, purged
    r.track("gone/f", b"f");
    r.mark_removed("gone/f");
    r.rm("gone/f");
    r.track("missing/f", b"f");
    r.rm("missing/f");
    // a clean file keeps its directory, an added one too
    r.track("clean/f", b"f");
    r.write("added/f", b"f");
    r.map.set_tracked(b"added/f").unwrap();
    // an unmatched (excluded) untracked file keeps its directory
    r.track("mixed/t", b"t");
    r.rm("mixed/t");
    r.write("mixed/x.keep", b"");
    let m = r.exclude(Box::new(AlwaysMatcher), &["glob:**.keep"]);
    assert_eq!(r.purge(&*m, PURGE), list(&["gone", "missing"]));
    // a tracked directory gone from disk is not listed
    r.rm("missing");
    assert_eq!(r.purge(&*m, PURGE), list(&["gone"]));
}

#[test]
fn replaced_paths() {
    let mut r = Repo::new();
    // a tracked file replaced by an (empty) directory
    r.track("x", b"x");
    r.rm("x");
    r.mkdir("x/inner");
    // a tracked directory replaced by a file
    r.track("y/f", b"f");
    r.rm("y");
    r.write("y", b"now a file");
    // a tracked directory replaced by a symlink to an empty directory
    r.track("z/f", b"f");
    r.rm("z");
    r.mkdir("target");
    symlink("target", r.root.join("z")).unwrap();
    assert_eq!(r.purge_all(PURGE), list(&["target", "x", "x/inner"]));
}

#[test]
fn symlinks_are_files() {
    let mut r = Repo::new();
    // an untracked symlink (to a directory, or dangling) is an unknown file
    r.mkdir("real");
    r.write("real/f", b"");
    r.mkdir("u");
    symlink("../real", r.root.join("u/to_dir")).unwrap();
    symlink("nowhere", r.root.join("u/dangling")).unwrap();
    // a tracked symlink is a tracked file
    r.mkdir("t");
    symlink("nowhere", r.root.join("t/link")).unwrap();
    let mtime = TruncatedTimestamp::new(1_600_000_000, 0, false).unwrap();
    r.map
        .reset_state(
            b"t/link",
            true,
            true,
            false,
            true,
            Some((0o120777, 7, Some(mtime))),
        )
        .unwrap();
    assert_eq!(r.purge_all(PURGE), list(&["real", "u"]));
    assert!(r.purge_all(PURGE_DIRS).is_empty());
}

#[test]
fn ignored_directories() {
    let mut r = Repo::new();
    r.track(".hgignore", b"syntax: glob\n*.o\nbuild\n");
    r.write("build/x.o", b"");
    r.write("build/sub/y", b"");
    r.track("src/main.c", b"c");
    r.write("src/obj/main.o", b"");
    r.mkdir("src/build");
    // not listing ignored files: ignored directories stay, and so does a
    // directory holding an ignored file
    assert!(r.purge_all(PURGE).is_empty());
    // `-i` and `--all` go through them
    for p in [PURGE_I, PURGE_ALL] {
        assert_eq!(
            r.purge_all(p),
            list(&["build", "build/sub", "src/build", "src/obj"])
        );
    }
    // an unknown directory below an ignored one is ignored too
    r.write("build/sub/deeper/unknown", b"");
    assert_eq!(
        r.purge_all(PURGE_I),
        list(&[
            "build",
            "build/sub",
            "build/sub/deeper",
            "src/build",
            "src/obj"
        ])
    );
    // `--dirs -i`: files stay, empty ignored directories go
    let dirs_i = Purge {
        keep_files: true,
        ..PURGE_I
    };
    assert_eq!(r.purge_all(dirs_i), list(&["src/build"]));
    // an unknown empty directory, only `hg purge` (unknown) lists it
    r.mkdir("new");
    assert_eq!(r.purge_all(PURGE), list(&["new"]));
    assert!(r.purge_all(PURGE_I).contains(&"new".to_string()));
}

#[test]
fn nested_repositories() {
    let mut r = Repo::new();
    r.track(".hgignore", b"syntax: glob\nbuild\n");
    // a tracked directory that became a nested repository
    r.track("sub/f", b"f");
    r.mkdir("sub/.hg");
    r.mkdir("sub/empty");
    // untracked and ignored ones
    r.mkdir("u/.hg");
    r.mkdir("u/empty");
    r.mkdir("build/n/.hg");
    r.mkdir("build/n/empty");
    // a `.hg` that is a file or a symlink is not a repository
    r.write("f/.hg", b"");
    r.mkdir("l");
    symlink("../u/.hg", r.root.join("l/.hg")).unwrap();
    for p in [PURGE, PURGE_ALL, PURGE_I] {
        let got = r.purge_all(p);
        assert!(
            !got.iter()
                .any(|d| ["sub", "u", "build", "build/n"].contains(&d.as_str())
                    || d.contains("empty")),
            "{got:?}"
        );
    }
    assert_eq!(r.purge_all(PURGE), list(&["f", "l"]));
    assert!(r.purge_all(PURGE_DIRS).is_empty());
}

#[test]
fn other_file_types_count_as_ignored() {
    let r = Repo::new();
    r.mkdir("p");
    let fifo =
        std::ffi::CString::new(r.root.join("p/fifo").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    assert!(r.purge_all(PURGE).is_empty());
    assert_eq!(r.purge_all(PURGE_I), list(&["p"]));
    // even when files are kept
    let dirs_all = Purge {
        keep_files: true,
        ..PURGE_ALL
    };
    assert_eq!(r.purge_all(dirs_all), list(&["p"]));
}

#[test]
fn explicit_paths_and_patterns() {
    let mut r = Repo::new();
    r.track("sub/f", b"f");
    r.mkdir("sub/dir/a");
    r.write("sub/dir/b/unknown", b"");
    r.mkdir("sub/other");
    r.mkdir("top");
    // `hg purge sub/dir`
    let m = r.patterns(&["relpath:sub/dir"]);
    assert_eq!(
        r.purge(&*m, PURGE),
        list(&["sub/dir", "sub/dir/a", "sub/dir/b"])
    );
    // `hg purge sub/dir/a top`
    let m = r.patterns(&["relpath:sub/dir/a", "relpath:top"]);
    assert_eq!(r.purge(&*m, PURGE), list(&["sub/dir/a", "top"]));
    // a glob: its literal root counts among `patternmatcher`'s files (in
    // Python and upstream's Rust alike), so `sub/dir` is matched; the
    // directories below it are not, so they stay, and so does `sub/dir`
    // (Mercurial's C build; upstream's Rust lists `sub/dir`, whose `rmdir`
    // then fails)
    let m = r.patterns(&["glob:sub/dir/*/unknown"]);
    assert_eq!(r.purge(&*m, PURGE), list(&[]));
    // `-X` of an empty directory keeps its parents (tests/test_purge_diff.py
    // found upstream's answer, which lists them)
    let m = r.exclude(r.include(&["path:sub"]), &["path:sub/dir/a"]);
    assert_eq!(r.purge(&*m, PURGE), list(&["sub/dir/b", "sub/other"]));
    // `-I sub`, `-X sub/dir/b`
    let m = r.exclude(r.include(&["path:sub"]), &["path:sub/dir/b"]);
    assert_eq!(r.purge(&*m, PURGE), list(&["sub/dir/a", "sub/other"]));
    // `--dirs`: the unknown file stays, so does `b`
    let m = r.patterns(&["relpath:sub"]);
    assert_eq!(r.purge(&*m, PURGE_DIRS), list(&["sub/dir/a", "sub/other"]));
}

#[test]
fn counters_include_the_pass() {
    let mut r = Repo::new();
    r.track("d/f", b"f");
    r.mkdir("e/g");
    let never = |_: &[u8]| false;
    let opts = StatusOptions {
        list_unknown: true,
        ..StatusOptions::default()
    };
    let plain = status(&r.map, &AlwaysMatcher, &r.root, &never, opts, None).unwrap();
    let purge = StatusOptions {
        collect_empty_dirs: true,
        ..opts
    };
    let with = status(&r.map, &AlwaysMatcher, &r.root, &never, purge, None).unwrap();
    // root, d, e, e/g read once more
    assert_eq!(with.counters.dirs_read, plain.counters.dirs_read + 4);
    assert_eq!(with.unknown, plain.unknown);
}

/// Directories the walk cannot read. Root reads everything, so as root the
/// checks run in a copy of this test binary as user `nobody`.
#[test]
fn unreadable_directories() {
    // SAFETY: plain getter.
    if unsafe { libc::geteuid() } != 0 {
        return unreadable_directories_checks();
    }
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().unwrap();
    // The test binary may sit where `nobody` cannot reach it.
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let copy = tmp.path().join("status_empty_dirs");
    fs::copy(&exe, &copy).unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(&copy)
        .args(["--exact", "unreadable_directories", "--nocapture"])
        .env("TMPDIR", "/tmp")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn unreadable_directories_checks() {
    let mut r = Repo::new();
    r.track(".hgignore", b"syntax: glob\nbuild\n");
    // untracked, unreadable: upstream counts it as purged (its `rmdir`
    // then fails if it is not empty)
    r.write("u/x", b"");
    // tracked, unreadable: its files count as only in the dirstate
    r.track("t/f", b"f");
    // ignored, unreadable: ignored directories stay unless `-i`/`--all`
    r.mkdir("build");
    // readable but not searchable: listed, its subdirectories are not
    r.mkdir("rx/sub/deeper");
    for (d, mode) in [("u", 0o000), ("t", 0o000), ("build", 0o000), ("rx", 0o400)] {
        fs::set_permissions(r.root.join(d), fs::Permissions::from_mode(mode)).unwrap();
    }
    let got = (r.purge_all(PURGE), r.purge_all(PURGE_ALL));
    for d in ["u", "t", "build", "rx"] {
        fs::set_permissions(r.root.join(d), fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(got.0, list(&["rx", "rx/sub", "t", "u"]));
    assert_eq!(got.1, list(&["build", "rx", "rx/sub", "t", "u"]));
}

#[test]
fn file_where_the_dirstate_has_a_directory_is_purged_as_untracked() {
    // `src/d/f` tracked, then `src/d` deleted and replaced by a file: status
    // lists `src/d` as unknown and `src/d/f` as missing; purge removes the
    // file, and `src` is then empty (Mercurial's C build removes it).
    let mut r = Repo::new();
    r.track("src/d/f", b"f");
    r.track("keep", b"k");
    std::fs::remove_dir_all(r.root.join("src/d")).unwrap();
    r.write("src/d", b"now a file");
    assert_eq!(r.purge_all(PURGE), list(&["src"]));
    // with `--dirs` the file stays, and so does `src`
    let dirs_only = Purge {
        keep_files: true,
        ..PURGE
    };
    assert!(r.purge_all(dirs_only).is_empty());
}
