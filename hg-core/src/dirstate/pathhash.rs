//! Hashing of path keys: XXH3 (the `twox-hash` crate).
//!
//! Dirstate maps hold hundreds of thousands of short byte-string keys that
//! come from the user's own repository, so SipHash's DoS resistance buys
//! nothing and costs time. XXH3 is fast on short inputs and mixes every
//! byte into the low bits open addressing uses. Measured with `cargo bench
//! -p hg-core --bench dirstate -- v1_parse` (100k / 260k entries, medians):
//! the hand-written FxHash with a murmur3 finaliser it replaced took 7.6 /
//! 25.8 ms, XXH3 6.6 / 22.4 ms.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// `HashMap` keyed with XXH3 (directory maps, copies, v2 bookkeeping).
pub type PathHashMap<K, V> = HashMap<K, V, BuildHasherDefault<twox_hash::XxHash3_64>>;

/// Hash of a byte string for [`super::table::EntryTable`]'s index.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    twox_hash::XxHash3_64::oneshot(bytes)
}
