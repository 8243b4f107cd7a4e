//! `mercurial.rustext.dirstate`: the dirstate map, items, `Dirs`, and the
//! status entry point, with the Python API `mercurial/dirstatemap.py` (rust
//! branch), `mercurial/dirstate.py` and `mercurial/pathutil.py` call.
//!
//! Borrowing the Rust map from other bindings (status): see
//! [`map::DirstateMap::inner_ref`] and [`map::DirstateMap::inner_mut`], and
//! [`map::DirstateMap::from_object`] to get there from a `PyObject`.
use cpython::{
    exc, py_fn, ObjectProtocol, PyBytes, PyErr, PyList, PyModule, PyObject, PyResult, PyTuple,
    Python, PythonObject, ToPyObject,
};
use hg_core::dirstate::DirstateError;

pub mod conv;
pub mod dirs;
pub mod identity;
pub mod item;
pub mod map;

pub use map::DirstateMap;

/// The exception Mercurial itself raises for each dirstate failure, so that
/// its `except` clauses (and error messages) stay the same with Rust.
pub fn dirstate_error(py: Python, err: DirstateError) -> PyErr {
    match err {
        DirstateError::Corrupted(msg) => corrupted_dirstate(py, msg.into_bytes()),
        DirstateError::V1Format(msg) => PyErr::new::<exc::ValueError, _>(py, msg),
        DirstateError::UnknownState(state) => {
            PyErr::new::<exc::RuntimeError, _>(py, format!("unknown state: {}", char::from(state)))
        }
        DirstateError::NoSuchEntry(path) => {
            PyErr::new::<exc::KeyError, _>(py, (PyBytes::new(py, &path),))
        }
        DirstateError::Io(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            PyErr::new::<exc::OSError, _>(py, (errno, e.to_string()))
        }
        other @ (DirstateError::ConsecutiveSlashes
        | DirstateError::DirNotFound
        | DirstateError::InvalidTimestamp(_)
        | DirstateError::TooLarge(_)) => PyErr::new::<exc::ValueError, _>(py, other.to_string()),
        #[allow(unreachable_patterns)]
        other => PyErr::new::<exc::ValueError, _>(py, other.to_string()),
    }
}

/// `mercurial.error.CorruptedDirstate(msg)`, what dirstatemap.py catches to
/// fall back from v2 to v1 and what `hg` reports for a damaged v2 dirstate.
fn corrupted_dirstate(py: Python, msg: Vec<u8>) -> PyErr {
    let class = match py
        .import("mercurial.error")
        .and_then(|m| m.get(py, "CorruptedDirstate"))
    {
        Ok(class) => class,
        Err(e) => return e,
    };
    match class.call(py, (PyBytes::new(py, &msg),), None) {
        Ok(instance) => PyErr::from_instance(py, instance),
        Err(e) => e,
    }
}

/// `dirstate.status(...)`: implemented by the status binding; the 10th
/// argument is Mercurial 7.2's (see [`crate::hg_contract`]).
#[allow(clippy::too_many_arguments)]
fn status(
    py: Python,
    dmap: PyObject,
    matcher: PyObject,
    root_dir: PyObject,
    ignore_files: PyList,
    check_exec: bool,
    list_clean: bool,
    list_ignored: bool,
    list_unknown: bool,
    collect_traversed_dirs: bool,
    empty_dirs_keep_files: Option<bool>,
) -> PyResult<PyTuple> {
    crate::status::status(
        py,
        dmap,
        matcher,
        root_dir,
        ignore_files,
        check_exec,
        list_clean,
        list_ignored,
        list_unknown,
        collect_traversed_dirs,
        empty_dirs_keep_files,
    )
}

/// `dirstate.check_lookup(...)`: implemented by the lookup binding.
fn check_lookup(
    py: Python,
    root: PyBytes,
    p1: PyBytes,
    files: PyList,
    mtime_boundary: PyObject,
) -> PyResult<PyTuple> {
    crate::lookup::check_lookup(py, root, p1, files, mtime_boundary)
}

