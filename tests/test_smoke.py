"""The module is importable through Mercurial's own policy machinery."""
import os
import sys
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HG = os.path.join(sys.prefix, "bin", "hg")


def test_debuginstall_reports_rust_installed():
    env = dict(os.environ, HGRCPATH="")
    env.pop("HGMODULEPOLICY", None)
    out = subprocess.run([HG, "debuginstall"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout
    assert b"checking Rust extensions (installed)" in out
    assert b"checking module policy (rust+c-allow)" in out
