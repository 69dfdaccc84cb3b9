"""OpenCL buffer type and buffers: one cl.Buffer per backend buffer.

Tensors sit at byte offsets in the buffer (``Tensor.data``); kernels get the cl.Buffer and the
offset as separate arguments, so no sub-buffers are made. The buffers are not host memory
(``is_host`` is false): the scheduler has to copy into and out of them.
"""

from __future__ import annotations

import numpy as np
from ggsched.backend import Buffer, BufferType, Device, tensor_buffer
from ggsched.errors import AllocationError
from ggsched.tensor import Tensor

from .discovery import import_pyopencl
from .errors import OpenCLRuntimeError
from .runtime import Runtime


class OpenCLBufferType(BufferType):
    """Device memory of one OpenCL device. ``max_size`` is the device's largest allocation,
    so the graph allocator splits bigger compute memory into chunks."""

    def __init__(self, runtime: Runtime, device: Device | None = None) -> None:
        self.runtime = runtime
        self._device = device

    @property
    def name(self) -> str:
        return f"OpenCL{self.runtime.found.platform_index}:{self.runtime.found.device_index}"

    @property
    def alignment(self) -> int:
        return self.runtime.alignment

    @property
    def max_size(self) -> int:
        return self.runtime.max_alloc

    @property
    def device(self) -> Device | None:
        return self._device

    def _alloc_buffer(self, size: int) -> Buffer:
        if size > self.max_size:
            raise AllocationError(
                f"{self.name}: cannot allocate {size} bytes in one buffer; the device "
                f"{self.runtime.describe()} allows at most {self.max_size} bytes per allocation"
            )
        return OpenCLBuffer(self, size)


class OpenCLBuffer(Buffer):
    def __init__(self, buft: OpenCLBufferType, size: int) -> None:
        super().__init__(buft, size)
        self.runtime = buft.runtime
        self.cl_buffer = _allocate(buft, size)

    def _offset(self, t: Tensor, offset: int) -> int:
        return int(t.data) + int(offset)

    def set_tensor(self, t: Tensor, data: np.ndarray, offset: int) -> None:
        cl = import_pyopencl()
        host = np.ascontiguousarray(data)
        cl.enqueue_copy(self.runtime.queue, self.cl_buffer, host,
                        dst_offset=self._offset(t, offset), is_blocking=True)

    def get_tensor(self, t: Tensor, offset: int, size: int) -> np.ndarray:
        return self.read(self._offset(t, offset), size)

    def read(self, start: int, size: int) -> np.ndarray:
        """``size`` bytes of the buffer from byte ``start`` (blocking)."""
        cl = import_pyopencl()
        host = np.empty(size, dtype=np.uint8)
        cl.enqueue_copy(self.runtime.queue, host, self.cl_buffer, src_offset=start,
                        is_blocking=True)
        return host

    def memset_tensor(self, t: Tensor, value: int, offset: int, size: int) -> None:
        self._fill(value, self._offset(t, offset), size)

    def clear(self, value: int) -> None:
        self._fill(value, 0, self.size)

    def _fill(self, value: int, start: int, size: int) -> None:
        cl = import_pyopencl()
        cl.enqueue_fill_buffer(self.runtime.queue, self.cl_buffer, np.uint8(value & 0xFF),
                               start, size)
        self.runtime.finish()

    def cpy_tensor(self, src: Tensor, dst: Tensor) -> bool:
        """Device-side copy when src is in an OpenCL buffer of the same device."""
        if not self.enqueue_copy_from(src, dst):
            return False
        self.runtime.finish()
        return True

    def enqueue_copy_from(self, src: Tensor, dst: Tensor) -> bool:
        """Queue a copy of src's bytes into dst (in this buffer); False if src is elsewhere."""
        sbuf = tensor_buffer(src)
        if not isinstance(sbuf, OpenCLBuffer) or sbuf.runtime is not self.runtime:
            return False
        s0, d0, n = int(src.data), int(dst.data), src.nbytes
        if sbuf is self and s0 < d0 + n and d0 < s0 + n:
            return False  # NOTE: clEnqueueCopyBuffer refuses overlapping ranges
        cl = import_pyopencl()
        cl.enqueue_copy(self.runtime.queue, self.cl_buffer, sbuf.cl_buffer, byte_count=n,
                        src_offset=s0, dst_offset=d0)
        return True

    def free(self) -> None:
        if self.cl_buffer is not None:
            self.runtime.finish()
            self.cl_buffer.release()
            self.cl_buffer = None


def _allocate(buft: OpenCLBufferType, size: int):
    cl = import_pyopencl()
    rt = buft.runtime
    buf = None
    try:
        buf = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, size)
        # NOTE: drivers may allocate lazily; touching one byte makes a failure show here.
        cl.enqueue_fill_buffer(rt.queue, buf, np.uint8(0), 0, 1)
        rt.finish()
        return buf
    except cl.Error as e:
        if buf is not None:
            buf.release()
        kind = AllocationError if isinstance(e, cl.MemoryError) else OpenCLRuntimeError
        raise kind(f"{buft.name}: allocating {size} bytes failed: {e}") from None
