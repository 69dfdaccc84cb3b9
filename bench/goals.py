"""The figures the project set goals for, read off one run's results (none is a timed test).

Each goal is a dict: name, value, goal (text), met (True/False, None when there is no target
or nothing was measured), how (what the value is, so a reader can recompute it).
"""

from __future__ import annotations

from typing import Any

from .blas_target import BLAS
from .results import Result
from .targets import GGML_CPU, BackendTarget, Target

PREFILL = ("GPT-2-small prefill 128", "GPT-2 256x4 prefill 64")
DECODE = ("GPT-2-small decode 1", "GPT-2 256x4 decode 1")
SQUARE = "MUL_MAT(type_a=f32,type_b=f32,m=1024,n=1024,k=1024)"


def _goal(name: str, value: float | None, goal: str, met: bool | None, how: str) -> dict:
    return {"name": name, "value": value, "goal": goal, "met": met, "how": how}


def _find(results: list[Result], section: str, case: str, backend: str) -> Result | None:
    for r in results:
        if r.section == section and r.case == case and r.backend == backend and r.ok:
            return r
    return None


def _first_model(results: list[Result], names: tuple[str, ...], backend: str) -> Result | None:
    for name in names:
        r = _find(results, "model", name, backend)
        if r is not None and r.time_vs_ggml is not None:
            return r
    return None


def cpu_vs_ggml(results: list[Result], cpu: str) -> list[dict]:
    out = []
    for names, goal in ((PREFILL, 0.5), (DECODE, None)):
        r = _first_model(results, names, cpu)
        value = r.time_vs_ggml if r else None
        out.append(_goal(
            f"{cpu} vs ggml-cpu, {r.case if r else names[0]}: time ratio", value,
            f"<= {goal}" if goal else "reported", _met(value, goal, le=True) if goal else None,
            f"median ms/forward of {cpu} alone through the Scheduler / ggml-cpu's"))
    return out


def accel_vs_blas(results: list[Result], accel: str) -> dict:
    a, b = _find(results, "op", SQUARE, accel), _find(results, "op", SQUARE, BLAS)
    value = b.median_us / a.median_us if a and b else None
    return _goal(f"{accel} vs OpenBLAS, MUL_MAT f32 1024³: speed ratio", value, ">= 0.5",
                 _met(value, 0.5, le=False), "numpy-BLAS µs/run / the backend's µs/run")


def alloc_goals(alloc: dict[str, Any] | None) -> list[dict]:
    if not alloc or not alloc.get("rows"):
        return []
    r = alloc["rows"][-1]  # the largest graph
    hp = r["model"]
    what = f"GPT-2 {hp['n_embd']}x{hp['n_layer']}, {hp['n_tokens']} tokens"
    return [
        _goal(f"compute buffer vs ggml gallocr ({what})", r["vs_ggml"], "<= 0.95",
              _met(r["vs_ggml"], 0.95, le=True), "our gallocr bytes / ggml's, same graph"),
        _goal(f"compute buffer vs live-bytes lower bound ({what})", r["vs_lower_bound"],
              "<= 1.05", _met(r["vs_lower_bound"], 1.05, le=True),
              "our gallocr bytes / max over steps of bytes that must coexist"),
    ]


def sched_goals(sched: dict[str, Any] | None) -> list[dict]:
    if not sched or not sched.get("rows"):
        return []
    last = max(sched["rows"], key=lambda r: r["n_nodes"])
    k = sched.get("growth_exponent")
    return [
        _goal(f"scheduler µs/node at {last['n_nodes']:,} nodes", last["us_per_node"], "<= 10",
              _met(last["us_per_node"], 10, le=True), "assign+split+reserve time / nodes"),
        _goal("scheduler growth exponent (time ∝ n^k)", k, "0.9 <= k <= 1.15 (linear)",
              None if k is None else 0.9 <= k <= 1.15, "least-squares slope of log t on log n"),
    ]


def _met(value: float | None, goal: float, le: bool) -> bool | None:
    if value is None:
        return None
    return value <= goal if le else value >= goal


def compute_goals(results: list[Result], targets: list[Target],
                  sections: dict[str, Any]) -> list[dict]:
    """Every goal this run has the figures for."""
    backends = [t for t in targets if isinstance(t, BackendTarget)]
    cpu = next((t.name for t in backends if t.is_cpu), None)
    accel = next((t.name for t in backends if not t.is_cpu), None)
    out: list[dict] = []
    if cpu and any(t.name == GGML_CPU for t in targets):
        out += cpu_vs_ggml(results, cpu)
    if accel:
        out.append(accel_vs_blas(results, accel))
    return out + alloc_goals(sections.get("alloc")) + sched_goals(sections.get("sched"))
