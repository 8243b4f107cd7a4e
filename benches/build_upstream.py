"""Builds upstream Mercurial's own Rust, once, for `benches/run.py`.

    python3 benches/build_upstream.py --hg-version 7.2.4     # upstream-rust and rhg
    python3 benches/build_upstream.py --hg-version 6.9.5
    python3 benches/build_upstream.py --hg-version 6.9.5 --only rhg --force
    python3 benches/build_upstream.py --hg-version 7.2.4 --only chg

Three programs, all built from Mercurial's own sdist
(`/work/sdists/mercurial-<version>.tar.gz` by default, `--sdist` to override),
extracted under `bench-data/upstream/<version>/src/` (never committed):

- upstream-rust: a venv (`bench-data/upstream/<version>/venv/`) holding that
  Mercurial built with its Rust extensions, checked to load them under the
  strict `rust+c` policy. 6.9.x: `HGWITHRUSTEXT=cpython pip install <src>`
  (rust-cpython `mercurial.rustext`); 7.x: `pip install --config-settings
  --global-option=--rust <src>` (PyO3 `mercurial.pyo3_rustext`), as
  `hg help rust` documents.
- rhg: `cargo build --release` in the sdist's `rust/rhg`, copied to
  `bench-data/upstream/<version>/bin/rhg`.
- chg: upstream's C client of the command server (`contrib/chg`), built
  with its Makefile from a copy of its sources in
  `bench-data/chg/<version>/src/` and copied to `bench-data/chg/<version>/chg`
  (`benches/run.py` builds it on demand: a few seconds). The sources come from
  the extracted sdist `$HG_SDISTS/mercurial-<version>/contrib/chg` when there
  is one, else from the tarball; it is rebuilt when they change
  (`bench-data/chg/<version>/build.json`).

Builds are niced, use 2 jobs and `RUSTFLAGS=--cap-lints=warn` (old crates on a
new compiler). Each step's commands, duration and log go to `build.json` and
`logs/`; a component recorded as built from the same sdist is not rebuilt
(`--force` rebuilds). Exit status 0 only if every requested component is
available.
"""
import argparse
import datetime
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
UPSTREAM = os.path.join(ROOT, "bench-data", "upstream")
SDISTS = os.environ.get("HG_SDISTS", "/work/sdists")
COMPONENTS = ("upstream-rust", "rhg", "chg")
CHG = os.path.join(ROOT, "bench-data", "chg")
CHG_SOURCES = ("Makefile", "chg.c", "hgclient.c", "hgclient.h", "procutil.c", "procutil.h", "util.c", "util.h")
JOBS = "2"


def version_dir(version):
    return os.path.join(UPSTREAM, version)


def upstream_hg(version):
    return os.path.join(version_dir(version), "venv", "bin", "hg")


def rhg_path(version):
    return os.path.join(version_dir(version), "bin", "rhg")


def load_record(version):
    path = os.path.join(version_dir(version), "build.json")
    if os.path.exists(path):
        with open(path) as fp:
            return json.load(fp)
    return {}


def save_record(version, record):
    path = os.path.join(version_dir(version), "build.json")
    with open(path + ".tmp", "w") as fp:
        json.dump(record, fp, indent=1)
    os.replace(path + ".tmp", path)


def available(version):
    """{component: path} of what a previous build left usable (for run.py)."""
    record = load_record(version)
    paths = {"upstream-rust": upstream_hg(version), "rhg": rhg_path(version)}
    return {c: p for c, p in paths.items() if record.get(c, {}).get("ok") and os.access(p, os.X_OK)}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_env():
    env = dict(os.environ)
    env["RUSTFLAGS"] = (env.get("RUSTFLAGS", "") + " --cap-lints=warn").strip()
    env["CARGO_BUILD_JOBS"] = JOBS
    env["MAX_JOBS"] = JOBS
    env.pop("HGMODULEPOLICY", None)
    return env


def run_logged(argv, cwd, env, log, steps):
    """Runs argv niced, appends its output to the log, records the step."""
    argv = ["nice", "-n", "10"] + argv
    shown = " ".join(shlex.quote(a) for a in argv)
    extra = " ".join("%s=%s" % (k, shlex.quote(env[k])) for k in ("HGWITHRUSTEXT", "RUSTFLAGS", "CARGO_BUILD_JOBS")
                     if k in env)
    print("  $ (cd %s && %s %s)" % (os.path.relpath(cwd, ROOT), extra, shown), flush=True)
    t0 = time.time()
    with open(log, "ab") as fp:
        fp.write(("\n$ (cd %s && %s %s)\n" % (cwd, extra, shown)).encode())
        fp.flush()
        proc = subprocess.run(argv, cwd=cwd, env=env, stdout=fp, stderr=subprocess.STDOUT)
    seconds = time.time() - t0
    steps.append({"cwd": os.path.relpath(cwd, ROOT), "env": extra, "argv": argv, "seconds": round(seconds, 1),
                  "exit": proc.returncode})
    print("    %.0f s, exit %d" % (seconds, proc.returncode), flush=True)
    if proc.returncode != 0:
        with open(log, "rb") as fp:
            tail = fp.read()[-3000:].decode(errors="replace")
        raise BuildError("%s failed (exit %d); log %s:\n%s" % (shown, proc.returncode, log, tail))


