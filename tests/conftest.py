"""Session-wide pytest hooks for tests/.

Why: some suites count what they compared (e.g. how many status calls ran
natively or fell back) and that summary must be visible without `-s`. A test
module opts in by defining `terminal_summary_lines()`, returning lines to
print at the end of the run.
"""
import sys


def pytest_terminal_summary(terminalreporter):
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("test_"):
            continue
        lines_fn = getattr(module, "terminal_summary_lines", None)
        if callable(lines_fn):
            for line in lines_fn():
                terminalreporter.write_line(line)
