"""What the per-op backend tests share (test_cpu_backend.py, test_opencl_ops.py): seeded leafs,
placement of a node's graph in ONE buffer with sentinel gaps, and the comparison with the
golden (test-backend-ops' NMSE; integer results exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ggsched import layout, ops
from ggsched.backend import BufferType, tensor_alloc, tensor_set, view_init
from ggsched.graph import build_graph
from ggsched.sched_eval import NMSE_MAX, nmse
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

SENTINEL = 0xA5
GAP = 64  # sentinel bytes after every tensor's memory


@dataclass
class Leafs:
    """Creates input tensors and their random values (seeded per case: reproducible)."""

    seed: int
    feeds: dict[Tensor, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, type: GGMLType, ne, lo: float = -1.0, hi: float = 1.0) -> Tensor:
        t = ops.new_tensor(type, ne)
        n = t.nelements
        if type.traits.is_float:
            v = self.rng.uniform(lo, hi, n)
        else:
            v = self.rng.integers(int(lo), int(hi), n, endpoint=True)
        self.feeds[t] = v.reshape(t.shape)
        return t

    def ids(self, type: GGMLType, n: int, n_rows: int, planes: tuple[int, int] = (1, 1)):
        """Row indices: each plane (i2, i3) gets n distinct rows of [0, n_rows)."""
        t = ops.new_tensor(type, (n, *planes))
        v = [self.rng.permutation(n_rows)[:n] for _ in range(planes[0] * planes[1])]
        self.feeds[t] = np.array(v).reshape(t.shape)
        return t


# -- placement in one buffer ----------------------------------------------------------------------


def _align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def place(out: Tensor, buft: BufferType, alias: int | None = None):
    """Every root of out's graph in one buffer of ``buft``, GAP sentinel bytes after each; when
    ``alias`` is a src index, out sits at that source's address (the allocator's in-place
    reuse). Returns (graph, buffer, [(start, end) of each root's bytes])."""
    graph = build_graph(out)
    roots = list({id(t.root): t.root for t in graph.tensors()}.values())
    if alias is not None:
        roots.remove(out)
    offsets, size = [], 0
    for t in roots:
        offsets.append(size)
        size = _align(size + buft.alloc_size(t) + GAP, buft.alignment)
    buffer = buft.alloc_buffer(size)
    buffer.clear(SENTINEL)
    for t, offs in zip(roots, offsets):
        tensor_alloc(buffer, t, offs)
    if alias is not None:
        out.buffer, out.data = buffer, out.src[alias].data
        buffer.init_tensor(out)
    for t in graph.tensors():
        if t.view_src is not None and t.data is None:
            view_init(t)
    spans = [(o, o + buft.alloc_size(t)) for t, o in zip(roots, offsets)]
    return graph, buffer, spans


def feed(feeds: dict[Tensor, np.ndarray]) -> None:
    for t, v in feeds.items():
        tensor_set(t, layout.from_numpy_bytes(t.type, v))


# -- comparison -----------------------------------------------------------------------------------


def check_close(case_id: str, actual, expected, bound: float, rerun: str) -> None:
    """Float (and quantized) results: NaN and inf where the golden has them, then NMSE within
    ``bound``; integer results (the golden's integer dtype) exactly."""
    assert actual.shape == expected.shape, f"{case_id}: shape {actual.shape} != {expected.shape}"
    if not np.issubdtype(expected.dtype, np.floating):
        bad = np.argwhere(actual != expected)
        assert bad.size == 0, (
            f"{case_id}: {len(bad)} values differ, first at {tuple(bad[0])}: "
            f"backend {actual[tuple(bad[0])]} golden {expected[tuple(bad[0])]}; {rerun}")
        return
    actual, expected = actual.astype(np.float64), expected.astype(np.float64)
    nan_ok = np.array_equal(np.isnan(actual), np.isnan(expected))
    assert nan_ok, f"{case_id}: NaN where the golden has none (or none where it has); {rerun}"
    inf = np.isinf(expected)
    assert np.array_equal(actual[inf], expected[inf]) and not np.isinf(actual[~inf]).any(), (
        f"{case_id}: inf mismatch; {rerun}")
    err = nmse(actual, expected)
    assert err <= bound, f"{case_id}: NMSE {err:.3g} > {bound:g}; {rerun}"


def check_sentinels(case_id: str, raw: np.ndarray, spans) -> None:
    """Bytes between tensors (``raw``: the whole buffer) are untouched: no kernel wrote
    outside its tensor."""
    outside = np.ones(raw.size, dtype=bool)
    for start, end in spans:
        outside[start:end] = False
    bad = np.flatnonzero(raw[outside] != SENTINEL)
    assert bad.size == 0, f"{case_id}: {bad.size} sentinel bytes overwritten"


__all__ = ["NMSE_MAX", "Leafs", "check_close", "check_sentinels", "feed", "nmse", "place"]
