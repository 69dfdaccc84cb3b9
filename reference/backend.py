"""The backend interface: buffer types, buffers, devices, backends, events, registry entries.

Each class is an ``abc.ABC``: the abstract members are what a backend must write; the plain
methods are optional, and their bodies are the documented defaults (ggml-backend-impl.h). The
module-level ``tensor_*`` functions apply ggml's access rules (data goes through view_src's
buffer; no access outside a tensor) and then call a buffer's hooks.

Nothing here knows any particular backend; the scheduler learns what a device can do only
from ``supports_op``, ``supports_buft`` and ``offload_op``.
"""

from __future__ import annotations

import abc
import enum
import sys
from dataclasses import dataclass

import numpy as np

from .errors import AllocationError, BackendUnavailable, BufferAccessError, GraphError
from .graph import Graph
from .tensor import Tensor, are_same_layout


class BufferUsage(enum.IntEnum):
    ANY = 0
    WEIGHTS = 1
    COMPUTE = 2


class DeviceType(enum.Enum):
    CPU = "CPU"
    GPU = "GPU"
    IGPU = "IGPU"
    ACCEL = "ACCEL"


@dataclass(frozen=True)
class DeviceCaps:
    """What a device offers beyond the required interface (ggml_backend_dev_caps)."""

    async_: bool = False  # set/get/copy_async and compute overlap with the host
    host_buffer: bool = False  # a pinned host buffer type
    buffer_from_host_ptr: bool = False
    events: bool = False  # event_new/record/wait


# -- buffer types and buffers ---------------------------------------------------------------------


class BufferType(abc.ABC):
    """A kind of memory (ggml_backend_buffer_type). Allocates buffers."""

    @property
    @abc.abstractmethod
    def name(self) -> str: ...

    @property
    @abc.abstractmethod
    def alignment(self) -> int:
        """Byte alignment of every tensor placed in such a buffer; a power of two."""

    @abc.abstractmethod
    def _alloc_buffer(self, size: int) -> Buffer:
        """Allocate ``size`` > 0 bytes. Raise AllocationError when it cannot."""

    # optional members, with their defaults

    @property
    def device(self) -> Device | None:
        return None

    @property
    def max_size(self) -> int:
        """Largest single buffer; the graph allocator splits compute memory into chunks."""
        return sys.maxsize

    @property
    def is_host(self) -> bool:
        """True when buffers live in host memory in ggml's layout (readable by the CPU)."""
        return False

    def get_alloc_size(self, t: Tensor) -> int:
        """Bytes to reserve for ``t``: at least ``t.nbytes`` (padding for quantized rows, ...)."""
        return t.nbytes

    # policy

    def alloc_buffer(self, size: int) -> Buffer:
        """ggml_backend_buft_alloc_buffer: a zero-size request gets an empty buffer."""
        if size < 0:
            raise AllocationError(f"{self.name}: cannot allocate {size} bytes")
        if size == 0:
            return EmptyBuffer(self, 0)
        return self._alloc_buffer(size)

    def alloc_size(self, t: Tensor) -> int:
        if type(self).get_alloc_size is BufferType.get_alloc_size:
            return t.nbytes  # the default: nothing to check (allocators call this a lot)
        size = self.get_alloc_size(t)
        if size < t.nbytes:
            raise BufferAccessError(
                f"buffer type {self.name} reports alloc size {size} < nbytes {t.nbytes} "
                f"for {t.describe()}"
            )
        return size

    def __repr__(self) -> str:
        return f"<BufferType {self.name}>"


