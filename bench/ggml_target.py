"""The ``ggml-cpu`` column: a case's graph rebuilt in real ggml and computed on its CPU backend.

Everything real-ggml goes through ``ggsched.backends.ggml`` (the ctypes binding); when the
``ggml`` extra is missing or the libraries cannot load, the column is "n/a" with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ggsched import Graph, Tensor

from .targets import GGML_CPU, NotSupported, Target, Unavailable
from .timing import Runner


class GgmlCpuTarget(Target):
    name = GGML_CPU

    def __init__(self, binding) -> None:
        self.binding = binding

    def prepare(self, graph: Graph, feeds: dict[Tensor, np.ndarray]) -> Runner:
        try:
            return self.binding.GgmlRunner(graph, feeds)
        except self.binding.GgmlUnsupported as e:
            raise NotSupported(f"not supported: {e}") from None

    def describe(self) -> dict[str, Any]:
        return {"name": GGML_CPU, "device": "CPU", "description": self.binding.describe(),
                "type": "CPU"}


def ggml_target() -> Target:
    """The real-ggml target, or Unavailable with the reason it cannot load."""
    try:
        from ggsched.backends import ggml as binding

        binding.load()
    except ImportError as e:
        return Unavailable(GGML_CPU, f"the ggml binding is not importable ({e})")
    except Exception as e:  # noqa: BLE001 - any load failure makes the column n/a
        return Unavailable(GGML_CPU, str(e))
    return GgmlCpuTarget(binding)
