//! Micro-benchmarks of the dirstate formats, on synthetic source-tree-like
//! dirstates (the shapes `benches/gen.py` commits): the per-command cost
//! every `hg status` pays before it touches the file system.
//!
//! Run with `cargo bench -p hg-core --bench dirstate`; the end-to-end numbers
//! are `benches/run.py`'s.

mod common;

use divan::{black_box, Bencher};
use hg_core::dirstate::{DirstateMap, OnDiskBytes};

fn main() {
    divan::main();
}

/// Sizes in entries: a mid-size and a large working copy.
const SIZES: &[usize] = &[100_000, 260_000];

/// A clean dirstate-v1 file of `n` entries with varied sizes.
fn v1_bytes(n: usize) -> Vec<u8> {
    let paths = common::tree_paths(n, common::SOURCE_EXTS);
    common::v1_bytes(&paths, |i| 100 + (i as u32 % 4000), 1_700_000_000)
}

/// Parsing a v1 file the map then keeps (the binding shares Python's
/// bytes; the copy made here for each run is not timed).
#[divan::bench(args = SIZES)]
fn v1_parse(bencher: Bencher, n: usize) {
    let data = v1_bytes(n);
    bencher
        .with_inputs(|| OnDiskBytes::Owned(data.clone()))
        .bench_values(|bytes| DirstateMap::new_v1(bytes).map(|(m, _)| m.len()));
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
    let Ok((map, _)) = DirstateMap::new_v1(v1_bytes(n)) else {
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
    // The copy of the input (as Python hands over its own bytes) is not
    // what is measured.
    bencher
        .with_inputs(|| OnDiskBytes::Owned(data.clone()))
        .bench_values(|bytes| {
            DirstateMap::new_v2(bytes, data.len(), &metadata, b"bench").map(|m| m.len())
        });
}

/// Loading, then building the tables (what every load cost before maps
/// were read in place, and what the first mutation costs now).
#[divan::bench(args = SIZES)]
fn v2_parse_tables(bencher: Bencher, n: usize) {
    let (data, metadata) = v2_input(n);
    bencher
        .with_inputs(|| OnDiskBytes::Owned(data.clone()))
        .bench_values(|bytes| {
            DirstateMap::new_v2(bytes, data.len(), &metadata, b"bench").map(|m| m.iter().count())
        });
}

/// A map of `n` entries loaded from dirstate-v2 (read in place).
fn v2_map(n: usize) -> DirstateMap {
    let (data, metadata) = v2_input(n);
    let size = data.len();
    let Ok(map) = DirstateMap::new_v2(OnDiskBytes::Owned(data), size, &metadata, b"b") else {
        panic!("benchmark input must load");
    };
    map
}

/// The status walk's sorted entries, from a map read in place.
#[divan::bench(args = SIZES)]
fn v2_sorted_entries_in_place(bencher: Bencher, n: usize) {
    let map = v2_map(n);
    bencher.bench(|| map.sorted_entries().len());
}

/// The entries a watchman status looks at (not settled), from a map read
/// in place, asked for the first time: a walk of the whole tree.
#[divan::bench(args = SIZES)]
fn v2_unsettled_in_place(bencher: Bencher, n: usize) {
    let (data, metadata) = v2_input(n);
    bencher
        .with_inputs(|| {
            let Ok(map) = DirstateMap::new_v2(
                OnDiskBytes::Owned(data.clone()),
                data.len(),
                &metadata,
                b"b",
            ) else {
                panic!("benchmark input must load");
            };
            map
        })
        .bench_refs(|map| map.unsettled_paths().len());
}

/// The same, asked again (what a chg worker pays when the server's loader
/// thread asked first): the kept answer.
#[divan::bench(args = SIZES)]
fn v2_unsettled_kept(bencher: Bencher, n: usize) {
    let map = v2_map(n);
    map.unsettled_paths();
    bencher.bench(|| map.unsettled_paths().len());
}

#[divan::bench(args = SIZES)]
fn v2_pack(bencher: Bencher, n: usize) {
    let Ok((map, _)) = DirstateMap::new_v1(v1_bytes(n)) else {
        panic!("benchmark input must parse");
    };
    bencher.bench(|| map.pack_v2(black_box(1)).map(|(d, _, _)| d.len()));
}
