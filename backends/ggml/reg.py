"""The ``ggml`` entry of the backend registry (entry point ``ggsched.backends.ggml:register``).

Real ggml is, for now, a yardstick (its values and its allocator measured through
``GgmlRunner`` and ``measure_gallocr``), not a device the scheduler can place work on.
"""

from __future__ import annotations

from ggsched.backend import BackendReg, Device
from ggsched.errors import BackendUnavailable

from .lib import unavailable_reason


class GgmlReg(BackendReg):
    """Lists no devices; says why (libraries missing, or not a ggsched backend yet)."""

    @property
    def name(self) -> str:
        return "ggml"

    def devices(self) -> list[Device]:
        reason = unavailable_reason()
        if reason is not None:
            raise BackendUnavailable(reason)
        raise BackendUnavailable(
            "ggml is a yardstick, not a ggsched backend yet: use "
            "ggsched.backends.ggml.GgmlRunner to compute a graph with real ggml's CPU backend"
        )


def register() -> BackendReg:
    return GgmlReg()
