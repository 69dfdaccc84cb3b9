"""Deliberately broken backends, for ``ggsched conformance --self-test``.

Each wraps the CPU backend and adds one fault a real backend could have; the self-test runs
the suite on each and shows which cases caught it. ``broken-<fault>`` opens one (as
``--backend broken-nan``, say). The faults sit where a backend's own code would: in
supports_op, in a kernel's result (applied after the CPU kernel, node by node), in the buffer
type, in buffer copies and in the async queue.
"""

from __future__ import annotations

import math

import numpy as np
from ggsched.backend import (
    Backend,
    BufferType,
    Device,
    DeviceType,
    tensor_buffer,
    tensor_copy,
    tensor_get,
)
from ggsched.backends import registry
from ggsched.backends.cpu.buffer import CPUBuffer, aligned_bytes
from ggsched.errors import BackendNotFound
from ggsched.graph import Graph
from ggsched.op import VIEW_OPS, Op, UnaryOp
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

PREFIX = "broken-"
F32 = GGMLType.F32
BINARY = (Op.ADD, Op.SUB, Op.MUL, Op.DIV)


def _values(t: Tensor) -> np.ndarray:
    """t's values as a writable view of its host memory (plain types)."""
    buf = tensor_buffer(t)
    return buf.view(t)


class Fault:
    """No fault: every hook is the CPU backend's own behaviour."""

    name = "none"
    what = "no fault"
    host = True  # buffers are host memory
    misalign = 0  # bytes between an aligned address and a buffer's first byte
    deferred = False  # graph_compute_async queues work until synchronize

    def claims(self, node: Tensor, cpu_claims: bool) -> bool:
        return cpu_claims

    def alloc_size(self, t: Tensor, size: int) -> int:
        return size

    def after(self, node: Tensor) -> None:
        """Tamper with a node's result once the CPU kernel has written it."""

    def cpy_tensor(self, buffer: CPUBuffer, src: Tensor, dst: Tensor) -> bool:
        return CPUBuffer.cpy_tensor(buffer, src, dst)


class RelativeError(Fault):
    name, what = "relative-error", "f32 ADD/SUB/MUL/DIV off by a relative error just above 1e-7"
    delta = math.sqrt(1.5e-7)  # NMSE = delta^2 = 1.5x the default bound

    def after(self, node):
        if node.op in BINARY and node.type == F32:
            _values(node)[...] *= 1 + self.delta


