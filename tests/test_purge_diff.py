"""`hg purge` differential tests: our build against the C oracle
(HGMODULEPOLICY=c) on byte-identical copies of random working copies.

Why a suite of its own: Mercurial 7.2's `purge` takes the directories to
remove from our status (`empty_dirs`) and removes every one of them without
checking again, so a wrong list deletes a user's directories. On 6.9 / 7.0 /
7.1 Python checks each traversed directory itself; the same comparisons then
pin that our traversed list is complete.

Two checks per query:

- `hg purge -v ARGS` (which removes): ours prints, returns and leaves
  exactly what C does (tree compared entry by entry afterwards);
- `hg purge -p ARGS` (which only prints): ours prints what C *removes* with
  `-v`. That is upstream Rust's answer, which Mercurial's own test-purge.t
  pins on 7.2 (`(rust !)` lines): a directory that will be empty once its
  files are purged is listed. C's `-p` lists only directories that are empty
  already, so on 7.2 `-p` itself is compared with C's removals, on older
  versions with C's `-p` (they check each directory themselves).

A status call of ours that falls back (filesets, exotic regexes) leaves
Mercurial 7.2's purge with no directory list at all (upstream's Rust build
does the same); such queries are counted as a class of their own and their
file list is still compared.
"""
import os
import re
import shutil

import pytest

import hgdiff
import status_scenarios as sc
from test_status_diff import FORMATS, build

SEEDS = int(os.environ.get("PURGE_DIFF_SEEDS", "2"))
FIRST_SEED = int(os.environ.get("PURGE_DIFF_FIRST_SEED", "1"))
TRACE = {"RUSTEXT_STATUS_TRACE": "1"}
TRACE_LINE = re.compile(rb"^rustext-status: (.*)\n", re.M)
PURGE = ["purge", "--config", "extensions.purge="]
REMOVING = re.compile(rb"^removing (?:file|directory) (.*)$")

STATS = {"working copies": 0, "queries": 0, "native": 0, "fallback": 0,
         "C aborted below a symlinked tracked directory": 0}
# A nested repository's caches, which `hg --cwd nested/...` fills as it
# goes (C checks for symlink support where we need not): not purge's doing.
NESTED_CACHE = re.compile(r"^\S+ .*/\.hg/w?cache/.*\n", re.M)
SYMLINK_ABORT = b"traverses symbolic link"


def tree(repo):
    return NESTED_CACHE.sub("", hgdiff.snapshot_tree(repo))


def without_dirs(text):
    """Output or tree with directory removals / empty directories taken out."""
    if isinstance(text, bytes):
        return b"".join(l + b"\n" for l in text.splitlines()
                        if not l.startswith(b"removing directory "))
    return "".join(l + "\n" for l in text.splitlines() if not l.startswith("dir  "))


def terminal_summary_lines():
    if not STATS["queries"]:
        return []
    return ["purge differential: %s" % ", ".join("%s %d" % kv for kv in STATS.items())]


def hg_version():
    from mercurial import util

    return tuple(int(x) for x in util.version().decode().split("+")[0].split(".")[:2])


def add_directories(wc, repo):
    """What purge is about: empty directories (nested too), directories
    holding only unknown or only ignored files, a directory whose tracked
    file was `hg rm`ed, an empty nested repository's parent."""
    rng = wc.rng
    for _ in range(rng.randint(2, 5)):
        depth = rng.randint(1, 3)
        path = "/".join(rng.choice(sc.DIRS + ["empty", "e2"]) for _ in range(depth))
        if not wc._blocked(repo, path + "/x"):
            wc._do(repo, sc.Op("mkdir", path))
    for name in ("only-unknown/u.c", "only-ignored/x.o", "mixed/x.o", "mixed/k.c",
                 "deep/er/est/u.c"):
        if rng.random() < 0.6:
            wc.write(repo, name)
    if rng.random() < 0.5:
        wc.write(repo, "gone/t.c")
        wc.hg(repo, "add", "-q", "gone/t.c")
        wc.hg(repo, "commit", "-q", "-m", "gone")
        wc.hg(repo, "rm", "-q", "gone/t.c")


