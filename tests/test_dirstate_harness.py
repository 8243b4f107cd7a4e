"""Self-tests of the differential harness (tests/hgdiff.py): it must run the
implementations it claims to run, and it must notice a difference."""
import os
import struct

import pytest

import hgdiff


def test_policies_are_wired(tmp_path):
    """Side "ours" runs the installed rust+c-allow policy, the oracle C."""
    ours = hgdiff.run_hg(hgdiff.OURS, str(tmp_path), ["debuginstall"])
    oracle = hgdiff.run_hg(hgdiff.ORACLE, str(tmp_path), ["debuginstall"])
    assert b"checking module policy (rust+c-allow)" in ours.out
    assert b"checking module policy (c)" in oracle.out


def test_report_whether_rust_dirstate_is_compared(tmp_path):
    """Until mercurial.rustext.dirstate exists, ours == C trivially; say so."""
    if not hgdiff.have_rust_dirstate():
        pytest.skip("mercurial.rustext.dirstate not installed: differential "
                    "tests currently compare C against C")
    script = ("from mercurial import dirstatemap; "
              "print(dirstatemap.rustmod is not None)")
    ours = hgdiff.run_hg(hgdiff.OURS, str(tmp_path), ["debugshell", "-c", script])
    oracle = hgdiff.run_hg(hgdiff.ORACLE, str(tmp_path), ["debugshell", "-c", script])
    assert (ours.rc, ours.out.strip(), oracle.out.strip()) == (0, b"True", b"False")


def test_fork_server_matches_subprocess(tmp_path):
    """The fork server gives what a real `.venv/bin/hg` process gives, on
    twin repositories driven through the same commands."""
    fork = hgdiff.runner(hgdiff.ORACLE)
    sub = hgdiff.SubprocessRunner(str(tmp_path), hgdiff.ORACLE)
    repos = {}
    for name, runner in (("fork", fork), ("sub", sub)):
        repos[name] = str(tmp_path / name)
        assert runner.run(str(tmp_path), ["init", repos[name]])[0] == 0
        with open(os.path.join(repos[name], "f"), "w") as fh:
            fh.write("x\n")
    for args in (["status"], ["add", "f"], ["add", "f"], ["status", "-A"], ["nosuchcommand"],
                 ["commit", "-m", "m"], ["log", "-T", "{rev} {desc}\n"], ["remove", "nope"]):
        expect = sub.run(repos["sub"], args)
        assert fork.run(repos["fork"], args) == expect, args


def test_compare_detects_a_different_output():
    base = {"status -A -C": "exit 0\nA f\n", "parents": "00 00"}
    hgdiff.compare("same", base, dict(base))
    with pytest.raises(hgdiff.Divergence) as info:
        hgdiff.compare("here", base, dict(base, **{"status -A -C": "exit 0\n? f\n"}))
    assert "status -A -C" in str(info.value) and "-A f" in str(info.value)


def test_pair_detects_a_corrupted_dirstate(tmp_path):
    """If side b's dirstate says something else, the next step fails."""
    p = hgdiff.Pair(tmp_path, v2=False)
    p.write("f", b"x\n")
    p.write("g", b"y\n")
    p.hg("add")
    # Rewrite b's v1 dirstate: mark the first entry removed ('r') instead of
    # added ('a'), as a buggy writer would.
    path = os.path.join(p.b, ".hg", "dirstate")
    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    assert data[40:41] == b"a"
    data[40:41] = b"r"
    with open(path, "wb") as fh:
        fh.write(bytes(data))
    with pytest.raises(hgdiff.Divergence) as info:
        p.hg("status")
    assert "step 2" in str(info.value)


def test_pair_detects_a_different_implementation(tmp_path, monkeypatch):
    """A side b that answers differently (here: an extra output line) is
    reported with the command and the steps that led there."""
    real = hgdiff.run_hg

    def lying(impl, repo, args, lane="a"):
        res = real(impl, repo, args, lane)
        if lane == "b" and args[:1] == ["status"]:
            res = hgdiff.Result(res.rc, res.out + b"? ghost\n", res.err)
        return res

    monkeypatch.setattr(hgdiff, "run_hg", lying)
    p = hgdiff.Pair(tmp_path, v2=True)
    p.write("f", b"x\n")
    with pytest.raises(hgdiff.Divergence) as info:
        p.hg("add")
    assert "ghost" in str(info.value) and "write f" in str(info.value)


def test_mtime_classification(tmp_path):
    """debugdirstate's date column is reduced to unset / =file / !=file."""
    (tmp_path / "f").write_text("x")
    os.utime(tmp_path / "f", (1_600_000_000, 1_600_000_000))
    out = (b"n 644          1 2020-09-13 12:26:40 f\n"
           b"n 644          1 2020-09-13 12:26:41 f\n"
           b"a   0         -1 unset               g\n"
           b"copy: f -> g\n")
    lines = hgdiff.classify_mtimes(str(tmp_path), out).splitlines()
    assert lines == ["n 644          1 =file        f",
                     "n 644          1 !=file       f",
                     "a   0         -1 unset        g",
                     "copy: f -> g"]


def test_read_parents_v1_and_v2(tmp_path):
    hg = tmp_path / ".hg"
    hg.mkdir()
    (hg / "dirstate").write_bytes(b"\x11" * 20 + b"\x22" * 20)
    assert hgdiff.read_parents(str(tmp_path)) == "11" * 20 + " " + "22" * 20
    (hg / "dirstate").write_bytes(b"dirstate-v2\n" + b"\x33" * 20 + b"\x00" * 20 + struct.pack(">L", 0))
    assert hgdiff.read_parents(str(tmp_path)) == "33" * 20 + " " + "00" * 20
