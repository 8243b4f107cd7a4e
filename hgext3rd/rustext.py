"""decide the files status is unsure about in Rust, in parallel (hg-rustext)

When files keep their size but get a new mtime (after ``touch``, ``cp -r``,
a restored CI cache), ``hg status`` cannot tell from the dirstate whether
they changed, and Mercurial compares each one with the working directory's
parent in Python, one after the other (``workingctx._checklookup``). With
this extension, hg-rustext's Rust module (``mercurial.rustext``) makes that
comparison on all cores, with the same answers, and Mercurial records the
clean files in the dirstate exactly as it would have.

It also serves Mercurial's ``fsmonitor`` extension: while fsmonitor is
active, the Rust status asks watchman (natively, over its socket) which
paths changed since the clock in ``.hg/fsmonitor.state`` and looks only at
those and at the dirstate entries not known clean, as fsmonitor's walk
does; fsmonitor still records the state. (Without this, the Rust status
path would bypass fsmonitor and walk the whole tree.)

Under ``chg``, the command server parses the dirstate of a repository
after each command that used it, in a background thread, and the next
command's forked worker takes that map instead of parsing the file again
when (and only when) the bytes it reads are the ones the map was parsed
from. The server keeps the maps of the four repositories used most
recently; a repository new to a full set gets in on its second command
within four, so a server serving more repositories in turn does not parse
a map per command that is dropped unused. ``[rustext] chg-preload-repos =
N`` keeps N (0 turns it off).

It is enabled by hg-rustext's defaults file (``[extensions] rustext =`` in
``mercurial/defaultrc/hg-rustext.rc``, read when ``HGRCPATH`` is unset);
disable it with ``--config extensions.rustext=!`` or the same line in an
hgrc.

Mercurial's own code decides (for all files, or for the files concerned)
whenever the Rust comparison could differ from it: another Mercurial version
than 6.9, 7.0, 7.1 or 7.2; the Rust module not in use (module policy ``c``);
encode/decode filters; the eol, keyword, largefiles, lfs, narrow or
remotefilelog extensions, or one that wraps the functions this comparison
reproduces; narrow, lfs or largefiles repositories and any repository format
the Rust store reader does not know; subrepositories; file systems without
exec bits or symlinks; while the dirstate parents are being changed; and, file
by file, revisions Rust does not read (censored, external, ...) or paths
Mercurial's path auditor refuses.
"""

import os

from mercurial import context, extensions, filelog, localrepo, registrar, repocache, txnutil, util
from mercurial import dirstate as dirstatemod
from mercurial import dirstatemap as dirstatemapmod

testedwith = b"6.9.5 7.0.3 7.1.2 7.2.4"
minimumhgversion = b"6.9"

# Mercurial versions whose `_checklookup`, `basefilectx.cmp`,
# `filelog.size`/`cmp` and `filedataequivalent` the Rust side reproduces
# (hg-core/src/lookup/, hg-cpython/src/hg_contract.rs).
SUPPORTED_VERSIONS = {(6, 9), (7, 0), (7, 1), (7, 2)}

# Extensions that transform working-copy data, store file contents
# elsewhere, or change how files compare: their users get Mercurial's code.
TRANSFORMING_EXTENSIONS = (
    b"eol",
    b"keyword",
    b"largefiles",
    b"lfs",
    b"narrow",
    b"remotefilelog",
    b"win32text",
)

# Requirements whose repositories Mercurial compares differently (the Rust
# side refuses them too, and every requirement it does not know).
REFUSED_REQUIREMENTS = (b"narrowhg-experimental", b"lfs", b"largefiles")

TRACE = "RUSTEXT_STATUS_TRACE"

configtable = {}
configitem = registrar.configitem(configtable)
configitem(b"rustext", b"chg-preload-repos", default=4)


def _version():
    return util.versiontuple(n=2)


def _trace(message, topic=b"lookup fallback"):
    if os.environ.get(TRACE):
        os.write(2, b"rustext-status: %s: %s\n" % (topic, message))


def _pristine(owner, name):
    """Whether `owner.name` is Mercurial's own function: not wrapped by an
    extension (`extensions.wrapfunction` marks wrappers with `_origfunc`)
    and defined in a `mercurial` module."""
    func = getattr(owner, name, None)
    if func is None or getattr(func, "_origfunc", None) is not None:
        return False
    module = getattr(func, "__module__", None) or ""
    return module.startswith("mercurial.")


