//! `status_of_paths` (status from the paths watchman names) against the
//! full walk: given every path that exists or existed, both must give the
//! same lists; given only the changed paths, the same again, because the
//! files left out are clean.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hg_core::dirstate::{DirstateMap, TruncatedTimestamp};
use hg_core::matchers::AlwaysMatcher;
use hg_core::status::{status, status_of_paths, StatusError, StatusOptions, StatusOutcome};

const OLD: i64 = 1_600_000_000;

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    map: DirstateMap,
}

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
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
        let f = fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(OLD as u64))
            .unwrap();
    }

    /// Tracks `rel` as clean with the given size and the old mtime.
    fn track(&mut self, rel: &str, size: u32) {
        let mtime = TruncatedTimestamp::new(OLD, 0, false).unwrap();
        self.map
            .reset_state(
                rel.as_bytes(),
                true,
                true,
                false,
                true,
                Some((0o100644, size, Some(mtime))),
            )
            .unwrap();
    }

    fn clean(&mut self, rel: &str, data: &[u8]) {
        self.write(rel, data);
        self.track(rel, data.len() as u32);
    }
}

fn ignore(p: &[u8]) -> bool {
    p == b"build" || p.starts_with(b"build/") || p.ends_with(b".o")
}

fn opts(unknown: bool) -> StatusOptions {
    StatusOptions {
        check_exec: true,
        list_unknown: unknown,
        ..StatusOptions::default()
    }
}

type Lists = [Vec<String>; 6];

fn lists(out: &StatusOutcome<'_>) -> Lists {
    let s = |v: &mut dyn Iterator<Item = &[u8]>| {
        let mut v: Vec<String> = v.map(|p| String::from_utf8_lossy(p).into_owned()).collect();
        v.sort();
        v
    };
    [
        s(&mut out.lookup.iter().copied()),
        s(&mut out.modified.iter().copied()),
        s(&mut out.added.iter().copied()),
        s(&mut out.removed.iter().copied()),
        s(&mut out.deleted.iter().copied()),
        s(&mut out.unknown.iter().map(Vec::as_slice)),
    ]
}

/// Every path below `dir` (files, symlinks, directories), `.hg`
/// directories excluded (a path in a nested one makes fsmonitor walk:
/// tested below).
fn all_paths(root: &Path, dir: &Path, out: &mut Vec<Vec<u8>>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_encoded_bytes()
            .to_vec();
        if p.file_name().is_some_and(|n| n == ".hg") {
            continue;
        }
        out.push(rel);
        if e.file_type().unwrap().is_dir() {
            all_paths(root, &p, out);
        }
    }
}

/// A working copy with one of everything the walk treats specially.
fn scenario() -> Repo {
    let mut r = Repo::new();
    for i in 0..5 {
        r.clean(&format!("d/f{i}"), b"same\n");
    }
    r.clean("top", b"top\n");
    r.clean("mod", b"old\n");
    r.write("mod", b"longer now\n");
    r.clean("gone", b"x\n");
    fs::remove_file(r.root.join("gone")).unwrap();
    r.write("new", b"u\n");
    r.write("x.o", b"ignored\n");
    r.write("build/out", b"ignored dir\n");
    r.clean("build/tracked", b"t\n");
    r.write("d/e/unknown", b"u\n");
    // A tracked file replaced by a directory holding a file.
    r.track("becomes-dir", 3);
    r.write("becomes-dir/inner", b"i\n");
    // A tracked directory replaced by a symlink to a real one.
    r.clean("real/a", b"a\n");
    r.track("link/a", 2);
    symlink("real", r.root.join("link")).unwrap();
    // A nested repository with a tracked file in it and an untracked one.
    r.clean("nested/t", b"t\n");
    r.write("nested/u", b"u\n");
    fs::create_dir(r.root.join("nested/.hg")).unwrap();
    // Deeper neighbours sharing ancestors, with a symlink, a nested
    // repository and a missing directory among them.
    r.clean("deep/a/b/c/f", b"f\n");
    r.write("deep/a/b/x/g", b"g\n");
    r.clean("deep/a/b/y/m", b"m\n");
    r.track("deep/a/gone/z/k", 2);
    r.track("deep/a/link2/h", 2);
    symlink("b", r.root.join("deep/a/link2")).unwrap();
    r.clean("deep/a/nest/i/j", b"j\n");
    fs::create_dir(r.root.join("deep/a/nest/.hg")).unwrap();
    r.write("deep/a/nest/i/u", b"u\n");
    r.write("deep/a/z-after", b"z\n");
    // Added, removed, a copy, a file with no reliable mtime.
    r.write("added", b"a\n");
    r.map
        .reset_state(b"added", true, false, false, false, None)
        .unwrap();
    r.map
        .reset_state(b"removed", false, true, false, false, None)
        .unwrap();
    r.map.copy_map_insert(b"d/f1", b"top").unwrap();
    r.write("unsure", b"u\n");
    r.map
        .reset_state(
            b"unsure",
            true,
            true,
            false,
            false,
            Some((0o100644, 2, None)),
        )
        .unwrap();
    r
}

