//! Micro-benchmark of the status walk alone (no Python): a real temporary
//! working copy, a clean dirstate for it and the `.hgignore` matcher, as in
//! `hg status` (unknown files listed). Compare with `benches/floor` on the
//! same tree for the file-system cost.
//!
//! Run with `cargo bench -p hg-core --bench status`.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use divan::{black_box, Bencher};
use hg_core::dirstate::DirstateMap;
use hg_core::matchers::{get_ignore_matcher, AlwaysMatcher, Matcher};
use hg_core::status::{status, StatusOptions};

fn main() {
    divan::main();
}

/// An mtime far in the past, recorded in the dirstate and set on every file,
/// so every tracked file is clean without reading its content.
const OLD: u32 = 1_600_000_000;

const HGIGNORE: &str = "syntax: glob\n*.o\n*.pyc\nbuild/\n";

/// Files in a working copy: tracked sources plus ignored objects; unknown
/// notes are added separately.
const EXTS: &[&str] = &[".c", ".h", ".py", ".rs", ".txt", ".o"];

struct WorkingCopy {
    dir: tempfile::TempDir,
    map: DirstateMap,
    ignore: Box<dyn Matcher>,
}

fn expect<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("benchmark setup failed ({what}): {e:?}"),
    }
}

/// Writes `n` files, tracks the non-ignored ones as clean, and adds one
/// unknown file per thousand.
fn working_copy(n: usize) -> WorkingCopy {
    let dir = expect(tempfile::tempdir(), "tempdir");
    let root = dir.path();
    expect(fs::create_dir(root.join(".hg")), "mkdir .hg");
    expect(
        fs::write(root.join(".hgignore"), HGIGNORE),
        "write .hgignore",
    );
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(OLD as u64);
    let paths = common::tree_paths(n, EXTS);
    let mut tracked = vec![b".hgignore".to_vec()];
    let mut sizes = vec![HGIGNORE.len() as u32];
    for (i, p) in paths.iter().enumerate() {
        let content = format!("/* {i} */\n");
        write_old(root, p, content.as_bytes(), old);
        if !p.ends_with(b".o") {
            tracked.push(p.clone());
            sizes.push(content.len() as u32);
        }
        if i % 1000 == 999 {
            let mut unknown = p.clone();
            unknown.extend_from_slice(b".notes");
            write_old(root, &unknown, b"?", old);
        }
    }
    write_old(root, b".hgignore", HGIGNORE.as_bytes(), old);
    let data = common::v1_bytes(&tracked, |i| sizes[i], OLD);
    let (map, _) = expect(DirstateMap::new_v1(&data), "parse dirstate");
    let (ignore, _) = expect(
        get_ignore_matcher(vec![root.join(".hgignore")], root),
        "ignore matcher",
    );
    let wc = WorkingCopy { dir, map, ignore };
    wc.check(n / 1000);
    wc
}

impl WorkingCopy {
    /// Makes sure the benchmark measures the intended path: every tracked
    /// file clean from its stat alone, and the unknown files found.
    fn check(&self, unknown: usize) {
        let ignore = |p: &[u8]| self.ignore.matches(p);
        let opts = StatusOptions {
            check_exec: true,
            list_unknown: true,
            ..StatusOptions::default()
        };
        let out = expect(
            status(
                &self.map,
                &AlwaysMatcher,
                self.dir.path(),
                &ignore,
                opts,
                None,
            ),
            "status",
        );
        let dirty = out.lookup.len() + out.modified.len() + out.deleted.len();
        assert!(dirty == 0, "{dirty} tracked files are not clean");
        assert_eq!(out.unknown.len(), unknown, "unknown files");
    }
}

fn write_old(root: &Path, rel: &[u8], data: &[u8], mtime: SystemTime) {
    let p = root.join(String::from_utf8_lossy(rel).as_ref());
    if let Some(d) = p.parent() {
        expect(fs::create_dir_all(d), "mkdir");
    }
    let f = expect(fs::File::create(&p), "create");
    expect(std::io::Write::write_all(&mut &f, data), "write");
    expect(f.set_modified(mtime), "set mtime");
}

/// `hg status` (modified, added, removed, deleted, unknown) on a clean tree.
#[divan::bench(args = [20_000, 100_000], sample_count = 20)]
fn status_unknown(bencher: Bencher, n: usize) {
    let wc = working_copy(n);
    let ignore = |p: &[u8]| wc.ignore.matches(p);
    let opts = StatusOptions {
        check_exec: true,
        list_unknown: true,
        ..StatusOptions::default()
    };
    bencher.bench(|| {
        let out = status(
            &wc.map,
            &AlwaysMatcher,
            wc.dir.path(),
            &ignore,
            black_box(opts),
            None,
        );
        out.map(|o| (o.unknown.len(), o.lookup.len(), o.modified.len()))
    });
}

/// `hg status -mard`: tracked files only, no unknown-file listing.
#[divan::bench(args = [20_000, 100_000], sample_count = 20)]
fn status_tracked_only(bencher: Bencher, n: usize) {
    let wc = working_copy(n);
    let ignore = |p: &[u8]| wc.ignore.matches(p);
    let opts = StatusOptions {
        check_exec: true,
        ..StatusOptions::default()
    };
    bencher.bench(|| {
        let out = status(
            &wc.map,
            &AlwaysMatcher,
            wc.dir.path(),
            &ignore,
            black_box(opts),
            None,
        );
        out.map(|o| (o.lookup.len(), o.modified.len(), o.deleted.len()))
    });
}

/// `hg purge` (Mercurial 7.2): `hg status -u` plus the purge list, which
/// costs a second pass over the tree (`status/empty_dirs.rs`).
#[divan::bench(args = [20_000, 100_000], sample_count = 20)]
fn status_purge(bencher: Bencher, n: usize) {
    let wc = working_copy(n);
    let ignore = |p: &[u8]| wc.ignore.matches(p);
    let opts = StatusOptions {
        check_exec: true,
        list_unknown: true,
        collect_empty_dirs: true,
        ..StatusOptions::default()
    };
    bencher.bench(|| {
        let out = status(
            &wc.map,
            &AlwaysMatcher,
            wc.dir.path(),
            &ignore,
            black_box(opts),
            None,
        );
        out.map(|o| (o.unknown.len(), o.empty_dirs.len()))
    });
}

/// The file-system floor on the same tree, for scale: `benches/floor`'s walk
/// (parallel readdir + `fstatat` of every entry), which `run.py` also uses.
#[divan::bench(args = [20_000, 100_000], sample_count = 20)]
fn floor_read_dir_lstat(bencher: Bencher, n: usize) {
    let wc = working_copy(n);
    let root = expect(
        std::ffi::CString::new(wc.dir.path().as_os_str().as_encoded_bytes()),
        "root path",
    );
    bencher.bench(|| floor::walk(black_box(&root), &[]).map(|c| c.files));
}
