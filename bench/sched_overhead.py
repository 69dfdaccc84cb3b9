"""Scheduler overhead: microseconds per node to place and measure a graph, with no device.

The same graphs and the same timing as the bench's scheduler section (``sched_section``:
GPT-2 stacks of about 1k, 10k and 100k nodes on a null "GPU" that holds the weights and
refuses SOFT_MAX, and a null CPU), printed with a breakdown of one reserve into its phases:
assignment (passes 1-4), splitting (pass 5 and the graph copy), the graph allocator's
``reserve_n``, and the reset. ``reserve`` is the whole public call (best of --repeat), as wall
time and as CPU time of this process (which other processes on a shared machine inflate
less); the growth is the fit of wall time = a·nᵏ over the sizes (k = 1 means linear).

    python -m ggsched.bench.sched_overhead [--sizes 1000,10000,100000] [--repeat 3]
        [--json FILE] [--profile N] [--calls]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import sys
import time

from ggsched.graph import Graph
from ggsched.sched import Scheduler
from ggsched.sched_passes import assign_backends, check_assignment
from ggsched.sched_splits import build_graph_copy, pass5_split
from ggsched.sched_state import view_op_flags

from .sched_section import Workload, generate, growth_exponent, time_reserve

PHASES = ("assign", "split", "reserve_n", "reset")


def time_phases(sched: Scheduler, work: Workload) -> dict[str, float]:
    """CPU seconds for each phase of one reserve, run the way Scheduler.reserve runs them
    (with the garbage collector paused, as the Scheduler does)."""
    gc.disable()
    try:
        return _phases(sched, work.graph)
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
    copy = build_graph_copy(st, g, res)
    t2 = time.process_time()
    sched.galloc.reserve_n(copy.graph, copy.node_ids, copy.leaf_ids)
    t3 = time.process_time()
    sched._rewrites = res.rewrites
    sched.is_reset = False
    sched.reset()
    t4 = time.process_time()
    return {"assign": t1 - t0, "split": t2 - t1, "reserve_n": t3 - t2, "reset": t4 - t3,
            "n_splits": len(res.splits)}


def measure(n_nodes: int, repeat: int, calls: bool = False) -> dict:
    """The bench section's row (the public reserve as a whole, best of ``repeat``), the
    phases of the fastest of ``repeat`` more reserves run phase by phase, and with ``calls``
    the Python function calls per node."""
    work = generate(n_nodes)
    row = time_reserve(n_nodes, repeat, work)
    sched = work.scheduler()
    runs = [time_phases(sched, work) for _ in range(repeat)]
    best = min(runs, key=lambda r: sum(r[k] for k in PHASES))
    n = row["n_nodes"]
    row["phases_cpu_seconds"] = {k: best[k] for k in PHASES}
    row["phases_us_per_node_cpu"] = {k: best[k] / n * 1e6 for k in PHASES}
    if calls:
        row["calls_per_node"] = calls_per_node(work)
    return row


def calls_per_node(work: Workload) -> float:
    """Python function calls per node in one reserve: constant when the work is linear."""
    sched = work.scheduler()
    profile = cProfile.Profile()
    profile.enable()
    sched.reserve(work.graph)
    profile.disable()
    return pstats.Stats(profile).total_calls / work.graph.n_nodes


def report(rows: list[dict], k: float | None) -> str:
    head = (f"{'nodes':>8} {'splits':>7} {'assign':>8} {'split':>8} {'reserve_n':>10} "
            f"{'reset':>7} {'reserve':>8} {'wall':>8}   (µs per node: phases and reserve in "
            "CPU time; wall = the whole call)")
    lines = [head]
    for r in rows:
        u = r["phases_us_per_node_cpu"]
        lines.append(f"{r['n_nodes']:>8} {r['n_splits']:>7} {u['assign']:>8.2f} "
                     f"{u['split']:>8.2f} {u['reserve_n']:>10.2f} {u['reset']:>7.2f} "
                     f"{r['us_per_node_cpu']:>8.2f} {r['us_per_node']:>8.2f}")
    if all("calls_per_node" in r for r in rows):
        calls = ", ".join(f"{r['calls_per_node']:.2f}" for r in rows)
        lines.append(f"function calls per node: {calls}")
    if k is not None:
        lines.append(f"growth: wall time ∝ n^{k:.3f} (1.000 = linear)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000,100000", metavar="N,N,...",
                   help="approximate node counts of the generated graphs (default %(default)s)")
    p.add_argument("--repeat", type=int, default=3,
                   help="reserves timed per size, the fastest kept (default 3)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    p.add_argument("--profile", type=int, metavar="N", help="cProfile one reserve of N nodes")
    p.add_argument("--calls", action="store_true",
                   help="also count function calls per node (the algorithm's growth)")
    args = p.parse_args(argv)
    if args.profile:
        work = generate(args.profile)
        sched, g = work.scheduler(), work.graph
        cProfile.runctx("sched.reserve(g)", globals(), {"sched": sched, "g": g}, "/tmp/sched.prof")
        pstats.Stats("/tmp/sched.prof").sort_stats("tottime").print_stats(25)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [measure(n, args.repeat, args.calls) for n in sizes]
    k = growth_exponent(rows)
    print(report(rows, k))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"sizes": rows, "growth_exponent": k}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
