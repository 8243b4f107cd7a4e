//! Differential check of `StatusOutcome::empty_dirs` against upstream
//! Mercurial 7.2.4's own Rust status, on random working copies.
//!
//! Expect mismatches in the two cases where `empty_dirs.rs` deliberately
//! gives Mercurial's C build's answer instead of upstream's (see its module
//! docs): a directory the matcher leaves in place, and a file standing where
//! the dirstate has a directory. `tests/test_purge_diff.py` checks those
//! against the C build.
//!
//! Needs the oracle built by `tests/upstream-oracle/build.sh` (upstream's
//! crate, built outside this repository):
//!
//! ```sh
//! oracle=$(hg-core/tests/upstream-oracle/build.sh | tail -1)
//! EMPTY_DIRS_ORACLE=$oracle cargo test -p hg-core --release \
//!     --test status_empty_dirs_upstream -- --ignored --nocapture
//! ```
//!
//! `EMPTY_DIRS_DIFF_CASES` (default 400) and `EMPTY_DIRS_DIFF_SEED`
//! (default 1) choose the cases. Each case is a random tree (tracked clean,
//! added, removed-but-present, removed and missing files, untracked files,
//! empty and nested directories, directories missing from disk, a file where
//! the dirstate has a directory and the reverse, symlinks, fifos, nested
//! repositories, `.hg` files, unreadable and unsearchable directories), a
//! random `.hgignore`, random purge switches and a random matcher built the
//! way `match.match` builds it (patterns, `-I`, `-X`, or exact files). The
//! dirstate is written as v1 (no directory cache: the one deliberate
//! difference, see `src/status/empty_dirs.rs`). As root, the cases run a
//! second time as user `nobody`, where permissions apply.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use hg_core::dirstate::{DirstateMap, TruncatedTimestamp};
use hg_core::matchers::{
    get_ignore_matcher, AlwaysMatcher, DifferenceMatcher, FileMatcher, IncludeMatcher,
    IntersectionMatcher, KindPat, Matcher, PatternMatcher,
};
use hg_core::status::{status, StatusOptions};

/// xorshift64*: deterministic cases from a seed, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const NAMES: &[&str] = &["a", "b", "c", "build", "x.o", "ign", "sub", "d.keep"];

const IGNORES: &[Option<&str>] = &[
    None,
    Some("syntax: glob\n*.o\nbuild\n"),
    Some("^ign\n"),
    Some("syntax: glob\nsub/b\n*.keep\n"),
    Some("syntax: rootglob\na/build\nc\n"),
    Some("^a$\n.*/sub$\n"),
];

/// One random working copy and what was made in it.
struct Case {
    root: PathBuf,
    map: DirstateMap,
    /// Every path made (files and directories), for patterns.
    paths: Vec<String>,
    /// Directories to make unreadable, with their mode, once built.
    locked: Vec<(PathBuf, u32)>,
    /// How the tree was built, for a mismatch report.
    log: Vec<String>,
}

impl Case {
    fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
    fn write(&self, rel: &str) {
        fs::write(self.abs(rel), rel.as_bytes()).unwrap();
    }
    fn track(&mut self, rel: &str, mode: u32) {
        let mtime = TruncatedTimestamp::new(1_600_000_000, 0, false).unwrap();
        let data = Some((mode, rel.len() as u32, Some(mtime)));
        let _ = self
            .map
            .reset_state(rel.as_bytes(), true, true, false, true, data);
    }
    fn note(&mut self, what: &str, rel: &str) {
        self.log.push(format!("{what} {rel}"));
        self.paths.push(rel.to_string());
    }

