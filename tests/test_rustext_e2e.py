"""End to end: the same hg session with our module (rust+c-allow) and with
Mercurial's C implementation (HGMODULEPOLICY=c), on dirstate v1 and v2 repos;
outputs must match.

Normalized: whether an mtime is recorded ("set"/"unset" in debugdirstate
depends on the wall clock at write time) and the order of `copy:` lines
(copy map iteration order is unspecified)."""
import os
import sys
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HG = os.path.join(sys.prefix, "bin", "hg")

SESSION = [
    ("write", "a", "a\n"), ("write", "d/b", "b\n"), ("write", "d/e/c", "c\n"),
    ("write", "f/g", "f\n"), ("write", "ign.o", "o\n"),
    ("write", ".hgignore", "syntax: glob\n*.o\n"),
    ("hg", "add"),
    ("hg", "commit", "-m1", "-d", "0 0"), ("st",),
    ("append", "a", "x\n"), ("hg", "cp", "a", "a2"), ("hg", "mv", "d/b", "d/b2"),
    ("hg", "rm", "d/e/c"), ("hg", "forget", "f/g"), ("st",),
    ("hg", "commit", "-m2", "-d", "1 0"),
    ("hg", "update", "0"),
    ("write", "d/new", "y\n"), ("hg", "add", "d/new"), ("append", "a", "z\n"),
    ("st",),
    ("hg", "commit", "-m3", "-d", "2 0"),
    ("hg", "merge", "1", "--tool", ":local"), ("st",), ("hg", "resolve", "-l"),
    ("hg", "commit", "-m", "merge", "-d", "3 0"),
    ("append", "a", "q\n"), ("hg", "revert", "a"), ("st",),
    ("remove", "d/new"), ("hg", "rm", "--after", "a"), ("st",),
    ("hg", "revert", "--all"), ("st",),
    ("hg", "debugrebuilddirstate"), ("st",),
    ("hg", "debugrebuilddirstate", "--minimal"), ("st",),
    ("hg", "update", "null"), ("hg", "update", "tip"), ("st",),
    ("hg", "status", "--all"), ("hg", "files"),
]


def run_session(tmp_path, policy, v2):
    env = dict(os.environ, HGRCPATH="", HGUSER="test", HGPLAIN="1")
    env.pop("HGMODULEPOLICY", None)
    extra = []
    if policy == "c":
        env["HGMODULEPOLICY"] = "c"
        # the C/Python implementation needs this to touch dirstate-v2
        extra = ["--config", "storage.dirstate-v2.slow-path=allow"]
    repo = tmp_path / policy
    out = []

    def hg(*args):
        p = subprocess.run([HG, *extra, *args], cwd=repo, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out.append(b"%% hg %s [%d]\n" % (" ".join(args).encode(), p.returncode))
        out.append(p.stdout)

    subprocess.run([HG, *extra, "init", str(repo), "--config",
                    "format.use-dirstate-v2=%s" % ("yes" if v2 else "no")],
                   env=env, check=True)
    for step in SESSION:
        kind = step[0]
        if kind in ("write", "append"):
            path = repo / step[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w" if kind == "write" else "a") as f:
                f.write(step[2])
        elif kind == "remove":
            (repo / step[1]).unlink()
        elif kind == "st":
            hg("status", "-C")
            hg("debugdirstate", "--no-dates")
        else:
            hg(*step[1:])
    return normalize(b"".join(out))


def normalize(output):
    output = re.sub(rb"\b(un)?set {15,17}", b"<mtime> ", output)
    blocks = re.split(rb"(?m)^(?=% hg )", output)
    fixed = []
    for block in blocks:
        lines = block.splitlines(keepends=True)
        copies = sorted(line for line in lines if line.startswith(b"copy: "))
        others = [line for line in lines if not line.startswith(b"copy: ")]
        fixed.append(b"".join(others + copies))
    return b"".join(fixed)


def test_rust_dirstate_is_active():
    env = dict(os.environ)
    env.pop("HGMODULEPOLICY", None)
    python = os.path.join(sys.prefix, "bin", "python")
    code = ("from mercurial import dirstate, dirstatemap;"
            "assert dirstate.rustmod is not None;"
            "assert dirstatemap.DirstateItem is dirstate.rustmod.DirstateItem")
    subprocess.run([python, "-c", code], env=env, check=True)


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_session_matches_c(tmp_path, v2):
    ours = run_session(tmp_path, "rust", v2)
    theirs = run_session(tmp_path, "c", v2)
    assert b"Traceback" not in ours
    assert ours.decode() == theirs.decode()
