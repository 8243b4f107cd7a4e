//! `Dirs`: the Rust `pathutil.dirs` (a multiset of the directories of some
//! paths), with the constructor rules of Mercurial's C `parsers.dirs`.
//! Like C (and pure Python), the root directory `b""` is a member as soon as
//! one path is counted (hg-core's multiset does that).
use std::cell::RefCell;

use cpython::{
    exc, py_class, ObjectProtocol, PyBytes, PyClone, PyDict, PyErr, PyObject, PyResult, Python,
    UnsafePyLeaked,
};
use hg_core::dirstate::{DirsIter, DirsMultiset};

use super::dirstate_error;
use super::item::DirstateItem;
use super::map::DirstateMap;

fn expected(py: Python, what: &str) -> PyErr {
    PyErr::new::<exc::TypeError, _>(py, what.to_string())
}

/// Paths to count, read from the constructor's source as C's `dirs` does.
fn source_paths(py: Python, source: &PyObject, only_tracked: bool) -> PyResult<Vec<Vec<u8>>> {
    let mut paths = Vec::new();
    if let Ok(dict) = source.cast_as::<PyDict>(py) {
        for (key, value) in dict.items(py) {
            let key = key
                .cast_as::<PyBytes>(py)
                .map_err(|_| expected(py, "expected string key"))?;
            if only_tracked {
                let item = value
                    .cast_as::<DirstateItem>(py)
                    .map_err(|_| expected(py, "expected a dirstate tuple"))?;
                if !item.get(py).tracked() {
                    continue;
                }
            }
            paths.push(key.data(py).to_vec());
        }
    } else if let Ok(map) = source.cast_as::<DirstateMap>(py) {
        // Our own map stands in for the dict Mercurial would pass.
        let map = map.inner_ref(py)?;
        for (path, entry) in map.iter() {
            if !only_tracked || entry.tracked() {
                paths.push(path.to_vec());
            }
        }
    } else if only_tracked {
        return Err(PyErr::new::<exc::ValueError, _>(
            py,
            "`only_tracked` is only supported with a dict source",
        ));
    } else {
        for item in source.iter(py)? {
            let item = item?;
            let path = item
                .cast_as::<PyBytes>(py)
                .map_err(|_| expected(py, "expected string"))?;
            paths.push(path.data(py).to_vec());
        }
    }
    Ok(paths)
}

py_class!(pub class Dirs |py| {
    @shared data inner: DirsMultiset;

    def __new__(_cls, map: Option<PyObject> = None, only_tracked: bool = false) -> PyResult<Dirs> {
        let paths = match &map {
            Some(source) if !source.is_none(py) => source_paths(py, source, only_tracked)?,
            _ => Vec::new(),
        };
        let set = DirsMultiset::from_paths(paths.iter().map(|p| &p[..]))
            .map_err(|e| dirstate_error(py, e))?;
        Dirs::create_instance(py, set)
    }

    def addpath(&self, path: PyBytes) -> PyResult<PyObject> {
        let mut set = self.inner(py).try_borrow_mut().map_err(|_| busy(py))?;
        set.add_path(path.data(py)).map_err(|e| dirstate_error(py, e))?;
        Ok(py.None())
    }

    def delpath(&self, path: PyBytes) -> PyResult<PyObject> {
        let mut set = self.inner(py).try_borrow_mut().map_err(|_| busy(py))?;
        set.delete_path(path.data(py)).map_err(|e| dirstate_error(py, e))?;
        Ok(py.None())
    }

    def __contains__(&self, item: PyObject) -> PyResult<bool> {
        let Ok(dir) = item.cast_as::<PyBytes>(py) else {
            return Ok(false);
        };
        Ok(self.inner(py).try_borrow().map_err(|_| busy(py))?.contains(dir.data(py)))
    }

    def __iter__(&self) -> PyResult<DirsIterator> {
        let leaked = self.inner(py).try_leak_immutable().map_err(|_| busy(py))?;
        // SAFETY: the iterator borrows the multiset only; validated per step.
        let it = unsafe { leaked.map(py, |set| set.iter()) };
        DirsIterator::create_instance(py, RefCell::new(it))
    }
});

fn busy(py: Python) -> PyErr {
    PyErr::new::<exc::RuntimeError, _>(py, "dirs cannot be changed while being iterated")
}

py_class!(pub class DirsIterator |py| {
    data it: RefCell<UnsafePyLeaked<DirsIter<'static>>>;

    def __next__(&self) -> PyResult<Option<PyBytes>> {
        let mut leaked = self.it(py).borrow_mut();
        // SAFETY: items are copied into Python objects inside the borrow.
        let mut it = unsafe { leaked.try_borrow_mut(py)? };
        Ok(it.next().map(|d| PyBytes::new(py, d)))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

py_class!(pub class OwnedDirsIterator |py| {
    data it: RefCell<std::vec::IntoIter<Vec<u8>>>;

    def __next__(&self) -> PyResult<Option<PyBytes>> {
        Ok(self.it(py).borrow_mut().next().map(|d| PyBytes::new(py, &d)))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

impl OwnedDirsIterator {
    /// An iterator over a snapshot of directory names.
    pub fn new(py: Python, dirs: Vec<Vec<u8>>) -> PyResult<OwnedDirsIterator> {
        OwnedDirsIterator::create_instance(py, RefCell::new(dirs.into_iter()))
    }
}