fn watchman_status_request(
    py: Python,
    clock: PyBytes,
    notefiles: PyList,
    socket: Option<PyBytes>,
    binary: PyBytes,
    timeout: f64,
    walk_on_invalidate: bool,
) -> PyResult<PyObject> {
    crate::watchman::request(
        py,
        clock,
        notefiles,
        socket,
        binary,
        timeout,
        walk_on_invalidate,
    )
}

// Parses the dirstate of the working copy at `root` in a background
// thread, for the processes this one forks later (the chg server, after a
// worker's command ended: hgext3rd/rustext.py); `hg_core::dirstate::preload`.
// `keep`: how many repositories' maps to hold at most (0: none).
fn preload_dirstate(py: Python, root: PyBytes, keep: usize) -> PyResult<PyObject> {
    use std::os::unix::ffi::OsStrExt;
    let root = std::path::Path::new(std::ffi::OsStr::from_bytes(root.data(py)));
    hg_core::dirstate::preload::request(root, keep);
    Ok(py.None())
}

// `(maps loaded, maps handed over)` by the preloader in this process.
fn preload_counters(py: Python) -> PyResult<PyObject> {
    Ok(hg_core::dirstate::preload::counters()
        .to_py_object(py)
        .into_object())
}

fn watchman_status_answer(py: Python) -> PyResult<PyObject> {
    crate::watchman::answer(py)
}

fn status_under_fsmonitor(py: Python) -> PyResult<PyObject> {
    crate::watchman::under_fsmonitor(py)
}

/// Builds `mercurial.rustext.dirstate` (`name` is its dotted name).
pub fn init_module(py: Python, package: &str) -> PyResult<PyModule> {
    let name = format!("{package}.dirstate");
    let m = PyModule::new(py, &name)?;
    m.add(py, "__package__", package)?;
    m.add(py, "__doc__", "Dirstate - Rust implementation")?;
    m.add(
        py,
        "FallbackError",
        py.get_type::<crate::exceptions::FallbackError>(),
    )?;
    m.add(py, "V2_FORMAT_MARKER", PyBytes::new(py, b"dirstate-v2\n"))?;
    m.add_class::<item::DirstateItem>(py)?;
    m.add_class::<map::DirstateMap>(py)?;
    m.add_class::<map::CopyMap>(py)?;
    m.add_class::<dirs::Dirs>(py)?;
    m.add_class::<identity::DirstateIdentity>(py)?;
    m.add(
        py,
        "status",
        py_fn!(
            py,
            status(
                dmap: PyObject,
                matcher: PyObject,
                root_dir: PyObject,
                ignore_files: PyList,
                check_exec: bool,
                list_clean: bool,
                list_ignored: bool,
                list_unknown: bool,
                collect_traversed_dirs: bool,
                empty_dirs_keep_files: Option<bool> = None
            )
        ),
    )?;
    m.add(
        py,
        "check_lookup",
        py_fn!(
            py,
            check_lookup(root: PyBytes, p1: PyBytes, files: PyList, mtime_boundary: PyObject)
        ),
    )?;
    m.add(
        py,
        "watchman_status_request",
        py_fn!(
            py,
            watchman_status_request(
                clock: PyBytes,
                notefiles: PyList,
                socket: Option<PyBytes>,
                binary: PyBytes,
                timeout: f64,
                walk_on_invalidate: bool
            )
        ),
    )?;
    m.add(
        py,
        "status_under_fsmonitor",
        py_fn!(py, status_under_fsmonitor()),
    )?;
    m.add(
        py,
        "preload_dirstate",
        py_fn!(py, preload_dirstate(root: PyBytes, keep: usize)),
    )?;
    m.add(py, "preload_counters", py_fn!(py, preload_counters()))?;
    m.add(
        py,
        "watchman_status_answer",
        py_fn!(py, watchman_status_answer()),
    )?;
    Ok(m)
}
