"""The GPT-2 graph through the scheduler with [OpenCL, CPU], weights in OpenCL buffers, equals
the golden; the plan says how it was split and what was copied.

Small model (2 layers, 64 wide, 16 tokens) so PoCL runs it in well under a second.
"""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import golden, models
from ggsched.backends.cpu import cpu_backend
from ggsched.backends.restrict import Restricted
from ggsched.op import Op
from ggsched.sched import Scheduler
from ggsched.sched_eval import NMSE_MAX, get_values, load_weights, nmse, set_values
from opencl_support import cl_backend, cl_device  # noqa: F401 - fixtures

pytestmark = pytest.mark.opencl

SMALL = dict(n_embd=64, n_head=4, n_layer=2, n_tokens=16, n_vocab=64)


def run_gpt2(backends, weights_buft, wtype="f32", parallel=False, runs=1):
    """(logits, golden logits, plan) of evaluations through a Scheduler(backends)."""
    m = models.gpt2(**SMALL, wtype=wtype)
    feeds = m.feeds(np.random.default_rng(0))
    want = golden.evaluate(m.graph, feeds)[m.output]
    wbuf = load_weights(m.weights, weights_buft, feeds)
    sched = Scheduler(backends, parallel=parallel)
    try:
        for _ in range(runs):
            got, plan = evaluate_once(sched, m, feeds)
    finally:
        wbuf.free()
    return got, want, plan


def evaluate_once(sched: Scheduler, m, feeds):
    try:
        assert sched.alloc_graph(m.graph)
        for t in m.inputs:
            set_values(t, feeds[t])
        sched.graph_compute(m.graph)
        return get_values(m.output), sched.plan()
    finally:
        sched.reset()


def bytes_copied(plan: dict) -> int:
    return sum(s["bytes_copied"] for s in plan["splits"])


@pytest.mark.parametrize("wtype", ["f32", "f16", "q8_0"])
def test_gpt2_on_opencl_and_cpu_equals_the_golden(cl_backend, wtype):  # noqa: F811
    got, want, plan = run_gpt2([cl_backend, cpu_backend()], cl_backend.default_buffer_type, wtype)
    err = nmse(got, want)
    assert err <= NMSE_MAX, f"gpt2({wtype}) on [OpenCL, CPU]: NMSE {err:.3g} > {NMSE_MAX:g}"
    # every GPT-2 op is claimed by OpenCL: one split, fed by copies of the two I32 inputs
    assert [s["backend"] for s in plan["splits"]] == [cl_backend.name]
    assert plan["splits"][0]["node_end"] == plan["n_nodes"]
    assert bytes_copied(plan) == 2 * 4 * SMALL["n_tokens"]


def test_gpt2_split_between_opencl_and_cpu(cl_backend):  # noqa: F811
    """OpenCL without SOFT_MAX: the attention's softmax runs on the CPU, with copies both ways
    in every layer, and the result still equals the golden."""
    no_softmax = Restricted(cl_backend, refuse=[Op.SOFT_MAX], name="OpenCL-no-softmax")
    got, want, plan = run_gpt2([no_softmax, cpu_backend()], cl_backend.default_buffer_type)
    assert nmse(got, want) <= NMSE_MAX
    backends = [s["backend"] for s in plan["splits"]]
    assert backends == ["OpenCL-no-softmax", "CPU"] * SMALL["n_layer"] + ["OpenCL-no-softmax"]
    assert bytes_copied(plan) > 2 * 4 * SMALL["n_tokens"]


def test_gpt2_pipelined_copies_use_opencl_events(cl_backend):  # noqa: F811
    """parallel=True: several input copies in flight, ordered by OpenCL events; three
    evaluations in a row (each on the next copy) all equal the golden."""
    no_softmax = Restricted(cl_backend, refuse=[Op.SOFT_MAX], name="OpenCL-no-softmax")
    got, want, plan = run_gpt2([no_softmax, cpu_backend()], cl_backend.default_buffer_type,
                               parallel=True, runs=3)
    assert plan["n_copies"] > 1
    assert nmse(got, want) <= NMSE_MAX
