//! `rustext.dirstate.status`: converts `dirstate._rust_status`'s arguments,
//! runs hg-core's walk without the GIL, and builds the 12-tuple Mercurial
//! expects. Anything not reproduced exactly raises `FallbackError`, which
//! makes Mercurial run its own Python/C status instead.
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use cpython::{
    NoArgs, ObjectProtocol, PyBool, PyBytes, PyErr, PyList, PyObject, PyResult, PyString, PyTuple,
    Python, PythonObject, ToPyObject,
};
use hg_core::dirstate::DirstateMap as CoreMap;
use hg_core::matchers::{get_ignore_matcher_reading, Matcher, PatternError};
use hg_core::status::{
    apply_cache_updates, status as core_status, status_of_paths, BadReason, StatusError,
    StatusOptions, StatusOutcome,
};
use hg_core::watchman::changes_since;

use crate::dirstate::DirstateMap;
use crate::exceptions::FallbackError;
use crate::hg_contract::{DirsSlot, StatusContract};
use crate::watchman::Answer;

/// Whether `RUSTEXT_STATUS_TRACE` asks for a line on stderr saying which
/// path each call took (the differential tests and benchmarks read it).
fn tracing() -> bool {
    std::env::var_os("RUSTEXT_STATUS_TRACE").is_some()
}

/// `FallbackError(why)`, traced (every fallback of a status call goes
/// through here, so the trace names them all).
pub(crate) fn fallback(py: Python, why: impl Into<String>) -> PyErr {
    let why = why.into();
    if tracing() {
        eprintln!("rustext-status: fallback: {why}");
    }
    PyErr::new::<FallbackError, _>(py, why)
}

fn path_of(py: Python, obj: &PyObject) -> PyResult<PathBuf> {
    let b = obj.extract::<PyBytes>(py)?;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(b.data(py))))
}

fn bytes_list<T: AsRef<[u8]>>(py: Python, items: &[T]) -> PyObject {
    let v: Vec<PyObject> = items
        .iter()
        .map(|p| PyBytes::new(py, p.as_ref()).into_object())
        .collect();
    PyList::new(py, &v).into_object()
}

/// The Python matcher's `files()` hold an explicit untracked path, which is
/// when Mercurial consults the ignore patterns although neither unknown
/// nor ignored files are listed.
fn explicit_untracked(matcher: &dyn Matcher, map: &CoreMap) -> bool {
    matcher
        .file_set()
        .is_some_and(|files| files.iter().any(|f| !f.is_empty() && !map.contains_key(f)))
}

/// How [`watched`] names the route where watchman's paths answered.
const WATCHED: &str = "watched";

