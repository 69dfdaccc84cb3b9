"""The CPU backend: runs each node's numpy kernel, in graph order, on host buffers."""

from __future__ import annotations

from ggsched.backend import Backend, tensor_buffer
from ggsched.errors import UnsupportedOpError
from ggsched.graph import Graph
from ggsched.tensor import Tensor

from .kernels import NO_COMPUTE, compute_node
from .support import supports_op
from .weight_cache import WEIGHT_CACHE


class CPUBackend(Backend):
    """Synchronous: graph_compute_async has finished every node when it returns."""

    def graph_compute_async(self, graph: Graph) -> None:
        for node in graph.nodes:
            self.compute(node)

    def compute(self, node: Tensor) -> None:
        """Compute one node (its sources must already hold their values)."""
        if not supports_op(node):
            srcs = ", ".join(s.describe() for s in node.sources)
            raise UnsupportedOpError(
                f"CPU: cannot compute {node.op_desc} node {node.describe()} from [{srcs}]: "
                f"no kernel for these types/layouts (see supports_op)"
            )
        compute_node(node)
        if WEIGHT_CACHE and node.op not in NO_COMPUTE:
            # a node computed into a weight (a CPY into a view of it, ...) changes the weight
            WEIGHT_CACHE.invalidate(tensor_buffer(node), node.data, node.nbytes)
