"""Run a model graph through the scheduler on named backends and report what happened.

The work behind ``ggsched run``: build ``ggsched.models.gpt2``, put its weights where asked,
reserve, then evaluate a few times (reset, alloc_graph, inputs, graph_compute), and compare the
output with the golden. ``run`` returns the report as plain data (the ``--json`` schema in the
README); ``tables`` and ``verdict`` render it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np
from ggsched import __version__, golden
from ggsched.backend import Backend, DeviceType
from ggsched.graph import DEFAULT_GRAPH_SIZE
from ggsched.models import Model, gpt2
from ggsched.sched import Scheduler
from ggsched.sched_eval import NMSE_MAX, get_values, load_weights, nmse, set_values

from . import registry
from .restrict import Restricted


@dataclass
class RunSpec:
    backends: list[str] = field(default_factory=lambda: ["cpu"])
    refuse: list[str] = field(default_factory=list)  # wrap the first backend, refusing these
    weights: str = "first"  # "first" | "cpu" | "split"
    parallel: bool = False
    op_offload: bool = True
    model: dict = field(default_factory=dict)  # gpt2() keyword arguments
    repeat: int = 3
    seed: int = 0


def make_backends(names: list[str], refuse: list[str]) -> list[Backend]:
    """The named devices' backends; the first restricted if asked; CPU last if missing."""
    backends = [registry.init_backend(name) for name in names]
    if refuse:
        first = backends[0]
        backends[0] = Restricted(first, refuse=refuse, host_readable=False, name=f"{first.name}*")
    if not any(b.device.type is DeviceType.CPU for b in backends):
        backends.append(registry.cpu())
    return backends


def place_weights(model: Model, backends: list[Backend], where: str, feeds: dict) -> None:
    first, cpu = backends[0].default_buffer_type, backends[-1].default_buffer_type
    if where == "split":
        half = len(model.weights) // 2
        load_weights(model.weights[:half], first, feeds)
        load_weights(model.weights[half:], cpu, feeds)
    else:
        load_weights(model.weights, first if where == "first" else cpu, feeds)


def run(spec: RunSpec, nodes: bool = False) -> dict:
    """Build, place, reserve, evaluate ``spec.repeat`` times; the report as plain data."""
    model = gpt2(**spec.model)
    graph = model.graph
    feeds = model.feeds(np.random.default_rng(spec.seed))
    expected = golden.evaluate(graph, feeds)[model.output]
    backends = make_backends(spec.backends, spec.refuse)
    place_weights(model, backends, spec.weights, feeds)
    size = max(DEFAULT_GRAPH_SIZE, graph.n_nodes + graph.n_leafs)
    sched = Scheduler(backends, graph_size=size, parallel=spec.parallel,
                      op_offload=spec.op_offload)
    t0 = time.perf_counter()
    reserved = sched.reserve(graph)
    reserve_s = time.perf_counter() - t0
    runs, out = [], None
    for _ in range(max(1, spec.repeat)):
        run_times, out = _evaluate(sched, model, feeds)
        runs.append(run_times)
    plan = sched.plan(nodes=nodes)
    sched.reset()
    return {
        "ggsched_version": __version__,
        "model": {"name": model.name, **model.hparams, "n_nodes": graph.n_nodes,
                  "n_leafs": graph.n_leafs,
                  "weights_bytes": sum(w.nbytes for w in model.weights)},
        "backends": [_backend_record(b) for b in backends],
        "options": {"weights": spec.weights, "parallel": spec.parallel,
                    "op_offload": spec.op_offload, "repeat": spec.repeat, "seed": spec.seed},
        "plan": plan,
        "timings": _timings(reserve_s, reserved, runs),
        "result": _result(model, out, expected),
    }


def _evaluate(sched: Scheduler, model: Model, feeds: dict) -> tuple[dict, np.ndarray]:
    t0 = time.perf_counter()
    sched.reset()
    sched.alloc_graph(model.graph)
    t1 = time.perf_counter()
    for t in model.inputs:
        set_values(t, feeds[t])
    sched.graph_compute(model.graph)
    t2 = time.perf_counter()
    out = get_values(model.output)
    return {"alloc_ms": (t1 - t0) * 1e3, "compute_ms": (t2 - t1) * 1e3}, out


def _backend_record(b: Backend) -> dict:
    d = b.device
    return {"name": b.name, "description": d.description, "type": d.type.value,
            "buffer_type": b.default_buffer_type.name,
            "refuses": d.refused_text if isinstance(b, Restricted) else None}


def _timings(reserve_s: float, reserved: bool, runs: list[dict]) -> dict:
    return {"reserve_ms": reserve_s * 1e3, "reserve_ok": reserved, "runs": runs,
            "median_alloc_ms": statistics.median(r["alloc_ms"] for r in runs),
            "median_compute_ms": statistics.median(r["compute_ms"] for r in runs)}


def _result(model: Model, out: np.ndarray, expected: np.ndarray) -> dict:
    err = nmse(out, expected)
    diff = np.abs(np.asarray(out, dtype=np.float64) - expected)
    return {"output": model.output.name, "nmse": err,
            "max_abs_error": float(np.nanmax(diff)) if diff.size else 0.0,
            "tolerance": NMSE_MAX, "equal": err <= NMSE_MAX}


# -- rendering ------------------------------------------------------------------------------------


def tables(report: dict) -> list:
    from rich.table import Table

    plan = report["plan"]
    backends = Table(title="Backends (priority order)", title_justify="left")
    for col in ("#", "backend", "type", "buffer type", "refuses", "nodes", "compute buffer"):
        backends.add_column(col, justify="right" if col in ("#", "nodes") else "left")
    for rec, b in zip(report["backends"], plan["backends"]):
        backends.add_row(str(b["index"]), rec["name"], rec["type"], rec["buffer_type"],
                         rec["refuses"] or "", str(b["n_nodes"]), f"{b['buffer_size']:,} B")
    splits = Table(title=f"Splits ({plan['n_splits']}, n_copies={plan['n_copies']})",
                   title_justify="left")
    for col in ("#", "backend", "nodes", "inputs (copied from)", "reused copies", "bytes"):
        splits.add_column(col, justify="right" if col in ("#", "bytes") else "left")
    for s in plan["splits"]:
        inputs = ", ".join(f"{i['name']} ({i['from_backend']})" for i in s["inputs"])
        reused = ", ".join(r["copy"] for r in s["reused_copies"])
        splits.add_row(str(s["index"]), s["backend"], f"{s['node_start']}..{s['node_end'] - 1}",
                       inputs, reused, f"{s['bytes_copied']:,}")
    t = report["timings"]
    timing = Table(title="Timings", title_justify="left")
    for col in ("reserve", "alloc_graph (median)", "compute (median)", "runs"):
        timing.add_column(col, justify="right")
    timing.add_row(f"{t['reserve_ms']:.1f} ms", f"{t['median_alloc_ms']:.1f} ms",
                   f"{t['median_compute_ms']:.1f} ms", str(len(t["runs"])))
    return [backends, splits, timing]


def verdict(report: dict) -> str:
    r = report["result"]
    if r["equal"]:
        return (f"[green]{r['output']} equals the golden[/] (NMSE {r['nmse']:.2e} <= "
                f"{r['tolerance']:.0e}, max |error| {r['max_abs_error']:.2e})")
    return (f"[red]{r['output']} differs from the golden[/]: NMSE {r['nmse']:.2e} > "
            f"{r['tolerance']:.0e} (max |error| {r['max_abs_error']:.2e})")
