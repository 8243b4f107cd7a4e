"""Differential harness: run the same hg commands with our build and with the
C oracle (HGMODULEPOLICY=c) on byte-identical repositories, and compare
everything a user or the next command can see.

Why a harness rather than golden files: the oracle is Mercurial itself, so any
sequence of commands is a test. `Pair` owns two working copies (side "a" is
always the oracle; side "b" runs whatever `impl_for_step` says: ours, or
alternating ours/C to check that each implementation reads what the other
wrote), applies file-system edits identically to both, runs each command on
both, and after every step compares the command's output and the observable
state (`observe`).

Timing is the enemy of determinism: Mercurial records a file's mtime in the
dirstate only when it is unambiguous relative to the command's start.
So (1) files the harness writes get explicit old, strictly increasing mtimes,
identical on both sides; (2) after a command that writes working files, the
harness waits for the next wall-clock second before observing, so both sides
judge those files unambiguous.
"""
import atexit
import concurrent.futures
import difflib
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The venv running the tests (`$HG_VENV/bin/python -m pytest`) is the one
# whose Mercurial (and our module in it) is under test.
VENV_PY = os.path.join(sys.prefix, "bin", "python")
HG = os.path.join(sys.prefix, "bin", "hg")
FORKSERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hg_forkserver.py")

# Identical for both implementations; the only difference is HGMODULEPOLICY.
HGRC = """\
[ui]
username = test <test@example.com>
merge = :merge
interactive = false
[devel]
default-date = 0 0
[storage]
dirstate-v2.slow-path = allow
"""

# Our side also loads our extension (hgext3rd/rustext.py: the Rust
# comparison of the files status is unsure about), which a real
# installation enables through its defaults file; HGRCPATH hides that file.
OURS_HGRC = HGRC + """\
[extensions]
rustext =
"""

OURS = "ours"
ORACLE = "c"
# First harness-written mtime: 2020-09-13, far from "now", so never ambiguous.
MTIME_BASE = 1_600_000_000


class Divergence(AssertionError):
    """Ours and the oracle disagreed; the message holds a readable diff."""


class Result:
    """What one hg command printed and returned, with the repo path hidden."""

    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def as_text(self):
        return "exit %d\n--- stdout\n%s--- stderr\n%s" % (
            self.rc,
            self.out.decode("utf-8", "replace"),
            self.err.decode("utf-8", "replace"),
        )

    def __eq__(self, other):
        return (self.rc, self.out, self.err) == (other.rc, other.out, other.err)


def have_rust_dirstate():
    """True once `mercurial.rustext.dirstate` exists in .venv: only then does
    the comparison test anything but Mercurial against itself."""
    code = "from mercurial import policy; print(policy.importrust('dirstate') is not None)"
    env = dict(os.environ)
    env.pop("HGMODULEPOLICY", None)
    out = subprocess.run([VENV_PY, "-c", code], env=env, stdout=subprocess.PIPE, check=False)
    return out.stdout.strip() == b"True"


def make_env(home, impl, extra_env=None):
    """A fixed environment: no user config, plain output, UTC, UTF-8.
    `extra_env` adds variables for one runner only (e.g. a trace switch that
    must not reach the side it would make differ)."""
    hgrc = os.path.join(home, "hgrc")
    if not os.path.exists(hgrc):
        with open(hgrc, "w") as fh:
            fh.write(OURS_HGRC if impl == OURS else HGRC)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "HGRCPATH": hgrc,
        "HGPLAIN": "1",
        "HGENCODING": "utf-8",
        "TZ": "UTC",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HGEDITOR": "false",
        "EDITOR": "false",
    }
    if impl == ORACLE:
        env["HGMODULEPOLICY"] = "c"
    env.update(extra_env or {})
    return env


class SubprocessRunner:
    """Runs `.venv/bin/hg` as a fresh process per command (slow, exact)."""

    def __init__(self, home, impl, extra_env=None):
        self.env = make_env(home, impl, extra_env)

    def run(self, cwd, args):
        proc = subprocess.run(
            [HG] + list(args), cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
        )
        return proc.returncode, proc.stdout, proc.stderr

    def close(self):
        pass


