"""Compute a ggsched Graph with real ggml's CPU backend and read every tensor back as numpy.

Every tensor of the rebuilt context gets its own memory (ggml_backend_alloc_ctx_tensors, as
test-backend-ops does), so intermediate nodes keep their values after compute; only what ggml
itself aliases (in-place results, CPY and SET_ROWS into their destination, views) shares bytes.
A runner can be computed many times (the benchmark times ``compute``).
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Mapping

import numpy as np
from ggsched import layout
from ggsched.errors import GGSchedError, GraphError, UnsupportedOpError
from ggsched.graph import Graph
from ggsched.tensor import Tensor
from ggsched.types import TYPE_TRAITS

from .build import GgmlGraph
from .lib import Lib, default_threads, load
from .quantize import ggml_quantize, ggml_to_float

GGML_STATUS = {0: "SUCCESS", -1: "FAILED", -2: "ALLOC_FAILED", 1: "ABORTED"}


class GgmlComputeError(GGSchedError):
    """ggml_backend_graph_compute returned a failure status."""


class GgmlUnsupported(UnsupportedOpError):
    """ggml's CPU backend cannot compute some node of the graph (it would abort)."""


class GgmlRunner:
    """``graph`` rebuilt in ggml (checked against ours), allocated on ggml's CPU backend.

    ``set(feeds)`` writes leaf values, ``compute()`` runs the graph, ``values(t)`` / ``raw(t)``
    read any tensor of the graph; ``feeds`` may be given here already. ``n_threads`` None
    means ``default_threads()`` (GGSCHED_GGML_THREADS, else one per CPU). Raises
    GgmlUnsupported when ggml's CPU backend cannot compute a node. Use as a context manager
    or call ``close()``.
    """

    def __init__(
        self,
        graph: Graph,
        feeds: Mapping[Tensor, np.ndarray] | None = None,
        n_threads: int | None = None,
        check: bool = True,
        lib: Lib | None = None,
    ) -> None:
        self.lib = lib if lib is not None else load()
        self.backend = self.buffer = None
        self.gg = GgmlGraph(graph, lib=self.lib)
        try:
            if check:
                self.gg.check()
            self._init_backend(n_threads or default_threads())
            if feeds:
                self.set(feeds)
        except BaseException:
            self.close()
            raise

    def _init_backend(self, n_threads: int) -> None:
        fn = self.lib.fn
        self.backend = fn("ggml_backend_cpu_init")()
        fn("ggml_backend_cpu_set_n_threads")(self.backend, n_threads)
        bad = self.unsupported()
        if bad:
            names = ", ".join(f"{t.op_desc} {t.describe()}" for t in bad)
            raise GgmlUnsupported(f"ggml's CPU backend does not support {names}")
        self.buffer = fn("ggml_backend_alloc_ctx_tensors")(self.gg.ctx, self.backend)
        if not self.buffer:
            raise GGSchedError(f"ggml could not allocate the tensors of {self.gg.graph!r}")
        fn("ggml_backend_buffer_clear")(self.buffer, 0)
        base = fn("ggml_backend_buffer_get_base")(self.buffer)
        size = fn("ggml_backend_buffer_get_size")(self.buffer)
        self._base = base
        # NOTE: the CPU buffer is host memory: a zero-copy numpy view of it, valid until close()
        self._mem = np.ctypeslib.as_array((ctypes.c_uint8 * size).from_address(base))

    def __enter__(self) -> GgmlRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- data in ----------------------------------------------------------------------------

    def set(self, feeds: Mapping[Tensor, np.ndarray]) -> None:
        """Write leaf values: plain types cast to the type; quantized types take float values
        (quantized by ggml) or their raw bytes (uint8 of size nbytes)."""
        for t, v in feeds.items():
            data = self._encode(t, v)
            self.lib.fn("ggml_backend_tensor_set")(self.gg.ptr(t), data.ctypes.data, 0, data.size)

    def _encode(self, t: Tensor, v) -> np.ndarray:
        v = np.asarray(v)
        if v.dtype == np.uint8 and v.size == t.nbytes and t.type.traits.is_quantized:
            return np.ascontiguousarray(v).reshape(-1)
        if v.size != t.nelements:
            raise GraphError(
                f"feed for {t.describe()} has {v.size} values, the tensor {t.nelements}"
            )
        if TYPE_TRAITS[t.type].is_quantized:
            raw = ggml_quantize(t.type, v.reshape(t.shape), self.lib)
            return np.frombuffer(raw, dtype=np.uint8)
        return layout.from_numpy_bytes(t.type, v.reshape(-1))

    # -- compute ----------------------------------------------------------------------------

    def unsupported(self) -> list[Tensor]:
        """Nodes ggml's CPU backend says it cannot compute (ggml_backend_supports_op).

        NOTE: computing such a node makes ggml abort the whole process; check first.
        """
        supports = self.lib.fn("ggml_backend_supports_op")
        return [t for t in self.gg.graph.nodes if not supports(self.backend, self.gg.ptr(t))]

    def compute(self) -> None:
        status = self.lib.fn("ggml_backend_graph_compute")(self.backend, self.gg.gf)
        if status != 0:
            raise GgmlComputeError(
                f"ggml_backend_graph_compute returned {GGML_STATUS.get(status, status)} "
                f"for {self.gg.graph!r}"
            )

    def run(self, n: int) -> None:
        """Compute ``n`` times (the benchmark's runner protocol; the CPU backend is synchronous)."""
        for _ in range(n):
            self.compute()

    def time(self, n: int = 1) -> list[float]:
        """Seconds taken by each of ``n`` computes (ggml's CPU compute is synchronous)."""
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.compute()
            times.append(time.perf_counter() - t0)
        return times

    # -- data out ---------------------------------------------------------------------------

    def _offset(self, t: Tensor) -> int:
        return self.gg.ptr(t).contents.data - self._base

    def raw(self, t: Tensor) -> np.ndarray:
        """t's bytes with its layout packed contiguously (1-D uint8), as the golden's raw."""
        return layout.packed_bytes(self._mem, t.type, t.ne, t.nb, self._offset(t))

    def values(self, t: Tensor) -> np.ndarray:
        """t's values, shape t.shape: its own dtype for plain types, float32 (by ggml's
        to_float) for quantized ones."""
        if t.type.traits.is_quantized:
            return ggml_to_float(t.type, self.raw(t), t.nelements, self.lib).reshape(t.shape)
        return layout.strided(self._mem, t.type, t.ne, t.nb, self._offset(t)).copy()

    def close(self) -> None:
        fn = self.lib.fn
        self._mem = None
        if self.buffer:
            fn("ggml_backend_buffer_free")(self.buffer)
        if self.backend:
            fn("ggml_backend_free")(self.backend)
        self.buffer = self.backend = None
        if getattr(self, "gg", None) is not None:
            self.gg.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: ggml may be gone already
            pass
