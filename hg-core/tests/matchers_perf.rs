//! Speed check of the ignore matcher on a realistic `.hgignore` (a copy of
//! Mercurial's own) over 260k generated paths. Run with
//! `cargo test --release -p hg-core --test matchers_perf -- --ignored --nocapture`.
use std::time::Instant;

use hg_core::matchers::{get_ignore_matcher, Matcher};

const HGIGNORE: &[u8] = b"syntax: glob
*.elc
*.tmp
*.orig
*.rej
*~
*.mergebackup
*.o
*.so
*.dll
*.exe
*.pyd
*.pyc
*.pyo
*$py.class
*.swp
*.prof
*.zip
\\#*\\#
.\\#*
result/
tests/.coverage*
tests/*.err
build
contrib/chg/chg
dist
doc/*.[0-9]
doc/*.[0-9].{x,ht}ml
mercurial/__modulepolicy__.py
.DS_Store
cscope.*
.vscode/*
locale/*/LC_MESSAGES/hg.mo
rust/target/
rust/*/target/
syntax: rootglob
rust/hg-cpython/setup.py
syntax: regexp
^\\.pc/
^\\.(pydev)?project
";

fn paths() -> Vec<Vec<u8>> {
    let exts = ["py", "c", "h", "rs", "txt", "pyc", "o", "t", "orig", "json"];
    let mut out = Vec::with_capacity(260_000);
    'outer: for a in 0..65 {
        for b in 0..40 {
            for c in 0..100 {
                let ext = exts[(a * 7 + b * 3 + c) % exts.len()];
                out.push(format!("proj{a}/module_{b}/sub/file_{c}_name.{ext}").into_bytes());
                if out.len() == 260_000 {
                    break 'outer;
                }
            }
        }
    }
    out
}

#[test]
#[ignore]
fn ignore_matcher_speed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".hgignore"), HGIGNORE).unwrap();
    let (matcher, warnings) =
        get_ignore_matcher(vec![dir.path().join(".hgignore")], dir.path()).unwrap();
    assert!(warnings.is_empty());
    let paths = paths();
    for _ in 0..2 {
        let start = Instant::now();
        let n = paths.iter().filter(|p| matcher.matches(p)).count();
        let elapsed = start.elapsed();
        println!("{} paths, {} ignored, {:?}", paths.len(), n, elapsed);
        assert_eq!(n, 78_000);
    }
}