#[test]
fn every_path_gives_the_walks_answer() {
    let r = scenario();
    let mut changed = Vec::new();
    all_paths(&r.root, &r.root, &mut changed);
    changed.extend(r.map.iter().map(|(p, _)| p.to_vec()));
    for unknown in [true, false] {
        let walk = status(
            &r.map,
            &AlwaysMatcher,
            &r.root,
            &ignore,
            opts(unknown),
            None,
        )
        .unwrap();
        let paths = status_of_paths(&r.map, &r.root, &ignore, opts(unknown), &changed).unwrap();
        assert_eq!(lists(&paths), lists(&walk), "unknown listed: {unknown}");
        assert_eq!(paths.counters.dirs_read, 0);
    }
}

#[test]
fn changed_paths_only_give_the_walks_answer() {
    let r = scenario();
    // What watchman would name: everything but the clean tracked files,
    // plus `nested/t`: when `nested/.hg` appeared, watchman named it, a
    // walk answered and listed `nested/t` as missing, so fsmonitor's state
    // keeps it as a notable file.
    let changed: Vec<Vec<u8>> = [
        "mod",
        "gone",
        "new",
        "x.o",
        "build/out",
        "d/e/unknown",
        "becomes-dir",
        "becomes-dir/inner",
        "link",
        "link/a",
        "nested/u",
        "added",
        "nested/t",
        "deep/a/b/x/g",
        "deep/a/gone/z/k",
        "deep/a/link2",
        "deep/a/link2/h",
        "deep/a/nest/i/j",
        "deep/a/nest/i/u",
        "deep/a/z-after",
    ]
    .iter()
    .map(|p| p.as_bytes().to_vec())
    .collect();
    let walk = status(&r.map, &AlwaysMatcher, &r.root, &ignore, opts(true), None).unwrap();
    let paths = status_of_paths(&r.map, &r.root, &ignore, opts(true), &changed).unwrap();
    assert_eq!(lists(&paths), lists(&walk));
    // Only the named paths and the entries not known clean were looked at
    // (the nested-repository and ancestor checks count as stats too).
    assert!(paths.counters.entries_stated < 30, "{:?}", paths.counters);
}

#[test]
fn questions_paths_cannot_answer_need_a_walk() {
    let r = scenario();
    let nested = vec![b"nested/.hg/store/x".to_vec()];
    assert!(matches!(
        status_of_paths(&r.map, &r.root, &ignore, opts(true), &nested),
        Err(StatusError::NeedsWalk(_))
    ));
    let clean = StatusOptions {
        list_clean: true,
        ..opts(true)
    };
    assert!(matches!(
        status_of_paths(&r.map, &r.root, &ignore, clean, &[]),
        Err(StatusError::NeedsWalk(_))
    ));
    // Our own `.hg` is never a status path.
    let own = vec![b".hg".to_vec(), b".hg/dirstate".to_vec()];
    let out = status_of_paths(&r.map, &r.root, &ignore, opts(true), &own).unwrap();
    assert!(out.unknown.iter().all(|p| !p.starts_with(b".hg")));
}
