"""Values for a graph's leafs: random floats, and integers that are valid where they are read.

An integer leaf's values depend on the op that reads it: GET_ROWS indices must fall inside the
table, ROPE positions are token positions. Perf needs realistic values (no NaN, no index that
would fault), not particular ones.
"""

from __future__ import annotations

import numpy as np
from ggsched import Graph, Op, Tensor


def graph_feeds(graph: Graph, rng: np.random.Generator) -> dict[Tensor, np.ndarray]:
    """A value for every leaf of ``graph``, shaped like the leaf (``t.shape``)."""
    readers = _first_readers(graph)
    return {leaf: leaf_values(leaf, readers.get(leaf), rng) for leaf in graph.leafs}


def leaf_values(leaf: Tensor, reader: tuple[Tensor, int] | None, rng) -> np.ndarray:
    if leaf.traits.is_float:
        return rng.uniform(-1.0, 1.0, size=leaf.shape).astype(np.float32)
    dtype = leaf.traits.dtype
    if reader is not None:
        node, slot = reader
        if node.op is Op.GET_ROWS and slot == 1:
            return rng.integers(0, node.src[0].ne[1], size=leaf.shape).astype(dtype)
        if node.op is Op.ROPE and slot == 1:
            return np.arange(leaf.nelements, dtype=dtype).reshape(leaf.shape)
    return np.zeros(leaf.shape, dtype=dtype)


def _first_readers(graph: Graph) -> dict[Tensor, tuple[Tensor, int]]:
    """For each tensor, the first node that reads it and the src slot it reads it from."""
    readers: dict[Tensor, tuple[Tensor, int]] = {}
    for node in graph.nodes:
        for slot, s in enumerate(node.src):
            if s is not None and s not in readers:
                readers[s] = (node, slot)
    return readers
