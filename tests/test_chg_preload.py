"""chg: the command server keeps a parsed dirstate for its workers (issue #12).

Under `chg` every command is a worker forked from a long-lived server, and
each worker reads and parses the dirstate anew. Our extension has the server
parse it after each command (hg-core `dirstate::preload`), and the next
worker takes that map only when the bytes Mercurial reads are the ones it
was parsed from.

Here a real `chg` (built from the Mercurial sdist's `contrib/chg`) runs
`status` after changes made outside the server (plain `hg`, which the server
never hears of), through it, and with dirstate-v2 appends and rewrites;
every output must equal the C oracle's, and the worker's counters (printed
by a test extension) must show the preloaded map was used where it is
valid and not used where the dirstate changed behind the server's back.
"""
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

from mercurial import util

HG = os.path.join(sys.prefix, "bin", "hg")
VERSION = util.version().decode().split("+")[0]
HERE = os.path.dirname(os.path.abspath(__file__))

# Prints, after `status`, what the preloader did in this process:
# maps the server had loaded when it forked us, and maps we were handed.
COUNTERS_EXT = """
from mercurial import commands, extensions
from mercurial import dirstate as d

def status(orig, ui, repo, *pats, **opts):
    before = d.rustmod.preload_counters()[1]
    result = orig(ui, repo, *pats, **opts)
    loaded, after = d.rustmod.preload_counters()
    ui.warn(b"preload: loaded %d handed %d\\n" % (loaded, after - before))
    return result

def uisetup(ui):
    extensions.wrapcommand(commands.table, b"status", status)
"""


def _sdist_chg_sources(tmp_path):
    """contrib/chg of this Mercurial version's sdist: an extracted copy if
    there is one (tools/upstream-tests' cache, the bench sdists), else the
    sdist from PyPI."""
    name = "mercurial-%s" % VERSION
    candidates = [os.environ.get("HG_UPSTREAM_CACHE"), "/home/hgtest/hg-rustext-upstream",
                  os.path.expanduser("~/hg-rustext-upstream"), os.environ.get("HG_SDISTS"), "/work/sdists"]
    for base in candidates:
        if base and os.path.isfile(os.path.join(base, name, "contrib", "chg", "Makefile")):
            return os.path.join(base, name, "contrib", "chg")
    dl = tmp_path / "sdist"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "mercurial==%s" % VERSION, "-d", str(dl)], check=True, timeout=600)
    with tarfile.open(dl / ("%s.tar.gz" % name)) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("%s/contrib/chg/" % name)]
        tar.extractall(dl, members=members)
    return str(dl / name / "contrib" / "chg")


@pytest.fixture(scope="module")
def chg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chg")
    src = tmp / "src"
    shutil.copytree(_sdist_chg_sources(tmp), src)
    subprocess.run(["make", "-C", str(src)], check=True, stdout=subprocess.DEVNULL, timeout=300)
    return str(src / "chg")


