"""Collect the verdicts of a run from pytest's reports (with or without xdist) and write the
JSON report.

Each suite test carries its case's identity as ``user_properties`` from collection on, and
its verdict once run, so the controller of an xdist run sees everything the workers saw, and
a JUnit XML file gets the same facts as properties.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterable
from typing import Any

from .result import FAIL, PASS, SKIP, STATUSES, UNSUPPORTED, XFAIL, CaseResult

PREFIX = "ggsched_"
IDENTITY = ("backend", "id", "family", "op", "types", "repro")


def case_properties(backend: str, case, repro: str) -> list[tuple[str, Any]]:
    values = (backend, case.id, case.family, case.op, ",".join(str(t) for t in case.types), repro)
    return [(PREFIX + k, v) for k, v in zip(IDENTITY, values)]


def result_properties(result: CaseResult) -> list[tuple[str, Any]]:
    d = result.to_json()
    out = [(PREFIX + k, d[k]) for k in ("status", "error", "bound", "max_abs_err", "message")]
    if result.details:
        out.append((PREFIX + "details", json.dumps(result.details, default=str)))
    return out


def _props(report) -> dict[str, Any]:
    return {k[len(PREFIX):]: v for k, v in report.user_properties if k.startswith(PREFIX)}


def _status(report, recorded: str | None) -> str:
    if hasattr(report, "wasxfail"):
        return XFAIL if report.skipped else PASS
    if report.failed:
        return FAIL
    if report.skipped:
        return UNSUPPORTED if recorded == UNSUPPORTED else SKIP
    return recorded or PASS


def _message(report, props: dict[str, Any], status: str) -> str:
    if props.get("message"):
        text = props["message"]
    elif report.failed or report.skipped:
        text = report.longreprtext.strip()
    else:
        text = ""
    if hasattr(report, "wasxfail"):
        note = f"expected to fail: {report.wasxfail}"
        if status == PASS:
            note += " -- but it passed: remove the entry from the manifest"
        text = f"{note}\n{text}".strip()
    return text


def result_from_report(report) -> CaseResult | None:
    props = _props(report)
    if "id" not in props:
        return None
    status = _status(report, props.get("status"))
    details = json.loads(props["details"]) if props.get("details") else {}
    types = [t for t in str(props.get("types", "")).split(",") if t]
    return CaseResult(props["backend"], props["id"], props["family"], props["op"], types, status,
                      props.get("error"), props.get("bound"), props.get("max_abs_err"),
                      _message(report, props, status), props.get("repro", ""), details)


class Collector:
    """A pytest plugin object gathering one CaseResult per suite test."""

    def __init__(self) -> None:
        self.results: dict[str, CaseResult] = {}

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or report.outcome != "passed":
            if report.when == "teardown" and report.nodeid in self.results:
                return  # a teardown problem after a verdict does not change it
            r = result_from_report(report)
            if r is not None:
                self.results[report.nodeid] = r

    def all(self) -> list[CaseResult]:
        return list(self.results.values())


def summary(results: Iterable[CaseResult]) -> dict[str, dict[str, int]]:
    out: dict[str, collections.Counter] = {}
    for r in results:
        out.setdefault(r.backend, collections.Counter())[r.status] += 1
    names = {PASS: "passed", FAIL: "failed", UNSUPPORTED: "unsupported", XFAIL: "xfailed",
             SKIP: "skipped"}
    return {b: {names[s]: c[s] for s in STATUSES} for b, c in out.items()}


def json_report(version: str, seed: int, backends: list[dict], results: list[CaseResult]):
    return {
        "ggsched_version": version,
        "seed": seed,
        "backends": backends,
        "summary": summary(results),
        "cases": [r.to_json() for r in results],
    }
