"""Differential tests of hg-rustext's extension (hgext3rd/rustext.py), which
decides in Rust the files `hg status` is unsure about (same size, new
mtime): our build with the extension against the C oracle, on the same
byte-identical repositories, dirstate-v1 and v2, with the Mercurial of the
venv running the tests (6.9.5 and 7.2.4 both run this file).

Hand-written working copies: every kind of file revision `_checklookup`
tells apart (plain, content starting with the metadata marker, empty,
exec, symlinks, copies and renames with equal content, a merge), touched
all at once, then touched with same-size changes, exec and symlink flips,
and files that vanish or change between the walk and the comparison (a
test extension, tests/ext_vanish.py, on both sides). Compared: the command's
output and, when the dirstate was rewritten, `hg debugdirstate` (dates
classified as in the status suite). Also checked: Rust decided the files
(our trace: no file left to Mercurial, no fallback), a second status finds
nothing unsure, the defaults file enables the extension, and the refusals
(encode filters, transforming extensions) hand everything to Mercurial.

The random working copies of tests/test_status_diff.py get the same class
(`status_scenarios.WorkingCopy.touched`) in most seeds.
"""
import os
import re
import subprocess

import pytest

import hgdiff
import status_scenarios as sc
from test_status_diff import TRACE, TRACE_SERVER, Checker, restore_dirstate, scripted

FORMATS = [pytest.param(False, id="v1"), pytest.param(True, id="v2")]
VANISH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ext_vanish.py")
LOOKUP = re.compile(rb"^rustext-status: lookup: (\d+) files, (\d+) modified, (\d+) deleted, "
                    rb"(\d+) clean, (\d+) fixup, (\d+) undecided", re.M)
LOOKUP_FALLBACK = re.compile(rb"^rustext-status: lookup fallback: (.*)$", re.M)

T0 = hgdiff.MTIME_BASE
TOUCHED = T0 + 5000

pytestmark = pytest.mark.skipif(not hgdiff.have_rust_dirstate(), reason="mercurial.rustext not installed")


def W(path, data=b"x\n", exe=False, mtime=T0):
    return sc.Op("write", path, data, exe, mtime)


def H(*args):
    return sc.Op("hg", tuple(args))


def L(path, target, mtime=T0):
    return sc.Op("symlink", path, target, mtime)


TEXTS = {
    "plain": b"line 1\nline 2\n",
    "plain2": b"another file\n",
    "meta": b"\x01\nstarts with the marker\n",
    "meta-header": b"\x01\ncopy: x\ncopyrev: 0123\n\x01\nlooks like a header\n",
    "marker-only": b"\x01\n",
    "empty": b"",
    "d/sub/deep": b"deep file\n",
    "d/other": b"other\n",
    "binary": b"\x00\x01\x02bin\xff",
}

# The history: one of each kind, copies and renames with equal content, a
# merge whose file revisions have two parents.
HISTORY = (
    [W(p, d) for p, d in TEXTS.items()]
    + [W("exec", b"#!/bin/sh\n", exe=True), W("exec-meta", b"\x01\nx\n", exe=True),
       L("link", "plain"), L("link-dangling", "nowhere"), L("d/link-up", "../plain"),
       H("add", "-q"), H("commit", "-q", "-m", "base"),
       H("cp", "plain", "copy-of-plain"), H("mv", "plain2", "renamed"),
       H("cp", "meta", "copy-of-meta"), H("cp", "exec", "copy-of-exec"),
       H("cp", "link", "copy-of-link"), H("cp", "empty", "copy-of-empty"),
       H("commit", "-q", "-m", "copies"),
       W("d/other", b"other, changed\n", mtime=T0 + 10), H("commit", "-q", "-m", "edit"),
       H("update", "-q", "0"), W("branch-only", b"branch\n", mtime=T0 + 20),
       W("meta", b"\x01\nstarts with the marker, other side\n", mtime=T0 + 20),
       H("add", "-q", "branch-only"), H("commit", "-q", "-m", "branch"),
       H("update", "-q", "2"), H("merge", "-q", "-r", "3"), H("commit", "-q", "-m", "merge")]
)


def tracked(repo):
    res = hgdiff.run_hg(hgdiff.ORACLE, repo, ["files"], "a")
    return [os.fsdecode(p) for p in res.out.splitlines()]


