"""The benchmark harness: `hg status` and friends, side by side in one run:
Python+C, our module, upstream Mercurial built with its own Rust, rhg, and
both Python builds under chg.

    .venv/bin/python benches/build_upstream.py --hg-version 7.2.4   # once: upstream-rust and rhg
    .venv/bin/python benches/run.py                  # Mercurial 7.2.4, 100k and 260k files, 5 runs
    .venv/bin/python benches/run.py --quick          # 20k files, 3 runs (smoke test)
    .venv/bin/python benches/run.py --hg-version 6.9.5 --sizes 100k
    .venv/bin/python benches/run.py --sizes 100k --runs 7 --impls C,ours,rhg --commands status,status-u
    .venv/bin/python benches/run.py --commands watchman --sizes 100k,260k    # fsmonitor + watchman (issue #13)
    .venv/bin/python benches/run.py --quick --commands watchman --impls C,ours,rhg,chg-C,chg-ours
    .venv/bin/python benches/run.py --commands status,touched --impls C,ours,chg-C,chg-ours

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
  the report says so instead of timing anything;
- chg-C, chg-ours: upstream's `chg` (the C client of Mercurial's command
  server, `contrib/chg` of the same sdist, built on demand into
  `bench-data/chg/<version>/chg` by `build_upstream.build_chg`; `--chg`
  overrides) with `CHGHG` naming the venv's `hg`, and C's or ours'
  environment (`HGMODULEPOLICY=c`, or the installed policy with our defaults
  file). chg starts one server per environment and config hash; each chg
  implementation gets its own `CHGSOCKNAME` in a private temporary
  directory, and by default (`--chg-servers per-copy`) each working copy
  its own server in a subdirectory of it, as a user working in one
  repository has one that served it before (`--chg-servers shared`: one
  server per implementation for every copy in turn). Each server is started
  by an untimed run before the rounds, its environment is the same on
  every run, and a timed run during which a new server socket appears in
  its directory is a failure (`CHG SERVER STARTED DURING ...`; the report
  counts the starts).
  The servers are stopped at the end (their sockets removed, then SIGTERM by
  pid), even on error or SIGTERM. Their peak RSS is n/a in the tables (the
  command runs in a worker forked by the server, which `measure` cannot
  see); the report lists each server's own VmHWM. chg is run only when
  named in `--impls`, except with the watchman group, where chg-C and
  chg-ours are in the default set (so the default run is unchanged).

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

`--commands touched`: the touched working copies (see `COMMANDS` and
`gen.ensure_touched`). `--formats v1`/`v2` restricts every group to one
dirstate format (default both).

`--commands watchman` (or `watchman0`, `watchman50`, `watchman5000`): `hg
status` with Mercurial's fsmonitor extension and watchman (issue #13), at
each size, on copies of the clean tree (`gen.ensure_watchman`: hard links to
the clean tree's working files and store, `.hg` metadata copied) where 0,
50 or 5,000 tracked files got a new content (a line appended; the 50 are
among the 5,000). The harness starts ONE private watchman for the run (its
own `--sockname`, `--statefile`, `--logfile`, `--pidfile` in a temporary
directory, `--no-save-state`, `WATCHMAN_SOCK` exported to the hg runs),
watches every copy and waits for its crawl (untimed), and shuts it down at
the end, even on error. Implementations of the group:

- C: no fsmonitor, the reference for outputs (its work column is what a
  plain walk costs C);
- C+fsmonitor: C with `--config extensions.fsmonitor=`;
- ours+fsmonitor: ours with `--config extensions.fsmonitor=` (our extension
  then answers from watchman's changed paths; one untimed traced run per
  copy, `RUSTEXT_STATUS_TRACE=1`, reports the route it took);
- ours, rhg: without fsmonitor (rhg has none);
- chg-C+fsmonitor, chg-ours+fsmonitor: chg-C and chg-ours with fsmonitor,
  each with a server of its own;
- upstream-rust is not run with fsmonitor (its Rust status never calls
  fsmonitor's walk: fsmonitor would be bypassed silently).

fsmonitor's state: each fsmonitor implementation keeps its own
`.hg/fsmonitor.state` per copy, put in place before its run and saved after
it (untimed), so C's and ours' never read each other's state (they write the
same format; a bug in one must not shift the other's numbers). Before the
rounds, each fsmonitor implementation runs `hg status` on each copy until
its state holds a clock (the first query, from no clock, returns every file;
`--config fsmonitor.timeout=600` for these untimed runs only), then every
variant of the group runs once untimed, so every copy's dirstate is in its
steady state. Status writes no file, so each timed run sees the same changes
(fsmonitor carries them as notable files); the "dirstate writes" column
shows that no timed run wrote the dirstate. Outputs are compared with C's
(without fsmonitor), and the notable files each fsmonitor run recorded with
the paths C listed. The fsmonitor variants' fixed cost is measured on a
private, watched empty repository; "work" = time - that fixed cost. The
report gives per size, format and change count: times, ours+fsmonitor /
C+fsmonitor, ours+fsmonitor / ours, chg-ours+fsmonitor / chg-C+fsmonitor,
work, work ours+fsmonitor / C+fsmonitor, peak RSS; then issue #13's targets,
checked at 50 changed files (work ours+fsmonitor <= 0.3 x C+fsmonitor's and
time <= 0.7 x at 260k; time <= 0.85 x at 100k; ours+fsmonitor at 260k <=
1.2 x its time at 100k; chg-ours+fsmonitor <= 0.1 s at 260k), "not
measured" when a size is missing. It goes to
`benches/results/latest-<version>-watchman.md` when only this group runs.
Watchman holds one inotify watch per directory of every copy (about 14,000
per 260k copy; `/proc/sys/fs/inotify/max_user_watches` is shared by every
watchman of the user): `--formats v2` halves that.

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
import re
import shlex
import shutil
import signal
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
) + tuple(("watchman %d" % c, ["status"], "watchman") for c in gen.WATCHMAN_CHANGES)
# How the report names each command.
DISPLAY = {
    "touched status": "`hg status` after touch",
    "touched status, 2nd": "second `hg status` after touch",
    "touched diff": "`hg diff` after touch",
    "touched commit": "`hg commit` after touch",
}
DISPLAY.update(("watchman %d" % c, "`hg status`, %s changed" % format(c, ",")) for c in gen.WATCHMAN_CHANGES)
DEFAULT_COMMANDS = ("status", "status-mard", "status-u", "diff")
TOUCHED_COMMANDS = ("touchedstatus", "touchedstatus,2nd", "toucheddiff", "touchedcommit")
WATCHMAN_COMMANDS = tuple("watchman%d" % c for c in gen.WATCHMAN_CHANGES)
CHG_IMPLS = ("chg-C", "chg-ours")
IMPLS = ("C", "ours", "upstream-rust", "rhg") + CHG_IMPLS
FSMONITOR = ["--config", "extensions.fsmonitor="]
# Added to the untimed first status of each fsmonitor variant only: the
# first query after a watch returns every file (fsmonitor's default is 2 s).
FSMONITOR_WARM = ["--config", "fsmonitor.timeout=600"]
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

    def __init__(self, name, argv, policy, describe, hgrc="", extra_env=None, chg_dir=None, fsmonitor=False):
        self.name = name
        self.argv = argv
        self.policy = policy  # HGMODULEPOLICY, or None for the installed one
        self.describe = describe
        self.hgrc = hgrc  # HGRCPATH: "" (no configuration) or our defaults file
        self.extra_env = dict(extra_env or {})
        self.chg_dir = chg_dir  # chg: the directory of CHGSOCKNAME, this implementation's alone
        self.fsmonitor = fsmonitor

    def env(self):
        env = dict(os.environ, HGRCPATH=self.hgrc, HGPLAIN="1", HGUSER="bench")
        for var in ("HGMODULEPOLICY", "CHGDEBUG", "RUSTEXT_STATUS_TRACE"):
            env.pop(var, None)
        if self.policy:
            env["HGMODULEPOLICY"] = self.policy
        env.update(self.extra_env)
        return env

    def with_fsmonitor(self, tmp, watchman_sock):
        """The same implementation with Mercurial's fsmonitor extension (and
        a chg server of its own: the extension changes chg's config hash)."""
        name = self.name + "+fsmonitor"
        env = dict(self.extra_env, WATCHMAN_SOCK=watchman_sock)
        chg_dir = None
        if self.chg_dir:
            chg_dir = chg_sockdir(tmp, name)
            env["CHGSOCKNAME"] = os.path.join(chg_dir, "server")
        return Impl(name, self.argv + FSMONITOR, self.policy, "%s, with `--config extensions.fsmonitor=`" % (
            self.describe), self.hgrc, env, chg_dir, fsmonitor=True)


