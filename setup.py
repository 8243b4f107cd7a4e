"""Builds `mercurial.rustext` (hg-cpython) and installs it beside Mercurial.

The wheel holds three things: the extension module, Mercurial's
`__modulepolicy__.py` set to `rust+c-allow` (the file a distribution packager
generates; uninstalling this package removes it, and Mercurial falls back to
its default C policy), and the small `hg-rustext` policy switch (mercurial/rustext_policy.py).
"""
from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    packages=["mercurial"],
    package_dir={"mercurial": "mercurial"},
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
