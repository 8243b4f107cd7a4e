//! `.hg/fsmonitor.state` files written by Mercurial's own fsmonitor
//! `state.py` (tests/fixtures/fsmonitor_state/generate.py), read and
//! rewritten by `hg_core::watchman::state`: every file must read as
//! Python's `state.get` reads it, and every file Python wrote must come
//! out of our writer byte for byte.

use std::path::PathBuf;

use hg_core::watchman::state::{parse, serialize, Loaded, State, StateFile};

const HOST: &[u8] = b"fixture-host";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fsmonitor_state")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// (name, what Python's `get` returned: `None` for invalid/missing).
fn expected() -> Vec<(String, Option<State>)> {
    let text = std::fs::read_to_string(dir().join("expected.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let (name, answer) = line.split_once('\t').unwrap();
            let state = (answer != "none").then(|| {
                let mut values = answer.split(',').map(unhex);
                State {
                    clock: values.next().unwrap(),
                    ignore_hash: values.next().unwrap(),
                    notefiles: values.collect(),
                }
            });
            (name.to_owned(), state)
        })
        .collect()
}

#[test]
fn watchman_state_fixtures_read_like_state_py() {
    let all = expected();
    assert!(all.len() >= 13);
    for (name, python) in all {
        let bytes = std::fs::read(dir().join(format!("{name}.state"))).unwrap();
        assert_eq!(parse(&bytes, HOST).ok(), python, "{name}");

        // Through the file API too: an invalid file is deleted, as
        // `state.get` does.
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(repo.path().join("fsmonitor.state"), &bytes).unwrap();
        let mut file = StateFile::new(repo.path());
        match (file.get(HOST).unwrap(), &python) {
            (Loaded::Valid(state), Some(p)) => assert_eq!(&state, p, "{name}"),
            (Loaded::Invalidated(_), None) => {
                assert!(!file.path().exists(), "{name}")
            }
            (got, _) => panic!("{name}: {got:?} but Python read {python:?}"),
        }
    }
}

#[test]
fn watchman_state_fixtures_written_byte_for_byte() {
    for (name, python) in expected() {
        if name.starts_with("hand_") {
            continue; // made by hand, not by state.set
        }
        let state = python.unwrap();
        let bytes = std::fs::read(dir().join(format!("{name}.state"))).unwrap();
        assert_eq!(serialize(&state, HOST), bytes, "{name}");

        // And through StateFile::set, after a get as fsmonitor does.
        let repo = tempfile::tempdir().unwrap();
        let mut file = StateFile::new(repo.path());
        assert_eq!(file.get(HOST).unwrap(), Loaded::Missing);
        file.set(HOST, Some(&state)).unwrap();
        assert_eq!(std::fs::read(file.path()).unwrap(), bytes, "{name}");
    }
}
