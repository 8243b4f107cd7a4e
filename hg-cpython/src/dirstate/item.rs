//! `DirstateItem`: one file's dirstate record, with every constructor,
//! property and method of `mercurial/pure/parsers.py` `DirstateItem`. Items
//! handed out by the map are copies: mutating one does not change the map
//! (as with Mercurial's own Rust extension); dirstatemap.py always goes
//! through the map's methods.
use std::cell::Cell;

use cpython::{exc, py_class, PyBytes, PyErr, PyObject, PyResult, Python};
use hg_core::dirstate::DirstateEntry;

use super::conv;

py_class!(pub class DirstateItem |py| {
    data entry: Cell<DirstateEntry>;

    def __new__(
        _cls,
        wc_tracked: Option<PyObject> = None,
        p1_tracked: Option<PyObject> = None,
        p2_info: Option<PyObject> = None,
        has_meaningful_data: Option<PyObject> = None,
        has_meaningful_mtime: Option<PyObject> = None,
        parentfiledata: Option<PyObject> = None,
        fallback_exec: Option<PyObject> = None,
        fallback_symlink: Option<PyObject> = None
    ) -> PyResult<DirstateItem> {
        let flag = |o: &Option<PyObject>, default: bool| -> PyResult<bool> {
            match o {
                None => Ok(default),
                Some(o) => conv::truthy(py, o),
            }
        };
        let entry = DirstateEntry::from_item_args(
            flag(&wc_tracked, false)?,
            flag(&p1_tracked, false)?,
            flag(&p2_info, false)?,
            flag(&has_meaningful_data, true)?,
            flag(&has_meaningful_mtime, true)?,
            conv::parent_file_data(py, &parentfiledata)?,
            conv::optional_bool(py, &fallback_exec)?,
            conv::optional_bool(py, &fallback_symlink)?,
        );
        DirstateItem::create_instance(py, Cell::new(entry))
    }

    @classmethod def from_v1_data(cls, state: PyObject, mode: i32, size: i32, mtime: i32) -> PyResult<DirstateItem> {
        let state = state_byte(py, &state)?;
        let entry = DirstateEntry::from_v1_data(state, mode, size, mtime)
            .map_err(|e| super::dirstate_error(py, e))?;
        DirstateItem::create_instance(py, Cell::new(entry))
    }

    @classmethod def from_v2_data(cls, flags: u16, size: u32, mtime_s: u32, mtime_ns: u32) -> PyResult<DirstateItem> {
        DirstateItem::create_instance(py, Cell::new(DirstateEntry::from_v2_data(flags, size, mtime_s, mtime_ns)))
    }

    def v2_data(&self) -> PyResult<(u16, u32, u32, u32)> {
        Ok(self.get(py).v2_data())
    }

    def mtime_likely_equal_to(&self, other: PyObject) -> PyResult<bool> {
        let other = conv::timestamp(py, &other)?;
        Ok(self.get(py).mtime_likely_equal_to(&other))
    }

    def set_possibly_dirty(&self) -> PyResult<PyObject> {
        self.update(py, |e| e.set_possibly_dirty())
    }

    def set_clean(&self, mode: PyObject, size: PyObject, mtime: PyObject) -> PyResult<PyObject> {
        let mode = conv::u32_bits(py, &mode)?;
        let size = conv::u32_bits(py, &size)?;
        let mtime = conv::timestamp(py, &mtime)?;
        self.update(py, |e| e.set_clean(mode, size, mtime))
    }

    def set_tracked(&self) -> PyResult<PyObject> {
        self.update(py, |e| e.set_tracked())
    }

    def set_untracked(&self) -> PyResult<PyObject> {
        self.update(py, |e| e.set_untracked())
    }

    def drop_merge_data(&self) -> PyResult<PyObject> {
        self.update(py, |e| e.drop_merge_data())
    }

    @property def state(&self) -> PyResult<PyBytes> {
        let e = self.get(py);
        let state = if e.any_tracked() { e.state() } else { b'?' };
        Ok(PyBytes::new(py, &[state]))
    }

    @property def mode(&self) -> PyResult<i32> {
        Ok(self.get(py).v1_mode())
    }

    @property def size(&self) -> PyResult<i32> {
        Ok(self.tracked_somewhere(py)?.v1_size())
    }

    @property def mtime(&self) -> PyResult<i32> {
        Ok(self.tracked_somewhere(py)?.v1_mtime())
    }

    @property def has_fallback_exec(&self) -> PyResult<bool> {
        Ok(self.get(py).fallback_exec().is_some())
    }

    @property def fallback_exec(&self) -> PyResult<Option<bool>> {
        Ok(self.get(py).fallback_exec())
    }

    @fallback_exec.setter def set_fallback_exec(&self, value: Option<PyObject>) -> PyResult<()> {
        let value = conv::optional_bool(py, &value)?;
        self.update(py, |e| e.set_fallback_exec(value))?;
        Ok(())
    }

    @property def has_fallback_symlink(&self) -> PyResult<bool> {
        Ok(self.get(py).fallback_symlink().is_some())
    }

    @property def fallback_symlink(&self) -> PyResult<Option<bool>> {
        Ok(self.get(py).fallback_symlink())
    }

    @fallback_symlink.setter def set_fallback_symlink(&self, value: Option<PyObject>) -> PyResult<()> {
        let value = conv::optional_bool(py, &value)?;
        self.update(py, |e| e.set_fallback_symlink(value))?;
        Ok(())
    }

    @property def tracked(&self) -> PyResult<bool> { Ok(self.get(py).tracked()) }
    @property def any_tracked(&self) -> PyResult<bool> { Ok(self.get(py).any_tracked()) }
    @property def added(&self) -> PyResult<bool> { Ok(self.get(py).added()) }
    @property def modified(&self) -> PyResult<bool> { Ok(self.get(py).modified()) }
    @property def maybe_clean(&self) -> PyResult<bool> { Ok(self.get(py).maybe_clean()) }
    @property def p1_tracked(&self) -> PyResult<bool> { Ok(self.get(py).p1_tracked()) }
    @property def p2_info(&self) -> PyResult<bool> { Ok(self.get(py).p2_info()) }
    @property def removed(&self) -> PyResult<bool> { Ok(self.get(py).removed()) }
    @property def from_p2(&self) -> PyResult<bool> { Ok(self.get(py).from_p2()) }

    // pure's private v1 encoders (upstream Rust exposes them too).
    def v1_state(&self) -> PyResult<PyBytes> {
        Ok(PyBytes::new(py, &[self.tracked_somewhere(py)?.state()]))
    }
    def _v1_state(&self) -> PyResult<PyBytes> { self.v1_state(py) }
    def v1_mode(&self) -> PyResult<i32> { Ok(self.get(py).v1_mode()) }
    def _v1_mode(&self) -> PyResult<i32> { self.v1_mode(py) }
    def v1_size(&self) -> PyResult<i32> { Ok(self.tracked_somewhere(py)?.v1_size()) }
    def _v1_size(&self) -> PyResult<i32> { self.v1_size(py) }
    def v1_mtime(&self) -> PyResult<i32> { Ok(self.tracked_somewhere(py)?.v1_mtime()) }
    def _v1_mtime(&self) -> PyResult<i32> { self.v1_mtime(py) }

    def __repr__(&self) -> PyResult<String> {
        Ok(format!("<DirstateItem {:?}>", self.get(py)))
    }
});

