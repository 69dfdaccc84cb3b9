"""Our graph allocator against real ggml's on the same graphs: every offset and the buffer
size must be identical (CPU buffer type, alignment 32, one buffer, weights kept apart)."""

from __future__ import annotations

import pytest
from alloc_strategies import graphs
from ggsched import models
from ggsched.alloc import GAllocr, alloc_ctx_tensors_from_buft
from ggsched.backends import ggml as gg
from ggsched.backends.null import NullBufferType
from hypothesis import given, settings

REASON = gg.unavailable_reason()
pytestmark = [
    pytest.mark.ggml,
    pytest.mark.skipif(REASON is not None, reason=f"real ggml is unavailable: {REASON}"),
]


def cpu_buft() -> NullBufferType:
    return NullBufferType("CPU", 32, is_host=True)


def ours(graph, static=()):
    if static:
        alloc_ctx_tensors_from_buft(static, NullBufferType("W", 32, is_host=True))
    galloc = GAllocr(cpu_buft())
    assert galloc.alloc_graph(graph)
    return galloc.get_buffer_size(0)


def assert_same_plan(graph, static=()):
    theirs = gg.gallocr_plan(graph, static=static)  # before ours: it reads unallocated tensors
    size = ours(graph, static)
    assert size == theirs.size, f"buffer size: ours {size} B, ggml {theirs.size} B"
    for t, offset in theirs.offsets.items():
        assert t.data == offset, f"{t.name} ({t.op_desc}): ours at {t.data}, ggml at {offset}"


@settings(max_examples=150, deadline=None)
@given(graphs(inputs_as_nodes=False, extra_roots=False))  # ggml's rebuild expands one root
def test_same_offsets_as_ggml_on_random_graphs(generated):
    graph, static = generated
    assert_same_plan(graph, static)


def test_same_offsets_as_ggml_on_gpt2():
    m = models.gpt2(n_embd=64, n_head=4, n_layer=2, n_tokens=16, n_vocab=64)
    assert_same_plan(m.graph, m.weights)
