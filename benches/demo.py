"""The main job of `./setup.sh`: `hg status` on a generated working copy,
timed with Mercurial's Python+C code (HGMODULEPOLICY=c) and with our Rust
module (the installed rust+c-allow policy), side by side.

The full benchmark harness is `benches/run.py`; this is the quick look.
"""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HG = os.path.join(ROOT, ".venv", "bin", "hg")
DEMO = os.path.join(ROOT, "bench-data", "demo")
N_DIRS, FILES_PER_DIR = 400, 25


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
        sub = os.path.join(DEMO, "src", "m%03d" % (d // 20), "p%03d" % d)
        os.makedirs(sub)
        for f in range(FILES_PER_DIR):
            with open(os.path.join(sub, "f%02d.c" % f), "w") as fp:
                fp.write("/* %d %d */\n" % (d, f))
    hg(["commit", "-Aqm", "demo", "-u", "demo"])
    for d in range(0, N_DIRS, 40):
        with open(os.path.join(DEMO, "src", "m%03d" % (d // 20), "p%03d" % d, "f00.c"), "a") as fp:
            fp.write("changed\n")
        with open(os.path.join(DEMO, "src", "m%03d" % (d // 20), "p%03d" % d, "new.c"), "w") as fp:
            fp.write("new\n")


def best_of(policy, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = hg(["status"], env_policy=policy)
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    make_demo()
    c_time, c_out = best_of("c")
    r_time, r_out = best_of(None)
    same = "identical" if c_out == r_out else "DIFFERENT"
    print("hg status on %d files: Python+C %.3fs, with mercurial.rustext %.3fs (x%.2f), output %s"
          % (N_DIRS * FILES_PER_DIR, c_time, r_time, c_time / r_time, same))
    return 0 if c_out == r_out else 1


if __name__ == "__main__":
    sys.exit(main())
