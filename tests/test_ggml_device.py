"""The "ggml-cpu" device: real ggml's CPU backend computing in ggsched's own host buffers,
alone, under the scheduler with other backends, and claiming only what was verified."""

from __future__ import annotations

import ggsched.backends.ggml as gg
import numpy as np
import pytest
from ggsched import F32, I32, build_graph, golden, models, ops
from ggsched.alloc import alloc_ctx_tensors_from_buft
from ggsched.backends import registry
from ggsched.backends.cpu import cpu_backend
from ggsched.errors import UnsupportedOpError
from ggsched.sched import Scheduler
from ggsched.sched_eval import evaluate, get_values, load_weights, nmse, set_values

REASON = gg.unavailable_reason()
pytestmark = [
    pytest.mark.ggml,
    pytest.mark.skipif(REASON is not None, reason=f"real ggml unavailable: {REASON}"),
]
if REASON is None:
    from ggsched.backends.ggml import crosscheck as cc
    from ggsched.backends.ggml import crosscheck_cases as cases

    CASES = [c for c in cases.all_cases() if not c.ggml_bug]
else:
    CASES = []


@pytest.fixture(scope="module")
def backend():
    return registry.init_backend("GGML-CPU", "n_threads=1")


def test_the_registry_lists_the_device_with_what_it_runs():
    dev = registry.get_device("ggml-cpu")
    assert dev.type.value == "CPU" and dev.buffer_type.is_host
    assert dev.description.startswith("ggml 0.20")


def _place(graph, backend):
    """Every tensor the graph touches (CPY/SET_ROWS destinations too) in one device buffer."""
    roots = {t.root: None for t in graph.tensors()}
    roots.update({s.root: None for t in graph.nodes for s in t.sources})
    everything = list(dict.fromkeys([*roots, *graph.tensors()]))
    return alloc_ctx_tensors_from_buft(everything, backend.default_buffer_type)


@pytest.mark.parametrize("case", CASES[::3], ids=lambda c: c.name)
def test_cases_computed_in_our_buffers(case, backend):
    """A third of the golden-vs-ggml cases again, ggml now reading and writing our memory."""
    out = case.build()
    graph = build_graph(out)
    feeds = cc.make_feeds(case, graph, np.random.default_rng(0))
    buffer = _place(graph, backend)
    buffer.clear(0)
    for t, v in feeds.items():
        set_values(t, v)
    backend.graph_compute(graph)
    res = golden.evaluate(graph, feeds)
    got = get_values(out).astype(np.float64)
    want = res[out].astype(np.float64)
    if case.exact:
        assert np.array_equal(got, want), case.name
    elif case.bound is not None:  # ggml rounds on purpose: the element-wise rounding bound
        assert np.all(np.abs(got - want) <= case.bound(out, res)), case.name
    else:
        assert cc.nmse(want, got) <= case.max_nmse, case.name


def test_claims_only_verified_layouts(backend):
    a = ops.new_tensor_2d(F32, 13, 7, "a")
    b = ops.new_tensor_2d(F32, 7, 13, "b")
    assert backend.supports_op(ops.mul_mat(a, ops.cont(ops.transpose(b))))
    assert not backend.supports_op(ops.mul_mat(a, ops.transpose(b)))  # ggml asserts nb10
    assert backend.supports_op(ops.transpose(b))  # a view: nothing to compute
    x = ops.new_tensor_3d(I32, 13, 3, 2, "x")
    assert not backend.supports_op(ops.count_equal(x, x))  # ggml's known bug (ne[2] > 1)
    with pytest.raises(UnsupportedOpError, match="COUNT_EQUAL"):
        backend.graph_compute(build_graph(ops.count_equal(x, x)))


def _gpt2():
    return models.gpt2(n_embd=64, n_head=4, n_layer=2, n_tokens=16, n_vocab=64)


def test_gpt2_through_the_scheduler_alone(backend):
    m = _gpt2()
    feeds = m.feeds(np.random.default_rng(0))
    load_weights(m.weights, backend.default_buffer_type, feeds)
    sched = Scheduler([backend])
    inputs = {t: feeds[t] for t in m.inputs}
    got = evaluate(sched, m.graph, inputs, [m.output])[m.output]
    # NOTE: 1e-6, not 1e-7: ggml's GELU reads an f16 table (see crosscheck_cases)
    assert nmse(got, golden.evaluate(m.graph, feeds)[m.output]) <= 1e-6


def test_gpt2_split_between_ggml_and_our_cpu(backend):
    """Every NORM forced onto our CPU backend: splits alternate, inputs are copied across."""
    m = _gpt2()
    feeds = m.feeds(np.random.default_rng(0))
    cpu = cpu_backend()
    load_weights(m.weights, backend.default_buffer_type, feeds)
    sched = Scheduler([backend, cpu])
    for t in m.graph.nodes:
        if t.op_desc == "NORM":
            sched.set_tensor_backend(t, cpu)
    assert sched.alloc_graph(m.graph)
    assert sched.n_splits >= 2 * 2 + 1  # ggml, CPU (NORM), ggml, ... for 2 layers
    for t in m.inputs:
        set_values(t, feeds[t])
    sched.graph_compute(m.graph)
    got = get_values(m.output)
    assert nmse(got, golden.evaluate(m.graph, feeds)[m.output]) <= 1e-6
