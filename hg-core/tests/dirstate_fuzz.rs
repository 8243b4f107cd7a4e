//! Property tests: the v1 and v2 parsers must never panic, whatever the bytes
//! (arbitrary or mutations of real files written by Mercurial), and whatever
//! they accept must survive our writers and re-parse to the same map.
//! Run long with e.g. `PROPTEST_CASES=200000 cargo test --release --test dirstate_fuzz`.

use hg_core::dirstate::{DebugTuple, DirstateMap, Docket, OnDiskBytes};
use proptest::prelude::*;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/dirstate")
            .join(name),
    )
    .unwrap()
}

/// Entries as v2 stores them (v2 keeps only the exec and symlink bits of modes).
type Snapshot = (
    Vec<(Vec<u8>, (u16, u32, u32, u32))>,
    Vec<(Vec<u8>, Vec<u8>)>,
);

fn snapshot(m: &DirstateMap) -> Snapshot {
    let mut e: Vec<_> = m.iter().map(|(p, e)| (p.to_vec(), e.v2_data())).collect();
    e.sort_by(|a, b| a.0.cmp(&b.0));
    let mut c: Vec<_> = m
        .copy_map_iter()
        .filter(|(k, _)| m.contains_key(k))
        .map(|(a, b)| (a.to_vec(), b.to_vec()))
        .collect();
    c.sort();
    (e, c)
}

/// What a v1 round trip must preserve: v1 drops nanoseconds and cannot
/// represent some in-memory states, so compare the v1 tuples.
fn v1_view(m: &DirstateMap) -> Vec<(Vec<u8>, DebugTuple, Option<Vec<u8>>)> {
    let mut v: Vec<_> = m
        .iter()
        .map(|(p, e)| {
            (
                p.to_vec(),
                (e.state(), e.v1_mode(), e.v1_size(), e.v1_mtime()),
                m.copy_map_get(p).map(<[u8]>::to_vec),
            )
        })
        .collect();
    v.sort();
    v
}

fn check_v1(data: &[u8]) {
    if let Ok((map, parents)) = DirstateMap::new_v1(data) {
        let packed = map.pack_v1(&parents).unwrap();
        let (again, p2) = DirstateMap::new_v1(&packed).unwrap();
        assert_eq!(p2, parents);
        assert_eq!(v1_view(&again), v1_view(&map));
        // Paths with NUL make the v1 encoding ambiguous; otherwise, the
        // bytes are a fixed point after one round (duplicates collapse).
        assert_eq!(again.pack_v1(&parents).unwrap(), packed);
        exercise(map);
    }
}

fn check_v2(data: Vec<u8>, size: usize, meta: &[u8]) {
    let Ok(mut map) = DirstateMap::new_v2(OnDiskBytes::Owned(data.clone()), size, meta, b"u")
    else {
        return;
    };
    // What a map read in place answers, then the same questions once its
    // tables are built: any tree that loads must give the same answers.
    let lazy = in_place_answers(&map);
    let want = snapshot(&map);
    assert!(map.tables_built());
    assert_eq!(in_place_answers(&map), lazy);
    for mode in [0u8, 1, 2] {
        let Ok((bytes, new_meta, appended)) = map.pack_v2(mode) else {
            // Only oversize paths may refuse to be written.
            continue;
        };
        let whole = if appended {
            let mut w = data[..size].to_vec();
            w.extend_from_slice(&bytes);
            w
        } else {
            bytes
        };
        let n = whole.len();
        let again = DirstateMap::new_v2(OnDiskBytes::Owned(whole), n, &new_meta, b"u").unwrap();
        assert_eq!(snapshot(&again), want, "mode {mode}");
    }
    let _ = map.pack_v1(&([0; 20], [0; 20])).unwrap();
    let _ = map.debug_iter(true).count();
    let _ = map.has_tracked_dir(b"a");
    let paths: Vec<Vec<u8>> = map.iter().map(|(p, _)| p.to_vec()).collect();
    for p in paths.iter().take(8) {
        let _ = map.set_untracked(p);
        let _ = map.set_tracked(p);
    }
    let _ = map.pack_v2(0);
}

/// The answers a dirstate-v2 map gives without iterating (read in place
/// when it is), in a comparable form.
type InPlaceAnswers = (
    usize,
    usize,
    Vec<(Vec<u8>, (u16, u32, u32, u32))>,
    Vec<(Vec<u8>, Vec<u8>)>,
    Vec<(Vec<u8>, Option<(u16, u32, u32, u32)>, Option<Vec<u8>>, bool)>,
    Vec<Vec<u8>>,
);

fn in_place_answers(m: &DirstateMap) -> InPlaceAnswers {
    let sorted: Vec<_> = m
        .sorted_entries()
        .iter()
        .map(|(p, e)| (p.to_vec(), e.v2_data()))
        .collect();
    let copies: Vec<_> = m
        .copy_map_iter()
        .map(|(a, b)| (a.to_vec(), b.to_vec()))
        .collect();
    let mut probes: Vec<Vec<u8>> = sorted.iter().take(6).map(|(p, _)| p.clone()).collect();
    probes.extend(
        sorted
            .iter()
            .take(6)
            .filter_map(|(p, _)| p.iter().rposition(|&b| b == b'/').map(|i| p[..i].to_vec())),
    );
    probes.extend([b"".to_vec(), b"a".to_vec(), b"a/b".to_vec(), b"/".to_vec()]);
    let looked: Vec<_> = probes
        .into_iter()
        .map(|p| {
            let e = m.get(&p).map(|e| e.v2_data());
            let c = m.copy_map_get(&p).map(<[u8]>::to_vec);
            let d = m.cached_directory(&p).is_some();
            (p, e, c, d)
        })
        .collect();
    let not_clean = m
        .unsettled_paths()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    (m.len(), m.copy_map_len(), sorted, copies, looked, not_clean)
}

