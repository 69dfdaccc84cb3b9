"""The worked example of the README: an out-of-tree backend package (tests/example_backend)
validated by the suite. Registered in-process here (a conftest.py, as a third party can do
without packaging); installed, its pyproject's entry point does the same."""

from __future__ import annotations

from pathlib import Path

from ggsched.conformance.xfails import tomllib

pytest_plugins = ("pytester",)

PACKAGE = Path(__file__).parent / "example_backend"
CONFTEST = f'''
import sys
sys.path.insert(0, {str(PACKAGE / "src")!r})
import ggsched_example
from ggsched.backends import registry
registry.register(ggsched_example.register())
'''


def test_the_package_declares_its_entry_point():
    meta = tomllib.loads((PACKAGE / "pyproject.toml").read_text())
    eps = meta["project"]["entry-points"]["ggsched.backends"]
    assert eps == {"example": "ggsched_example:register"}


def test_the_suite_validates_the_example_backend(pytester):
    pytester.makeconftest(CONFTEST)
    res = pytester.runpytest_inprocess(
        "--pyargs", "ggsched.conformance", "-p", "no:cacheprovider", "--ggsched-backend",
        "example", "--ggsched-ops", "ADD,SILU,SOFT_MAX,buffers,copies", "--ggsched-quick")
    outcomes = res.parseoutcomes()
    assert res.ret == 0 and "failed" not in outcomes
    assert outcomes["passed"] > 30  # what it claims works, buffers and copies included
    assert outcomes["skipped"] > 10  # what it refuses ran on the CPU through the scheduler
    assert "example:" in res.stdout.str() and "unsupported" in res.stdout.str()