def touch_all(repo, mtime=TOUCHED):
    """What `touch` on every tracked file (or `cp -r`) leaves: same bytes,
    new mtime."""
    return [sc.Op("touch", f, mtime) for f in tracked(repo)]


def build(tmp_path, v2, later=()):
    """Side a made by the oracle (HISTORY, every file touched, then
    `later` ops); the Checker copies it to side b."""
    pair, wc = scripted(tmp_path, v2, HISTORY)
    for op in touch_all(pair.a) + list(later):
        sc.apply(pair.a, op)
        wc.ops.append(op)
    return pair, wc


def ours_trace(repo, args, pristine=None):
    """Our side's run, with its `_checklookup` calls (counts) and fallbacks
    read from the trace; from the `pristine` dirstate if given."""
    if pristine is not None:
        restore_dirstate(repo, pristine)
    res = hgdiff.run_hg(hgdiff.OURS, repo, args, "b", TRACE, TRACE_SERVER)
    return res, [tuple(int(x) for x in m) for m in LOOKUP.findall(res.err)], LOOKUP_FALLBACK.findall(res.err)


def check(pair, wc, queries, refusals=False):
    """Each query compared (output, dirstate); no fallback of our status or
    of our `_checklookup`, unless `refusals` are the point."""
    checker = Checker(pair, wc, count=False)
    for args in queries:
        problem = checker.run(args, count=False)
        assert problem is None, problem
    if not refusals:
        assert checker.bad_fallbacks == [], checker.bad_fallbacks
    return checker


QUERIES = [["status", "-A"], ["status"], ["status", "-mard"], ["status", "-C", "-A"], ["diff", "--stat"],
           ["status", "-A", "d"], ["--cwd", "d", "status", "-c"]]


@pytest.mark.parametrize("v2", FORMATS)
def test_everything_touched_is_decided_in_rust(tmp_path, v2):
    pair, wc = build(tmp_path, v2)
    checker = check(pair, wc, QUERIES)
    # Our side decided every unsure file in Rust, all clean, recorded as fixups.
    res, calls, fallbacks = ours_trace(pair.b, ["status", "-A"], checker.pristine)
    files = len(tracked(pair.a))
    assert fallbacks == [] and len(calls) == 1, res.err
    n, modified, deleted, clean, fixup, undecided = calls[0]
    assert (n, modified, deleted, undecided) == (files, 0, 0, 0), calls
    assert clean + fixup == files
    # The dirstate now vouches for them: a second status has nothing unsure,
    # and says what C says.
    res2, calls2, _ = ours_trace(pair.b, ["status", "-A"])
    assert calls2 == [] and res2.out == res.out
    oracle = hgdiff.run_hg(hgdiff.ORACLE, pair.a, ["status", "-A"], "a")
    assert hgdiff.run_hg(hgdiff.ORACLE, pair.a, ["status", "-A"], "a").out == oracle.out == res.out


CHANGES = [
    W("plain", b"line 1\nline 3\n", mtime=TOUCHED + 10),            # same size, other content
    W("copy-of-meta", b"\x01\nstarts with the markex\n", mtime=TOUCHED + 10),  # copy, same size
    W("marker-only", b"xx", mtime=TOUCHED + 10),                    # marker gone, same size
    W("binary", b"\x01\n\x02bin\xff", mtime=TOUCHED + 10),          # marker appears, same size
    W("copy-of-plain", b"line 1\nline 2\n", mtime=TOUCHED + 10),    # rewritten, equal
    sc.Op("chmod", "exec", False), sc.Op("touch", "exec", TOUCHED + 20),
    sc.Op("chmod", "d/other", True),
    L("link", "plaim", TOUCHED + 20),                                # same-length target
    L("copy-of-link", "plain", TOUCHED + 20),                        # relinked, equal
    sc.Op("delete", "renamed"), L("renamed", "another file!", TOUCHED + 20),  # file -> symlink, same size
    sc.Op("delete", "link-dangling"), W("link-dangling", b"nowhere", mtime=TOUCHED + 20),  # symlink -> file
    sc.Op("delete", "d/sub/deep"),
    sc.Op("delete", "copy-of-empty"), sc.Op("mkdir", "copy-of-empty"),
]


@pytest.mark.parametrize("v2", FORMATS)
def test_touched_with_changes(tmp_path, v2):
    pair, wc = build(tmp_path, v2, CHANGES)
    checker = check(pair, wc, QUERIES)
    res, calls, fallbacks = ours_trace(pair.b, ["status", "-mard"], checker.pristine)
    assert fallbacks == [] and calls and all(c[5] == 0 for c in calls), res.err
    assert sum(c[1] for c in calls) >= 5, calls


