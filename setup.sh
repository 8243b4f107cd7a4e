#!/usr/bin/env bash
# README command 1: on a fresh machine, build and install everything, then run
# the main job (hg status on a generated demo working copy, C vs Rust).
#
#   HG_VERSION   Mercurial from PyPI (default 7.2.4, the current release;
#                6.9.5, 7.0.3 and 7.1.2 are supported too)
#   HG_VENV      where it goes (default .venv for 7.2.4, .venv-hg<VERSION>
#                for any other version, so several can sit side by side)
#   PYTHON       the CPython to build for (default python3.11)
#
#   pip install .   builds hg-cpython (release) into mercurial.rustext, plus
#                   mercurial/pyo3_rustext.py (the 7.x name), and sets
#                   Mercurial's module policy to rust+c-allow
set -euo pipefail
cd "$(dirname "$0")"
DEFAULT_HG_VERSION=7.2.4
HG_VERSION=${HG_VERSION:-$DEFAULT_HG_VERSION}
if [ "$HG_VERSION" = "$DEFAULT_HG_VERSION" ]; then
    HG_VENV=${HG_VENV:-.venv}
else
    HG_VENV=${HG_VENV:-.venv-hg$HG_VERSION}
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

if [ ! -x "$HG_VENV/bin/python" ]; then
    "$PY" -m venv "$HG_VENV"
fi
"$HG_VENV/bin/python" -m pip install --quiet --upgrade pip
"$HG_VENV/bin/python" -m pip show mercurial 2>/dev/null | grep -q "^Version: $HG_VERSION\$" \
    || "$HG_VENV/bin/python" -m pip install --quiet "mercurial==$HG_VERSION"
"$HG_VENV/bin/python" -m pip install --quiet pytest
# Our package: builds the Rust module in release mode through setuptools-rust.
"$HG_VENV/bin/python" -m pip install --quiet --no-deps .
if [ "$HG_VENV" = .venv ]; then
    # In-place copy beside our Python-side files (for tools that load ./mercurial).
    suffix=$("$HG_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    site=$("$HG_VENV/bin/python" -c 'import mercurial, os; print(os.path.dirname(mercurial.__file__))')
    cp "$site/rustext$suffix" "mercurial/rustext$suffix"
fi

"$HG_VENV/bin/hg" debuginstall 2>&1 | grep -E "Rust extensions|module policy|no problems|problems detected"
"$HG_VENV/bin/python" -c "from mercurial import rustext, pyo3_rustext; print('mercurial.rustext:', rustext.__file__)"
# The main job.
HG_VENV=$HG_VENV "$HG_VENV/bin/python" benches/demo.py
