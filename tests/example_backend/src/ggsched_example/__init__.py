"""A tiny ggsched backend: f32 element-wise ops on contiguous tensors, in private memory.

The whole backend: a buffer type and buffer (a numpy byte array per buffer), a device that
says which ops it computes, a backend that computes them, and ``register()`` for the entry
point group ``ggsched.backends``.
"""

from __future__ import annotations

import numpy as np
from ggsched.backend import Backend, BackendReg, Buffer, BufferType, Device, DeviceType
from ggsched.graph import Graph
from ggsched.layout import strided
from ggsched.op import VIEW_OPS, Op, UnaryOp
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

F32 = GGMLType.F32
BINARY = {Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply}
UNARY = {UnaryOp.NEG: np.negative, UnaryOp.RELU: lambda x: np.maximum(x, 0),
         UnaryOp.SILU: lambda x: x / (1 + np.exp(-x))}


class ExampleBufferType(BufferType):
    name = property(lambda self: "Example")
    alignment = property(lambda self: 64)
    device = property(lambda self: DEVICE)

    def _alloc_buffer(self, size: int) -> Buffer:
        return ExampleBuffer(self, size)


class ExampleBuffer(Buffer):
    def __init__(self, buft: BufferType, size: int) -> None:
        super().__init__(buft, size)
        self.mem = np.zeros(size, dtype=np.uint8)

    def set_tensor(self, t: Tensor, data: np.ndarray, offset: int) -> None:
        self.mem[t.data + offset: t.data + offset + data.size] = data

    def get_tensor(self, t: Tensor, offset: int, size: int) -> np.ndarray:
        return self.mem[t.data + offset: t.data + offset + size].copy()

    def clear(self, value: int) -> None:
        self.mem.fill(value)


def _values(t: Tensor) -> np.ndarray:
    buf = t.view_src.buffer if t.view_src is not None else t.buffer
    return strided(buf.mem, t.type, t.ne, t.nb, t.data)


def _plain(t: Tensor) -> bool:
    return t.type == F32 and t.is_contiguous


class ExampleDevice(Device):
    name = property(lambda self: "Example")
    description = property(lambda self: "the ggsched example backend (numpy, private memory)")
    type = property(lambda self: DeviceType.ACCEL)
    buffer_type = property(lambda self: BUFT)

    def memory(self) -> tuple[int, int]:
        return (1 << 30, 1 << 30)

    def supports_op(self, op: Tensor) -> bool:
        if op.op in VIEW_OPS:
            return True
        if not all(_plain(t) for t in (op, *op.sources)):
            return False
        if op.op in BINARY:
            return op.src[1].ne == op.ne  # no broadcasting here
        if op.op is Op.UNARY:
            return op.op_params[0] in UNARY
        return op.op in (Op.SCALE, Op.SQR)

    def supports_buft(self, buft: BufferType) -> bool:
        return buft is BUFT

    def init_backend(self, params: str = "") -> Backend:
        return ExampleBackend(self)


class ExampleBackend(Backend):
    def graph_compute_async(self, graph: Graph) -> None:
        for node in graph.nodes:
            if node.op not in VIEW_OPS and node.op is not Op.NONE:
                _values(node)[...] = self._compute(node)

    def _compute(self, node: Tensor) -> np.ndarray:
        a = _values(node.src[0])
        if node.op in BINARY:
            return BINARY[node.op](a, _values(node.src[1]))
        if node.op is Op.UNARY:
            return UNARY[node.op_params[0]](a)
        if node.op is Op.SQR:
            return a * a
        s, b = node.op_params
        return a * np.float32(s) + np.float32(b)


class ExampleReg(BackendReg):
    name = property(lambda self: "example")

    def devices(self) -> list[Device]:
        return [DEVICE]


BUFT = ExampleBufferType()
DEVICE = ExampleDevice()


def register() -> BackendReg:
    """The entry point: ``example = "ggsched_example:register"``."""
    return ExampleReg()
