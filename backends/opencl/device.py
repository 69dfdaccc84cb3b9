"""The OpenCL registry entry and its devices.

Devices are named "OpenCL" (the default device, see discovery.choose_default) and "OpenCL0",
"OpenCL1", ... (every device of every platform, in order). "OpenCL" is the same device as one
of the numbered ones and shares its runtime and buffer type, so their buffers mix freely.
"""

from __future__ import annotations

import functools

from ggsched.backend import Backend, BackendReg, BufferType, Device, DeviceCaps, DeviceType, Event
from ggsched.tensor import Tensor

from . import dispatch
from .buffer import OpenCLBufferType
from .discovery import Found, choose_default, find_devices, import_pyopencl
from .runtime import Runtime, runtime_for


class OpenCLDevice(Device):
    def __init__(self, name: str, found: Found, twin: OpenCLDevice | None = None) -> None:
        self._name = name
        self.found = found
        self.twin = twin  # the numbered device this default device stands for

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        d = self.found.cl_device
        desc = f"{d.name.strip()} ({d.platform.name.strip()})"
        return f"{desc}; the default device, = {self.twin.name}" if self.twin else desc

    @property
    def type(self) -> DeviceType:
        # NOTE: a CPU OpenCL device (PoCL) still has its own buffers that the host cannot read
        # through our interface, so it is a GPU-like device to the scheduler, as in ggml.
        cl = import_pyopencl()
        d = self.found.cl_device
        if d.type & cl.device_type.GPU and d.host_unified_memory:
            return DeviceType.IGPU
        return DeviceType.GPU

    @property
    def runtime(self) -> Runtime:
        return runtime_for(self.found)

    @functools.cached_property
    def buffer_type(self) -> BufferType:
        if self.twin is not None:
            return self.twin.buffer_type
        return OpenCLBufferType(self.runtime, self)

    def memory(self) -> tuple[int, int]:
        total = int(self.found.cl_device.global_mem_size)
        return total, total  # OpenCL has no query for free memory

    def supports_op(self, op: Tensor) -> bool:
        return dispatch.supports(op)

    def supports_buft(self, buft: BufferType) -> bool:
        return isinstance(buft, OpenCLBufferType) and buft.runtime is self.runtime

    def init_backend(self, params: str = "") -> Backend:
        from .backend import OpenCLBackend

        return OpenCLBackend(self)

    @property
    def caps(self) -> DeviceCaps:
        return DeviceCaps(async_=True, events=True)

    def event_new(self) -> Event | None:
        from .backend import OpenCLEvent

        return OpenCLEvent(self.runtime)


class OpenCLReg(BackendReg):
    """Every OpenCL device found; BackendUnavailable (with the reason) when there is none."""

    def __init__(self) -> None:
        self._devices: list[Device] | None = None

    @property
    def name(self) -> str:
        return "OpenCL"

    def devices(self) -> list[Device]:
        if self._devices is None:
            found = find_devices()
            default = choose_default(found)
            numbered = [OpenCLDevice(f"OpenCL{i}", f) for i, f in enumerate(found)]
            twin = numbered[found.index(default)]
            self._devices = [OpenCLDevice("OpenCL", default, twin), *numbered]
        return list(self._devices)
