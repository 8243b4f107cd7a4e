#!/usr/bin/env bash
# README command 2: every test suite, after ./setup.sh.
#   1. hg-core unit tests (formats, matchers, walk)        cargo test
#   2. Mercurial's own tests, CI subsets, as a non-root    tools/upstream-tests --list ci
#      user: 7.2.4 and 6.9.5 (the full lists: --list full)
#   3. binding + differential tests against each          pytest tests/
#      version's C oracle, in full: Mercurial 7.2.4 (.venv) and 6.9.5
#      (with watchman installed for the fsmonitor suite)
#   4. a short differential run on Mercurial 7.0.3 and     pytest (subset)
#      7.1.2, and on CPython 3.12 and 3.13 (7.2.4)
# Environments a suite needs are installed here (tools/install-venv).
# Every suite runs even if an earlier one failed; the exit status is non-zero
# if any failed, and the last line is the summary of all pytest runs.
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p target
failed=()
totals=(0 0 0 0)   # passed failed skipped xfailed, over every pytest run

# hg-core's watchman client test and tests/test_fsmonitor_diff.py need
# watchman (Debian's package); each runs its own private instance and fails,
# rather than skips, when it is missing.
if ! command -v watchman >/dev/null; then
    echo "== installing watchman (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo -n); fi
    { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq watchman; } \
        > target/apt-watchman.log 2>&1 || { tail -5 target/apt-watchman.log; failed+=(watchman-install); }
fi
export RUSTEXT_REQUIRE_WATCHMAN=1

echo "== hg-core unit tests"
cargo test --workspace --exclude hg-cpython --release 2>&1 | tee target/cargo-test.log \
    | grep -E "^test result|^failures:|FAILED|panicked"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "cargo test failed (see target/cargo-test.log)"
    failed+=(cargo)
fi

# venv VERSION [PYTHON]: the environment's path (installed if needed).
venv() {
    tools/install-venv "$@" > target/install-venv.log 2>&1 \
        && tail -1 target/install-venv.log \
        || { cat target/install-venv.log >&2; return 1; }
}

# pytest_in LABEL VENV [ENV=VALUE...] -- ARGS: one pytest run, its counts
# added to the totals.
pytest_in() {
    local label=$1 venv=$2; shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    echo "== pytest: $label"
    env "${envs[@]}" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" \
        | tee "target/pytest-$label.log"
    local rc=${PIPESTATUS[0]}
    local summary
    summary=$(tail -1 "target/pytest-$label.log")
    local i=0
    for what in passed failed skipped xfailed; do
        local n
        n=$(grep -oE "[0-9]+ $what" <<<"$summary" | head -1 | cut -d' ' -f1)
        totals[i]=$((totals[i] + ${n:-0}))
        i=$((i + 1))
    done
    if [ "$rc" -ne 0 ]; then failed+=("pytest-$label"); fi
}

for v in 7.2.4 6.9.5; do
    echo "== Mercurial $v's own tests (CI subset) against our build"
    if ! venv "$v" >/dev/null || ! tools/upstream-tests --hg-version "$v" --list ci; then
        failed+=("upstream-$v")
    fi
done


v724=$(venv 7.2.4) || failed+=(venv-7.2.4)
pytest_in hg7.2.4 "$v724" -- tests/
v695=$(venv 6.9.5) || failed+=(venv-6.9.5)
pytest_in hg6.9.5 "$v695" -- tests/

# Short runs: the module's contract and one working copy per format of each
# differential suite.
short=(tests/test_smoke.py tests/test_hg7_contract.py tests/test_status_diff.py
       tests/test_purge_diff.py)
short_env=(STATUS_DIFF_SEEDS=1 PURGE_DIFF_SEEDS=1)
for v in 7.0.3 7.1.2; do
    if p=$(venv "$v"); then
        pytest_in "hg$v" "$p" "${short_env[@]}" -- "${short[@]}"
    else
        failed+=("venv-$v")
    fi
done
for py in python3.12 python3.13; do
    if p=$(venv 7.2.4 "$py"); then
        pytest_in "hg7.2.4-$py" "$p" "${short_env[@]}" -- "${short[@]}"
    else
        failed+=("venv-$py")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "failed suites: ${failed[*]}" >&2
fi
echo "pytest runs together: ${totals[3]} expected failures (strict xfail)"
echo "all: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped"
[ ${#failed[@]} -eq 0 ]