class OneElement(Fault):
    name, what = "one-element", "one element of large f32 binary results wrong (NMSE passes)"

    def after(self, node):
        if node.op in BINARY and node.type == F32 and node.nelements > 4096:
            v = _values(node)
            rms = float(np.sqrt(np.mean(np.square(v, dtype=np.float64))))
            v.reshape(-1)[node.nelements // 2] += 30 * math.sqrt(1e-7) * rms


class WritePastEnd(Fault):
    name, what = "write-past-end", "unary ops write one element past their result"

    def after(self, node):
        if node.op is Op.UNARY and node.view_src is None:
            host = tensor_buffer(node).host_array()
            end = node.data + node.nbytes
            host[end:end + node.traits.type_size] = 0x42


class WrongClaim(Fault):
    name, what = "wrong-claim", "claims GELU but computes x*sigmoid(1.702x)"

    def after(self, node):
        if node.op is Op.UNARY and node.op_params[0] is UnaryOp.GELU:
            src = _values(node.src[0]).astype(np.float64)
            _values(node)[...] = src / (1 + np.exp(-1.702 * src))


class RefuseAll(Fault):
    name, what = "refuse-all", "supports_op refuses everything (must fall back, not fail)"

    def claims(self, node, cpu_claims):
        return False


class StridedCopy(Fault):
    name = "strided-copy"
    what = "copies read non-contiguous sources as if contiguous (CPY/CONT/DUP, cpy_tensor)"
    host = False

    def after(self, node):
        src = node.src[0] if node.src else None
        if node.op in (Op.CPY, Op.CONT, Op.DUP) and src is not None and not src.is_contiguous:
            if not src.traits.is_quantized and src.type == node.type:
                raw = tensor_get(src)[: node.nelements * node.traits.type_size]
                _values(node)[...] = raw.view(node.traits.dtype).reshape(node.shape)

    def cpy_tensor(self, buffer, src, dst):
        root = src.view_src if src.view_src is not None else src
        sbuf = tensor_buffer(src)
        if not isinstance(sbuf, CPUBuffer):
            return False
        data = sbuf.host_array()[root.data: root.data + src.nbytes]  # ignores the view offset
        buffer.host_array()[dst.data: dst.data + src.nbytes] = data
        return True


class ShortAlloc(Fault):
    name, what = "short-alloc", "get_alloc_size one byte below nbytes"

    def alloc_size(self, t, size):
        return t.nbytes - 1 if t.nbytes > 1 else size


class Misaligned(Fault):
    name, what = "misaligned", "buffers start one byte past an aligned address"
    misalign = 1


class InplaceClobber(Fault):
    name, what = "inplace-clobber", "ADD/MUL also write their result over src0 (still in use)"

    def after(self, node):
        a = node.src[0] if node.src else None
        if node.op in (Op.ADD, Op.MUL) and a is not None and node.view_src is None:
            if a.ne == node.ne and a.type == node.type and not a.traits.is_quantized:
                _values(a)[...] = _values(node)


class Nondeterministic(Fault):
    name, what = "nondeterministic", "MUL_MAT results move by one ulp from run to run"

    def __init__(self) -> None:
        self.rng = np.random.default_rng()  # NOTE: unseeded on purpose

    def after(self, node):
        if node.op is Op.MUL_MAT and node.type == F32:
            v = _values(node)
            pick = self.rng.random(v.shape) < 0.5
            v[pick] = np.nextafter(v[pick], np.float32(np.inf))


class AsyncNoSync(Fault):
    name, what = "async-no-sync", "async get/copy do not wait for queued compute"
    deferred = True


class NanForNumber(Fault):
    name, what = "nan", "SILU writes a NaN where the golden has a number"

    def after(self, node):
        if node.op is Op.UNARY and node.op_params[0] is UnaryOp.SILU:
            _values(node).reshape(-1)[node.nelements // 3] = np.nan


FAULTS: dict[str, type[Fault]] = {f.name: f for f in (
    RelativeError, OneElement, WritePastEnd, WrongClaim, RefuseAll, StridedCopy, ShortAlloc,
    Misaligned, InplaceClobber, Nondeterministic, AsyncNoSync, NanForNumber)}


class BrokenBuffer(CPUBuffer):
    def __init__(self, buft: BrokenBufferType, array: np.ndarray) -> None:
        super().__init__(buft, array)
        self.fault = buft.fault

    def cpy_tensor(self, src: Tensor, dst: Tensor) -> bool:
        return self.fault.cpy_tensor(self, src, dst)


class BrokenBufferType(BufferType):
    def __init__(self, fault: Fault, device: Device) -> None:
        self.fault, self._device = fault, device

    name = property(lambda self: f"{PREFIX}{self.fault.name}")
    alignment = property(lambda self: 32)
    is_host = property(lambda self: self.fault.host)
    device = property(lambda self: self._device)

    def get_alloc_size(self, t: Tensor) -> int:
        return self.fault.alloc_size(t, t.nbytes)

    def _alloc_buffer(self, size: int) -> BrokenBuffer:
        pad = self.fault.misalign
        return BrokenBuffer(self, aligned_bytes(size + pad)[pad:])


class BrokenDevice(Device):
    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.cpu = registry.get_device("CPU")
        self._buft = BrokenBufferType(fault, self)

    name = property(lambda self: f"{PREFIX}{self.fault.name}")
    description = property(lambda self: f"CPU with a fault: {self.fault.what}")
    type = property(lambda self: DeviceType.GPU)
    buffer_type = property(lambda self: self._buft)

    def memory(self):
        return self.cpu.memory()

    def supports_op(self, op: Tensor) -> bool:
        return self.fault.claims(op, self.cpu.supports_op(op))

    def supports_buft(self, buft: BufferType) -> bool:
        return buft is self._buft or (self.fault.host and buft.is_host)

    def init_backend(self, params: str = "") -> Backend:
        return BrokenBackend(self)


class BrokenBackend(Backend):
    """Computes node by node with the CPU's kernels, then lets the fault tamper."""

    def __init__(self, device: BrokenDevice) -> None:
        super().__init__(device)
        self.fault = device.fault
        self.inner = device.cpu.init_backend()
        self.pending: list[Graph] = []

    def graph_compute_async(self, graph: Graph) -> None:
        if self.fault.deferred:
            self.pending.append(graph)
        else:
            self._run(graph)

    def _run(self, graph: Graph) -> None:
        for node in graph.nodes:
            if node.op in VIEW_OPS or node.op is Op.NONE:
                continue
            self.inner.compute(node)
            self.fault.after(node)

    def synchronize(self) -> None:
        while self.pending:
            self._run(self.pending.pop(0))

    def get_tensor_async(self, t, offset=0, size=None):
        if self.fault.deferred:  # the fault: no wait for the queue
            return tensor_get(t, offset, size)
        return super().get_tensor_async(t, offset, size)

    def cpy_tensor_async(self, backend_src, src, dst) -> bool:
        if self.fault.deferred:  # the fault: copies now, queued work or not
            tensor_copy(src, dst)
            return True
        return False


def is_broken(name: str) -> bool:
    return name.lower().startswith(PREFIX)


def make(name: str) -> Backend:
    fault = FAULTS.get(name.lower()[len(PREFIX):])
    if fault is None:
        known = ", ".join(PREFIX + n for n in FAULTS)
        raise BackendNotFound(f"no broken backend named {name!r}; known: {known}")
    return BrokenDevice(fault()).init_backend()


def names() -> list[str]:
    return [PREFIX + n for n in FAULTS]
