//! Replays `fixtures/dirstate/map-ops.txt` (recorded from Mercurial's own
//! `dirstatemap` by make-ops.py) against `DirstateMap`: every return value,
//! the whole map after every operation (dict order included), directory
//! membership, and the final packed dirstate-v1 bytes must match.

use hg_core::dirstate::{DirstateError, DirstateMap, TruncatedTimestamp};
use std::path::PathBuf;

const DIRS: [&[u8]; 8] = [b"d", b"d/e", b"f", b"f/g", b"d-e", b"a", b"g", b""];

fn state_line(m: &mut DirstateMap, query_dirs: bool) -> String {
    let ents: Vec<String> = m
        .iter()
        .map(|(p, e)| {
            format!(
                "{}:{}:{}:{}:{}",
                String::from_utf8_lossy(p),
                e.state() as char,
                e.v1_mode(),
                e.v1_size(),
                e.v1_mtime()
            )
        })
        .collect();
    // In dict order, as Mercurial prints them.
    let cps: Vec<(Vec<u8>, Vec<u8>)> = m
        .copy_map_iter()
        .map(|(a, b)| (a.to_vec(), b.to_vec()))
        .collect();
    let cps: Vec<String> = cps
        .iter()
        .map(|(a, b)| {
            format!(
                "{}<{}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            )
        })
        .collect();
    let mut dirs = String::new();
    if query_dirs {
        for d in DIRS {
            dirs.push(if m.has_tracked_dir(d).unwrap() {
                'T'
            } else {
                '-'
            });
            dirs.push(if m.has_dir(d).unwrap() { 'A' } else { '-' });
        }
    }
    format!("{}|{}|{}", ents.join(","), cps.join(","), dirs)
}

fn ts(s: &str, ns: &str, amb: &str) -> TruncatedTimestamp {
    TruncatedTimestamp::new(s.parse().unwrap(), ns.parse().unwrap(), amb == "1").unwrap()
}

fn unit(r: Result<(), DirstateError>) -> String {
    match r {
        Ok(()) => "None".into(),
        Err(DirstateError::NoSuchEntry(_)) => "KeyError".into(),
        Err(e) => panic!("{e}"),
    }
}

fn apply(m: &mut DirstateMap, op: &str) -> String {
    let w: Vec<&str> = op.split(' ').collect();
    let p = w.get(1).map_or(&b""[..], |s| s.as_bytes());
    let py = |b: bool| if b { "True" } else { "False" }.to_string();
    match w[0] {
        "set_tracked" => py(m.set_tracked(p).unwrap()),
        "set_untracked" => py(m.set_untracked(p).unwrap()),
        "set_clean" => unit(m.set_clean(
            p,
            w[2].parse().unwrap(),
            w[3].parse::<u64>().unwrap() as u32,
            ts(w[4], w[5], w[6]),
        )),
        "set_possibly_dirty" => unit(m.set_possibly_dirty(p)),
        "reset_state" => {
            let b = |i: usize| w[i] == "1";
            let f: Vec<&str> = w[6].split(':').collect();
            let pfd = match f.as_slice() {
                ["none"] => None,
                [mode, size, "none"] => Some((mode.parse().unwrap(), size.parse().unwrap(), None)),
                [mode, size, s, ns, amb] => Some((
                    mode.parse().unwrap(),
                    size.parse().unwrap(),
                    Some(ts(s, ns, amb)),
                )),
                other => panic!("bad pfd {other:?}"),
            };
            unit(m.reset_state(p, b(2), b(3), b(4), b(5), pfd))
        }
        "copy" => {
            m.copy_map_insert(p, w[2].as_bytes()).unwrap();
            "None".into()
        }
        "copy_remove" => match m.copy_map_remove(p).unwrap() {
            None => "None".into(),
            Some(s) => String::from_utf8(s).unwrap(),
        },
        "fixup" => {
            let mut v = m.setparents_fixup().unwrap();
            v.sort();
            let s: Vec<String> = v
                .iter()
                .map(|(a, b)| {
                    format!(
                        "{}<{}",
                        String::from_utf8_lossy(a),
                        String::from_utf8_lossy(b)
                    )
                })
                .collect();
            if s.is_empty() {
                "-".into()
            } else {
                s.join(",")
            }
        }
        "clear" => {
            m.clear();
            "None".into()
        }
        other => panic!("unknown op {other}"),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn replay(query_every: usize) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/dirstate/map-ops.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let mut m = DirstateMap::new_empty();
    for (n, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[0] == "pack" {
            let packed = m.pack_v1(&([1; 20], [2; 20])).unwrap();
            assert_eq!(packed, unhex(cols[1]), "final pack");
            return;
        }
        let res = apply(&mut m, cols[0]);
        assert_eq!(res, cols[1], "line {}: {}", n + 1, cols[0]);
        let query = n % query_every == 0;
        let got = state_line(&mut m, query);
        let want = if query {
            cols[2].to_string()
        } else {
            cols[2].rsplit_once('|').unwrap().0.to_string() + "|"
        };
        assert_eq!(got, want, "line {}: {}", n + 1, cols[0]);
    }
    panic!("no pack line");
}

#[test]
fn replay_with_dirs_maintained_incrementally_from_the_start() {
    replay(1);
}

#[test]
fn replay_with_dirs_built_lazily_and_rarely_queried() {
    replay(97);
}
