"""What the OpenCL tests share: the device (found once per session, skipped with the reason
when there is none), placement of a graph in ONE OpenCL buffer with sentinel gaps, and the
comparison with the golden (test-backend-ops' NMSE).

Programs are built once per session (the runtime caches them) and PoCL keeps compiled kernels
on disk, so only a cold first run pays for compiling.
"""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import golden, layout
from ggsched.backend import tensor_alloc, tensor_set, view_init
from ggsched.errors import BackendUnavailable
from ggsched.graph import Graph, build_graph
from ggsched.tensor import Tensor

SENTINEL = 0xA5
GAP = 64  # sentinel bytes after every tensor's memory


def find_device():
    """The default OpenCL device, or skip (with the reason) when there is none."""
    from ggsched.backends.opencl import register

    try:
        return register().devices()[0]
    except BackendUnavailable as e:
        pytest.skip(f"no OpenCL device: {e}")


@pytest.fixture(scope="session")
def cl_device():
    return find_device()


@pytest.fixture(scope="session")
def cl_backend(cl_device):
    return cl_device.init_backend()


def _align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def place(out: Tensor, buft, alias: bool = False):
    """Every root of out's graph in one buffer of ``buft``, GAP sentinel bytes after each; with
    ``alias`` out sits at its src0's address (the allocator's in-place reuse).
    Returns (graph, buffer, [(start, end) of each root's bytes])."""
    graph = build_graph(out)
    roots = list({id(t.root): t.root for t in graph.tensors()}.values())
    if alias:
        roots.remove(out)
    offsets, size = [], 0
    for t in roots:
        offsets.append(size)
        size = _align(size + buft.alloc_size(t) + GAP, buft.alignment)
    buffer = buft.alloc_buffer(size)
    buffer.clear(SENTINEL)
    for t, offs in zip(roots, offsets):
        tensor_alloc(buffer, t, offs)
    if alias:
        out.buffer, out.data = buffer, out.src[0].data
    for t in graph.tensors():
        if t.view_src is not None and t.data is None:
            view_init(t)
    spans = [(o, o + buft.alloc_size(t)) for t, o in zip(roots, offsets)]
    return graph, buffer, spans


def feed(feeds: dict[Tensor, np.ndarray]) -> None:
    for t, v in feeds.items():
        tensor_set(t, layout.from_numpy_bytes(t.type, v))


def read(t: Tensor) -> np.ndarray:
    """t's values, read back from its buffer through its layout."""
    raw = t.root.buffer.read(t.data, t.nbytes) if t.nbytes else np.zeros(0, np.uint8)
    return layout.read_values(raw, t.type, t.ne, t.nb, 0)


def expected(graph: Graph, out: Tensor, feeds) -> np.ndarray:
    return golden.evaluate(graph, feeds)[out]


def nmse(actual: np.ndarray, expected: np.ndarray) -> float:
    """Σ(a−b)² / Σb² over finite expected values (test-backend-ops' metric)."""
    finite = np.isfinite(expected)
    diff = (actual[finite] - expected[finite]) ** 2
    denom = (expected[finite] ** 2).sum()
    return float(diff.sum() / denom) if denom > 0 else float(diff.sum())


def check_close(case_id: str, actual, expected, bound: float, rerun: str) -> None:
    assert actual.shape == expected.shape, f"{case_id}: shape {actual.shape} != {expected.shape}"
    if not np.issubdtype(expected.dtype, np.floating):
        bad = np.argwhere(actual != expected)
        assert bad.size == 0, f"{case_id}: {len(bad)} values differ, first at {bad[0]}; {rerun}"
        return
    actual, expected = actual.astype(np.float64), expected.astype(np.float64)
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), f"{case_id}: NaN mismatch; {rerun}"
    inf = np.isinf(expected)
    assert np.array_equal(actual[inf], expected[inf]) and not np.isinf(actual[~inf]).any(), (
        f"{case_id}: inf mismatch; {rerun}")
    err = nmse(actual, expected)
    assert err <= bound, f"{case_id}: NMSE {err:.3g} > {bound:g}; {rerun}"


def check_sentinels(case_id: str, buffer, spans) -> None:
    """Bytes between tensors are untouched: no kernel wrote outside its tensor."""
    raw = buffer.read(0, buffer.size)
    outside = np.ones(raw.size, dtype=bool)
    for start, end in spans:
        outside[start:end] = False
    bad = np.flatnonzero(raw[outside] != SENTINEL)
    assert bad.size == 0, f"{case_id}: {bad.size} sentinel bytes overwritten"