def _wrapped_functions(repo):
    """The functions whose behaviour the Rust comparison reproduces that an
    extension replaced, if any (as a name)."""
    checks = [
        (context.basefilectx, "cmp"),
        (context.filectx, "cmp"),
        (context.filectx, "size"),
        (context.workingfilectx, "cmp"),
        (context.workingfilectx, "size"),
        (context.workingfilectx, "data"),
        (context.workingfilectx, "lstat"),
        (context.workingctx, "flags"),
        (filelog.filelog, "cmp"),
        (filelog.filelog, "size"),
        (filelog.filelog, "read"),
        (filelog.filelog, "renamed"),
        (dirstatemod.dirstate, "flagfunc"),
        (type(repo), "wread"),
        (type(repo), "file"),
    ]
    for owner, name in checks:
        if not _pristine(owner, name):
            return "%s.%s" % (getattr(owner, "__name__", owner), name)
    storage = getattr(localrepo, "revlogfilestorage", localrepo.localrepository)
    if type(repo).file is not storage.file:
        return "repo.file"
    if type(repo).wread is not localrepo.localrepository.wread:
        return "repo.wread"
    return None


def _refusal(wctx):
    """Why Mercurial's own `_checklookup` must decide every file, or None."""
    repo = wctx._repo
    rustmod = dirstatemod.rustmod
    if rustmod is None or not hasattr(rustmod, "check_lookup"):
        return b"the Rust dirstate module is not in use"
    dirstate = repo.dirstate
    if dirstate.is_changing_parents:
        return b"dirstate parents are changing"
    if repo.currenttransaction() is not None or txnutil.mayhavepending(repo.root):
        # Mercurial may then read pending revlog data (`.a`, `.s` files).
        return b"a transaction is open or pending"
    if repo._encodefilterpats or repo._decodefilterpats:
        return b"encode/decode filters"
    for name in TRANSFORMING_EXTENSIONS:
        try:
            extensions.find(name)
        except KeyError:
            continue
        return b"extension %s" % name
    for name in REFUSED_REQUIREMENTS:
        if name in repo.requirements:
            return b"requirement %s" % name
    if b".hgsub" in wctx:
        return b"subrepositories"
    if not (dirstate._checklink and dirstate._checkexec):
        return b"no exec bit or symlink support"
    wrapped = _wrapped_functions(repo)
    if wrapped:
        return b"%s is wrapped" % wrapped.encode()
    return None


def _checklookup(orig, self, files, mtime_boundary, *args, **kwargs):
    if not files or args or kwargs:
        return orig(self, files, mtime_boundary, *args, **kwargs)
    why = _refusal(self)
    result = None
    if why is None:
        rustmod = dirstatemod.rustmod
        try:
            result = rustmod.check_lookup(
                self._repo.root,
                self._parents[0].node(),
                list(files),
                mtime_boundary,
            )
        except Exception as exc:  # anything unexpected: Mercurial decides
            why = (b"%s" % type(exc).__name__.encode()) + b": " + str(exc).encode(
                "utf-8", "backslashreplace"
            )
    if result is None:
        _trace(why)
        return orig(self, files, mtime_boundary)
    modified, deleted, clean, fixup, undecided = result
    if undecided:
        m2, d2, c2, f2 = orig(self, undecided, mtime_boundary)
        # Both halves are sorted; so is what `_checklookup` returns.
        modified = sorted(modified + m2)
        deleted = sorted(deleted + d2)
        clean = sorted(clean + c2)
        fixup = sorted(list(fixup) + f2, key=lambda item: item[0])
    return modified, deleted, clean, fixup


def _bulk_fixup_refusal(dirstate):
    """Why the fix-ups must go through `dirstate.set_clean` one by one."""
    if dirstate.is_changing_parents:
        return "parents are changing"  # Mercurial calls update_file then
    if not (dirstate.is_changing_files or dirstate._running_status > 0):
        return "outside running_status"  # set_clean raises then
    if dirstate._invalidated_context:
        return "invalidated dirstate"
    if type(dirstate).set_clean is not dirstatemod.dirstate.set_clean or "set_clean" in vars(dirstate):
        return "dirstate.set_clean is replaced"
    if not _pristine(dirstatemod.dirstate, "set_clean"):
        return "dirstate.set_clean is wrapped"
    dmap = dirstate._map
    if "set_clean" in vars(dmap) or not _pristine(type(dmap), "set_clean"):
        return "dirstatemap.set_clean is replaced"
    if not hasattr(getattr(dmap, "_map", None), "set_clean_all"):
        return "not our dirstate map"
    return None