class Buffer(abc.ABC):
    """A block of device memory (ggml_backend_buffer). Tensors sit at byte offsets in it."""

    def __init__(self, buft: BufferType, size: int) -> None:
        self.buft = buft
        self.size = size
        self.usage = BufferUsage.ANY

    @abc.abstractmethod
    def set_tensor(self, t: Tensor, data: np.ndarray, offset: int) -> None:
        """Write the bytes ``data`` (1-D uint8) at byte ``t.data + offset``."""

    @abc.abstractmethod
    def get_tensor(self, t: Tensor, offset: int, size: int) -> np.ndarray:
        """Read ``size`` bytes at ``t.data + offset`` into a new 1-D uint8 array."""

    @abc.abstractmethod
    def clear(self, value: int) -> None:
        """Set every byte of the buffer to ``value``."""

    # optional members, with their defaults

    def memset_tensor(self, t: Tensor, value: int, offset: int, size: int) -> None:
        self.set_tensor(t, np.full(size, value, dtype=np.uint8), offset)

    def init_tensor(self, t: Tensor) -> None:
        """Called when a tensor (or view) is placed in this buffer; attach extras here."""

    def cpy_tensor(self, src: Tensor, dst: Tensor) -> bool:
        """Copy src (anywhere) into dst (in this buffer) directly; False when it cannot."""
        return False

    def reset(self) -> None:
        """Forget per-tensor state; the graph allocator calls it before re-placing tensors."""

    def free(self) -> None:
        """Release the memory. The buffer is unusable afterwards."""

    @property
    def is_host(self) -> bool:
        return self.buft.is_host

    @property
    def alignment(self) -> int:
        return self.buft.alignment

    @property
    def name(self) -> str:
        return self.buft.name

    def host_array(self) -> np.ndarray | None:
        """For host buffers: the buffer's bytes as a 1-D uint8 array (zero copy), else None."""
        return None

    def __repr__(self) -> str:
        return f"<Buffer {self.name} {self.size} B {self.usage.name}>"


class EmptyBuffer(Buffer):
    """The zero-size buffer ggml hands out for a zero-byte request; holds nothing."""

    def set_tensor(self, t, data, offset):
        raise BufferAccessError(f"tensor {t.describe()} is in an empty buffer")

    def get_tensor(self, t, offset, size):
        raise BufferAccessError(f"tensor {t.describe()} is in an empty buffer")

    def clear(self, value):
        pass


class MultiBuffer(Buffer):
    """Several buffers of one type used as one (ggml_backend_multi_buffer): what static
    allocation returns when a buffer type's max_size forces more than one buffer. Its tensors
    live in the parts; setting its usage sets theirs."""

    def __init__(self, buffers: list[Buffer]) -> None:
        if not buffers:
            raise AllocationError("a multi-buffer needs at least one buffer")
        self.buffers = list(buffers)
        super().__init__(buffers[0].buft, sum(b.size for b in buffers))

    @property
    def usage(self) -> BufferUsage:
        return self.buffers[0].usage

    @usage.setter
    def usage(self, value: BufferUsage) -> None:
        for b in self.buffers:
            b.usage = value

    def set_tensor(self, t, data, offset):
        raise BufferAccessError(f"tensor {t.describe()} belongs to a part of a multi-buffer")

    def get_tensor(self, t, offset, size):
        raise BufferAccessError(f"tensor {t.describe()} belongs to a part of a multi-buffer")

    def clear(self, value: int) -> None:
        for b in self.buffers:
            b.clear(value)

    def reset(self) -> None:
        for b in self.buffers:
            b.reset()

    def free(self) -> None:
        for b in self.buffers:
            b.free()


# -- devices, backends, events --------------------------------------------------------------------


class Event(abc.ABC):
    """A point in a backend's queue that another backend or the host can wait for."""

    @abc.abstractmethod
    def record(self, backend: Backend) -> None: ...

    @abc.abstractmethod
    def wait(self, backend: Backend) -> None:
        """Make ``backend`` wait (on its queue) until the event has completed."""

    @abc.abstractmethod
    def synchronize(self) -> None:
        """Block the host until the event has completed."""


class Device(abc.ABC):
    """One physical or logical device (ggml_backend_device)."""

    @property
    @abc.abstractmethod
    def name(self) -> str: ...

    @property
    @abc.abstractmethod
    def description(self) -> str: ...

    @property
    @abc.abstractmethod
    def type(self) -> DeviceType: ...

    @property
    @abc.abstractmethod
    def buffer_type(self) -> BufferType:
        """The preferred buffer type for tensors this device computes."""

    @abc.abstractmethod
    def memory(self) -> tuple[int, int]:
        """(free, total) bytes."""

    @abc.abstractmethod
    def supports_op(self, op: Tensor) -> bool:
        """Can this device compute node ``op`` with its types, shapes, layouts and params?"""

    @abc.abstractmethod
    def supports_buft(self, buft: BufferType) -> bool:
        """Can this device's kernels read tensors stored in buffers of ``buft``?"""

    @abc.abstractmethod
    def init_backend(self, params: str = "") -> Backend: ...

    # optional members, with their defaults

    @property
    def caps(self) -> DeviceCaps:
        return DeviceCaps()

    @property
    def host_buffer_type(self) -> BufferType | None:
        return None

    def offload_op(self, op: Tensor) -> bool:
        """Does it want to run ``op`` even though its weights sit in host memory?"""
        return False

    def event_new(self) -> Event | None:
        return None

    def __repr__(self) -> str:
        return f"<Device {self.name}: {self.description}>"


