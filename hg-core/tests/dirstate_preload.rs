//! `dirstate::preload`: a map parsed by the loader thread is handed over
//! only for input equal to what it was parsed from, once, and equals a fresh
//! parse of that input; a dirstate that cannot be parsed is not kept.

use std::path::Path;
use std::time::{Duration, Instant};

use hg_core::dirstate::preload::{
    counters, is_preloaded, pending_requests, take_v1, take_v2, DEFAULT_KEEP,
};
use hg_core::dirstate::v2::write::WRITE_MODE_FORCE_NEW;
use hg_core::dirstate::{DirstateMap, Docket};

fn sample_map() -> DirstateMap {
    let mut m = DirstateMap::new_empty();
    for p in [&b"a"[..], b"d/b", b"d/e/c", b"z"] {
        m.set_tracked(p).unwrap();
    }
    m.copy_map_insert(b"d/b", b"a").unwrap();
    m
}

fn listing(m: &DirstateMap) -> Vec<(Vec<u8>, String, Option<Vec<u8>>)> {
    m.iter()
        .map(|(p, e)| {
            (
                p.to_vec(),
                format!("{e:?}"),
                m.copy_map_get(p).map(<[u8]>::to_vec),
            )
        })
        .collect()
}

fn request(root: &Path) {
    hg_core::dirstate::preload::request(root, DEFAULT_KEEP);
}

fn wait_for(root: &Path) {
    let start = Instant::now();
    while !is_preloaded(root) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{} was never preloaded",
            root.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The counters are per process: tests that read them run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until the loader has handled every request made so far.
fn drain() {
    let start = Instant::now();
    while pending_requests() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the loader never finished"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Drops every kept map and the loader's memory of recent requests, so a
/// test starts from an empty list whatever ran before it.
fn reset() {
    hg_core::dirstate::preload::request(Path::new("/nonexistent/reset"), 0);
    drain();
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".hg")).unwrap();
    dir
}

#[test]
fn v1_map_is_handed_over_for_equal_bytes_only_and_once() {
    let _serial = serial();
    reset();
    let dir = repo();
    let parents = ([1; 20], [2; 20]);
    let bytes = sample_map().pack_v1(&parents).unwrap();
    std::fs::write(dir.path().join(".hg/dirstate"), &bytes).unwrap();
    request(dir.path());
    wait_for(dir.path());

    let mut other = bytes.clone();
    *other.last_mut().unwrap() ^= 1;
    assert!(take_v1(&other).is_none());
    assert!(take_v1(&bytes[..bytes.len() - 1]).is_none());

    let (map, got_parents) = take_v1(&bytes).expect("preloaded map for equal bytes");
    let (fresh, fresh_parents) = DirstateMap::new_v1(&bytes).unwrap();
    assert_eq!(got_parents, fresh_parents);
    assert_eq!(listing(&map), listing(&fresh));
    assert!(take_v1(&bytes).is_none(), "handed over twice");
    assert!(!is_preloaded(dir.path()));
}

#[test]
fn v2_map_is_handed_over_for_equal_docket_and_data_only() {
    let _serial = serial();
    reset();
    let dir = repo();
    let (data, meta, _append) = sample_map().pack_v2(WRITE_MODE_FORCE_NEW).unwrap();
    let docket = Docket {
        parents: ([3; 20], [0; 20]),
        tree_metadata: meta.clone(),
        data_size: data.len(),
        uuid: b"0123abcd".to_vec(),
    };
    // Bytes past data_size (an interrupted append) do not count.
    let mut file = data.clone();
    file.extend_from_slice(b"garbage");
    std::fs::write(dir.path().join(".hg/dirstate.0123abcd"), &file).unwrap();
    std::fs::write(dir.path().join(".hg/dirstate"), docket.serialize().unwrap()).unwrap();
    request(dir.path());
    wait_for(dir.path());

    let size = data.len();
    assert!(take_v2(&file, size, &meta, b"0123abce").is_none());
    assert!(take_v2(&file, size - 44, &meta, b"0123abcd").is_none());
    let mut other_meta = meta.clone();
    other_meta[0] ^= 1;
    assert!(take_v2(&file, size, &other_meta, b"0123abcd").is_none());
    let mut other_data = file.clone();
    other_data[0] ^= 1;
    assert!(take_v2(&other_data, size, &meta, b"0123abcd").is_none());
    assert!(take_v2(&file[..size - 1], size, &meta, b"0123abcd").is_none());

    let map = take_v2(&file, size, &meta, b"0123abcd").expect("preloaded map");
    let fresh = DirstateMap::new_v2(
        hg_core::dirstate::OnDiskBytes::Owned(data.clone()),
        size,
        &meta,
        b"0123abcd",
    )
    .unwrap();
    assert_eq!(listing(&map), listing(&fresh));
    assert_eq!(map.v2_data(), Some(&data[..]));
    // Appending to the map reuses the preloaded data as it would the read one.
    assert_eq!(
        map.pack_v2(0).unwrap(),
        fresh.pack_v2(0).unwrap(),
        "an append-mode write differs"
    );
    assert!(take_v2(&file, size, &meta, b"0123abcd").is_none());
}

#[test]
fn a_dirstate_that_does_not_parse_is_not_kept() {
    let _serial = serial();
    reset();
    let bad = repo();
    std::fs::write(bad.path().join(".hg/dirstate"), b"too short").unwrap();
    let missing = repo();
    let good = repo();
    let bytes = sample_map().pack_v1(&([7; 20], [0; 20])).unwrap();
    std::fs::write(good.path().join(".hg/dirstate"), &bytes).unwrap();
    request(bad.path());
    request(missing.path());
    request(good.path());
    // One loader thread takes requests in order.
    wait_for(good.path());
    assert!(!is_preloaded(bad.path()));
    assert!(!is_preloaded(missing.path()));
    assert!(take_v1(b"too short").is_none());
}

