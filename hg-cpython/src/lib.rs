//! The `mercurial.rustext` extension module: a thin rust-cpython binding over
//! hg-core. Python objects are built and converted here; logic lives in hg-core.
// rust-cpython's py_class! expands to impls inside functions.
#![allow(non_local_definitions)]
// ... and its argument parsing strips prefixes by hand.
#![allow(clippy::manual_strip)]
// ... and generates one Rust function per Python signature (many arguments)
// and slot tables with `..Default::default()` even when complete.
#![allow(clippy::too_many_arguments, clippy::needless_update)]

use cpython::{py_module_initializer, ObjectProtocol, PyModule, PyResult, Python};

pub mod ancestor;
pub mod dirstate;
pub mod exceptions;
pub mod hg_contract;
pub mod lookup;
pub mod matchers;
pub mod revlog_index;
pub mod status;
pub mod watchman;

/// Name under which Mercurial imports us (`policy.importrust`).
const PACKAGE: &str = "mercurial.rustext";

/// Attaches `module` as attribute `name` of `parent` and registers it in
/// `sys.modules` under its dotted name, so that both
/// `from mercurial.rustext import X` and `import mercurial.rustext.X` work.
fn add_submodule(py: Python, parent: &PyModule, name: &str, module: PyModule) -> PyResult<()> {
    let sys_modules = py.import("sys")?.get(py, "modules")?;
    sys_modules.set_item(py, format!("{PACKAGE}.{name}"), &module)?;
    parent.add(py, name, module)
}

py_module_initializer!(rustext, |py, m| {
    m.add(
        py,
        "__doc__",
        "Mercurial core concepts - Rust implementation",
    )?;
    m.add(py, "GraphError", py.get_type::<exceptions::GraphError>())?;
    m.add(
        py,
        "FallbackError",
        py.get_type::<exceptions::FallbackError>(),
    )?;
    add_submodule(
        py,
        m,
        "ancestor",
        ancestor::init_ancestor_module(py, PACKAGE)?,
    )?;
    add_submodule(py, m, "dagop", ancestor::init_dagop_module(py, PACKAGE)?)?;
    add_submodule(py, m, "dirstate", dirstate::init_module(py, PACKAGE)?)?;
    Ok(())
});