class Repo:
    def __init__(self, tmp_path, chg, v2):
        self.root = str(tmp_path / "repo")
        ext = tmp_path / "counters.py"
        ext.write_text(COUNTERS_EXT)
        hgrc = tmp_path / "hgrc"
        hgrc.write_text("[ui]\nusername = t\n[format]\nuse-dirstate-v2 = %s\n"
                        "[storage]\ndirstate-v2.slow-path = allow\n" % ("yes" if v2 else "no"))
        self.chg = chg
        self.env = dict(os.environ, HGRCPATH=str(hgrc), HGPLAIN="1", CHGHG=HG,
                        CHGSOCKNAME=str(tmp_path / "chgsock"))
        for var in ("HGMODULEPOLICY", "RUSTEXT_STATUS_TRACE"):
            self.env.pop(var, None)
        self.ours = ["--config", "extensions.rustext=", "--config", "extensions.counters=%s" % ext]
        subprocess.run([HG, "init", self.root], check=True, env=self.env)

    def run(self, argv, env=None, check=True):
        res = subprocess.run(argv, cwd=self.root, env=env or self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=300)
        if check and res.returncode != 0:
            raise AssertionError("%s: exit %d\n%s" % (argv, res.returncode, res.stderr.decode()))
        return res

    def c(self, *args):
        return self.run([HG] + list(args), env=dict(self.env, HGMODULEPOLICY="c")).stdout

    def plain_ours(self, *args):
        return self.run([HG] + self.ours + list(args)).stdout

    def chg_status(self, *args):
        """`chg status` with ours; its output (checked against C's) and how
        many preloaded maps the worker was handed."""
        res = self.run([self.chg] + self.ours + ["status"] + list(args))
        m = re.search(rb"^preload: loaded (\d+) handed (\d+)$", res.stderr, re.M)
        assert m, res.stderr
        assert res.stdout == self.c("status", *args), ("chg status", args, res.stdout)
        return int(m.group(2))

    def stop(self):
        subprocess.run([self.chg, "--kill-chg-daemon"], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    def write(self, rel, data):
        full = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fp:
            fp.write(data)

    def until_handed(self, *args):
        """`chg status` until a worker gets a preloaded map (the server
        parses in the background after the previous command)."""
        deadline = time.time() + 30
        while self.chg_status(*args) != 1:
            assert time.time() < deadline, "no worker was handed a preloaded map"
            time.sleep(0.2)


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_chg_workers_take_the_servers_map_only_while_it_is_valid(tmp_path, chg, v2):
    repo = Repo(tmp_path, chg, v2)
    try:
        for d in range(4):
            for f in range(30):
                repo.write("d%d/s/f%d.txt" % (d, f), b"line %d\n" % f)
        repo.c("commit", "-Aqm", "one")
        repo.write("d0/s/f0.txt", b"changed\n")
        repo.write("d1/new.txt", b"new\n")
        os.unlink(os.path.join(repo.root, "d2/s/f3.txt"))
        time.sleep(1.1)  # mtimes of the edits are then reliable

        # A fresh server has nothing to hand over.
        assert repo.chg_status() == 0
        repo.until_handed()
        repo.until_handed("-A")

        # Changed by a process the server never hears of: the worker must
        # not take the server's (now stale) map.
        repo.plain_ours("add", "-q", "d1/new.txt")
        repo.plain_ours("forget", "-q", "d3/s/f1.txt")
        assert repo.chg_status() == 0
        repo.until_handed()

        # Changed through the server: a worker whose map was preloaded
        # writes the dirstate; C must read back what it wrote.
        repo.until_handed()
        res = repo.run([chg] + repo.ours + ["commit", "-qm", "two"])
        assert res.returncode == 0
        assert repo.c("status", "--change", ".") == b"M d0/s/f0.txt\nA d1/new.txt\nR d3/s/f1.txt\n"
        repo.until_handed("-A")
        repo.write("d0/s/f9.txt", b"touched\n")
        repo.until_handed()
        res = repo.run([chg] + repo.ours + ["revert", "-q", "--all"])
        assert repo.chg_status() in (0, 1)
        repo.until_handed("-mardu")
        assert repo.c("debugdirstate", "--no-dates") == repo.plain_ours("debugdirstate", "--no-dates")
        if v2:
            # Rewritten data file (new uuid) behind the server's back.
            repo.c("debugrebuilddirstate")
            assert repo.chg_status() == 0
            repo.until_handed()
    finally:
        repo.stop()


def test_preloading_can_be_turned_off(tmp_path, chg):
    repo = Repo(tmp_path, chg, False)
    repo.ours += ["--config", "rustext.chg-preload-repos=0"]
    try:
        repo.write("a", b"a\n")
        repo.c("commit", "-Aqm", "one")
        for _ in range(5):
            assert repo.chg_status() == 0
            time.sleep(0.2)
    finally:
        repo.stop()
