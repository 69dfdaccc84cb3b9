"""The ``blas`` column: numpy's BLAS (OpenBLAS here) doing an f32 MUL_MAT's product directly.

It is the ceiling the host can reach for a dense f32 product, with no graph, buffer or
backend in the way: the yardstick for an OpenCL device's MUL_MAT ("≥ 0.5× OpenBLAS") and
for what our CPU backend adds around its own BLAS call. Only f32 × f32 MUL_MAT is claimed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ggsched import F32, Graph, Op, Tensor

from .machine import blas_summary
from .targets import NotSupported, Target
from .timing import Runner

BLAS = "blas"


class BlasRunner:
    """c = b · aᵀ, with numpy's matmul writing into a preallocated c."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        # NOTE: feeds are 4-d (ne reversed); the product is over the last two axes
        self.at = np.ascontiguousarray(a, dtype=np.float32).swapaxes(-1, -2)
        self.b = np.ascontiguousarray(b, dtype=np.float32)
        self.c = np.matmul(self.b, self.at)

    def run(self, n: int) -> None:
        for _ in range(n):
            np.matmul(self.b, self.at, out=self.c)


class BlasTarget(Target):
    name = BLAS

    def prepare(self, graph: Graph, feeds: dict[Tensor, np.ndarray]) -> Runner:
        out = graph.nodes[-1]
        if out.op is not Op.MUL_MAT or any(s.type != F32 for s in out.sources):
            raise NotSupported("not supported: only f32 MUL_MAT")
        if not (out.src[0].is_matrix and out.src[1].is_matrix):
            raise NotSupported("not supported: batched MUL_MAT")
        return BlasRunner(feeds[out.src[0]], feeds[out.src[1]])

    def describe(self) -> dict[str, Any]:
        return {"name": BLAS, "device": "CPU", "description": blas_summary(), "type": "CPU"}
