"""One OpenCL device's runtime: its context, its in-order queue, its programs and its limits.

A runtime is made once per OpenCL device and shared by everything that uses the device (the
"OpenCL" and "OpenCLn" names of one device, its buffer type, its backends), so buffers of one
device are usable by all of them.

NOTE: there is one in-order queue per device. Buffer reads and writes, copies and kernels are
all enqueued on it, so they happen in the order they were issued; a blocking read waits for the
kernels before it. Host arrays handed to non-blocking transfers are kept in ``pending`` until
``finish`` (the queue must not read or write freed host memory).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .discovery import Found, import_pyopencl
from .errors import OpenCLRuntimeError
from .programs import Programs
from .replay import Replays

_RUNTIMES: dict[int, Runtime] = {}


class Runtime:
    def __init__(self, found: Found) -> None:
        cl = import_pyopencl()
        self.found = found
        self.device = found.cl_device
        self.context = cl.Context([self.device])
        self.queue = cl.CommandQueue(self.context, self.device)
        self.programs = Programs(self.context, self.device)
        self.pending: list[np.ndarray] = []
        self.replays = Replays()
        self._recording: list | None = None

    # -- device facts ------------------------------------------------------------------------

    @property
    def alignment(self) -> int:
        """Tensor alignment in buffers: the device's base address alignment (bits → bytes),
        and at least 64 so float16 vector loads of rows work; a power of two."""
        align = max(64, self.device.mem_base_addr_align // 8)
        return 1 << (align - 1).bit_length()

    @property
    def max_alloc(self) -> int:
        return int(self.device.max_mem_alloc_size)

    @property
    def global_mem(self) -> int:
        return int(self.device.global_mem_size)

    @property
    def is_cpu(self) -> bool:
        cl = import_pyopencl()
        return bool(self.device.type & cl.device_type.CPU)

    @property
    def max_work_group(self) -> int:
        return int(self.device.max_work_group_size)

    @property
    def local_mem(self) -> int:
        return int(self.device.local_mem_size)

    def work_group_limit(self, kernel: Any) -> int:
        """The largest work-group this kernel can run with on this device."""
        cl = import_pyopencl()
        return int(kernel.get_work_group_info(cl.kernel_work_group_info.WORK_GROUP_SIZE,
                                              self.device))

    def describe(self) -> str:
        d = self.device
        return (f"{d.name.strip()} ({d.platform.name.strip()}, {d.version.strip()}, "
                f"driver {d.driver_version.strip()})")

    # -- queue -------------------------------------------------------------------------------

    def keep_alive(self, host: np.ndarray) -> None:
        self.pending.append(host)

    def finish(self) -> None:
        """Wait for every queued command, then drop the host arrays they used."""
        self.queue.finish()
        self.pending.clear()

    def launch(self, kernel: Any, global_size, local_size, *args) -> None:
        """Enqueue ``kernel`` with ``args``; while recording (see replay.py) on a copy of the
        kernel object that keeps them. An OpenCL refusal becomes OpenCLRuntimeError."""
        if self._recording is not None:
            cl = import_pyopencl()
            kernel = cl.Kernel(kernel.program, kernel.function_name)
            self._recording.append((kernel, tuple(global_size), local_size))
        self._checked(kernel, global_size, local_size, lambda: kernel.set_args(*args))
        self.enqueue(kernel, global_size, local_size)

    def enqueue(self, kernel: Any, global_size, local_size) -> None:
        """Enqueue ``kernel`` with the arguments it holds."""
        cl = import_pyopencl()
        self._checked(kernel, global_size, local_size, lambda: cl.enqueue_nd_range_kernel(
            self.queue, kernel, tuple(global_size), local_size))

    def record(self, fn) -> list:
        """Call ``fn``; the launches it made, each on a kernel object of its own."""
        self._recording = []
        try:
            fn()
            return self._recording
        finally:
            self._recording = None

    def _checked(self, kernel: Any, global_size, local_size, fn) -> None:
        cl = import_pyopencl()
        try:
            fn()
        except cl.Error as e:
            raise OpenCLRuntimeError(
                f"OpenCL kernel {kernel.function_name} (global {tuple(global_size)}, local "
                f"{local_size}) was refused on {self.describe()}: {e}"
            ) from None


def runtime_for(found: Found) -> Runtime:
    """The shared runtime of a device (made on first use)."""
    key = found.cl_device.int_ptr
    rt = _RUNTIMES.get(key)
    if rt is None:
        rt = _RUNTIMES[key] = Runtime(found)
    return rt


def clear_program_caches() -> None:
    """Drop the built programs of every device (they rebuild on next use)."""
    for rt in _RUNTIMES.values():
        rt.programs.clear()
        rt.replays.clear()