def _poststatusfixup(orig, self, status, fixup, *args, **kwargs):
    """Records the clean files in one Rust call instead of one
    `dirstate.set_clean` call per file (what `_poststatusfixup` does), then
    lets Mercurial's `_poststatusfixup` write the dirstate as usual."""
    if not fixup or args or kwargs or _version() not in SUPPORTED_VERSIONS:
        return orig(self, status, fixup, *args, **kwargs)
    dirstate = self._repo.dirstate
    why = _bulk_fixup_refusal(dirstate)
    if why is None:
        try:
            dirstate._map._map.set_clean_all(fixup)
        except Exception as exc:  # nothing was changed: Mercurial's loop
            why = "%s: %s" % (type(exc).__name__, exc)
        else:
            dirstate._dirty = True
            return orig(self, status, [])
    _trace(b"fixup one by one: " + why.encode("utf-8", "backslashreplace"))
    return orig(self, status, fixup)


def _fsmonitor_active(dirstate):
    """fsmonitor replaced this dirstate's walk and has not turned it off for
    this call (its paranoid mode's second run)."""
    return getattr(dirstate, "_fsmonitorstate", None) is not None and not getattr(
        dirstate, "_fsmonitordisable", False
    )


def _fsmonitor():
    try:
        return extensions.find(b"fsmonitor")
    except KeyError:
        return None


def _watchman_refusal(dirstate, matcher):
    """Why this status cannot be answered natively from watchman's paths
    (Mercurial's status with fsmonitor's walk answers it then), or None."""
    rustmod = dirstatemod.rustmod
    if not hasattr(rustmod, "watchman_status_request"):
        return "the Rust module has no watchman client"
    fsmonitor = _fsmonitor()
    if fsmonitor is None or not hasattr(fsmonitor, "_hashignore"):
        return "fsmonitor is not the extension we know"
    if getattr(dirstate, "_sparsematchfn", None) is not None:
        return "sparse working copy"
    if not matcher.always():
        return "not every file is asked for"
    client = getattr(dirstate, "_watchmanclient", None)
    if client is None or not client.available():
        return "fsmonitor's watchman client is unavailable"
    if not _pristine(dirstatemod.dirstate, "_ignorefiles"):
        return "dirstate._ignorefiles is wrapped"
    return None


def _socket_of(client):
    """The socket path pywatchman resolved for fsmonitor in this process
    (Mercurial's `watchmanclient.client` holds a `pywatchman.client`), so
    that Rust need not run `watchman get-sockname` again."""
    path = getattr(getattr(client, "_watchmanclient", None), "sockpath", None)
    if isinstance(path, str):
        path = os.fsencode(path)
    return path if isinstance(path, bytes) and path else None


