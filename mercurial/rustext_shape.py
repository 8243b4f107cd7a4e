"""`mercurial.pyo3_rustext.shape`: what Mercurial 7.2 needs of Rust shapes.

Why it exists: 7.2's `exchange.py` and `admin_commands.py` replace their pure
`shape` module by `policy.importrust("shape")` whenever the module policy
names Rust (`policy.has_rust()`, true under our `rust+c-allow`). Without a
`shape` submodule that is `None`, and a narrow clone from a server that
advertises clone bundles, or `hg admin::narrow-client`, crash with
`AttributeError`. Mercurial's C build keeps the pure module and works.

So this module answers what the pure module can answer, with upstream
Rust's semantics (`fingerprint_for_patterns` gives `None` unless every
pattern is a `path:` pattern, and for patterns it cannot represent), and
gives a clean `Abort` for the server-side store shards, which upstream
implements only in Rust ("shapes are a Rust-only feature").
"""
import importlib

_PATH = b"path:"


def _pure():
    # Imported on first use, not at every `hg` start-up (this module is
    # loaded with `mercurial.pyo3_rustext`); a real import, not demandimport's
    # lazy one, so that errors surface here.
    return importlib.import_module("mercurial.shape")


def fingerprint_for_patterns(include_pats, exclude_pats):
    """The store fingerprint of a narrow spec, or `None` when it has none."""
    pats = list(include_pats) + list(exclude_pats)
    if not all(p.startswith(_PATH) for p in pats):
        return None
    try:
        return _pure().fingerprint_for_patterns(set(include_pats), set(exclude_pats))
    except (AssertionError, ValueError):
        # What the pure module raises on a path it cannot represent (NUL,
        # leading or trailing `/`); upstream's Rust: "any error means we
        # can't get a fingerprint".
        return None


def zero_path(path):
    """The sort key of shapes (`/` replaced by NUL), as in the pure module."""
    return _pure().zero_path(path)


def get_store_shards(repo_path):
    """Store shards exist only in upstream's Rust; say so cleanly."""
    error = importlib.import_module("mercurial.error")
    raise error.Abort(
        b"shapes are a Rust-only feature",
        hint=b"hg-rustext does not implement store shards; "
        b"use a Mercurial built with its own Rust extensions",
    )