    fn fill(&mut self, rng: &mut Rng, dir: &str, depth: usize) {
        let join = |n: &str| {
            if dir.is_empty() {
                n.to_string()
            } else {
                format!("{dir}/{n}")
            }
        };
        let mut names: Vec<&str> = NAMES.to_vec();
        let count = rng.below(if depth == 0 { 7 } else { 5 });
        for _ in 0..count {
            let name = names.remove(rng.below(names.len()));
            let p = join(name);
            let deeper = depth < 3;
            match rng.below(100) {
                0..=14 => {
                    self.write(&p);
                    self.track(&p, 0o100644);
                    self.note("clean", &p);
                }
                15..=19 => {
                    self.write(&p);
                    self.track(&p, 0o100644);
                    let _ = self
                        .map
                        .reset_state(p.as_bytes(), false, true, false, false, None);
                    self.note("removed-present", &p);
                }
                20..=22 => {
                    let _ = self
                        .map
                        .reset_state(p.as_bytes(), false, true, false, false, None);
                    self.note("removed-gone", &p);
                }
                23..=27 => {
                    self.track(&p, 0o100644);
                    self.note("missing", &p);
                }
                28..=30 => {
                    self.write(&p);
                    let _ = self.map.set_tracked(p.as_bytes());
                    self.note("added", &p);
                }
                31..=45 => {
                    self.write(&p);
                    self.note("unknown", &p);
                }
                46..=52 => {
                    fs::create_dir(self.abs(&p)).unwrap();
                    self.note("empty-dir", &p);
                }
                53..=72 if deeper => {
                    fs::create_dir(self.abs(&p)).unwrap();
                    self.note("dir", &p);
                    self.fill(rng, &p, depth + 1);
                }
                73..=77 => {
                    let f = format!("{p}/f");
                    self.track(&f, 0o100644);
                    self.note("tracked-dir-gone", &f);
                }
                78..=81 => {
                    let target = *rng.pick(&["a", "..", "nowhere", "sub"]);
                    symlink(target, self.abs(&p)).unwrap();
                    if rng.chance(30) {
                        self.track(&p, 0o120777);
                        self.note("tracked-symlink", &p);
                    } else {
                        self.note("symlink", &p);
                    }
                }
                82..=83 => {
                    let c = std::ffi::CString::new(self.abs(&p).as_os_str().as_encoded_bytes())
                        .unwrap();
                    // SAFETY: a valid NUL-terminated path.
                    unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
                    self.note("fifo", &p);
                }
                84..=86 if deeper => {
                    fs::create_dir(self.abs(&p)).unwrap();
                    self.note("nested-repo", &p);
                    self.fill(rng, &p, depth + 1);
                    // (replacing a `.hg` file or symlink made inside)
                    let hg = self.abs(&format!("{p}/.hg"));
                    let _ = fs::remove_file(&hg);
                    fs::create_dir(hg).unwrap();
                }
                87..=89 => {
                    self.write(&p);
                    let f = format!("{p}/f");
                    self.track(&f, 0o100644);
                    self.note("file-over-tracked-dir", &p);
                }
                90..=92 if deeper => {
                    self.track(&p, 0o100644);
                    fs::create_dir(self.abs(&p)).unwrap();
                    self.note("dir-over-tracked-file", &p);
                    self.fill(rng, &p, depth + 1);
                }
                93..=95 if deeper => {
                    fs::create_dir(self.abs(&p)).unwrap();
                    self.note("locked-dir", &p);
                    self.fill(rng, &p, depth + 1);
                    let mode = *rng.pick(&[0o000, 0o400, 0o100]);
                    self.locked.push((self.abs(&p), mode));
                }
                96..=99 if depth > 0 => {
                    let hg = join(".hg");
                    if self.abs(&hg).symlink_metadata().is_err() {
                        if rng.chance(50) {
                            self.write(&hg);
                        } else {
                            symlink("a", self.abs(&hg)).unwrap();
                        }
                        self.note("dot-hg-not-a-dir", &hg);
                    }
                }
                _ => {
                    self.write(&p);
                    self.note("unknown", &p);
                }
            }
        }
    }
}

/// A matcher description both sides build the same way.
#[derive(Default)]
struct Spec {
    pats: Vec<String>,
    incs: Vec<String>,
    excs: Vec<String>,
    exact: Vec<String>,
}

impl Spec {
    fn random(rng: &mut Rng, paths: &[String]) -> Self {
        let mut s = Spec::default();
        let some_path = |rng: &mut Rng| {
            if paths.is_empty() {
                "a".to_string()
            } else {
                rng.pick(paths).clone()
            }
        };
        if rng.chance(8) {
            for _ in 0..1 + rng.below(2) {
                s.exact.push(some_path(rng));
            }
            return s;
        }
        if rng.chance(30) {
            for _ in 0..1 + rng.below(2) {
                let p = some_path(rng);
                let pat = match rng.below(5) {
                    0 | 1 => format!("relpath:{p}"),
                    2 => format!("glob:{p}/*"),
                    3 => format!("rootfilesin:{p}"),
                    _ => "re:.*b".to_string(),
                };
                s.pats.push(pat);
            }
        }
        if rng.chance(20) {
            let p = some_path(rng);
            s.incs.push(
                rng.pick(&[format!("path:{p}"), "glob:**/b".to_string()])
                    .clone(),
            );
        }
        if rng.chance(25) {
            let p = some_path(rng);
            s.excs.push(
                rng.pick(&[format!("path:{p}"), "glob:**.o".to_string()])
                    .clone(),
            );
        }
        s
    }

