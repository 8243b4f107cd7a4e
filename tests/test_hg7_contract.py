"""The module under both of its names, and what Mercurial 7.2 dereferences
once `policy.has_rust()` is true, on whichever Mercurial runs the tests
(`$HG_VENV/bin/python -m pytest`): 6.9.5, 7.0.x, 7.1.x or 7.2.x.

Each Mercurial-version-specific case says which versions it concerns and is
skipped on the others, where the code it tests does not exist.
"""
import os
import socket
import subprocess
import sys
import time

import pytest

from mercurial import policy, util

HG = os.path.join(sys.prefix, "bin", "hg")
HG_VERSION = tuple(int(x) for x in util.version().decode().split("+")[0].split(".")[:2])
NARROW = ["--config", "extensions.narrow="]

only_72 = pytest.mark.skipif(
    HG_VERSION < (7, 2), reason="Mercurial %d.%d has no Rust `shape` import" % HG_VERSION
)


def hg(args, cwd, policy_=None, check=True):
    """Runs `hg`; `policy_="c"` runs the C oracle."""
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1", HGUSER="test", TZ="UTC")
    env.pop("HGMODULEPOLICY", None)
    if policy_:
        env["HGMODULEPOLICY"] = policy_
    r = subprocess.run([HG] + args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if check and r.returncode:
        raise AssertionError("hg %s: exit %d\n%s%s" % (
            " ".join(args), r.returncode, r.stdout.decode(), r.stderr.decode()))
    return r


def test_both_names_are_one_module():
    import mercurial.pyo3_rustext as pyo3
    import mercurial.rustext as rustext

    for name in ("ancestor", "dagop", "dirstate"):
        assert getattr(pyo3, name) is getattr(rustext, name)
        assert sys.modules["mercurial.pyo3_rustext." + name] is getattr(rustext, name)
        assert sys.modules["mercurial.rustext." + name] is getattr(rustext, name)
    assert pyo3.FallbackError is rustext.FallbackError
    assert pyo3.dirstate.FallbackError is rustext.dirstate.FallbackError
    assert "mercurial.pyo3_rustext.shape" in sys.modules


def test_policy_importrust_finds_dirstate():
    """What every Mercurial version's `dirstate.py` asks for."""
    from mercurial import dirstate

    assert policy.importrust("dirstate") is not None
    assert dirstate.rustmod is not None
    assert dirstate.rustmod.status is sys.modules["mercurial.rustext.dirstate"].status


def test_importing_both_names_in_one_process_is_idempotent():
    """Mercurial 7.0 imports `pyo3_rustext` (importrust) and `rustext`
    (debuginstall) in one process; any order, any number of times."""
    code = (
        "import importlib, sys\n"
        "a = importlib.import_module('mercurial.pyo3_rustext')\n"
        "b = importlib.import_module('mercurial.rustext')\n"
        "del sys.modules['mercurial.pyo3_rustext']\n"
        "c = importlib.import_module('mercurial.pyo3_rustext')\n"
        "assert a.dirstate is b.dirstate is c.dirstate\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True)
    assert out.stdout == b"ok\n"


@only_72
def test_shape_fingerprint_is_the_pure_one_for_path_patterns():
    from mercurial import shape as pure
    from mercurial.pyo3_rustext import shape

    inc, exc = {b"path:a", b"path:b/c"}, {b"path:b/c/d"}
    expected = pure.fingerprint_for_patterns(set(inc), set(exc))
    assert shape.fingerprint_for_patterns(inc, exc) == expected
    assert len(expected) == 64
    # Upstream's Rust: no fingerprint unless every pattern is `path:`.
    assert shape.fingerprint_for_patterns({b"glob:a*"}, set()) is None
    assert shape.zero_path(b"a/b") == pure.zero_path(b"a/b")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def clonebundle_server(tmp_path):
    """A repository served over HTTP on loopback that advertises a clone
    bundle, as `test-clonebundles.t` sets one up."""
    server = tmp_path / "server"
    hg(["init", str(server)] + NARROW, cwd=tmp_path)
    for d in ("a", "b", "c"):
        (server / d).mkdir()
        (server / d / "f").write_text(d + "\n")
    hg(["commit", "-Aqm", "init"], cwd=server)
    bundle = tmp_path / "full.hg"
    hg(["bundle", "-q", "--all", "--type", "gzip-v2", str(bundle)], cwd=server)
    (server / ".hg" / "clonebundles.manifest").write_text(
        "file://%s BUNDLESPEC=gzip-v2\n" % bundle)
    port = _free_port()
    pid = tmp_path / "hg.pid"
    hg(["serve", "-d", "-p", str(port), "-a", "127.0.0.1", "--pid-file", str(pid),
        "--config", "extensions.clonebundles="] + NARROW, cwd=server)
    url = "http://127.0.0.1:%d/" % port
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield url
    try:
        os.kill(int(pid.read_text()), 15)
    except (OSError, ValueError):
        pass


@only_72
def test_narrow_clone_from_clonebundles_server_matches_c(tmp_path, clonebundle_server):
    """7.2's exchange.py asks `shape` for the store fingerprint of a narrow
    clone from a server with clone bundles: `AttributeError` without it."""
    outputs = {}
    for impl in ("c", None):
        dest = tmp_path / ("clone-%s" % (impl or "ours"))
        r = hg(["clone", "--narrow", "--include", "path:a", clonebundle_server, str(dest)]
               + NARROW, cwd=tmp_path, policy_=impl, check=False)
        files = hg(["files"] + NARROW, cwd=dest, policy_=impl).stdout if r.returncode == 0 else b""
        outputs[impl] = (r.returncode, r.stdout.replace(str(dest).encode(), b"DEST"),
                         r.stderr, files)
    assert b"Traceback" not in outputs[None][2]
    assert outputs[None] == outputs["c"]
    assert outputs[None][0] == 0 and outputs[None][3] == b"a/f\n"
    # The clone bundle was considered (so `shape` was asked): it has no
    # fingerprint, so a narrow client skips it.
    assert b"no compatible clone bundles available on server" in outputs[None][2]


@only_72
def test_admin_narrow_client_store_fingerprint_matches_c(tmp_path, clonebundle_server):
    dest = tmp_path / "narrow"
    hg(["clone", "-q", "--narrow", "--include", "path:b", clonebundle_server, str(dest)]
       + NARROW, cwd=tmp_path, policy_="c")
    ours = hg(["admin::narrow-client", "--store-fingerprint"] + NARROW, cwd=dest, check=False)
    oracle = hg(["admin::narrow-client", "--store-fingerprint"] + NARROW, cwd=dest,
                policy_="c", check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        oracle.returncode, oracle.stdout, oracle.stderr)
    assert ours.returncode == 0 and len(ours.stdout.strip()) == 64


@only_72
def test_admin_narrow_server_is_a_clean_abort(tmp_path):
    """Store shards exist only in upstream's Rust: a clean `Abort`, never an
    AttributeError (the C build says the command needs Rust)."""
    repo = tmp_path / "r"
    hg(["init", str(repo)], cwd=tmp_path)
    r = hg(["admin::narrow-server", "--shape-fingerprints"] + NARROW, cwd=repo, check=False)
    assert r.returncode == 255
    assert r.stderr.startswith(b"abort: shapes are a Rust-only feature\n"), r.stderr
    assert b"Traceback" not in r.stderr


def test_status_warnings_match_c(tmp_path):
    """Ignore-file warnings: data for 6.9/7.0's Python to format, formatted
    messages for 7.1+; either way the C oracle's bytes."""
    repo = tmp_path / "r"
    hg(["init", str(repo)], cwd=tmp_path)
    (repo / ".hgignore").write_text("syntax: bogus\n*.o\ninclude:missing-file\n")
    (repo / "x.o").write_text("")
    for args in (["status"], ["status", "-A"], ["status", "-i"], ["status", "x.o"]):
        ours = hg(args, cwd=repo, check=False)
        oracle = hg(args, cwd=repo, policy_="c", check=False)
        assert (ours.returncode, ours.stdout, ours.stderr) == (
            oracle.returncode, oracle.stdout, oracle.stderr), args


def test_defaults_file_keeps_c_delta_folding(tmp_path):
    """Mercurial 7.1+ folds deltas in pure Python once the policy names Rust
    (`when-fast`); our defaults file keeps C's choice. Defaults files are read
    when HGRCPATH is unset, as for a user."""
    env = dict(os.environ, HOME=str(tmp_path), HGPLAIN="1")
    for var in ("HGRCPATH", "HGMODULEPOLICY"):
        env.pop(var, None)
    r = subprocess.run([HG, "config", "storage.delta-fold-estimate"], cwd=tmp_path, env=env,
                       stdout=subprocess.PIPE, check=True)
    assert r.stdout == b"never\n"
    code = (
        "from mercurial import hg, ui as uimod\n"
        "repo = hg.repository(uimod.ui.load(), b'r', create=True)\n"
        "dc = getattr(repo.svfs.options.get(b'delta-config'), 'delta_fold_estimate', None)\n"
        "print(dc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                       stdout=subprocess.PIPE, check=True)
    # 6.9 / 7.0 have no folding at all (None); 7.1+ must not fold.
    assert r.stdout in (b"None\n", b"False\n")