def chg_sockdir(tmp, name):
    """A private directory for one chg implementation's server socket, so that
    each implementation (environment and config hash) has its own server and
    chg never connects first to another one's and gets redirected."""
    path = os.path.join(tmp, "chg", name)
    os.makedirs(path, mode=0o700)
    return path


# How chg implementations share servers (`--chg-servers`): "per-copy" gives
# every working copy its own server, as a user working in one repository
# has (consecutive commands there go through a server that has served it);
# "shared" sends every copy through one server per implementation, which
# then serves a dozen repositories in turn.
CHG_SERVERS = {"mode": "per-copy"}


def chg_server_of(impl, key, env):
    """(environment, socket directory) of the chg server that variant `key`
    of `impl` runs through; (env, None) for an implementation without chg."""
    if impl is None or not impl.chg_dir:
        return env, None
    if CHG_SERVERS["mode"] != "per-copy":
        return env, impl.chg_dir
    name = "-".join(re.sub(r"[^A-Za-z0-9]+", "_", str(k)) for k in key[:3])
    sub = os.path.join(impl.chg_dir, name)
    os.makedirs(sub, mode=0o700, exist_ok=True)
    return dict(env, CHGSOCKNAME=os.path.join(sub, "server")), sub


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


def setup_impls(args, ap, tmp, chg_by_default=False):
    """Checks what is wanted and available; returns ({name: Impl}, notes, hg).
    The chg implementations are run only when asked for by `--impls`, or by
    default with the watchman group (`chg_by_default`)."""
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
    chg = None
    chg_error = None
    wanted_chg = (set(CHG_IMPLS) & {i.strip() for i in args.impls.split(",")}) if args.impls else chg_by_default
    if wanted_chg:
        try:
            chg = os.path.abspath(args.chg) if args.chg else build_upstream.build_chg(
                version, log=lambda m: print(m, flush=True))
        except build_upstream.BuildError as e:
            chg_error = str(e)
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
        if chg_error:
            ap.error("chg for Mercurial %s: %s" % (version, chg_error))
    else:
        wanted = [i for i in IMPLS if i in ("C", "ours") or i in built or (i in CHG_IMPLS and chg)]
        for i in IMPLS:
            if i in CHG_IMPLS:
                if chg_error:
                    notes.append("%s skipped: %s" % (i, chg_error))
            elif i not in wanted:
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
        elif name in CHG_IMPLS:
            # chg's server is the venv's hg, started by the first client with
            # that client's environment and --config options; it forks one
            # worker per command. CHGHG names the server's hg.
            if name == "chg-C":
                policy, hgrc, what = "c", "", "`HGMODULEPOLICY=c`, as C"
            else:
                policy, hgrc, what = None, defaults_file(python), "the installed policy and our defaults file, as ours"
            sock = chg_sockdir(tmp, name)
            impls[name] = Impl(name, [chg] + SLOW_PATH, policy, "`%s` (upstream %s's contrib/chg) with `CHGHG=%s`, "
                               "%s; its own server (CHGSOCKNAME in a private directory), started by an untimed run; "
                               "peak RSS n/a: the command runs in a worker forked by the server" % (
                                   rel(chg), version, rel(hg), what), hgrc,
                               {"CHGHG": hg, "CHGSOCKNAME": os.path.join(sock, "server")}, chg_dir=sock)
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


def chg_stamp(sockdir):
    """The sockets and links in a chg implementation's socket directory:
    changes when a server starts (it binds a new socket and renames it over
    the old one)."""
    stamp = []
    for name in sorted(os.listdir(sockdir)):
        st = os.lstat(os.path.join(sockdir, name))
        stamp.append((name, st.st_ino, st.st_mtime_ns))
    return stamp


class Variant:
    """One command to time, and everything measured about it."""

    def __init__(self, key, argv, cwd, env, repo=None, prepare=None, after=None, chg_dir=None):
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
        self.stderr = b""
        self.chg_dir = chg_dir  # chg: its server's socket directory, watched for restarts
        self.restarts = 0  # timed runs during which a chg server (re)started
        self.untimed_starts = 0  # the same, untimed runs (the first one starts the server)

    def run(self, record):
        """Runs the command once through `measure`, which spawns it from a
        small process so that its peak RSS is its own, not the harness's."""
        if self.prepare:
            self.prepare()
        before = dirstate_stamp(self.repo)
        chg_before = chg_stamp(self.chg_dir) if self.chg_dir else None
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
        self.stderr = stderr
        if self.chg_dir and chg_stamp(self.chg_dir) != chg_before:
            if record:
                self.restarts += 1
            else:
                self.untimed_starts += 1
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
        """Peak RSS of the command; n/a under chg, where `measure` sees only the
        client (the command runs in a worker forked by the chg server)."""
        if self.chg_dir:
            return float("nan")
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


