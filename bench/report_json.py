"""The ``--json FILE`` report (schema ``ggsched-bench/1``, documented in the README)."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any

from .results import Result

SCHEMA = "ggsched-bench/1"

CASE_KEYS = ("section", "id", "op", "group", "label", "backend", "status", "reason",
             "median_us", "q1_us", "q3_us", "min_us", "max_us", "n_samples", "n_runs", "reps",
             "flops", "bytes", "gflops", "gb_per_s", "gib_per_s", "time_vs_ggml")


def case_record(r: Result) -> dict[str, Any]:
    """One (case, backend) entry; timing fields are null when the case did not run."""
    s = r.stats
    rec: dict[str, Any] = {
        "section": r.section, "id": r.case, "op": r.op, "group": r.group, "label": r.label,
        "backend": r.backend, "status": r.status, "reason": r.reason,
        "median_us": s.median_us if s else None, "q1_us": s.q1_us if s else None,
        "q3_us": s.q3_us if s else None, "min_us": s.min_us if s else None,
        "max_us": s.max_us if s else None, "n_samples": s.n_samples if s else None,
        "n_runs": s.n_runs if s else None, "reps": s.reps if s else None,
        "flops": r.flops, "bytes": r.nbytes, "gflops": r.gflops, "gb_per_s": r.gbps,
        "gib_per_s": r.gibps, "time_vs_ggml": r.time_vs_ggml,
    }
    rec.update(r.extra)
    return rec


def build_report(
    *,
    size: str,
    machine: dict[str, Any],
    devices: list[dict[str, Any]],
    results: list[Result],
    sections: dict[str, Any] | None = None,
    goals: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    from ggsched import __version__

    return {
        "schema": SCHEMA,
        "ggsched_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "size": size,
        "machine": machine,
        "devices": devices,
        "cases": [case_record(r) for r in results],
        "sched": (sections or {}).get("sched"),
        "alloc": (sections or {}).get("alloc"),
        "goals": goals or [],
    }


def write_report(path: str | Path, report: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(report, indent=1, default=_jsonable) + "\n")


def _jsonable(x):
    if hasattr(x, "item"):  # numpy scalars
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)
