"""Test extension: changes working files between the status walk and the
comparison of the files it was unsure about (`workingctx._checklookup`),
the race Mercurial answers with "deleted" (issue5584).

    --config extensions.vanish=tests/ext_vanish.py
    --config vanish.delete=a,b   files removed
    --config vanish.dir=c        files replaced by a directory
    --config vanish.grow=d       files rewritten one byte longer

Loaded after hg-rustext's extension (command-line configuration comes last),
so its wrapper runs first on both sides of a differential test.
"""
import os

from mercurial import context, extensions


def _checklookup(orig, self, files, mtime_boundary, *args, **kwargs):
    ui, wvfs = self._repo.ui, self._repo.wvfs
    for f in ui.configlist(b"vanish", b"delete"):
        if wvfs.lexists(f):
            os.unlink(wvfs.join(f))
    for f in ui.configlist(b"vanish", b"dir"):
        if wvfs.lexists(f):
            os.unlink(wvfs.join(f))
            os.mkdir(wvfs.join(f))
    for f in ui.configlist(b"vanish", b"grow"):
        if wvfs.isfile(f):
            st = os.lstat(wvfs.join(f))
            with open(wvfs.join(f), "ab") as fh:
                fh.write(b"+")
            os.utime(wvfs.join(f), ns=(st.st_atime_ns, st.st_mtime_ns))
    return orig(self, files, mtime_boundary, *args, **kwargs)


def extsetup(ui):
    extensions.wrapfunction(context.workingctx, "_checklookup", _checklookup)