#[test]
fn an_unchanged_dirstate_is_not_parsed_again_and_a_changed_one_is() {
    let _serial = serial();
    reset();
    for v2 in [false, true] {
        let dir = repo();
        let mut m = sample_map();
        let write = |m: &DirstateMap, uuid: &[u8]| {
            if v2 {
                let (data, meta, _) = m.pack_v2(WRITE_MODE_FORCE_NEW).unwrap();
                let docket = Docket {
                    parents: ([3; 20], [0; 20]),
                    tree_metadata: meta,
                    data_size: data.len(),
                    uuid: uuid.to_vec(),
                };
                let name = format!(".hg/dirstate.{}", std::str::from_utf8(uuid).unwrap());
                std::fs::write(dir.path().join(name), &data).unwrap();
                std::fs::write(dir.path().join(".hg/dirstate"), docket.serialize().unwrap())
                    .unwrap();
            } else {
                let bytes = m.pack_v1(&([1; 20], [2; 20])).unwrap();
                std::fs::write(dir.path().join(".hg/dirstate"), bytes).unwrap();
            }
        };
        write(&m, b"aaaa");
        request(dir.path());
        wait_for(dir.path());
        drain();
        let (loaded, _) = counters();
        request(dir.path());
        drain();
        assert_eq!(
            counters().0,
            loaded,
            "v2={v2}: reloaded an unchanged dirstate"
        );
        m.set_tracked(b"new").unwrap();
        write(&m, b"bbbb");
        request(dir.path());
        drain();
        assert_eq!(
            counters().0,
            loaded + 1,
            "v2={v2}: a changed dirstate was not reloaded"
        );
    }
}

#[test]
fn only_the_most_recently_requested_repositories_are_kept() {
    let _serial = serial();
    reset();
    let repos: Vec<_> = (0..3u8)
        .map(|i| {
            let dir = repo();
            let bytes = sample_map().pack_v1(&([i; 20], [0x55; 20])).unwrap();
            std::fs::write(dir.path().join(".hg/dirstate"), &bytes).unwrap();
            (dir, bytes)
        })
        .collect();
    let keep2 = |i: usize| hg_core::dirstate::preload::request(repos[i].0.path(), 2);
    keep2(0);
    keep2(1);
    // Requested again, unchanged: not parsed again, but now the most recent.
    keep2(0);
    // New to a full list, but requested twice within the last two requests.
    keep2(2);
    keep2(2);
    wait_for(repos[2].0.path());
    drain();
    assert!(is_preloaded(repos[0].0.path()));
    assert!(!is_preloaded(repos[1].0.path()));
    assert!(take_v1(&repos[1].1).is_none());
    // keep = 0 drops everything.
    hg_core::dirstate::preload::request(repos[2].0.path(), 0);
    let start = Instant::now();
    while is_preloaded(repos[2].0.path()) && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!is_preloaded(repos[0].0.path()) && !is_preloaded(repos[2].0.path()));
}

/// Rotating over more repositories than are kept must not parse a map per
/// request that is evicted before it is used: the list keeps the first ones
/// and a newcomer only gets in when requested again soon.
#[test]
fn a_rotation_wider_than_the_list_does_not_thrash_it() {
    let _serial = serial();
    reset();
    let repos: Vec<_> = (0..3u8)
        .map(|i| {
            let dir = repo();
            let bytes = sample_map().pack_v1(&([i; 20], [0x66; 20])).unwrap();
            std::fs::write(dir.path().join(".hg/dirstate"), &bytes).unwrap();
            dir
        })
        .collect();
    let keep2 = |i: usize| hg_core::dirstate::preload::request(repos[i].path(), 2);
    let (before, _) = counters();
    for _round in 0..3 {
        for i in 0..3 {
            keep2(i);
        }
    }
    drain();
    assert_eq!(
        counters().0,
        before + 2,
        "maps parsed for a 3-wide rotation"
    );
    assert!(is_preloaded(repos[0].path()) && is_preloaded(repos[1].path()));
    assert!(!is_preloaded(repos[2].path()));
    // Working in the third repository for a while brings it in, in place
    // of the least recently requested one.
    keep2(2);
    keep2(2);
    drain();
    assert_eq!(counters().0, before + 3);
    assert!(is_preloaded(repos[2].path()) && is_preloaded(repos[1].path()));
    assert!(!is_preloaded(repos[0].path()));
}

/// The loader runs at the lowest priority (nice 19), so that a parse for
/// the next command never takes a core from the command running now. Read
/// from `/proc`: field 19 of the thread's `stat` is its nice value.
#[test]
fn the_loader_thread_runs_at_the_lowest_priority() {
    let _serial = serial();
    reset(); // the loader exists and has run
    let mut found = None;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let task = task.unwrap().path();
        let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        // The kernel keeps 15 bytes of a thread's name.
        if comm.trim_end() == "dirstate-preloa" {
            let stat = std::fs::read_to_string(task.join("stat")).unwrap();
            // Fields after the command name, which is in parentheses.
            let rest = &stat[stat.rfind(')').unwrap() + 2..];
            let nice: i32 = rest.split(' ').nth(16).unwrap().parse().unwrap();
            found = Some(nice);
        }
    }
    assert_eq!(found, Some(19), "the loader thread's nice value");
}
