"""Section 4a: the scheduler's own cost, µs per node for assign + split + reserve on generated
graphs of growing size, with the fitted growth exponent.

The graphs are GPT-2 stacks (``ggsched.models.gpt2`` with as many thin layers as it takes to
reach the node count) on two null backends, so only the scheduler and the allocator work: a
"GPU" that holds the weights and refuses SOFT_MAX (two extra splits and their input copies
per layer), and the CPU fallback. One ``Scheduler.reserve`` is timed: passes 1-5 (assign,
split, copies) and the graph allocator's measurement.

This module is the one graph generator (``generate``) and the one timing function
(``time_reserve``); ``python -m ggsched.bench.sched_overhead`` prints the same figures with a
breakdown by phase.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from ggsched import Op
from ggsched.alloc import alloc_ctx_tensors
from ggsched.backend import Backend, DeviceType
from ggsched.backends.null import NullBufferType, null_backend
from ggsched.graph import Graph
from ggsched.models import gpt2
from ggsched.sched import Scheduler
from rich.table import Table

SCHED_SIZES = {"quick": (1_000, 3_000, 10_000), "default": (1_000, 10_000, 100_000)}
SCHED_SIZES["full"] = SCHED_SIZES["default"]
THIN = dict(n_embd=64, n_head=2, n_tokens=8, n_vocab=64)


@dataclass
class Workload:
    """A generated graph and the two backends it is scheduled on (weights on the GPU)."""

    graph: Graph
    gpu: Backend
    cpu: Backend

    def scheduler(self) -> Scheduler:
        g = self.graph
        return Scheduler([self.gpu, self.cpu], graph_size=2 * (g.n_nodes + g.n_leafs))


def _layers_for(n_nodes: int) -> int:
    """GPT-2 layers giving about ``n_nodes`` nodes (the count is affine in the layers)."""
    one, two = gpt2(**THIN, n_layer=1).graph.n_nodes, gpt2(**THIN, n_layer=2).graph.n_nodes
    return max(1, round((n_nodes - (one - (two - one))) / (two - one)))


def _backends():
    gpu = null_backend("GPU", supports_op=lambda t: t.op is not Op.SOFT_MAX)
    host = NullBufferType("CPU", 32, is_host=True)
    cpu = null_backend("CPU", type=DeviceType.CPU, buffer_type=host, host_buffers=True)
    return gpu, cpu


def generate(n_nodes: int) -> Workload:
    """A GPT-2 stack of about ``n_nodes`` nodes with its weights in a GPU buffer."""
    model = gpt2(**THIN, n_layer=_layers_for(n_nodes))
    gpu, cpu = _backends()
    alloc_ctx_tensors(model.weights, gpu)
    return Workload(model.graph, gpu, cpu)


def _time_once(work: Workload, gc_paused: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds of one reserve on a fresh scheduler, and its split count."""
    sched = work.scheduler()
    gc.collect()
    if gc_paused:
        gc.disable()
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        sched.reserve(work.graph)
        return time.perf_counter() - w0, time.process_time() - c0, sched.n_splits
    finally:
        gc.enable()


def time_reserve(n_nodes: int, repeats: int = 1, work: Workload | None = None) -> dict[str, Any]:
    """Seconds (best of ``repeats``) of one reserve of a graph of about ``n_nodes`` nodes, as
    a program sees it and with Python's cyclic GC paused (timeit's convention); also the CPU
    time of this process (``cpu_seconds``), which other work on a shared machine inflates less.

    NOTE: the GC's full collections scan every live object, so with 10⁵ nodes' worth of
    tensors alive they cost more per node than with 10³: the paused figure shows what the
    scheduler's own code does, the other what a user waits for. (Scheduler.reserve pauses
    the collector itself, so today both should agree.)
    """
    work = work or generate(n_nodes)
    best = {False: math.inf, True: math.inf}
    cpu = math.inf
    for _ in range(repeats):
        for paused in best:
            seconds, cpu_seconds, n_splits = _time_once(work, paused)
            best[paused] = min(best[paused], seconds)
            cpu = min(cpu, cpu_seconds)
    n = work.graph.n_nodes
    return {"n_nodes": n, "n_leafs": work.graph.n_leafs, "n_splits": n_splits,
            "seconds": best[False], "us_per_node": best[False] * 1e6 / n,
            "seconds_gc_paused": best[True], "us_per_node_gc_paused": best[True] * 1e6 / n,
            "cpu_seconds": cpu, "us_per_node_cpu": cpu * 1e6 / n}


def growth_exponent(rows: list[dict[str, Any]], key: str = "seconds") -> float | None:
    """Least-squares slope of log(time) on log(nodes): 1 is linear."""
    if len(rows) < 2:
        return None
    x = np.log([r["n_nodes"] for r in rows])
    y = np.log([r[key] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def run_sched(size: str) -> dict[str, Any]:
    # NOTE: best of 3 at every size: one sample of the 100k graph on a shared machine is noise
    rows = [time_reserve(n, repeats=3) for n in SCHED_SIZES[size]]
    return {"what": "Scheduler.reserve: passes 1-5 + graph allocator measure, null backends",
            "rows": rows, "growth_exponent": growth_exponent(rows),
            "growth_exponent_gc_paused": growth_exponent(rows, "seconds_gc_paused")}


def sched_table(section: dict[str, Any]) -> Table:
    k, kp = section.get("growth_exponent"), section.get("growth_exponent_gc_paused")
    caption = (f"fitted growth: time ∝ n^{k:.2f} (GC paused: n^{kp:.2f})"
               if k is not None and kp is not None else None)
    t = Table(title="Scheduler overhead (assign+split+reserve)", title_justify="left",
              caption=caption, caption_justify="left")
    for col in ("nodes", "leafs", "splits", "reserve", "µs/node", "µs/node, GC paused",
                "CPU µs/node"):
        t.add_column(col, justify="right")
    for r in section["rows"]:
        cpu = r.get("us_per_node_cpu")
        t.add_row(f"{r['n_nodes']:,}", f"{r['n_leafs']:,}", str(r["n_splits"]),
                  f"{r['seconds'] * 1e3:.1f} ms", f"{r['us_per_node']:.2f}",
                  f"{r['us_per_node_gc_paused']:.2f}", "-" if cpu is None else f"{cpu:.2f}")
    return t