def make_variants(sizes, floor_exe, commands, impls, fmts=("v1", "v2")):
    variants = {}

    def add(key, argv, cwd, env, repo=None, prepare=None, after=None):
        env, chg_dir = chg_server_of(impls.get(key[3]), key, env)
        variants[key] = Variant(key, argv, cwd, env, repo, prepare, after, chg_dir)

    for fmt in fmts:
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
        for fmt in fmts:
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


def alternated(order):
    """`order` with the implementations of each group of variants (one size,
    format and command; the touched commands of one copy count as one
    command) taken in reverse order, each implementation's own runs kept in
    order (a "touched2" run right after its "touched" run). Odd rounds use
    it, so that no implementation always runs first on a copy and pays for
    the page cache that the others then find warm. The watchman group keeps
    its order (its fsmonitor state files are swapped per implementation)."""
    def block(var):
        k = var.key
        return (k[0], k[1], "touched" if str(k[2]).startswith("touched") else k[2])

    out, i = [], 0
    while i < len(order):
        j = i
        while j < len(order) and block(order[j]) == block(order[i]):
            j += 1
        group = order[i:j]
        if str(group[0].key[2]).startswith("watchman"):
            out.extend(group)
        else:
            chunks = []
            for var in group:
                if chunks and chunks[-1][0].key[3] == var.key[3]:
                    chunks[-1].append(var)
                else:
                    chunks.append([var])
            for chunk in reversed(chunks):
                out.extend(chunk)
        i = j
    return out


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
    # What `after` digests: the dirstate a command leaves (touched status), or
    # the notable files fsmonitor recorded (watchman group; C's own output).
    left = "notable files" if key3[2].startswith("watchman") else "dirstate"
    bad = []
    if len(c.digests) > 1:
        bad.append("C (between runs)")
    if len(c.after_digests) > 1:
        bad.append("C's %s (between runs)" % left)
    for name in names:
        var = variants.get(key3 + (name,))
        if name == "C" or var is None or var.unsupported:
            continue
        if var.digests != c.digests:
            bad.append(name)
        elif var.after_digests != c.after_digests:
            bad.append("%s's %s" % (name, left))
    return bad


def display(label):
    return DISPLAY.get(label, "`hg %s`" % label)


def floor_key(n, label):
    """Touched commands compare against the floor that reads every file."""
    return (n, "-", "floor-read" if label.startswith("touched") else "floor", "-")


def same_cell(variants, key3, names):
    failed = [name for name in names if key3 + (name,) in variants and variants[key3 + (name,)].failures]
    if failed:
        return "**FAILED: %s**" % ", ".join(failed)
    bad = mismatches(variants, key3, names)
    return "**NO: %s**" % ", ".join(bad) if bad else "yes"


def ratio_pairs(names):
    """The ratios the tables show: ours against every other implementation
    run the same way (chg's against chg's)."""
    pairs = [("ours", o) for o in names if o not in ("ours",) + CHG_IMPLS] if "ours" in names else []
    if "chg-ours" in names and "chg-C" in names:
        pairs.append(("chg-ours", "chg-C"))
    return pairs


def cell_time(var):
    return "unsupported" if var.unsupported else fmt_s(var.median())


def render(variants, sizes, args, meta, commands, impls, extra=()):
    """The markdown report: fixed costs, per-size comparison, growth."""
    v = variants
    names = list(impls)
    pairs = ratio_pairs(names)
    slash = " / ".join(names)
    lines = []
    lines.append("# hg status benchmark, Mercurial %s" % meta["hg_version"])
    lines.append("")
    lines.append("- command: `%s`" % meta["command"])
    lines.append("- Mercurial %s (venv `%s`); date: %s; commit %s" % (
        meta["hg_version"], meta["venv"], meta["date"], meta["commit"]))
    lines.append("- machine: %s, %d cores; load average %s before, %s after (shared machine: other jobs were running)"
                 % (meta["machine"], meta["cores"], meta["load_before"], meta["load_after"]))
    lines.append("- medians of %d runs after %d warm-up round(s), round-robin over all variants (implementations in reverse order on odd rounds, except in the watchman group); "
                 "RSS = peak of the command (spawned by `benches/floor`'s `measure`, not by the Python harness)"
                 % (args.runs, args.warmup))
    if getattr(args, "oracle_only", None):
        lines.append("- run in the warm-up round(s) only, as output oracles; their time is one run (the last warm-up "
                     "round's), not a median: %s" % args.oracle_only)
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
    head = (["what"] + ["%s (s)" % n for n in names] + ["%s/%s" % p for p in pairs]
            + ["peak RSS (MB)", "same output as C"])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|" + "---:|" * (len(head) - 3) + "---|---|")
    for fmt in args.fmts:
        row = [v[("-", fmt, EMPTY, n)] for n in names]
        cells = ["status, empty repo, dirstate-%s" % fmt] + [cell_time(x) for x in row]
        cells += [fmt_x(ratio(v[("-", fmt, EMPTY, a)].median(), v[("-", fmt, EMPTY, b)].median()))
                  for a, b in pairs]
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
    for n in sizes if commands else ():
        lines.append("## %s files" % size_label(n))
        lines.append("")
        head = (["dirstate", "command"] + ["%s (s)" % x for x in names] + ["%s/%s" % p for p in pairs]
                + ["work/floor", "peak RSS (MB)", "same output as C", "dirstate writes"])
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|---|" + "---:|" * (len(names) + len(pairs)) + "---|---|---|---|")
        for fmt in args.fmts:
            for label, _, _ in commands:
                row = [v[(n, fmt, label, x)] for x in names]
                cells = [fmt, display(label)] + [cell_time(x) for x in row]
                cells += [fmt_x(ratio(v[(n, fmt, label, a)].median(), v[(n, fmt, label, b)].median()))
                          for a, b in pairs]
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
    if len(sizes) >= 2 and commands:
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
        for fmt in args.fmts:
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
    lines.extend(extra)
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

# --- The watchman group (issue #13) -----------------------------------------