def queries(wc, repo):
    """Purge arguments: every selection switch, with and without patterns."""
    dirs = [d for d in wc._dirs(repo) if not d.startswith("pats")]
    pick = wc.rng.choice(dirs) if dirs else "d1"
    return [
        [], ["--all"], ["--files"], ["--dirs"], ["--all", "--dirs"], ["--files", "--all"],
        ["--ignored"], [pick], ["--all", pick], ["-I", "glob:**.o"], ["-X", "path:" + pick],
        ["--all", "-X", "glob:**/u.c"], ["--cwd", pick, "--all", "."],
    ]


def purge(impl, root, args, lane):
    """One purge run, the trace line (ours) taken out of stderr."""
    env = TRACE if impl == hgdiff.OURS else None
    res = hgdiff.run_hg(impl, root, PURGE + args, lane=lane, extra_env=env)
    traces = TRACE_LINE.findall(res.err)
    res.err = TRACE_LINE.sub(b"", res.err)
    return res, traces


def removed_list(out):
    """The paths a `purge -v` removed, in its order."""
    return b"".join(m.group(1) + b"\n" for m in map(REMOVING.match, out.splitlines()) if m)


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + SEEDS))
def test_purge_differential(tmp_path, seed, v2):
    if not hgdiff.have_rust_dirstate():
        pytest.skip("mercurial.rustext.dirstate not installed")
    pair, wc = build(tmp_path / "wc", seed, v2)
    add_directories(wc, pair.a)
    STATS["working copies"] += 1
    lists_removals = hg_version() >= (7, 2)
    problems = []
    for args in queries(wc, pair.a):
        copies = {}
        for name in ("c", "ours", "c-p", "ours-p"):
            copies[name] = str(tmp_path / name / "repo")
            os.makedirs(os.path.dirname(copies[name]), exist_ok=True)
            sc.copy_tree(pair.a, copies[name])
        (c, _), (ours, traces) = hgdiff.both(
            lambda: purge(hgdiff.ORACLE, copies["c"], ["-v"] + args, "a"),
            lambda: purge(hgdiff.OURS, copies["ours"], ["-v"] + args, "b"))
        (c_p, _), (ours_p, traces_p) = hgdiff.both(
            lambda: purge(hgdiff.ORACLE, copies["c-p"], ["-p"] + args, "a"),
            lambda: purge(hgdiff.OURS, copies["ours-p"], ["-p"] + args, "b"))
        STATS["queries"] += 1
        fell_back = any(t.startswith(b"fallback") for t in traces + traces_p)
        STATS["fallback" if fell_back else "native"] += 1
        where = "seed %d %s: hg purge %s" % (seed, "v2" if v2 else "v1", " ".join(args))
        if SYMLINK_ABORT in c.err and wc.symlinked_tracked_dirs(pair.a, wc.tracked):
            # The deliberate difference (README): below a tracked directory
            # replaced by a symlink C aborts, ours calls the files missing.
            STATS["C aborted below a symlinked tracked directory"] += 1
            assert ours.rc == 0 and b"Traceback" not in ours.err, where
        else:
            tree_c, tree_ours = tree(copies["c"]), tree(copies["ours"])
            c_out, expected_p = c.out, (removed_list(c.out) if lists_removals and c.rc == 0
                                        else c_p.out)
            if fell_back and lists_removals:
                # Mercurial 7.2 takes no directory list from a status that
                # fell back (README): files only.
                c_out, tree_c, tree_ours = without_dirs(c_out), without_dirs(tree_c), \
                    without_dirs(tree_ours)
                expected_p = removed_list(c_out) if c.rc == 0 else c_p.out
            if (ours.rc, ours.out, ours.err) != (c.rc, c_out, c.err):
                problems.append(hgdiff.diff_text(
                    where + " -v", hgdiff.Result(c.rc, c_out, c.err).as_text(), ours.as_text()))
            if tree_c != tree_ours:
                problems.append(hgdiff.diff_text(where + " (tree after)", tree_c, tree_ours))
            if (ours_p.rc, ours_p.out, ours_p.err) != (c_p.rc, expected_p, c_p.err):
                problems.append(hgdiff.diff_text(
                    where + " -p (expected: what C removes)" if lists_removals else where + " -p",
                    "exit %d\n%s%s" % (c_p.rc, expected_p.decode("utf-8", "replace"),
                                        c_p.err.decode()),
                    "exit %d\n%s%s" % (ours_p.rc, ours_p.out.decode("utf-8", "replace"),
                                        ours_p.err.decode())))
        for name in copies.values():
            shutil.rmtree(os.path.dirname(name), ignore_errors=True)
    assert not problems, "\n".join(problems)
