#!/bin/sh
# Builds empty-dirs-oracle (upstream Mercurial 7.2.4's Rust status, printing
# its purge list) for the differential test status_empty_dirs_upstream.rs.
# Nothing of upstream is copied into this repository: the sdist's rust/ is
# copied into a scratch directory and built there.
#
#   tests/upstream-oracle/build.sh [SCRATCH]      (default /tmp/empty-dirs-oracle)
#
# The sdist is taken from $MERCURIAL_SDIST (an unpacked mercurial-7.2.4), else
# /work/sdists/mercurial-7.2.4, else downloaded with pip. Prints the binary's
# path last; then:
#   EMPTY_DIRS_ORACLE=<path> cargo test -p hg-core --release \
#       --test status_empty_dirs_upstream -- --ignored
set -eu
here=$(cd "$(dirname "$0")" && pwd)
scratch=${1:-/tmp/empty-dirs-oracle}
mkdir -p "$scratch"
sdist=${MERCURIAL_SDIST:-/work/sdists/mercurial-7.2.4}
if [ ! -d "$sdist/rust/hg-core" ]; then
    python3 -m pip download --no-deps --no-binary :all: -d "$scratch" mercurial==7.2.4 >&2
    tar -xzf "$scratch"/mercurial-7.2.4.tar.gz -C "$scratch"
    sdist=$scratch/mercurial-7.2.4
fi
# hg-core reads ../../mercurial/ (bdiff.c, configitems.toml): keep the
# sdist's layout.
if [ ! -f "$scratch/src/mercurial/configitems.toml" ]; then
    rm -rf "$scratch/src"
    mkdir -p "$scratch/src"
    cp -r "$sdist/rust" "$scratch/src/rust"
    cp -r "$sdist/mercurial" "$scratch/src/mercurial"
fi
mkdir -p "$scratch/oracle/src"
sed "s|@UPSTREAM@|$scratch/src/rust|" "$here/Cargo.toml.in" > "$scratch/oracle/Cargo.toml"
cp "$here/src/main.rs" "$scratch/oracle/src/main.rs"
# Pin upstream's own dependency versions.
[ -f "$scratch/oracle/Cargo.lock" ] || cp "$scratch/src/rust/Cargo.lock" "$scratch/oracle/Cargo.lock"
cd "$scratch/oracle"
RUSTFLAGS=--cap-lints=warn nice -n 5 cargo build --release >&2
echo "$scratch/oracle/target/release/empty-dirs-oracle"
