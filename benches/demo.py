"""The main job of `./setup.sh`: `hg status` on a generated working copy,
timed with Mercurial's Python+C code (HGMODULEPOLICY=c) and with our Rust
module (the installed rust+c-allow policy), side by side.

The full benchmark harness is `benches/run.py`; this is the quick look.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HG = os.path.join(sys.prefix, "bin", "hg")  # the venv running this

N_DIRS, FILES_PER_DIR = 2000, 25  # 50,000 files: a size where status time matters
# Named after its size, so a copy cached with other parameters is never reused.
DEMO = os.path.join(ROOT, "bench-data", "demo-n%d" % (N_DIRS * FILES_PER_DIR))


def hg(args, env_policy=None, cwd=DEMO):
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1")
    env.pop("HGMODULEPOLICY", None)
    if env_policy:
        env["HGMODULEPOLICY"] = env_policy
    return subprocess.run(
        [HG] + args, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE
    ).stdout


def make_demo():
    if os.path.isdir(os.path.join(DEMO, ".hg")):
        return
    shutil.rmtree(DEMO, ignore_errors=True)
    os.makedirs(DEMO)
    hg(["init", "--config", "format.use-dirstate-v2=no"])
    for d in range(N_DIRS):
        sub = os.path.join(DEMO, "src", "m%03d" % (d // 20), "p%04d" % d)
        os.makedirs(sub)
        for f in range(FILES_PER_DIR):
            with open(os.path.join(sub, "f%02d.c" % f), "w") as fp:
                fp.write("/* %d %d */\n" % (d, f))
    hg(["commit", "-Aqm", "demo", "-u", "demo"])
    for d in range(0, N_DIRS, 200):
        with open(os.path.join(DEMO, "src", "m%03d" % (d // 20), "p%04d" % d, "f00.c"), "a") as fp:
            fp.write("changed\n")
        with open(os.path.join(DEMO, "src", "m%03d" % (d // 20), "p%04d" % d, "new.c"), "w") as fp:
            fp.write("new\n")


def timed_runs(runs=3):
    """Interleaves C and ours (so load drifts hit both alike) after one untimed
    warm-up each, which also lets the first status record file mtimes."""
    times = {"c": [], None: []}
    outs = {"c": set(), None: set()}
    for i in range(runs + 1):
        for policy in ("c", None):
            t = time.perf_counter()
            out = hg(["status"], env_policy=policy)
            if i:
                times[policy].append(time.perf_counter() - t)
            outs[policy].add(out)
    return times, outs


def module_state():
    """Whether our dirstate module is what `hg` loads: x1.0 is expected while
    it is not."""
    env = dict(os.environ)
    env.pop("HGMODULEPOLICY", None)
    code = "from mercurial import dirstate; print(dirstate.rustmod is not None)"
    out = subprocess.run([sys.executable, "-c", code],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return "active" if out.stdout.strip() == b"True" else "NOT active (Python+C path)"


def main():
    make_demo()
    times, outs = timed_runs()
    c_time, r_time = statistics.median(times["c"]), statistics.median(times[None])
    same = len(outs["c"]) == 1 and outs["c"] == outs[None]
    print("hg status on %d files (median of %d): Python+C %.3fs, with mercurial.rustext %.3fs (x%.2f), "
          "output %s; rustext.dirstate %s"
          % (N_DIRS * FILES_PER_DIR, len(times["c"]), c_time, r_time, c_time / r_time,
             "identical" if same else "DIFFERENT", module_state()))
    print("(full benchmark: %s benches/run.py)" % os.path.relpath(sys.executable, ROOT))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