class Backend(abc.ABC):
    """An execution stream on a device (ggml_backend)."""

    def __init__(self, device: Device) -> None:
        self.device = device

    @property
    def name(self) -> str:
        return self.device.name

    @abc.abstractmethod
    def graph_compute_async(self, graph: Graph) -> None:
        """Compute every node of ``graph`` in order; may return before it finishes."""

    # optional members, with their defaults

    def synchronize(self) -> None:
        """Wait until everything queued on this backend has finished."""

    def set_tensor_async(self, t: Tensor, data: np.ndarray, offset: int = 0) -> None:
        self.synchronize()
        tensor_set(t, data, offset)

    def get_tensor_async(self, t: Tensor, offset: int = 0, size: int | None = None) -> np.ndarray:
        self.synchronize()
        return tensor_get(t, offset, size)

    def cpy_tensor_async(self, backend_src: Backend, src: Tensor, dst: Tensor) -> bool:
        """Queue a copy of src (on backend_src) into dst (on this backend); False if it can't."""
        return False

    # policy

    @property
    def default_buffer_type(self) -> BufferType:
        return self.device.buffer_type

    def alloc_buffer(self, size: int) -> Buffer:
        return self.default_buffer_type.alloc_buffer(size)

    def supports_op(self, op: Tensor) -> bool:
        return self.device.supports_op(op)

    def supports_buft(self, buft: BufferType) -> bool:
        return self.device.supports_buft(buft)

    def offload_op(self, op: Tensor) -> bool:
        return self.device.offload_op(op)

    def graph_compute(self, graph: Graph) -> None:
        if not isinstance(graph, Graph):
            raise GraphError(f"{self.name}: graph_compute needs a Graph, got "
                             f"{type(graph).__name__}")
        self.graph_compute_async(graph)
        self.synchronize()

    def __repr__(self) -> str:
        return f"<Backend {self.name}>"


class BackendReg(abc.ABC):
    """A backend family that enumerates devices (ggml_backend_reg)."""

    @property
    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def devices(self) -> list[Device]:
        """The devices; raise BackendUnavailable (with the reason) when there are none."""

    def __repr__(self) -> str:
        return f"<BackendReg {self.name}>"


# -- tensor access (ggml-backend.cpp's wrappers) --------------------------------------------------


def tensor_buffer(t: Tensor) -> Buffer:
    """The buffer holding t's bytes (view_src's for a view)."""
    buf = t.view_src.buffer if t.view_src is not None else t.buffer
    if buf is None or t.data is None:
        raise BufferAccessError(f"tensor {t.describe()} is not allocated")
    return buf


def _bounds(t: Tensor, offset: int, size: int, what: str) -> None:
    if not isinstance(t, Tensor):
        raise BufferAccessError(f"{what}: needs a Tensor, got {type(t).__name__}")
    for name, v in (("offset", offset), ("size", size)):
        if not isinstance(v, (int, np.integer)):
            raise BufferAccessError(f"{what} of {t.describe()}: {name} must be an integer, "
                                    f"got {v!r}")
    if offset < 0 or size < 0 or offset + size > t.nbytes:
        raise BufferAccessError(
            f"{what} of {size} bytes at offset {offset} is outside tensor {t.describe()} "
            f"({t.nbytes} bytes)"
        )


def _as_bytes(t: Tensor, data) -> np.ndarray:
    arr = np.ascontiguousarray(data)
    if arr.dtype.kind not in "biuf":
        raise BufferAccessError(
            f"write to {t.describe()}: data must be bytes or a numeric array, got {arr.dtype}"
        )
    return arr.reshape(-1).view(np.uint8)


