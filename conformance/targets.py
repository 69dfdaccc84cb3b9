"""The backend under test, found by name, with the CPU backend the suite pairs it with.

Names are the registry's (``ggsched backends``), case-insensitive; ``broken-<fault>`` names
the deliberately broken backends of the self-test (``ggsched.conformance.broken``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ggsched.backend import Backend, DeviceType
from ggsched.backends import registry
from ggsched.errors import BackendNotFound, BackendUnavailable


def open_backend(name: str) -> Backend:
    """A new backend instance for ``name``; raises BackendNotFound / BackendUnavailable."""
    from . import broken  # the broken backends wrap the CPU backend: import only when named

    if broken.is_broken(name):
        return broken.make(name)
    return registry.init_backend(name)


@dataclass(frozen=True)
class Availability:
    name: str
    device: str
    available: bool
    reason: str

    def to_json(self) -> dict:
        return {"name": self.name, "device": self.device, "available": self.available,
                "reason": self.reason}


def default_backends() -> list[str]:
    """The first device of every available backend family that ships with ggsched."""
    return [e.devices[0].name for e in registry.entries()
            if e.available and type(e.reg).__module__.startswith("ggsched.")]


def availability(name: str) -> Availability:
    try:
        backend = open_backend(name)
    except (BackendNotFound, BackendUnavailable) as e:
        return Availability(name, "", False, str(e))
    return Availability(name, backend.device.description, True, "")


class Target:
    """One backend under test. Instances are opened lazily and kept for the session."""

    def __init__(self, name: str) -> None:
        self.name = name

    @functools.cached_property
    def backend(self) -> Backend:
        return open_backend(self.name)

    @functools.cached_property
    def cpu(self) -> Backend:
        """The CPU backend the scheduler falls back on (a separate instance)."""
        return registry.init_backend("CPU")

    @property
    def is_cpu(self) -> bool:
        return self.backend.device.type is DeviceType.CPU

    def new_instance(self) -> Backend:
        """A second, independent instance of the same device."""
        return self.backend.device.init_backend()

    def __repr__(self) -> str:
        return f"<Target {self.name}>"
