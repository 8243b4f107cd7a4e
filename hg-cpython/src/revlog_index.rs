//! Read access to Mercurial's C revlog index (`mercurial.cext.parsers.index`)
//! through the `revlog_CAPI` capsule it exports, so hg-core's graph
//! algorithms can walk a real changelog without copying it.
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

use cpython::{exc, PyCapsule, PyClone, PyErr, PyObject, PyResult, Python};
use hg_core::ancestors::{Graph, GraphError, Revision, NULL_REVISION, WORKING_DIRECTORY_REVISION};
use python3_sys as ffi;

/// The ABI version of `Revlog_CAPI` this binding was written against
/// (`mercurial/cext/revlog.c`); any other layout must be refused.
const REVLOG_CAPI_ABI_VERSION: c_int = 3;

/// Mirror of `Revlog_CAPI` in `mercurial/cext/revlog.c` (abi_version 3).
#[repr(C)]
struct RevlogCapi {
    abi_version: c_int,
    index_length: unsafe extern "C" fn(*const ffi::PyObject) -> ffi::Py_ssize_t,
    index_node: unsafe extern "C" fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *const c_char,
    fast_rank: unsafe extern "C" fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> c_int,
    index_parents: unsafe extern "C" fn(*mut ffi::PyObject, c_int, *mut c_int) -> c_int,
}

/// A C revlog index object, checked to really be one (the capsule functions
/// trust their argument blindly).
pub struct Index {
    obj: PyObject,
    capi: &'static RevlogCapi,
}

impl Index {
    /// Wraps `obj` after checking its type and the capsule's ABI version;
    /// raises TypeError / ImportError otherwise.
    pub fn new(py: Python, obj: PyObject) -> PyResult<Index> {
        let parsers = py.import("mercurial.cext.parsers")?;
        let index_type = parsers.get(py, "index")?;
        let builtins = py.import("builtins")?;
        let is_index: bool = builtins
            .call(py, "isinstance", (&obj, index_type), None)?
            .extract(py)?;
        if !is_index {
            return Err(PyErr::new::<exc::TypeError, _>(
                py,
                "expected a revlog index from mercurial.cext.parsers",
            ));
        }
        let name: &CStr = c"mercurial.cext.parsers.revlog_CAPI";
        // SAFETY: the capsule of that name points to a static Revlog_CAPI
        // that lives as long as the (never unloaded) parsers module; we only
        // read abi_version before trusting the rest of the layout.
        let capi: &'static RevlogCapi = unsafe { PyCapsule::import_data(py, name)? };
        if capi.abi_version != REVLOG_CAPI_ABI_VERSION {
            return Err(PyErr::new::<exc::ImportError, _>(
                py,
                format!(
                    "ABI version mismatch: the C revlog index has Revlog_CAPI \
                     version {}, mercurial.rustext expects {}",
                    capi.abi_version, REVLOG_CAPI_ABI_VERSION
                ),
            ));
        }
        Ok(Index { obj, capi })
    }

    /// Number of revisions in the index.
    pub fn len(&self) -> usize {
        // SAFETY: `obj` was checked to be a C index object, and we hold the
        // GIL whenever Python calls into this binding.
        let n = unsafe { (self.capi.index_length)(self.obj.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Whether the index has no revision at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Another handle on the same index object (adds a reference).
    pub fn clone_ref(&self, py: Python) -> Index {
        Index {
            obj: self.obj.clone_ref(py),
            capi: self.capi,
        }
    }
}

impl Graph for Index {
    fn parents(&self, rev: Revision) -> Result<[Revision; 2], GraphError> {
        if rev == WORKING_DIRECTORY_REVISION {
            return Err(GraphError::InvalidRevision(rev));
        }
        if rev == NULL_REVISION {
            return Ok([NULL_REVISION; 2]);
        }
        let mut ps: [c_int; 2] = [NULL_REVISION; 2];
        // SAFETY: type checked in `new`; `ps` has room for two ints; the GIL
        // is held by our caller (a Python method of this module).
        let ret = unsafe { (self.capi.index_parents)(self.obj.as_ptr(), rev, ps.as_mut_ptr()) };
        if ret != 0 {
            // The C function set a Python exception; ours replaces it.
            let gil = Python::acquire_gil();
            drop(PyErr::fetch(gil.python()));
            return Err(GraphError::ParentOutOfRange(rev));
        }
        Ok(ps)
    }
}

/// Converts a graph error to `rustext.GraphError(kind, rev)`, as Mercurial's
/// own Rust extension does.
pub fn graph_error(py: Python, err: GraphError) -> PyErr {
    PyErr::new::<crate::exceptions::GraphError, _>(py, (err.kind(), err.revision()))
}
