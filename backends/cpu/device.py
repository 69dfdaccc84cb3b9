"""The CPU device and its registry entry: what the machine is and what it can compute."""

from __future__ import annotations

import functools
import os
import platform

import numpy as np
from ggsched.backend import Backend, BackendReg, BufferType, Device, DeviceType
from ggsched.tensor import Tensor

from .backend import CPUBackend
from .buffer import CPUBufferType
from .support import supports_op


def cpu_name() -> str:
    """The processor's model name (/proc/cpuinfo on Linux, else what platform knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def blas_name() -> str:
    """numpy's BLAS as numpy reports it, e.g. "scipy-openblas 0.3.27"."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # numpy's config layout is not a stable API
        return "unknown BLAS"


def host_memory() -> tuple[int, int]:
    """(free, total) bytes of host memory: MemAvailable/MemTotal, else os.sysconf."""
    try:
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, value = line.split(":", 1)
                info[key] = int(value.split()[0]) * 1024
        return info.get("MemAvailable", info["MemFree"]), info["MemTotal"]
    except (OSError, KeyError, ValueError):
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page


class CPUDevice(Device):
    """The host CPU: computes every reference op with numpy kernels on host buffers."""

    def __init__(self) -> None:
        self._buft = CPUBufferType(self)

    @property
    def name(self) -> str:
        return "CPU"

    @functools.cached_property
    def description(self) -> str:
        return f"{cpu_name()} (numpy {np.__version__}, {blas_name()})"

    @property
    def type(self) -> DeviceType:
        return DeviceType.CPU

    @property
    def buffer_type(self) -> BufferType:
        return self._buft

    def memory(self) -> tuple[int, int]:
        return host_memory()

    def supports_op(self, op: Tensor) -> bool:
        return supports_op(op)

    def supports_buft(self, buft: BufferType) -> bool:
        return buft.is_host

    def init_backend(self, params: str = "") -> Backend:
        return CPUBackend(self)


class CPUBackendReg(BackendReg):
    """The "CPU" registry entry: one device, "CPU"."""

    def __init__(self) -> None:
        self._devices: list[Device] = [CPUDevice()]

    @property
    def name(self) -> str:
        return "CPU"

    def devices(self) -> list[Device]:
        return self._devices
