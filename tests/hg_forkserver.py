"""A pre-forking runner for `hg`: the same `dispatch.run()` as `.venv/bin/hg`,
without paying Python start-up and Mercurial's imports for every command.

Why: the differential tests run thousands of short hg commands on a 2-core
machine; a fresh interpreter costs more than most commands. The parent imports
Mercurial once (its module policy is fixed then, from HGMODULEPOLICY), and
forks one child per command. Each child is a fresh Mercurial process as far as
repository state goes: nothing is cached between commands, because the parent
never opens a repository and every child exits.

Protocol (one JSON object per line on stdin, one reply line on stdout):
    {"cwd": str, "args": [str], "out": path, "err": path}
    -> {"rc": int}
The child's stdout/stderr go to the given files; its stdin is /dev/null.
"""
import json
import os
import sys


def _preload():
    """Import what every command needs, so children start warm."""
    import hgdemandimport

    hgdemandimport.enable()
    from mercurial import dispatch  # noqa: F401

    # Touch modules that demandimport would otherwise load in every child.
    from mercurial import (  # noqa: F401
        commands,
        context,
        dirstate,
        dirstatemap,
        localrepo,
        match,
        merge,
        scmutil,
    )

    for mod in (commands, context, dirstate, dirstatemap, localrepo, match, merge, scmutil):
        getattr(mod, "__name__")
    return dispatch


def _child(dispatch, request):
    """Run one command in the forked child; never returns."""
    code = 255
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (devnull, out, err):
            os.close(fd)
        os.chdir(request["cwd"])
        sys.argv = ["hg"] + list(request["args"])
        # pycompat snapshots argv at import time; refresh it as a new
        # process would have it.
        from mercurial import pycompat

        pycompat.sysargv = [os.fsencode(a) for a in sys.argv]
        try:
            dispatch.run()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 255
        else:
            code = 0
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
    except BaseException as exc:  # report harness failures, do not hang
        try:
            os.write(2, ("forkserver child error: %r\n" % (exc,)).encode())
        except Exception:
            pass
        code = 254
    os._exit(code)


def main():
    dispatch = _preload()
    channel_in = os.fdopen(os.dup(0), "r")
    channel_out = os.fdopen(os.dup(1), "w")
    channel_out.write(json.dumps({"ready": True}) + "\n")
    channel_out.flush()
    for line in channel_in:
        if not line.strip():
            continue
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            channel_in.close()
            channel_out.close()
            _child(dispatch, request)
        _, status = os.waitpid(pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        channel_out.write(json.dumps({"rc": rc}) + "\n")
        channel_out.flush()


if __name__ == "__main__":
    main()