/// Answers a status call from the paths watchman reports (plus fsmonitor's
/// notable files), or with `walk` when watchman cannot tell (a fresh
/// instance) or the paths cannot answer the question. A failed query is
/// an error: Mercurial's own status then runs, with fsmonitor's query and
/// its warnings.
fn watched<'a>(
    request: crate::watchman::Request,
    root: &std::path::Path,
    walk: impl FnOnce() -> Result<StatusOutcome<'a>, StatusError>,
    from_paths: impl FnOnce(&[Vec<u8>]) -> Result<StatusOutcome<'a>, StatusError>,
) -> Result<(StatusOutcome<'a>, Option<Answer>), String> {
    let changes = changes_since(root, &request.changes).map_err(|e| format!("watchman: {e}"))?;
    let (clock, fresh, mut changed) = (changes.clock, changes.is_fresh_instance, changes.paths);
    let answer = |route: &str| Answer {
        clock,
        fresh,
        route: route.to_owned(),
    };
    if fresh {
        let out = walk().map_err(|e| e.to_string())?;
        return Ok((out, Some(answer("walked: fresh instance"))));
    }
    changed.extend(request.notable);
    match from_paths(&changed) {
        Ok(out) => Ok((out, Some(answer(WATCHED)))),
        Err(StatusError::NeedsWalk(why)) => {
            let out = walk().map_err(|e| e.to_string())?;
            Ok((out, Some(answer(&format!("walked: {why}")))))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Signature expected by `mercurial/dirstate.py::_rust_status`; only
/// Mercurial 7.2 passes `empty_dirs_keep_files` (see [`crate::hg_contract`]).
#[allow(clippy::too_many_arguments)]
pub fn status(
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
    let started = std::time::Instant::now();
    // Taken first, so that a request never outlives the call it was made
    // for; only the "always" matcher can be answered from watchman's paths.
    let under_fsmonitor = crate::watchman::take_under_fsmonitor();
    let request = match crate::watchman::take_request() {
        Some(r)
            if matcher
                .call_method(py, "always", NoArgs, None)?
                .is_true(py)? =>
        {
            Some(r)
        }
        _ => None,
    };
    let contract = StatusContract::detect(py, empty_dirs_keep_files);
    let map_obj = DirstateMap::from_object(py, &dmap)?;
    let matcher_is_prefix = matcher
        .call_method(py, "prefix", NoArgs, None)?
        .is_true(py)?;
    let root = path_of(py, &root_dir)?;
    let rust_matcher = crate::matchers::convert_matcher_with_root(py, &matcher, &root)?;
    let mut ignore_paths = Vec::new();
    for f in ignore_files.iter(py) {
        ignore_paths.push(path_of(py, &f)?);
    }
    // 7.2 asks for the purge list where older versions asked for the
    // traversed directories; Python reads slot 10 only when it asked.
    let (collect_traversed_dirs, collect_empty_dirs, keep_files) = match contract.dirs_slot {
        DirsSlot::Traversed => (collect_traversed_dirs, false, false),
        DirsSlot::EmptyDirs { keep_files } => (false, collect_traversed_dirs, keep_files),
    };
    let opts = StatusOptions {
        check_exec,
        list_clean,
        list_ignored,
        list_unknown,
        collect_traversed_dirs,
        collect_empty_dirs,
        empty_dirs_keep_files: keep_files,
        matcher_is_prefix,
    };

    let borrowed = map_obj.inner_ref(py)?;
    let map: &CoreMap = &borrowed;
    let matcher_ref: &dyn Matcher = &*rust_matcher;
    let needs_ignore = list_unknown || list_ignored || explicit_untracked(matcher_ref, map);
    // Python reads the ignore patterns up front only when unknown files are
    // listed and ignored ones are not (`dirstate.walk` takes `self._ignore`);
    // otherwise lazily, when the first untracked file has to be classified,
    // which may never happen. In that lazy case an invalid pattern aborts,
    // and a missing ignore file warns, only if the walk classified one
    // (`StatusOutcome::ignore_consulted`).
    let ignore_read_eagerly = list_unknown && !list_ignored;
    let mut lazy_error: Option<PatternError> = None;
    let ignore = if needs_ignore {
        // Under fsmonitor, Python's `dirstate._ignore` has read the files
        // and printed their warnings already.
        match get_ignore_matcher_reading(ignore_paths, &root, !under_fsmonitor) {
            Ok(r) => Some(r),
            Err(e) if ignore_read_eagerly => {
                return Err(crate::matchers::ignore_error_to_py(py, &e))
            }
            Err(e @ PatternError::InvalidRegex { .. }) => {
                lazy_error = Some(e);
                None
            }
            Err(e) => return Err(fallback(py, format!("ignore patterns: {e}"))),
        }
    } else {
        None
    };
    let is_v2 = map.v2_uuid().is_some();
    let patterns_changed = match &ignore {
        Some(r) if list_unknown || list_ignored => {
            Some(r.patterns_hash != map.ignore_patterns_hash())
        }
        _ => None,
    };
    let never = |_: &[u8]| false;
    let ignore_matcher: Option<&dyn Matcher> = ignore.as_ref().map(|r| &*r.matcher);
    let ignore_fn = move |p: &[u8]| ignore_matcher.is_some_and(|m| m.matches(p));
    let ignore_ref: &(dyn Fn(&[u8]) -> bool + Sync) =
        if ignore.is_some() { &ignore_fn } else { &never };

    let walk = || core_status(map, matcher_ref, &root, ignore_ref, opts, patterns_changed);
    let result = py.allow_threads(|| match request {
        None => walk().map(|out| (out, None)).map_err(|e| e.to_string()),
        Some(request) => watched(request, &root, walk, |changed| {
            status_of_paths(map, &root, ignore_ref, opts, changed)
        }),
    });
    let walked = started.elapsed();
    let (mut out, answer) = result.map_err(|e| fallback(py, e))?;
    let watched_paths = answer.as_ref().is_some_and(|a| a.route == WATCHED);
    if let Some(answer) = answer {
        // Traced by the extension, which takes it.
        crate::watchman::set_answer(answer);
    }
    let has_warnings = ignore.as_ref().is_some_and(|r| !r.warnings.is_empty());
    let read_lazily_now = !ignore_read_eagerly && out.ignore_consulted;
    let has_unreadable = out
        .bad
        .iter()
        .any(|(_, r)| matches!(r, BadReason::Unreadable(_)));
    if under_fsmonitor && has_unreadable {
        return Err(fallback(
            py,
            "an unreadable directory under fsmonitor: fsmonitor's walk answers",
        ));
    }
    if read_lazily_now && (lazy_error.is_some() || has_warnings) && !out.bad.is_empty() {
        // Python reports bad explicit paths in `_walkexplicit`, before it
        // reads the patterns lazily and aborts or warns; `_rust_status` would
        // print the warnings first, and an abort would lose the paths. So
        // they are reported here, in `_rust_status`'s sorted order, and not
        // returned. An unreadable directory is reported later in Python's
        // walk, at a point we do not reproduce: that case falls back.
        if has_unreadable {
            return Err(fallback(
                py,
                "lazily read ignore patterns report after an unreadable directory",
            ));
        }
        let mut bad: Vec<(Vec<u8>, String)> = std::mem::take(&mut out.bad)
            .into_iter()
            .map(|(p, r)| (p, r.message()))
            .collect();
        bad.sort();
        for (p, message) in &bad {
            matcher.call_method(
                py,
                "bad",
                (PyBytes::new(py, p), PyBytes::new(py, message.as_bytes())),
                None,
            )?;
        }
    }
    if let Some(e) = lazy_error.filter(|_| read_lazily_now) {
        return Err(crate::matchers::ignore_error_to_py(py, &e));
    }
    // Under fsmonitor, Python's `dirstate._ignore` prints them.
    let warn = has_warnings && (ignore_read_eagerly || read_lazily_now) && !under_fsmonitor;

    if has_unreadable {
        // Python hands `matcher.bad` an unreadable directory already named
        // relative to the current directory (`dirstate.pathto`).
        let Ok(cwd) = std::env::current_dir() else {
            return Err(fallback(py, "no current directory"));
        };
        let root_b = root.as_os_str().as_bytes();
        for (p, r) in out.bad.iter_mut() {
            if matches!(r, BadReason::Unreadable(_)) {
                *p = hg_core::status::pathto::path_to(root_b, cwd.as_os_str().as_bytes(), p);
            }
        }
    }

    let warnings = match ignore.as_ref().filter(|_| warn) {
        Some(r) => contract.warnings(py, root.as_os_str().as_bytes(), &r.warnings)?,
        None => Vec::new(),
    };
    let bad: Vec<PyObject> = out
        .bad
        .iter()
        .map(|(p, r)| {
            (PyBytes::new(py, p), PyString::new(py, &r.message()))
                .to_py_object(py)
                .into_object()
        })
        .collect();
    let tuple = PyTuple::new(
        py,
        &[
            bytes_list(py, &out.lookup),
            bytes_list(py, &out.modified),
            bytes_list(py, &out.added),
            bytes_list(py, &out.removed),
            bytes_list(py, &out.deleted),
            bytes_list(py, &out.clean),
            bytes_list(py, &out.ignored),
            bytes_list(py, &out.unknown),
            PyList::new(py, &warnings).into_object(),
            PyList::new(py, &bad).into_object(),
            match contract.dirs_slot {
                DirsSlot::Traversed => bytes_list(py, &out.traversed),
                DirsSlot::EmptyDirs { .. } => bytes_list(py, &out.empty_dirs),
            },
            PyBool::get(py, out.dirty).into_object(),
        ],
    );
    let updates = std::mem::take(&mut out.cache_updates);
    let counters = out.counters;
    drop(out);
    drop(borrowed);
    // Watchman's paths say nothing about directories: the v2 cache and the
    // patterns hash it was recorded with stay as they are.
    if is_v2 && !watched_paths && (!updates.is_empty() || patterns_changed == Some(true)) {
        let mut m = map_obj.inner_mut(py)?;
        apply_cache_updates(&mut m, updates);
        if let Some(r) = &ignore {
            if patterns_changed.is_some() {
                m.set_ignore_patterns_hash(r.patterns_hash);
            }
        }
    }
    if tracing() {
        let tables = if map_obj.inner_ref(py)?.tables_built() {
            "built"
        } else {
            "not built, read in place"
        };
        eprintln!(
            "rustext-status: native{} (dirs read {}, entries stat'ed {}, dirs from v2 cache {}; \
             map tables {tables}; {:.1} ms to the walk's end, {:.1} ms in all)",
            if watched_paths {
                ", paths from watchman"
            } else {
                ""
            },
            counters.dirs_read,
            counters.entries_stated,
            counters.dirs_from_cache,
            walked.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(tuple)
}
