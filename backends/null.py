"""A backend that accepts every call and computes nothing.

It lets the allocator and the scheduler be tested without any device: its buffer type can be
given any name, alignment, max_size and host-ness; its buffers hold no bytes but check that
every access stays inside them; its device says yes or no to ops through a predicate and
reports whatever memory figures it is given; its backend counts what it was asked to compute.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
from ggsched.backend import (
    Backend,
    BackendReg,
    Buffer,
    BufferType,
    Device,
    DeviceCaps,
    DeviceType,
)
from ggsched.errors import AllocationError, BufferAccessError
from ggsched.graph import Graph
from ggsched.tensor import Tensor

OpPredicate = Callable[[Tensor], bool]


def _always(_: Tensor) -> bool:
    return True


def _never(_: Tensor) -> bool:
    return False


class NullBufferType(BufferType):
    """A buffer type with whatever properties a test needs.

    ``alloc_size`` (optional) maps a tensor to its alloc size, e.g. to model row padding;
    ``fail_above`` makes allocations larger than it fail, to test out-of-memory paths.
    ``allocations`` lists the size of every buffer allocated, in order.
    """

    def __init__(
        self,
        name: str = "Null",
        alignment: int = 32,
        max_size: int = sys.maxsize,
        is_host: bool = False,
        alloc_size: Callable[[Tensor], int] | None = None,
        fail_above: int | None = None,
        device: Device | None = None,
    ) -> None:
        self._name, self._alignment, self._max_size = name, alignment, max_size
        self._is_host, self._alloc_size, self.fail_above = is_host, alloc_size, fail_above
        self._device = device
        self.allocations: list[int] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def alignment(self) -> int:
        return self._alignment

    @property
    def max_size(self) -> int:
        return self._max_size

    @property
    def is_host(self) -> bool:
        return self._is_host

    @property
    def device(self) -> Device | None:
        return self._device

    def get_alloc_size(self, t: Tensor) -> int:
        return self._alloc_size(t) if self._alloc_size is not None else t.nbytes

    def _alloc_buffer(self, size: int) -> Buffer:
        if self.fail_above is not None and size > self.fail_above:
            raise AllocationError(
                f"{self.name}: cannot allocate {size} B (this null buffer type fails above "
                f"{self.fail_above} B)"
            )
        self.allocations.append(size)
        return NullBuffer(self, size)


class NullBuffer(Buffer):
    """Holds no bytes: writes are dropped, reads give zeros, and both are bounds-checked."""

    def __init__(self, buft: BufferType, size: int) -> None:
        super().__init__(buft, size)
        self.freed = False
        self.n_resets = 0

    def _check(self, t: Tensor, offset: int, size: int, what: str) -> None:
        if self.freed:
            raise BufferAccessError(f"{what} of {t.describe()}: buffer {self.name} was freed")
        start = (t.data or 0) + offset
        if start < 0 or start + size > self.size:
            raise BufferAccessError(
                f"{what} of {size} B at byte {start} of buffer {self.name} ({self.size} B) "
                f"for tensor {t.describe()} is out of bounds"
            )

    def set_tensor(self, t: Tensor, data: np.ndarray, offset: int) -> None:
        self._check(t, offset, data.size, "write")

    def get_tensor(self, t: Tensor, offset: int, size: int) -> np.ndarray:
        self._check(t, offset, size, "read")
        return np.zeros(size, dtype=np.uint8)

    def memset_tensor(self, t: Tensor, value: int, offset: int, size: int) -> None:
        self._check(t, offset, size, "memset")

    def clear(self, value: int) -> None:
        pass

    def reset(self) -> None:
        self.n_resets += 1

    def free(self) -> None:
        self.freed = True


class NullDevice(Device):
    """A device whose answers are given: ``supports_op``, ``supports_buft`` and
    ``offload_op`` predicates, memory (free, total), type and caps.

    By default it supports every op, only its own buffer type (and host ones when
    ``host_buffers``), and offloads nothing.
    """

    def __init__(
        self,
        name: str = "Null",
        description: str = "null device (computes nothing)",
        type: DeviceType = DeviceType.GPU,
        memory: tuple[int, int] = (1 << 30, 1 << 30),
        buffer_type: NullBufferType | None = None,
        supports_op: OpPredicate = _always,
        supports_buft: Callable[[BufferType], bool] | None = None,
        offload_op: OpPredicate = _never,
        host_buffers: bool = False,
        caps: DeviceCaps | None = None,
    ) -> None:
        self._name, self._description, self._type, self._memory = name, description, type, memory
        self._buft = buffer_type or NullBufferType(name, device=self)
        if self._buft._device is None:
            self._buft._device = self
        self._supports_op, self._offload_op = supports_op, offload_op
        self._supports_buft = supports_buft
        self._host_buffers, self._caps = host_buffers, caps or DeviceCaps()

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def type(self) -> DeviceType:
        return self._type

    @property
    def buffer_type(self) -> BufferType:
        return self._buft

    @property
    def caps(self) -> DeviceCaps:
        return self._caps

    def memory(self) -> tuple[int, int]:
        return self._memory

    def supports_op(self, op: Tensor) -> bool:
        return bool(self._supports_op(op))

    def supports_buft(self, buft: BufferType) -> bool:
        if self._supports_buft is not None:
            return bool(self._supports_buft(buft))
        return buft is self._buft or (self._host_buffers and buft.is_host)

    def offload_op(self, op: Tensor) -> bool:
        return bool(self._offload_op(op))

    def init_backend(self, params: str = "") -> Backend:
        return NullBackend(self)


class NullBackend(Backend):
    """Computes nothing; counts graphs and nodes it was given, and calls ``on_compute``."""

    def __init__(self, device: Device, on_compute: Callable[[Graph], None] | None = None) -> None:
        super().__init__(device)
        self.on_compute = on_compute
        self.n_graphs = 0
        self.n_nodes = 0

    def graph_compute_async(self, graph: Graph) -> None:
        self.n_graphs += 1
        self.n_nodes += graph.n_nodes
        if self.on_compute is not None:
            self.on_compute(graph)


class NullReg(BackendReg):
    """A registry entry listing the given devices (or one default Null device)."""

    def __init__(self, name: str = "Null", devices: list[Device] | None = None) -> None:
        self._name = name
        self._devices = devices if devices is not None else [NullDevice(name)]

    @property
    def name(self) -> str:
        return self._name

    def devices(self) -> list[Device]:
        return list(self._devices)


def null_backend(name: str = "Null", **device_kwargs) -> NullBackend:
    """A NullBackend on a fresh NullDevice(name, **device_kwargs)."""
    return NullBackend(NullDevice(name, **device_kwargs))


__all__ = [
    "NullBackend",
    "NullBuffer",
    "NullBufferType",
    "NullDevice",
    "NullReg",
    "null_backend",
]
