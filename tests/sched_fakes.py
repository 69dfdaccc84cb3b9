"""Fake devices for the scheduler's tests: they answer the capability questions the test sets
and remember what they were asked to compute, but compute nothing. Their buffers do hold bytes
(``FakeBufferType("X", is_host=False)`` also stands for device memory the CPU cannot read)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from ggsched import ops
from ggsched.alloc import alloc_ctx_tensors_from_buft
from ggsched.backend import Backend, Buffer, BufferType, BufferUsage, Device, DeviceType
from ggsched.graph import Graph
from ggsched.op import Op
from ggsched.tensor import Tensor


class FakeBufferType(BufferType):
    def __init__(self, name: str, is_host: bool) -> None:
        self._name, self._host = name, is_host

    @property
    def name(self) -> str:
        return self._name

    @property
    def alignment(self) -> int:
        return 32

    @property
    def is_host(self) -> bool:
        return self._host

    def _alloc_buffer(self, size: int) -> Buffer:
        return FakeBuffer(self, size)


class FakeBuffer(Buffer):
    def __init__(self, buft: BufferType, size: int) -> None:
        super().__init__(buft, size)
        self.bytes = np.zeros(size, dtype=np.uint8)

    def set_tensor(self, t, data, offset):
        self.bytes[t.data + offset : t.data + offset + data.size] = data

    def get_tensor(self, t, offset, size):
        return self.bytes[t.data + offset : t.data + offset + size].copy()

    def clear(self, value):
        self.bytes[:] = value


class FakeDevice(Device):
    """Supports every op but ``refuse``; reads its own buffer type, and host buffers when
    ``reads_host``; ``offload`` is its offload_op policy."""

    def __init__(self, name: str, type: DeviceType, buft: BufferType, refuse: Iterable[Op] = (),
                 reads_host: bool = True, offload: Callable[[Tensor], bool] | None = None):
        self._name, self._type, self._buft = name, type, buft
        self.refuse = set(refuse)
        self.reads_host = reads_host
        self.offload = offload

    name = property(lambda self: self._name)
    description = property(lambda self: f"fake {self._name}")
    type = property(lambda self: self._type)
    buffer_type = property(lambda self: self._buft)

    def memory(self):
        return (1 << 30, 1 << 30)

    def supports_op(self, op: Tensor) -> bool:
        return op.op not in self.refuse

    def supports_buft(self, buft: BufferType) -> bool:
        return buft is self._buft or (self.reads_host and buft.is_host)

    def offload_op(self, op: Tensor) -> bool:
        return bool(self.offload and self.offload(op))

    def init_backend(self, params: str = "") -> Backend:
        return FakeBackend(self)


class FakeBackend(Backend):
    def __init__(self, device: Device) -> None:
        super().__init__(device)
        self.computed: list[Tensor] = []

    def graph_compute_async(self, graph: Graph) -> None:
        self.computed += graph.nodes


def cpu(buft: BufferType | None = None, refuse=()) -> FakeBackend:
    buft = buft or FakeBufferType("CPU", is_host=True)
    return FakeBackend(FakeDevice("CPU", DeviceType.CPU, buft, refuse))


def gpu(name: str = "FAKE", refuse=(Op.SOFT_MAX,), offload=None) -> FakeBackend:
    """A discrete device: private memory that no one else reads, and it reads no host memory."""
    buft = FakeBufferType(name, is_host=False)
    return FakeBackend(FakeDevice(name, DeviceType.GPU, buft, refuse, reads_host=False,
                                  offload=offload))


def place_weights(buft: BufferType, *tensors: Tensor) -> Buffer:
    """Put ``tensors`` one after another in a new WEIGHTS buffer of ``buft``."""
    buffer = alloc_ctx_tensors_from_buft(tensors, buft)
    buffer.usage = BufferUsage.WEIGHTS
    return buffer


def mul_mat_batch_32(node: Tensor) -> bool:
    """The offload_op policy of ggml's CUDA backend at its default: MUL_MAT with ne[1] >= 32."""
    return node.op is Op.MUL_MAT and node.ne[1] >= 32


def example_211(n: int):
    """ggml.md §2.11's graph: x -> h1=w1·x -> s1=scale -> sm=soft_max -> h2=w2·sm
    -> r2=h2+x -> h3=w3·r2 -> out=sum_rows. Returns (graph, tensors by name)."""
    x = ops.new_tensor_2d("f32", 64, n, name="x").set_input()
    w1, w2, w3 = (ops.new_tensor_2d("f32", 64, 64, name=f"w{i}") for i in (1, 2, 3))
    h1 = ops.mul_mat(w1, x).set_name("h1")
    s1 = ops.scale(h1, 0.125).set_name("s1")
    sm = ops.soft_max(s1).set_name("sm")
    h2 = ops.mul_mat(w2, sm).set_name("h2")
    r2 = ops.add(h2, x).set_name("r2")
    h3 = ops.mul_mat(w3, r2).set_name("h3")
    out = ops.sum_rows(h3).set_name("out").set_output()
    g = Graph(None).build_forward_expand(out)
    named = {t.name: t for t in (x, w1, w2, w3, h1, s1, sm, h2, r2, h3, out)}
    return g, named