class ForkRunner:
    """Runs commands through tests/hg_forkserver.py (same dispatch.run(), one
    fork per command, no per-command interpreter start-up)."""

    def __init__(self, home, impl, extra_env=None, server=FORKSERVER):
        self.tmp = tempfile.mkdtemp(prefix="hgfork-", dir=home)
        self.proc = subprocess.Popen(
            [VENV_PY, server], env=make_env(home, impl, extra_env), cwd=home,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        hello = self.proc.stdout.readline()
        if not hello or not json.loads(hello).get("ready"):
            raise RuntimeError("hg fork server did not start")

    def run(self, cwd, args):
        out = os.path.join(self.tmp, "out")
        err = os.path.join(self.tmp, "err")
        req = {"cwd": cwd, "args": list(args), "out": out, "err": err}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError("hg fork server died")
        with open(out, "rb") as fh:
            stdout = fh.read()
        with open(err, "rb") as fh:
            stderr = fh.read()
        return json.loads(reply)["rc"], stdout, stderr

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


_RUNNERS = {}


def runner(impl, lane="a", extra_env=None, server=FORKSERVER):
    """One shared runner per (implementation, lane, extra environment, fork
    server script) for the whole session; the two sides of a Pair use
    different lanes so they can run at once. DIRSTATE_DIFF_SUBPROCESS=1 runs
    every command as a real .venv/bin/hg."""
    key = (impl, lane, tuple(sorted((extra_env or {}).items())), server)
    if key not in _RUNNERS:
        home = tempfile.mkdtemp(prefix="hgdiff-home-%s-%s-" % (impl, lane))
        atexit.register(shutil.rmtree, home, True)
        if os.environ.get("DIRSTATE_DIFF_SUBPROCESS"):
            _RUNNERS[key] = SubprocessRunner(home, impl, extra_env)
        else:
            _RUNNERS[key] = ForkRunner(home, impl, extra_env, server)
            atexit.register(_RUNNERS[key].close)
    return _RUNNERS[key]


_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2)


def both(fa, fb):
    """Run side a's and side b's work concurrently (2 cores), return both."""
    futa, futb = _POOL.submit(fa), _POOL.submit(fb)
    return futa.result(), futb.result()


EXTENSIONS_LOADED = re.compile(rb"^(\*\* Extensions loaded: )(.*)$", re.M)


def _without_our_extension(match):
    """A crash report's list of loaded extensions, without ours (loaded on
    our side only, see OURS_HGRC)."""
    names = [n for n in match.group(2).split(b", ") if n and n != b"rustext"]
    return match.group(1) + b", ".join(names)


def run_hg(impl, repo, args, lane="a", extra_env=None, server=FORKSERVER):
    """Run one command; the repo's absolute path is replaced by $REPO."""
    rc, out, err = runner(impl, lane, extra_env, server).run(repo, args)
    err = EXTENSIONS_LOADED.sub(_without_our_extension, err)
    real = os.path.realpath(repo).encode()
    for path in {real, repo.encode()}:
        out = out.replace(path, b"$REPO")
        err = err.replace(path, b"$REPO")
    return Result(rc, out, err)


# --- the state a user (or the next command) can see --------------------------


def read_parents(repo):
    """The dirstate's parents, read from disk (v1 header or v2 docket)."""
    try:
        with open(os.path.join(repo, ".hg", "dirstate"), "rb") as fh:
            data = fh.read(52)
    except FileNotFoundError:
        return "no dirstate file"
    if data.startswith(b"dirstate-v2\n"):
        data = data[12:]
    return "%s %s" % (data[:20].hex(), data[20:40].hex())


