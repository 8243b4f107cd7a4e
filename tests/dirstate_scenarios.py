"""Scenarios for the differential dirstate tests: hand-written ones that walk
through each command the issue names, and a seeded random generator.

A scenario is a function `scenario(pair)` that edits files and runs hg
commands through `hgdiff.Pair`; the Pair compares both sides after every
command, so a scenario needs no assertions of its own.
"""
import random

PURGE = ("--config", "extensions.purge=")


# --- hand-written scenarios --------------------------------------------------


def sc_basic(p):
    """init/add/commit/remove/forget, with files in nested directories."""
    p.write("a", b"a\n")
    p.write("d1/b", b"b\n")
    p.write("d1/d2/c", b"c\n")
    p.write("unknown", b"u\n")
    p.hg("status")
    p.hg("add", "a", "d1")
    p.hg("commit", "-m", "first")
    p.hg("commit", "-m", "nothing")  # exit 1: nothing changed
    p.write("a", b"A\n")  # same size, new mtime
    p.hg("status")
    p.hg("remove", "d1/b")
    p.hg("forget", "d1/d2/c")
    p.hg("add", "unknown")
    p.hg("forget", "unknown")
    p.hg("remove", "nonexistent")
    p.delete("a")
    p.hg("status", "-mardu")
    p.hg("remove", "--after", "a")
    p.hg("commit", "-m", "second")
    p.hg("status", "--change", ".")


def sc_copy_rename(p):
    """copy/rename (plain and --after), copies shown by status -C."""
    p.write("src", b"line1\nline2\n")
    p.write("d/x", b"x\n")
    p.hg("add")
    p.hg("commit", "-m", "base")
    p.hg("copy", "src", "dst", writes_wc=True)
    p.hg("rename", "d/x", "e/y", writes_wc=True)
    p.hg("status", "-C")
    p.write("moved", b"line1\nline2\n")
    p.delete("src")
    p.hg("rename", "--after", "src", "moved")
    p.hg("copy", "--after", "dst", "moved")  # exit 1: not a copy target
    p.hg("commit", "-m", "moves")
    p.hg("copy", "moved", "d", writes_wc=True)
    p.hg("rename", "e", "f", writes_wc=True)
    p.hg("status", "-C")
    p.hg("revert", "--all", "--no-backup", writes_wc=True)


def sc_update(p):
    """update between revisions, to null and back, with local changes."""
    p.write("a", b"1\n")
    p.write("d/b", b"1\n")
    p.hg("add")
    p.hg("commit", "-m", "r0")
    p.write("a", b"2\n")
    p.write("d/c", b"new\n")
    p.hg("add")
    p.hg("rm", "d/b")
    p.hg("commit", "-m", "r1")
    p.hg("update", "0", writes_wc=True)
    p.hg("update", "null", writes_wc=True)
    p.hg("update", "tip", writes_wc=True)
    p.write("a", b"local\n")
    p.hg("update", "--check", "0", writes_wc=True)  # exit 255: uncommitted
    p.hg("update", "0", writes_wc=True)  # merges the local change
    p.hg("update", "--clean", "1", writes_wc=True)
    p.write("d/b", b"unknown, same name as a tracked file in r0\n")
    p.hg("update", "0", writes_wc=True)
    p.hg("update", "-C", "0", writes_wc=True)


def _two_heads(p):
    p.write("f", b"base\n")
    p.write("g", b"g\n")
    p.write("h", b"h\n")
    p.hg("add")
    p.hg("commit", "-m", "base")
    p.write("f", b"left\n")
    p.write("left-only", b"l\n")
    p.hg("add", "left-only")
    p.hg("rm", "h")
    p.hg("commit", "-m", "left")
    p.hg("update", "0", writes_wc=True)
    p.write("f", b"right\n")
    p.write("g", b"g changed\n")
    p.hg("rename", "g", "g2", writes_wc=True)
    p.write("h", b"h changed on the right\n")
    p.hg("commit", "-m", "right")


def sc_merge_local_other(p):
    """merge with conflicts resolved by :local, then by :other."""
    _two_heads(p)
    p.hg("merge", "1", "--tool", ":local", writes_wc=True)
    p.hg("status", "-C")
    p.hg("resolve", "-l")
    p.hg("commit", "-m", "merge local")
    p.hg("update", "-C", "2", writes_wc=True)
    p.hg("merge", "1", "--tool", ":other", writes_wc=True)
    p.hg("resolve", "-l")
    p.hg("update", "-C", ".", writes_wc=True)
    p.hg("status", "-A")


