#!/usr/bin/env bash
# README command 2: every test suite, after ./setup.sh.
#   1. hg-core unit tests (formats, matchers, walk)           cargo test
#   2. Mercurial 6.9.5's own tests, CI subset, as a non-root  tools/upstream-tests --list ci
#      user (tests/upstream/ci.txt; the full list is --list full)
#   3. binding + differential tests against the C oracle      pytest tests/
# Every suite runs even if an earlier one failed; the exit status is non-zero
# if any failed, and the last line printed is pytest's summary.
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p target
failed=()

echo "== hg-core unit tests"
cargo test --workspace --exclude hg-cpython --release 2>&1 | tee target/cargo-test.log \
    | grep -E "^test result|^failures:|FAILED|panicked"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "cargo test failed (see target/cargo-test.log)"
    failed+=(cargo)
fi

echo "== Mercurial 6.9.5's own tests (CI subset) against our build"
if ! tools/upstream-tests --list ci; then
    failed+=(upstream)
fi

echo "== binding and differential tests against the C oracle"
.venv/bin/python -m pytest tests/ -q -p no:cacheprovider
pytest_status=$?
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed suites: ${failed[*]}" >&2
    exit 1
fi
exit "$pytest_status"
