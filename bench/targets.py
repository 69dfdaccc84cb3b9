"""Where a case runs: one of our backends, or real ggml's CPU (the yardstick column).

A target turns a fresh one-op graph and its leaf values into a runner (``run(n)``), or raises
``NotSupported`` with the reason: the backend's supports_op said no, or real ggml is missing.
Names: a backend or device name from the registry (``cpu``, ``opencl``, ``OpenCL1``), or
``ggml-cpu`` for real ggml's CPU backend through the ctypes binding.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np
from ggsched import Graph, Tensor
from ggsched.backend import Backend, DeviceType

from .placement import place_graph, write_feeds
from .timing import Runner

GGML_CPU = "ggml-cpu"


class NotSupported(Exception):
    """This target cannot run this case; ``str()`` is the reason shown in the table."""


class Target(abc.ABC):
    """A named place to run cases."""

    name: str

    @abc.abstractmethod
    def prepare(self, graph: Graph, feeds: dict[Tensor, np.ndarray]) -> Runner:
        """Place ``graph`` on the target, store ``feeds``, and return its runner."""

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """Device facts for the report: name, description, type."""

    @property
    def is_cpu(self) -> bool:
        return True


class BackendRunner:
    """Queues ``n`` graph computes on a backend, then synchronizes once."""

    def __init__(self, backend: Backend, graph: Graph, buffer) -> None:
        self.backend, self.graph, self.buffer = backend, graph, buffer

    def run(self, n: int) -> None:
        for _ in range(n):
            self.backend.graph_compute_async(self.graph)
        self.backend.synchronize()


class BackendTarget(Target):
    """One of our backends; cases it does not claim (supports_op on the output) are skipped."""

    def __init__(self, name: str, backend: Backend) -> None:
        self.name, self.backend = name, backend

    def prepare(self, graph: Graph, feeds: dict[Tensor, np.ndarray]) -> Runner:
        out = graph.nodes[-1]
        if not self.backend.supports_op(out):
            raise NotSupported("not supported")
        buffer = place_graph(graph, self.backend)
        write_feeds(feeds)
        return BackendRunner(self.backend, graph, buffer)

    def describe(self) -> dict[str, Any]:
        dev = self.backend.device
        return {"name": self.name, "device": dev.name, "description": dev.description,
                "type": dev.type.value}

    @property
    def is_cpu(self) -> bool:
        return self.backend.device.type is DeviceType.CPU


class Unavailable(Target):
    """A target that was asked for but cannot run here; every case reports its reason."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def prepare(self, graph, feeds) -> Runner:
        raise NotSupported(f"n/a: {self.reason}")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "available": False, "reason": self.reason}


def resolve(name: str, ggml_threads: int | None = None) -> Target:
    """The target called ``name``; an Unavailable one (with the reason) when it cannot run.

    A name no registry knows raises BackendNotFound (listing the names it does know).
    """
    if name.lower() == GGML_CPU:
        from .ggml_target import ggml_target

        return ggml_target(ggml_threads)
    if name.lower() == "blas":
        from .blas_target import BlasTarget

        return BlasTarget()
    from ggsched.errors import BackendNotFound, GGSchedError

    try:
        return BackendTarget(name, init_backend(name))
    except BackendNotFound:
        raise  # a misspelt name is the user's to fix, not a column of "n/a"
    except (GGSchedError, ImportError) as e:
        return Unavailable(name, str(e))


def init_backend(name: str) -> Backend:
    """A backend by registry name (case-insensitive), as ``ggsched.backends.registry`` finds it."""
    from ggsched.backends import registry

    return registry.init_backend(name)
