//! Micro-benchmarks of `.hgignore` matching: building the ignore matcher
//! (done once per `hg status`) and asking it about every path of a large
//! tree (done for every unknown file and directory the walk meets).
//!
//! Run with `cargo bench -p hg-core --bench matchers`.

mod common;

use std::path::PathBuf;

use divan::{black_box, Bencher};
use hg_core::matchers::{get_ignore_matcher, Matcher};

fn main() {
    divan::main();
}

/// The `.hgignore` of `benches/gen.py`'s generated repositories.
const SMALL: &str = "syntax: glob
*.o
*.pyc
*.swp
build/

syntax: regexp
(?:^|/)__pycache__/
^out/.*\\.log$
";

/// A larger, real-project-like ignore file: many globs, rooted paths and a
/// few regexps, the kind that makes a naive one-regex-per-pattern slow.
fn large() -> String {
    let mut s = String::from("syntax: glob\n");
    for ext in [
        "o", "a", "so", "dylib", "dll", "exe", "obj", "pyc", "pyo", "class", "jar", "tmp", "bak",
        "swp", "orig", "rej", "log", "cache", "d", "gcda", "gcno", "profraw",
    ] {
        s.push_str(&format!("*.{ext}\n"));
    }
    for dir in [
        "build/",
        "dist/",
        "target/",
        "node_modules/",
        ".tox/",
        ".mypy_cache/",
        "htmlcov/",
        "coverage/",
        "out/",
        "tmp/",
    ] {
        s.push_str(dir);
        s.push('\n');
    }
    for i in 0..40 {
        s.push_str(&format!("rootglob:generated/gen{i}/**\n"));
    }
    s.push_str("\nsyntax: regexp\n");
    s.push_str(
        "(?:^|/)__pycache__/\n^docs/_build/\n\\.(?:egg|whl)-info/\n~$\n^release-\\d+\\.\\d+/\n",
    );
    s
}

/// Tracked and ignored extensions: about a fifth of the paths are ignored.
const EXTS: &[&str] = &[
    ".c", ".h", ".py", ".rs", ".txt", ".md", ".json", ".go", ".o", ".pyc",
];

/// Writes `content` as the `.hgignore` of a fresh temporary repository root
/// and returns the directory (kept alive by the caller) and the file path.
fn ignore_file(content: &str) -> (tempfile::TempDir, PathBuf) {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("benchmark needs a temporary directory");
    };
    let path = dir.path().join(".hgignore");
    if std::fs::write(&path, content).is_err() {
        panic!("benchmark needs to write its .hgignore");
    }
    (dir, path)
}

fn matcher_for(content: &str) -> (tempfile::TempDir, Box<dyn Matcher>) {
    let (dir, path) = ignore_file(content);
    match get_ignore_matcher(vec![path], dir.path()) {
        Ok((m, _warnings)) => (dir, m),
        Err(e) => panic!("benchmark ignore file must compile: {e:?}"),
    }
}

#[divan::bench(args = ["small", "large"])]
fn build_ignore_matcher(bencher: Bencher, which: &str) {
    let content = if which == "small" {
        SMALL.to_string()
    } else {
        large()
    };
    let (dir, path) = ignore_file(&content);
    bencher.bench(|| get_ignore_matcher(vec![black_box(path.clone())], dir.path()).is_ok());
}

/// Asks the ignore matcher about 100k paths (the worst case: a walk where
/// every file is unknown).
#[divan::bench(args = ["small", "large"])]
fn match_100k_paths(bencher: Bencher, which: &str) {
    let content = if which == "small" {
        SMALL.to_string()
    } else {
        large()
    };
    let (_dir, matcher) = matcher_for(&content);
    let paths = common::tree_paths(100_000, EXTS);
    bencher.bench(|| {
        paths
            .iter()
            .filter(|p| matcher.matches(black_box(p)))
            .count()
    });
}
