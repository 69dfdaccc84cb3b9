"""Put every tensor of a small graph in one buffer of a backend, and write the leafs' values.

Per-op perf graphs are one node and its sources, so no memory reuse is wanted: each tensor
that owns memory gets its own aligned slot in a single buffer (what ggml_backend_alloc_ctx_
tensors does for a context), then views take their address from their view_src.
"""

from __future__ import annotations

import numpy as np
from ggsched import Graph, Tensor
from ggsched.backend import Backend, Buffer, tensor_alloc, tensor_set, view_init
from ggsched.layout import from_numpy_bytes


def _align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def owners(graph: Graph) -> list[Tensor]:
    """Tensors that own memory (roots), each once, in graph order (leafs first)."""
    seen: dict[int, Tensor] = {}
    for t in graph.tensors():
        r = t.root
        seen.setdefault(id(r), r)
    return list(seen.values())


def place_graph(graph: Graph, backend: Backend) -> Buffer:
    """Allocate one buffer of ``backend``'s default type holding every tensor of ``graph``."""
    buft = backend.default_buffer_type
    roots = owners(graph)
    offsets, size = [], 0
    for t in roots:
        size = _align(size, buft.alignment)
        offsets.append(size)
        size += buft.alloc_size(t)
    buffer = buft.alloc_buffer(max(size, 1))
    for t, offs in zip(roots, offsets):
        tensor_alloc(buffer, t, offs)
    for t in graph.tensors():
        if t.view_src is not None and t.buffer is None:
            view_init(t)
    return buffer


def write_feeds(feeds: dict[Tensor, np.ndarray]) -> None:
    """Store each value in its tensor (quantizing for block types)."""
    for t, values in feeds.items():
        tensor_set(t, from_numpy_bytes(t.type, values))
