//! Python exception classes of `mercurial.rustext`, and the one place that
//! turns hg-core errors into the exceptions Mercurial's own Python code
//! expects, so callers' `except` clauses keep working unchanged.
use cpython::{exc, py_exception};

py_exception!(rustext, FallbackError, exc::Exception);
py_exception!(rustext, GraphError, exc::ValueError);
