"""The "ggml-cpu" device: real ggml's CPU backend as a ggsched backend.

Buffers are host memory (numpy arrays, like the CPU backend's), so ggml computes straight in
them: ``graph_compute`` rebuilds each graph it is given (a whole graph or a scheduler's split)
in a ggml context once, and before every compute points each ggml tensor at its bytes in our
buffers. It claims only what was checked against the golden (support.py).
"""

from __future__ import annotations

import collections
import weakref

from ggsched.backend import (
    Backend,
    BufferType,
    Device,
    DeviceType,
    tensor_buffer,
)
from ggsched.errors import GGSchedError, UnsupportedOpError
from ggsched.graph import Graph
from ggsched.tensor import Tensor

from ..cpu.buffer import CPUBufferType
from ..cpu.device import host_memory
from .build import GgmlGraph
from .lib import Lib, default_threads, load
from .runner import GGML_STATUS, GgmlComputeError
from .support import verified

NAME = "ggml-cpu"
CACHE_SIZE = 32  # rebuilt graphs kept per backend (a scheduler computes a few splits in turn)


class GgmlBufferType(CPUBufferType):
    """Host memory for ggml-cpu: the CPU buffer type under its own name (alignment 32)."""

    @property
    def name(self) -> str:
        return NAME


class GgmlDevice(Device):
    def __init__(self, lib: Lib | None = None) -> None:
        self.lib = lib if lib is not None else load()
        self._buft = GgmlBufferType(self)
        self._supported: weakref.WeakKeyDictionary[Tensor, bool] = weakref.WeakKeyDictionary()

    @property
    def name(self) -> str:
        return NAME

    @property
    def description(self) -> str:
        return self.lib.describe()

    @property
    def type(self) -> DeviceType:
        return DeviceType.CPU

    @property
    def buffer_type(self) -> BufferType:
        return self._buft

    def memory(self) -> tuple[int, int]:
        return host_memory()

    def supports_op(self, op: Tensor) -> bool:
        known = self._supported.get(op)
        if known is None:
            known = self._supported[op] = verified(op) and self._ggml_supports(op)
        return known

    def _ggml_supports(self, op: Tensor) -> bool:
        """ggml's own answer, on the op rebuilt alone (its sources imported)."""
        alone = Graph(None)
        alone.nodes.append(op)
        try:
            gg = GgmlGraph(alone, lib=self.lib, split=True)
        except GGSchedError:
            return False
        try:
            backend = self._probe_backend()
            return bool(self.lib.fn("ggml_backend_supports_op")(backend, gg.ptr(op)))
        finally:
            gg.close()

    def _probe_backend(self):
        if getattr(self, "_probe", None) is None:
            self._probe = self.lib.fn("ggml_backend_cpu_init")()
        return self._probe

    def supports_buft(self, buft: BufferType) -> bool:
        return buft.is_host

    def init_backend(self, params: str = "") -> Backend:
        """params: "" or "n_threads=N"."""
        n = int(params.split("=", 1)[1]) if params.startswith("n_threads=") else None
        return GgmlBackend(self, n or default_threads())


def _address(t: Tensor) -> int:
    buf = tensor_buffer(t)
    host = buf.host_array()
    if host is None:
        raise GGSchedError(f"{NAME}: {t.describe()} is in {buf!r}, not in host memory")
    return host.ctypes.data + t.data


class GgmlBackend(Backend):
    """Synchronous, like ggml's CPU backend: compute has finished when it returns."""

    def __init__(self, device: GgmlDevice, n_threads: int) -> None:
        super().__init__(device)
        self.lib = device.lib
        self.n_threads = n_threads
        self._backend = self.lib.fn("ggml_backend_cpu_init")()
        self.lib.fn("ggml_backend_cpu_set_n_threads")(self._backend, n_threads)
        self._graphs: collections.OrderedDict[tuple, GgmlGraph] = collections.OrderedDict()

    def graph_compute_async(self, graph: Graph) -> None:
        gg = self._rebuilt(graph)
        gg.bind(_address)
        status = self.lib.fn("ggml_backend_graph_compute")(self._backend, gg.gf)
        if status != 0:
            raise GgmlComputeError(
                f"{NAME}: ggml_backend_graph_compute returned {GGML_STATUS.get(status, status)}"
            )

    def _rebuilt(self, graph: Graph) -> GgmlGraph:
        # NOTE: keyed by the identity of the nodes and of their sources: the scheduler gives the
        # same nodes new input-copy sources on each alloc_graph, and a graph rebuilt for the old
        # ones would read unallocated tensors. A cached GgmlGraph holds them, so ids stay unique.
        key = tuple(id(t) for t in graph.nodes) + tuple(
            id(s) for t in graph.nodes for s in t.src if s is not None)
        gg = self._graphs.get(key)
        if gg is not None:
            self._graphs.move_to_end(key)
            return gg
        self._check_supported(graph)
        gg = GgmlGraph(graph, lib=self.lib, split=True)
        gg.check()
        self._graphs[key] = gg
        if len(self._graphs) > CACHE_SIZE:
            self._graphs.popitem(last=False)[1].close()
        return gg

    def _check_supported(self, graph: Graph) -> None:
        for t in graph.nodes:
            if not self.device.supports_op(t):
                raise UnsupportedOpError(
                    f"{NAME}: cannot compute {t.op_desc} {t.describe()} from "
                    f"[{', '.join(s.describe() for s in t.sources)}]: not verified against "
                    "the golden for these types/layouts, or ggml's CPU lacks it"
                )

    def close(self) -> None:
        for gg in self._graphs.values():
            gg.close()
        self._graphs.clear()
        if self._backend:
            self.lib.fn("ggml_backend_free")(self._backend)
            self._backend = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass
