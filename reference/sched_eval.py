"""Evaluating a graph through a scheduler: weights into WEIGHTS buffers, inputs in, values out.

These are the steps every user of the scheduler repeats (ggml's usage contract): put the
weights in static buffers flagged WEIGHTS, allocate the graph, write the inputs, compute,
read the outputs. ``compare`` measures a result against the golden the way test-backend-ops
does (normalized mean squared error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .alloc import alloc_ctx_tensors_from_buft
from .backend import Buffer, BufferType, BufferUsage, tensor_get, tensor_set
from .checks import require_tensor
from .errors import AllocationError, GraphError, TypeMismatchError
from .graph import Graph
from .layout import from_numpy_bytes, read_values
from .sched import Scheduler
from .tensor import Tensor
from .types import TYPE_TRAITS

# test-backend-ops' default bound on the normalized mean squared error
NMSE_MAX = 1e-7


def load_weights(tensors: Iterable[Tensor], buft: BufferType, values: Mapping) -> Buffer | None:
    """Allocate ``tensors`` in one WEIGHTS buffer of ``buft`` and write their values."""
    tensors = list(tensors)
    buffer = alloc_ctx_tensors_from_buft(tensors, buft)
    if buffer is None:
        return None
    buffer.usage = BufferUsage.WEIGHTS
    for t in tensors:
        if t not in values:
            raise GraphError(f"load_weights: no value for {t.describe()}")
        set_values(t, values[t])
    return buffer


def set_values(t: Tensor, values) -> None:
    """Write values (or raw uint8 bytes for a quantized tensor) into t's memory."""
    require_tensor(t, "set_values")
    raw = np.asarray(values)
    if raw.dtype.kind not in "biuf":
        raise TypeMismatchError(f"set_values: values for {t.describe()} have dtype {raw.dtype}; "
                                f"expected numbers")
    is_raw = TYPE_TRAITS[t.type].is_quantized and raw.dtype == np.uint8
    if raw.size != t.nelements and not is_raw:
        raise GraphError(f"set_values: {raw.size} values for {t.describe()}, expected "
                         f"{t.nelements}")
    if not is_raw:
        raw = from_numpy_bytes(t.type, raw.reshape(t.shape))
    if raw.size != t.nbytes:
        raise GraphError(f"{raw.size} bytes of values for {t.describe()} of {t.nbytes} bytes")
    tensor_set(t, raw)


def get_values(t: Tensor) -> np.ndarray:
    """t's values (shape ne reversed) read back from its buffer."""
    return read_values(tensor_get(t), t.type, t.ne, t.nb, 0)


def evaluate(sched: Scheduler, graph: Graph, inputs: Mapping[Tensor, object],
             outputs: Iterable[Tensor]) -> dict[Tensor, np.ndarray]:
    """One evaluation: alloc_graph, write ``inputs``, compute, read ``outputs``, then reset,
    so that the graph holds the user's own sources again (e.g. for the golden)."""
    if sched.is_alloc:
        sched.reset()
    if not sched.alloc_graph(graph):
        raise AllocationError(f"the scheduler could not allocate {graph!r}")
    for t, v in inputs.items():
        set_values(t, v)
    sched.graph_compute(graph)
    values = {t: get_values(t) for t in outputs}
    sched.reset()
    return values


def nmse(result: np.ndarray, expected: np.ndarray) -> float:
    """Σ(result − expected)² / Σ expected² (0 when both are all zero); inf on NaN mismatch."""
    a = np.asarray(result, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    finite = np.isfinite(b)
    if not np.array_equal(a[~finite], b[~finite], equal_nan=True):
        return float("inf")
    a, b = a[finite], b[finite]
    den = float(np.sum(b * b))
    num = float(np.sum((a - b) ** 2))
    if not np.isfinite(num):
        return float("inf")
    return num / den if den else num
