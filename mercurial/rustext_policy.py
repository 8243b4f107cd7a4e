"""`hg-rustext`: switch Mercurial's module policy between Rust and C.

Mercurial reads its policy from `mercurial/__modulepolicy__.py` (written by a
packager) unless `HGMODULEPOLICY` is set in the environment, which always wins.
This command rewrites that file for the Mercurial importable by this Python.
"""
import os
import sys

POLICIES = {"on": b"rust+c-allow", "off": b"c"}
HEADER = b"# written by hg-rustext\n"


def _policy_file():
    import mercurial

    return os.path.join(os.path.dirname(mercurial.__file__), "__modulepolicy__.py")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in ("on", "off", "status"):
        sys.stderr.write("usage: hg-rustext on|off|status\n")
        return 2
    path = _policy_file()
    if argv[0] == "status":
        from mercurial import policy

        sys.stdout.write("module policy: %s (%s)\n" % (policy.policy.decode(), path))
        return 0
    content = HEADER + b'modulepolicy = b"%s"\n' % POLICIES[argv[0]]
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(content)
    os.replace(tmp, path)
    sys.stdout.write("module policy set to %s\n" % POLICIES[argv[0]].decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