SPARSE = ["--config", "extensions.sparse="]


@pytest.mark.parametrize("v2", FORMATS)
def test_sparse_checkout_is_decided_in_rust(tmp_path, v2):
    """Sparse only limits which files are tracked: the files that are get
    Rust's answer, the same as Mercurial's."""
    pair, wc = scripted(tmp_path, v2, HISTORY + [H(*SPARSE, "debugsparse", "-q", "--exclude", "d")])
    assert "exp-sparse" in open(os.path.join(pair.a, ".hg", "requires")).read()
    for op in touch_all(pair.a) + CHANGES[:3]:
        sc.apply(pair.a, op)
        wc.ops.append(op)
    checker = check(pair, wc, [["status", "-A"] + SPARSE, ["status"] + SPARSE])
    res, calls, fallbacks = ours_trace(pair.b, ["status"] + SPARSE, checker.pristine)
    assert fallbacks == [] and len(calls) == 1 and calls[0][5] == 0, res.err
    assert not os.path.exists(os.path.join(pair.b, "d", "other"))


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("how", ["delete", "dir", "grow"])
def test_files_changing_between_walk_and_compare(tmp_path, v2, how):
    """issue5584: a file gone (or replaced) after the walk is deleted (or,
    when p1 has it executable or as a symlink, modified: the flags check
    comes first); a file grown after the walk is modified."""
    pair, wc = build(tmp_path, v2)
    victims = ["plain", "exec", "link", "meta", "copy-of-plain", "d/sub/deep", "empty"]
    opts = ["--config", "extensions.vanish=" + VANISH, "--config", "vanish.%s=%s" % (how, ",".join(victims))]
    check(pair, wc, [["status", "-A"] + opts, ["status"] + opts])


@pytest.mark.parametrize("v2", FORMATS)
def test_refusals_leave_every_file_to_mercurial(tmp_path, v2):
    """With an encode filter or a transforming extension, Mercurial's own
    `_checklookup` decides, and the answers stay the C oracle's."""
    pair, wc = build(tmp_path, v2, [W("plain", b"line 1\nline 3\n", mtime=TOUCHED + 10)])
    cases = [
        (["--config", "encode.**.txt=tempfile: cp INFILE OUTFILE"], b"encode/decode filters"),
        (["--config", "extensions.eol="], b"extension eol"),
        (["--config", "extensions.keyword="], b"extension keyword"),
    ]
    check(pair, wc, [["status", "-A"] + opts for opts, _ in cases], refusals=True)
    for opts, why in cases:
        sc.copy_tree(pair.a, pair.b)
        res, calls, fallbacks = ours_trace(pair.b, ["status"] + opts)
        assert calls == [] and fallbacks == [why], res.err


def test_defaults_file_enables_the_extension(tmp_path):
    """Installed, the extension is on without any hgrc (our defaults file,
    read when HGRCPATH is unset) and off with `extensions.rustext=!`."""
    repo = str(tmp_path / "r")
    env = dict(os.environ, HOME=str(tmp_path), HGPLAIN="1", HGUSER="t", RUSTEXT_STATUS_TRACE="1")
    for name in ("HGRCPATH", "HGMODULEPOLICY"):
        env.pop(name, None)
    run = lambda *args: subprocess.run([hgdiff.HG] + list(args), cwd=repo, env=env,  # noqa: E731
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    os.makedirs(repo)
    run("init")
    with open(os.path.join(repo, "f"), "wb") as fh:
        fh.write(b"content\n")
    run("commit", "-qAm", "base")
    assert run("config", "extensions.rustext").stdout == b"\n"
    os.utime(os.path.join(repo, "f"), (T0, T0))
    res = run("status")
    assert LOOKUP.findall(res.stderr) == [(b"1", b"0", b"0", b"0", b"1", b"0")], res.stderr
    os.utime(os.path.join(repo, "f"), (T0 + 1, T0 + 1))
    res = run("status", "--config", "extensions.rustext=!")
    assert LOOKUP.findall(res.stderr) == [] and LOOKUP_FALLBACK.findall(res.stderr) == []
    # extensions.find('rustext') is our module, found by Mercurial's own
    # lookup rules (hgext.rustext does not exist, hgext3rd.rustext does).
    out = run("debugextensions", "-v").stdout
    assert b"rustext" in out and b"hgext3rd" in out, out


def _touched_commit(tmp_path, names):
    """A repository with `names` committed (each holding "content of
    <name>"), then given the mtime T0: `(repo, p1's node)`."""
    repo = tmp_path / "r"
    repo.mkdir()
    hgdiff.run_hg(hgdiff.ORACLE, str(repo), ["init"], "a")
    for n in names:
        p = repo / n.decode()
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"content of " + n + b"\n")
    hgdiff.run_hg(hgdiff.ORACLE, str(repo), ["commit", "-qA", "-m", "x", "-u", "t", "-d", "0 0"], "a")
    p1 = bytes.fromhex(hgdiff.run_hg(hgdiff.ORACLE, str(repo), ["log", "-r", ".", "-T", "{node}"], "a")
                       .out.decode())
    for n in names:
        os.utime(repo / n.decode(), (T0, T0))
    return repo, p1