def tensor_set(t: Tensor, data, offset: int = 0) -> None:
    """Write raw bytes (or any contiguous array's bytes) into t at ``offset``."""
    raw = _as_bytes(t, data)
    _bounds(t, offset, raw.size, "write")
    if raw.size:
        tensor_buffer(t).set_tensor(t, raw, offset)


def tensor_get(t: Tensor, offset: int = 0, size: int | None = None) -> np.ndarray:
    """Read t's raw bytes [offset, offset+size) (all of them by default)."""
    _bounds(t, offset, 0, "read")
    size = t.nbytes - offset if size is None else size
    _bounds(t, offset, size, "read")
    if size == 0:
        return np.zeros(0, dtype=np.uint8)
    return tensor_buffer(t).get_tensor(t, offset, size)


def tensor_memset(t: Tensor, value: int, offset: int = 0, size: int | None = None) -> None:
    _bounds(t, offset, 0, "memset")
    size = t.nbytes - offset if size is None else size
    _bounds(t, offset, size, "memset")
    if size:
        tensor_buffer(t).memset_tensor(t, value & 0xFF, offset, size)


def tensor_alloc(buffer: Buffer, t: Tensor, addr: int) -> None:
    """ggml_backend_tensor_alloc: place t at byte ``addr`` of ``buffer``."""
    if t.buffer is not None or t.data is not None or t.view_src is not None:
        raise BufferAccessError(f"tensor {t.describe()} is already allocated or is a view")
    size = buffer.buft.alloc_size(t)
    if addr < 0 or addr + size > buffer.size:
        raise BufferAccessError(
            f"tensor {t.describe()} needs {size} bytes at {addr}, outside buffer "
            f"{buffer.name} of {buffer.size} bytes"
        )
    t.buffer, t.data = buffer, addr
    buffer.init_tensor(t)


def view_init(t: Tensor) -> None:
    """ggml_backend_view_init: a view takes its buffer and address from view_src."""
    src = t.view_src
    if src is None or src.buffer is None or src.data is None:
        raise BufferAccessError(f"view {t.describe()} has an unallocated view_src")
    t.buffer, t.data = src.buffer, src.data + t.view_offs
    src.buffer.init_tensor(t)


def tensor_copy(src: Tensor, dst: Tensor) -> None:
    """ggml_backend_tensor_copy: host source → set; host destination → get; else the
    destination buffer's cpy_tensor; else staged through host memory."""
    _copy_operands(src, dst)
    if not are_same_layout(src, dst):
        raise BufferAccessError(
            f"cannot copy {src.describe()} to {dst.describe()}: type, ne and nb must match"
        )
    if src is dst:
        return
    sbuf, dbuf = tensor_buffer(src), tensor_buffer(dst)
    if not (sbuf.is_host or dbuf.is_host) and dbuf.cpy_tensor(src, dst):
        return
    # a host side makes get + set a plain memcpy; otherwise this is the slow staged copy
    tensor_set(dst, tensor_get(src))


def _copy_operands(src: object, dst: object) -> None:
    for role, t in (("src", src), ("dst", dst)):
        if not isinstance(t, Tensor):
            raise BufferAccessError(f"tensor copy: {role} must be a Tensor, got "
                                    f"{type(t).__name__}")


def tensor_copy_async(backend_src: Backend, backend_dst: Backend, src: Tensor, dst: Tensor) -> None:
    """ggml_backend_tensor_copy_async: the destination backend's async copy, else synchronize
    both and copy blocking."""
    if src is dst:
        return
    _copy_operands(src, dst)
    if not are_same_layout(src, dst):
        raise BufferAccessError(
            f"cannot copy {src.describe()} to {dst.describe()}: type, ne and nb must match"
        )
    if backend_dst.cpy_tensor_async(backend_src, src, dst):
        return
    backend_src.synchronize()
    backend_dst.synchronize()
    tensor_copy(src, dst)


__all__ = [
    "Backend",
    "BackendReg",
    "BackendUnavailable",
    "Buffer",
    "BufferType",
    "BufferUsage",
    "Device",
    "DeviceCaps",
    "DeviceType",
    "EmptyBuffer",
    "MultiBuffer",
    "Event",
    "tensor_alloc",
    "tensor_buffer",
    "tensor_copy",
    "tensor_copy_async",
    "tensor_get",
    "tensor_memset",
    "tensor_set",
    "view_init",
]
