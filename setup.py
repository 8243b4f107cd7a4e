"""Builds `mercurial.rustext` (hg-cpython) and installs it beside Mercurial.

The wheel holds: the extension module (`mercurial.rustext`) and its second
name for Mercurial 7.x (`mercurial/pyo3_rustext.py`, with `rustext_shape.py`);
Mercurial's `__modulepolicy__.py` set to `rust+c-allow` (the file a
distribution packager generates; uninstalling this package removes it, and
Mercurial falls back to its default C policy); our defaults file in
Mercurial's `defaultrc/`; the small `hg-rustext` policy switch
(mercurial/rustext_policy.py); and our Mercurial extension
`hgext3rd/rustext.py` (Rust comparison of the files status is unsure
about), which the defaults file enables.
"""
from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    # `mercurial.defaultrc` is Mercurial's package: we add one data file to
    # it (no `__init__.py` of ours).
    # `hgext3rd` is Mercurial's namespace package for third-party
    # extensions (`[extensions] rustext =` finds `hgext3rd.rustext`): we add
    # one module to it, not its `__init__.py`.
    packages=["mercurial", "mercurial.defaultrc", "hgext3rd"],
    package_dir={"mercurial": "mercurial", "hgext3rd": "hgext3rd"},
    package_data={"mercurial.defaultrc": ["hg-rustext.rc"]},
    rust_extensions=[
        RustExtension(
            "mercurial.rustext",
            path="hg-cpython/Cargo.toml",
            binding=Binding.RustCPython,
            debug=False,
        )
    ],
    zip_safe=False,
)
