"""Benchmark of a touched working copy (issue #11): every tracked file keeps
its content and size but gets a new mtime (`touch`, `cp -r`, a restored CI
cache), so `hg status` must compare every file with its parent revision.

    .venv/bin/python benches/touched.py                   # 100k files, 3 runs
    .venv/bin/python benches/touched.py --sizes 20k --runs 5

Standalone (benches/run.py is not involved): it reuses or generates the
clean `v1`/`v2` trees of `benches/gen.py` (cached in `bench-data/`), copies
them once to `bench-data/touched-*`, sets every tracked file's mtime to one
minute before the copy, and saves that dirstate. Each timed run starts from
it again. Three implementations:

- `C`: Mercurial's C modules (`HGMODULEPOLICY=c`);
- `ours, Python compare`: our status, Mercurial's own `_checklookup`;
- `ours + rustext`: our status and our extension (hgext3rd/rustext.py),
  the files compared in Rust.

For each: the first `hg status` (compares every file and records them clean
in the dirstate) and the second one (nothing left to compare). Runs are
round-robin over implementations and formats after a warm-up; medians are
reported. Every implementation must print the same status, and leave a
dirstate that `hg debugdirstate` prints the same (same mtimes recorded).
"""
import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

SLOW_PATH = ["--config", "storage.dirstate-v2.slow-path=allow"]
IMPLS = (
    ("C", {"HGMODULEPOLICY": "c"}, []),
    ("ours, Python compare", {}, []),
    ("ours + rustext", {}, ["--config", "extensions.rustext="]),
)


def parse_size(text):
    text = text.strip().lower()
    mult = 1000 if text.endswith("k") else 1
    return int(float(text.rstrip("k")) * mult)


def env_for(extra):
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1", HGUSER="bench")
    env.pop("HGMODULEPOLICY", None)
    env.pop("RUSTEXT_STATUS_TRACE", None)
    env.update(extra)
    return env


def touched_copy(n, fmt, src):
    """A copy of `src` with every tracked file's mtime moved; cached."""
    base = os.path.join(gen.DATA, "touched-n%d-s1-g%d" % (n, gen.GEN_VERSION))
    dst = os.path.join(base, fmt)
    done = dst + ".complete"
    if os.path.exists(done):
        return dst
    os.makedirs(base, exist_ok=True)
    gen.restore_dirstate(src)
    gen.copy_repo(src, dst)
    when = time.time() - 60
    out = subprocess.run([gen.HG, "files", "-0"] + SLOW_PATH, cwd=dst, env=env_for({"HGMODULEPOLICY": "c"}),
                         stdout=subprocess.PIPE, check=True).stdout
    for f in out.split(b"\0"):
        if f:
            os.utime(os.path.join(dst.encode(), f), (when, when), follow_symlinks=False)
    gen.save_dirstate(dst)
    with open(done, "w") as fh:
        fh.write("touched at %d\n" % when)
    return dst


def run(argv, cwd, env):
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0 or err.strip():
        raise SystemExit("failed: %s in %s: exit %d\n%s" % (" ".join(argv), cwd, proc.returncode, err.decode()[-500:]))
    return elapsed, out


def debugdirstate(repo):
    _, out = run([gen.HG, "debugdirstate"] + SLOW_PATH, repo, env_for({"HGMODULEPOLICY": "c"}))
    return hashlib.sha1(out).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="v1,v2")
    args = ap.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    repos = {}
    for n in sizes:
        print("preparing %d files" % n, flush=True)
        clean = gen.ensure_repos(n, 1, log=lambda m: print(m, flush=True))
        for fmt in formats:
            repos[(n, fmt)] = touched_copy(n, fmt, clean[fmt])
    times = {}
    outputs = {}
    states = {}
    for round_ in range(args.runs + 1):
        for (n, fmt), repo in repos.items():
            for name, extra_env, extra_args in IMPLS:
                gen.restore_dirstate(repo)
                argv = [gen.HG] + SLOW_PATH + extra_args + ["status"]
                first, out1 = run(argv, repo, env_for(extra_env))
                second, out2 = run(argv, repo, env_for(extra_env))
                outputs.setdefault((n, fmt), set()).update([out1, out2])
                if round_ == 0:
                    states.setdefault((n, fmt), {})[name] = debugdirstate(repo)
                    continue
                times.setdefault((n, fmt, name), ([], []))
                times[(n, fmt, name)][0].append(first)
                times[(n, fmt, name)][1].append(second)
            print("  round %d %s %d files done" % (round_, fmt, n), flush=True)
    problems = []
    for key, outs in outputs.items():
        if len(outs) != 1:
            problems.append("%s: implementations printed different statuses" % (key,))
    for key, by_impl in states.items():
        if len(set(by_impl.values())) != 1:
            problems.append("%s: debugdirstate differs after the first status: %s" % (key, by_impl))
    load = os.getloadavg()
    print()
    print("`hg status` on a touched working copy (every tracked file: same content, new mtime)")
    print("%s, %s, load average %.1f/%.1f/%.1f, medians of %d runs after a warm-up" % (
        platform.node(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), *load, args.runs))
    print()
    print("| files | dirstate | implementation | first status (s) | second status (s) | first vs C |")
    print("|---:|---|---|---:|---:|---:|")
    for n in sizes:
        for fmt in formats:
            c_first = statistics.median(times[(n, fmt, "C")][0])
            for name, _, _ in IMPLS:
                first, second = (statistics.median(t) for t in times[(n, fmt, name)])
                print("| %d | %s | %s | %.2f | %.2f | %.2f |" % (n, fmt, name, first, second, first / c_first))
    print()
    print("outputs identical across implementations: %s; dirstates identical after the first status: %s" % (
        "yes" if not any("statuses" in p for p in problems) else "NO",
        "yes" if not any("debugdirstate" in p for p in problems) else "NO"))
    if problems:
        print("\n".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
