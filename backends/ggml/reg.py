"""The ``ggml`` entry of the backend registry (entry point ``ggsched.backends.ggml:register``).

One device, "ggml-cpu": real ggml's CPU backend computing in host buffers (device.py). When
libggml-python is missing or does not load, the entry stays listed with the reason.
"""

from __future__ import annotations

import functools

from ggsched.backend import BackendReg, Device
from ggsched.errors import BackendUnavailable

from .lib import unavailable_reason


class GgmlReg(BackendReg):
    @property
    def name(self) -> str:
        return "ggml"

    def devices(self) -> list[Device]:
        reason = unavailable_reason()
        if reason is not None:
            raise BackendUnavailable(reason)
        return [_device()]


@functools.cache
def _device() -> Device:
    from .device import GgmlDevice

    return GgmlDevice()


@functools.cache
def register() -> BackendReg:
    """The process-wide ggml registry entry (the same object on every call)."""
    return GgmlReg()
