//! `DirstateMap`: the Rust dirstate map behind dirstatemap.py's rust branch,
//! its `CopyMap` view and the lazy iterators over both.
//!
//! Iterators borrow the Rust map through `@shared data` + `leak_immutable`:
//! any mutation of the map (which goes through `try_borrow_mut` and bumps the
//! shared generation) makes live iterators raise `RuntimeError` on their next
//! step instead of reading freed or changed memory.
//!
//! For other bindings (status): [`DirstateMap::from_object`] checks a
//! `PyObject` is our map; [`DirstateMap::inner_ref`] borrows the Rust map
//! immutably (shareable with worker threads as `&CoreMap`);
//! [`DirstateMap::inner_mut`] borrows it mutably (e.g. to update the v2
//! directory cache), failing with `RuntimeError` while an iterator is in the
//! middle of a step.
use std::cell::{Ref, RefCell, RefMut};

use cpython::{
    exc, py_class, ObjectProtocol, PyBytes, PyClone, PyDict, PyErr, PyObject, PyResult, PyTuple,
    Python, PythonObject, ToPyObject, UnsafePyLeaked,
};
use hg_core::dirstate::{
    preload, CopyMapIter, DebugTuple, DirstateMap as CoreMap, DirstateMapIter, OnDiskBytes,
};

use super::conv;
use super::dirstate_error;
use super::item::DirstateItem;

/// Bytes of a Python `bytes` object, kept alive by holding a reference.
/// The pointer stays valid because `bytes` are immutable and never move.
struct PyBytesDeref {
    _owner: PyBytes,
    ptr: *const u8,
    len: usize,
}

// SAFETY: the pointed-to buffer is immutable and owned by `_owner` (whose
// `Drop` takes the GIL); reading it needs no GIL.
unsafe impl Send for PyBytesDeref {}
unsafe impl Sync for PyBytesDeref {}

impl std::ops::Deref for PyBytesDeref {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: see the type's comment.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl PyBytesDeref {
    fn new(py: Python, bytes: PyBytes) -> Self {
        let data = bytes.data(py);
        let (ptr, len) = (data.as_ptr(), data.len());
        PyBytesDeref {
            _owner: bytes,
            ptr,
            len,
        }
    }
}

fn borrow_error(py: Python) -> PyErr {
    PyErr::new::<exc::RuntimeError, _>(
        py,
        "the dirstate map cannot be changed while it is being read",
    )
}

fn parent_id(py: Python, b: &PyBytes) -> PyResult<[u8; 20]> {
    b.data(py)
        .try_into()
        .map_err(|_| PyErr::new::<exc::ValueError, _>(py, "a parent node id must be 20 bytes"))
}

/// A `{bytes: bytes}` dict from `(dest, source)` pairs.
fn copies_dict<'a>(
    py: Python,
    pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> PyResult<PyDict> {
    let dict = PyDict::new(py);
    for (k, v) in pairs {
        dict.set_item(py, PyBytes::new(py, k), PyBytes::new(py, v))?;
    }
    Ok(dict)
}

