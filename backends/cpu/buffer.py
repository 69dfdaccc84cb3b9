"""The CPU buffer type and buffer: host memory held as one numpy uint8 array.

A tensor in a CPU buffer is a strided numpy view of that array (``layout.strided``), so kernels
read and write the buffer's bytes in place, with no copies in or out.
"""

from __future__ import annotations

import numpy as np
from ggsched import layout
from ggsched.backend import Buffer, BufferType, Device
from ggsched.errors import AllocationError, BufferAccessError
from ggsched.tensor import Tensor

from .weight_cache import WEIGHT_CACHE

BASE_ALIGN = 64  # the array's first byte sits on a cache line (ggml rounds malloc up to 32)


def aligned_bytes(size: int, align: int = BASE_ALIGN) -> np.ndarray:
    """A zeroed 1-D uint8 array of ``size`` bytes whose first byte is ``align``-aligned."""
    raw = np.zeros(size + align, dtype=np.uint8)
    start = -raw.ctypes.data % align
    return raw[start : start + size]


class CPUBufferType(BufferType):
    """ggml_backend_cpu_buffer_type: host memory, alignment 32, no size limit."""

    def __init__(self, device: Device | None = None) -> None:
        self._device = device

    @property
    def name(self) -> str:
        return "CPU"

    @property
    def alignment(self) -> int:
        return 32

    @property
    def is_host(self) -> bool:
        return True

    @property
    def device(self) -> Device | None:
        return self._device

    def _alloc_buffer(self, size: int) -> CPUBuffer:
        try:
            return CPUBuffer(self, aligned_bytes(size))
        except MemoryError as e:
            raise AllocationError(f"CPU: cannot allocate a buffer of {size} bytes") from e


class CPUBuffer(Buffer):
    """One host buffer: ``host_array()`` is its bytes; tensors are views of them.

    Every write method drops the float32 copies of weights it overlaps (``weight_cache``).
    """

    MAX_VIEWS = 4096

    def __init__(self, buft: CPUBufferType, array: np.ndarray) -> None:
        super().__init__(buft, array.size)
        self._array: np.ndarray | None = array
        self._views: dict[tuple, np.ndarray] = {}

    def view(self, t: Tensor) -> np.ndarray:
        """t's values as a strided view of this buffer (cached: the view is a pure function
        of the buffer and (data, type, ne, nb), so a placed graph re-runs without rebuilding
        them)."""
        key = (t.data, t.type, t.ne, t.nb)
        v = self._views.get(key)
        if v is None:
            if len(self._views) >= self.MAX_VIEWS:
                self._views.clear()
            v = self._views[key] = layout.strided(self.host_array(), *key[1:], t.data)
        return v

    def host_array(self) -> np.ndarray:
        if self._array is None:
            raise BufferAccessError(f"CPU buffer of {self.size} bytes was freed")
        return self._array

    def _span(self, t: Tensor, offset: int, size: int) -> np.ndarray:
        start = t.data + offset
        return self.host_array()[start : start + size]

    def written(self, start: int = 0, size: int | None = None) -> None:
        """Bytes [start, start + size) (None: all) changed: forget what was derived from them."""
        if WEIGHT_CACHE:
            WEIGHT_CACHE.invalidate(self, start, size)

    def set_tensor(self, t: Tensor, data: np.ndarray, offset: int) -> None:
        self.written(t.data + offset, data.size)
        self._span(t, offset, data.size)[...] = data

    def get_tensor(self, t: Tensor, offset: int, size: int) -> np.ndarray:
        return self._span(t, offset, size).copy()

    def memset_tensor(self, t: Tensor, value: int, offset: int, size: int) -> None:
        self.written(t.data + offset, size)
        self._span(t, offset, size).fill(value)

    def clear(self, value: int) -> None:
        self.written()
        self.host_array().fill(value)

    def cpy_tensor(self, src: Tensor, dst: Tensor) -> bool:
        """A memcpy when src sits in host memory (ggml's CPU rule); False otherwise."""
        sbuf = src.view_src.buffer if src.view_src is not None else src.buffer
        if sbuf is None or not sbuf.is_host or src.data is None:
            return False
        n = src.nbytes
        self.written(dst.data, n)
        # np.copyto handles overlapping source and destination like memmove
        np.copyto(self._span(dst, 0, n), sbuf.host_array()[src.data : src.data + n])
        return True

    def reset(self) -> None:
        self.written()
        self._views.clear()

    def free(self) -> None:
        self.written()
        self._views.clear()
        self._array = None
