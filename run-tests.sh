#!/usr/bin/env bash
# README command 2: every test suite, after ./setup.sh.
set -euo pipefail
cd "$(dirname "$0")"
echo "== hg-core and hg-cpython unit tests"
cargo test --workspace --release --quiet 2>&1 | grep -E "^test result|FAILED|panicked|error" || true
cargo test --workspace --release --quiet >/dev/null 2>&1
echo "== differential tests against the C oracle (pytest)"
.venv/bin/python -m pytest tests/ -q -p no:cacheprovider