def snapshot_tree(repo):
    """Every working-copy path (outside .hg) with its type, exec bit and a
    content digest: what `hg update`/`revert`/`purge` wrote or removed."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(repo):
        if dirpath == repo and ".hg" in dirnames:
            dirnames.remove(".hg")
        dirnames.sort()
        rel = os.path.relpath(dirpath, repo)
        if rel != "." and not filenames and not dirnames:
            lines.append("dir  %s/" % rel)
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name)
            relpath = os.path.normpath(os.path.join(rel, name))
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                lines.append("link %s -> %s" % (relpath, os.readlink(path)))
            else:
                with open(path, "rb") as fh:
                    digest = hashlib.sha1(fh.read()).hexdigest()[:12]
                exe = "x" if st.st_mode & 0o100 else "-"
                lines.append("file %s %s %s" % (exe, digest, relpath))
    return "\n".join(lines) + "\n"


def classify_mtimes(repo, debugdirstate_out, errors="replace"):
    """`hg debugdirstate` (with dates) rendered timing-independently: the date
    column becomes `unset`, `=file` (equals the file's current mtime, to the
    second) or `!=file`. This is the `--no-dates` view plus one bit: whether
    the recorded mtime can still vouch for the file."""
    out, copies = [], []
    for line in debugdirstate_out.decode("utf-8", errors).splitlines():
        if line.startswith("copy: "):
            # The copy map is a mapping; its print order is the order the map
            # was loaded or built in. Compared as printed (exact parity with
            # C) unless DIRSTATE_DIFF_COPY_ORDER=sorted.
            copies.append(line)
            continue
        # "%c %s %10d %s%s": state, mode, size, 20-char date column, name
        head, rest = line[:17], line[17:]
        date, name = rest[:20], rest[20:]
        if date.strip() == "unset":
            verdict = "unset"
        else:
            try:
                st = os.lstat(os.path.join(repo, name))
                actual = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(st.st_mtime))
                verdict = "=file" if date.strip() == actual else "!=file"
            except OSError:
                verdict = "set(missing)"
        out.append("%s %-12s %s" % (head.rstrip(), verdict, name))
    if os.environ.get("DIRSTATE_DIFF_COPY_ORDER", "strict") != "strict":
        copies.sort()
    return "\n".join(out + copies) + "\n"


def observe(impl, repo, lane="a"):
    """Everything compared after each step, in a fixed order (status writes
    the dirstate, so both sides must run exactly the same observations).
    `status -A -C` is `status -A` and `status -C` in one command: every
    file's state, and the copy source under each added file."""
    obs = {}
    obs["status -A -C"] = run_hg(impl, repo, ["status", "-A", "-C"], lane).as_text()
    dd = run_hg(impl, repo, ["debugdirstate"], lane)
    obs["debugdirstate"] = "exit %d\n%s%s" % (
        dd.rc, classify_mtimes(repo, dd.out), dd.err.decode("utf-8", "replace"))
    obs["parents"] = read_parents(repo)
    obs["working copy"] = snapshot_tree(repo)
    return obs


def diff_text(label, a, b):
    return "".join(
        difflib.unified_diff(
            a.splitlines(True), b.splitlines(True),
            "%s (oracle: C)" % label, "%s (other side)" % label,
        )
    )


def compare(where, a, b):
    """Raise Divergence naming every observation that differs."""
    problems = []
    for key in a:
        if a[key] != b.get(key):
            problems.append(diff_text(key, a[key], b.get(key, "<missing>")))
    if problems:
        raise Divergence("%s\n%s" % (where, "\n".join(problems)))


# --- the pair of working copies ---------------------------------------------


def wait_next_second():
    """Sleep until the wall clock enters the next second, so every file a
    command wrote is older than the next command's start on both sides."""
    now = time.time()
    time.sleep(int(now) + 1 - now + 0.02)


