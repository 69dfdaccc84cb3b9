"""The worked example of the README: an out-of-tree backend package (tests/example_backend)
validated by the suite. Registered in-process here (a conftest.py, as a third party can do
without packaging); installed, its pyproject's entry point does the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from ggsched.backends import registry
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


@pytest.fixture(autouse=True, scope="module")
def native_modules_loaded_first():
    """NOTE: pytester's in-process runs drop the modules first imported inside them; pyopencl's
    native extension aborts the interpreter when imported a second time. Probe every backend
    (importing pyopencl, ggml) before any inner run, so they stay loaded."""
    registry.entries()


def test_the_package_declares_its_entry_point():
    meta = tomllib.loads((PACKAGE / "pyproject.toml").read_text())
    eps = meta["project"]["entry-points"]["ggsched.backends"]
    assert eps == {"example": "ggsched_example:register"}


@pytest.fixture
def unregister_afterwards():
    """The conftest registers in this very process: take it out again for the other tests."""
    yield
    for reg in registry.regs():
        if reg.name == "example":
            registry.unregister(reg)


def test_the_suite_validates_the_example_backend(pytester, unregister_afterwards):
    pytester.makeconftest(CONFTEST)
    res = pytester.runpytest_inprocess(
        "--pyargs", "ggsched.conformance", "-p", "no:cacheprovider", "--ggsched-backend",
        "example", "--ggsched-ops", "ADD,SILU,SOFT_MAX,buffers,copies", "--ggsched-quick")
    outcomes = res.parseoutcomes()
    assert res.ret == 0 and "failed" not in outcomes
    assert outcomes["passed"] > 30  # what it claims works, buffers and copies included
    assert outcomes["skipped"] > 10  # what it refuses ran on the CPU through the scheduler
    assert "example:" in res.stdout.str() and "unsupported" in res.stdout.str()


def test_the_registration_does_not_leak():
    assert "example" not in [r.name for r in registry.regs()]