class BuildError(Exception):
    pass


def extract(sdist, version):
    """The sdist, extracted once to bench-data/upstream/<version>/src/."""
    src_root = os.path.join(version_dir(version), "src")
    src = os.path.join(src_root, "mercurial-%s" % version)
    stamp = os.path.join(src_root, "extracted")
    digest = sha256(sdist)
    if os.path.exists(stamp) and open(stamp).read().strip() == digest and os.path.isdir(src):
        return src
    shutil.rmtree(src_root, ignore_errors=True)
    os.makedirs(src_root)
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(src_root, filter="data")
        else:
            tar.extractall(src_root)
    if not os.path.isdir(src):
        raise BuildError("%s did not unpack to %s" % (sdist, src))
    with open(stamp, "w") as fp:
        fp.write(digest + "\n")
    return src


def check_upstream_rust(version, hg=None):
    """The venv's hg loads upstream's Rust under the strict rust+c policy and
    its dirstate status is Rust's; returns a one-line description."""
    hg = hg or upstream_hg(version)
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1", HGMODULEPOLICY="rust+c")
    py = os.path.join(os.path.dirname(hg), "python")
    code = (
        "import sys\n"
        "from mercurial import policy, dirstate, util\n"
        "assert dirstate.rustmod is not None, 'no Rust dirstate module'\n"
        "files = sorted({m.__file__ for n, m in list(sys.modules.items())\n"
        "                if 'rustext' in n and getattr(m, '__file__', None)})\n"
        "print(util.version().decode(), 'policy', policy.policy.decode(), 'rust', ' '.join(files))\n"
    )
    out = subprocess.run([py, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = out.stdout.decode(errors="replace").strip()
    if out.returncode != 0:
        raise BuildError("upstream-rust does not load its Rust extensions: %s" % text[-500:])
    got_version = text.split()[0]
    if got_version != version:
        raise BuildError("upstream-rust venv holds Mercurial %s, not %s" % (got_version, version))
    di = subprocess.run([hg, "debuginstall"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = [l for l in di.stdout.decode(errors="replace").splitlines()
             if "Rust" in l or "module policy" in l or "problems" in l]
    if "checking Rust extensions (installed)" not in lines or di.returncode != 0:
        raise BuildError("hg debuginstall under rust+c: %s" % "; ".join(lines))
    return text + " | " + "; ".join(lines)


def build_upstream_rust(version, src, log, steps):
    venv = os.path.join(version_dir(version), "venv")
    shutil.rmtree(venv, ignore_errors=True)
    env = build_env()
    python = os.environ.get("PYTHON") or shutil.which("python3.11") or sys.executable
    run_logged([python, "-m", "venv", venv], ROOT, env, log, steps)
    vpy = os.path.join(venv, "bin", "python")
    run_logged([vpy, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], ROOT, env, log, steps)
    pip = [vpy, "-m", "pip", "install", "--no-cache-dir", "--verbose"]
    major = int(version.split(".")[0])
    if major < 7:
        # 6.x: setup.py's parse_command_line reads HGWITHRUSTEXT=cpython.
        env["HGWITHRUSTEXT"] = "cpython"
        argv = pip + [src]
    else:
        # 7.x: the Distribution option --rust, through setuptools' build_meta.
        argv = pip + ["--config-settings=--global-option=--rust", src]
    run_logged(argv, ROOT, env, log, steps)
    return check_upstream_rust(version)


def build_rhg(version, src, log, steps):
    env = build_env()
    rhg_dir = os.path.join(src, "rust", "rhg")
    run_logged(["cargo", "build", "--release", "--jobs", JOBS, "--locked"], rhg_dir, env, log, steps)
    built = os.path.join(src, "rust", "target", "release", "rhg")
    dest = rhg_path(version)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(built, dest + ".tmp")
    os.replace(dest + ".tmp", dest)
    # A smoke test outside any repository: `rhg root` must abort cleanly.
    out = subprocess.run([dest, "--config", "rhg.on-unsupported=abort", "debugrequirements"], cwd="/",
                         env=dict(os.environ, HGRCPATH="", HGPLAIN="1"), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    return "rhg at %s (outside a repository: exit %d, %s)" % (
        os.path.relpath(dest, ROOT), out.returncode, out.stdout.decode(errors="replace").strip()[:120])


def chg_path(version):
    return os.path.join(CHG, version, "chg")


def build_chg(version, sdist=None, force=False, log=print):
    """Builds upstream's chg for `version` if needed; returns its path.
    Raises BuildError when neither an extracted sdist nor the tarball has it,
    or when make fails."""
    sources = {}
    tree = os.path.join(SDISTS, "mercurial-%s" % version, "contrib", "chg")
    tarball = sdist or os.path.join(SDISTS, "mercurial-%s.tar.gz" % version)
    if os.path.isdir(tree) and not sdist:
        origin = tree
        for name in CHG_SOURCES:
            with open(os.path.join(tree, name), "rb") as fp:
                sources[name] = fp.read()
    elif os.path.exists(tarball):
        origin = tarball
        with tarfile.open(tarball) as tar:
            for name in CHG_SOURCES:
                member = tar.extractfile("mercurial-%s/contrib/chg/%s" % (version, name))
                if member is None:
                    raise BuildError("%s has no contrib/chg/%s" % (tarball, name))
                sources[name] = member.read()
    else:
        raise BuildError("no chg sources for Mercurial %s: neither %s nor %s" % (version, tree, tarball))
    digest = hashlib.sha256(b"".join(n.encode() + b"\0" + sources[n] for n in CHG_SOURCES)).hexdigest()
    dest = chg_path(version)
    record_path = os.path.join(CHG, version, "build.json")
    if not force and os.access(dest, os.X_OK) and os.path.exists(record_path):
        with open(record_path) as fp:
            if json.load(fp).get("sources_sha256") == digest:
                return dest
    src = os.path.join(CHG, version, "src")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    for name, data in sources.items():
        with open(os.path.join(src, name), "wb") as fp:
            fp.write(data)
    argv = ["nice", "-n", "10", "make", "-C", src]
    log("chg %s: building from %s: %s" % (version, origin, " ".join(argv)))
    t0 = time.time()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        raise BuildError("make -C %s failed (exit %d):\n%s" % (src, proc.returncode, output[-3000:]))
    shutil.copy2(os.path.join(src, "chg"), dest + ".tmp")
    os.replace(dest + ".tmp", dest)
    record = {"origin": origin, "sources_sha256": digest, "argv": argv, "seconds": round(time.time() - t0, 1),
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "output": output[-3000:]}
    with open(record_path + ".tmp", "w") as fp:
        json.dump(record, fp, indent=1)
    os.replace(record_path + ".tmp", record_path)
    return dest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hg-version", default="7.2.4", help="Mercurial version (default 7.2.4)")
    ap.add_argument("--sdist", help="the sdist .tar.gz (default $HG_SDISTS/mercurial-<version>.tar.gz)")
    ap.add_argument("--only", help="comma-separated subset of: %s" % ", ".join(COMPONENTS))
    ap.add_argument("--force", action="store_true", help="rebuild even if recorded as built")
    args = ap.parse_args()
    version = args.hg_version
    wanted = [c.strip() for c in (args.only or ",".join(COMPONENTS)).split(",") if c.strip()]
    if not wanted or set(wanted) - set(COMPONENTS):
        ap.error("--only takes: %s" % ", ".join(COMPONENTS))
    sdist = args.sdist or os.path.join(SDISTS, "mercurial-%s.tar.gz" % version)
    if not os.path.exists(sdist):
        ap.error("no sdist at %s (--sdist)" % sdist)
    bad = 0
    if "chg" in wanted:
        wanted.remove("chg")
        try:
            print("chg %s: %s" % (version, build_chg(version, args.sdist, args.force)), flush=True)
        except BuildError as e:
            print("chg %s: FAILED: %s" % (version, e), file=sys.stderr)
            bad += 1
    if not wanted:
        return 1 if bad else 0
    os.makedirs(os.path.join(version_dir(version), "logs"), exist_ok=True)
    record = load_record(version)
    digest = sha256(sdist)
    have = available(version)
    for comp in wanted:
        prev = record.get(comp, {})
        if not args.force and comp in have and prev.get("sdist_sha256") == digest:
            print("%s %s: already built (%s); --force rebuilds" % (comp, version, prev.get("check", "")))
            continue
        print("%s %s: building from %s" % (comp, version, sdist), flush=True)
        log = os.path.join(version_dir(version), "logs", comp + ".log")
        open(log, "w").close()
        steps = []
        entry = {"ok": False, "sdist": sdist, "sdist_sha256": digest, "steps": steps,
                 "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "load_before": "%.2f" % os.getloadavg()[0], "log": os.path.relpath(log, ROOT)}
        record[comp] = entry
        save_record(version, record)
        t0 = time.time()
        try:
            src = extract(sdist, version)
            builder = build_upstream_rust if comp == "upstream-rust" else build_rhg
            entry["check"] = builder(version, src, log, steps)
            entry["ok"] = True
        except BuildError as e:
            entry["error"] = str(e)[-2000:]
            print("%s %s: FAILED: %s" % (comp, version, e), file=sys.stderr)
            bad += 1
        entry["seconds"] = round(time.time() - t0, 1)
        entry["load_after"] = "%.2f" % os.getloadavg()[0]
        save_record(version, record)
        if entry["ok"]:
            print("%s %s: built in %.0f s: %s" % (comp, version, entry["seconds"], entry["check"]), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
