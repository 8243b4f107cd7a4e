"""Random working copies for the differential `hg status` suite
(tests/test_status_diff.py).

Why a recorded list of operations instead of editing the tree directly: a
working copy is the replay of `Op` records (file-system edits with explicit
mtimes, and oracle hg commands), so the same records rebuild it for a
minimisation pass and print as a shell script that reproduces a mismatch
outside the test suite.

Everything is built on side "a" of an `hgdiff.Pair` with the C oracle only;
the suite copies side a to side b (`cp -a`, mtimes kept) before every query,
so each query starts from byte-identical repositories.
"""
import collections
import os
import random
import shutil
import subprocess

import hgdiff

# Names: plain, with spaces, unicode, and non-UTF-8 bytes (str paths carry
# those as surrogate escapes; the file system gets the raw bytes).
NON_UTF8_DIR = os.fsdecode(b"n\xe9")
NON_UTF8_FILE = os.fsdecode(b"\xff\xfe.bin")
DIRS = ["d1", "d2", "src", "lib", "sub dir", "\u00fc", NON_UTF8_DIR, "deep"]
FILES = ["a", "b", "c.txt", "x.o", "y.log", "README", "sp ace.c", "\u00e9.txt",
         "\u65e5\u672c.md", NON_UTF8_FILE, ".hidden", "m.py", "t~"]
TEXTS = [b"", b"one\n", b"two\n", b"".join(b"line %d\n" % i for i in range(12)),
         b"no newline", b"\x00binary\x01\x02"]

# .hgignore material: (weight, lines).
IGNORE_GLOB = ["*.o", "build/", "**/tmp", "d1/*.log", "sp ace*", "\u00e9*", "*.md",
               "t~", "deep/**/b", "[ab]", "src/*/c.txt", "\\#hash"]
IGNORE_RE = ["\\.log$", "^d2/", "(?:x|y)\\.tmp$", "^[^/]*\\.bak$", "^lib/.*/a$",
             "b$", "^src(?:/|$)", "\u00fc/", "c\\.t.t", "a{2,}", "\\d+\\.o$", "(?i:readme)"]
IGNORE_ROOTGLOB = ["*.txt", "d1/*", "lib/**.py"]
IGNORE_PREFIXED = ["glob:*.pyc", "re:^gen/", "path:out", "rootfilesin:d2", "relglob:*.swp",
                   "relre:~$", "rootglob:top*", "path:deep/sub dir", "rootfilesin:",
                   "glob:m.py", "re:" + "\u00e9"]
# Contents starting with the filelog metadata marker: stored escaped, so
# their sizes and hashes differ from the content's (the touched class).
META_TEXTS = [b"\x01\nmeta-like\n", b"\x01\n", b"\x01\ncopy: x\n\x01\nbody\n"]
# Share of working copies that get the touched class.
TOUCHED_SHARE = float(os.environ.get("STATUS_DIFF_TOUCHED_SHARE", "0.6"))
# Invalid for Python's re: Mercurial must abort (same message, same code).
# A global flag is invalid too: patterns are joined into one expression.
INVALID_REGEXPS = ["(unclosed", "a**", "[z-a]", "(?P<x>a)(?P<x>b)", "^(?i)readme"]
# Valid, but Python's re prints a FutureWarning while compiling it.
WARNING_REGEXPS = ["[[:alpha:]]x"]


class Op:
    """One recorded step: `kind` and its arguments; `shell` renders it."""

    def __init__(self, kind, *args):
        self.kind, self.args = kind, args

    def __repr__(self):
        return "Op%r" % ((self.kind,) + self.args,)


