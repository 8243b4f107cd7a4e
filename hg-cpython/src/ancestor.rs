//! `mercurial.rustext.ancestor` and `mercurial.rustext.dagop`: Python faces of
//! hg-core's ancestor walks (`ancestor.lazyancestors`,
//! `ancestor.incrementalmissingancestors`, `dagop.headrevs`) over the C
//! revlog index.
use std::cell::RefCell;

use cpython::{
    py_class, py_fn, ObjectProtocol, PyClone, PyList, PyModule, PyObject, PyResult, PySet, Python,
    PythonObject, ToPyObject,
};
use hg_core::ancestors::{self as core, AncestorsMembership, Revision};

use crate::revlog_index::{graph_error, Index};

/// Reads an iterable of Python ints as revisions.
fn revisions(py: Python, revs: &PyObject) -> PyResult<Vec<Revision>> {
    let mut out = Vec::new();
    for rev in revs.iter(py)? {
        out.push(rev?.extract::<Revision>(py)?);
    }
    Ok(out)
}

/// A Python set holding `revs`.
fn to_pyset(py: Python, revs: impl IntoIterator<Item = Revision>) -> PyResult<PySet> {
    let set = PySet::empty(py)?;
    for r in revs {
        set.add(py, r)?;
    }
    Ok(set)
}

fn ancestors_iter(
    py: Python,
    index: &Index,
    initrevs: Vec<Revision>,
    stoprev: Revision,
    inclusive: bool,
) -> PyResult<core::AncestorsIterator<Index>> {
    core::AncestorsIterator::new(index.clone_ref(py), initrevs, stoprev, inclusive)
        .map_err(|e| graph_error(py, e))
}

py_class!(pub class AncestorsIterator |py| {
    data inner: RefCell<core::AncestorsIterator<Index>>;

    def __new__(_cls, index: PyObject, initrevs: PyObject, stoprev: Revision, inclusive: bool) -> PyResult<AncestorsIterator> {
        let index = Index::new(py, index)?;
        let initrevs = revisions(py, &initrevs)?;
        let it = core::AncestorsIterator::new(index, initrevs, stoprev, inclusive)
            .map_err(|e| graph_error(py, e))?;
        AncestorsIterator::create_instance(py, RefCell::new(it))
    }

    def __next__(&self) -> PyResult<Option<Revision>> {
        self.next_rev(py)
    }

    def __iter__(&self) -> PyResult<Self> {
        Ok(self.clone_ref(py))
    }
});

impl AncestorsIterator {
    fn from_core(py: Python, it: core::AncestorsIterator<Index>) -> PyResult<Self> {
        Self::create_instance(py, RefCell::new(it))
    }

    fn next_rev(&self, py: Python) -> PyResult<Option<Revision>> {
        let mut it = self.inner(py).borrow_mut();
        it.next().transpose().map_err(|e| graph_error(py, e))
    }
}

py_class!(pub class LazyAncestors |py| {
    data index: Index;
    data initrevs: Vec<Revision>;
    data stoprev: Revision;
    data inclusive: bool;
    data membership: RefCell<AncestorsMembership<Index>>;

    def __new__(_cls, index: PyObject, initrevs: PyObject, stoprev: Revision, inclusive: bool) -> PyResult<LazyAncestors> {
        let index = Index::new(py, index)?;
        let initrevs: Vec<Revision> =
            revisions(py, &initrevs)?.into_iter().filter(|&r| r >= stoprev).collect();
        let it = ancestors_iter(py, &index, initrevs.clone(), stoprev, inclusive)?;
        LazyAncestors::create_instance(
            py, index, initrevs, stoprev, inclusive,
            RefCell::new(AncestorsMembership::new(it)),
        )
    }

    def __contains__(&self, rev: PyObject) -> PyResult<bool> {
        // Like Python's lazyancestors, anything but an int (e.g. None) is
        // simply not an ancestor.
        let Ok(rev) = rev.extract::<Revision>(py) else {
            return Ok(false);
        };
        self.membership(py).borrow_mut().contains(rev).map_err(|e| graph_error(py, e))
    }

    def __iter__(&self) -> PyResult<AncestorsIterator> {
        let it = ancestors_iter(py, self.index(py), self.initrevs(py).clone(), *self.stoprev(py), *self.inclusive(py))?;
        AncestorsIterator::from_core(py, it)
    }

    def __bool__(&self) -> PyResult<bool> {
        let mut it = ancestors_iter(py, self.index(py), self.initrevs(py).clone(), *self.stoprev(py), *self.inclusive(py))?;
        Ok(it.next().transpose().map_err(|e| graph_error(py, e))?.is_some())
    }
});

