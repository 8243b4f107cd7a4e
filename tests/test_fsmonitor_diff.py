"""Mercurial's fsmonitor extension with our module installed (issue #13).

fsmonitor replaces `dirstate.walk` with a watchman query; Mercurial's
`dirstate.status` takes the Rust path whenever a Rust module is present, and
that path never calls `walk`, so without care our module would silently
bypass fsmonitor. Our extension (hgext3rd/rustext.py) hands status back to
Mercurial's path with fsmonitor's walk while fsmonitor is active.

One repository, one private watchman (own socket and state file, shut down
at the end). After each change (edits, creates, deletes, renames, new
ignored and unknown directories, `hg update`, `hg revert`, `.hgignore`
edits), every query is run three ways on the same files, taking turns:
C + fsmonitor, ours + fsmonitor, and C without fsmonitor (the truth); all
three must print the same. Ours must have gone through fsmonitor (our
trace says so, and fsmonitor's state file records watchman's clock).

Needs Debian's `watchman`: `./run-tests.sh` installs it and sets
RUSTEXT_REQUIRE_WATCHMAN=1, which turns a missing watchman into a failure
instead of a skip.
"""
import os
import shutil
import subprocess
import sys
import time

import pytest

HG = os.path.join(sys.prefix, "bin", "hg")
WATCHMAN = shutil.which("watchman")
FSMONITOR = ["--config", "extensions.fsmonitor="]
QUERIES = [["status"], ["status", "-A"], ["status", "-mard"], ["status", "-i"], ["status", "-u", "dir1"]]
ACTIVE = b"fsmonitor is active"


@pytest.fixture(scope="module")
def watchman(tmp_path_factory):
    if WATCHMAN is None:
        if os.environ.get("RUSTEXT_REQUIRE_WATCHMAN"):
            pytest.fail("watchman is not installed (RUSTEXT_REQUIRE_WATCHMAN is set)")
        pytest.skip("watchman is not installed")
    d = tmp_path_factory.mktemp("watchman")
    sock = str(d / "sock")
    cmd = [WATCHMAN, "--sockname=" + sock, "--logfile=" + str(d / "log"), "--pidfile=" + str(d / "pid"),
           "--statefile=" + str(d / "state"), "--no-save-state"]
    subprocess.run(cmd + ["get-sockname"], check=True, stdout=subprocess.DEVNULL, timeout=60)
    try:
        yield sock
    finally:
        subprocess.run(cmd + ["shutdown-server"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)


class Repo:
    def __init__(self, root, sock, home):
        self.root = root
        hgrc = os.path.join(home, "hgrc")
        with open(hgrc, "w") as fp:
            fp.write("[ui]\nusername = t\n[fsmonitor]\ntimeout = 30\n")
        self.env = dict(os.environ, HGRCPATH=hgrc, HGPLAIN="1", WATCHMAN_SOCK=sock, HOME=home)
        for var in ("HGMODULEPOLICY", "RUSTEXT_STATUS_TRACE"):
            self.env.pop(var, None)

    def hg(self, impl, args, check=True):
        env = dict(self.env)
        extra = []
        if impl in ("c", "c+fsmonitor"):
            env["HGMODULEPOLICY"] = "c"
        else:
            extra = ["--config", "extensions.rustext="]
            env["RUSTEXT_STATUS_TRACE"] = "1"
        if impl.endswith("+fsmonitor"):
            extra += FSMONITOR
        res = subprocess.run([HG] + extra + args, cwd=self.root, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=300)
        if check and res.returncode != 0:
            raise AssertionError("%s %s: exit %d\n%s" % (impl, args, res.returncode, res.stderr.decode()))
        return res

    def write(self, rel, data):
        full = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fp:
            fp.write(data)


def compare(repo, step):
    """Every query three ways, taking turns on the same files."""
    for args in QUERIES:
        c_fsm = repo.hg("c+fsmonitor", args)
        ours = repo.hg("ours+fsmonitor", args)
        truth = repo.hg("c", args)
        assert ours.stdout == truth.stdout, (step, args, ours.stdout, truth.stdout)
        assert c_fsm.stdout == truth.stdout, (step, args, "C + fsmonitor itself differs")
        assert ACTIVE in ours.stderr, (step, args, ours.stderr)
        warnings = [line for line in ours.stderr.splitlines() if not line.startswith(b"rustext-status")]
        assert warnings == [line for line in c_fsm.stderr.splitlines()], (step, args, ours.stderr)


def test_fsmonitor_is_not_bypassed(tmp_path, watchman):
    root = tmp_path / "repo"
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run([HG, "init", str(root)], check=True, env=dict(os.environ, HGRCPATH="", HGMODULEPOLICY="c"))
    repo = Repo(str(root), watchman, str(home))
    repo.write(".hgignore", b"syntax: glob\n*.o\nbuild/\n")
    for d in range(3):
        for f in range(20):
            repo.write("dir%d/sub/f%d.c" % (d, f), b"int f%d;\n" % f)
    repo.hg("c", ["commit", "-Aqm", "one"])
    repo.write("dir0/sub/f0.c", b"int f0 = 1;\n")
    repo.hg("c", ["commit", "-qm", "two"])
    time.sleep(1.1)
    # fsmonitor, through ours, records watchman's clock (format 4: version,
    # host name, clock, ignore hash, NUL-separated).
    state = root / ".hg" / "fsmonitor.state"
    if state.exists():
        state.unlink()
    repo.hg("ours+fsmonitor", ["status"])
    fields = state.read_bytes()[4:].split(b"\0")
    assert state.read_bytes()[:4] == b"\0\0\0\x04" and fields[1].startswith(b"c:"), fields
    compare(repo, "clean")

    steps = [
        ("edits", lambda: (repo.write("dir1/sub/f1.c", b"changed\n"), repo.write("dir2/sub/f2.c", b"int f9;\n"))),
        ("creates", lambda: (repo.write("dir1/new.c", b"new\n"), repo.write("dir1/sub/x.o", b"obj\n"))),
        ("deletes", lambda: os.unlink(os.path.join(repo.root, "dir0/sub/f5.c"))),
        ("rename", lambda: repo.hg("c", ["mv", "dir2/sub/f3.c", "dir2/f3-renamed.c"])),
        ("ignored dir", lambda: repo.write("build/out/a.o", b"x\n")),
        ("unknown dir", lambda: repo.write("dir1/fresh/deeper/n.txt", b"n\n")),
        ("hgignore edit", lambda: repo.write(".hgignore", b"syntax: glob\n*.o\nbuild/\nfresh/\n")),
        ("revert", lambda: repo.hg("c", ["revert", "-q", "dir1/sub/f1.c", "dir0/sub/f5.c"])),
        ("update", lambda: repo.hg("c", ["update", "-q", "-C", "0"])),
        ("touch all", lambda: [os.utime(os.path.join(dp, f)) for dp, _, fs in os.walk(repo.root)
                               if ".hg" not in dp.split(os.sep) for f in fs]),
    ]
    for name, change in steps:
        change()
        compare(repo, name)
