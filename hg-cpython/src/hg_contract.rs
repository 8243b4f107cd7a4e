//! Where Mercurial versions differ for this module: the one place.
//!
//! One build serves Mercurial 6.9, 7.0, 7.1 and 7.2 (`../shared/hg7-contract.md`
//! in the project's shared notes reads their sources). Everything Mercurial
//! calls is the same in all four except `dirstate.status`:
//!
//! | | 6.9 / 7.0 | 7.1 | 7.2 |
//! |---|---|---|---|
//! | arguments | 9 | 9 | 10 (`empty_dirs_keep_files`) |
//! | slot 8, ignore-file warnings | `(file, syntax)` tuples or bare paths, formatted by Python | messages Python passes to `ui.warn` | as 7.1 |
//! | slot 10 | traversed directories (`matcher.traversedir`) | as 6.9 | `empty_dirs`, which `hg purge` removes without rechecking |
//!
//! and, for `dirstate.check_lookup` (our `hgext3rd/rustext.py` extension's
//! replacement of `workingctx._checklookup`), which stored revisions count
//! as carrying a metadata header in `filelog.size` and
//! `filedataequivalent`:
//!
//! | | 6.9 / 7.0 | 7.1 / 7.2 |
//! |---|---|---|
//! | header that counts | a copy source (`filelog.renamed`) | any (`filelog.has_meta`) |
//!
//! The version is told apart at run time, never at build time: a 10th
//! argument means 7.2; otherwise `mercurial.policy.has_rust`, which appeared
//! in 7.1, means 7.1. Both names the module is imported under
//! (`mercurial.rustext`, `mercurial.pyo3_rustext`) are set up by
//! `mercurial/pyo3_rustext.py`, so nothing here depends on that.
use std::sync::OnceLock;

use cpython::{ObjectProtocol, PyBytes, PyObject, PyResult, Python, PythonObject, ToPyObject};
use hg_core::matchers::IgnoreWarning;

/// What slot 10 of the status tuple holds for the calling Mercurial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirsSlot {
    /// 6.9–7.1: every directory the walk traversed, when asked for.
    Traversed,
    /// 7.2: the directories `hg purge` removes (purge semantics); the flag
    /// is `empty_dirs_keep_files`, "as if the files were not deleted"
    /// (`hg purge --dirs`).
    EmptyDirs {
        /// Files stay: a directory holding one is not empty.
        keep_files: bool,
    },
}

/// The shape of one `status` call's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusContract {
    /// What slot 10 holds.
    pub dirs_slot: DirsSlot,
    /// Warnings are returned as formatted messages (7.1+), not as data for
    /// Python to format (6.9, 7.0).
    pub formatted_warnings: bool,
}

impl StatusContract {
    /// The contract of this call: `empty_dirs_keep_files` is the optional
    /// 10th argument, which only 7.2 passes.
    pub fn detect(py: Python, empty_dirs_keep_files: Option<bool>) -> Self {
        match empty_dirs_keep_files {
            Some(keep_files) => StatusContract {
                dirs_slot: DirsSlot::EmptyDirs { keep_files },
                formatted_warnings: true,
            },
            None => StatusContract {
                dirs_slot: DirsSlot::Traversed,
                formatted_warnings: policy_has_rust(py),
            },
        }
    }

    /// Slot 8's items for these warnings, in this contract's format.
    pub fn warnings(
        &self,
        py: Python,
        root: &[u8],
        warnings: &[IgnoreWarning],
    ) -> PyResult<Vec<PyObject>> {
        warnings
            .iter()
            .map(|w| {
                if self.formatted_warnings {
                    format_warning(py, root, w)
                } else {
                    Ok(warning_data(py, w))
                }
            })
            .collect()
    }
}

/// The metadata rule of the calling Mercurial (see the table above): 7.1
/// changed it together with introducing `policy.has_rust`.
pub fn lookup_meta_rule(py: Python) -> hg_core::lookup::MetaRule {
    if policy_has_rust(py) {
        hg_core::lookup::MetaRule::AnyHeader
    } else {
        hg_core::lookup::MetaRule::CopySource
    }
}

/// `mercurial.policy.has_rust` exists (Mercurial 7.1 and later). Looked up
/// once per process: a process runs one Mercurial.
fn policy_has_rust(py: Python) -> bool {
    static HAS_RUST: OnceLock<bool> = OnceLock::new();
    *HAS_RUST.get_or_init(|| {
        py.import("mercurial.policy")
            .and_then(|m| m.as_object().hasattr(py, "has_rust"))
            .unwrap_or(false)
    })
}

/// The 6.9 / 7.0 form, which their `_rust_status` formats.
fn warning_data(py: Python, w: &IgnoreWarning) -> PyObject {
    match w {
        IgnoreWarning::InvalidSyntax { file, syntax } => {
            (PyBytes::new(py, file), PyBytes::new(py, syntax))
                .to_py_object(py)
                .into_object()
        }
        IgnoreWarning::NoSuchFile { path } => PyBytes::new(py, path).into_object(),
    }
}

/// The message Mercurial 6.9's `_rust_status` makes of `w`, made the same
/// way (its translation function and `pathutil.canonpath`), so that 7.1+
/// prints exactly what 6.9 prints for the same working copy.
fn format_warning(py: Python, root: &[u8], w: &IgnoreWarning) -> PyResult<PyObject> {
    let gettext = py.import("mercurial.i18n")?.get(py, "_")?;
    let translate = |template: &[u8]| gettext.call(py, (PyBytes::new(py, template),), None);
    let args = match w {
        IgnoreWarning::InvalidSyntax { file, syntax } => {
            let template = translate(b"%s: ignoring invalid syntax '%s'\n")?;
            return template.call_method(
                py,
                "__mod__",
                ((PyBytes::new(py, file), PyBytes::new(py, syntax)),),
                None,
            );
        }
        IgnoreWarning::NoSuchFile { path } => {
            let root = PyBytes::new(py, root);
            let canon = py.import("mercurial.pathutil")?.call(
                py,
                "canonpath",
                (&root, &root, PyBytes::new(py, path)),
                None,
            )?;
            (canon, PyBytes::new(py, b"No such file or directory"))
        }
    };
    translate(b"skipping unreadable pattern file '%s': %s\n")?.call_method(
        py,
        "__mod__",
        (args,),
        None,
    )
}
