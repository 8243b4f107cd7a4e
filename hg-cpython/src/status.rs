//! Placeholder for the status binding (owned by engineer "status"): until the
//! real walk lands, `status()` raises `FallbackError`, which makes
//! `dirstate.status()` fall back to Mercurial's Python/C implementation.
use cpython::{PyErr, PyList, PyObject, PyResult, PyTuple, Python};

use crate::exceptions::FallbackError;

/// Signature expected by `mercurial/dirstate.py::_rust_status`.
#[allow(clippy::too_many_arguments)]
pub fn status(
    py: Python,
    _dmap: PyObject,
    _matcher: PyObject,
    _root_dir: PyObject,
    _ignore_files: PyList,
    _check_exec: bool,
    _list_clean: bool,
    _list_ignored: bool,
    _list_unknown: bool,
    _collect_traversed_dirs: bool,
) -> PyResult<PyTuple> {
    Err(PyErr::new::<FallbackError, _>(
        py,
        "Rust status is not implemented yet",
    ))
}
