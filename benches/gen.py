"""Deterministic benchmark working copies for `benches/run.py`.

A repository here looks like a source tree (8-40 files per directory, depth
up to 6, an `.hgignore`, an ignored `build/` tree, ignored object files and
`__pycache__` directories, a few unknown files), committed once with the C
oracle. Each size gives four repositories that share the same files:

    v1/      dirstate-v1, clean after commit (status lists only unknowns)
    v2/      the same, upgraded in place to dirstate-v2
    v1-mod/  v1 with 1% of tracked files modified, some deleted, added, removed
    v2-mod/  v1-mod upgraded to dirstate-v2

Generation is slow at large sizes (one `hg commit -A` of every file), so the
result is cached under `bench-data/` in a directory named after every
parameter that shapes it, and marked complete only at the very end. The
dirstate files of each repository are saved next to it so a benchmark session
can restore them if a previous run (of a buggy module, say) rewrote them.
"""
import hashlib
import os
import random
import shutil
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HG = os.path.join(ROOT, ".venv", "bin", "hg")
DATA = os.path.join(ROOT, "bench-data")

# Bump when the shape of generated trees changes, so stale caches are not reused.
GEN_VERSION = 1
MAX_DEPTH = 6
FILES_PER_DIR = (8, 40)
MODIFIED_FRACTION = 0.01

HGIGNORE = b"""\
syntax: glob
*.o
*.pyc
*.swp
build/

syntax: regexp
(?:^|/)__pycache__/
^out/.*\\.log$
"""

WORDS = (
    "core net util io fs db ui api auth cache conf crypto data dev doc "
    "drivers engine event ext gen graph http img index kernel lang lib log "
    "math media mem mod obj parse plat proto queue render rpc sched sdk "
    "server shell src store sync test text time tools trace types vendor "
    "view vm web widget worker xml zone"
).split()
EXTENSIONS = ((".c", 30), (".h", 20), (".py", 20), (".rs", 15), (".txt", 5), (".md", 5), (".json", 5))


def hg_env():
    """The oracle environment: Mercurial's C modules, no user configuration."""
    env = dict(os.environ, HGRCPATH="", HGPLAIN="1", HGUSER="bench <bench@example.com>")
    env["HGMODULEPOLICY"] = "c"
    return env


# From this many files on, generation runs its commit and settling statuses
# with our package instead of the C oracle: after the commit every file's
# mtime is unknown, so the settling status compares every file's content, and
# C did not finish that in 14 minutes at 1M files (ours decides them in
# parallel and writes the same dirstate, which the differential suites check).
# Smaller trees, the ones CI and the committed results use, stay C-made.
OURS_FROM = 500000


def ours_env():
    """The installed package with its defaults file, as a user runs it."""
    env = dict(os.environ, HGPLAIN="1", HGUSER="bench <bench@example.com>")
    env.pop("HGMODULEPOLICY", None)
    env["HGRCPATH"] = os.path.join(
        os.path.dirname(os.path.dirname(os.path.realpath(HG))),
        "lib",
        "python3.11",
        "site-packages",
        "mercurial",
        "defaultrc",
        "hg-rustext.rc",
    )
    if not os.path.isfile(env["HGRCPATH"]):
        raise SystemExit("gen.py: no %s: run ./setup.sh first" % env["HGRCPATH"])
    return env


