"""The OpenCL backend (an execution stream on one device) and its events.

graph_compute_async enqueues every node's kernels on the device's in-order queue and returns;
synchronize waits. The async transfers keep their host arrays alive until synchronize.
"""

from __future__ import annotations

import numpy as np
from ggsched.backend import Backend, Event, tensor_buffer
from ggsched.errors import BufferAccessError
from ggsched.graph import Graph
from ggsched.tensor import Tensor

from . import dispatch
from .buffer import OpenCLBuffer
from .discovery import import_pyopencl
from .runtime import Runtime


class OpenCLBackend(Backend):
    def __init__(self, device) -> None:
        super().__init__(device)
        self.runtime: Runtime = device.runtime

    def graph_compute_async(self, graph: Graph) -> None:
        for node in graph.nodes:
            dispatch.run(self.runtime, node)

    def synchronize(self) -> None:
        self.runtime.finish()

    # -- async transfers ---------------------------------------------------------------------

    def _own(self, t: Tensor) -> OpenCLBuffer | None:
        buf = tensor_buffer(t)
        ok = isinstance(buf, OpenCLBuffer) and buf.runtime is self.runtime
        return buf if ok else None

    def set_tensor_async(self, t: Tensor, data, offset: int = 0) -> None:
        """Queue a write of data's bytes; ``data`` must not change until synchronize."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        _check_range(t, offset, raw.size, "write")
        buf = self._own(t)
        if buf is None or raw.size == 0:
            return super().set_tensor_async(t, raw, offset)
        cl = import_pyopencl()
        self.runtime.keep_alive(raw)
        cl.enqueue_copy(self.runtime.queue, buf.cl_buffer, raw, dst_offset=t.data + offset,
                        is_blocking=False)

    def get_tensor_async(self, t: Tensor, offset: int = 0, size: int | None = None) -> np.ndarray:
        """Queue a read; NOTE: the returned array holds the bytes only after synchronize."""
        size = t.nbytes - offset if size is None else size
        _check_range(t, offset, size, "read")
        buf = self._own(t)
        if buf is None or size == 0:
            return super().get_tensor_async(t, offset, size)
        cl = import_pyopencl()
        host = np.empty(size, dtype=np.uint8)
        self.runtime.keep_alive(host)
        cl.enqueue_copy(self.runtime.queue, host, buf.cl_buffer, src_offset=t.data + offset,
                        is_blocking=False)
        return host

    def cpy_tensor_async(self, backend_src: Backend, src: Tensor, dst: Tensor) -> bool:
        """Queue src → dst when dst is ours and src is on this device or in host memory."""
        dbuf = self._own(dst)
        if dbuf is None:
            return False
        if dbuf.enqueue_copy_from(src, dst):
            return True
        sbuf = tensor_buffer(src)
        host = sbuf.host_array() if sbuf.is_host else None
        if host is None:
            return False
        backend_src.synchronize()
        # NOTE: a snapshot, so the source's memory may be reused before the queue reads it
        self.set_tensor_async(dst, host[src.data : src.data + src.nbytes].copy())
        return True


def _check_range(t: Tensor, offset: int, size: int, what: str) -> None:
    if offset < 0 or size < 0 or offset + size > t.nbytes:
        raise BufferAccessError(
            f"{what} of {size} bytes at offset {offset} is outside tensor {t.describe()} "
            f"({t.nbytes} bytes)"
        )


class OpenCLEvent(Event):
    """A marker in the device's queue. ``wait`` makes another OpenCL queue wait for it on the
    device; any other backend waits on the host."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cl_event = None

    def record(self, backend: Backend) -> None:
        cl = import_pyopencl()
        queue = backend.runtime.queue if isinstance(backend, OpenCLBackend) else self.runtime.queue
        self.cl_event = cl.enqueue_marker(queue)

    def wait(self, backend: Backend) -> None:
        if self.cl_event is None:
            return
        if isinstance(backend, OpenCLBackend) and backend.runtime.context == self.runtime.context:
            cl = import_pyopencl()
            cl.enqueue_barrier(backend.runtime.queue, wait_for=[self.cl_event])
        else:
            self.synchronize()

    def synchronize(self) -> None:
        if self.cl_event is not None:
            self.cl_event.wait()
