"""Builds `mercurial.rustext` (hg-cpython) and installs it beside Mercurial.

The wheel holds: the extension module (`mercurial.rustext`) and its second
name for Mercurial 7.x (`mercurial/pyo3_rustext.py`, with `rustext_shape.py`);
Mercurial's `__modulepolicy__.py` set to `rust+c-allow` (the file a
distribution packager generates; uninstalling this package removes it, and
Mercurial falls back to its default C policy); our defaults file in
Mercurial's `defaultrc/`; and the small `hg-rustext` policy switch
(mercurial/rustext_policy.py).
"""
from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    # `mercurial.defaultrc` is Mercurial's package: we add one data file to
    # it (no `__init__.py` of ours).
    packages=["mercurial", "mercurial.defaultrc"],
    package_dir={"mercurial": "mercurial"},
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
