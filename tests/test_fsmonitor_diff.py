"""Mercurial's fsmonitor extension with our module installed (issue #13).

fsmonitor replaces `dirstate.walk` with a watchman query; Mercurial's
`dirstate.status` takes the Rust path whenever a Rust module is present, and
that path never calls `walk`, so without care our module would silently
bypass fsmonitor. Our extension (hgext3rd/rustext.py) has our status ask
watchman natively for the paths changed since fsmonitor's clock, decide only
those, and record watchman's new clock in fsmonitor's state; where fsmonitor
itself would walk, our walk answers; where we do not reproduce fsmonitor,
Mercurial's status with fsmonitor's walk runs.

One repository, one private watchman (own socket and state file, shut down
at the end). After each change (edits, creates, deletes, renames, new
ignored and unknown directories, `hg update`, `hg revert`, `.hgignore`
edits), every query is run three ways on the same files, taking turns:
C + fsmonitor, ours + fsmonitor, and C without fsmonitor (the truth); all
three must print the same. Our trace tells which route ours took: `hg
status` must have been answered from watchman's paths after the changes
where fsmonitor would use them, and by a walk where it would walk (changed
ignore rules, a nested repository); fsmonitor's state file must record
watchman's clock.

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
# Our trace for a status answered from watchman's paths (native query).
WATCHED = b"rustext-status: fsmonitor: watched"
# Any trace line our extension writes while fsmonitor is active.
FSMONITOR_TRACE = b"rustext-status: fsmonitor: "


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
            # A missing ignore file: every status that reads the ignore
            # files warns, and ours must warn exactly as often as C +
            # fsmonitor (not once from Rust and once from Python).
            fp.write("[ui]\nusername = t\nignore.missing = %s\n[fsmonitor]\ntimeout = 30\n"
                     % os.path.join(home, "no-such-ignore-file"))
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


def compare(repo, step, ours_first=False):
    """Every query three ways, taking turns on the same files; returns our
    route (trace lines) per query. Whichever runs first sees the change
    first (and records it in fsmonitor's state for the other)."""
    routes = {}
    for args in QUERIES:
        if ours_first:
            ours = repo.hg("ours+fsmonitor", args)
            c_fsm = repo.hg("c+fsmonitor", args)
        else:
            c_fsm = repo.hg("c+fsmonitor", args)
            ours = repo.hg("ours+fsmonitor", args)
        truth = repo.hg("c", args)
        assert ours.stdout == truth.stdout, (step, args, ours.stdout, truth.stdout)
        assert c_fsm.stdout == truth.stdout, (step, args, "C + fsmonitor itself differs")
        assert FSMONITOR_TRACE in ours.stderr, (step, args, ours.stderr)
        routes[tuple(args)] = [line for line in ours.stderr.splitlines() if line.startswith(FSMONITOR_TRACE)]
        warnings = [line for line in ours.stderr.splitlines() if not line.startswith(b"rustext-status")]
        assert warnings == [line for line in c_fsm.stderr.splitlines()], (step, args, ours.stderr)
    return routes


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

    def file_to_dir():
        os.unlink(os.path.join(repo.root, "dir0/sub/f6.c"))
        repo.write("dir0/sub/f6.c/inside.c", b"i\n")

    def nested_repo():
        repo.hg("c", ["init", "dir1/nested"])
        repo.write("dir1/nested/inner.c", b"n\n")

    # (name, change, ours first, our route expected for `hg status`). No
    # directory replaced by a symlink: there C without fsmonitor aborts or
    # follows the link where ours (like upstream's Rust) says missing, with
    # or without watchman (hg-core/tests/status_watched.rs covers it).
    steps = [
        ("edits", lambda: (repo.write("dir1/sub/f1.c", b"changed\n"), repo.write("dir2/sub/f2.c", b"int f9;\n")),
         True, WATCHED),
        ("creates", lambda: (repo.write("dir1/new.c", b"new\n"), repo.write("dir1/sub/x.o", b"obj\n")),
         False, WATCHED),
        ("deletes", lambda: os.unlink(os.path.join(repo.root, "dir0/sub/f5.c")), True, WATCHED),
        ("rename", lambda: repo.hg("c", ["mv", "dir2/sub/f3.c", "dir2/f3-renamed.c"]), False, None),
        ("add", lambda: repo.hg("c", ["add", "-q", "dir1/new.c"]), True, None),
        ("ignored dir", lambda: repo.write("build/out/a.o", b"x\n"), True, WATCHED),
        ("unknown dir", lambda: repo.write("dir1/fresh/deeper/n.txt", b"n\n"), False, WATCHED),
        ("hgignore edit", lambda: repo.write(".hgignore", b"syntax: glob\n*.o\nbuild/\nfresh/\n"), True,
         b"rustext-status: fsmonitor: fsmonitor would walk (ignore rules changed): the Rust walk"),
        ("file becomes directory", file_to_dir, True, WATCHED),
        ("nested repository", nested_repo, True, b"rustext-status: fsmonitor: walked: a path inside a nested repository"),
        ("revert", lambda: (shutil.rmtree(os.path.join(repo.root, "dir0/sub/f6.c")),
                            repo.hg("c", ["revert", "-q", "dir1/sub/f1.c", "dir0/sub/f5.c", "dir0/sub/f6.c"])),
         False, None),
        ("forget", lambda: repo.hg("c", ["forget", "-q", "dir1/new.c"]), True, None),
        ("update", lambda: repo.hg("c", ["update", "-q", "-C", "0"]), False, None),
        ("touch all", lambda: [os.utime(os.path.join(dp, f)) for dp, _, fs in os.walk(repo.root)
                               if ".hg" not in dp.split(os.sep) for f in fs], True, WATCHED),
    ]
    watched = []
    for name, change, ours_first, expected in steps:
        change()
        routes = compare(repo, name, ours_first)
        if expected is not None:
            assert expected in routes[("status",)], (name, routes[("status",)])
        if WATCHED in routes[("status",)]:
            watched.append(name)
    # Commands run by C (revert, update, ...) invalidate fsmonitor's state
    # and our next status walks; the others were answered from watchman.
    assert len(watched) >= 8, watched
