"""`mercurial.pyo3_rustext`: the name Mercurial 7.x imports our Rust module by.

Mercurial 6.9 imports `mercurial.rustext`, 7.1 and 7.2 `mercurial.pyo3_rustext`,
and 7.0 both in one process (`policy.importrust` the second, `hg debuginstall`
the first). One extension module, `mercurial/rustext*.so`, serves them all:
this file gives it its second name. Each submodule is an attribute of this
module (what `policy._importfrom` and `from .pyo3_rustext import dirstate`
read) and is in `sys.modules` under this name too, exactly the objects of
`mercurial.rustext`, so types and exceptions are shared whichever name a
caller used.

`shape` is here for Mercurial 7.2, which replaces its pure `shape` module by
`importrust("shape")` as soon as the policy names Rust; see rustext_shape.py.

`importlib.import_module` rather than `import`: Mercurial's demandimport
makes plain imports lazy, and the submodules must be real attributes now.
"""
import importlib
import sys

_rustext = importlib.import_module("mercurial.rustext")
__doc__ = _rustext.__doc__  # noqa: F811 (what `hg debuginstall` touches)

_SUBMODULES = {
    "ancestor": _rustext.ancestor,
    "dagop": _rustext.dagop,
    "dirstate": _rustext.dirstate,
    "shape": importlib.import_module("mercurial.rustext_shape"),
}

GraphError = _rustext.GraphError
FallbackError = _rustext.FallbackError

for _name, _module in _SUBMODULES.items():
    globals()[_name] = _module
    sys.modules["%s.%s" % (__name__, _name)] = _module
del _name, _module