def sc_merge_conflict(p):
    """merge leaving conflicts (:merge), resolve by tool and -m, commit."""
    _two_heads(p)
    p.hg("merge", "1", writes_wc=True)  # exit 1: unresolved conflicts
    p.hg("resolve", "-l")
    p.hg("commit", "-m", "too early")  # exit 255: unresolved
    p.hg("resolve", "--tool", ":other", "f", writes_wc=True)
    p.hg("resolve", "-m", "--all")
    p.hg("resolve", "-l")
    p.hg("commit", "-m", "merged")
    p.hg("log", "-T", "{rev} {p1rev} {p2rev} {files}\n")


def sc_revert_purge(p):
    """revert single files, --all, -r REV; purge unknown and ignored."""
    p.write(".hgignore", b"syntax: glob\n*.o\nbuild/\n")
    p.write("a", b"1\n")
    p.write("b", b"1\n")
    p.hg("add")
    p.hg("commit", "-m", "r0")
    p.write("a", b"2\n")
    p.hg("commit", "-m", "r1")
    p.write("b", b"changed\n")
    p.hg("rm", "a")
    p.write("new", b"new\n")
    p.hg("add", "new")
    p.hg("revert", "b", writes_wc=True)  # keeps b.orig
    p.hg("revert", "-r", "0", "a", writes_wc=True)
    p.hg("revert", "--all", "--no-backup", writes_wc=True)
    p.write("x.o", b"obj\n")
    p.write("build/out", b"out\n")
    p.write("d/unknown", b"u\n")
    p.hg("status", "-i", "-u")
    p.hg("purge", *PURGE, writes_wc=True)
    p.hg("status", "-i", "-u")
    p.hg("purge", "--all", *PURGE, writes_wc=True)


def sc_addremove_similarity(p):
    """addremove guessing renames at several similarity thresholds."""
    body = b"".join(b"line %d\n" % i for i in range(20))
    p.write("one", body)
    p.write("two", body + b"two\n")
    p.write("d/three", b"three\n")
    p.hg("addremove")
    p.hg("commit", "-m", "r0")
    p.delete("one")
    p.write("one-moved", body)
    p.delete("two")
    p.write("two-edited", body[:-8] + b"changed\n")
    p.delete("d/three")
    p.write("e/three", b"three\n")
    p.hg("addremove", "-s", "100")
    p.hg("status", "-C")
    p.hg("revert", "--all", "--no-backup", writes_wc=True)
    p.delete("one")
    p.delete("two")
    p.write("one-moved", body)
    p.write("two-edited", body[:-8] + b"changed\n")
    p.hg("addremove", "-s", "50")
    p.hg("status", "-C")
    p.hg("commit", "-m", "moved")


def sc_rebuild_rollback(p):
    """debugrebuilddirstate (full and --minimal) and rollback."""
    p.write("a", b"a\n")
    p.write("b", b"b\n")
    p.hg("add")
    p.hg("commit", "-m", "r0")
    p.write("c", b"c\n")
    p.hg("add", "c")
    p.hg("rm", "a")
    p.hg("debugrebuilddirstate", "--minimal")
    p.hg("add", "c")
    p.hg("debugrebuilddirstate")
    p.hg("add", "c")
    p.hg("commit", "-m", "r1")
    p.hg("rollback")
    p.hg("status")
    p.hg("commit", "-m", "r1 again")
    p.hg("debugrebuilddirstate", "-r", "0")
    p.hg("rollback")  # nothing to roll back? the commit: rolls it back


def sc_symlinks_exec(p):
    """exec bit flips, symlinks, file <-> symlink, dangling links."""
    p.write("script", b"#!/bin/sh\n", exe=True)
    p.write("plain", b"data\n")
    p.symlink("link", "plain")
    p.symlink("dangling", "nowhere")
    p.hg("add")
    p.hg("commit", "-m", "r0")
    p.chmod("script", False)
    p.chmod("plain", True)
    p.hg("status")
    p.hg("commit", "-m", "modes")
    p.delete("link")
    p.write("link", b"now a file\n")
    p.symlink("plain-link-2", "script")
    p.hg("status")
    p.hg("addremove")
    p.hg("commit", "-m", "types")
    p.hg("update", "0", writes_wc=True)
    p.hg("update", "tip", writes_wc=True)


