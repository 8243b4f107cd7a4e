"""The benchmark harness: `hg status` and friends, side by side in one run:
Python+C, our module, upstream Mercurial built with its own Rust, and rhg.

    .venv/bin/python benches/build_upstream.py --hg-version 7.2.4   # once: upstream-rust and rhg
    .venv/bin/python benches/run.py                  # Mercurial 7.2.4, 100k and 260k files, 5 runs
    .venv/bin/python benches/run.py --quick          # 20k files, 3 runs (smoke test)
    .venv/bin/python benches/run.py --hg-version 6.9.5 --sizes 100k
    .venv/bin/python benches/run.py --sizes 100k --runs 7 --impls C,ours,rhg --commands status,status-u

Implementations (`--impls`, default: every one available for the version):

- C: the venv's `hg` with `HGMODULEPOLICY=c` (Mercurial's Python and C);
- ours: the same `hg` with the installed policy (rust+c-allow), i.e. our
  `mercurial.rustext`;
- upstream-rust: upstream Mercurial of the same version built with its own
  Rust extensions (`benches/build_upstream.py`), run with `HGMODULEPOLICY=rust+c`
  (strict: it fails rather than fall back to C);
- rhg: upstream's pure-Rust CLI from the same sdist, run with
  `--config rhg.on-unsupported=abort`, so it never falls back to Python
  silently: when it cannot serve a command (exit 252, "unsupported feature")
  the report says so instead of timing anything.

`--hg-version` (7.2.4 by default, 6.9.5 supported) picks the venv that
`./setup.sh` made for that version (`.venv`, `.venv-hg<version>`; `--venv`
overrides) and the upstream builds in `bench-data/upstream/<version>/`.

Everything is measured in one session, round-robin across all variants (so
machine load drifts hit every variant alike), after one warm-up round, and
reported as medians with each command's peak RSS (`ru_maxrss` from wait4 in
`benches/floor`'s small `measure` launcher, so that the harness's own memory,
which Linux carries over into a child's peak across `execve`, does not set a
floor under the figures). Beside `hg status` on dirstate-v1 and v2 it
times:

- `hg status` in an empty repository: the fixed cost (Python start-up for
  all but rhg), which no module can remove; "work" is a command's time minus
  this;
- the floor (`benches/floor`): read every directory and lstat every entry on
  all cores, the least any status can do; "work/floor" says how close an
  implementation gets to it;
- `hg status -mard`, `hg status -u` and `hg diff` on a copy with 1% of the
  files modified.

Every implementation's output is compared with C's on every command; the run
fails (exit 1, `OUTPUT DIFFERS` on stderr, `**NO**` in the table) if one
differs or a command fails. The table goes to stdout and, with the command
line and the Mercurial version, to `benches/results/latest-<version>.md` (raw
numbers in `latest-<version>.json`). Repositories are generated once with the
C oracle and cached in `bench-data/` (see `benches/gen.py`).
"""
import argparse
import datetime
import json
import hashlib
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_upstream  # noqa: E402
import gen  # noqa: E402

RESULTS = os.path.join(gen.HERE, "results")
SLOW_PATH = ["--config", "storage.dirstate-v2.slow-path=allow"]
DEFAULT_VERSION = "7.2.4"
SUPPORTED_VERSIONS = ("6.9.5", "7.2.4")

# (label, hg arguments, repository kind); "mod" runs on the 1%-modified copy,
# "touched" on the touched copy (`gen.ensure_touched`) with its pristine
# dirstate restored before each run, "touched2" right after the same
# implementation's "touched" run, on the dirstate that run left.
COMMANDS = (
    ("status", ["status"], "clean"),
    ("status -mard", ["status", "-mard"], "mod"),
    ("status -u", ["status", "-u"], "mod"),
    ("diff", ["diff"], "mod"),
    ("touched status", ["status"], "touched"),
    ("touched status, 2nd", ["status"], "touched2"),
    ("touched diff", ["diff"], "touched"),
    ("touched commit", ["commit", "-m", "touched", "-d", "0 0"], "touched"),
)
# How the report names each command.
DISPLAY = {
    "touched status": "`hg status` after touch",
    "touched status, 2nd": "second `hg status` after touch",
    "touched diff": "`hg diff` after touch",
    "touched commit": "`hg commit` after touch",
}
DEFAULT_COMMANDS = ("status", "status-mard", "status-u", "diff")
TOUCHED_COMMANDS = ("touchedstatus", "touchedstatus,2nd", "toucheddiff", "touchedcommit")
IMPLS = ("C", "ours", "upstream-rust", "rhg")
EMPTY = "status (empty repo)"
# rhg's exit code when it cannot serve an invocation (hg-core exit_codes::UNIMPLEMENTED).
RHG_UNSUPPORTED = 252
MEASURE = None  # benches/floor's `measure` executable, set by main()


