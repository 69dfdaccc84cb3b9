"""A case's feeds and golden results, computed once per (case, seed) and kept for the next
backend: the golden is often the costliest part of a small case."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from ggsched import golden
from ggsched.layout import from_numpy_bytes
from ggsched.tensor import Tensor

from .cases.base import CaseGraph, OpCase


@dataclass(frozen=True)
class Expected:
    """Feeds in the order of the graph's leafs (as stored: plain values or raw block bytes)
    and the golden value of each output."""

    feeds: tuple[np.ndarray, ...]
    outputs: tuple[np.ndarray, ...]

    def feeds_for(self, inst: CaseGraph) -> dict[Tensor, np.ndarray]:
        return dict(zip(inst.graph.leafs, self.feeds))


def raw_bytes(t: Tensor, stored: np.ndarray) -> np.ndarray:
    """The bytes of a contiguous leaf holding ``stored`` values."""
    if t.traits.is_quantized:
        return stored.reshape(-1).view(np.uint8)
    return from_numpy_bytes(t.type, stored)


@functools.lru_cache(maxsize=256)
def expected(case: OpCase, seed: int) -> Expected:
    inst = case.instantiate()
    feeds = inst.feeds(seed, case.id)
    results = golden.evaluate(inst.graph, feeds)
    outputs = tuple(np.asarray(results[t]) for t in inst.outputs)
    return Expected(tuple(feeds[t] for t in inst.graph.leafs), outputs)
