"""The CPU backend: host buffers as numpy arrays, numpy/BLAS kernels for every reference op.

``register()`` is the entry point (group ``ggsched.backends``): a BackendReg "CPU" with one
device "CPU". ``cpu_backend()`` is a shortcut to a ready backend.
"""

from __future__ import annotations

import functools

from .backend import CPUBackend
from .buffer import CPUBuffer, CPUBufferType
from .device import CPUBackendReg, CPUDevice
from .support import supports_op


@functools.cache
def register() -> CPUBackendReg:
    """The process-wide CPU registry entry (the same object on every call)."""
    return CPUBackendReg()


def cpu_backend() -> CPUBackend:
    """A new CPU backend on the registered CPU device."""
    return register().devices()[0].init_backend()


__all__ = [
    "CPUBackend",
    "CPUBackendReg",
    "CPUBuffer",
    "CPUBufferType",
    "CPUDevice",
    "cpu_backend",
    "register",
    "supports_op",
]
