"""The benchmark harness: `hg status` and friends, Python+C vs our module.

    .venv/bin/python benches/run.py                  # 100k and 260k files, 5 runs
    .venv/bin/python benches/run.py --quick          # 20k files, 3 runs (smoke test)
    .venv/bin/python benches/run.py --sizes 100k --runs 7

Everything is measured in one session, round-robin across all variants (so
machine load drifts hit every variant alike), after one warm-up round, and
reported as medians with the child's peak RSS (`ru_maxrss` from wait4). Beside
`hg status` on dirstate-v1 and v2 it times:

- `hg status` in an empty repository: Mercurial's fixed Python cost, which
  no module can remove; "work" is a command's time minus this;
- the floor (`benches/floor`): read every directory and lstat every entry on
  all cores, the least any status can do; "work/floor" says how close an
  implementation gets to it;
- `hg status -mard`, `hg status -u` and `hg diff` on a copy with 1% of the
  files modified.

Outputs of Python+C and of our module are compared on every command; the run
fails if they differ or a command fails. The table goes to stdout and, with
the command line, to `benches/results/latest.md` (raw numbers in
`latest.json`). Repositories are generated once and cached in `bench-data/`
(see `benches/gen.py`).
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
import gen  # noqa: E402

RESULTS = os.path.join(gen.HERE, "results")
SLOW_PATH = ["--config", "storage.dirstate-v2.slow-path=allow"]

# (label, hg arguments, repository kind); "mod" runs on the 1%-modified copy.
COMMANDS = (
    ("status", ["status"], "clean"),
    ("status -mard", ["status", "-mard"], "mod"),
    ("status -u", ["status", "-u"], "mod"),
    ("diff", ["diff"], "mod"),
)
IMPLS = ("C", "ours")


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


def impl_env(impl):
    """C: Mercurial's C modules forced; ours: the installed rust+c-allow policy."""
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1", HGUSER="bench")
    env.pop("HGMODULEPOLICY", None)
    if impl == "C":
        env["HGMODULEPOLICY"] = "c"
    return env


