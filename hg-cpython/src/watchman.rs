//! The watchman question of one status call, handed over by our Mercurial
//! extension (`hgext3rd/rustext.py`, which reads fsmonitor's state and
//! settings in Python) and answered inside `dirstate.status`.
//!
//! Mercurial's `dirstate._rust_status` calls `rustmod.status` with a fixed
//! argument list, so the extension cannot pass the clock along: it sets
//! the request here right before calling Mercurial's `_rust_status` and
//! takes the answer (the new clock for fsmonitor's `setlastclock`) right
//! after. The request is per thread and taken by the next status call,
//! used or not, so it can never apply to a later call.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use cpython::{PyBool, PyBytes, PyList, PyObject, PyResult, Python, PythonObject, ToPyObject};
use hg_core::watchman::ChangesRequest;

/// How the status call that took a request answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The clock watchman gave, to record for the next status.
    pub clock: Vec<u8>,
    /// Watchman answered with a fresh instance.
    pub fresh: bool,
    /// `"watched"` when the paths answered, else why the tree was walked.
    pub route: String,
}

/// A request, with the notable files of fsmonitor's state.
pub struct Request {
    /// What to ask watchman.
    pub changes: ChangesRequest,
    /// Files the last status listed (fsmonitor's `notefiles`).
    pub notable: Vec<Vec<u8>>,
}

thread_local! {
    static UNDER_FSMONITOR: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static REQUEST: RefCell<Option<Request>> = const { RefCell::new(None) };
    static ANSWER: RefCell<Option<Answer>> = const { RefCell::new(None) };
}

/// Whether the next status call on this thread runs for fsmonitor (our
/// extension says so whether or not watchman is asked); taken by it.
pub fn take_under_fsmonitor() -> bool {
    UNDER_FSMONITOR.with(|u| u.replace(false))
}

/// `dirstate.status_under_fsmonitor()`: the next status call on this
/// thread runs in fsmonitor's place. Its ignore-file warnings are then left
/// to Python (fsmonitor evaluates `dirstate._ignore`, which prints them,
/// for its ignore hash: printed by both, they would appear twice), and an
/// unreadable directory hands the call to Mercurial's status with
/// fsmonitor's walk (fsmonitor's answer there comes from watchman's view,
/// which becomes its state; ours would miss what the directory hides).
pub fn under_fsmonitor(py: Python) -> PyResult<PyObject> {
    UNDER_FSMONITOR.with(|u| u.set(true));
    Ok(py.None())
}

/// The pending request, if any; the next status call takes it.
pub fn take_request() -> Option<Request> {
    REQUEST.with(|r| r.borrow_mut().take())
}

/// Records how the status call answered its request.
pub fn set_answer(answer: Answer) {
    ANSWER.with(|a| *a.borrow_mut() = Some(answer));
}

fn bytes_of(py: Python, obj: &PyObject) -> PyResult<Vec<u8>> {
    Ok(obj.extract::<PyBytes>(py)?.data(py).to_vec())
}

/// `dirstate.watchman_status_request(clock, notefiles, socket, binary,
/// timeout, walk_on_invalidate)`: the next status call on this thread asks
/// watchman for the paths changed since `clock` instead of walking.
pub fn request(
    py: Python,
    clock: PyBytes,
    notefiles: PyList,
    socket: Option<PyBytes>,
    binary: PyBytes,
    timeout: f64,
    walk_on_invalidate: bool,
) -> PyResult<PyObject> {
    let mut notable = Vec::with_capacity(notefiles.len(py));
    for f in notefiles.iter(py) {
        notable.push(bytes_of(py, &f)?);
    }
    let request = Request {
        changes: ChangesRequest {
            since: clock.data(py).to_vec(),
            socket: socket.map(|s| PathBuf::from(OsStr::from_bytes(s.data(py)))),
            binary: OsStr::from_bytes(binary.data(py)).to_owned(),
            timeout_seconds: timeout,
            walk_on_invalidate,
        },
        notable,
    };
    REQUEST.with(|r| *r.borrow_mut() = Some(request));
    ANSWER.with(|a| *a.borrow_mut() = None);
    Ok(py.None())
}

/// `dirstate.watchman_status_answer()`: `(clock, is_fresh_instance,
/// route)` of the status call that took the request, or `None` if none
/// did or watchman was not asked; forgets any request not taken.
pub fn answer(py: Python) -> PyResult<PyObject> {
    REQUEST.with(|r| r.borrow_mut().take());
    UNDER_FSMONITOR.with(|u| u.set(false));
    Ok(match ANSWER.with(|a| a.borrow_mut().take()) {
        None => py.None(),
        Some(a) => (
            PyBytes::new(py, &a.clock),
            PyBool::get(py, a.fresh),
            a.route.to_py_object(py),
        )
            .to_py_object(py)
            .into_object(),
    })
}
