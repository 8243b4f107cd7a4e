//! Dirstate maps parsed ahead of time in a long-lived process, for the
//! processes it forks.
//!
//! Mercurial's command server (`chg`) forks one worker per command from a
//! server that stays up. Each worker reads and parses the dirstate anew: at
//! 260k files that is 10-50 ms of a command that otherwise takes 100 ms
//! under `chg`. The server can parse it once, after a command ended (it is
//! told the repository's root then), and every later worker inherits the
//! parsed map through `fork`.
//!
//! Never stale by construction: parsing is a pure function of the bytes
//! read, so a preloaded map is handed over only to a caller whose own bytes
//! (read by Mercurial, as always) are equal to the ones it was parsed from;
//! otherwise the caller parses them. Nothing else about the file (mtime,
//! identity) is trusted.
//!
//! Fork safety: parsing runs in one plain thread of the server (no rayon:
//! a pool started in the server would be unusable in its forked children),
//! and the shared list is only ever `try_lock`ed by takers, so a worker
//! forked while the loader held the lock just parses for itself.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

use super::docket::{Docket, V2_FORMAT_MARKER};
use super::error::DirstateError;
use super::map::{DirstateMap, Parents};
use super::on_disk::OnDiskBytes;

/// How many repositories' maps a server keeps by default (most recently
/// requested first): each costs about twice the dirstate's size (its
/// bytes and the map), in a process that lives long.
pub const DEFAULT_KEEP: usize = 4;

/// The loader thread's nice value: the lowest priority. A server that
/// serves several repositories in turn loads one map per command, each a
/// parse of the whole dirstate; at normal priority that competes for the
/// cores with the next worker, which has started by then.
const LOADER_NICE: i32 = 19;

/// What a preloaded map was parsed from, to be compared with a caller's input.
enum Source {
    /// The dirstate-v1 file's bytes are the map's own (`v1_source`).
    V1,
    /// The v2 data file's used bytes are the map's own `origin`; the docket's
    /// fields identify which of them count.
    V2 {
        data_size: usize,
        tree_metadata: Vec<u8>,
        uuid: Vec<u8>,
    },
}

struct Preloaded {
    root: PathBuf,
    source: Source,
    map: DirstateMap,
    parents: Parents,
}

static PRELOADED: Mutex<Vec<Preloaded>> = Mutex::new(Vec::new());
static LOADER: OnceLock<Mutex<Sender<(PathBuf, usize)>>> = OnceLock::new();
static LOADED: AtomicU64 = AtomicU64::new(0);
static HANDED_OVER: AtomicU64 = AtomicU64::new(0);
static SENT: AtomicU64 = AtomicU64::new(0);
static HANDLED: AtomicU64 = AtomicU64::new(0);

/// `(maps loaded, maps handed over)` by this process so far (a forked
/// process starts with its parent's counts), so tests can prove that a
/// command used a preloaded map.
pub fn counters() -> (u64, u64) {
    (
        LOADED.load(Ordering::Relaxed),
        HANDED_OVER.load(Ordering::Relaxed),
    )
}