def _rust_status(orig, self, matcher, list_clean, list_ignored, list_unknown, *args, **kwargs):
    """Mercurial's `fsmonitor` extension replaces `dirstate.walk` with a
    watchman query, but `dirstate.status` takes the Rust path whenever a
    Rust module is present, and that path never calls `walk`. While
    fsmonitor is active, this does fsmonitor's part natively: it reads
    fsmonitor's state (clock, ignore hash, notable files) as fsmonitor's
    walk does, has the Rust status ask watchman for the paths changed since
    that clock and decide only those (plus the dirstate entries not known
    clean), and records watchman's new clock for fsmonitor's `poststatus`,
    which writes `.hg/fsmonitor.state` as usual.

    Where fsmonitor would walk the whole working copy (clean or ignored
    files listed, traversed directories wanted, no clock, changed ignore
    rules, a fresh watchman instance, a nested repository reported), the
    Rust walk answers. Where this cannot reproduce fsmonitor (other
    matchers, sparse, a failed watchman query), `FallbackError` hands the
    call to Mercurial's status with fsmonitor's walk and warnings."""
    if not _fsmonitor_active(self):
        return orig(self, matcher, list_clean, list_ignored, list_unknown, *args, **kwargs)
    rustmod = dirstatemod.rustmod

    def run():
        """Mercurial's `_rust_status`, in fsmonitor's place: the ignore
        files are read by Python's `dirstate._ignore` first, as fsmonitor's
        walk and `poststatus` read them (with their warnings, which the
        Rust status then leaves out), and an unreadable directory leaves the
        call to fsmonitor's own walk (see `status_under_fsmonitor`)."""
        if list_unknown or list_ignored:
            self._ignore
        rustmod.status_under_fsmonitor()
        try:
            return orig(self, matcher, list_clean, list_ignored, list_unknown, *args, **kwargs)
        finally:
            answer[0] = rustmod.watchman_status_answer()

    answer = [None]

    def walk(why):
        _trace(b"fsmonitor would walk (%s): the Rust walk" % why, b"fsmonitor")
        return run()

    if not hasattr(rustmod, "status_under_fsmonitor"):
        return orig(self, matcher, list_clean, list_ignored, list_unknown, *args, **kwargs)
    if list_clean or list_ignored or matcher.traversedir is not None:
        return walk(b"clean or ignored files or directories are listed")
    why = _watchman_refusal(self, matcher)
    if why is not None:
        _trace(b"fsmonitor is active: Mercurial's status with watchman (%s)" % why.encode(), b"fsmonitor")
        raise rustmod.FallbackError("fsmonitor is active: %s" % why)
    state = self._fsmonitorstate
    clock, ignorehash, notefiles = state.get()
    if not clock:
        return walk(b"no clock")
    if list_unknown and _fsmonitor()._hashignore(self._ignore) != ignorehash:
        return walk(b"ignore rules changed")
    exe = self._ui.configpath(b"fsmonitor", b"watchman_exe") or b"watchman"
    rustmod.watchman_status_request(
        clock,
        list(notefiles),
        _socket_of(self._watchmanclient),
        exe,
        float(state.timeout),
        bool(state.walk_on_invalidate),
    )
    result = run()
    if answer[0] is not None:
        newclock, fresh, route = answer[0]
        state.setlastclock(newclock)
        if fresh and state.walk_on_invalidate:
            state.invalidate()
        _trace(route.encode(), b"fsmonitor")
    return result


def _preload_dirstate(orig, self, path, *args, **kwargs):
    """The command server (chg) is told a repository's root when a worker's
    command closes it (`commandserver.unixforkingservice._handlemainipc`);
    besides Mercurial's own repository cache, have the Rust module parse
    that repository's dirstate now, for the next workers."""
    result = orig(self, path, *args, **kwargs)
    rustmod = dirstatemod.rustmod
    ui = getattr(self, "_ui", None)
    if not args and not kwargs and isinstance(path, bytes) and hasattr(rustmod, "preload_dirstate") and ui:
        keep = ui.configint(b"rustext", b"chg-preload-repos")
        rustmod.preload_dirstate(path, max(keep, 0))
        _trace(path, b"chg preload")
    return result


def _read_v2_data_once(orig, self):
    """Mercurial 6.9's `_read_v2_data` retries a read of the dirstate-v2
    data file that raced with a writer, but its loop has no `break`: it
    reads the whole file `V2_MAX_READ_ATTEMPTS` (5) times even when the
    first read succeeded (26 MB each at 260k files; 7.0 returns at once).
    Read it once; on a race, re-read the docket as Mercurial does, and if
    the race outlasts the attempts, let Mercurial's own loop decide."""
    for _attempt in range(dirstatemapmod.V2_MAX_READ_ATTEMPTS):
        try:
            return self._opener.read(self.docket.data_filename())
        except FileNotFoundError:
            self._docket = None  # a writer replaced it: read the docket again
    return orig(self)


def extsetup(ui):
    if _version() not in SUPPORTED_VERSIONS:
        ui.debug(b"rustext: Mercurial %s not supported, not enabled\n" % util.version())
        return
    extensions.wrapfunction(context.workingctx, "_checklookup", _checklookup)
    extensions.wrapfunction(context.workingctx, "_poststatusfixup", _poststatusfixup)
    common = getattr(dirstatemapmod, "_dirstatemapcommon", None)
    if (
        _version() == (6, 9)
        and isinstance(getattr(dirstatemapmod, "V2_MAX_READ_ATTEMPTS", None), int)
        and common is not None
        and _pristine(common, "_read_v2_data")
    ):
        extensions.wrapfunction(common, "_read_v2_data", _read_v2_data_once)
    if _pristine(repocache.repoloader, "load"):
        extensions.wrapfunction(repocache.repoloader, "load", _preload_dirstate)
    if hasattr(dirstatemod.dirstate, "_rust_status"):
        extensions.wrapfunction(dirstatemod.dirstate, "_rust_status", _rust_status)
