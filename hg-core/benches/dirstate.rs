//! Micro-benchmarks of the dirstate formats, on synthetic source-tree-like
//! dirstates (the shapes `benches/gen.py` commits): the per-command cost
//! every `hg status` pays before it touches the file system.
//!
//! Run with `cargo bench -p hg-core --bench dirstate`; the end-to-end numbers
//! are `benches/run.py`'s.

use divan::{black_box, Bencher};
use hg_core::dirstate::{DirstateMap, OnDiskBytes};

fn main() {
    divan::main();
}

/// Sizes in entries: a mid-size and a large working copy.
const SIZES: &[usize] = &[100_000, 260_000];

/// Deterministic tree paths: 8-40 files per directory, up to 6 levels deep,
/// from a tiny LCG so the benchmark needs no random-number crate.
fn tree_paths(n: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    const WORDS: &[&str] = &[
        "core", "net", "util", "io", "fs", "db", "ui", "api", "lib", "src",
    ];
    const EXTS: &[&str] = &[".c", ".h", ".py", ".rs", ".txt"];
    let mut dirs: Vec<String> = vec![String::new()];
    let mut head = 0;
    let mut paths = Vec::with_capacity(n);
    while paths.len() < n {
        if head == dirs.len() {
            dirs.push(format!("top{head}"));
        }
        let dir = dirs[head].clone();
        head += 1;
        for i in 0..(8 + next(33)) {
            if paths.len() == n {
                break;
            }
            let name = format!("{}_{i}{}", WORDS[next(10) as usize], EXTS[next(5) as usize]);
            paths.push(
                if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                }
                .into_bytes(),
            );
        }
        if dir.matches('/').count() < 5 {
            for k in 0..(1 + next(6)) {
                let name = format!("{}{k}", WORDS[next(10) as usize]);
                dirs.push(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    paths
}

/// A dirstate-v1 file as Mercurial writes it after a clean `hg status`:
/// every entry normal, with mode, size and a recorded mtime.
fn v1_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0x11u8; 20];
    out.extend_from_slice(&[0u8; 20]);
    for (i, path) in tree_paths(n).iter().enumerate() {
        out.push(b'n');
        out.extend_from_slice(&0o100644u32.to_be_bytes());
        out.extend_from_slice(&(100 + (i as u32 % 4000)).to_be_bytes());
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_be_bytes());
        out.extend_from_slice(&(path.len() as u32).to_be_bytes());
        out.extend_from_slice(path);
    }
    out
}

#[divan::bench(args = SIZES)]
fn v1_parse(bencher: Bencher, n: usize) {
    let data = v1_bytes(n);
    bencher.bench(|| DirstateMap::new_v1(black_box(&data)).map(|(m, _)| m.len()));
}

#[divan::bench(args = SIZES)]
fn v1_pack(bencher: Bencher, n: usize) {
    let data = v1_bytes(n);
    let Ok((map, parents)) = DirstateMap::new_v1(&data) else {
        panic!("benchmark input must parse");
    };
    bencher.bench(|| map.pack_v1(black_box(&parents)).map(|b| b.len()));
}

/// dirstate-v2 data and tree metadata for the same tree, written by our own
/// writer from the v1 map (force-new mode: a fresh data file).
fn v2_input(n: usize) -> (Vec<u8>, Vec<u8>) {
    let Ok((map, _)) = DirstateMap::new_v1(&v1_bytes(n)) else {
        panic!("benchmark input must parse");
    };
    let Ok((data, metadata, _append)) = map.pack_v2(1) else {
        panic!("benchmark input must pack as v2");
    };
    (data, metadata)
}

#[divan::bench(args = SIZES)]
fn v2_parse(bencher: Bencher, n: usize) {
    let (data, metadata) = v2_input(n);
    bencher.bench(|| {
        let bytes = OnDiskBytes::Owned(black_box(&data).clone());
        DirstateMap::new_v2(bytes, data.len(), &metadata, b"bench").map(|m| m.len())
    });
}

#[divan::bench(args = SIZES)]
fn v2_pack(bencher: Bencher, n: usize) {
    let Ok((map, _)) = DirstateMap::new_v1(&v1_bytes(n)) else {
        panic!("benchmark input must parse");
    };
    bencher.bench(|| map.pack_v2(black_box(1)).map(|(d, _, _)| d.len()));
}
