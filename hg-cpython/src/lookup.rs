//! `rustext.dirstate.check_lookup`: converts the arguments of
//! `workingctx._checklookup` (plus the repository root and p1's node),
//! runs hg-core's parallel comparison without the GIL, and returns
//! `_checklookup`'s four lists plus the files left to Mercurial.
//!
//! Called by our extension (`hgext3rd/rustext.py`), which checks first
//! that nothing transforms working-copy data and hands the undecided files
//! to Mercurial's own `_checklookup`. A repository it cannot read at all
//! raises `FallbackError`.
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use std::cell::Cell;
use std::sync::Arc;

use cpython::{
    py_class, PyBytes, PyClone, PyErr, PyList, PyObject, PyResult, PyTuple, Python, PythonObject,
    ToPyObject,
};
use hg_core::lookup::{check_lookup as core_check_lookup, open_store, Fixup, LookupOptions};
use hg_core::revlog::Node;

use crate::dirstate::conv;
use crate::exceptions::FallbackError;

/// Whether `RUSTEXT_STATUS_TRACE` asks for a line per call on stderr.
fn tracing() -> bool {
    std::env::var_os("RUSTEXT_STATUS_TRACE").is_some()
}

fn fallback(py: Python, why: String) -> PyErr {
    if tracing() {
        eprintln!("rustext-status: lookup fallback: {why}");
    }
    PyErr::new::<FallbackError, _>(py, why)
}

fn bytes_list(py: Python, items: &[Vec<u8>]) -> PyObject {
    let v: Vec<PyObject> = items
        .iter()
        .map(|p| PyBytes::new(py, p).into_object())
        .collect();
    PyList::new(py, &v).into_object()
}

/// `check_lookup(root, p1, files, mtime_boundary)` →
/// `(modified, deleted, clean, fixup, undecided)`, every list sorted.
/// `fixup` is a [`FixupList`]: see there.
pub fn check_lookup(
    py: Python,
    root: PyBytes,
    p1: PyBytes,
    files: PyList,
    mtime_boundary: PyObject,
) -> PyResult<PyTuple> {
    let started = std::time::Instant::now();
    let root_path = Path::new(OsStr::from_bytes(root.data(py))).to_owned();
    let Some(p1) = Node::from_bytes(p1.data(py)) else {
        return Err(fallback(py, "p1 is not a 20-byte node".into()));
    };
    let mut paths = Vec::with_capacity(files.len(py));
    for f in files.iter(py) {
        paths.push(conv::path_bytes(py, &f)?.to_vec());
    }
    let mtime_boundary = if mtime_boundary.is_none(py) {
        None
    } else {
        Some(conv::timestamp(py, &mtime_boundary)?)
    };
    let options = LookupOptions {
        mtime_boundary,
        meta_rule: crate::hg_contract::lookup_meta_rule(py),
    };
    let result = py.allow_threads(|| {
        let store = open_store(&root_path)?;
        core_check_lookup(&root_path, &store, &p1, &paths, options)
    });
    let out = result.map_err(|e| fallback(py, e.to_string()))?;
    if tracing() {
        let first = out
            .undecided
            .first()
            .map(|(p, why)| format!(" (first: {}: {why})", String::from_utf8_lossy(p)))
            .unwrap_or_default();
        eprintln!(
            "rustext-status: lookup: {} files, {} modified, {} deleted, {} clean, {} fixup, \
             {} undecided{first}, {:.1} ms",
            paths.len(),
            out.modified.len(),
            out.deleted.len(),
            out.clean.len(),
            out.fixup.len(),
            out.undecided.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    let fixup = FixupList::create_instance(py, Arc::new(out.fixup))?;
    let undecided: Vec<Vec<u8>> = out.undecided.into_iter().map(|(p, _)| p).collect();
    Ok(PyTuple::new(
        py,
        &[
            bytes_list(py, &out.modified),
            bytes_list(py, &out.deleted),
            bytes_list(py, &out.clean),
            fixup.into_object(),
            bytes_list(py, &undecided),
        ],
    ))
}

/// One fix-up as `_checklookup` builds it: `(path, (mode, size, (seconds,
/// nanoseconds, second_ambiguous)))`, what `dirstate.set_clean` takes (a
/// plain tuple where Python builds a `timestamp`; our
/// `DirstateMap.set_clean` reads either).
fn fixup_tuple(py: Python, path: &[u8], f: &Fixup) -> PyObject {
    // Bytes, ints and untracked tuples only: see `conv::untracked`.
    let mtime = conv::timestamp_tuple(py, &f.mtime);
    let cache_info = conv::untracked((f.mode, f.size, mtime).to_py_object(py).into_object());
    conv::untracked(
        (PyBytes::new(py, path), cache_info)
            .to_py_object(py)
            .into_object(),
    )
}

// The fix-ups of `check_lookup`, kept in Rust: a touched working copy has
// one per tracked file, and building 100k nested tuples for Python, then
// reading them back in `DirstateMap.set_clean_all`, cost about 0.2 s of a
// 2 s `hg status` (measured at 100k files). Mercurial only tests it
// (`if fixup`), iterates it (`for f, pdf in fixup`, which gets the tuples
// `fixup_tuple` makes, one at a time) and hands it to `_poststatusfixup`,
// where our extension passes it to `set_clean_all` whole. Immutable, so
// an iterator can never see it change.
py_class!(pub class FixupList |py| {
    data items: Arc<Vec<(Vec<u8>, Fixup)>>;

    def __len__(&self) -> PyResult<usize> {
        Ok(self.items(py).len())
    }

    def __getitem__(&self, index: isize) -> PyResult<PyObject> {
        let items = self.items(py);
        let at = if index < 0 { index + items.len() as isize } else { index };
        match usize::try_from(at).ok().and_then(|i| items.get(i)) {
            Some((path, f)) => Ok(fixup_tuple(py, path, f)),
            None => Err(PyErr::new::<cpython::exc::IndexError, _>(py, "fixup index out of range")),
        }
    }

    def __iter__(&self) -> PyResult<FixupIterator> {
        FixupIterator::create_instance(py, self.items(py).clone(), Cell::new(0))
    }
});

impl FixupList {
    /// The fix-ups, for `DirstateMap.set_clean_all`.
    pub fn fixups(&self, py: Python) -> Arc<Vec<(Vec<u8>, Fixup)>> {
        self.items(py).clone()
    }
}

// Iterates a `FixupList`, building each tuple when it is reached.
py_class!(pub class FixupIterator |py| {
    data items: Arc<Vec<(Vec<u8>, Fixup)>>;
    data next: Cell<usize>;

    def __next__(&self) -> PyResult<Option<PyObject>> {
        let i = self.next(py).get();
        Ok(self.items(py).get(i).map(|(path, f)| {
            self.next(py).set(i + 1);
            fixup_tuple(py, path, f)
        }))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});
