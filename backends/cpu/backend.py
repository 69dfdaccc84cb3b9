"""The CPU backend: runs each node's numpy kernel, in graph order, on host buffers."""

from __future__ import annotations

from ggsched.backend import Backend
from ggsched.graph import Graph
from ggsched.tensor import Tensor

from .kernels import compute_node


class CPUBackend(Backend):
    """Synchronous: graph_compute_async has finished every node when it returns."""

    def graph_compute_async(self, graph: Graph) -> None:
        for node in graph.nodes:
            compute_node(node)

    def compute(self, node: Tensor) -> None:
        """Compute one node (its sources must already hold their values)."""
        compute_node(node)
