#!/usr/bin/env bash
# README command 1: on a fresh machine, build and install everything, then run
# the main job (hg status on a generated demo working copy, C vs Rust).
#
#   HG_VERSION   Mercurial from PyPI (default 7.2.4, the current release;
#                6.9.5, 7.0.3 and 7.1.2 are supported too)
#   PYTHON       the CPython to build for (default python3.11; 3.12, 3.13)
#   HG_VENV      where it goes (default .venv for 7.2.4 on 3.11; see
#                tools/install-venv for the others)
#
# Our package (`pip install .`) builds hg-cpython (release) into
# mercurial.rustext, adds mercurial/pyo3_rustext.py (the 7.x name) and sets
# Mercurial's module policy to rust+c-allow.
set -euo pipefail
cd "$(dirname "$0")"
venv=$(tools/install-venv "${HG_VERSION:-}" "${PYTHON:-python3.11}" "${HG_VENV:-}" | tail -1)
if [ "$venv" = .venv ]; then
    # In-place copy beside our Python-side files (for tools that load ./mercurial).
    suffix=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    site=$(.venv/bin/python -c 'import mercurial, os; print(os.path.dirname(mercurial.__file__))')
    cp "$site/rustext$suffix" "mercurial/rustext$suffix"
fi

"$venv/bin/hg" debuginstall 2>&1 | grep -E "Rust extensions|module policy|no problems|problems detected"
"$venv/bin/python" -c "from mercurial import rustext, pyo3_rustext, util; print('Mercurial %s, mercurial.rustext: %s' % (util.version().decode(), rustext.__file__))"
# The main job.
"$venv/bin/python" benches/demo.py