def module_state():
    """What our module provides in this environment, for the report header:
    ratios near 1.0 are expected when the dirstate module is not active."""
    code = (
        "from mercurial import policy, dirstate;"
        "print(policy.policy.decode(), dirstate.rustmod is not None, dirstate.HAS_FAST_DIRSTATE_V2)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=impl_env("ours"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    parts = out.stdout.decode(errors="replace").split()
    if out.returncode != 0 or len(parts) != 3:
        return "could not import Mercurial with our module: %s" % out.stdout.decode(errors="replace")[-300:]
    pol, active, fast_v2 = parts
    return "policy %s; rustext.dirstate %s; fast dirstate-v2 %s" % (
        pol,
        "ACTIVE" if active == "True" else "absent (ours = Python+C path)",
        "yes" if fast_v2 == "True" else "no",
    )


def build_floor():
    """Builds benches/floor in release mode and returns the executable's path.

    A binary newer than the floor's sources is used as is: on a shared
    machine `cargo build` may wait minutes for another build's lock."""
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(gen.ROOT, "target")
    exe = os.path.join(target, "release", "floor")
    floor_dir = os.path.join(gen.HERE, "floor")
    sources = [os.path.join(floor_dir, "Cargo.toml"), os.path.join(floor_dir, "src", "main.rs")]
    if os.path.exists(exe) and all(os.path.getmtime(exe) > os.path.getmtime(f) for f in sources):
        return exe
    out = subprocess.run(
        ["cargo", "build", "--release", "-p", "floor", "--message-format=json", "--quiet"],
        cwd=gen.ROOT,
        check=True,
        stdout=subprocess.PIPE,
    )
    for line in out.stdout.decode().splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "floor":
            return msg["executable"]
    raise SystemExit("benches/run.py: cargo did not report the floor executable")


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

    def __init__(self, key, argv, cwd, env, repo=None):
        self.key = key  # (size, fmt, command, impl)
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.repo = repo
        self.times = []
        self.rss_kb = []
        self.cpu = []
        self.digests = set()
        self.failures = []
        self.writes = 0
        self.stdout = b""

    def run(self, record):
        before = dirstate_stamp(self.repo)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            stdout = out.read()
            err.seek(0)
            stderr = err.read()
        # `hg status` exits 0; `hg diff` too. Anything else is a failure.
        if proc.returncode != 0 or stderr.strip():
            self.failures.append("exit %d: %s" % (proc.returncode, stderr.decode(errors="replace")[-400:]))
        self.digests.add(hashlib.sha1(normalize(stdout)).hexdigest())
        self.stdout = stdout
        if record:
            self.times.append(elapsed)
            self.rss_kb.append(usage.ru_maxrss)
            self.cpu.append(usage.ru_utime + usage.ru_stime)
            if dirstate_stamp(self.repo) != before:
                self.writes += 1

    def median(self):
        return statistics.median(self.times) if self.times else float("nan")

    def rss_mb(self):
        return max(self.rss_kb) / 1024.0 if self.rss_kb else float("nan")


def make_variants(sizes, floor_exe, commands):
    hg = gen.HG
    variants = {}

    def add(key, argv, cwd, env, repo=None):
        variants[key] = Variant(key, argv, cwd, env, repo)

    for fmt in ("v1", "v2"):
        empty = gen.ensure_empty(fmt)
        gen.restore_dirstate(empty)
        for impl in IMPLS:
            add(("-", fmt, "status (empty repo)", impl), [hg] + SLOW_PATH + ["status"], empty, impl_env(impl), empty)
    for n in sizes:
        print("preparing %s files%s" % (size_label(n), "" if os.path.exists(
            os.path.join(gen.repo_set_dir(n, 1), "complete")) else " (generating: minutes at large sizes)"), flush=True)
        repos = gen.ensure_repos(n, 1, log=lambda m: print(m, flush=True))
        for repo in repos.values():
            if gen.restore_dirstate(repo):
                print("  restored the pristine dirstate of %s" % repo)
        add((n, "-", "floor", "-"), [floor_exe, "--exclude", "build", repos["v1"]], gen.ROOT, dict(os.environ))
        for fmt in ("v1", "v2"):
            for label, args, kind in commands:
                repo = repos[fmt if kind == "clean" else fmt + "-mod"]
                for impl in IMPLS:
                    add((n, fmt, label, impl), [hg] + SLOW_PATH + args, repo, impl_env(impl), repo)
    return variants


def fmt_s(t):
    if t != t:  # NaN
        return "n/a"
    return "%.3f" % t


def fmt_x(r):
    if r != r or r in (float("inf"), float("-inf")):
        return "n/a"
    return "%.2f" % r


def ratio(a, b):
    return a / b if b and b == b and a == a else float("nan")


def render(variants, sizes, args, meta, commands):
    """The markdown report: fixed costs, per-size comparison, growth."""
    v = variants
    lines = []
    lines.append("# hg status benchmark")
    lines.append("")
    lines.append("- command: `%s`" % meta["command"])
    lines.append("- date: %s; commit %s" % (meta["date"], meta["commit"]))
    lines.append("- machine: %s, %d cores; load average %s before, %s after (shared machine: other jobs were running)"
                 % (meta["machine"], meta["cores"], meta["load_before"], meta["load_after"]))
    lines.append("- our module: %s" % meta["module"])
    lines.append("- medians of %d runs after %d warm-up round(s), round-robin over all variants; RSS = peak of the child"
                 % (args.runs, args.warmup))
    lines.append("- C = `HGMODULEPOLICY=c hg`, ours = `.venv/bin/hg` (rust+c-allow); both get "
                 "`--config storage.dirstate-v2.slow-path=allow`")
    lines.append("- work = time - `hg status` in an empty repository (same implementation and format); "
                 "floor = `benches/floor` (parallel readdir + lstat of the tree, without the ignored `build/`)")
    lines.append("")
    lines.append("## Fixed cost and floor")
    lines.append("")
    lines.append("| what | C (s) | ours (s) | ours/C | C RSS (MB) | ours RSS (MB) |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for fmt in ("v1", "v2"):
        c, o = v[("-", fmt, "status (empty repo)", "C")], v[("-", fmt, "status (empty repo)", "ours")]
        lines.append("| status, empty repo, dirstate-%s | %s | %s | %s | %.0f | %.0f |"
                     % (fmt, fmt_s(c.median()), fmt_s(o.median()), fmt_x(ratio(o.median(), c.median())),
                        c.rss_mb(), o.rss_mb()))
    for n in sizes:
        f = v[(n, "-", "floor", "-")]
        lines.append("| floor, %s files | %s | | | %.0f | |" % (size_label(n), fmt_s(f.median()), f.rss_mb()))
    lines.append("")
    for n in sizes:
        floor = v[(n, "-", "floor", "-")].median()
        lines.append("## %s files" % size_label(n))
        lines.append("")
        lines.append("| dirstate | command | C (s) | ours (s) | ours/C | C work/floor | ours work/floor "
                     "| C RSS (MB) | ours RSS (MB) | same output | dirstate writes C/ours |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for fmt in ("v1", "v2"):
            ec = v[("-", fmt, "status (empty repo)", "C")].median()
            eo = v[("-", fmt, "status (empty repo)", "ours")].median()
            for label, _, _ in commands:
                c, o = v[(n, fmt, label, "C")], v[(n, fmt, label, "ours")]
                same = "yes" if c.digests == o.digests and len(c.digests) == 1 else "**NO**"
                if c.failures or o.failures:
                    same = "**FAILED**"
                lines.append("| %s | `hg %s` | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %d/%d |" % (
                    fmt, label, fmt_s(c.median()), fmt_s(o.median()), fmt_x(ratio(o.median(), c.median())),
                    fmt_x(ratio(c.median() - ec, floor)), fmt_x(ratio(o.median() - eo, floor)),
                    c.rss_mb(), o.rss_mb(), same, c.writes, o.writes))
        lines.append("")
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        lines.append("## Growth %s / %s files (x%.2f files)" % (size_label(big), size_label(small), big / small))
        lines.append("")
        lines.append("| dirstate | command | C time | ours time | C work | ours work | C RSS | ours RSS |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        fs, fb = v[(small, "-", "floor", "-")], v[(big, "-", "floor", "-")]
        lines.append("| - | floor | %s | | | | %s | |" % (fmt_x(ratio(fb.median(), fs.median())),
                                                        fmt_x(ratio(fb.rss_mb(), fs.rss_mb()))))
        for fmt in ("v1", "v2"):
            for label, _, _ in commands:
                row = ["| %s | `hg %s`" % (fmt, label)]
                cells_t, cells_w, cells_m = [], [], []
                for impl in IMPLS:
                    e = v[("-", fmt, "status (empty repo)", impl)].median()
                    s, b = v[(small, fmt, label, impl)], v[(big, fmt, label, impl)]
                    cells_t.append(fmt_x(ratio(b.median(), s.median())))
                    cells_w.append(fmt_x(ratio(b.median() - e, s.median() - e)))
                    cells_m.append(fmt_x(ratio(b.rss_mb(), s.rss_mb())))
                lines.append(" | ".join(row + cells_t + cells_w + cells_m) + " |")
        lines.append("")
    problems = [(k, f) for k, var in sorted(v.items(), key=lambda kv: str(kv[0])) for f in var.failures[:1]]
    if problems:
        lines.append("## Failures")
        lines.append("")
        for k, f in problems:
            lines.append("- %s: `%s`" % (" ".join(str(p) for p in k), f.strip().replace("\n", " ")[:300]))
        lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100k,260k", help="comma-separated file counts (e.g. 100k,260k)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per variant (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    ap.add_argument("--quick", action="store_true", help="smoke test: 20k files, 3 runs")
    ap.add_argument("--commands", default=",".join(c[0].replace(" ", "") for c in COMMANDS),
                    help="comma-separated subset of: status, status-mard, status-u, diff")
    ap.add_argument("--output", default=os.path.join(RESULTS, "latest.md"), help="markdown report path")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.runs = "20k", min(args.runs, 3)
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or args.runs < 1:
        ap.error("need at least one size and one run")
    wanted = {c.strip() for c in args.commands.split(",") if c.strip()}
    commands = [c for c in COMMANDS if c[0].replace(" ", "") in wanted]
    unknown = wanted - {c[0].replace(" ", "") for c in COMMANDS}
    if unknown or not commands:
        ap.error("unknown or no commands: %s" % ", ".join(sorted(unknown)))

    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "benches/run.py"] + sys.argv[1:])
    floor_exe = build_floor()
    variants = make_variants(sizes, floor_exe, commands)
    meta = {
        "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=gen.ROOT,
                                 stdout=subprocess.PIPE).stdout.decode().strip() or "unknown",
        "machine": platform.platform(),
        "cores": os.cpu_count() or 0,
        "module": module_state(),
        "load_before": "%.2f" % os.getloadavg()[0],
    }
    print("our module: %s" % meta["module"], flush=True)
    order = list(variants.values())
    rounds = args.warmup + args.runs
    for r in range(rounds):
        t0 = time.time()
        for var in order:
            var.run(record=r >= args.warmup)
        print("round %d/%d%s done in %.1fs (load %.2f)" % (
            r + 1, rounds, " (warm-up)" if r < args.warmup else "", time.time() - t0, os.getloadavg()[0]), flush=True)
    meta["load_after"] = "%.2f" % os.getloadavg()[0]

    report = render(variants, sizes, args, meta, commands)
    print()
    print(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as fp:
        fp.write(report + "\n")
    raw = {
        "meta": meta,
        "variants": [
            {"key": [str(p) for p in var.key], "times": var.times, "rss_kb": var.rss_kb, "cpu": var.cpu,
             "writes": var.writes, "failures": var.failures}
            for var in order
        ],
    }
    with open(os.path.splitext(args.output)[0] + ".json", "w") as fp:
        json.dump(raw, fp, indent=1)

    bad = False
    for key, var in variants.items():
        if var.failures:
            print("FAILED: %s: %s" % (key, var.failures[0][-200:]), file=sys.stderr)
            bad = True
        if key[3] == "C":
            ours = variants[key[:3] + ("ours",)]
            if len(var.digests) != 1 or var.digests != ours.digests:
                print("OUTPUT DIFFERS: %s (C vs ours, or between runs)" % (key[:3],), file=sys.stderr)
                bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
