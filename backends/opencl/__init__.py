"""The OpenCL backend: every OpenCL device (PoCL's CPU device included) as a ggsched device.

``register()`` is the entry point (group ``ggsched.backends``). pyopencl is imported only when
devices are listed, so ggsched works without it; then the registry entry reports the backend
unavailable with the reason. ``GGSCHED_OPENCL_DEVICE`` picks the default device ("OpenCL").
"""

from __future__ import annotations

from .device import OpenCLReg
from .errors import KernelBuildError, OpenCLRuntimeError


def register() -> OpenCLReg:
    return OpenCLReg()


__all__ = ["KernelBuildError", "OpenCLReg", "OpenCLRuntimeError", "register"]