def sc_ignore_and_patterns(p):
    """.hgignore changes, explicitly added ignored files, and the pattern
    kinds status accepts (glob, re, path, rootfilesin, -I/-X)."""
    p.write(".hgignore", b"syntax: glob\n*.log\ntmp/\n")
    p.write("src/main.c", b"int main;\n")
    p.write("src/util.c", b"util\n")
    p.write("src/deep/x.h", b"x\n")
    p.write("build.log", b"log\n")
    p.write("tmp/scratch", b"s\n")
    p.write("README", b"r\n")
    p.hg("add")
    p.hg("add", "build.log")  # explicitly named: added although ignored
    p.hg("commit", "-m", "r0")
    p.write("src/new.c", b"new\n")
    p.write("src/deep/new.log", b"ignored\n")
    p.write("other.log", b"ignored\n")
    p.hg("status", "-A")
    p.hg("status", "glob:src/*.c")
    p.hg("status", "-A", "re:.*\\.h$")
    p.hg("status", "-A", "path:src/deep")
    p.hg("status", "-A", "rootfilesin:src")
    p.hg("status", "-A", "-I", "src/**", "-X", "src/deep")
    p.hg("status", "-i", "src")
    p.write(".hgignore", b"syntax: regexp\n^src/deep/\n\\.log$\n")
    p.hg("status", "-A")
    p.delete(".hgignore")
    p.hg("status")


SCENARIOS = {
    "basic": sc_basic,
    "copy_rename": sc_copy_rename,
    "update": sc_update,
    "merge_local_other": sc_merge_local_other,
    "merge_conflict": sc_merge_conflict,
    "revert_purge": sc_revert_purge,
    "addremove_similarity": sc_addremove_similarity,
    "rebuild_rollback": sc_rebuild_rollback,
    "symlinks_exec": sc_symlinks_exec,
    "ignore_and_patterns": sc_ignore_and_patterns,
}


# --- random scenarios --------------------------------------------------------

PATHS = ["a", "b", "c", "d1/a", "d1/b", "d1/d2/a", "d1/d2/b", "d3/x", "d3/y.o", "sp ace"]
TEXTS = [
    b"",
    b"one\n",
    b"two\n",
    b"".join(b"common %d\n" % i for i in range(12)),
    b"".join(b"common %d\n" % i for i in range(12)) + b"tail\n",
    b"".join(b"common %d\n" % i for i in range(10)) + b"other\n",
    b"no newline",
]
IGNORES = [
    b"syntax: glob\n*.o\n",
    b"syntax: glob\nd3/\n",
    b"syntax: regexp\n^d1/d2/\n",
    b"",
]


