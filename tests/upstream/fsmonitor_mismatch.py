"""print fsmonitor's paranoid-mode mismatches on stderr (tools/upstream-tests --fsmonitor)

fsmonitor-run-tests.py runs every test with ``fsmonitor.mode=paranoid``:
each status is computed twice, once with fsmonitor's watchman query (and,
with hg-rustext's extension, our native watchman status) and once with the
plain walk; fsmonitor writes the differing sets to ``.hg/fsmonitorfail.log``
(truncated by every status) and returns the plain walk's answer. So a wrong
watchman-based answer never reaches the test's output. This extension leaves
that file as it is (tests that list ``.hg`` still see it) and, when the
process exits, prints on stderr every mismatch recorded during the process:

    fsmonitor paranoid mismatch (<repository root>):
    sets at position N are unequal
    watchman returned: [...]
    stat returned: [...]

so that the test fails with the two answers in its diff. Positions: 0
modified, 1 added, 2 removed, 3 deleted, 4 unknown, 5 ignored, 6 clean.
"""

import atexit
import os

testedwith = b"6.9.5 7.2.4"

_mismatches = []


def _report():
    if _mismatches:
        os.write(2, b"".join(_mismatches))


class _tee:
    def __init__(self, f, root):
        self._f = f
        self._root = root
        self._data = []

    def write(self, data):
        self._data.append(bytes(data))
        return self._f.write(data)

    def close(self):
        data = b"".join(self._data)
        if data:
            _mismatches.append(b"fsmonitor paranoid mismatch (%s):\n%s" % (self._root, data))
        return self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


def uisetup(ui):
    atexit.register(_report)


def reposetup(ui, repo):
    if not repo.local():
        return
    vfs = repo.vfs
    orig = vfs.open
    root = repo.root

    def open(path, mode=b"r", *args, **kwargs):
        f = orig(path, mode, *args, **kwargs)
        name = path.encode() if isinstance(path, str) else path
        writing = mode.decode() if isinstance(mode, bytes) else mode
        if name == b"fsmonitorfail.log" and "w" in writing:
            return _tee(f, root)
        return f

    vfs.open = open