def parse_size(text):
    text = text.strip().lower()
    mult = 1
    if text.endswith("k"):
        mult, text = 1000, text[:-1]
    elif text.endswith("m"):
        mult, text = 1000000, text[:-1]
    return int(float(text) * mult)


def size_label(n):
    return "%dk" % (n // 1000) if n % 1000 == 0 else str(n)


def rel(path):
    return os.path.relpath(path, gen.ROOT) if path.startswith(gen.ROOT + os.sep) else path


class Impl:
    """How to run one implementation: argv prefix and environment."""

    def __init__(self, name, argv, policy, describe, hgrc=""):
        self.name = name
        self.argv = argv
        self.policy = policy  # HGMODULEPOLICY, or None for the installed one
        self.describe = describe
        self.hgrc = hgrc  # HGRCPATH: "" (no configuration) or our defaults file

    def env(self):
        env = dict(os.environ, HGRCPATH=self.hgrc, HGPLAIN="1", HGUSER="bench")
        env.pop("HGMODULEPOLICY", None)
        if self.policy:
            env["HGMODULEPOLICY"] = self.policy
        return env


def venv_python_run(python, code, policy=None):
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1")
    env.pop("HGMODULEPOLICY", None)
    if policy:
        env["HGMODULEPOLICY"] = policy
    out = subprocess.run([python, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return out.returncode, out.stdout.decode(errors="replace").strip()


def hg_version_of(python):
    rc, text = venv_python_run(python, "from mercurial import util; print(util.version().decode())", policy="c")
    return text if rc == 0 else None


def module_state(python):
    """What our module provides in this venv, for the report header:
    ratios near 1.0 are expected when the dirstate module is not active."""
    code = (
        "from mercurial import policy, dirstate;"
        "print(policy.policy.decode(), dirstate.rustmod is not None, dirstate.HAS_FAST_DIRSTATE_V2)"
    )
    rc, text = venv_python_run(python, code)
    parts = text.split()
    if rc != 0 or len(parts) != 3:
        return "could not import Mercurial with our module: %s" % text[-300:]
    pol, active, fast_v2 = parts
    return "policy %s; rustext.dirstate %s; fast dirstate-v2 %s" % (
        pol,
        "ACTIVE" if active == "True" else "absent (ours = Python+C path)",
        "yes" if fast_v2 == "True" else "no",
    )


def defaults_file(python):
    """Our package's defaults file in the venv's Mercurial (`[extensions]
    rustext =`, `storage.delta-fold-estimate=never`)."""
    rc, text = venv_python_run(python, "import mercurial, os; print(os.path.dirname(mercurial.__file__))",
                               policy="c")
    path = os.path.join(text, "defaultrc", "hg-rustext.rc")
    if rc != 0 or not os.path.isfile(path):
        raise SystemExit("benches/run.py: no %s: is our package installed in that venv?" % path)
    return path


def default_venv(version):
    """The venv `./setup.sh` makes for a version (see its HG_VENV)."""
    return os.path.join(gen.ROOT, ".venv" if version == DEFAULT_VERSION else ".venv-hg%s" % version)


def setup_impls(args, ap):
    """Checks what is wanted and available; returns ({name: Impl}, notes)."""
    version = args.hg_version
    venv = os.path.abspath(args.venv or default_venv(version))
    hg, python = os.path.join(venv, "bin", "hg"), os.path.join(venv, "bin", "python")
    if not os.access(hg, os.X_OK):
        ap.error("no %s: run `HG_VERSION=%s ./setup.sh` (or pass --venv)" % (hg, version))
    got = hg_version_of(python)
    if got != version:
        ap.error("%s holds Mercurial %s, not %s (--venv)" % (rel(venv), got, version))
    built = build_upstream.available(version)
    if args.upstream_hg:
        built["upstream-rust"] = os.path.abspath(args.upstream_hg)
    if args.rhg:
        built["rhg"] = os.path.abspath(args.rhg)
    hint = "build it with `%s benches/build_upstream.py --hg-version %s`" % (rel(sys.executable), version)
    notes = []
    if args.impls:
        wanted = [i.strip() for i in args.impls.split(",") if i.strip()]
        unknown = set(wanted) - set(IMPLS)
        if unknown:
            ap.error("unknown implementation(s): %s (choose from %s)" % (", ".join(sorted(unknown)), ",".join(IMPLS)))
        if "C" not in wanted:
            ap.error("--impls must include C: every output is compared with C's")
        missing = [i for i in wanted if i in ("upstream-rust", "rhg") and i not in built]
        if missing:
            ap.error("%s not built for Mercurial %s: %s" % (" and ".join(missing), version, hint))
    else:
        wanted = [i for i in IMPLS if i in ("C", "ours") or i in built]
        for i in IMPLS:
            if i not in wanted:
                notes.append("%s skipped: not built for Mercurial %s (%s)" % (i, version, hint))
    impls = {}
    for name in IMPLS:
        if name not in wanted:
            continue
        if name == "C":
            impls[name] = Impl(name, [hg] + SLOW_PATH, "c", "`HGMODULEPOLICY=c %s` (Python and C)" % rel(hg))
        elif name == "ours":
            # What a user gets: the defaults file our package installs beside
            # Mercurial's (read when HGRCPATH is unset) enables hgext3rd/rustext.
            rc = defaults_file(python)
            impls[name] = Impl(name, [hg] + SLOW_PATH, None, "`HGRCPATH=%s %s`, installed policy: %s" % (
                rel(rc), rel(hg), module_state(python)), hgrc=rc)
        elif name == "upstream-rust":
            up = built[name]
            try:
                check = build_upstream.check_upstream_rust(version, up).replace(gen.ROOT + os.sep, "")
            except build_upstream.BuildError as e:
                ap.error("upstream-rust at %s: %s" % (up, e))
            impls[name] = Impl(name, [up] + SLOW_PATH, "rust+c", "`HGMODULEPOLICY=rust+c %s` (upstream %s "
                               "built with its Rust extensions; %s)" % (rel(up), version, check))
        elif name == "rhg":
            exe = built[name]
            impls[name] = Impl(name, [exe, "--config", "rhg.on-unsupported=abort"] + SLOW_PATH, None,
                               "`%s --config rhg.on-unsupported=abort` (upstream %s's rust/rhg, cargo --release; "
                               "exit %d = cannot serve, reported, never timed)" % (rel(exe), version,
                                                                                RHG_UNSUPPORTED))
    return impls, notes, hg


def build_floor():
    """Builds benches/floor in release mode; returns the paths of its two
    executables: `floor` and `measure` (runs a command, reports its own peak
    RSS: see benches/floor/src/bin/measure.rs).

    Binaries newer than the crate's sources are used as they are: on a shared
    machine `cargo build` may wait minutes for another build's lock."""
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(gen.ROOT, "target")
    exes = {name: os.path.join(target, "release", name) for name in ("floor", "measure")}
    floor_dir = os.path.join(gen.HERE, "floor")
    sources = [os.path.join(floor_dir, f) for f in ("Cargo.toml", "src/main.rs", "src/lib.rs", "src/bin/measure.rs")]
    newest = max(os.path.getmtime(f) for f in sources)
    if all(os.path.exists(e) and os.path.getmtime(e) > newest for e in exes.values()):
        return exes["floor"], exes["measure"]
    out = subprocess.run(
        ["cargo", "build", "--release", "-p", "floor", "--bins", "--message-format=json", "--quiet"],
        cwd=gen.ROOT,
        check=True,
        stdout=subprocess.PIPE,
    )
    found = {}
    for line in out.stdout.decode().splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] in exes:
            found[msg["target"]["name"]] = msg["executable"]
    if set(found) != set(exes):
        raise SystemExit("benches/run.py: cargo did not report the floor and measure executables")
    return found["floor"], found["measure"]


def normalize(output):
    """`hg diff` dates the working-copy side with the current time: drop dates."""
    lines = []
    for line in output.split(b"\n"):
        if line.startswith(b"--- ") or line.startswith(b"+++ "):
            line = line.split(b"\t", 1)[0]
        lines.append(line)
    return b"\n".join(lines)


def dirstate_stamp(repo):
    """Changes when a command rewrites the dirstate (v1 file, v2 docket/data)."""
    if repo is None:
        return None
    stamp = []
    for f in gen.dirstate_files(repo):
        st = os.stat(os.path.join(repo, ".hg", f))
        stamp.append((f, st.st_ino, st.st_mtime_ns, st.st_size))
    return stamp


class Variant:
    """One command to time, and everything measured about it."""

    def __init__(self, key, argv, cwd, env, repo=None, prepare=None, after=None):
        self.key = key  # (size, fmt, command, impl)
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.repo = repo
        self.prepare = prepare  # untimed, before each run
        self.after = after  # untimed, after each run: returns a digest of the state left, or None
        self.after_digests = set()
        self.times = []
        self.rss_kb = []
        self.cpu = []
        self.digests = set()
        self.failures = []
        self.unsupported = None  # rhg's message when it cannot serve the command
        self.writes = 0
        self.stdout = b""

    def run(self, record):
        """Runs the command once through `measure`, which spawns it from a
        small process so that its peak RSS is its own, not the harness's."""
        if self.prepare:
            self.prepare()
        before = dirstate_stamp(self.repo)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                tempfile.NamedTemporaryFile(prefix="bench-measure-") as usage_file:
            t0 = time.perf_counter()
            proc = subprocess.run([MEASURE, usage_file.name] + self.argv, cwd=self.cwd, env=self.env,
                                  stdout=out, stderr=err)
            wall = time.perf_counter() - t0
            out.seek(0)
            stdout = out.read()
            err.seek(0)
            stderr = err.read()
            with open(usage_file.name) as fp:
                usage = fp.read().split()
        if len(usage) == 4:
            elapsed, rss_kb = int(usage[0]) / 1e9, int(usage[1])
            cpu = (int(usage[2]) + int(usage[3])) / 1e6
        else:  # measure itself failed: its message is in stderr
            elapsed, rss_kb, cpu = wall, 0, float("nan")
        if self.key[3] == "rhg" and proc.returncode == RHG_UNSUPPORTED:
            # rhg.on-unsupported=abort: it says what it cannot do and stops.
            self.unsupported = (stderr.decode(errors="replace").strip() or "exit 252, no message")[-400:]
            return
        # `hg status` exits 0; `hg diff` too. Anything else is a failure.
        if proc.returncode != 0 or stderr.strip():
            self.failures.append("exit %d: %s" % (proc.returncode, stderr.decode(errors="replace")[-400:]))
        self.digests.add(hashlib.sha1(normalize(stdout)).hexdigest())
        self.stdout = stdout
        if record and self.repo is not None:
            changed = dirstate_stamp(self.repo) != before
        if self.after:
            digest = self.after()
            if digest is not None:
                self.after_digests.add(digest)
        if record:
            self.times.append(elapsed)
            self.rss_kb.append(rss_kb)
            self.cpu.append(cpu)
            if self.repo is not None and changed:
                self.writes += 1

    def median(self):
        return statistics.median(self.times) if self.times else float("nan")

    def rss_mb(self):
        return max(self.rss_kb) / 1024.0 if self.rss_kb else float("nan")


def oracle(args, repo, check=True):
    """The C build (the oracle) on `repo`, untimed: output bytes."""
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1", HGUSER="bench", HGMODULEPOLICY="c")
    return subprocess.run([gen.HG] + SLOW_PATH + args, cwd=repo, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=check).stdout


def debugdirstate_digest(repo):
    """What the dirstate records (states, modes, sizes, mtimes) as C prints it."""
    return hashlib.sha1(oracle(["debugdirstate", "--dates"], repo)).hexdigest()


def undo_commit(repo):
    """Rolls the benchmark's commit back (untimed), so every run commits the
    same changes onto the same parent."""
    oracle(["--config", "ui.rollback=yes", "rollback", "--force"], repo)
    gen.restore_dirstate(repo)


def make_variants(sizes, floor_exe, commands, impls):
    variants = {}

    def add(key, argv, cwd, env, repo=None, prepare=None, after=None):
        variants[key] = Variant(key, argv, cwd, env, repo, prepare, after)

    for fmt in ("v1", "v2"):
        empty = gen.ensure_empty(fmt)
        gen.restore_dirstate(empty)
        for impl in impls.values():
            add(("-", fmt, EMPTY, impl.name), impl.argv + ["status"], empty, impl.env(), empty)
    for n in sizes:
        print("preparing %s files%s" % (size_label(n), "" if os.path.exists(
            os.path.join(gen.repo_set_dir(n, 1), "complete")) else " (generating: minutes at large sizes)"), flush=True)
        repos = gen.ensure_repos(n, 1, log=lambda m: print(m, flush=True))
        for repo in repos.values():
            if gen.restore_dirstate(repo):
                print("  restored the pristine dirstate of %s" % repo)
        add((n, "-", "floor", "-"), [floor_exe, "--exclude", "build", repos["v1"]], gen.ROOT, dict(os.environ))
        touched = None
        if any(kind.startswith("touched") for _, _, kind in commands):
            touched = gen.ensure_touched(n, 1, log=lambda m: print(m, flush=True))
            for repo in touched.values():
                if gen.restore_dirstate(repo):
                    print("  restored the pristine dirstate of %s" % repo)
            store = os.path.join(touched["v1"], ".hg", "store", "data")
            add((n, "-", "floor-read", "-"), [floor_exe, "--read", "--exclude", "build", touched["v1"], store],
                gen.ROOT, dict(os.environ))
        for fmt in ("v1", "v2"):
            for label, args, kind in commands:
                if kind.startswith("touched"):
                    continue
                repo = repos[fmt if kind == "clean" else fmt + "-mod"]
                for impl in impls.values():
                    add((n, fmt, label, impl.name), impl.argv + args, repo, impl.env(), repo)
            if touched is None:
                continue
            # Implementation-major, so that a "touched2" run directly follows
            # the same implementation's "touched" run.
            repo = touched[fmt]
            for impl in impls.values():
                for label, args, kind in commands:
                    if not kind.startswith("touched"):
                        continue
                    prepare = None if kind == "touched2" else (lambda r=repo: gen.restore_dirstate(r))
                    after = None
                    if label == "touched status":
                        after = lambda r=repo: debugdirstate_digest(r)
                    elif label == "touched commit":
                        after = lambda r=repo: undo_commit(r)
                    add((n, fmt, label, impl.name), impl.argv + args, repo, impl.env(), repo, prepare, after)
    return variants


def fmt_s(t):
    if t != t:  # NaN
        return "n/a"
    return "%.3f" % t


def fmt_x(r):
    if r != r or r in (float("inf"), float("-inf")):
        return "n/a"
    return "%.2f" % r


def fmt_mb(m):
    return "n/a" if m != m else "%.0f" % m


def ratio(a, b):
    return a / b if b and b == b and a == a else float("nan")


def mismatches(variants, key3, names):
    """Implementations whose output (or the dirstate they leave, where it is
    checked) differs from C's on (size, fmt, command)."""
    c = variants[key3 + ("C",)]
    bad = []
    if len(c.digests) > 1:
        bad.append("C (between runs)")
    if len(c.after_digests) > 1:
        bad.append("C's dirstate (between runs)")
    for name in names:
        var = variants[key3 + (name,)]
        if name == "C" or var.unsupported:
            continue
        if var.digests != c.digests:
            bad.append(name)
        elif var.after_digests != c.after_digests:
            bad.append("%s's dirstate" % name)
    return bad


def display(label):
    return DISPLAY.get(label, "`hg %s`" % label)


def floor_key(n, label):
    """Touched commands compare against the floor that reads every file."""
    return (n, "-", "floor-read" if label.startswith("touched") else "floor", "-")


def same_cell(variants, key3, names):
    failed = [name for name in names if variants[key3 + (name,)].failures]
    if failed:
        return "**FAILED: %s**" % ", ".join(failed)
    bad = mismatches(variants, key3, names)
    return "**NO: %s**" % ", ".join(bad) if bad else "yes"


def cell_time(var):
    return "unsupported" if var.unsupported else fmt_s(var.median())


def render(variants, sizes, args, meta, commands, impls):
    """The markdown report: fixed costs, per-size comparison, growth."""
    v = variants
    names = list(impls)
    others = [n for n in names if n != "ours"] if "ours" in names else []
    slash = " / ".join(names)
    lines = []
    lines.append("# hg status benchmark, Mercurial %s" % meta["hg_version"])
    lines.append("")
    lines.append("- command: `%s`" % meta["command"])
    lines.append("- Mercurial %s (venv `%s`); date: %s; commit %s" % (
        meta["hg_version"], meta["venv"], meta["date"], meta["commit"]))
    lines.append("- machine: %s, %d cores; load average %s before, %s after (shared machine: other jobs were running)"
                 % (meta["machine"], meta["cores"], meta["load_before"], meta["load_after"]))
    lines.append("- medians of %d runs after %d warm-up round(s), round-robin over all variants; "
                 "RSS = peak of the command (spawned by `benches/floor`'s `measure`, not by the Python harness)"
                 % (args.runs, args.warmup))
    lines.append("- implementations (all get `--config storage.dirstate-v2.slow-path=allow`):")
    for impl in impls.values():
        lines.append("  - %s: %s" % (impl.name, impl.describe))
    for note in meta["notes"]:
        lines.append("  - %s" % note)
    lines.append("- work = time - `hg status` in an empty repository (same implementation and format); "
                 "floor = `benches/floor` (parallel readdir + lstat of the tree, without the ignored `build/`); "
                 "read floor (touched commands) = `benches/floor --read` (the same, also reading every file "
                 "and every file of `.hg/store/data`)")
    if any(label.startswith("touched") for label, _, _ in commands):
        lines.append("- after touch: `gen.ensure_touched`'s copy of the clean tree, every tracked file with a new "
                     "mtime and %d of them a new content of the same size; the pristine dirstate is restored "
                     "before each run except the second status, which follows the same implementation's first; "
                     "the dirstate the first status leaves is compared with C's (`hg debugdirstate --dates`); "
                     "every commit is rolled back (untimed)" % gen.TOUCHED_CHANGES)
    lines.append("- cells with several values list them as %s" % slash)
    lines.append("- outputs: %s" % meta["outputs"])
    lines.append("")
    lines.append("## Fixed cost and floor")
    lines.append("")
    head = (["what"] + ["%s (s)" % n for n in names] + ["ours/%s" % o for o in others]
            + ["peak RSS (MB)", "same output as C"])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|" + "---:|" * (len(head) - 3) + "---|---|")
    for fmt in ("v1", "v2"):
        row = [v[("-", fmt, EMPTY, n)] for n in names]
        ours = v[("-", fmt, EMPTY, "ours")].median() if others else None
        cells = ["status, empty repo, dirstate-%s" % fmt] + [cell_time(x) for x in row]
        cells += [fmt_x(ratio(ours, v[("-", fmt, EMPTY, o)].median())) for o in others]
        cells.append(" / ".join(fmt_mb(x.rss_mb()) for x in row))
        cells.append(same_cell(v, ("-", fmt, EMPTY), names))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| floor | time (s) | peak RSS (MB) |")
    lines.append("|---|---:|---:|")
    for n in sizes:
        for kind, what in (("floor", ""), ("floor-read", ", read floor (touched copy)")):
            f = v.get((n, "-", kind, "-"))
            if f is not None:
                lines.append("| %s files%s | %s | %s |" % (size_label(n), what, fmt_s(f.median()),
                                                           fmt_mb(f.rss_mb())))
    lines.append("")
    for n in sizes:
        lines.append("## %s files" % size_label(n))
        lines.append("")
        head = (["dirstate", "command"] + ["%s (s)" % x for x in names] + ["ours/%s" % o for o in others]
                + ["work/floor", "peak RSS (MB)", "same output as C", "dirstate writes"])
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|---|" + "---:|" * (len(names) + len(others)) + "---|---|---|---|")
        for fmt in ("v1", "v2"):
            for label, _, _ in commands:
                row = [v[(n, fmt, label, x)] for x in names]
                cells = [fmt, display(label)] + [cell_time(x) for x in row]
                if others:
                    ours = v[(n, fmt, label, "ours")].median()
                    cells += [fmt_x(ratio(ours, v[(n, fmt, label, o)].median())) for o in others]
                works = []
                floor = v[floor_key(n, label)].median()
                for x in row:
                    e = v[("-", fmt, EMPTY, x.key[3])].median()
                    works.append(fmt_x(ratio(x.median() - e, floor)))
                cells.append(" / ".join(works))
                cells.append(" / ".join(fmt_mb(x.rss_mb()) for x in row))
                cells.append(same_cell(v, (n, fmt, label), names))
                cells.append(" / ".join("-" if x.unsupported else str(x.writes) for x in row))
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        lines.append("## Growth %s / %s files (x%.2f files)" % (size_label(big), size_label(small), big / small))
        lines.append("")
        lines.append("| dirstate | command | time | work | peak RSS |")
        lines.append("|---|---|---|---|---|")
        for kind in ("floor", "floor-read"):
            fs, fb = v.get((small, "-", kind, "-")), v.get((big, "-", kind, "-"))
            if fs is not None and fb is not None:
                lines.append("| - | %s | %s | | %s |" % (kind.replace("-", " "), fmt_x(ratio(fb.median(), fs.median())),
                                                         fmt_x(ratio(fb.rss_mb(), fs.rss_mb()))))
        for fmt in ("v1", "v2"):
            for label, _, _ in commands:
                cells_t, cells_w, cells_m = [], [], []
                for name in names:
                    e = v[("-", fmt, EMPTY, name)].median()
                    s, b = v[(small, fmt, label, name)], v[(big, fmt, label, name)]
                    cells_t.append(fmt_x(ratio(b.median(), s.median())))
                    cells_w.append(fmt_x(ratio(b.median() - e, s.median() - e)))
                    cells_m.append(fmt_x(ratio(b.rss_mb(), s.rss_mb())))
                lines.append("| %s | %s | %s | %s | %s |" % (
                    fmt, display(label), " / ".join(cells_t), " / ".join(cells_w), " / ".join(cells_m)))
        lines.append("")
    unsupported = [(k, var.unsupported) for k, var in v.items() if var.unsupported]
    if unsupported:
        lines.append("## What rhg could not serve")
        lines.append("")
        lines.append("With `rhg.on-unsupported=abort` it exits %d; these variants were not timed." % RHG_UNSUPPORTED)
        lines.append("")
        by_message = {}
        for k, msg in unsupported:
            by_message.setdefault(msg.replace("\n", " "), []).append(k)
        for msg, keys in sorted(by_message.items()):
            where = ", ".join("%s %s %s" % (size_label(k[0]) if k[0] != "-" else "empty repo", k[1], display(k[2]))
                              for k in keys)
            lines.append("- `%s`: %s" % (msg[:300], where))
        lines.append("")
    problems = [(k, f) for k, var in sorted(v.items(), key=lambda kv: str(kv[0])) for f in var.failures[:1]]
    if problems:
        lines.append("## Failures")
        lines.append("")
        for k, f in problems:
            lines.append("- %s: `%s`" % (" ".join(str(p) for p in k), f.strip().replace("\n", " ")[:300]))
        lines.append("")
    return "\n".join(lines)


def check_outputs(variants, names):
    """Every mismatch with C's output and every failure, as messages."""
    bad = []
    for key, var in variants.items():
        if var.failures:
            bad.append("FAILED: %s: %s" % (" ".join(map(str, key)), var.failures[0][-200:]))
        if key[3] == "C":
            for other in mismatches(variants, key[:3], names):
                var_o = variants[key[:3] + (other,)] if other in names else None
                sample = ""
                if var_o is not None:
                    sample = "; C printed %d bytes, %s %d bytes" % (len(var.stdout), other, len(var_o.stdout))
                bad.append("OUTPUT DIFFERS: %s: %s vs C%s" % (" ".join(map(str, key[:3])), other, sample))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hg-version", default=DEFAULT_VERSION,
                    help="Mercurial version (default %s; supported: %s)" % (DEFAULT_VERSION,
                                                                        ", ".join(SUPPORTED_VERSIONS)))
    ap.add_argument("--venv", help="venv with that Mercurial and our module (default: .venv for %s, "
                    ".venv-hg<version> otherwise, as ./setup.sh makes them)" % DEFAULT_VERSION)
    ap.add_argument("--impls", help="comma-separated subset of %s, C included (default: every one available)"
                    % ",".join(IMPLS))
    ap.add_argument("--upstream-hg", help="upstream-rust's hg (default bench-data/upstream/<version>/venv/bin/hg)")
    ap.add_argument("--rhg", help="the rhg executable (default bench-data/upstream/<version>/bin/rhg)")
    ap.add_argument("--sizes", default="100k,260k", help="comma-separated file counts (e.g. 100k,260k)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per variant (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    ap.add_argument("--quick", action="store_true", help="smoke test: 20k files, 3 runs")
    ap.add_argument("--commands", default=",".join(DEFAULT_COMMANDS),
                    help="comma-separated subset of: %s; `touched` stands for all of %s (default: %s)"
                    % (", ".join(c[0].replace(" ", "") for c in COMMANDS), ", ".join(TOUCHED_COMMANDS),
                       ",".join(DEFAULT_COMMANDS)))
    ap.add_argument("--output", help="markdown report path (default benches/results/latest-<version>.md)")
    args = ap.parse_args()
    if args.hg_version not in SUPPORTED_VERSIONS:
        print("warning: Mercurial %s is not one of the supported versions (%s)"
              % (args.hg_version, ", ".join(SUPPORTED_VERSIONS)), file=sys.stderr)
    if args.quick:
        args.sizes, args.runs = "20k", min(args.runs, 3)
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or args.runs < 1:
        ap.error("need at least one size and one run")
    wanted = set()
    for c in args.commands.split(","):
        c = c.strip().replace(" ", "")
        if c == "touched":
            wanted.update(TOUCHED_COMMANDS)
        elif c == "touchedstatus":  # the first status comes with its second
            wanted.update(("touchedstatus", "touchedstatus,2nd"))
        elif c:
            wanted.add(c)
    if "touchedstatus,2nd" in wanted:
        wanted.add("touchedstatus")
    commands = [c for c in COMMANDS if c[0].replace(" ", "") in wanted]
    unknown = wanted - {c[0].replace(" ", "") for c in COMMANDS}
    if unknown or not commands:
        ap.error("unknown or no commands: %s" % ", ".join(sorted(unknown)))
    only_touched = all(label.startswith("touched") for label, _, _ in commands)
    output = args.output or os.path.join(RESULTS, "latest-%s%s.md" % (args.hg_version,
                                                                      "-touched" if only_touched else ""))

    impls, notes, hg = setup_impls(args, ap)
    gen.HG = hg  # the C oracle that generates missing repositories: this version's
    command = " ".join(shlex.quote(a) for a in [rel(sys.executable), "benches/run.py"] + sys.argv[1:])
    global MEASURE
    floor_exe, MEASURE = build_floor()
    variants = make_variants(sizes, floor_exe, commands, impls)
    meta = {
        "command": command,
        "hg_version": args.hg_version,
        "venv": rel(os.path.dirname(os.path.dirname(hg))),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=gen.ROOT,
                                 stdout=subprocess.PIPE).stdout.decode().strip() or "unknown",
        "machine": platform.platform(),
        "cores": os.cpu_count() or 0,
        "impls": {name: {"argv": impl.argv, "HGMODULEPOLICY": impl.policy, "describe": impl.describe}
                  for name, impl in impls.items()},
        "notes": notes,
        "load_before": "%.2f" % os.getloadavg()[0],
    }
    print("Mercurial %s; implementations:" % args.hg_version, flush=True)
    for impl in impls.values():
        print("  %s: %s" % (impl.name, impl.describe), flush=True)
    for note in notes:
        print("  %s" % note, flush=True)
    order = list(variants.values())
    rounds = args.warmup + args.runs
    for r in range(rounds):
        t0 = time.time()
        for var in order:
            if var.unsupported is None:
                var.run(record=r >= args.warmup)
        print("round %d/%d%s done in %.1fs (load %.2f)" % (
            r + 1, rounds, " (warm-up)" if r < args.warmup else "", time.time() - t0, os.getloadavg()[0]), flush=True)
    meta["load_after"] = "%.2f" % os.getloadavg()[0]
    problems = check_outputs(variants, list(impls))
    n_unsupported = sum(1 for var in order if var.unsupported)
    meta["outputs"] = ("**%d MISMATCH(ES) OR FAILURE(S)**, see the tables and stderr" % len(problems) if problems
                       else "every implementation printed the same output as C on every command it served")
    if n_unsupported:
        meta["outputs"] += " (%d variant(s) rhg could not serve: see the end)" % n_unsupported

    report = render(variants, sizes, args, meta, commands, impls)
    print()
    print(report)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as fp:
        fp.write(report + "\n")
    raw = {
        "meta": meta,
        "variants": [
            {"key": [str(p) for p in var.key], "argv": var.argv, "times": var.times, "rss_kb": var.rss_kb,
             "cpu": var.cpu, "writes": var.writes, "failures": var.failures, "unsupported": var.unsupported,
             "digests": sorted(var.digests)}
            for var in order
        ],
    }
    with open(os.path.splitext(output)[0] + ".json", "w") as fp:
        json.dump(raw, fp, indent=1)

    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
