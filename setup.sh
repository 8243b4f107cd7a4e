#!/usr/bin/env bash
# README command 1: on a fresh machine, build and install everything, then run
# the main job (hg status on a generated demo working copy, C vs Rust).
#
#   .venv/            Python 3.11 venv with mercurial==6.9.5 from PyPI (C build)
#   pip install .     builds hg-cpython (release) into mercurial.rustext and
#                     sets Mercurial's module policy to rust+c-allow
set -euo pipefail
cd "$(dirname "$0")"
HG_VERSION=6.9.5
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip show mercurial 2>/dev/null | grep -q "^Version: $HG_VERSION\$" \
    || .venv/bin/python -m pip install --quiet "mercurial==$HG_VERSION"
.venv/bin/python -m pip install --quiet pytest
# Our package: builds the Rust module in release mode through setuptools-rust.
.venv/bin/python -m pip install --quiet --no-deps .
# In-place copy beside our Python-side files (for tools that load ./mercurial).
suffix=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
site=$(.venv/bin/python -c 'import mercurial, os; print(os.path.dirname(mercurial.__file__))')
cp "$site/rustext$suffix" "mercurial/rustext$suffix"

.venv/bin/hg debuginstall 2>&1 | grep -E "Rust extensions|module policy|no problems|problems detected"
.venv/bin/python -c "from mercurial import rustext; print('mercurial.rustext:', rustext.__file__)"
# The main job.
.venv/bin/python benches/demo.py