/// Asks the process's loader thread (started on first use) to parse the
/// dirstate of the working copy at `root` and keep it for [`take_v1`] /
/// [`take_v2`] callers in processes forked later, along with the maps of
/// at most `keep - 1` other repositories requested most recently (`keep`
/// 0 drops them all); a repository new to a full list only gets in on a
/// repeated request (the admission policy below). Returns at once; a repository
/// without a readable dirstate is just not preloaded.
pub fn request(root: &Path, keep: usize) {
    let sender = LOADER.get_or_init(|| {
        let (tx, rx) = channel::<(PathBuf, usize)>();
        std::thread::Builder::new()
            .name("dirstate-preload".into())
            .spawn(move || {
                // Preloading is a guess about the next command: it must
                // never slow the command running now. At the lowest
                // priority (on Linux a thread's own), it only gets a core
                // a worker leaves idle. Best effort: without it, it runs.
                let _ = rustix::process::setpriority_process(
                    Some(rustix::thread::gettid()),
                    LOADER_NICE,
                );
                let mut recent = Recent::default();
                while let Ok((root, keep)) = rx.recv() {
                    let admitted = recent.admits(&root, keep);
                    if keep == 0 {
                        store(root, None, 0);
                    } else if admitted {
                        match load(&root) {
                            Ok(Some(loaded)) => store(root, Some(loaded), keep),
                            Ok(None) => touch(&root, keep), // unchanged since the last load
                            Err(_) => store(root, None, keep),
                        }
                    }
                    HANDLED.fetch_add(1, Ordering::Relaxed);
                }
            })
            .ok();
        Mutex::new(tx)
    });
    if let Ok(tx) = sender.lock() {
        if tx.send((root.to_path_buf(), keep)).is_ok() {
            SENT.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How many requests this process made that its loader has not finished
/// with yet (for tests, which wait for 0 before looking at what is kept).
pub fn pending_requests() -> u64 {
    SENT.load(Ordering::Relaxed)
        .saturating_sub(HANDLED.load(Ordering::Relaxed))
}

/// The loader's admission policy. A plain most-recently-used list of
/// `keep` maps thrashes when a server rotates over more than `keep`
/// repositories: every request then parses a map that is evicted before
/// it is ever used, at the cost of CPU the next command wanted (measured:
/// rotating over 5 repositories of 260k files with 4 kept, 0.113 s per
/// `chg status` instead of 0.079 s without preloading). So a repository
/// whose map is not held enters a full list only if it was also requested
/// within the last `keep` requests: a repository in active use gets in
/// on its second command, a rotation wider than the list leaves the list
/// as it is (`keep` of its repositories are then served every round).
#[derive(Default)]
struct Recent {
    /// The last requests' roots, oldest first, at most `keep` of them.
    roots: std::collections::VecDeque<PathBuf>,
}

impl Recent {
    /// Whether `root`'s map may be loaded now, and records the request.
    fn admits(&mut self, root: &Path, keep: usize) -> bool {
        let admitted = keep > 0
            && (self.roots.iter().any(|r| r == root) || {
                PRELOADED
                    .lock()
                    .is_ok_and(|list| list.len() < keep || list.iter().any(|p| p.root == root))
            });
        self.roots.push_back(root.to_path_buf());
        while self.roots.len() > keep {
            self.roots.pop_front();
        }
        admitted
    }
}

/// Whether the map held for `root` was parsed from what `same` accepts, so
/// that loading it again can be skipped (most commands change nothing, and
/// a parse would compete with the next command for the CPU). For v2 the
/// docket decides: a data file is only ever appended to past `data_size`.
/// Takers compare the bytes anyway.
fn holds(root: &Path, same: impl Fn(&Preloaded) -> bool) -> bool {
    PRELOADED
        .lock()
        .is_ok_and(|list| list.iter().any(|p| p.root == root && same(p)))
}

/// Whether `p` was parsed from exactly these dirstate-v1 bytes.
fn is_v1_of(p: &Preloaded, data: &[u8]) -> bool {
    matches!(p.source, Source::V1) && p.map.v1_source().is_some_and(|d| d == data)
}

/// Parses `root`'s dirstate as Mercurial would read it (a v2 docket names
/// its data file; anything else is v1); `None` if the map held for it is
/// still the one of its current file.
fn load(root: &Path) -> Result<Option<Preloaded>, DirstateError> {
    let hg = root.join(".hg");
    let file = std::fs::read(hg.join("dirstate"))?;
    if file.starts_with(V2_FORMAT_MARKER) {
        let docket = Docket::parse(&file)?;
        let unchanged = holds(root, |p| {
            matches!(&p.source, Source::V2 { data_size, tree_metadata, uuid }
                if *data_size == docket.data_size
                    && *tree_metadata == docket.tree_metadata
                    && *uuid == docket.uuid)
        });
        if unchanged {
            return Ok(None);
        }
        let mut name = std::ffi::OsString::from("dirstate.");
        name.push(
            std::str::from_utf8(&docket.uuid)
                .map_err(|_| DirstateError::Corrupted("docket uuid is not ASCII".into()))?,
        );
        let mut data = std::fs::read(hg.join(name))?;
        data.truncate(docket.data_size);
        let map = DirstateMap::new_v2(
            OnDiskBytes::Owned(data),
            docket.data_size,
            &docket.tree_metadata,
            &docket.uuid,
        )?;
        // A watchman status asks every worker for the unsettled entries, a
        // walk of the whole tree read in place: ask once here, in the
        // background, where the answer is kept for every worker.
        if hg.join("fsmonitor.state").exists() {
            map.unsettled_paths();
        }
        Ok(Some(Preloaded {
            root: root.to_path_buf(),
            source: Source::V2 {
                data_size: docket.data_size,
                tree_metadata: docket.tree_metadata,
                uuid: docket.uuid,
            },
            map,
            parents: docket.parents,
        }))
    } else {
        if holds(root, |p| is_v1_of(p, &file)) {
            return Ok(None);
        }
        let (map, parents) = DirstateMap::new_v1(OnDiskBytes::Owned(file))?;
        Ok(Some(Preloaded {
            root: root.to_path_buf(),
            source: Source::V1,
            map,
            parents,
        }))
    }
}

/// Replaces `root`'s preloaded map (dropping it if loading failed), keeping
/// at most `keep` maps, most recently requested first.
fn store(root: PathBuf, loaded: Option<Preloaded>, keep: usize) {
    let Ok(mut list) = PRELOADED.lock() else {
        return;
    };
    list.retain(|p| p.root != root);
    if let Some(p) = loaded {
        LOADED.fetch_add(1, Ordering::Relaxed);
        list.insert(0, p);
    }
    list.truncate(keep);
}

/// Moves `root`'s map to the front (it was requested again), keeping at
/// most `keep` maps.
fn touch(root: &Path, keep: usize) {
    if let Ok(mut list) = PRELOADED.lock() {
        if let Some(at) = list.iter().position(|p| p.root == root) {
            let p = list.remove(at);
            list.insert(0, p);
        }
        list.truncate(keep);
    }
}

/// Takes out the first preloaded map that `matches`; `None` if there is
/// none or the list is busy (see the module documentation).
fn take(matches: impl Fn(&Preloaded) -> bool) -> Option<Preloaded> {
    let mut list = PRELOADED.try_lock().ok()?;
    let at = list.iter().position(matches)?;
    HANDED_OVER.fetch_add(1, Ordering::Relaxed);
    Some(list.remove(at))
}

/// The preloaded map parsed from exactly these dirstate-v1 bytes, if any,
/// with its parents: what `DirstateMap::new_v1(data)` would return.
pub fn take_v1(data: &[u8]) -> Option<(DirstateMap, Parents)> {
    if data.is_empty() {
        return None;
    }
    let p = take(|p| is_v1_of(p, data))?;
    Some((p.map, p.parents))
}

/// The preloaded map parsed from exactly these dirstate-v2 inputs, if any:
/// what `DirstateMap::new_v2` would return for them.
pub fn take_v2(
    data: &[u8],
    data_size: usize,
    tree_metadata: &[u8],
    uuid: &[u8],
) -> Option<DirstateMap> {
    let used = data.get(..data_size)?;
    let p = take(|p| match &p.source {
        Source::V2 {
            data_size: size,
            tree_metadata: meta,
            uuid: id,
        } => {
            *size == data_size
                && meta[..] == tree_metadata[..]
                && id[..] == uuid[..]
                && p.map.v2_data().is_some_and(|d| d == used)
        }
        Source::V1 => false,
    })?;
    Some(p.map)
}

/// Whether a preloaded map is held for `root` (for tests and tracing).
pub fn is_preloaded(root: &Path) -> bool {
    PRELOADED
        .try_lock()
        .is_ok_and(|list| list.iter().any(|p| p.root == root))
}
