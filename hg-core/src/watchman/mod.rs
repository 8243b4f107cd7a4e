//! Talking to watchman as Mercurial's `fsmonitor` extension does, so that
//! `hg status` can be answered from the files watchman reports as
//! changed since the clock in `.hg/fsmonitor.state`.
//!
//! One job per module:
//!
//! - [`protocol`]: BSER, the wire encoding (decode one PDU, encode one
//!   command);
//! - [`client`]: finding the socket (`$WATCHMAN_SOCK`, else `watchman
//!   --output-encoding=bser get-sockname`, as pywatchman does), connecting
//!   with a timeout, one command at a time, unilateral PDUs skipped,
//!   watchman's `error` as a typed error; `watch` and `clock`;
//! - [`query`]: fsmonitor's since-query, copied key for key, and its typed
//!   answer;
//! - [`changes`]: the question status asks (connect, one since-query
//!   with fsmonitor's timeouts, the paths and the new clock);
//! - [`state`]: `.hg/fsmonitor.state`, byte-compatible with fsmonitor's
//!   `state.py`, written atomically like Mercurial's `atomictemp`.
//!
//! Design choices:
//!
//! - **BSER, not JSON.** pywatchman (hence fsmonitor) speaks BSER. File
//!   names are byte strings there, exactly the file system's bytes; in
//!   JSON they must be UTF-8, and watchman 4.9.0 (Debian's) sends *no
//!   answer at all* to a JSON query whose result holds a non-UTF-8 name
//!   (the client times out: checked against the real server), and
//!   watchman's maintainers name BSER as the way to get such names
//!   (facebook/watchman issues #123 and #441). BSER is
//!   about half the bytes. Measured with `tools/watchman-encoding` (a
//!   private watchman 4.9.0, fsmonitor's query from the null clock, i.e.
//!   every file, paths like `src/module_0123/component/file_000456_name.rs`;
//!   median of 7, on the 2-core machine while other benchmarks ran, so
//!   ±20 %):
//!
//!   | files   | JSON bytes | BSER bytes | round trip JSON / BSER | decode: serde_json / serde_bser / ours |
//!   |---------|-----------:|-----------:|-----------------------:|----------------------------------------|
//!   | 5,000   | 562 KB     | 306 KB     | 12 / 12 ms             | 1.2 / 0.8 / 1.4 ms                     |
//!   | 260,000 | 29.2 MB    | 15.9 MB    | 530-800 / 525-640 ms   | 95-145 / 60-82 / 96-108 ms             |
//!
//!   The round trip (watchman's own work, mostly) dwarfs decoding, and
//!   both encodings decode in about the same time: the choice is made by
//!   the non-UTF-8 names, not by speed.
//! - **A small hand-written BSER codec rather than the `serde_bser`
//!   crate** (watchman's own, 0.4.0): its slice reader computes
//!   `index + len` with a length read from the input and slices with it,
//!   so a negative or huge length panics (overflow / out-of-bounds:
//!   `tools/watchman-encoding/examples/serde_bser_hostile.rs`) and
//!   its stream reader resizes a buffer to an untrusted length; it also
//!   brings `anyhow`, `bytes`, `serde_bytes` and a second `thiserror`.
//!   It also reads only BSER v2 PDUs, and pywatchman's v1 commands get v1
//!   answers. The format is a dozen type bytes; ours reads v1 and v2,
//!   borrows strings from the PDU (no copy of 260,000 names before the
//!   typed result), keeps templates encoded until read row by row, checks
//!   every length against the bytes left, limits nesting, and is fuzzed
//!   by the unit tests (every truncation, every one-byte corruption).
//!   serde_bser decoding straight into a typed struct is still ~1.3x
//!   faster on 260,000 files (it validates and converts in one pass); a
//!   streaming typed decoder could close that if it ever matters.
//! - **Blocking I/O with per-operation timeouts**, as pywatchman's
//!   `sock.settimeout`: one command at a time needs no async runtime.
//! - **fsmonitor's exact query** (fields `mode mtime size exists name`,
//!   the `.hg` exclusion, `sync_timeout`, `empty_on_fresh_instance`), so
//!   that the state file stays interchangeable with fsmonitor's: both
//!   read and write the same clock and notable files.
//!
//! Non-UTF-8 names: fsmonitor decodes names with the file system encoding
//! and `surrogateescape` (pywatchman), then re-encodes them strictly
//! (`fname.encode(_watchmanencoding)` in `overridewalk`), which raises
//! `UnicodeEncodeError` for a non-UTF-8 name: Mercurial with fsmonitor
//! fails there. We return the raw bytes, which is what the file system
//! and the dirstate hold (`_watchmantofsencoding` only changes anything on
//! Windows, where watchman's encoding differs from the file system's).

pub mod changes;
pub mod client;
pub mod protocol;
pub mod query;
pub mod state;

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;

pub use changes::{changes_since, Changes, ChangesRequest};
pub use client::{default_binary, resolve_sockname, Client};
pub use protocol::{DecodeError, Value};
pub use query::{FileChange, QueryResult, SinceQuery};
pub use state::{Loaded, State, StateFile};

/// Why watchman could not answer. Every variant means "walk the working
/// copy instead" to a status caller, as fsmonitor's `Unavailable` does;
/// [`WatchmanError::is_unresolved_root`] tells the one case fsmonitor
/// answers with a `watch`.
#[derive(Debug, thiserror::Error)]
pub enum WatchmanError {
    /// The watchman executable could not be started (not installed).
    #[error("could not run {binary:?}: {source}")]
    Spawn {
        /// The executable tried.
        binary: OsString,
        /// Why it failed.
        source: io::Error,
    },
    /// `watchman get-sockname` failed or answered with an error.
    #[error("get-sockname error: {0}")]
    GetSockname(String),
    /// The socket could not be connected to (server not running, stale
    /// path, or no connection within the timeout).
    #[error("unable to connect to {path:?}: {source}")]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// No byte came within the timeout (pywatchman: "timed out waiting
    /// for response"; fsmonitor does not warn about it).
    #[error("timed out waiting for response")]
    Timeout,
    /// The server closed the connection, possibly mid-answer.
    #[error("watchman closed the connection")]
    Closed,
    /// Any other socket error.
    #[error("I/O error communicating with watchman: {0}")]
    Io(#[source] io::Error),
    /// The answer was not valid BSER.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Watchman answered with an `error` (pywatchman's `CommandError`).
    #[error("watchman command error: {0}")]
    Command(String),
    /// A well-formed answer without the fields expected.
    #[error("unexpected watchman answer: {0}")]
    Unexpected(String),
}

impl WatchmanError {
    /// Watchman does not know the root: fsmonitor's `WatchmanNoRoot`
    /// (`'unable to resolve root' in ex.msg`), answered by a `watch` of
    /// the root and the command again.
    pub fn is_unresolved_root(&self) -> bool {
        matches!(self, WatchmanError::Command(m) if m.contains("unable to resolve root"))
    }
}
