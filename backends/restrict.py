"""A backend that supports less than the backend it wraps, so splitting can be tested anywhere.

``Restricted(cpu, refuse=[Op.SOFT_MAX], host_readable=False, name="FAKE")`` behaves like a
discrete accelerator that cannot run SOFT_MAX: the scheduler must send those nodes elsewhere
and copy tensors across. Computation still happens in the wrapped backend. In the manner of
ONNX Runtime's internal testing execution provider, it changes only what the backend says it
can do, never how it computes.

- ``refuse``: what to take away from ``supports_op``. Any mix of an ``Op`` (``Op.SOFT_MAX``), a
  sub-op (``UnaryOp.GELU``, ``GluOp.SWIGLU``), an op name (``"SOFT_MAX"``, ``"gelu"``), an
  ``(op, type)`` pair (refused when the node or any of its sources has that type, e.g.
  ``(Op.MUL_MAT, "q4_0")``), or a predicate ``f(node) -> bool`` (True = refuse).
- ``host_readable=True`` keeps the wrapped backend's buffer type (the same object, as BLAS
  shares the CPU's); ``False`` gives the wrapper a buffer type of its own that is not host
  memory, that only it can read, and whose buffers no other device will accept.
- ``offload``: an ``offload_op`` policy ``f(node) -> bool`` (default: the wrapped device's).
- ``type``: the device type to report (default: the wrapped one's when host_readable,
  else GPU).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ggsched.backend import Backend, Buffer, BufferType, Device, DeviceCaps, DeviceType, Event
from ggsched.errors import UnsupportedOpError
from ggsched.graph import Graph
from ggsched.op import VIEW_OPS, GluOp, Op, UnaryOp, parse_op_name
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

Predicate = Callable[[Tensor], bool]


class Restricted(Backend):
    """Wraps ``backend``; refuses ``refuse`` in supports_op; computes through ``backend``."""

    def __init__(
        self,
        backend: Backend,
        refuse=(),
        host_readable: bool = True,
        name: str | None = None,
        offload: Predicate | None = None,
        type: DeviceType | None = None,
        *,
        device: RestrictedDevice | None = None,
    ) -> None:
        """``device``: share an existing wrapper's device (and so its answers and memory)
        instead of describing a new one."""
        self.inner = backend
        if device is None:
            refused, what = compile_refusals(refuse)
            device = RestrictedDevice(backend.device, refused, what, host_readable,
                                      name or f"{backend.name}-restricted", offload, type)
        super().__init__(device)

    def graph_compute_async(self, graph: Graph) -> None:
        # NOTE: a scheduler bug would otherwise pass silently: the wrapped backend can run
        # what this one claims it cannot.
        for node in graph.nodes:
            if node.op not in VIEW_OPS and node.op is not Op.NONE and not self.supports_op(node):
                raise UnsupportedOpError(
                    f"backend {self.name} was asked to compute {node.op_desc} node "
                    f"{node.describe()}, which it refuses ({self.device.refused_text})"
                )
        self.inner.graph_compute_async(graph)

    def synchronize(self) -> None:
        self.inner.synchronize()

    def set_tensor_async(self, t: Tensor, data: np.ndarray, offset: int = 0) -> None:
        self.inner.set_tensor_async(t, data, offset)

    def get_tensor_async(self, t: Tensor, offset: int = 0, size: int | None = None) -> np.ndarray:
        return self.inner.get_tensor_async(t, offset, size)

    def cpy_tensor_async(self, backend_src: Backend, src: Tensor, dst: Tensor) -> bool:
        return self.inner.cpy_tensor_async(_unwrap(backend_src), src, dst)


class RestrictedDevice(Device):
    """The wrapped device, answering supports_op / supports_buft / offload_op more narrowly."""

    def __init__(self, inner: Device, refused: Predicate, refused_text: str,
                 host_readable: bool, name: str, offload: Predicate | None,
                 type: DeviceType | None) -> None:
        self.inner = inner
        self.refused = refused
        self.refused_text = refused_text
        self.host_readable = host_readable
        self._name = name
        self._offload = offload
        self._type = type or (inner.type if host_readable else DeviceType.GPU)
        self._buft = inner.buffer_type if host_readable else DeviceBufferType(inner.buffer_type,
                                                                               self)

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        memory = "shared" if self.host_readable else "private"
        return f"{self.inner.description}, {memory} memory, refusing {self.refused_text}"

    @property
    def type(self) -> DeviceType:
        return self._type

    @property
    def buffer_type(self) -> BufferType:
        return self._buft

    @property
    def caps(self) -> DeviceCaps:
        return self.inner.caps

    def memory(self) -> tuple[int, int]:
        return self.inner.memory()

    def supports_op(self, op: Tensor) -> bool:
        return not self.refused(op) and self.inner.supports_op(op)

    def supports_buft(self, buft: BufferType) -> bool:
        if buft is self._buft:
            return True
        return self.host_readable and self.inner.supports_buft(buft)

    def offload_op(self, op: Tensor) -> bool:
        return self._offload(op) if self._offload is not None else self.inner.offload_op(op)

    def event_new(self) -> Event | None:
        return self.inner.event_new()

    def init_backend(self, params: str = "") -> Backend:
        return Restricted(self.inner.init_backend(params), device=self)


class DeviceBufferType(BufferType):
    """The wrapped buffer type seen as private device memory: not host, readable only by the
    restricted device."""

    def __init__(self, inner: BufferType, device: RestrictedDevice) -> None:
        self.inner = inner
        self._device = device

    @property
    def name(self) -> str:
        return self._device.name

    @property
    def alignment(self) -> int:
        return self.inner.alignment

    @property
    def max_size(self) -> int:
        return self.inner.max_size

    @property
    def device(self) -> Device:
        return self._device

    def get_alloc_size(self, t: Tensor) -> int:
        return self.inner.get_alloc_size(t)

    def _alloc_buffer(self, size: int) -> Buffer:
        buffer = self.inner.alloc_buffer(size)
        # NOTE: the buffer stays the wrapped backend's own object, so its kernels read it as
        # usual; only its buffer type changes, which makes it non-host (Buffer.is_host reads
        # buft.is_host) and unreadable to every other device.
        buffer.buft = self
        return buffer


def _unwrap(backend: Backend) -> Backend:
    return backend.inner if isinstance(backend, Restricted) else backend


# -- what to refuse -------------------------------------------------------------------------------


def compile_refusals(refuse) -> tuple[Predicate, str]:
    """One predicate (True = refuse) and a description from any mix of refusal forms."""
    items = [refuse] if _is_single(refuse) else list(refuse)
    preds = [_refusal(item) for item in items]
    text = ", ".join(_describe(item) for item in items) or "nothing"
    return (lambda node: any(p(node) for p in preds)), text


def _is_single(refuse) -> bool:
    if isinstance(refuse, tuple):
        return len(refuse) == 2 and _is_type(refuse[1])
    return callable(refuse) or isinstance(refuse, (Op, UnaryOp, GluOp, str))


def _is_type(value) -> bool:
    if isinstance(value, GGMLType):
        return True
    return isinstance(value, str) and value.upper() in GGMLType.__members__


def _refusal(item) -> Predicate:
    if isinstance(item, tuple):
        match = _op_matcher(item[0])
        type = GGMLType.parse(item[1])
        return lambda n: match(n) and (n.type == type or any(s.type == type for s in n.sources))
    if callable(item) and not isinstance(item, (Op, UnaryOp, GluOp)):
        return item
    return _op_matcher(item)


def _op_matcher(op) -> Predicate:
    if isinstance(op, str):
        op, sub = parse_op_name(op)
        op = sub if sub is not None else op
    if isinstance(op, (UnaryOp, GluOp)):
        parent = Op.UNARY if isinstance(op, UnaryOp) else Op.GLU
        return lambda n: n.op is parent and n.op_params[0] == op
    if isinstance(op, Op):
        return lambda n: n.op is op
    raise TypeError(f"cannot refuse {op!r}: give an Op, UnaryOp, GluOp, op name, "
                    f"(op, type) pair or predicate")


def _describe(item) -> str:
    if isinstance(item, tuple):
        return f"{item[0]} with {GGMLType.parse(item[1])}"
    if callable(item) and not isinstance(item, (Op, UnaryOp, GluOp)):
        return getattr(item, "__name__", "a predicate")
    return str(item).upper()
