#!/usr/bin/env bash
# README command 2: every test suite, after ./setup.sh.
#   1. hg-core unit tests (formats, matchers, walk)        cargo test
#   2. binding + differential tests against the C oracle   pytest tests/
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p target
echo "== hg-core unit tests"
cargo test --workspace --exclude hg-cpython --release 2>&1 | tee target/cargo-test.log \
    | grep -E "^test result|^failures:|FAILED|panicked" 
cargo_status=${PIPESTATUS[0]}
if [ "$cargo_status" -ne 0 ]; then
    echo "cargo test failed (see target/cargo-test.log)"
    exit "$cargo_status"
fi
echo "== binding and differential tests against the C oracle"
exec .venv/bin/python -m pytest tests/ -q -p no:cacheprovider
