"""The ``ggml-cpu`` column: a case's graph rebuilt in real ggml and computed on its CPU backend.

Everything real-ggml goes through ``ggsched.backends.ggml`` (the ctypes binding); when the
``ggml`` extra is missing or the libraries cannot load, the column is "n/a" with the reason.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from ggsched import Graph, Tensor

from .targets import GGML_CPU, NotSupported, Target, Unavailable
from .timing import Runner


class GgmlCpuTarget(Target):
    """ggml's CPU backend with ``n_threads`` threads (None: one per CPU, ggml's default).

    NOTE: ggml's CPU threads meet at a spinning barrier after every node; on a machine whose
    cores are busy with other work, a thread that loses its core stalls the graph for a
    scheduler time slice per node. ``--ggml-threads 1`` measures ggml without that effect.
    """

    name = GGML_CPU

    def __init__(self, binding, n_threads: int | None = None) -> None:
        self.binding, self.n_threads = binding, n_threads

    def prepare(self, graph: Graph, feeds: dict[Tensor, np.ndarray]) -> Runner:
        try:
            return self.binding.GgmlRunner(graph, feeds, n_threads=self.n_threads)
        except self.binding.GgmlUnsupported as e:
            raise NotSupported(f"not supported: {e}") from None

    def describe(self) -> dict[str, Any]:
        return {"name": GGML_CPU, "device": "CPU", "description": self.binding.describe(),
                "type": "CPU", "n_threads": self.n_threads or os.cpu_count()}


def ggml_target(n_threads: int | None = None) -> Target:
    """The real-ggml target, or Unavailable with the reason it cannot load."""
    try:
        from ggsched.backends import ggml as binding

        binding.load()
    except ImportError as e:
        return Unavailable(GGML_CPU, f"the ggml binding is not importable ({e})")
    except Exception as e:  # noqa: BLE001 - any load failure makes the column n/a
        return Unavailable(GGML_CPU, str(e))
    return GgmlCpuTarget(binding, n_threads)
