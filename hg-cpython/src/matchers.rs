//! Conversion of Mercurial's Python matcher objects into hg-core matchers,
//! and of pattern errors into the exceptions Mercurial raises itself.
//!
//! Matchers are recognized by class (`mercurial.match.<name>`) and rebuilt
//! from the attributes their constructors keep (`_kindpats`, `_files`,
//! `_matchers`, `_m1`/`_m2`). Anything else (filesets, predicates, subdir
//! matchers, matchers an extension modified) becomes a `FallbackError`, so
//! that Mercurial's own Python gives the answer.
use std::path::Path;

use cpython::{
    NoArgs, ObjectProtocol, PyBytes, PyErr, PyObject, PyResult, PyTuple, Python, PythonObject,
};
use hg_core::matchers::{
    AlwaysMatcher, DifferenceMatcher, FileMatcher, IncludeMatcher, IntersectionMatcher, KindPat,
    Matcher, NeverMatcher, PatternError, PatternMatcher, UnionMatcher,
};

use crate::exceptions::FallbackError;

fn fallback(py: Python, why: impl AsRef<str>) -> PyErr {
    crate::status::fallback(py, why.as_ref())
}

/// Turns a pattern error into what Mercurial would raise: `error.Abort`
/// with Mercurial's exact message for an invalid regex, `FallbackError`
/// (let Python redo the work) for everything we do not reproduce.
pub fn ignore_error_to_py(py: Python, err: &PatternError) -> PyErr {
    match err {
        PatternError::InvalidRegex { message } => match make_abort(py, message) {
            Ok(e) => e,
            Err(e) => e,
        },
        other => fallback(py, other.to_string()),
    }
}

/// Builds `mercurial.error.Abort(message)` as a raisable error.
fn make_abort(py: Python, message: &[u8]) -> PyResult<PyErr> {
    let abort = py.import("mercurial.error")?.get(py, "Abort")?;
    let instance = abort.call(py, (PyBytes::new(py, message),), None)?;
    Ok(PyErr::from_instance(py, instance))
}

/// Rebuilds `obj` (a `mercurial.match` matcher) in Rust. `subinclude:`
/// patterns are unsupported without a root: see
/// [`convert_matcher_with_root`].
pub fn convert_matcher(py: Python, obj: &PyObject) -> PyResult<Box<dyn Matcher>> {
    convert_top(py, obj, None)
}

/// [`convert_matcher`], resolving `subinclude:` patterns against the
/// repository root on disk.
pub fn convert_matcher_with_root(
    py: Python,
    obj: &PyObject,
    root: &Path,
) -> PyResult<Box<dyn Matcher>> {
    convert_top(py, obj, Some(root))
}

fn convert_top(py: Python, obj: &PyObject, root: Option<&Path>) -> PyResult<Box<dyn Matcher>> {
    // Extensions may monkeypatch matchers; Mercurial tracks that for us.
    let tampered = obj
        .call_method(py, "was_tampered_with", NoArgs, None)
        .and_then(|r| r.is_true(py))
        .unwrap_or(true);
    if tampered {
        return Err(fallback(py, "matcher was tampered with"));
    }
    convert(py, obj, root).map_err(|e| {
        if e.matches(py, py.get_type::<FallbackError>()) {
            e
        } else {
            // Missing attributes or unexpected shapes: not a matcher we know.
            fallback(py, "unsupported matcher")
        }
    })
}

fn convert(py: Python, obj: &PyObject, root: Option<&Path>) -> PyResult<Box<dyn Matcher>> {
    let ty = obj.get_type(py);
    let module: String = ty.as_object().getattr(py, "__module__")?.extract(py)?;
    let name = ty.name(py).into_owned();
    if module != "mercurial.match" {
        return Err(fallback(py, format!("matcher class {}.{}", module, name)));
    }
    let unsupported = |e: PatternError| ignore_error_to_py(py, &e);
    Ok(match name.as_str() {
        "alwaysmatcher" => Box::new(AlwaysMatcher),
        "nevermatcher" => Box::new(NeverMatcher),
        "exactmatcher" => {
            let mut files = Vec::new();
            for f in obj.getattr(py, "_files")?.iter(py)? {
                files.push(f?.extract::<PyBytes>(py)?.data(py).to_vec());
            }
            Box::new(FileMatcher::new(files))
        }
        "patternmatcher" | "includematcher" => {
            let kindpats = kindpats(py, obj)?;
            let needs_root = kindpats
                .iter()
                .any(|kp| kp.kind == hg_core::matchers::PatternKind::SubInclude);
            let root = match root {
                Some(r) => r,
                None if needs_root => return Err(fallback(py, "subinclude without a root")),
                None => Path::new("/"),
            };
            if name == "patternmatcher" {
                Box::new(PatternMatcher::new(kindpats, root).map_err(unsupported)?)
            } else {
                Box::new(IncludeMatcher::new(kindpats, root).map_err(unsupported)?)
            }
        }
        "unionmatcher" => {
            let mut matchers = Vec::new();
            for m in obj.getattr(py, "_matchers")?.iter(py)? {
                matchers.push(convert(py, &m?, root)?);
            }
            Box::new(UnionMatcher::new(matchers))
        }
        "intersectionmatcher" | "differencematcher" => {
            let m1 = convert(py, &obj.getattr(py, "_m1")?, root)?;
            let m2 = convert(py, &obj.getattr(py, "_m2")?, root)?;
            if name == "intersectionmatcher" {
                Box::new(IntersectionMatcher::new(m1, m2))
            } else {
                Box::new(DifferenceMatcher::new(m1, m2))
            }
        }
        other => return Err(fallback(py, format!("matcher class {}", other))),
    })
}

/// Reads `_kindpats`, the `(kind, pattern, source)` list Mercurial keeps
/// for Rust on pattern and include matchers.
fn kindpats(py: Python, obj: &PyObject) -> PyResult<Vec<KindPat>> {
    let mut out = Vec::new();
    for item in obj.getattr(py, "_kindpats")?.iter(py)? {
        let tuple: PyTuple = item?.extract(py)?;
        if tuple.len(py) != 3 {
            return Err(fallback(py, "unexpected _kindpats entry"));
        }
        let field = |i: usize| -> PyResult<Vec<u8>> {
            Ok(tuple
                .get_item(py, i)
                .extract::<PyBytes>(py)?
                .data(py)
                .to_vec())
        };
        let kp = KindPat::from_names(&field(0)?, &field(1)?, &field(2)?)
            .map_err(|e| ignore_error_to_py(py, &e))?;
        out.push(kp);
    }
    Ok(out)
}