def test_fixups_are_left_out_of_the_garbage_collector(tmp_path):
    """`check_lookup` hands back one `(path, (mode, size, mtime))` per clean
    file, 300,000 tuples at 100k touched files. They hold only bytes, ints
    and such tuples, so it untracks them as CPython does for tuples of
    atomic values; tracked, they made the collector run hundreds of times,
    three times over everything Mercurial has loaded (70 ms measured)."""
    import gc
    import time

    rustext = pytest.importorskip("mercurial.rustext")
    names = [b"a", b"d/b", b"d/e/c"]
    repo, p1 = _touched_commit(tmp_path, names)
    boundary = (int(time.time()) + 10, 0, False)
    # No collection may run in between: one would untrack the tuples itself.
    gc.disable()
    try:
        modified, deleted, clean, fixup, undecided = rustext.dirstate.check_lookup(
            os.fsencode(str(repo)), p1, list(names), boundary)
        tracked = [gc.is_tracked(t) for item in fixup for t in (item, item[1], item[1][2])]
    finally:
        gc.enable()
    assert (modified, deleted, clean, undecided) == ([], [], [], [])
    assert [f for f, _ in fixup] == names
    for path, (mode, size, mtime) in fixup:
        assert size == len(b"content of " + path + b"\n") and mtime[0] == T0
    assert tracked == [False] * 9
    # A tuple made the ordinary way is tracked: the check above can fail.
    gc.disable()
    try:
        assert gc.is_tracked(tuple([b"x", (1, 2, tuple([3, 4, False]))]))
    finally:
        gc.enable()


def test_fixup_list_is_the_list_python_builds(tmp_path):
    """`check_lookup`'s fix-ups stay in Rust (a `FixupList`): Mercurial's
    `_dirstatestatus` and `_poststatusfixup` only test it, iterate it and
    unpack its items, and `set_clean_all` reads it without tuples. Each of
    those must give what the plain list of tuples gives."""
    import time

    rustext = pytest.importorskip("mercurial.rustext")
    names = [b"a", b"d/b", b"d/e/c", b"z"]
    repo, p1 = _touched_commit(tmp_path, names)
    boundary = (int(time.time()) + 10, 0, False)
    fixup = rustext.dirstate.check_lookup(os.fsencode(str(repo)), p1, list(names), boundary)[3]
    plain = list(fixup)
    assert [f for f, _ in plain] == names
    assert len(fixup) == 4 and bool(fixup)
    assert [fixup[i] for i in range(4)] == plain and fixup[-1] == plain[-1]
    with pytest.raises(IndexError):
        fixup[4]
    # Iterators are independent, and an exhausted one stays exhausted.
    it = iter(fixup)
    assert next(it) == plain[0] and list(iter(fixup)) == plain and list(it) == plain[1:]
    assert list(it) == []
    empty = rustext.dirstate.check_lookup(os.fsencode(str(repo)), p1, [b"a"], None)[3]
    assert not empty and len(empty) == 0 and list(empty) == []

    def fixed(arg):
        dmap = rustext.dirstate.DirstateMap.new_empty()
        for n in names:
            dmap.set_tracked(n)
        dmap.set_clean_all(arg)
        return [(f, item.mode, item.size, item.mtime) for f, item in dmap.items()]

    assert fixed(fixup) == fixed(plain)
    assert [m[2] for m in fixed(fixup)] == [len(b"content of " + n + b"\n") for n in names]
