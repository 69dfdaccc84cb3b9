"""Put every tensor of a small graph in one buffer of a backend, and write the leafs' values.

Per-op perf graphs are one node and its sources, so no memory reuse is wanted: each tensor
that owns memory gets its own slot (ggml_backend_alloc_ctx_tensors, as test-backend-ops does),
then views take their address from their view_src.
"""

from __future__ import annotations

import numpy as np
from ggsched import Graph, Tensor
from ggsched.alloc import alloc_ctx_tensors
from ggsched.backend import Backend, Buffer
from ggsched.sched_eval import set_values


def owners(graph: Graph) -> list[Tensor]:
    """Tensors that own memory (roots), each once, in graph order (leafs first)."""
    seen: dict[int, Tensor] = {}
    for t in graph.tensors():
        r = t.root
        seen.setdefault(id(r), r)
    return list(seen.values())


def place_graph(graph: Graph, backend: Backend) -> Buffer | None:
    """Allocate every tensor of ``graph`` in ``backend``'s default buffer type; views last."""
    return alloc_ctx_tensors([*owners(graph), *graph.tensors()], backend)


def write_feeds(feeds: dict[Tensor, np.ndarray]) -> None:
    """Store each value in its tensor: values (quantized for block types), or a quantized
    tensor's raw bytes (uint8 of size nbytes) as the conformance cases make them."""
    for t, values in feeds.items():
        set_values(t, values)
