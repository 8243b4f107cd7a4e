//! Conversions between Mercurial's Python values (paths as bytes, mtime
//! tuples, `parentfiledata` triples) and hg-core types.
use cpython::{exc, ObjectProtocol, PyBytes, PyErr, PyObject, PyResult, Python, PythonObject};
use hg_core::dirstate::TruncatedTimestamp;

use super::dirstate_error;

/// A path argument: Mercurial only ever passes `bytes`.
pub fn path_bytes<'a>(py: Python<'a>, obj: &'a PyObject) -> PyResult<&'a [u8]> {
    Ok(obj.cast_as::<PyBytes>(py)?.data(py))
}

/// Python truthiness, as the pure implementation applies to its flags.
pub fn truthy(py: Python, obj: &PyObject) -> PyResult<bool> {
    obj.is_true(py)
}

/// `Option<bool>` from `None`/truthy values (fallback exec/symlink).
pub fn optional_bool(py: Python, obj: &Option<PyObject>) -> PyResult<Option<bool>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none(py) => Ok(None),
        Some(o) => Ok(Some(o.is_true(py)?)),
    }
}

/// An integer reinterpreted as the unsigned 32 bits the formats store.
pub fn u32_bits(py: Python, obj: &PyObject) -> PyResult<u32> {
    Ok(obj.extract::<i64>(py)? as u32)
}

/// A `timestamp` tuple `(seconds, nanoseconds, second_ambiguous)`.
pub fn timestamp(py: Python, obj: &PyObject) -> PyResult<TruncatedTimestamp> {
    let seconds: i64 = obj.get_item(py, 0)?.extract(py)?;
    let nanoseconds: i64 = obj.get_item(py, 1)?.extract(py)?;
    let ambiguous = obj.get_item(py, 2)?.is_true(py)?;
    let ns = u32::try_from(nanoseconds).map_err(|_| {
        PyErr::new::<exc::ValueError, _>(py, format!("invalid nanoseconds: {nanoseconds}"))
    })?;
    TruncatedTimestamp::new(seconds, ns, ambiguous).map_err(|e| dirstate_error(py, e))
}

/// `parentfiledata`: `None` or `(mode, size, mtime-tuple-or-None)`.
pub fn parent_file_data(
    py: Python,
    obj: &Option<PyObject>,
) -> PyResult<Option<(u32, u32, Option<TruncatedTimestamp>)>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none(py) {
        return Ok(None);
    }
    let mode = u32_bits(py, &obj.get_item(py, 0)?)?;
    let size = u32_bits(py, &obj.get_item(py, 1)?)?;
    let mtime = obj.get_item(py, 2)?;
    let mtime = if mtime.is_none(py) {
        None
    } else {
        Some(timestamp(py, &mtime)?)
    };
    Ok(Some((mode, size, mtime)))
}

/// The Python value of a timestamp, as `timestamp.py` builds it.
pub fn timestamp_tuple(py: Python, t: &TruncatedTimestamp) -> PyObject {
    use cpython::ToPyObject;
    untracked(
        (t.truncated_seconds(), t.nanoseconds(), t.second_ambiguous())
            .to_py_object(py)
            .into_object(),
    )
}

/// `tuple` takes out of the cyclic garbage collector's lists, as CPython
/// does itself for a tuple that holds only atomic values
/// (`_PyTuple_MaybeUntrack`, and Mercurial's C `parse_dirstate` for its
/// entry tuples). The caller guarantees that it is a tuple of bytes, ints,
/// bools, `None` or tuples passed through here: nothing that can be part
/// of a reference cycle.
///
/// Why: a status after a touch hands back one `(path, (mode, size,
/// mtime))` per file, 300,000 tuples at 100k files. Tracked, they trigger
/// hundreds of collections, three of them full ones over everything
/// Mercurial has loaded (70 ms measured); untracked, the collector never
/// sees them.
pub fn untracked(tuple: PyObject) -> PyObject {
    // SAFETY: `tuple` is a live object (we hold a reference) and a GC
    // object (a tuple); untracking an object whose contents cannot form a
    // cycle only keeps the collector from visiting it, and doing it twice is
    // allowed (CPython >= 3.8 checks whether it is tracked).
    unsafe { python3_sys::PyObject_GC_UnTrack(tuple.as_ptr().cast()) };
    tuple
}
