"""Run the suite through pytest in-process and gather the verdicts, with a progress bar.

``ggsched conformance`` and its ``--self-test`` are thin over ``run_suite``: the suite is the
pytest plugin's, so a command-line run and ``pytest --pyargs ggsched.conformance`` collect
exactly the same tests (and xdist's ``-n`` works the same).
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass, field

import pytest

from .report import Collector
from .result import CaseResult
from .xfails import StaleXfailWarning


@dataclass
class SuiteRun:
    exit_code: int
    results: list[CaseResult]
    stale: list[str] = field(default_factory=list)
    output: str = ""  # pytest's own output (shown when something went wrong outside the cases)


class _Progress:
    """A pytest plugin object: a rich progress bar over the collected tests."""

    def __init__(self, progress) -> None:
        self.progress = progress
        self.task = progress.add_task("collecting", total=None) if progress else None
        self.collector: Collector | None = None
        self.stale: list[str] = []

    def _total(self, n: int) -> None:
        if self.progress:
            self.progress.update(self.task, total=n, description="conformance")

    def pytest_configure(self, config) -> None:
        from .plugin import COLLECTOR

        self.collector = config.stash[COLLECTOR]

    def pytest_collection_finish(self, session) -> None:
        self._total(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self._total(len(ids))

    def pytest_runtest_logreport(self, report) -> None:
        if self.progress and (report.when == "call" or
                              (report.when == "setup" and report.outcome != "passed")):
            self.progress.advance(self.task)

    def pytest_warning_recorded(self, warning_message, when, nodeid, location) -> None:
        if issubclass(warning_message.category, StaleXfailWarning):
            text = str(warning_message.message)
            if text not in self.stale:
                self.stale.append(text)


def pytest_args(backends, quick, seed, ops, xfails, probe, workers, junitxml) -> list[str]:
    args = ["--pyargs", "ggsched.conformance", "-p", "no:cacheprovider", "-q", "-rN",
            "--ggsched-seed", str(seed)]
    args += [a for b in backends for a in ("--ggsched-backend", b)]
    args += [a for o in ops for a in ("--ggsched-ops", o)]
    args += [a for x in xfails for a in ("--ggsched-xfails", x)]
    args += ["--ggsched-quick"] * bool(quick) + ["--ggsched-probe"] * bool(probe)
    if workers:
        args += ["-n", str(workers)]
    if junitxml:
        args += ["--junitxml", junitxml]
    return args


def run_suite(args: list[str], progress=None) -> SuiteRun:
    """pytest.main(args) with pytest's own terminal output kept aside."""
    plugin = _Progress(progress)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pytest.main(args, plugins=[plugin])
    results = plugin.collector.all() if plugin.collector else []
    sys.stdout.flush()
    return SuiteRun(int(code), results, plugin.stale, out.getvalue())
