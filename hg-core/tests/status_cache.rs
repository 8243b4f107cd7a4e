//! The dirstate-v2 directory cache as the status walk reads and records it:
//! a directory is only answered from the cache when that cannot hide a file.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hg_core::dirstate::{DirstateMap, OnDiskBytes, TruncatedTimestamp};
use hg_core::matchers::AlwaysMatcher;
use hg_core::status::{apply_cache_updates, status, StatusOptions, StatusOutcome};

const OLD: u64 = 1_600_000_000;

fn age(p: &Path) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(OLD);
    let f = fs::File::open(p).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(t).set_accessed(t))
        .unwrap();
}

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        fs::create_dir(root.join(".hg")).unwrap();
        Repo { _tmp: tmp, root }
    }
    fn write(&self, rel: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, b"x").unwrap();
        age(&p);
    }
    fn age_dir(&self, rel: &str) {
        age(&self.root.join(rel));
    }
}

/// A v2 map (so that the cache applies) with `files` clean.
fn v2_map(files: &[&str]) -> DirstateMap {
    let mut m = DirstateMap::new_empty();
    let mtime = TruncatedTimestamp::new(OLD as i64, 0, false).unwrap();
    for f in files {
        m.reset_state(
            f.as_bytes(),
            true,
            true,
            false,
            true,
            Some((0o100644, 1, Some(mtime))),
        )
        .unwrap();
    }
    reload(&m)
}

fn reload(m: &DirstateMap) -> DirstateMap {
    let (data, meta, _) = m.pack_v2(1).unwrap();
    let len = data.len();
    DirstateMap::new_v2(OnDiskBytes::Owned(data), len, &meta, b"0123456789abcdef").unwrap()
}

fn opts() -> StatusOptions {
    StatusOptions {
        check_exec: true,
        list_unknown: true,
        ..Default::default()
    }
}

fn unknown(o: &StatusOutcome) -> Vec<String> {
    let mut v: Vec<String> = o
        .unknown
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    v.sort();
    v
}

fn run(
    map: &mut DirstateMap,
    root: &Path,
    changed: bool,
) -> (Vec<String>, hg_core::status::Counters, bool) {
    let ign = |p: &[u8]| p.ends_with(b".o");
    let out = status(map, &AlwaysMatcher, root, &ign, opts(), Some(changed)).unwrap();
    let res = (unknown(&out), out.counters, out.dirty);
    let updates = out.cache_updates;
    apply_cache_updates(map, updates);
    res
}

#[test]
fn records_then_answers_from_cache_and_never_hides_new_files() {
    let r = Repo::new();
    r.write("d/a");
    r.write("d/b.o"); // ignored: does not prevent caching
    r.write("u/unk"); // unknown: prevents caching of u
    r.age_dir("d");
    r.age_dir("u");
    let mut map = v2_map(&["d/a", "u/t"]);
    r.write("u/t");
    r.age_dir("u");

    let (unk, c, dirty) = run(&mut map, &r.root, false);
    assert_eq!(unk, vec!["u/unk"]);
    assert!(dirty, "recording a directory mtime dirties the dirstate");
    assert_eq!(c.dirs_from_cache, 0);
    assert!(map.cached_directory(b"d").is_some());
    assert!(map.cached_directory(b"u").is_none());

    let (unk, c, dirty) = run(&mut map, &r.root, false);
    assert_eq!(unk, vec!["u/unk"]);
    assert!(!dirty, "nothing new to record");
    let expected = if hg_core::status::CACHE_READ_ENABLED {
        1
    } else {
        0
    };
    assert_eq!(
        c.dirs_from_cache, expected,
        "d answered from its cached mtime"
    );
    assert_eq!(c.dirs_read + c.dirs_from_cache, 3, "root, d, u");

    // a new file changes the directory's mtime: read again, file reported
    fs::write(r.root.join("d/new"), b"n").unwrap();
    let (unk, c, _) = run(&mut map, &r.root, false);
    assert_eq!(unk, vec!["d/new", "u/unk"]);
    assert_eq!(c.dirs_from_cache, 0);
}

#[test]
fn changed_ignore_patterns_drop_the_cache() {
    let r = Repo::new();
    r.write("d/a");
    r.age_dir("d");
    let mut map = v2_map(&["d/a"]);
    run(&mut map, &r.root, false);
    assert!(map.cached_directory(b"d").is_some());
    let ign = |_: &[u8]| false;
    let out = status(&map, &AlwaysMatcher, &r.root, &ign, opts(), Some(true)).unwrap();
    assert!(out.dirty);
    assert_eq!(out.counters.dirs_from_cache, 0);
    // re-recorded with the new patterns (or dropped), never kept as is
    assert!(out.cache_updates.iter().any(|(p, _)| p == b"d"));
}

#[test]
fn v1_never_caches() {
    let r = Repo::new();
    r.write("d/a");
    r.age_dir("d");
    let mut map = DirstateMap::new_empty();
    map.set_tracked(b"d/a").unwrap();
    let (_, _, dirty) = run(&mut map, &r.root, false);
    assert!(!dirty);
    assert!(map.cached_directory(b"d").is_none());
}

#[test]
fn drop_invalidates_parent_cache() {
    let r = Repo::new();
    r.write("d/a");
    r.write("d/added");
    r.age_dir("d");
    let mut map = v2_map(&["d/a"]);
    map.set_tracked(b"d/added").unwrap();
    run(&mut map, &r.root, false);
    assert!(map.cached_directory(b"d").is_some());
    // `hg forget d/added`: the file is on disk and untracked now
    map.set_untracked(b"d/added").unwrap();
    let (unk, _, _) = run(&mut map, &r.root, false);
    assert_eq!(unk, vec!["d/added"]);
}