py_class!(pub class DirstateMap |py| {
    @shared data inner: CoreMap;
    data identity: PyObject;

    @staticmethod def new_empty() -> PyResult<DirstateMap> {
        DirstateMap::create_instance(py, CoreMap::new_empty(), py.None())
    }

    @staticmethod def new_v1(data: PyObject, identity: Option<PyObject> = None) -> PyResult<PyTuple> {
        let data = data.cast_into::<PyBytes>(py)?;
        let empty = data.data(py).is_empty();
        let (map, (p1, p2)) = match preload::take_v1(data.data(py)) {
            Some(preloaded) => preloaded,
            None => {
                // The map reads its paths in Python's bytes, kept alive.
                let on_disk = OnDiskBytes::Shared(Box::new(PyBytesDeref::new(py, data)));
                CoreMap::new_v1(on_disk).map_err(|e| dirstate_error(py, e))?
            }
        };
        let map = DirstateMap::create_instance(py, map, identity.unwrap_or_else(|| py.None()))?;
        // An empty file has no parents to report (dirstatemap.py then asks
        // the docket/file itself and gets the null ids).
        let parents = if empty {
            py.None()
        } else {
            (PyBytes::new(py, &p1), PyBytes::new(py, &p2)).to_py_object(py).into_object()
        };
        Ok(PyTuple::new(py, &[map.into_object(), parents]))
    }

    @staticmethod def new_v2(
        data: PyObject,
        data_size: usize,
        tree_metadata: PyObject,
        uuid: PyObject,
        identity: Option<PyObject> = None
    ) -> PyResult<DirstateMap> {
        let data = data.cast_into::<PyBytes>(py)?;
        let meta = conv::path_bytes(py, &tree_metadata)?;
        let uuid = conv::path_bytes(py, &uuid)?;
        let map = match preload::take_v2(data.data(py), data_size, meta, uuid) {
            Some(map) => map,
            None => {
                let on_disk = OnDiskBytes::Shared(Box::new(PyBytesDeref::new(py, data)));
                CoreMap::new_v2(on_disk, data_size, meta, uuid).map_err(|e| dirstate_error(py, e))?
            }
        };
        DirstateMap::create_instance(py, map, identity.unwrap_or_else(|| py.None()))
    }

    def clear(&self) -> PyResult<PyObject> {
        self.inner_mut(py)?.clear();
        Ok(py.None())
    }

    def get(&self, key: PyObject, default: Option<PyObject> = None) -> PyResult<PyObject> {
        let Ok(path) = conv::path_bytes(py, &key) else {
            return Ok(default.unwrap_or_else(|| py.None()));
        };
        match self.inner_ref(py)?.get(path) {
            Some(e) => Ok(DirstateItem::new_py(py, e)?.into_object()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    def set_tracked(&self, f: PyObject) -> PyResult<bool> {
        let path = conv::path_bytes(py, &f)?;
        self.inner_mut(py)?.set_tracked(path).map_err(|e| dirstate_error(py, e))
    }

    def set_untracked(&self, f: PyObject) -> PyResult<bool> {
        let path = conv::path_bytes(py, &f)?;
        self.inner_mut(py)?.set_untracked(path).map_err(|e| dirstate_error(py, e))
    }

    def set_clean(&self, f: PyObject, mode: PyObject, size: PyObject, mtime: PyObject) -> PyResult<PyObject> {
        let path = conv::path_bytes(py, &f)?;
        let mode = conv::u32_bits(py, &mode)?;
        let size = conv::u32_bits(py, &size)?;
        let mtime = conv::timestamp(py, &mtime)?;
        self.inner_mut(py)?.set_clean(path, mode, size, mtime).map_err(|e| dirstate_error(py, e))?;
        Ok(py.None())
    }

    // `set_clean` for every `(path, (mode, size, mtime))` of a status's
    // fix-up list in one call (hgext3rd/rustext.py's `_poststatusfixup`);
    // all or nothing: KeyError, and no change, if one is not tracked.
    def set_clean_all(&self, fixup: PyObject) -> PyResult<PyObject> {
        if let Ok(list) = fixup.cast_as::<crate::lookup::FixupList>(py) {
            // Straight from `check_lookup`'s results: no tuples.
            let fixups = list.fixups(py);
            let files: Vec<_> = fixups
                .iter()
                // The size's low 32 bits, as `conv::u32_bits` takes Python's.
                .map(|(path, f)| (path.as_slice(), f.mode, f.size as u32, f.mtime))
                .collect();
            self.inner_mut(py)?.set_clean_all(&files).map_err(|e| dirstate_error(py, e))?;
            return Ok(py.None());
        }
        let mut items = Vec::new();
        for item in fixup.iter(py)? {
            let item = item?;
            let pdf = item.get_item(py, 1)?;
            items.push((
                item.get_item(py, 0)?,
                conv::u32_bits(py, &pdf.get_item(py, 0)?)?,
                conv::u32_bits(py, &pdf.get_item(py, 1)?)?,
                conv::timestamp(py, &pdf.get_item(py, 2)?)?,
            ));
        }
        let mut files = Vec::with_capacity(items.len());
        for (path, mode, size, mtime) in &items {
            files.push((conv::path_bytes(py, path)?, *mode, *size, *mtime));
        }
        self.inner_mut(py)?.set_clean_all(&files).map_err(|e| dirstate_error(py, e))?;
        Ok(py.None())
    }

    def set_possibly_dirty(&self, f: PyObject) -> PyResult<PyObject> {
        let path = conv::path_bytes(py, &f)?;
        self.inner_mut(py)?.set_possibly_dirty(path).map_err(|e| dirstate_error(py, e))?;
        Ok(py.None())
    }

    def reset_state(
        &self,
        f: PyObject,
        wc_tracked: PyObject,
        p1_tracked: PyObject,
        p2_info: PyObject,
        has_meaningful_mtime: PyObject,
        parentfiledata: Option<PyObject>
    ) -> PyResult<PyObject> {
        let path = conv::path_bytes(py, &f)?;
        let pfd = conv::parent_file_data(py, &parentfiledata)?;
        self.inner_mut(py)?
            .reset_state(
                path,
                conv::truthy(py, &wc_tracked)?,
                conv::truthy(py, &p1_tracked)?,
                conv::truthy(py, &p2_info)?,
                conv::truthy(py, &has_meaningful_mtime)?,
                pfd,
            )
            .map_err(|e| dirstate_error(py, e))?;
        Ok(py.None())
    }

    def setparents_fixup(&self) -> PyResult<PyDict> {
        let dropped = self.inner_mut(py)?.setparents_fixup().map_err(|e| dirstate_error(py, e))?;
        copies_dict(py, dropped.iter().map(|(d, s)| (&d[..], &s[..])))
    }

    def write_v1(&self, p1: PyObject, p2: PyObject) -> PyResult<PyBytes> {
        let parents = (
            parent_id(py, p1.cast_as::<PyBytes>(py)?)?,
            parent_id(py, p2.cast_as::<PyBytes>(py)?)?,
        );
        let packed = self.inner_ref(py)?.pack_v1(&parents).map_err(|e| dirstate_error(py, e))?;
        Ok(PyBytes::new(py, &packed))
    }

    def write_v2(&self, write_mode: u8) -> PyResult<PyTuple> {
        let (packed, meta, append) =
            self.inner_ref(py)?.pack_v2(write_mode).map_err(|e| dirstate_error(py, e))?;
        Ok(PyTuple::new(py, &[
            PyBytes::new(py, &packed).into_object(),
            PyBytes::new(py, &meta).into_object(),
            append.to_py_object(py).into_object(),
        ]))
    }

    def filefoldmapasdict(&self) -> PyResult<PyDict> {
        let dict = PyDict::new(py);
        let map = self.inner_ref(py)?;
        let mut fallback: Option<PyObject> = None;
        for (path, entry) in map.iter() {
            if entry.removed() {
                continue;
            }
            let value = PyBytes::new(py, path);
            let key = if path.is_ascii() {
                PyBytes::new(py, &path.to_ascii_lowercase()).into_object()
            } else {
                // Non-ASCII: Mercurial's own normcase (encoding-aware).
                if fallback.is_none() {
                    fallback = Some(py.import("mercurial.util")?.get(py, "normcase")?);
                }
                let normcase = fallback.as_ref().map(|f| f.clone_ref(py)).unwrap_or_else(|| py.None());
                normcase.call(py, (value.clone_ref(py),), None)?
            };
            dict.set_item(py, key, value)?;
        }
        Ok(dict)
    }

    def hastrackeddir(&self, d: PyObject) -> PyResult<bool> {
        let dir = conv::path_bytes(py, &d)?;
        self.inner_mut(py)?.has_tracked_dir(dir).map_err(|e| dirstate_error(py, e))
    }

    def hasdir(&self, d: PyObject) -> PyResult<bool> {
        let dir = conv::path_bytes(py, &d)?;
        self.inner_mut(py)?.has_dir(dir).map_err(|e| dirstate_error(py, e))
    }

    def tracked_dirs(&self) -> PyResult<super::dirs::OwnedDirsIterator> {
        // The core builds tracked dirs lazily behind `&mut`, so they cannot
        // be leaked as a shared borrow: the iterator owns a snapshot.
        let mut map = self.inner_mut(py)?;
        let dirs: Vec<Vec<u8>> =
            map.tracked_dirs().map_err(|e| dirstate_error(py, e))?.map(<[u8]>::to_vec).collect();
        drop(map);
        super::dirs::OwnedDirsIterator::new(py, dirs)
    }

    def debug_iter(&self, all: bool) -> PyResult<DebugIterator> {
        let leaked = self.inner(py).try_leak_immutable().map_err(|_| borrow_error(py))?;
        // SAFETY: the iterator only borrows the map, which the leaked
        // reference keeps alive and validates before each step.
        let it = unsafe { leaked.map(py, |m| m.debug_iter(all)) };
        DebugIterator::create_instance(py, RefCell::new(it))
    }

    def copymap(&self) -> PyResult<CopyMap> {
        CopyMap::create_instance(py, self.clone_ref(py))
    }

    def __len__(&self) -> PyResult<usize> {
        Ok(self.inner_ref(py)?.len())
    }

    def __contains__(&self, key: PyObject) -> PyResult<bool> {
        let Ok(path) = conv::path_bytes(py, &key) else {
            return Ok(false);
        };
        Ok(self.inner_ref(py)?.contains_key(path))
    }

    def __getitem__(&self, key: PyObject) -> PyResult<DirstateItem> {
        let entry = match conv::path_bytes(py, &key) {
            Ok(path) => self.inner_ref(py)?.get(path),
            Err(_) => None,
        };
        match entry {
            Some(e) => DirstateItem::new_py(py, e),
            None => Err(PyErr::new::<exc::KeyError, _>(py, (key,))),
        }
    }

    def keys(&self) -> PyResult<KeysIterator> {
        KeysIterator::create_instance(py, RefCell::new(self.leak_iter(py)?))
    }

    def items(&self) -> PyResult<ItemsIterator> {
        ItemsIterator::create_instance(py, RefCell::new(self.leak_iter(py)?))
    }

    def __iter__(&self) -> PyResult<KeysIterator> {
        KeysIterator::create_instance(py, RefCell::new(self.leak_iter(py)?))
    }
});

impl DirstateMap {
    /// `obj` as our map (TypeError otherwise): what `dirstate.status` gets
    /// as `self._map._map`.
    pub fn from_object(py: Python, obj: &PyObject) -> PyResult<DirstateMap> {
        Ok(obj.cast_as::<DirstateMap>(py)?.clone_ref(py))
    }

    /// Immutable borrow of the Rust map.
    pub fn inner_ref<'a>(&'a self, py: Python<'a>) -> PyResult<Ref<'a, CoreMap>> {
        self.inner(py).try_borrow().map_err(|_| borrow_error(py))
    }

    /// Mutable borrow of the Rust map; invalidates live iterators.
    pub fn inner_mut<'a>(&'a self, py: Python<'a>) -> PyResult<RefMut<'a, CoreMap>> {
        self.inner(py)
            .try_borrow_mut()
            .map_err(|_| borrow_error(py))
    }

    fn leak_iter(&self, py: Python) -> PyResult<UnsafePyLeaked<DirstateMapIter<'static>>> {
        let leaked = self
            .inner(py)
            .try_leak_immutable()
            .map_err(|_| borrow_error(py))?;
        // SAFETY: the iterator borrows the map only; validated on each step.
        Ok(unsafe { leaked.map(py, |m| m.iter()) })
    }

    fn leak_copies(&self, py: Python) -> PyResult<UnsafePyLeaked<CopyMapIter<'static>>> {
        let leaked = self
            .inner(py)
            .try_leak_immutable()
            .map_err(|_| borrow_error(py))?;
        // SAFETY: as above.
        Ok(unsafe { leaked.map(py, |m| m.copy_map_iter()) })
    }
}

py_class!(pub class KeysIterator |py| {
    data it: RefCell<UnsafePyLeaked<DirstateMapIter<'static>>>;

    def __next__(&self) -> PyResult<Option<PyBytes>> {
        let mut leaked = self.it(py).borrow_mut();
        // SAFETY: items are turned into Python objects inside the borrow.
        let mut it = unsafe { leaked.try_borrow_mut(py)? };
        Ok(it.next().map(|(path, _)| PyBytes::new(py, path)))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

py_class!(pub class ItemsIterator |py| {
    data it: RefCell<UnsafePyLeaked<DirstateMapIter<'static>>>;

    def __next__(&self) -> PyResult<Option<PyTuple>> {
        let mut leaked = self.it(py).borrow_mut();
        // SAFETY: items are turned into Python objects inside the borrow.
        let mut it = unsafe { leaked.try_borrow_mut(py)? };
        match it.next() {
            None => Ok(None),
            Some((path, entry)) => Ok(Some(PyTuple::new(py, &[
                PyBytes::new(py, path).into_object(),
                DirstateItem::new_py(py, *entry)?.into_object(),
            ]))),
        }
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

/// `debug_iter` items: `(path, state, mode, size, mtime)`.
type DebugIter = std::vec::IntoIter<(std::borrow::Cow<'static, [u8]>, DebugTuple)>;

py_class!(pub class DebugIterator |py| {
    data it: RefCell<UnsafePyLeaked<DebugIter>>;

    def __next__(&self) -> PyResult<Option<PyTuple>> {
        let mut leaked = self.it(py).borrow_mut();
        // SAFETY: items are turned into Python objects inside the borrow.
        let mut it = unsafe { leaked.try_borrow_mut(py)? };
        Ok(it.next().map(|(path, (state, mode, size, mtime))| {
            PyTuple::new(py, &[
                PyBytes::new(py, &path).into_object(),
                PyBytes::new(py, &[state]).into_object(),
                mode.to_py_object(py).into_object(),
                size.to_py_object(py).into_object(),
                mtime.to_py_object(py).into_object(),
            ])
        }))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

py_class!(pub class CopyMap |py| {
    data map: DirstateMap;

    def __len__(&self) -> PyResult<usize> {
        Ok(self.map(py).inner_ref(py)?.copy_map_len())
    }

    def __contains__(&self, key: PyObject) -> PyResult<bool> {
        let Ok(path) = conv::path_bytes(py, &key) else {
            return Ok(false);
        };
        Ok(self.map(py).inner_ref(py)?.copy_map_contains_key(path))
    }

    def __getitem__(&self, key: PyObject) -> PyResult<PyBytes> {
        let source = match conv::path_bytes(py, &key) {
            Ok(path) => self.map(py).inner_ref(py)?.copy_map_get(path).map(|s| PyBytes::new(py, s)),
            Err(_) => None,
        };
        source.ok_or_else(|| PyErr::new::<exc::KeyError, _>(py, (key,)))
    }

    def get(&self, key: PyObject, default: Option<PyObject> = None) -> PyResult<PyObject> {
        let source = match conv::path_bytes(py, &key) {
            Ok(path) => self.map(py).inner_ref(py)?.copy_map_get(path).map(|s| PyBytes::new(py, s)),
            Err(_) => None,
        };
        Ok(match source {
            Some(s) => s.into_object(),
            None => default.unwrap_or_else(|| py.None()),
        })
    }

    def __setitem__(&self, key: PyObject, value: PyObject) -> PyResult<()> {
        let dest = conv::path_bytes(py, &key)?;
        let source = conv::path_bytes(py, &value)?;
        self.map(py).inner_mut(py)?.copy_map_insert(dest, source).map_err(|e| dirstate_error(py, e))?;
        Ok(())
    }

    def __delitem__(&self, key: PyObject) -> PyResult<()> {
        let dest = conv::path_bytes(py, &key)?;
        let removed = self.map(py).inner_mut(py)?.copy_map_remove(dest).map_err(|e| dirstate_error(py, e))?;
        match removed {
            Some(_) => Ok(()),
            None => Err(PyErr::new::<exc::KeyError, _>(py, (key,))),
        }
    }

    def pop(&self, *args, **kwargs) -> PyResult<PyObject> {
        // `dict.pop` semantics: `pop(k)` raises KeyError for a missing key,
        // `pop(k, default)` returns the default (Mercurial passes `None`).
        let n = args.len(py);
        if !(1..=2).contains(&n) || kwargs.is_some_and(|k| k.len(py) > 0) {
            return Err(PyErr::new::<exc::TypeError, _>(
                py,
                format!("pop expected 1 or 2 positional arguments, got {n}"),
            ));
        }
        let key = args.get_item(py, 0);
        let default = (n == 2).then(|| args.get_item(py, 1));
        let removed = match conv::path_bytes(py, &key) {
            Ok(dest) => self.map(py).inner_mut(py)?.copy_map_remove(dest).map_err(|e| dirstate_error(py, e))?,
            Err(_) => None,
        };
        match (removed, default) {
            (Some(source), _) => Ok(PyBytes::new(py, &source).into_object()),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(PyErr::new::<exc::KeyError, _>(py, (key,))),
        }
    }

    def copy(&self) -> PyResult<PyDict> {
        let map = self.map(py).inner_ref(py)?;
        copies_dict(py, map.copy_map_iter())
    }

    def keys(&self) -> PyResult<CopyMapKeysIterator> {
        CopyMapKeysIterator::create_instance(py, RefCell::new(self.map(py).leak_copies(py)?))
    }

    def items(&self) -> PyResult<CopyMapItemsIterator> {
        CopyMapItemsIterator::create_instance(py, RefCell::new(self.map(py).leak_copies(py)?))
    }

    def values(&self) -> PyResult<Vec<PyBytes>> {
        let map = self.map(py).inner_ref(py)?;
        Ok(map.copy_map_iter().map(|(_, s)| PyBytes::new(py, s)).collect())
    }

    def __iter__(&self) -> PyResult<CopyMapKeysIterator> {
        CopyMapKeysIterator::create_instance(py, RefCell::new(self.map(py).leak_copies(py)?))
    }
});

py_class!(pub class CopyMapKeysIterator |py| {
    data it: RefCell<UnsafePyLeaked<CopyMapIter<'static>>>;

    def __next__(&self) -> PyResult<Option<PyBytes>> {
        let mut leaked = self.it(py).borrow_mut();
        // SAFETY: items are turned into Python objects inside the borrow.
        let mut it = unsafe { leaked.try_borrow_mut(py)? };
        Ok(it.next().map(|(dest, _)| PyBytes::new(py, dest)))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

py_class!(pub class CopyMapItemsIterator |py| {
    data it: RefCell<UnsafePyLeaked<CopyMapIter<'static>>>;

    def __next__(&self) -> PyResult<Option<(PyBytes, PyBytes)>> {
        let mut leaked = self.it(py).borrow_mut();
        // SAFETY: items are turned into Python objects inside the borrow.
        let mut it = unsafe { leaked.try_borrow_mut(py)? };
        Ok(it.next().map(|(dest, source)| (PyBytes::new(py, dest), PyBytes::new(py, source))))
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});
