"""tests/hg_forkserver.py, plus a record of every `FallbackError` our
`rustext.dirstate.status` raises, with its message, on stderr.

Why: the Rust side traces some fallbacks itself (`RUSTEXT_STATUS_TRACE`),
but not all of them say why (a matcher that did not convert) and some raise
without a trace (pattern errors converted in the matcher module). Wrapping
the one entry point Mercurial calls (`dirstate.rustmod.status`) sees every
fallback exactly once, with the reason Mercurial receives. The wrapper only
observes: it re-raises the same exception and returns the same value.
"""
import os

import hg_forkserver

LINE_PREFIX = b"rustext-status: fallback raised: "


def _preload_and_wrap():
    dispatch = _original_preload()
    from mercurial import dirstate

    rustmod = dirstate.rustmod
    if rustmod is not None:
        real_status = rustmod.status

        def status(*args, **kwargs):
            try:
                return real_status(*args, **kwargs)
            except rustmod.FallbackError as exc:
                why = str(exc).encode("utf-8", "backslashreplace").replace(b"\n", b" ")
                os.write(2, LINE_PREFIX + why + b"\n")
                raise

        rustmod.status = status
    return dispatch


_original_preload = hg_forkserver._preload
hg_forkserver._preload = _preload_and_wrap

if __name__ == "__main__":
    hg_forkserver.main()
