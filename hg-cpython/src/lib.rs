//! The `mercurial.rustext` extension module.
use cpython::{py_module_initializer, PyResult, Python, PyModule};

py_module_initializer!(rustext, |py, m| {
    m.add(py, "__doc__", "Mercurial core concepts - Rust implementation")?;
    let dotted = m.get(py, "__name__")?.extract::<String>(py)?;
    let _ = dotted;
    Ok(())
});
#[allow(dead_code)]
fn _unused(_py: Python, _m: &PyModule) -> PyResult<()> { Ok(()) }