    fn args(&self) -> Vec<String> {
        let tagged = |tag: &str, v: &[String]| -> Vec<String> {
            v.iter().map(|p| format!("{tag}={p}")).collect()
        };
        [
            tagged("pat", &self.pats),
            tagged("inc", &self.incs),
            tagged("exc", &self.excs),
            tagged("exact", &self.exact),
        ]
        .concat()
    }

    fn kindpats(v: &[String]) -> Vec<KindPat> {
        v.iter()
            .map(|p| {
                let (k, v) = p.split_once(':').unwrap();
                KindPat::from_names(k.as_bytes(), v.as_bytes(), b"").unwrap()
            })
            .collect()
    }

    fn build(&self, root: &Path) -> Box<dyn Matcher> {
        if !self.exact.is_empty() {
            return Box::new(FileMatcher::new(
                self.exact.iter().map(|p| p.as_bytes().to_vec()),
            ));
        }
        let base: Option<Box<dyn Matcher>> = (!self.pats.is_empty()).then(|| {
            Box::new(PatternMatcher::new(Self::kindpats(&self.pats), root).unwrap())
                as Box<dyn Matcher>
        });
        let inc: Option<Box<dyn Matcher>> = (!self.incs.is_empty()).then(|| {
            Box::new(IncludeMatcher::new(Self::kindpats(&self.incs), root).unwrap())
                as Box<dyn Matcher>
        });
        // `match.intersectmatchers`: "always" drops out.
        let m: Box<dyn Matcher> = match (base, inc) {
            (None, None) => Box::new(AlwaysMatcher),
            (Some(m), None) | (None, Some(m)) => m,
            (Some(b), Some(i)) => Box::new(IntersectionMatcher::new(b, i)),
        };
        if self.excs.is_empty() {
            m
        } else {
            let exc = Box::new(IncludeMatcher::new(Self::kindpats(&self.excs), root).unwrap());
            Box::new(DifferenceMatcher::new(m, exc))
        }
    }
}

/// Our list, or `None` when our status fails (the binding then falls back
/// to Mercurial's Python status, whose `empty_dirs` is empty: purge removes
/// no directory).
fn ours(case: &Case, spec: &Spec, opts: StatusOptions) -> Option<Vec<Vec<u8>>> {
    let hgignore = case.root.join(".hgignore");
    let ignore: Option<Box<dyn Matcher>> = hgignore
        .exists()
        .then(|| get_ignore_matcher(vec![hgignore], &case.root).unwrap().0);
    let ignore_fn = |p: &[u8]| ignore.as_ref().is_some_and(|m| m.matches(p));
    let m = spec.build(&case.root);
    let out = status(&case.map, &*m, &case.root, &ignore_fn, opts, None).ok()?;
    let mut v = out.empty_dirs;
    v.sort();
    Some(v)
}

