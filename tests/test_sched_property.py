"""Property tests: random graphs over random restricted backends.

For each example: 5 to 60 ops with random small shapes, 2 or 3 backends (CPU kernels behind
Restricted wrappers refusing random op sets, some with private memory), weights in WEIGHTS
buffers on random backends, pipeline mode or not. Then either some op is refused by every
backend and the scheduler says so, or:

- every node's value, seen through the eval callback as it is computed, equals the golden of
  its op applied to the values its sources held at that moment (test-backend-ops' per-op
  check: errors do not compound along the chain), and is bit for bit what the CPU alone
  computes for the same graph (the scheduler moves bytes, it never changes them);
- every node runs on a backend that supports it (the wrappers refuse to compute anything
  else) and on the backend the plan says;
- every source a node's backend cannot read is routed through a copy on that backend, and
  each (tensor, backend) copy is made once;
- no node or leaf is left without a backend.
"""

from __future__ import annotations

import re

import numpy as np
import sched_strategies as S
from ggsched import golden
from ggsched.backends.cpu import cpu_backend
from ggsched.backends.restrict import Restricted
from ggsched.errors import SchedulerError
from ggsched.op import VIEW_OPS, Op
from ggsched.sched import Scheduler
from ggsched.sched_eval import get_values, load_weights, set_values
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

N_EXAMPLES = 300
# one f32 op against float64 on the same f32 inputs: a few ulps (6e-8) of the result, or of
# the operands when the result cancels to ~0 (SUB of near-equal values, dot products)
RTOL, ATOL = 1e-5, 1e-6


class Recording(Restricted):
    """A Restricted backend that remembers the nodes it computed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.computed = []

    def graph_compute_async(self, graph):
        super().graph_compute_async(graph)
        self.computed += [n for n in graph.nodes if n.op not in VIEW_OPS and n.op is not Op.NONE]


def make_backends(specs: list[S.BackendSpec]) -> list[Recording]:
    names = [f"R{k}" for k in range(len(specs) - 1)] + ["CPU"]
    return [Recording(cpu_backend(), refuse=sorted(s.refuse), host_readable=s.host_readable,
                      name=name) for s, name in zip(specs, names)]


def run(sched: Scheduler, built: S.Built, feeds: dict) -> list[tuple[list, np.ndarray]]:
    """Evaluate through the scheduler; for every node, its sources' values just before it is
    computed and its value just after, as the eval callback sees them."""
    seen = []

    def callback(node, ask):
        if ask:  # NOTE: read now: an in-place node overwrites its source
            seen.append((node, [get_values(s) if s is not None else None for s in node.src]))
        else:
            seen[-1] += (get_values(node),)
        return True

    sched.set_eval_callback(callback)
    for b, backend in enumerate(sched.backends):
        mine = [w for w in built.weights if built.weight_home[w] % sched.n_backends == b]
        load_weights(mine, backend.default_buffer_type, feeds)
    assert sched.alloc_graph(built.graph)
    for t in built.inputs:
        if t in built.graph:  # an input no op ended up reading is not in the graph
            set_values(t, feeds[t])
    sched.graph_compute(built.graph)
    assert [n for n, _, _ in seen] == built.graph.nodes
    return [(srcs, v) for _, srcs, v in seen]


@settings(max_examples=N_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(recipe=S.recipes(), specs=S.backend_specs(), parallel=st.booleans(),
       seed=st.integers(0, 99))
def test_random_graphs_on_restricted_backends(recipe, specs, parallel, seed):
    backends = make_backends(specs)
    built = recipe.build(len(backends))
    g = built.graph
    vals = S.values(built, seed)
    nobody = [n for n in g.nodes if n.op not in VIEW_OPS
              and not any(b.supports_op(n) for b in backends)]
    sched = Scheduler(backends, parallel=parallel)
    event("refused by every backend" if nobody else "computed")
    event(f"{len(recipe.steps) // 10 * 10}+ ops")
    if nobody:
        try:
            sched.split_graph(g)
        except SchedulerError as e:
            assert re.search(f"no backend supports {nobody[0].op_desc}", str(e)), str(e)
            return
        raise AssertionError(f"{nobody[0].describe()} is refused everywhere, yet it was placed")
    got = run(sched, built, S.feeds(built, vals))
    check_placement(sched, backends, g)
    event(f"{sched.n_splits // 5 * 5}+ splits")
    sched.reset()  # the nodes read their own sources again
    twin = recipe.build(1)
    alone = run(Scheduler([cpu_backend()]), twin, S.feeds(twin, vals))
    for node, (srcs, v), (_, ref) in zip(g.nodes, got, alone):
        assert np.array_equal(v, ref, equal_nan=True), f"{node.describe()}: {v} != CPU's {ref}"
        if node.op in VIEW_OPS:
            continue
        want = per_op_golden(node, srcs)
        atol = ATOL * operand_scale(node, srcs)
        assert np.allclose(v, want, RTOL, atol, equal_nan=True), (
            f"{node.describe()}: {v} != golden {want} (atol {atol})")


def per_op_golden(node, srcs) -> np.ndarray:
    """The golden of node's op on the given source values, rounded to node's type."""
    args = [s.astype(np.float64) if s is not None else None for s in srcs]
    with np.errstate(all="ignore"):
        out = golden.golden_for(node)(node, *args)
    return np.asarray(out).reshape(node.shape).astype(np.float32)


def operand_scale(node, srcs) -> float:
    """The largest finite magnitude among the node's operands (squared and times the summed
    length for MUL_MAT), at least 1."""
    scale = 1.0
    for v in srcs:
        if v is not None and np.isfinite(v).any():
            scale = max(scale, float(np.abs(v[np.isfinite(v)]).max()))
    if node.op is Op.MUL_MAT:
        scale = scale * scale * node.src[0].ne[0]
    return scale


def check_placement(sched: Scheduler, backends, g) -> None:
    st_, p = sched.st, sched.placement
    assert all(t in st_.ids for t in (*g.nodes, *g.leafs)), "a tensor was left unassigned"
    computed = {n: k for k, b in enumerate(backends) for n in b.computed}
    copied = p.copied_srcs()
    for node in g.nodes:
        b = st_.ids[node]
        if node.op in VIEW_OPS:
            continue
        assert backends[b].supports_op(node), node.describe()
        assert computed[node] == b, f"{node.name} planned on {b}, ran on {computed[node]}"
        via = dict(copied.get(node, ()))
        for j, src in enumerate(node.src):
            orig = via.get(j, src)
            if orig is None:
                continue
            foreign = st_.ids[orig] != b and not st_.buffer_supported(orig, b)
            assert foreign == (j in via), f"{node.name}.src[{j}]={orig.name}: foreign={foreign}"
            if foreign:
                assert src is p.copies.get(orig, b)
    made = [(t, s.backend_id) for s in p.splits for t in s.inputs]
    assert len(made) == len(set(made)), "a (tensor, backend) copy was made twice"
