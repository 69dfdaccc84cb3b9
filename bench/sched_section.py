"""Section 4a: the scheduler's own cost, µs per node for assign + split + reserve on generated
graphs of growing size, with the fitted growth exponent.

The graphs are GPT-2 stacks (``ggsched.models.gpt2`` with as many thin layers as it takes to
reach the node count) on two null backends, so only the scheduler and the allocator work: a
"GPU" that holds the weights and refuses SOFT_MAX (two extra splits and their input copies
per layer), and the CPU fallback. One ``Scheduler.reserve`` is timed: passes 1-5 (assign,
split, copies) and the graph allocator's measurement.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from ggsched import Op
from ggsched.alloc import alloc_ctx_tensors
from ggsched.backend import DeviceType
from ggsched.backends.null import NullBufferType, null_backend
from ggsched.models import gpt2
from ggsched.sched import Scheduler
from rich.table import Table

SCHED_SIZES = {"quick": (1_000, 3_000, 10_000), "default": (1_000, 10_000, 100_000)}
SCHED_SIZES["full"] = SCHED_SIZES["default"]
THIN = dict(n_embd=64, n_head=2, n_tokens=8, n_vocab=64)


def _layers_for(n_nodes: int) -> int:
    """GPT-2 layers giving about ``n_nodes`` nodes (the count is affine in the layers)."""
    one, two = gpt2(**THIN, n_layer=1).graph.n_nodes, gpt2(**THIN, n_layer=2).graph.n_nodes
    return max(1, round((n_nodes - (one - (two - one))) / (two - one)))


def _backends():
    gpu = null_backend("GPU", supports_op=lambda t: t.op is not Op.SOFT_MAX)
    host = NullBufferType("CPU", 32, is_host=True)
    cpu = null_backend("CPU", type=DeviceType.CPU, buffer_type=host, host_buffers=True)
    return gpu, cpu


def time_reserve(n_nodes: int, repeats: int = 1) -> dict[str, Any]:
    """Seconds (best of ``repeats``) of one reserve of a graph of about ``n_nodes`` nodes."""
    model = gpt2(**THIN, n_layer=_layers_for(n_nodes))
    graph = model.graph
    gpu, cpu = _backends()
    alloc_ctx_tensors(model.weights, gpu)
    best = math.inf
    for _ in range(repeats):
        sched = Scheduler([gpu, cpu], graph_size=2 * (graph.n_nodes + graph.n_leafs))
        t0 = time.perf_counter()
        sched.reserve(graph)
        best = min(best, time.perf_counter() - t0)
    return {"n_nodes": graph.n_nodes, "n_leafs": graph.n_leafs, "n_splits": sched.n_splits,
            "seconds": best, "us_per_node": best * 1e6 / graph.n_nodes}


def growth_exponent(rows: list[dict[str, Any]]) -> float | None:
    """Least-squares slope of log(time) on log(nodes): 1 is linear."""
    if len(rows) < 2:
        return None
    x = np.log([r["n_nodes"] for r in rows])
    y = np.log([r["seconds"] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def run_sched(size: str) -> dict[str, Any]:
    rows = [time_reserve(n, repeats=3 if n <= 10_000 else 1) for n in SCHED_SIZES[size]]
    return {"what": "Scheduler.reserve: passes 1-5 + graph allocator measure, null backends",
            "rows": rows, "growth_exponent": growth_exponent(rows)}


def sched_table(section: dict[str, Any]) -> Table:
    k = section.get("growth_exponent")
    t = Table(title="Scheduler overhead (assign+split+reserve)", title_justify="left",
              caption=f"fitted growth: time ∝ n^{k:.2f}" if k is not None else None,
              caption_justify="left")
    for col in ("nodes", "leafs", "splits", "reserve", "µs/node"):
        t.add_column(col, justify="right")
    for r in section["rows"]:
        t.add_row(f"{r['n_nodes']:,}", f"{r['n_leafs']:,}", str(r["n_splits"]),
                  f"{r['seconds'] * 1e3:.1f} ms", f"{r['us_per_node']:.2f}")
    return t