class RandomScenario:
    """A reproducible random walk: each step is a file-system edit or an hg
    command, drawn from `random.Random(seed)` and from side a's current files
    (so arguments usually name real files). Same seed, same walk."""

    def __init__(self, seed, steps):
        self.seed = seed
        self.steps = steps
        self.rng = random.Random(seed)
        self.commits = 0

    def __call__(self, p):
        # A first commit, so that updates, merges and reverts have history.
        for path in self.rng.sample(PATHS, 5):
            if not self._blocked(p, path):
                p.write(path, self.rng.choice(TEXTS))
        p.hg("add")
        if p.hg("commit", "-m", "base").rc == 0:
            self.commits += 1
        ops = [
            (6, self.fs_write), (2, self.fs_delete), (1, self.fs_chmod),
            (1, self.fs_symlink), (1, self.fs_ignore),
            (3, self.add), (1, self.addremove), (3, self.commit),
            (3, self.edit_and_commit), (2, self.branch),
            (2, self.remove), (1, self.forget), (2, self.copy), (2, self.rename),
            (2, self.update), (3, self.merge), (1, self.resolve),
            (2, self.revert), (1, self.purge), (1, self.rebuild),
            (1, self.rollback), (2, self.status),
        ]
        population = [op for weight, op in ops for _ in range(weight)]
        while p.step < self.steps:
            self.rng.choice(population)(p)

    # helpers
    def existing(self, p):
        files = p.files()
        return self.rng.choice(files) if files else self.rng.choice(PATHS)

    def anypath(self, p):
        return self.existing(p) if self.rng.random() < 0.6 else self.rng.choice(PATHS)

    def rev(self):
        if self.commits == 0 or self.rng.random() < 0.1:
            return "null"
        return str(self.rng.randrange(self.commits))

    def other_path(self, src):
        return self.rng.choice([path for path in PATHS if path != src])

    def _blocked(self, p, path):
        """True when writing `path` would need a directory where a file is."""
        parts = path.split("/")
        import os

        for i in range(1, len(parts)):
            prefix = os.path.join(p.a, *parts[:i])
            if os.path.lexists(prefix) and not os.path.isdir(prefix):
                return True
            if os.path.islink(prefix):
                return True
        full = os.path.join(p.a, path)
        return os.path.isdir(full) and not os.path.islink(full)

    # file-system edits
    def fs_write(self, p):
        path = self.anypath(p)
        if not self._blocked(p, path):
            p.write(path, self.rng.choice(TEXTS), exe=self.rng.random() < 0.15)

    def fs_delete(self, p):
        files = p.files()
        if files:
            p.delete(self.rng.choice(files))

    def fs_chmod(self, p):
        p.chmod(self.existing(p), self.rng.random() < 0.5)

    def fs_symlink(self, p):
        path = self.rng.choice(PATHS)
        if not self._blocked(p, path):
            p.symlink(path, self.rng.choice(PATHS))

    def fs_ignore(self, p):
        p.write(".hgignore", self.rng.choice(IGNORES))

    # hg commands
    def add(self, p):
        if self.rng.random() < 0.4:
            p.hg("add")
        else:
            p.hg("add", self.anypath(p))

    def addremove(self, p):
        args = ["addremove"]
        if self.rng.random() < 0.6:
            args += ["-s", self.rng.choice(["100", "75", "50", "0"])]
        p.hg(*args)

    def commit(self, p):
        args = ["commit", "-m", "c%d" % p.step]
        if self.rng.random() < 0.2:
            args.append("-A")
        if p.hg(*args).rc == 0:
            self.commits += 1

    def edit_and_commit(self, p):
        """Change a file or two and commit everything: history grows."""
        for _ in range(self.rng.randint(1, 2)):
            self.fs_write(p)
        if p.hg("commit", "-A", "-m", "e%d" % p.step).rc == 0:
            self.commits += 1

    def branch(self, p):
        """Commit on top of an older revision: a new head to merge later."""
        if self.commits < 2:
            return self.edit_and_commit(p)
        p.hg("update", "-C", "-r", str(self.rng.randrange(self.commits - 1)), writes_wc=True)
        self.edit_and_commit(p)

    def remove(self, p):
        args = ["remove"] + self.rng.choice([[], ["-A"], ["-f"]])
        p.hg(*args, self.anypath(p))

    def forget(self, p):
        p.hg("forget", self.anypath(p))

    def copy(self, p):
        args = ["copy"] + (["--after"] if self.rng.random() < 0.2 else [])
        src = self.existing(p)
        p.hg(*args, src, self.other_path(src), writes_wc=True)

    def rename(self, p):
        args = ["rename"] + (["--after"] if self.rng.random() < 0.2 else [])
        src = self.existing(p)
        p.hg(*args, src, self.other_path(src), writes_wc=True)

    def update(self, p):
        args = ["update"] + self.rng.choice([[], [], ["-C"], ["--check"], ["--merge"]])
        p.hg(*args, "-r", self.rev(), writes_wc=True)

    def merge(self, p):
        """Merge with another head: make one if there is none, commit pending
        changes first (a dirty working copy refuses to merge). Heads are asked
        of side a's repository with a read-only query (no status: it could
        write the dirstate on one side only)."""
        query = ["log", "-r", "head() - .", "-T", "{rev}\n"]
        heads = p.query(query).split()
        if not heads and self.commits >= 2:
            self.branch(p)
            heads = p.query(query).split()
        if self.rng.random() < 0.8:
            if p.hg("commit", "-A", "-m", "pre-merge %d" % p.step).rc == 0:
                self.commits += 1
        rev = self.rng.choice(heads) if heads else self.rev()
        tool = self.rng.choice([":local", ":other", ":merge", ":union"])
        p.hg("merge", "-r", rev, "--tool", tool, writes_wc=True)

    def resolve(self, p):
        choice = self.rng.random()
        if choice < 0.3:
            p.hg("resolve", "-l")
        elif choice < 0.6:
            p.hg("resolve", "-m", "--all")
        else:
            tool = self.rng.choice([":local", ":other"])
            p.hg("resolve", "--all", "--tool", tool, writes_wc=True)

    def revert(self, p):
        choice = self.rng.random()
        if choice < 0.4:
            p.hg("revert", "--all", "--no-backup", writes_wc=True)
        elif choice < 0.7:
            p.hg("revert", self.anypath(p), writes_wc=True)
        else:
            p.hg("revert", "-r", self.rev(), self.anypath(p), writes_wc=True)

    def purge(self, p):
        args = ["purge"] + (["--all"] if self.rng.random() < 0.3 else [])
        p.hg(*args, *PURGE, writes_wc=True)

    def rebuild(self, p):
        args = ["debugrebuilddirstate"] + (["--minimal"] if self.rng.random() < 0.5 else [])
        p.hg(*args)

    def rollback(self, p):
        if p.hg("rollback").rc == 0:
            self.commits = max(self.commits - 1, 0)

    def status(self, p):
        p.hg(*self.rng.choice([
            ["status"], ["status", "-mard"], ["status", "-i"], ["status", "d1"],
            ["status", "-A", "glob:**/a"], ["status", "-X", "d1"],
            ["diff", "--stat"], ["summary"],
        ]))