/// Runs mutations on a parsed map; errors are fine, panics are not.
fn exercise(mut map: DirstateMap) {
    let paths: Vec<Vec<u8>> = map.iter().map(|(p, _)| p.to_vec()).take(8).collect();
    let _ = map.has_dir(b"");
    for p in &paths {
        let _ = map.has_tracked_dir(p);
        let _ = map.set_possibly_dirty(p);
        let _ = map.set_untracked(p);
        let _ = map.setparents_fixup();
        let _ = map.set_tracked(p);
    }
    let _ = map.tracked_dirs().map(|d| d.count());
    if let Ok((bytes, meta, _)) = map.pack_v2(1) {
        let n = bytes.len();
        DirstateMap::new_v2(OnDiskBytes::Owned(bytes), n, &meta, b"x").unwrap();
    }
}

fn v1_fixtures() -> Vec<Vec<u8>> {
    ["simple", "merge", "merge-removed"]
        .iter()
        .map(|s| fixture(&format!("v1-{s}.dirstate")))
        .collect()
}

fn v2_fixtures() -> Vec<(Vec<u8>, Docket)> {
    ["simple", "merge", "merge-removed"]
        .iter()
        .map(|s| {
            (
                fixture(&format!("v2-{s}.data")),
                Docket::parse(&fixture(&format!("v2-{s}.dirstate"))).unwrap(),
            )
        })
        .collect()
}

/// (position, new byte) edits applied modulo the input length.
fn edits() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)
}

fn apply(mut data: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    if !data.is_empty() {
        for &(at, b) in edits {
            let n = data.len();
            data[at % n] = b;
        }
    }
    data
}

proptest! {
    #[test]
    fn v1_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        check_v1(&data);
    }

    #[test]
    fn v1_structured_records(
        recs in prop::collection::vec(
            (prop::sample::select(vec![b'n', b'a', b'r', b'm']), any::<i32>(),
             prop::sample::select(vec![-2i32, -1, 0, 5, i32::MAX, i32::MIN]),
             prop::sample::select(vec![-1i32, 0, 7, i32::MIN]),
             prop::collection::vec(prop::sample::select(b"ab/\0.".to_vec()), 0..6)),
            0..12)
    ) {
        let mut data = vec![7u8; 40];
        for (state, mode, size, mtime, name) in recs {
            data.push(state);
            for x in [mode, size, mtime, name.len() as i32] {
                data.extend_from_slice(&x.to_be_bytes());
            }
            data.extend_from_slice(&name);
        }
        check_v1(&data);
    }

    #[test]
    fn v1_mutated_fixture(which in 0usize..3, e in edits(), cut in any::<usize>()) {
        let mut data = apply(v1_fixtures().swap_remove(which), &e);
        if cut % 4 == 0 {
            data.truncate(cut % (data.len() + 1));
        }
        check_v1(&data);
    }

    #[test]
    fn v2_arbitrary_bytes(
        data in prop::collection::vec(any::<u8>(), 0..600),
        meta in prop::collection::vec(any::<u8>(), 44),
        root_start in 0u32..600, root_count in 0u32..6, size_cut in any::<usize>(),
    ) {
        let mut meta = meta;
        // Point the root somewhere plausible half of the time.
        if size_cut % 2 == 0 {
            meta[0..4].copy_from_slice(&root_start.to_be_bytes());
            meta[4..8].copy_from_slice(&root_count.to_be_bytes());
        }
        let size = size_cut % (data.len() + 2);
        check_v2(data, size, &meta);
    }

    #[test]
    fn v2_mutated_fixture(which in 0usize..3, e in edits(), meta_edits in edits(), meta_too in any::<bool>()) {
        let (data, docket) = v2_fixtures().swap_remove(which);
        let data = apply(data, &e);
        let meta = if meta_too { apply(docket.tree_metadata.clone(), &meta_edits) } else { docket.tree_metadata.clone() };
        check_v2(data, docket.data_size, &meta);
    }

    #[test]
    fn map_operations_on_arbitrary_paths(
        ops in prop::collection::vec((0u8..9, prop::collection::vec(prop::sample::select(b"a/b\0.".to_vec()), 0..5)), 0..40)
    ) {
        let mut m = DirstateMap::new_empty();
        let t = hg_core::dirstate::TruncatedTimestamp::new(5, 0, false).unwrap();
        for (op, p) in &ops {
            let _ = match op {
                0 => m.set_tracked(p).map(|_| ()),
                1 => m.set_untracked(p).map(|_| ()),
                2 => m.set_clean(p, 0o644, 1, t),
                3 => m.set_possibly_dirty(p),
                4 => m.reset_state(p, true, false, true, true, None),
                5 => m.copy_map_insert(p, b"x").map(|_| ()),
                6 => m.has_tracked_dir(p).map(|_| ()),
                7 => m.has_dir(p).map(|_| ()),
                _ => m.setparents_fixup().map(|_| ()),
            };
        }
        check_v1(&m.pack_v1(&([0; 20], [0; 20])).unwrap());
        if let Ok((bytes, meta, _)) = m.pack_v2(1) {
            let n = bytes.len();
            let again = DirstateMap::new_v2(OnDiskBytes::Owned(bytes), n, &meta, b"x").unwrap();
            prop_assert_eq!(snapshot(&again), snapshot(&m));
        }
    }
}