class Watchman:
    """One private watchman for the whole run: its own socket, state, log and
    pid files in the session's temporary directory, `--no-save-state`; its
    socket reaches the hg runs through WATCHMAN_SOCK. `stop` (called from
    main's `finally`) shuts it down."""

    def __init__(self, tmp):
        self.exe = shutil.which("watchman")
        self.dir = os.path.join(tmp, "watchman")
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "sock")
        self.pidfile = os.path.join(self.dir, "pid")
        self.cmd = [self.exe or "watchman", "--sockname=" + self.sock, "--logfile=" + os.path.join(self.dir, "log"),
                    "--pidfile=" + self.pidfile, "--statefile=" + os.path.join(self.dir, "state"),
                    "--no-save-state"]
        self.started = False
        self.version = None
        self.watched = []  # (root, seconds to watch and crawl)

    def call(self, args, command=None, timeout=900):
        """One watchman command (`command`: a JSON command sent with -j);
        returns its decoded answer."""
        proc = subprocess.run(self.cmd + args + (["-j"] if command is not None else []),
                              input=json.dumps(command).encode() if command is not None else None,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        try:
            answer = json.loads(proc.stdout.decode())
        except ValueError:
            answer = {"error": (proc.stdout + proc.stderr).decode(errors="replace")[-500:]}
        if proc.returncode != 0 or "error" in answer:
            raise RuntimeError("watchman %s: %s" % (" ".join(args) or json.dumps(command), answer.get("error")))
        return answer

    def start(self):
        if self.exe is None:
            raise SystemExit("benches/run.py: the watchman group needs watchman (Debian: apt-get install watchman)")
        # The first command spawns the daemon, which must not hold our pipes.
        self.started = True
        subprocess.run(self.cmd + ["get-sockname"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, timeout=120)
        self.version = self.call(["version"])["version"]

    def watch(self, root):
        """Watches `root` and waits for watchman's crawl (a query waits until
        the root is ready); untimed preparation."""
        t0 = time.time()
        self.call(["watch", root])
        self.call([], ["clock", root, {"sync_timeout": 600000}])
        self.watched.append((root, time.time() - t0))

    def stop(self):
        """Shuts the daemon down and waits for it to exit (SIGTERM to its
        pid if it does not within 10 seconds)."""
        if not self.started:
            return
        self.started = False
        try:
            with open(self.pidfile) as fp:
                pid = int(fp.read().strip())
        except (OSError, ValueError):
            pid = None  # never spawned, or spawned without a pid file: shutdown-server still applies
        try:
            self.call(["shutdown-server"], timeout=60)
        except Exception as e:  # noqa: BLE001 (any failure: fall back to its pid)
            print("watchman shutdown-server failed (%s)" % e, file=sys.stderr)
        if pid is None:
            return
        deadline = time.time() + 10
        while os.path.exists("/proc/%d" % pid) and time.time() < deadline:
            time.sleep(0.1)
        if os.path.exists("/proc/%d" % pid):
            print("the private watchman (pid %d) did not exit: SIGTERM" % pid, file=sys.stderr)
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass


def watchman_impls(impls, tmp, sock):
    """The implementations of the watchman group, in report order: C (without
    fsmonitor: the reference for outputs), C+fsmonitor, ours+fsmonitor, ours,
    rhg, chg-C+fsmonitor, chg-ours+fsmonitor (as far as `impls` has them)."""
    w = {"C": impls["C"], "C+fsmonitor": impls["C"].with_fsmonitor(tmp, sock)}
    if "ours" in impls:
        w["ours+fsmonitor"] = impls["ours"].with_fsmonitor(tmp, sock)
        w["ours"] = impls["ours"]
    if "rhg" in impls:
        w["rhg"] = impls["rhg"]
    for name in CHG_IMPLS:
        if name in impls:
            w[name + "+fsmonitor"] = impls[name].with_fsmonitor(tmp, sock)
    return w


def watchman_count(label):
    return int(label.split()[-1])


def paths_digest(paths):
    return hashlib.sha1(b"\n".join(sorted(set(paths)))).hexdigest()


def status_paths(stdout):
    """The paths `hg status` lists (`M path`, `? path`, ...)."""
    return [line[2:] for line in stdout.split(b"\n") if line]


def parse_fsmonitor_state(data):
    """(clock, notable files) from `.hg/fsmonitor.state` (format 4: version,
    then host name, clock, ignore hash and the files, NUL-separated), or
    (None, why)."""
    if data is None:
        return None, "no .hg/fsmonitor.state"
    if data[:4] != b"\0\0\0\x04":
        return None, "fsmonitor.state format %r" % data[:4]
    fields = data[4:].split(b"\0")
    if len(fields) < 3 or not fields[1].startswith(b"c:"):
        return None, "fsmonitor.state without a clock"
    return fields[1], [f for f in fields[3:] if f]


class FsmonitorStates:
    """Each fsmonitor implementation keeps its own `.hg/fsmonitor.state` in
    each copy: put in place before its run and saved after it (untimed), so
    that every run continues from the state its own implementation left and
    C's and ours' never read each other's (both write the same format, but a
    bug in one must not show up in the other's timings or outputs)."""

    def __init__(self):
        self.saved = {}

    @staticmethod
    def path(repo):
        return os.path.join(repo, ".hg", "fsmonitor.state")

    def prepare(self, repo, name):
        path = self.path(repo)
        data = self.saved.get((repo, name))
        if data is None:
            if os.path.lexists(path):
                os.unlink(path)
            return
        with open(path + ".bench-tmp", "wb") as fp:
            fp.write(data)
        os.replace(path + ".bench-tmp", path)

    def after(self, repo, name, check=True):
        """Saves the state the run left; returns the digest of its notable
        files (compared with the paths C's `hg status` printed) or, when the
        state is unusable, why."""
        try:
            with open(self.path(repo), "rb") as fp:
                data = fp.read()
        except FileNotFoundError:
            data = None
        self.saved[(repo, name)] = data
        clock, files = parse_fsmonitor_state(data)
        if not check:
            return None
        return paths_digest(files) if clock else files


def make_watchman_variants(sizes, fmts, wcommands, wimpls, states):
    """The watchman group's variants: `hg status` on `gen.ensure_watchman`'s
    copies (and on a private empty repository for the fsmonitor variants'
    fixed cost). Returns (variants, repositories to watch)."""
    variants = {}
    roots = []

    def add(key, impl, repo, check=True):
        if impl.fsmonitor:
            prepare = lambda r=repo, n=impl.name: states.prepare(r, n)  # noqa: E731
            after = lambda r=repo, n=impl.name, c=check: states.after(r, n, c)  # noqa: E731
        else:
            prepare = after = None
        env, chg_dir = chg_server_of(impl, key, impl.env())
        var = Variant(key, impl.argv + ["status"], repo, env, repo, prepare, after, chg_dir)
        if not impl.fsmonitor and check:
            var.after = lambda v=var: paths_digest(status_paths(v.stdout))
        variants[key] = var

    for fmt in fmts:
        empty = gen.ensure_watchman_empty(fmt)
        gen.restore_dirstate(empty)
        roots.append(empty)
        for impl in wimpls.values():
            if impl.fsmonitor:
                add(("-", fmt, EMPTY, impl.name), impl, empty, check=False)
    counts = sorted({watchman_count(label) for label, _, _ in wcommands})
    for n in sizes:
        print("preparing the watchman copies of %s files" % size_label(n), flush=True)
        copies = gen.ensure_watchman(n, 1, fmts, counts, log=lambda m: print(m, flush=True))
        for fmt in fmts:
            for label, _, _ in wcommands:
                repo = copies[(fmt, watchman_count(label))]
                if gen.restore_dirstate(repo):
                    print("  restored the pristine dirstate of %s" % repo)
                roots.append(repo)
                for impl in wimpls.values():
                    add((n, fmt, label, impl.name), impl, repo)
    return variants, roots


def warm_watchman(variants, wimpls, states):
    """Untimed, before the rounds. First, each fsmonitor implementation's
    first `hg status` on each watched copy (from no clock, the query returns
    every file), repeated until `.hg/fsmonitor.state` holds a clock (at most
    3 runs: a status that writes the dirstate, as ours does once on a v2
    dirstate whose directory mtimes are not cached yet, makes fsmonitor drop
    its state when the dirstate is refreshed); this also starts the chg
    servers. The empty repository gets no fsmonitor state (each run there
    queries watchman from no clock, over no file). Then one traced run of
    ours+fsmonitor per copy (RUSTEXT_STATUS_TRACE=1) says which route our
    extension took, and every variant of the group runs once, so that each
    copy's dirstate is in its steady state before timing.
    Returns ({key: trace lines}, notes)."""
    traces = {}
    notes = []

    def first_status(var, impl, env):
        states.prepare(var.repo, impl.name)
        chg_before = chg_stamp(impl.chg_dir) if impl.chg_dir else None
        proc = subprocess.run(impl.argv + FSMONITOR_WARM + ["status"], cwd=var.repo, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if impl.chg_dir and chg_stamp(impl.chg_dir) != chg_before:
            var.untimed_starts += 1
        states.after(var.repo, impl.name, check=False)
        clock, _ = parse_fsmonitor_state(states.saved[(var.repo, impl.name)])
        err = proc.stderr.decode(errors="replace").splitlines()
        other = [line for line in err if not line.startswith("rustext-status")]
        if proc.returncode != 0 or other:
            var.failures.append("untimed first status: exit %d, %s" % (proc.returncode, " ".join(other)[-300:]))
        return clock, [line for line in err if line.startswith("rustext-status")]

    for key, var in variants.items():
        impl = wimpls[key[3]]
        if not impl.fsmonitor:
            continue
        t0 = time.time()
        tries = 0
        while True:
            tries += 1
            clock, _ = first_status(var, impl, dict(var.env))
            if clock or key[0] == "-" or var.failures or tries == 3:
                break
        if clock is None and key[0] != "-":
            var.failures.append("no clock in .hg/fsmonitor.state after %d untimed runs" % tries)
        elif tries > 1:
            notes.append("%s on %s needed %d untimed first runs to record a clock" % (impl.name, rel(var.repo), tries))
        print("  first status: %s %s (%d run(s), %.1fs)" % (rel(var.repo), impl.name, tries, time.time() - t0),
              flush=True)
        if impl.name == "ours+fsmonitor" and key[0] != "-":
            _, traces[key] = first_status(var, impl, dict(var.env, RUSTEXT_STATUS_TRACE="1"))
    for var in variants.values():
        var.run(record=False)
    return traces, notes


def chg_servers(sockdir):
    """The pids of the chg servers started for one implementation: their
    command line holds its private socket directory (`--address
    <dir>/server.<pid>`)."""
    needle = (sockdir + os.sep).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as fp:
                cmd = fp.read()
        except OSError:
            continue
        if needle in cmd and b"chgunix" in cmd:
            pids.append(int(entry))
    # A worker forked for a command keeps the server's command line (unless
    # it could rename itself) for as long as it takes to exit: not a server.
    return [pid for pid in pids if ppid(pid) not in pids]


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as fp:
            return int(fp.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def proc_status(pid, field):
    try:
        with open("/proc/%d/status" % pid) as fp:
            for line in fp:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def chg_server_memory(chg_impls):
    """{implementation: [(pid, VmHWM MB)]}: the servers' own peak (the
    modules they preloaded; a worker forked from them adds what its command
    allocates, which no one measures here)."""
    out = {}
    for impl in chg_impls:
        out[impl.name] = []
        for pid in chg_servers(impl.chg_dir):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as fp:
                    argv = fp.read().split(b"\0")
                address = os.path.basename(argv[argv.index(b"--address") + 1].decode())
            except (OSError, ValueError, IndexError):
                address = "?"
            out[impl.name].append((pid, (proc_status(pid, "VmHWM") or 0) / 1024.0, address))
    return out


def stop_chg_servers(chg_impls):
    """Stops the chg servers of this run: their sockets are removed (a chg
    server notices within a second and exits, as after `chg
    --kill-chg-daemon`), then whatever is left gets SIGTERM by pid."""
    pids = []
    for impl in chg_impls:
        pids += chg_servers(impl.chg_dir)
        for top, _dirs, names in os.walk(impl.chg_dir):
            for name in names:
                try:
                    os.unlink(os.path.join(top, name))
                except OSError:
                    pass
    deadline = time.time() + 5
    while pids and time.time() < deadline:
        time.sleep(0.2)
        pids = [p for p in pids if os.path.exists("/proc/%d" % p)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        time.sleep(1)
        pids = [p for p in pids if os.path.exists("/proc/%d" % p)]
        if not pids:
            break
    if pids:
        print("chg servers still running: %s" % pids, file=sys.stderr)


def watchman_targets(v, fmts):
    """Issue #13's targets: [(what, dirstate, measured, limit, verdict)]."""
    nan = float("nan")

    def t(n, fmt, c, name):
        var = v.get((n, fmt, "watchman %d" % c, name))
        return var.median() if var is not None and var.times else nan

    def work(n, fmt, c, name):
        e = v.get(("-", fmt, EMPTY, name))
        return t(n, fmt, c, name) - (e.median() if e is not None and e.times else nan)

    rows = []
    for fmt in fmts:
        rows.append(("260k, 50 changed: work ours+fsmonitor / C+fsmonitor", fmt,
                     ratio(work(260000, fmt, 50, "ours+fsmonitor"), work(260000, fmt, 50, "C+fsmonitor")), 0.3))
        rows.append(("260k, 50 changed: time ours+fsmonitor / C+fsmonitor", fmt,
                     ratio(t(260000, fmt, 50, "ours+fsmonitor"), t(260000, fmt, 50, "C+fsmonitor")), 0.7))
        rows.append(("100k, 50 changed: time ours+fsmonitor / C+fsmonitor", fmt,
                     ratio(t(100000, fmt, 50, "ours+fsmonitor"), t(100000, fmt, 50, "C+fsmonitor")), 0.85))
        rows.append(("ours+fsmonitor, 50 changed: time 260k / 100k", fmt,
                     ratio(t(260000, fmt, 50, "ours+fsmonitor"), t(100000, fmt, 50, "ours+fsmonitor")), 1.2))
        rows.append(("260k, 50 changed: chg-ours+fsmonitor time (s)", fmt,
                     t(260000, fmt, 50, "chg-ours+fsmonitor"), 0.1))
    out = []
    for what, fmt, value, limit in rows:
        verdict = "not measured" if value != value else ("yes" if value <= limit else "**NO**")
        out.append((what, fmt, value, limit, verdict))
    return out


def render_watchman(v, sizes, fmts, wcommands, wimpls, wmeta):
    """The watchman group's section of the report."""
    names = list(wimpls)
    pairs = [p for p in (("ours+fsmonitor", "C+fsmonitor"), ("ours+fsmonitor", "ours"),
                         ("chg-ours+fsmonitor", "chg-C+fsmonitor")) if p[0] in names and p[1] in names]
    chg_names = [n for n in names if wimpls[n].chg_dir]
    lines = ["## watchman: `hg status` with fsmonitor (issue #13)", ""]
    lines.append("- one private watchman %s for the run (own socket, state, log and pid files in a temporary "
                 "directory, `--no-save-state`, WATCHMAN_SOCK given to every command; shut down at the end); "
                 "every copy watched before timing (untimed: %d repositories, %.0f s in all, the longest %.1f s)" % (
                     wmeta["watchman_version"], len(wmeta["watched"]), sum(s for _, s in wmeta["watched"]),
                     max([s for _, s in wmeta["watched"]] or [0])))
    lines.append("- copies (`gen.ensure_watchman`): the clean tree hard-linked (working files and `.hg/store`), "
                 "with 0, 50 or 5,000 tracked files replaced by a new content (one line appended); one copy per "
                 "size, format and change count, shared by every implementation")
    lines.append("- each fsmonitor implementation keeps its own `.hg/fsmonitor.state` per copy (put in place "
                 "before its run and saved after it, untimed); before timing, untimed `hg status` runs of each "
                 "fsmonitor implementation on each copy until its state held a clock (`--config "
                 "fsmonitor.timeout=600` for those only), then one untimed run of every variant; timed runs "
                 "write neither files nor the dirstate (column \"dirstate writes\"), so every run sees the same "
                 "changes (fsmonitor's notable files)")
    lines.append("- same output: each one's `hg status` output equals C's (C without fsmonitor), and the "
                 "notable files each fsmonitor run recorded in `.hg/fsmonitor.state` are the paths C listed")
    lines.append("- work = time - the same implementation's `hg status` in an empty repository (for the "
                 "fsmonitor variants: a private, watched empty repository, with fsmonitor)")
    lines.append("- implementations:")
    for impl in wimpls.values():
        lines.append("  - %s: %s" % (impl.name, impl.describe))
    for note in wmeta["notes"]:
        lines.append("  - %s" % note)
    lines.append("- cells with several values list them as %s" % " / ".join(names))
    lines.append("")
    lines.append("| what | " + " | ".join("%s (s)" % n for n in names) + " | peak RSS (MB) | same output as C |")
    lines.append("|---|" + "---:|" * len(names) + "---|---|")
    for fmt in fmts:
        row = [v.get(("-", fmt, EMPTY, n)) for n in names]
        lines.append("| status, empty repo, dirstate-%s | %s | %s | %s |" % (
            fmt, " | ".join(cell_time(x) if x else "-" for x in row),
            " / ".join(fmt_mb(x.rss_mb()) if x else "-" for x in row),
            same_cell(v, ("-", fmt, EMPTY), [n for n in names if ("-", fmt, EMPTY, n) in v])))
    lines.append("")
    for n in sizes:
        lines.append("### %s files, watchman" % size_label(n))
        lines.append("")
        head = (["dirstate", "changed files"] + ["%s (s)" % x for x in names] + ["%s / %s" % p for p in pairs]
                + ["work (s)", "work ours+fsmonitor / C+fsmonitor", "peak RSS (MB)",
                   "same output and notable files as C", "dirstate writes"]
                + (["chg server restarts (%s)" % " / ".join(chg_names)] if chg_names else []))
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|---:|" + "---:|" * (len(names) + len(pairs) + 2) + "---|---|---|"
                     + ("---|" if chg_names else ""))
        for fmt in fmts:
            for label, _, _ in wcommands:
                row = [v[(n, fmt, label, x)] for x in names]
                med = {x.key[3]: x.median() for x in row}
                works = {}
                for x in row:
                    e = v.get(("-", fmt, EMPTY, x.key[3]))
                    works[x.key[3]] = x.median() - e.median() if e is not None else float("nan")
                cells = [fmt, format(watchman_count(label), ",")] + [cell_time(x) for x in row]
                cells += [fmt_x(ratio(med[a], med[b])) for a, b in pairs]
                cells.append(" / ".join(fmt_s(works[x]) for x in names))
                cells.append(fmt_x(ratio(works.get("ours+fsmonitor", float("nan")),
                                         works.get("C+fsmonitor", float("nan")))))
                cells.append(" / ".join(fmt_mb(x.rss_mb()) for x in row))
                cells.append(same_cell(v, (n, fmt, label), names))
                cells.append(" / ".join("-" if x.unsupported else str(x.writes) for x in row))
                if chg_names:
                    cells.append(" / ".join(str(v[(n, fmt, label, c)].restarts) for c in chg_names))
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        lines.append("### Growth %s / %s files, watchman (x%.2f files): time, per implementation" % (
            size_label(big), size_label(small), big / small))
        lines.append("")
        lines.append("| dirstate | changed files | %s |" % " | ".join(names))
        lines.append("|---|---:|" + "---:|" * len(names))
        for fmt in fmts:
            for label, _, _ in wcommands:
                lines.append("| %s | %s | %s |" % (fmt, format(watchman_count(label), ","), " | ".join(
                    fmt_x(ratio(v[(big, fmt, label, x)].median(), v[(small, fmt, label, x)].median()))
                    for x in names)))
        lines.append("")
    lines.append("### Targets of issue #13")
    lines.append("")
    lines.append("| target | dirstate | measured | limit | met |")
    lines.append("|---|---|---:|---:|---|")
    for what, fmt, value, limit, verdict in watchman_targets(v, fmts):
        lines.append("| %s | %s | %s | %s | %s |" % (what, fmt, fmt_s(value) if "(s)" in what else fmt_x(value),
                                                     limit, verdict))
    lines.append("")
    if wmeta["traces"]:
        lines.append("### Route of ours+fsmonitor (one untimed run per copy with RUSTEXT_STATUS_TRACE=1)")
        lines.append("")
        for key, trace in wmeta["traces"]:
            lines.append("- %s %s %s: %s" % (size_label(int(key[0])), key[1], display(key[2]),
                                             "; ".join("`%s`" % t for t in trace) or "(no trace line)"))
        lines.append("")
    return lines


def render_chg(variants, chg_memory):
    lines = ["## chg servers", ""]
    lines.append("Servers: %s." % ("one per working copy and implementation (`--chg-servers per-copy`)"
                                   if CHG_SERVERS["mode"] == "per-copy" else
                                   "one per implementation, every copy in turn (`--chg-servers shared`)"))
    lines.append("")
    lines.append("The servers running after the last round, with their peak RSS (VmHWM); a command runs in a worker "
                 "forked from its implementation's server, whose own peak `measure` cannot see (the tables say n/a). "
                 "Server starts seen (a new socket in the implementation's directory) during untimed runs (the first "
                 "one starts it) and during timed runs (each one is a failure of the run):")
    lines.append("")
    for name, servers in chg_memory.items():
        untimed = sum(var.untimed_starts for var in variants.values() if var.key[3] == name)
        timed = sum(var.restarts for var in variants.values() if var.key[3] == name)
        if len(servers) > 2:
            peaks = sorted(m for _, m, _ in servers)
            running = "%d servers, %.0f to %.0f MB" % (len(servers), peaks[0], peaks[-1])
        else:
            running = ", ".join("pid %d (%s), %.0f MB" % (p, a, m) for p, m, a in servers) or "no server running"
        lines.append("- %s: %s; starts: %d untimed, %d timed" % (name, running, untimed, timed))
    lines.append("")
    return lines



def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hg-version", default=DEFAULT_VERSION,
                    help="Mercurial version (default %s; supported: %s)" % (DEFAULT_VERSION,
                                                                        ", ".join(SUPPORTED_VERSIONS)))
    ap.add_argument("--venv", help="venv with that Mercurial and our module (default: .venv for %s, "
                    ".venv-hg<version> otherwise, as ./setup.sh makes them)" % DEFAULT_VERSION)
    ap.add_argument("--oracle-only", help="comma-separated implementations run in the warm-up rounds only: "
                    "their outputs are compared, and their time is that of the last warm-up run, one sample instead "
                    "of a median (e.g. C,upstream-rust for the touched group, whose C runs take minutes)")
    ap.add_argument("--impls", help="comma-separated subset of %s, C included (default: every one available; "
                    "chg-C and chg-ours only with the watchman group)" % ",".join(IMPLS))
    ap.add_argument("--upstream-hg", help="upstream-rust's hg (default bench-data/upstream/<version>/venv/bin/hg)")
    ap.add_argument("--rhg", help="the rhg executable (default bench-data/upstream/<version>/bin/rhg)")
    ap.add_argument("--chg-servers", choices=("per-copy", "shared"), default="per-copy",
                    help="chg: a server per working copy (default; a user working in one repository) or one per "
                         "implementation for all copies")
    ap.add_argument("--chg", help="the chg executable (default: built on demand into bench-data/chg/<version>/)")
    ap.add_argument("--sizes", default="100k,260k", help="comma-separated file counts (e.g. 100k,260k)")
    ap.add_argument("--formats", default="v1,v2", help="comma-separated dirstate formats (default v1,v2)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per variant (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    ap.add_argument("--quick", action="store_true", help="smoke test: 20k files, 3 runs")
    ap.add_argument("--commands", default=",".join(DEFAULT_COMMANDS),
                    help="comma-separated subset of: %s; `touched` stands for all of %s, `watchman` for all of %s "
                    "(default: %s)" % (", ".join(c[0].replace(" ", "") for c in COMMANDS), ", ".join(TOUCHED_COMMANDS),
                                       ", ".join(WATCHMAN_COMMANDS), ",".join(DEFAULT_COMMANDS)))
    ap.add_argument("--output", help="markdown report path (default benches/results/latest-<version>.md, "
                    "-touched.md or -watchman.md when only that group runs)")
    args = ap.parse_args()
    CHG_SERVERS["mode"] = args.chg_servers
    if args.hg_version not in SUPPORTED_VERSIONS:
        print("warning: Mercurial %s is not one of the supported versions (%s)"
              % (args.hg_version, ", ".join(SUPPORTED_VERSIONS)), file=sys.stderr)
    if args.quick:
        args.sizes, args.runs = "20k", min(args.runs, 3)
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or args.runs < 1:
        ap.error("need at least one size and one run")
    args.fmts = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not args.fmts or set(args.fmts) - {"v1", "v2"} or len(set(args.fmts)) != len(args.fmts):
        ap.error("--formats takes v1, v2 or v1,v2")
    wanted = set()
    for c in args.commands.split(","):
        c = c.strip().replace(" ", "")
        if c == "touched":
            wanted.update(TOUCHED_COMMANDS)
        elif c == "touchedstatus":  # the first status comes with its second
            wanted.update(("touchedstatus", "touchedstatus,2nd"))
        elif c == "watchman":
            wanted.update(WATCHMAN_COMMANDS)
        elif c:
            wanted.add(c)
    if "touchedstatus,2nd" in wanted:
        wanted.add("touchedstatus")
    selected = [c for c in COMMANDS if c[0].replace(" ", "") in wanted]
    unknown = wanted - {c[0].replace(" ", "") for c in COMMANDS}
    if unknown or not selected:
        ap.error("unknown or no commands: %s" % ", ".join(sorted(unknown)))
    commands = [c for c in selected if c[2] != "watchman"]
    wcommands = [c for c in selected if c[2] == "watchman"]
    most = max([watchman_count(label) for label, _, _ in wcommands] or [0])
    if wcommands and sizes[0] <= most:
        ap.error("the watchman group changes up to %d files: every size must be larger (or choose among %s)"
                 % (most, ",".join(WATCHMAN_COMMANDS)))
    suffix = ""
    if not commands:
        suffix = "-watchman"
    elif not wcommands and all(label.startswith("touched") for label, _, _ in commands):
        suffix = "-touched"
    output = args.output or os.path.join(RESULTS, "latest-%s%s.md" % (args.hg_version, suffix))

    # Private files of this run (chg sockets, the watchman's socket and
    # state), removed at the end; SIGTERM ends the run through `finally` too.
    tmp = tempfile.mkdtemp(prefix="bench-run-")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    session = {"watchman": None, "chg": []}  # what `finally` stops
    try:
        impls, notes, hg = setup_impls(args, ap, tmp, chg_by_default=bool(wcommands))
        session["chg"] = [i for i in impls.values() if i.chg_dir]
        return run_session(args, sizes, commands, wcommands, impls, notes, hg, output, tmp, session)
    finally:
        stop_chg_servers(session["chg"])
        if session["watchman"] is not None:
            session["watchman"].stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run_session(args, sizes, commands, wcommands, impls, notes, hg, output, tmp, session):
    """Prepares, times and reports; `session` receives the private watchman
    and the chg implementations, which the caller stops."""
    gen.HG = hg  # the C oracle that generates missing repositories: this version's
    command = " ".join(shlex.quote(a) for a in [rel(sys.executable), "benches/run.py"] + sys.argv[1:])
    global MEASURE
    floor_exe, MEASURE = build_floor()
    variants = make_variants(sizes, floor_exe, commands, impls, args.fmts)
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
    wimpls = {}
    wmeta = None
    if wcommands:
        watchman = Watchman(tmp)
        session["watchman"] = watchman
        watchman.start()
        wimpls = watchman_impls(impls, tmp, watchman.sock)
        session["chg"] += [i for i in wimpls.values() if i.chg_dir and i not in session["chg"]]
        states = FsmonitorStates()
        wvariants, roots = make_watchman_variants(sizes, args.fmts, wcommands, wimpls, states)
        print("watchman %s: watching %d repositories (untimed)" % (watchman.version, len(roots)), flush=True)
        for root in roots:
            watchman.watch(root)
            print("  watched %s in %.1fs" % (rel(root), watchman.watched[-1][1]), flush=True)
        traces, wnotes = warm_watchman(wvariants, wimpls, states)
        variants.update(wvariants)
        if "upstream-rust" in impls:
            wnotes.append("upstream-rust: not run with fsmonitor (its `dirstate.status` takes the Rust path, which "
                          "never calls fsmonitor's walk: fsmonitor would be bypassed silently)")
        wmeta = {"watchman_version": watchman.version, "watched": watchman.watched, "notes": wnotes,
                 "traces": sorted(traces.items(), key=lambda kv: str(kv[0])),
                 "impls": {name: {"argv": impl.argv, "HGMODULEPOLICY": impl.policy, "describe": impl.describe}
                           for name, impl in wimpls.items()}}
        meta["watchman"] = wmeta
        for impl in wimpls.values():
            if impl.name not in impls:
                print("  %s: %s" % (impl.name, impl.describe), flush=True)
        for key, trace in wmeta["traces"]:
            print("  route %s %s %s: %s" % (size_label(key[0]), key[1], key[2], "; ".join(trace)), flush=True)
    # chg: each server is started by an untimed run (the first variant that
    # goes through it) before the rounds; a timed run during which one
    # starts is a failure.
    for var in variants.values():
        if var.chg_dir and not chg_stamp(var.chg_dir):
            var.run(record=False)
    order = list(variants.values())
    rounds = args.warmup + args.runs
    oracle_only = {i.strip() for i in (args.oracle_only or "").split(",") if i.strip()}
    if oracle_only and args.warmup < 1:
        ap.error("--oracle-only needs a warm-up round (--warmup 1 or more)")
    for r in range(rounds):
        t0 = time.time()
        for var in (order if r % 2 == 0 else alternated(order)):
            if var.unsupported is not None:
                continue
            if r >= args.warmup and var.key[3] in oracle_only:
                continue  # its output was taken in the warm-up rounds
            # An oracle-only implementation's time is its last warm-up run:
            # one sample, enough for ratios of 10x or more.
            var.run(record=r >= args.warmup or (var.key[3] in oracle_only and r == args.warmup - 1))
        print("round %d/%d%s done in %.1fs (load %.2f)" % (
            r + 1, rounds, " (warm-up)" if r < args.warmup else "", time.time() - t0, os.getloadavg()[0]), flush=True)
    meta["load_after"] = "%.2f" % os.getloadavg()[0]
    all_chg = session["chg"]
    chg_memory = chg_server_memory(all_chg)
    names = list(impls) + [n for n in wimpls if n not in impls]
    problems = check_outputs(variants, names)
    for var in order:
        if var.restarts:
            problems.append("CHG SERVER STARTED DURING %d TIMED RUN(S): %s" % (var.restarts, " ".join(map(str, var.key))))
    n_unsupported = sum(1 for var in order if var.unsupported)
    meta["outputs"] = ("**%d MISMATCH(ES) OR FAILURE(S)**, see the tables and stderr" % len(problems) if problems
                       else "every implementation printed the same output as C on every command it served")
    if n_unsupported:
        meta["outputs"] += " (%d variant(s) rhg could not serve: see the end)" % n_unsupported

    extra = []
    if wcommands:
        extra += render_watchman(variants, sizes, args.fmts, wcommands, wimpls, wmeta)
        meta["targets"] = [list(t) for t in watchman_targets(variants, args.fmts)]
    if all_chg:
        extra += render_chg(variants, chg_memory)
        meta["chg_servers"] = chg_memory
    report = render(variants, sizes, args, meta, commands, impls, extra)
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
             "digests": sorted(var.digests), "after_digests": sorted(var.after_digests),
             "chg_restarts": var.restarts, "chg_untimed_starts": var.untimed_starts}
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
