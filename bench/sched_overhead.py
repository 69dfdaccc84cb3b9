"""Scheduler overhead: microseconds per node to place and measure a graph, with no device.

Generated graphs of about 1k, 10k and 100k nodes (transformer-like layers: weights half on
an accelerator, half on the CPU, and an op the accelerator refuses every few layers, so there
are many splits and copies) are scheduled on two Null backends (``ggsched.backends.null``,
which compute nothing). For each size it times ``Scheduler.reserve`` as a whole and split into
its phases: assignment (passes 1-4), splitting (pass 5 and the graph copy), the graph
allocator's ``reserve_n``, and the reset; then fits reserve time = a·nᵏ over the sizes (k = 1
means linear). Times are CPU time of this process (the best of --repeat), so that other
processes on a shared machine inflate them less than wall-clock time.

    python -m ggsched.bench.sched_overhead [--sizes 1000,10000,100000] [--repeat 3]
        [--json FILE] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import sys
import time

import numpy as np
from ggsched import ops
from ggsched.backend import BufferUsage, DeviceType, tensor_alloc
from ggsched.backends.null import NullBufferType, null_backend
from ggsched.graph import Graph
from ggsched.op import Op
from ggsched.sched import Scheduler
from ggsched.sched_passes import assign_backends, check_assignment
from ggsched.sched_splits import build_graph_copy, pass5_split
from ggsched.sched_state import view_op_flags
from ggsched.tensor import Tensor

NODES_PER_LAYER = 9
D = 64  # width of the generated activations


def backends():
    """An accelerator that refuses SOFT_MAX, with private memory and CUDA's offload policy,
    and a CPU."""
    gpu = null_backend("GPU", supports_op=lambda t: t.op is not Op.SOFT_MAX,
                       offload_op=lambda t: t.op is Op.MUL_MAT and t.ne[1] >= 32)
    host = NullBufferType("CPU", is_host=True)
    cpu = null_backend("CPU", type=DeviceType.CPU, buffer_type=host, host_buffers=True)
    return gpu, cpu


def place(tensors: list[Tensor], buft) -> None:
    """Weights into one WEIGHTS buffer of ``buft`` (a Null buffer holds no bytes)."""
    sizes = [-(-t.nbytes // buft.alignment) * buft.alignment for t in tensors]
    buffer = buft.alloc_buffer(sum(sizes))
    buffer.usage = BufferUsage.WEIGHTS
    offset = 0
    for t, size in zip(tensors, sizes):
        tensor_alloc(buffer, t, offset)
        offset += size


def layer(x: Tensor, k: int, weights: list[Tensor]) -> Tensor:
    w = ops.new_tensor_2d("f32", D, D, name=f"w{k}")
    b = ops.new_tensor_1d("f32", D, name=f"b{k}")
    weights += (w, b)
    h = ops.add(ops.mul_mat(w, x), b)
    a = ops.soft_max(h) if k % 4 == 3 else ops.unary(h, "gelu")
    t = ops.cont(ops.transpose(a))
    return ops.rms_norm(ops.add(ops.cont(ops.transpose(t)), x))


def generate(n_nodes: int, n_tokens: int = 8) -> tuple[Graph, Tensor, list[Tensor]]:
    """A graph of about n_nodes nodes; returns (graph, input, weights)."""
    x = ops.new_tensor_2d("f32", D, n_tokens, name="x").set_input()
    weights: list[Tensor] = []
    t = x
    for k in range(max(1, n_nodes // NODES_PER_LAYER)):
        t = layer(t, k, weights)
    g = Graph(None).build_forward_expand(t.set_output())
    return g, x, weights


def scheduler(n_nodes: int) -> tuple[Scheduler, Graph]:
    gpu, cpu = backends()
    g, _, weights = generate(n_nodes)
    half = len(weights) // 2
    place(weights[:half], gpu.default_buffer_type)
    place(weights[half:], cpu.default_buffer_type)
    return Scheduler([gpu, cpu], graph_size=2 * (g.n_nodes + g.n_leafs)), g


def time_phases(sched: Scheduler, g: Graph) -> dict[str, float]:
    """CPU seconds for each phase of one reserve, run the way Scheduler.reserve runs them
    (with the garbage collector paused, as the Scheduler does)."""
    gc.disable()
    try:
        return _phases(sched, g)
    finally:
        gc.enable()


def _phases(sched: Scheduler, g: Graph) -> dict[str, float]:
    st = sched.st
    t0 = time.process_time()
    st.new_graph()
    view_op = view_op_flags(g.nodes)
    assign_backends(st, g, view_op)
    check_assignment(st, g.nodes, view_op)
    t1 = time.process_time()
    res = pass5_split(st, g.nodes, view_op, sched.n_copies, sched.cur_copy)
    gc = build_graph_copy(st, g, res)
    t2 = time.process_time()
    sched.galloc.reserve_n(gc.graph, gc.node_ids, gc.leaf_ids)
    t3 = time.process_time()
    sched._rewrites = res.rewrites
    sched.is_reset = False
    sched.reset()
    t4 = time.process_time()
    return {"assign": t1 - t0, "split": t2 - t1, "reserve_n": t3 - t2, "reset": t4 - t3,
            "n_splits": len(res.splits)}


def time_reserve(sched: Scheduler, g: Graph) -> float:
    t0 = time.process_time()
    sched.reserve(g)
    return time.process_time() - t0


def measure(n_nodes: int, repeat: int) -> dict:
    """The best of ``repeat`` runs: the phases, and the public reserve as a whole."""
    sched, g = scheduler(n_nodes)
    runs = [time_phases(sched, g) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["assign"] + r["split"] + r["reserve_n"] + r["reset"])
    whole = min(time_reserve(sched, g) for _ in range(repeat))
    phases = {k: best[k] for k in ("assign", "split", "reserve_n", "reset")}
    per_node = {k: v / g.n_nodes * 1e6 for k, v in {**phases, "reserve": whole}.items()}
    return {"n_nodes": g.n_nodes, "n_leafs": g.n_leafs, "n_splits": best["n_splits"],
            "seconds": phases, "reserve_s": whole, "us_per_node": per_node}


def calls_per_node(n_nodes: int) -> float:
    """Python function calls per node in one reserve: constant when the work is linear."""
    sched, g = scheduler(n_nodes)
    profile = cProfile.Profile()
    profile.enable()
    sched.reserve(g)
    profile.disable()
    return pstats.Stats(profile).total_calls / g.n_nodes


def fit_growth(rows: list[dict]) -> float:
    """k in time = a·n^k, least squares in log-log."""
    n = np.log([r["n_nodes"] for r in rows])
    t = np.log([r["reserve_s"] for r in rows])
    return float(np.polyfit(n, t, 1)[0])


def report(rows: list[dict], k: float) -> str:
    head = (f"{'nodes':>8} {'splits':>7} {'assign':>8} {'split':>8} {'reserve_n':>10} "
            f"{'reset':>7} {'reserve':>8}   (CPU µs per node; reserve = the whole call)")
    lines = [head]
    for r in rows:
        u = r["us_per_node"]
        lines.append(f"{r['n_nodes']:>8} {r['n_splits']:>7} {u['assign']:>8.2f} {u['split']:>8.2f} "
                     f"{u['reserve_n']:>10.2f} {u['reset']:>7.2f} {u['reserve']:>8.2f}")
    if all("calls_per_node" in r for r in rows):
        calls = ", ".join(f"{r['calls_per_node']:.2f}" for r in rows)
        lines.append(f"function calls per node: {calls}")
    lines.append(f"growth: time ∝ n^{k:.3f} (1.000 = linear)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--profile", type=int, metavar="N", help="cProfile one reserve of N nodes")
    p.add_argument("--calls", action="store_true",
                   help="also count function calls per node (the algorithm's growth)")
    args = p.parse_args(argv)
    if args.profile:
        sched, g = scheduler(args.profile)
        cProfile.runctx("sched.reserve(g)", globals(), {"sched": sched, "g": g}, "/tmp/sched.prof")
        pstats.Stats("/tmp/sched.prof").sort_stats("tottime").print_stats(25)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [measure(n, args.repeat) for n in sizes]
    if args.calls:
        for r, n in zip(rows, sizes):
            r["calls_per_node"] = calls_per_node(n)
    k = fit_growth(rows) if len(rows) > 1 else float("nan")
    print(report(rows, k))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"sizes": rows, "growth_exponent": k}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
