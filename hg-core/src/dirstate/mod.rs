//! The dirstate: what Mercurial knows about each tracked file.
//!
//! Implements the contract of `scratch/prompts/dirstate-api.md` for
//! Mercurial 6.9.5. Properties worth knowing:
//!
//! - Entries iterate in Python `dict` order (insertion order, overwrite keeps
//!   the position; see `table`), so `pack_v1` is byte-identical to C's
//!   `pack_dirstate` after the same parse/mutation sequence, and a v2 read
//!   inserts in the order of Mercurial's Python v2 reader (post-order).
//! - The v2 reader is as lenient as Mercurial's C/Python one about field
//!   values (nanoseconds, path bytes are not validated) and strict about
//!   structure (every offset/count checked against `data_size`, cycles
//!   detected): anything else is `Corrupted`, never a panic.
//!
//! Deviations from that contract (for the binding):
//!
//! - Errors: [`DirstateError`] has more variants than `Corrupted`/`Io`, one
//!   per Python exception: `V1Format` (C parser's `ValueError`, exact
//!   message), `UnknownState` (`RuntimeError`), `ConsecutiveSlashes` and
//!   `DirNotFound` (`ValueError`), `NoSuchEntry` (`KeyError(path)`),
//!   `InvalidTimestamp` (`ValueError`), `TooLarge` (`ValueError`/`OverflowError`).
//!   `Corrupted` is dirstate-v2 only (`error.CorruptedDirstate`).
//! - `DirstateMapIter` is a type alias of the table iterator; `CopyMapIter`
//!   and `DirsIter` are named types; `debug_iter` returns a
//!   `vec::IntoIter<(Cow<[u8]>, DebugTuple)>` sorted by path.
//! - Extra helpers: `DirstateEntry::from_item_args` (the Python
//!   `DirstateItem(...)` constructor with has_meaningful_* flags),
//!   `DirstateEntry::raw_p2_info`/`from_p2`, `TruncatedTimestamp::make_reliable`
//!   and `from_seconds_and_nanos`, `OnDiskBytes::Shared` / `map_file`.
//! - `DirstateEntry` equals DirstateItem semantically; the only byte-level
//!   difference from the C type is that a dropped mtime also drops its
//!   "second ambiguous" bit (C keeps a stale bit in v2 flags, unobservable).
//! - `DirstateEntry::state()` of an entry tracked nowhere is `n` as in C
//!   (pure Python says `?`); such entries never live in a map.
//! - `DirstateEntry::set_clean` keeps p2_info and fallback bits, like
//!   `pure/parsers.py` and upstream Rust; the C DirstateItem clears them.
//! - dirstate-v2 writes: append mode references the old child block of every
//!   directory with no change below it since loading, and counts replaced
//!   blocks (nodes + their paths/copy sources) in `unreachable_bytes` exactly;
//!   auto mode appends iff that count / old data size < 0.5 (upstream rule).
//!   Copy sources of paths without an entry are not written (as in Python).
//!   Reading ignores `data` past `data_size` and rejects any offset past it.
//! - Directory multisets include the root "" (as C `dirs` does) and reject
//!   any path containing "//" up front (C only notices while walking up).
//! - Directory multisets count exactly (tracked = wc-tracked entries, all =
//!   every entry), i.e. what a freshly built `pathutil.dirs` gives; Python's
//!   incremental bookkeeping has corner cases that drift (e.g. `reset_state`
//!   to removed), upstream Rust is exact too.

mod copymap;
pub mod dirs;
pub mod docket;
pub mod entry;
pub mod error;
pub mod map;
pub mod on_disk;
pub(crate) mod pathhash;
pub mod preload;
pub mod sorted;
mod table;
pub mod timestamp;
pub mod v1;
pub mod v2;

pub use dirs::{DirsIter, DirsMultiset};
pub use docket::Docket;
pub use entry::{DirstateEntry, AMBIGUOUS_TIME, FROM_P2, NONNORMAL};
pub use error::DirstateError;
pub use map::{
    CachedDirectory, CopyMapIter, CopyPairs, DebugTuple, DirstateMap, DirstateMapIter, Parents,
};
pub use on_disk::OnDiskBytes;
pub use sorted::{EntryResolver, SortedEntries};
pub use table::TableIter;
pub use timestamp::TruncatedTimestamp;