def shq(s):
    """Shell-quote a str path (surrogate escapes become raw bytes) or bytes."""
    b = os.fsencode(s) if isinstance(s, str) else s
    if b and all(c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=+,@%" for c in b):
        return b.decode()
    out = []
    for c in b:
        if 32 <= c < 127 and c not in b"'\\":
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "$'" + "".join(out) + "'"


def shprintf(data):
    """A `printf` command writing exactly `data` (NUL bytes included: a
    $'...' string cannot hold them)."""
    out = []
    for c in data:
        if 32 <= c < 127 and c not in b"'\\%":
            out.append(chr(c))
        elif c == ord("%"):
            out.append("%%")
        else:
            out.append("\\%03o" % c)
    return "printf '%s'" % "".join(out)


def op_shell(op):
    """The shell lines that perform `op` in the repository's root."""
    k, a = op.kind, op.args
    if k == "write":
        path, data, exe, mtime = a
        lines = []
        parent = os.path.dirname(path)
        if parent:
            lines.append("mkdir -p %s" % shq(parent))
        lines.append("rm -f %s; %s > %s" % (shq(path), shprintf(data), shq(path)))
        lines.append("chmod %s %s; touch -d @%d %s" % ("755" if exe else "644", shq(path), mtime, shq(path)))
        return lines
    if k == "symlink":
        path, target, mtime = a
        parent = os.path.dirname(path)
        return (["mkdir -p %s" % shq(parent)] if parent else []) + [
            "rm -f %s; ln -s %s %s; touch -h -d @%d %s" % (shq(path), shq(target), shq(path), mtime, shq(path))]
    if k == "chmod":
        return ["chmod %s %s" % ("755" if a[1] else "644", shq(a[0]))]
    if k == "touch":
        return ["touch -h -d @%d %s" % (a[1], shq(a[0]))]
    if k == "sneaky":
        path, data = a
        return ["m=$(stat -c %%Y %s); %s > %s; touch -d @$m %s" % (
            shq(path), shprintf(data), shq(path), shq(path))]
    if k == "delete":
        return ["rm -rf %s" % shq(a[0])]
    if k == "mkdir":
        return ["mkdir -p %s" % shq(a[0])]
    if k == "rename":
        return ["mv %s %s" % (shq(a[0]), shq(a[1]))]
    if k == "hg":
        return ["HGMODULEPOLICY=c $HG %s" % " ".join(shq(x) for x in a[0])]
    if k == "warm":
        impl, args = a
        pol = "HGMODULEPOLICY=c " if impl == hgdiff.ORACLE else ""
        return ["sleep 1  # the next status then sees every directory as older than its start",
                "%s$HG %s > /dev/null" % (pol, " ".join(shq(x) for x in args))]
    raise ValueError(k)


def apply(repo, op, log=None):
    """Perform `op` on `repo` (side a). Failing file-system edits are skipped
    (a minimisation pass may drop the step that made them possible)."""
    k, a = op.kind, op.args
    full = lambda p: os.path.join(repo, p)  # noqa: E731
    try:
        if k == "write":
            path, data, exe, mtime = a
            if os.path.lexists(full(path)) and not os.path.isdir(full(path)) or os.path.islink(full(path)):
                os.unlink(full(path))
            os.makedirs(os.path.dirname(full(path)), exist_ok=True)
            with open(full(path), "wb") as fh:
                fh.write(data)
            os.chmod(full(path), 0o755 if exe else 0o644)
            os.utime(full(path), (mtime, mtime))
        elif k == "symlink":
            path, target, mtime = a
            if os.path.lexists(full(path)) and (os.path.islink(full(path)) or not os.path.isdir(full(path))):
                os.unlink(full(path))
            os.makedirs(os.path.dirname(full(path)), exist_ok=True)
            os.symlink(target, full(path))
            os.utime(full(path), (mtime, mtime), follow_symlinks=False)
        elif k == "chmod":
            if os.path.isfile(full(a[0])) and not os.path.islink(full(a[0])):
                os.chmod(full(a[0]), 0o755 if a[1] else 0o644)
        elif k == "touch":
            os.utime(full(a[0]), (a[1], a[1]), follow_symlinks=False)
        elif k == "sneaky":
            path, data = a
            st = os.lstat(full(path))
            with open(full(path), "wb") as fh:
                fh.write(data)
            os.utime(full(path), ns=(st.st_atime_ns, st.st_mtime_ns))
        elif k == "delete":
            if os.path.islink(full(a[0])) or os.path.isfile(full(a[0])):
                os.unlink(full(a[0]))
            elif os.path.isdir(full(a[0])):
                shutil.rmtree(full(a[0]))
        elif k == "rename":
            os.rename(full(a[0]), full(a[1]))
        elif k == "mkdir":
            os.makedirs(full(a[0]), exist_ok=True)
        elif k == "hg":
            res = hgdiff.run_hg(hgdiff.ORACLE, repo, list(a[0]), "a")
            if log is not None:
                log.append((a[0], res.rc))
        elif k == "warm":
            impl, args = a
            hgdiff.wait_next_second()
            hgdiff.run_hg(impl, repo, list(args), "a")
        else:
            raise ValueError(k)
    except OSError:
        pass


class WorkingCopy:
    """A seeded random working copy: `ops` rebuild it; `symlinked_dirs`
    are tracked directories replaced by a symlink to a directory (the
    deliberate divergence class); `nested` are nested repositories;
    `pattern_files` name ignore/list files usable by -I/-X queries."""

    def __init__(self, seed, v2):
        self.seed, self.v2 = seed, v2
        self.rng = random.Random(seed * 2 + int(v2))
        self.ops = []
        self.mtime = hgdiff.MTIME_BASE
        self.tracked = set()
        self.tracked_dirs = set()
        self.symlinked_dirs = []
        self.nested = []
        self.pattern_files = {}
        self.invalid_ignore = False
        self.touched_class = False
        self.mutations = collections.Counter()

    # --- recording helpers (apply to side a immediately) -------------------
    def _do(self, repo, op):
        self.ops.append(op)
        apply(repo, op)

    def _next_mtime(self):
        self.mtime += 10
        return self.mtime

    def _blocked(self, repo, path):
        """Writing `path` would need a directory where a file or symlink is,
        or would replace a directory."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = os.path.join(repo, *parts[:i])
            if os.path.islink(prefix) or (os.path.lexists(prefix) and not os.path.isdir(prefix)):
                return True
            if os.path.isdir(os.path.join(prefix, ".hg")):
                return True
        full = os.path.join(repo, path)
        return os.path.isdir(full) and not os.path.islink(full)

    def _randpath(self, depth=None):
        if depth is None:
            depth = self.rng.choice([0, 1, 1, 2, 2, 3, 4])
        return "/".join([self.rng.choice(DIRS) for _ in range(depth)] + [self.rng.choice(FILES)])

    def _files(self, repo):
        found = []
        for dirpath, dirnames, filenames in os.walk(repo):
            if ".hg" in dirnames:
                dirnames.remove(".hg")
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                found.append(os.path.relpath(os.path.join(dirpath, name), repo))
        return sorted(found)

    def _dirs(self, repo):
        found = []
        for dirpath, dirnames, _ in os.walk(repo):
            if ".hg" in dirnames:
                dirnames.remove(".hg")
            for d in dirnames:
                if not os.path.islink(os.path.join(dirpath, d)):
                    found.append(os.path.relpath(os.path.join(dirpath, d), repo))
        return sorted(found)

    def write(self, repo, path, data=None, exe=None):
        if self._blocked(repo, path):
            return False
        if data is None:
            data = self.rng.choice(TEXTS)
        if exe is None:
            exe = self.rng.random() < 0.15
        self._do(repo, Op("write", path, data, exe, self._next_mtime()))
        return True

    def hg(self, repo, *args):
        self._do(repo, Op("hg", tuple(args)))

    # --- ignore files --------------------------------------------------------
    def ignore_text(self, allow_invalid=True):
        rng = self.rng
        lines = []
        if rng.random() < 0.3:
            lines.append("# a comment")
        for _ in range(rng.randint(1, 3)):
            section = rng.choice(["glob", "regexp", "rootglob", None])
            if section:
                lines.append("syntax: %s" % section)
            pool = {"glob": IGNORE_GLOB, "regexp": IGNORE_RE, "rootglob": IGNORE_ROOTGLOB,
                    None: IGNORE_GLOB if rng.random() < 0.5 else IGNORE_RE}[section]
            lines += rng.sample(pool, rng.randint(1, 3))
            if rng.random() < 0.5:
                lines += rng.sample(IGNORE_PREFIXED, rng.randint(1, 2))
            if rng.random() < 0.15:
                lines.append("")
        if rng.random() < 0.1:
            lines.append("syntax: bogus")
            lines.append("*.bogus")
        if rng.random() < 0.1:
            lines.append("*.ws   ")
        if allow_invalid and rng.random() < 0.06:
            lines.append("re:" + rng.choice(INVALID_REGEXPS))
            self.invalid_ignore = True
        if rng.random() < 0.02:
            lines.append("re:" + rng.choice(WARNING_REGEXPS))
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")

    def write_ignores(self, repo):
        text = self.ignore_text()
        extra = []
        if self.rng.random() < 0.35:
            # include: of another file at the root, present or missing
            name = self.rng.choice(["other.ignore", "missing.ignore"])
            extra.append("include:%s" % name)
            if name == "other.ignore":
                self.write(repo, name, self.ignore_text(allow_invalid=False), False)
                self.pattern_files["include"] = name
        if self.rng.random() < 0.35:
            d = self.rng.choice(["d1", "src", "sub dir", "deep"])
            name = "%s/.hgignore-sub" % d
            extra.append("subinclude:%s" % name)
            if self.rng.random() < 0.8 and self.write(repo, name, self.ignore_text(allow_invalid=False), False):
                self.pattern_files["subinclude"] = name
        if extra:
            text += ("\n".join(extra) + "\n").encode()
        self.write(repo, ".hgignore", text, False)

    # --- the working copy ---------------------------------------------------
    def build(self, pair):
        repo = pair.a
        rng = self.rng
        for _ in range(rng.randint(15, 40)):
            self.write(repo, self._randpath())
        for _ in range(rng.randint(0, 2)):
            path = self._randpath(rng.randint(0, 2))
            if not self._blocked(repo, path):
                target = rng.choice(["a", "../a", "nowhere", "d1/b"])
                self._do(repo, Op("symlink", path, target, self._next_mtime()))
        if rng.random() < 0.5:
            self.write_ignores(repo)
        self.hg(repo, "add", "-q")
        self.hg(repo, "commit", "-q", "-m", "base")
        files = self._files(repo)
        self.tracked = set(files)  # approximate: ignored ones are not
        self.tracked_dirs = set(self._dirs(repo))
        if rng.random() < 0.5:
            # Record mtimes (and, v2 + ours, directory mtimes) before changes.
            impl = rng.choice([hgdiff.ORACLE, hgdiff.OURS])
            self._do(repo, Op("warm", impl, ("status", "-A")))
        ops = [
            (5, self.m_content_same_size), (5, self.m_content_resize), (2, self.m_chmod),
            (3, self.m_touch), (2, self.m_sneaky), (3, self.m_delete), (4, self.m_new_file),
            (2, self.m_hg_add), (2, self.m_hg_rm), (1, self.m_hg_forget), (2, self.m_hg_cp),
            (2, self.m_hg_mv), (2, self.m_symlink), (1, self.m_file_to_symlink),
            (1, self.m_symlink_to_file), (1, self.m_file_to_dir), (1, self.m_dir_to_file),
            (2, self.m_dir_to_symlink), (1, self.m_nested_repo), (2, self.m_ignores),
        ]
        population = [op for weight, op in ops for _ in range(weight)]
        for _ in range(rng.randint(6, 24)):
            mutation = rng.choice(population)
            self.mutations[mutation.__name__[2:]] += 1
            mutation(repo)
        # Files for listfile:/listfile0: queries (unknown files, part of the tree).
        cand = self._files(repo)
        pick = rng.sample(cand, min(len(cand), 3))
        self.write(repo, "pats/list", b"".join(os.fsencode(p) + b"\n" for p in pick) + b"glob:*.o\n", False)
        self.write(repo, "pats/list0", b"\0".join(os.fsencode(p) for p in pick), False)
        self.write(repo, "pats/inc", b"syntax: glob\n*.txt\nre:^d1/\n", False)
        # subinclude: reached through include: (a subinclude: given on the
        # command line makes Mercurial itself assert: relative root).
        self.write(repo, "pats/subinc", b"subinclude:../d1/subinc\nREADME\n", False)
        self.write(repo, "d1/subinc", b"a\nglob:*.o\n", False)
        self.pattern_files.setdefault("include", "pats/inc")
        self.pattern_files.setdefault("subinclude", "d1/subinc")
        self.pattern_files["include-subinclude"] = "pats/subinc"
        # Last, so that the working copies above stay those of earlier
        # versions of this suite for the same seed.
        if rng.random() < TOUCHED_SHARE:
            self.touched(repo)

    # --- the touched class (issue #11) ----------------------------------------
    def touched(self, repo):
        """Files that keep their size but get a new mtime (`touch`, `cp -r`,
        a restored cache), which status hands to `_checklookup`: first a
        history worth comparing against (contents starting with the
        metadata marker, copies and renames with equal content, committed),
        then touched files, some of them changed without changing size,
        exec bits flipped, symlinks retargeted to a same-length target."""
        rng = self.rng
        self.touched_class = True
        for _ in range(rng.randint(0, 3)):
            path = self._randpath(rng.randint(0, 1))
            if not os.path.lexists(os.path.join(repo, path)) and self.write(
                    repo, path, rng.choice(META_TEXTS), rng.random() < 0.2):
                self.hg(repo, "add", path)
                self.tracked.add(path)
        for verb in ("cp", "mv"):
            if rng.random() < 0.6:
                self._copy_or_move(repo, verb)
        self.hg(repo, "commit", "-q", "-m", "touched base")
        self.mutations["touched commit"] += 1
        if rng.random() < 0.5:
            self._do(repo, Op("warm", rng.choice([hgdiff.ORACLE, hgdiff.OURS]), ("status", "-A")))
        files = [f for f in sorted(self.tracked)
                 if os.path.lexists(os.path.join(repo, f)) and not self._blocked_parent(repo, f)
                 and not os.path.isdir(os.path.join(repo, f))]
        if not files:
            return
        chosen = files if rng.random() < 0.5 else rng.sample(files, rng.randint(1, len(files)))
        self.mutations["touched all" if chosen is files else "touched some"] += 1
        mtime = self._next_mtime()
        for f in chosen:
            self._do(repo, Op("touch", f, mtime))
        for f in rng.sample(chosen, min(len(chosen), rng.randint(0, 4))):
            full = os.path.join(repo, f)
            if os.path.islink(full):
                target = os.readlink(full)
                new = (target[:-1] + ("x" if target[-1:] != "x" else "y")) if target else "z"
                self._do(repo, Op("symlink", f, new, self._next_mtime()))
                self.mutations["touched symlink retarget"] += 1
                continue
            with open(full, "rb") as fh:
                data = fh.read()
            kind = rng.choice(["same size", "same size", "exec flip", "marker"])
            exe = os.access(full, os.X_OK)
            if kind == "exec flip":
                self._do(repo, Op("chmod", f, not exe))
                self._do(repo, Op("touch", f, self._next_mtime()))
            elif kind == "marker" and len(data) >= 2:
                self.write(repo, f, b"\x01\n" + data[2:], exe)
            else:
                new = bytes(reversed(data)) if data != data[::-1] else bytes((c ^ 1) for c in data)
                self.write(repo, f, new, exe)
            self.mutations["touched " + kind] += 1

    def tracked_file(self, repo, regular=True, content=False):
        """A tracked path that exists; `content`: one whose bytes may be
        scrambled (not an ignore or pattern file: garbage patterns would
        make nearly every query fail the same way)."""
        cand = [f for f in sorted(self.tracked)
                if not (content and ("hgignore" in f or f.endswith((".ignore", "subinc"))
                                     or f.startswith("pats/")))]
        cand = [f for f in cand
                if os.path.lexists(os.path.join(repo, f)) and not self._blocked_parent(repo, f)
                and (not regular or (os.path.isfile(os.path.join(repo, f))
                                     and not os.path.islink(os.path.join(repo, f))))]
        return self.rng.choice(cand) if cand else None

    def _blocked_parent(self, repo, path):
        return self._blocked(repo, path) and not os.path.isdir(os.path.join(repo, path))

    # --- mutations ----------------------------------------------------------
    def m_content_same_size(self, repo):
        f = self.tracked_file(repo, content=True)
        if f:
            with open(os.path.join(repo, f), "rb") as fh:
                data = fh.read()
            new = bytes(reversed(data)) if data and data != data[::-1] else (b"X" * len(data))
            self.write(repo, f, new, os.access(os.path.join(repo, f), os.X_OK))

    def m_content_resize(self, repo):
        f = self.tracked_file(repo)
        if f:
            self.write(repo, f, self.rng.choice(TEXTS) + b"more\n")

    def m_chmod(self, repo):
        f = self.tracked_file(repo)
        if f:
            self._do(repo, Op("chmod", f, not os.access(os.path.join(repo, f), os.X_OK)))

    def m_touch(self, repo):
        f = self.tracked_file(repo, regular=False)
        if f:
            self._do(repo, Op("touch", f, self._next_mtime()))

    def m_sneaky(self, repo):
        """Same size, same mtime, other content: status trusts the dirstate."""
        f = self.tracked_file(repo, content=True)
        if f:
            with open(os.path.join(repo, f), "rb") as fh:
                data = fh.read()
            if data:
                self._do(repo, Op("sneaky", f, bytes((c + 1) % 256 for c in data)))

    def m_delete(self, repo):
        files = self._files(repo)
        if files:
            self._do(repo, Op("delete", self.rng.choice(files)))

    def m_new_file(self, repo):
        path = self._randpath()
        if self.rng.random() < 0.3:
            path = self.rng.choice(["build/out.o", "tmp/x", "gen/y", "d1/z.log", "q.bak", "top1",
                                    "x.tmp", "out/o", "README", "a.swp", "#hash"])
        if not os.path.lexists(os.path.join(repo, path)):
            self.write(repo, path)

    def m_hg_add(self, repo):
        files = [f for f in self._files(repo) if f not in self.tracked]
        if files and self.rng.random() < 0.8:
            f = self.rng.choice(files)
            self.hg(repo, "add", f)
            self.tracked.add(f)
        else:
            self.hg(repo, "add", "-q")
            self.tracked.update(self._files(repo))

    def m_hg_rm(self, repo):
        f = self.tracked_file(repo, regular=False) or self.rng.choice(sorted(self.tracked) or ["a"])
        self.hg(repo, "rm", *self.rng.choice([[], ["-A"], ["-f"]]), f)

    def m_hg_forget(self, repo):
        if self.tracked:
            f = self.rng.choice(sorted(self.tracked))
            self.hg(repo, "forget", f)
            self.tracked.discard(f)

    def _copy_or_move(self, repo, verb):
        src = self.tracked_file(repo, regular=False)
        if not src:
            return
        dst = self._randpath(self.rng.randint(0, 2))
        if self._blocked(repo, dst) or os.path.lexists(os.path.join(repo, dst)):
            return
        self.hg(repo, verb, src, dst)
        self.tracked.add(dst)
        if verb == "mv":
            self.tracked.discard(src)
        # hg wrote dst "now": give it an explicit mtime (stays an added file)
        if os.path.lexists(os.path.join(repo, dst)):
            self._do(repo, Op("touch", dst, self._next_mtime()))

    def m_hg_cp(self, repo):
        self._copy_or_move(repo, "cp")

    def m_hg_mv(self, repo):
        self._copy_or_move(repo, "mv")

    def m_symlink(self, repo):
        path = self._randpath(self.rng.randint(0, 2))
        if self._blocked(repo, path) or os.path.lexists(os.path.join(repo, path)):
            return
        depth = path.count("/")
        target = "../" * depth + self.rng.choice(sorted(self.tracked) or ["a"]) if self.rng.random() < 0.6 \
            else self.rng.choice(["nowhere", "../../out", "d1", "."])
        self._do(repo, Op("symlink", path, target, self._next_mtime()))

    def m_file_to_symlink(self, repo):
        f = self.tracked_file(repo)
        if f:
            self._do(repo, Op("symlink", f, self.rng.choice(["a", "nowhere", "c.txt"]), self._next_mtime()))

    def m_symlink_to_file(self, repo):
        links = [f for f in sorted(self.tracked) if os.path.islink(os.path.join(repo, f))
                 and not self._blocked_parent(repo, f)]
        if links:
            f = self.rng.choice(links)
            self._do(repo, Op("delete", f))
            self.write(repo, f)

    def m_file_to_dir(self, repo):
        f = self.tracked_file(repo, regular=False)
        if f:
            self._do(repo, Op("delete", f))
            self.write(repo, f + "/" + self.rng.choice(FILES))

    def _tracked_dir(self, repo):
        cand = [d for d in sorted(self.tracked_dirs)
                if os.path.isdir(os.path.join(repo, d)) and not os.path.islink(os.path.join(repo, d))
                and not self._blocked_parent(repo, d)
                and not any(d == s or d.startswith(s + "/") for s in self.nested)]
        return self.rng.choice(cand) if cand else None

    def m_dir_to_file(self, repo):
        d = self._tracked_dir(repo)
        if d:
            self._do(repo, Op("delete", d))
            self.write(repo, d)

    def m_dir_to_symlink(self, repo):
        """A tracked directory replaced by a symlink to a directory (the
        issue6335 class): moved aside and linked, or linked elsewhere."""
        d = self._tracked_dir(repo)
        if not d:
            return
        if self.rng.random() < 0.6:
            aside = d + ".real"
            if os.path.lexists(os.path.join(repo, aside)):
                return
            self._do(repo, Op("rename", d, aside))
            target = os.path.basename(aside)
        else:
            others = [o for o in self._dirs(repo) if o != d and not o.startswith(d + "/")]
            if not others:
                return
            self._do(repo, Op("delete", d))
            target = os.path.relpath(self.rng.choice(others), os.path.dirname(d) or ".")
        self._do(repo, Op("symlink", d, target, self._next_mtime()))

    def m_nested_repo(self, repo):
        if self.rng.random() < 0.7:
            d = self.rng.choice(["nested", "d1/inner", "sub dir/r"])
            if self._blocked(repo, d + "/f") or os.path.lexists(os.path.join(repo, d)):
                return
        else:
            d = self._tracked_dir(repo)  # tracked files end up inside it
            if not d:
                return
        self.hg(repo, "init", d)
        self.nested.append(d)
        self.write(repo, d + "/f")

    def m_ignores(self, repo):
        self.write_ignores(repo)

    # --- what queries and expectations need ---------------------------------
    def existing_dirs(self, repo):
        return [d for d in self._dirs(repo) if not any(d == n or d.startswith(n + "/") for n in self.nested)]

    def files_now(self, repo):
        return self._files(repo)

    def symlinked_tracked_dirs(self, repo, tracked):
        """Symlinks (to directories) standing where tracked files have
        their parent directory."""
        out = set()
        for f in tracked:
            parts = f.split("/")
            for i in range(1, len(parts)):
                prefix = "/".join(parts[:i])
                full = os.path.join(repo, prefix)
                if os.path.islink(full):
                    if os.path.isdir(full):
                        out.add(prefix)
                    break
                if not os.path.isdir(full):
                    break
        return sorted(out)


def copy_tree(src, dst):
    """`cp -a`: mtimes (to the nanosecond), modes and symlinks kept."""
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-a", src, dst], check=True)