def hg(args, cwd, quiet=True, ours=False):
    """Runs the C oracle (or, with `ours`, the installed package: see
    OURS_FROM); a generated tree never depends on an unchecked module."""
    cmd = [HG, "--config", "storage.dirstate-v2.slow-path=allow"] + args
    subprocess.run(
        cmd,
        cwd=cwd,
        env=ours_env() if ours else hg_env(),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def plan_tree(n_files, seed):
    """Returns [(dir, [file names])] with exactly `n_files` tracked files.

    Directories are expanded breadth-first with a branching factor chosen so
    that the tree reaches `n_files` at about MAX_DEPTH levels, as in a real
    source tree where most files live a few levels down.
    """
    rng = random.Random(seed)
    mean_files = sum(FILES_PER_DIR) / 2
    n_dirs = max(1, n_files / mean_files)
    branching = 1.5
    while sum(branching**d for d in range(MAX_DEPTH)) < n_dirs:
        branching += 0.1
    ext_names = [e for e, _ in EXTENSIONS]
    ext_weights = [w for _, w in EXTENSIONS]
    plan = []
    queue = [("", 0)]
    total = 0
    head = 0
    while total < n_files:
        if head == len(queue):
            # Every branch ended early: grow a fresh top-level directory.
            queue.append(("top%d" % len(queue), 1))
        path, depth = queue[head]
        head += 1
        count = min(rng.randint(*FILES_PER_DIR), n_files - total)
        names = []
        for i in range(count):
            ext = rng.choices(ext_names, ext_weights)[0]
            names.append("%s_%d%s" % (rng.choice(WORDS), i, ext))
        plan.append((path, names))
        total += count
        if depth < MAX_DEPTH:
            kids = rng.randint(1, max(1, int(round(2 * branching - 1))))
            for k in range(kids):
                name = "%s%d" % (rng.choice(WORDS), k)
                queue.append((path + "/" + name if path else name, depth + 1))
    return plan


def file_content(path, rng):
    """A few hundred bytes of text, different in every file."""
    lines = ["/* %s */" % path]
    for i in range(rng.randint(4, 30)):
        lines.append("line %d of %s: %08x" % (i, os.path.basename(path), rng.getrandbits(32)))
    return ("\n".join(lines) + "\n").encode()


def write_file(root, rel, data):
    full = os.path.join(root, rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as fp:
        fp.write(data)


def write_tree(root, n_files, seed):
    """Writes tracked files, ignored files and unknown files; returns tracked paths."""
    rng = random.Random(seed + 1)
    tracked = []
    write_file(root, ".hgignore", HGIGNORE)
    tracked.append(".hgignore")
    for d, names in plan_tree(n_files - 1, seed):
        has_py = False
        for name in names:
            rel = d + "/" + name if d else name
            write_file(root, rel, file_content(rel, rng))
            tracked.append(rel)
            if name.endswith(".c") and rng.random() < 0.2:
                write_file(root, rel[:-2] + ".o", b"\x7fELF object\n")
            has_py = has_py or name.endswith(".py")
        if has_py and rng.random() < 0.3:
            for i in range(rng.randint(2, 8)):
                write_file(root, (d + "/" if d else "") + "__pycache__/m%d.cpython-311.pyc" % i, b"pyc\n")
    # The ignored build tree: about 3% of the tracked count, which `hg status`
    # must not descend into.
    n_build = max(10, n_files * 3 // 100)
    for i in range(n_build):
        write_file(root, "build/obj%d/sub%d/out%d.o" % (i // 400, (i // 25) % 16, i), b"obj\n")
    # Unknown files: about 0.1% of the tracked count, scattered.
    for i in range(max(3, n_files // 1000)):
        d = rng.choice(tracked)
        write_file(root, os.path.join(os.path.dirname(d), "notes_%d.tmp" % i), b"unknown\n")
    write_file(root, "out/run.log", b"ignored by a regexp\n")
    return tracked


def modify(root, tracked, seed):
    """Applies the same pseudo-random changes to any copy of the committed tree:
    1% modified, 0.1% deleted from disk, 0.05% `hg remove`d, 0.05% new and added."""
    rng = random.Random(seed + 2)
    files = sorted(tracked)
    rng.shuffle(files)
    n = len(files)
    n_mod = max(1, int(n * MODIFIED_FRACTION))
    n_del = max(1, n // 1000)
    n_rm = max(1, n // 2000)
    modified = files[:n_mod]
    deleted = files[n_mod : n_mod + n_del]
    removed = files[n_mod + n_del : n_mod + n_del + n_rm]
    for rel in modified:
        with open(os.path.join(root, rel), "ab") as fp:
            fp.write(b"a change for the benchmark\n")
    for rel in deleted:
        os.unlink(os.path.join(root, rel))
    added = []
    for i in range(n_rm):
        rel = os.path.join(os.path.dirname(files[-1 - i]), "added_%d.c" % i)
        write_file(root, rel, b"/* new */\n")
        added.append(rel)
    hg(["remove", "--"] + removed, root)
    hg(["add", "--"] + added, root)


def copy_repo(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-a", src, dst], check=True)


def upgrade_to_v2(repo):
    hg(
        ["debugupgraderepo", "--run", "--no-backup", "--quiet", "--config", "format.use-dirstate-v2=yes"],
        repo,
    )


def settle(repo, ours=False):
    """One status so the dirstate records every clean file's mtime; without
    it the first timed run would compare every file's content."""
    hg(["status"], repo, ours=ours)


def dirstate_files(repo):
    hgdir = os.path.join(repo, ".hg")
    return sorted(f for f in os.listdir(hgdir) if f == "dirstate" or f.startswith("dirstate."))


def save_dirstate(repo):
    """Keeps a pristine copy of the dirstate (v2: docket and data file)."""
    saved = os.path.join(repo, ".hg", "bench-pristine")
    shutil.rmtree(saved, ignore_errors=True)
    os.makedirs(saved)
    for f in dirstate_files(repo):
        shutil.copy2(os.path.join(repo, ".hg", f), os.path.join(saved, f))


def dirstate_digest(repo):
    """Changes whenever a command rewrote the dirstate."""
    h = hashlib.sha1()
    for f in dirstate_files(repo):
        h.update(f.encode())
        with open(os.path.join(repo, ".hg", f), "rb") as fp:
            h.update(fp.read())
    return h.hexdigest()


def restore_dirstate(repo):
    """Puts the pristine dirstate back; returns True if it had been changed."""
    saved = os.path.join(repo, ".hg", "bench-pristine")
    want = sorted(os.listdir(saved))
    if want == dirstate_files(repo) and all(
        _same_file(os.path.join(saved, f), os.path.join(repo, ".hg", f)) for f in want
    ):
        return False
    for f in dirstate_files(repo):
        os.unlink(os.path.join(repo, ".hg", f))
    for f in want:
        shutil.copy2(os.path.join(saved, f), os.path.join(repo, ".hg", f))
    return True


def _same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def repo_set_dir(n_files, seed):
    return os.path.join(DATA, "tree-n%d-s%d-g%d" % (n_files, seed, GEN_VERSION))


def ensure_repos(n_files, seed, log=print):
    """Returns {'v1': path, 'v2': ..., 'v1-mod': ..., 'v2-mod': ...}, generating
    them if the cache lacks a complete set."""
    base = repo_set_dir(n_files, seed)
    paths = {k: os.path.join(base, k) for k in ("v1", "v2", "v1-mod", "v2-mod")}
    done = os.path.join(base, "complete")
    if os.path.exists(done):
        return paths
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    t0 = time.time()
    v1 = paths["v1"]
    os.makedirs(v1)
    hg(["init", "--config", "format.use-dirstate-v2=no"], v1)
    tracked = write_tree(v1, n_files, seed)
    log("  %d files written in %.0fs; committing (slow at large sizes)" % (len(tracked), time.time() - t0))
    # Tracked paths are known, so `add` them by list through a file instead of
    # letting addremove walk; one commit records them all.
    listfile = os.path.join(base, "tracked.lst")
    with open(listfile, "w") as fp:
        fp.write("\0".join(tracked))
    ours = n_files >= OURS_FROM
    hg(["add", "--quiet", "listfile0:" + listfile], v1, ours=ours)
    hg(["commit", "--quiet", "-m", "benchmark tree", "-d", "0 0"], v1, ours=ours)
    log("  committed in %.0fs" % (time.time() - t0))
    # mtimes must be in the past for the settling status to record them.
    time.sleep(1.5)
    settle(v1, ours=ours)
    log("  settled in %.0fs" % (time.time() - t0))
    copy_repo(v1, paths["v1-mod"])
    modify(paths["v1-mod"], tracked, seed)
    time.sleep(1.5)
    settle(paths["v1-mod"], ours=ours)
    # The v2 copies only differ in `.hg`: nothing below writes a working file,
    # so their working files are hard links (half the disk at 1M files).
    for src, dst in (("v1", "v2"), ("v1-mod", "v2-mod")):
        link_copy(paths[src], paths[dst])
        upgrade_to_v2(paths[dst])
        settle(paths[dst], ours=ours)
    for p in paths.values():
        save_dirstate(p)
    with open(done, "w") as fp:
        fp.write("generated in %.0fs\n" % (time.time() - t0))
    log("  generated in %.0fs" % (time.time() - t0))
    return paths


TOUCHED_CHANGES = 50


def touched_dir(n_files, seed):
    return os.path.join(DATA, "touched-n%d-s%d-g%d" % (n_files, seed, GEN_VERSION))


def ensure_touched(n_files, seed, log=print):
    """Returns {'v1': path, 'v2': path}: copies of the clean trees where every
    tracked file got a new mtime (as after `touch`, `cp -r`, a restored CI
    cache) and TOUCHED_CHANGES of them a new content of the same size, so
    the dirstate cannot tell any of them from clean and status must compare
    contents. The saved dirstate is the clean one: restoring it before a run
    makes every file unsure again."""
    clean = ensure_repos(n_files, seed, log)
    base = touched_dir(n_files, seed)
    paths = {fmt: os.path.join(base, fmt) for fmt in ("v1", "v2")}
    done = os.path.join(base, "complete")
    if os.path.exists(done):
        return paths
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    with open(os.path.join(repo_set_dir(n_files, seed), "tracked.lst")) as fp:
        tracked = sorted(fp.read().split("\0"))
    rng = random.Random(seed + 3)
    changed = rng.sample([t for t in tracked if t != ".hgignore"], TOUCHED_CHANGES)
    when = time.time() - 60
    for fmt, repo in paths.items():
        restore_dirstate(clean[fmt])
        copy_repo(clean[fmt], repo)
        for rel in changed:
            full = os.path.join(repo, rel)
            with open(full, "rb") as fp:
                data = bytearray(fp.read())
            data[-2] = ord("x") if data[-2] != ord("x") else ord("y")  # same size
            with open(full, "wb") as fp:
                fp.write(data)
        for rel in tracked:
            os.utime(os.path.join(repo, rel), (when, when), follow_symlinks=False)
        save_dirstate(repo)
    with open(done, "w") as fp:
        fp.write("touched at %d; changed: %s\n" % (when, " ".join(changed)))
    log("  touched copies made in %s" % base)
    return paths


def ensure_empty(fmt):
    """An empty repository: `hg status` there is Mercurial's fixed cost."""
    path = os.path.join(DATA, "empty-%s-g%d" % (fmt, GEN_VERSION))
    if not os.path.isdir(os.path.join(path, ".hg")):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        hg(["init", "--config", "format.use-dirstate-v2=%s" % ("yes" if fmt == "v2" else "no")], path)
        settle(path)
        save_dirstate(path)
    return path


# The watchman benchmark (`benches/run.py --commands watchman`, issue #13):
# `hg status` with Mercurial's fsmonitor extension on copies of the clean
# tree with this many files changed.
WATCHMAN_CHANGES = (0, 50, 5000)


def link_copy(src, dst):
    """A copy of a repository that costs almost no disk: the working files and
    `.hg/store` are hard links to `src`'s, everything else in `.hg` (dirstate,
    caches, the saved pristine dirstate) is copied. Safe for what the
    benchmarks do: status reads the working files, Mercurial breaks a hard
    link before it writes a file (its vfs checks the link count, dirstate and
    fsmonitor state are written to a new file and renamed), and the changes
    below replace a file instead of writing into it. Linking changes the
    source files' ctime (link count), which no dirstate records."""
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-al", src, dst], check=True)
    hgdir = os.path.join(dst, ".hg")
    for name in os.listdir(hgdir):
        if name == "store":
            continue
        path = os.path.join(hgdir, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
        subprocess.run(["cp", "-a", os.path.join(src, ".hg", name), path], check=True)


def watchman_dir(n_files, seed):
    return os.path.join(DATA, "watchman-n%d-s%d-g%d" % (n_files, seed, GEN_VERSION))


def ensure_watchman(n_files, seed, fmts, counts, log=print):
    """Returns {(fmt, count): path}: for each dirstate format and change
    count, a copy of the clean tree (`link_copy`) where `count` tracked files
    got a new content (a line appended: a new size, so the dirstate decides
    them without reading) as new files (the hard link to the clean tree
    broken). The files changed are the first `count` of one seeded shuffle,
    so the 50 changed files are among the 5,000. The saved pristine dirstate
    is the clean tree's; no `.hg/fsmonitor.state` is left in the copy."""
    clean = ensure_repos(n_files, seed, log)
    base = watchman_dir(n_files, seed)
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(repo_set_dir(n_files, seed), "tracked.lst")) as fp:
        tracked = sorted(fp.read().split("\0"))
    order = [t for t in tracked if t != ".hgignore"]
    random.Random(seed + 4).shuffle(order)
    paths = {}
    for fmt in fmts:
        for count in counts:
            repo = os.path.join(base, "%s-c%d" % (fmt, count))
            paths[(fmt, count)] = repo
            done = repo + ".complete"
            if os.path.exists(done):
                continue
            if count > len(order):
                raise ValueError("%d changes asked of a %d-file tree" % (count, len(order)))
            t0 = time.time()
            restore_dirstate(clean[fmt])
            link_copy(clean[fmt], repo)
            for rel in order[:count]:
                full = os.path.join(repo, rel)
                with open(full, "rb") as fp:
                    data = fp.read()
                os.unlink(full)  # never write through the hard link
                with open(full, "wb") as fp:
                    fp.write(data + b"a change for the watchman benchmark\n")
            state = os.path.join(repo, ".hg", "fsmonitor.state")
            if os.path.exists(state):
                os.unlink(state)
            save_dirstate(repo)
            with open(done, "w") as fp:
                fp.write("made in %.1fs; changed: %s\n" % (time.time() - t0, " ".join(order[:count])))
            log("  watchman copy %s (%d changes) made in %.0fs" % (repo, count, time.time() - t0))
    return paths


def ensure_watchman_empty(fmt):
    """A private copy of the empty repository for the fsmonitor variants'
    fixed cost: watched by the benchmark's watchman and given an
    `.hg/fsmonitor.state`, which the shared empty repository should not get."""
    src = ensure_empty(fmt)
    path = os.path.join(DATA, "watchman-empty-%s-g%d" % (fmt, GEN_VERSION))
    if not os.path.isdir(os.path.join(path, ".hg", "bench-pristine")):
        restore_dirstate(src)
        copy_repo(src, path)
    return path