py_class!(pub class MissingAncestors |py| {
    data inner: RefCell<core::MissingAncestors<Index>>;

    def __new__(_cls, index: PyObject, bases: PyObject) -> PyResult<MissingAncestors> {
        let index = Index::new(py, index)?;
        let bases = revisions(py, &bases)?;
        MissingAncestors::create_instance(py, RefCell::new(core::MissingAncestors::new(index, bases)))
    }

    def hasbases(&self) -> PyResult<bool> {
        Ok(self.inner(py).borrow().has_bases())
    }

    def addbases(&self, bases: PyObject) -> PyResult<PyObject> {
        let bases = revisions(py, &bases)?;
        self.inner(py).borrow_mut().add_bases(bases);
        Ok(py.None())
    }

    def bases(&self) -> PyResult<PySet> {
        to_pyset(py, self.inner(py).borrow().bases().iter().copied())
    }

    def basesheads(&self) -> PyResult<PySet> {
        let heads = self.inner(py).borrow().bases_heads().map_err(|e| graph_error(py, e))?;
        to_pyset(py, heads)
    }

    def removeancestorsfrom(&self, revs: PyObject) -> PyResult<PyObject> {
        let before = revisions(py, &revs)?;
        let mut remaining = before.iter().copied().collect();
        self.inner(py).borrow_mut().remove_ancestors_from(&mut remaining)
            .map_err(|e| graph_error(py, e))?;
        // Mutate the caller's set in place, as the Python version does.
        for rev in before.into_iter().filter(|r| !remaining.contains(r)) {
            revs.call_method(py, "discard", (rev,), None)?;
        }
        Ok(py.None())
    }

    def missingancestors(&self, revs: PyObject) -> PyResult<PyList> {
        let revs = revisions(py, &revs)?;
        let missing = self.inner(py).borrow_mut().missing_ancestors(revs)
            .map_err(|e| graph_error(py, e))?;
        Ok(PyList::new(py, &missing.iter().map(|r| r.to_py_object(py).into_object()).collect::<Vec<_>>()))
    }
});

/// `dagop.headrevs(revs, parentsfn)` with the index as the parents function.
fn headrevs(py: Python, index: PyObject, revs: PyObject) -> PyResult<PySet> {
    let index = Index::new(py, index)?;
    let revs = revisions(py, &revs)?;
    let heads = core::heads(&index, revs).map_err(|e| graph_error(py, e))?;
    to_pyset(py, heads)
}

/// Rank of a merge of `p1` and `p2`: the number of its inclusive ancestors.
fn rank(py: Python, index: PyObject, p1: Revision, p2: Revision) -> PyResult<usize> {
    let index = Index::new(py, index)?;
    let mut count = 1;
    for rev in
        core::AncestorsIterator::new(index, [p1, p2], 0, true).map_err(|e| graph_error(py, e))?
    {
        rev.map_err(|e| graph_error(py, e))?;
        count += 1;
    }
    Ok(count)
}

/// Builds `mercurial.rustext.ancestor`.
pub fn init_ancestor_module(py: Python, package: &str) -> PyResult<PyModule> {
    let name = format!("{package}.ancestor");
    let m = PyModule::new(py, &name)?;
    m.add(py, "__package__", package)?;
    m.add(
        py,
        "__doc__",
        "Generic DAG ancestor algorithms - Rust implementation",
    )?;
    m.add_class::<AncestorsIterator>(py)?;
    m.add_class::<LazyAncestors>(py)?;
    m.add_class::<MissingAncestors>(py)?;
    m.add(
        py,
        "GraphError",
        py.get_type::<crate::exceptions::GraphError>(),
    )?;
    Ok(m)
}

/// Builds `mercurial.rustext.dagop`.
pub fn init_dagop_module(py: Python, package: &str) -> PyResult<PyModule> {
    let name = format!("{package}.dagop");
    let m = PyModule::new(py, &name)?;
    m.add(py, "__package__", package)?;
    m.add(py, "__doc__", "DAG operations - Rust implementation")?;
    m.add(
        py,
        "headrevs",
        py_fn!(py, headrevs(index: PyObject, revs: PyObject)),
    )?;
    m.add(
        py,
        "rank",
        py_fn!(py, rank(index: PyObject, p1: Revision, p2: Revision)),
    )?;
    Ok(m)
}