class Pair:
    """Two working copies driven in lockstep.

    mode:
      "independent"  a = C, b = ours; each side lives on its own repo.
      "lockstep"     like independent, but before every command b's repo is
                     replaced by `cp -a` of a's, so each command starts from a
                     byte-identical repo (no drift accumulates).
      "alternate"    b alternates: even steps ours, odd steps C, and b's
                     observations run with the other implementation than the
                     step's command, so each dirstate one writes the other
                     reads (v1 and v2 cross-reading).
    """

    def __init__(self, tmpdir, v2, mode="independent"):
        self.base = str(tmpdir)
        self.v2 = v2
        self.mode = mode
        self.a = os.path.join(self.base, "a", "repo")
        self.b = os.path.join(self.base, "b", "repo")
        os.makedirs(os.path.dirname(self.a))
        os.makedirs(os.path.dirname(self.b))
        self.step = 0
        self.log = []
        fmt = "format.use-dirstate-v2=%s" % ("yes" if v2 else "no")
        res = run_hg(ORACLE, self.base, ["init", "--config", fmt, self.a])
        assert res.rc == 0, res.as_text()
        self._copy_a_to_b()

    def _copy_a_to_b(self):
        shutil.rmtree(self.b, ignore_errors=True)
        subprocess.run(["cp", "-a", self.a, self.b], check=True)

    def impl_for(self, step, observing=False):
        if self.mode != "alternate":
            return OURS
        ours_turn = step % 2 == 0
        if observing:
            ours_turn = not ours_turn
        return OURS if ours_turn else ORACLE

    # file-system edits, identical on both sides -------------------------
    def _mtime(self):
        return MTIME_BASE + 10 * self.step

    def write(self, path, data, exe=False):
        for repo in (self.a, self.b):
            full = os.path.join(repo, path)
            if os.path.islink(full) or os.path.isfile(full):
                os.unlink(full)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as fh:
                fh.write(data)
            os.chmod(full, 0o755 if exe else 0o644)
            os.utime(full, (self._mtime(), self._mtime()))
        self.log.append("write %s (%d bytes%s)" % (path, len(data), ", exec" if exe else ""))

    def symlink(self, path, target):
        for repo in (self.a, self.b):
            full = os.path.join(repo, path)
            if os.path.islink(full) or os.path.isfile(full):
                os.unlink(full)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            os.symlink(target, full)
            os.utime(full, (self._mtime(), self._mtime()), follow_symlinks=False)
        self.log.append("symlink %s -> %s" % (path, target))

    def chmod(self, path, exe):
        for repo in (self.a, self.b):
            full = os.path.join(repo, path)
            if os.path.isfile(full) and not os.path.islink(full):
                os.chmod(full, 0o755 if exe else 0o644)
        self.log.append("chmod %s %s" % ("+x" if exe else "-x", path))

    def delete(self, path):
        for repo in (self.a, self.b):
            full = os.path.join(repo, path)
            if os.path.islink(full) or os.path.isfile(full):
                os.unlink(full)
            elif os.path.isdir(full):
                shutil.rmtree(full)
        self.log.append("delete %s" % path)

    def files(self):
        """Working-copy files of side a (outside .hg), sorted."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self.a):
            if dirpath == self.a and ".hg" in dirnames:
                dirnames.remove(".hg")
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                found.append(os.path.relpath(os.path.join(dirpath, name), self.a))
        return sorted(found)

    def query(self, args):
        """Output of a read-only command on side a (the oracle), not compared:
        lets a scenario choose arguments from the repository's history."""
        return run_hg(ORACLE, self.a, list(args), "a").out.decode("utf-8", "replace")

    # hg commands -----------------------------------------------------------
    def hg(self, *args, writes_wc=False):
        """Run `hg args` on both sides, compare output and observed state.
        Returns the oracle's Result."""
        self.step += 1
        args = list(args)
        if self.mode == "lockstep":
            self._copy_a_to_b()
        ra, rb = both(
            lambda: run_hg(ORACLE, self.a, args, "a"),
            lambda: run_hg(self.impl_for(self.step), self.b, args, "b"),
        )
        self.log.append("hg %s  -> exit %d" % (" ".join(args), ra.rc))
        where = "step %d [%s, %s, side b=%s]: hg %s\nsteps so far:\n  %s" % (
            self.step, "v2" if self.v2 else "v1", self.mode,
            self.impl_for(self.step), " ".join(args), "\n  ".join(self.log))
        if ra != rb:
            raise Divergence("%s\n%s" % (where, diff_text("command", ra.as_text(), rb.as_text())))
        if writes_wc:
            wait_next_second()
        obs_a, obs_b = both(
            lambda: observe(ORACLE, self.a, "a"),
            lambda: observe(self.impl_for(self.step, observing=True), self.b, "b"),
        )
        compare(where, obs_a, obs_b)
        return ra