/// The v1 state argument: `b'n'` (bytes of length one) or its integer.
fn state_byte(py: Python, state: &PyObject) -> PyResult<u8> {
    if let Ok(b) = state.cast_as::<PyBytes>(py) {
        if let [s] = b.data(py) {
            return Ok(*s);
        }
    } else if let Ok(i) = state.extract::<u8>(py) {
        return Ok(i);
    }
    Err(PyErr::new::<exc::TypeError, _>(
        py,
        "state must be a single byte",
    ))
}

impl DirstateItem {
    /// Wraps a copy of a map entry.
    pub fn new_py(py: Python, entry: DirstateEntry) -> PyResult<DirstateItem> {
        DirstateItem::create_instance(py, Cell::new(entry))
    }

    /// The record.
    pub fn get(&self, py: Python) -> DirstateEntry {
        self.entry(py).get()
    }

    fn update(&self, py: Python, f: impl FnOnce(&mut DirstateEntry)) -> PyResult<PyObject> {
        let mut e = self.entry(py).get();
        f(&mut e);
        self.entry(py).set(e);
        Ok(py.None())
    }

    /// The pure implementation refuses v1 size/mtime of an item tracked
    /// nowhere with `RuntimeError('untracked item')`.
    fn tracked_somewhere(&self, py: Python) -> PyResult<DirstateEntry> {
        let e = self.get(py);
        if e.any_tracked() {
            Ok(e)
        } else {
            Err(PyErr::new::<exc::RuntimeError, _>(py, "untracked item"))
        }
    }
}