fn upstream(oracle: &str, case: &Case, spec: &Spec, flags: &str) -> Result<Vec<Vec<u8>>, String> {
    let dirstate = case.root.join(".hg/dirstate");
    let out = Command::new(oracle)
        .arg(&case.root)
        .arg(&dirstate)
        .arg(flags)
        .args(spec.args())
        .output()
        .map_err(|e| format!("{oracle}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect())
}

fn show(v: &[Vec<u8>]) -> Vec<String> {
    v.iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// What a run of cases found.
#[derive(Default)]
struct Tally {
    /// Queries whose lists were compared.
    compared: usize,
    /// Queries our status refused (an I/O error it does not reproduce,
    /// e.g. a tracked file in a directory that can be listed but not
    /// searched): the binding falls back, nothing to compare.
    fell_back: usize,
    /// Queries whose list was not empty on both sides.
    non_empty: usize,
    failures: Vec<String>,
}

/// Runs `count` cases from `seed`.
fn run_cases(oracle: &str, seed: u64, count: u64) -> Tally {
    let mut t = Tally::default();
    for s in seed..seed + count {
        let mut rng = Rng::new(s);
        let tmp = tempfile::tempdir().unwrap();
        let mut case = Case {
            root: tmp.path().to_path_buf(),
            map: DirstateMap::new_empty(),
            paths: Vec::new(),
            locked: Vec::new(),
            log: Vec::new(),
        };
        fs::create_dir(case.root.join(".hg")).unwrap();
        let ignore_text = *rng.pick(IGNORES);
        if let Some(text) = ignore_text {
            fs::write(case.root.join(".hgignore"), text).unwrap();
            if rng.chance(50) {
                case.track(".hgignore", 0o100644);
            }
        }
        case.fill(&mut rng, "", 0);
        let data = case.map.pack_v1(&([0u8; 20], [0u8; 20])).unwrap();
        fs::write(case.root.join(".hg/dirstate"), data).unwrap();
        for (p, mode) in &case.locked {
            fs::set_permissions(p, fs::Permissions::from_mode(*mode)).unwrap();
        }
        // Several queries per tree.
        for _ in 0..4 {
            let spec = Spec::random(&mut rng, &case.paths);
            let (lu, li, keep) = (rng.chance(70), rng.chance(40), rng.chance(30));
            let opts = StatusOptions {
                check_exec: true,
                list_unknown: lu,
                list_ignored: li,
                collect_empty_dirs: true,
                empty_dirs_keep_files: keep,
                ..StatusOptions::default()
            };
            let flags: String = [(lu, 'u'), (li, 'i'), (keep, 'k')]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, c)| *c)
                .collect();
            let flags = if flags.is_empty() {
                "-".to_string()
            } else {
                flags
            };
            let theirs = match upstream(oracle, &case, &spec, &flags) {
                Ok(v) => v,
                Err(e) => {
                    t.failures.push(format!("seed {s}: oracle failed: {e}"));
                    continue;
                }
            };
            let Some(mine) = ours(&case, &spec, opts) else {
                t.fell_back += 1;
                continue;
            };
            t.compared += 1;
            if !mine.is_empty() || !theirs.is_empty() {
                t.non_empty += 1;
            }
            if mine != theirs {
                t.failures.push(format!(
                    "seed {s}: flags {flags} matcher {:?}\n  ignore {ignore_text:?}\n  ours     {:?}\n  upstream {:?}\n  tree:\n    {}\n  locked {:?}",
                    spec.args(),
                    show(&mine),
                    show(&theirs),
                    case.log.join("\n    "),
                    case.locked,
                ));
            }
        }
        for (p, _) in &case.locked {
            let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o755));
        }
    }
    t
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "needs EMPTY_DIRS_ORACLE, built by tests/upstream-oracle/build.sh"]
fn empty_dirs_match_upstream() {
    let oracle = std::env::var("EMPTY_DIRS_ORACLE")
        .expect("EMPTY_DIRS_ORACLE: path of the oracle built by tests/upstream-oracle/build.sh");
    let seed = env_u64("EMPTY_DIRS_DIFF_SEED", 1);
    let count = env_u64("EMPTY_DIRS_DIFF_CASES", 400);
    let t = run_cases(&oracle, seed, count);
    // SAFETY: plain getter.
    let euid = unsafe { libc::geteuid() };
    eprintln!(
        "empty_dirs vs upstream 7.2.4 (uid {euid}, {count} trees from seed {seed}): \
         {} queries compared ({} with a non-empty list), {} fell back, {} mismatches",
        t.compared,
        t.non_empty,
        t.fell_back,
        t.failures.len()
    );
    assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
    if euid == 0 {
        // Again where permissions apply.
        use std::os::unix::process::CommandExt;
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let copy = tmp.path().join("status_empty_dirs_upstream");
        fs::copy(std::env::current_exe().unwrap(), &copy).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new(&copy)
            .args([
                "--exact",
                "empty_dirs_match_upstream",
                "--ignored",
                "--nocapture",
            ])
            .env("TMPDIR", "/tmp")
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprint!("{stderr}");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "as nobody:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
