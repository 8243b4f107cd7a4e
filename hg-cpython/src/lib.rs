//! The `mercurial.rustext` extension module: a thin rust-cpython binding over
//! hg-core. Python objects are built and converted here; logic lives in hg-core.
use cpython::py_module_initializer;

pub mod exceptions;
pub mod matchers;
pub mod status;

py_module_initializer!(rustext, |py, m| {
    m.add(py, "__doc__", "Mercurial core concepts - Rust implementation")?;
    Ok(())
});
