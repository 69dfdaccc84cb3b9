"""The copies family: tensors copied between the backend and the CPU (both ways) and between
two instances of the backend, blocking and asynchronous, must arrive bit for bit.

Every type, contiguous, as a view with an offset and gaps between rows, and permuted. A copy
moves the tensor's whole byte span (ggml's rule: gaps inside it included) and nothing
outside it. The async checks queue work first, so a copy that does not wait for it is caught.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ggsched import golden, ops
from ggsched.backend import (
    Backend,
    tensor_copy,
    tensor_copy_async,
    tensor_get,
    tensor_memset,
    tensor_set,
    view_init,
)
from ggsched.graph import build_graph
from ggsched.layout import from_numpy_bytes, read_values
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .buffers import _first_diff, placed
from .cases import bounds as bd
from .checks import Check, Problem
from .compare import compare
from .targets import Target

TYPES = tuple(GGMLType)
LAYOUTS = ("cont", "view", "perm")
ROUTES = (("backend", "cpu"), ("cpu", "backend"), ("backend", "backend2"))
F32 = GGMLType.F32
FILL_BYTE = 0x5A


def _endpoint(target: Target, which: str) -> Backend:
    if which == "cpu":
        return target.cpu
    if which == "backend2":
        return target.new_instance()
    return target.backend


def _shape(t: GGMLType) -> tuple[int, ...]:
    return (t.traits.blck_size * 2 if t.traits.is_quantized else 33, 5, 3, 2)


def _look(root: Tensor, layout: str) -> Tensor:
    """The tensor that is copied: the root, a view with an offset, or a permutation."""
    if layout == "view":
        # half of each row, starting one block (quantized) or three elements in
        offset = root.traits.type_size * (1 if root.traits.is_quantized else 3)
        return ops.view_4d(root, root.ne[0] // 2, *root.ne[1:], *root.nb[1:], offset)
    if layout == "perm":
        return ops.permute(root, 0, 2, 1, 3)
    return root


def _values(rng: np.random.Generator, t: Tensor) -> np.ndarray:
    if t.traits.is_float:
        return from_numpy_bytes(t.type, rng.uniform(-1, 1, size=t.shape))
    info = np.iinfo(t.traits.dtype)
    return from_numpy_bytes(t.type, rng.integers(info.min, info.max, size=t.shape,
                                                 dtype=t.traits.dtype, endpoint=True))


@dataclass(frozen=True)
class Copy(Check):
    type: GGMLType
    layout: str
    src: str
    dst: str
    asynchronous: bool = False

    op: ClassVar[str] = "COPY"
    family: ClassVar[str] = "copies"

    def check(self, target, seed):
        rng = np.random.default_rng(seed)
        b_src, b_dst = _endpoint(target, self.src), _endpoint(target, self.dst)
        roots = [ops.new_tensor(self.type, _shape(self.type), n) for n in ("src", "dst")]
        buffers = [placed(_As(b_src), roots[0]), placed(_As(b_dst), roots[1])]
        src, dst = (_look(r, self.layout) for r in roots)
        for v in (src, dst):
            if v.view_src is not None:
                view_init(v)
        tensor_set(roots[0], _values(rng, roots[0]))
        tensor_memset(roots[1], FILL_BYTE)
        if self.asynchronous:
            tensor_copy_async(b_src, b_dst, src, dst)
            b_src.synchronize(), b_dst.synchronize()
        else:
            tensor_copy(src, dst)
        self._verify(src, dst, roots[1])
        for b in buffers:
            b.free()

    def _verify(self, src: Tensor, dst: Tensor, dst_root: Tensor) -> None:
        want, got = tensor_get(src), tensor_get(dst)
        if not np.array_equal(got, want):
            raise Problem(f"{self.src} -> {self.dst} copy of {src.describe()}: "
                          + _first_diff(got, want))
        outside = tensor_get(dst_root)
        lo = dst.view_offs if dst.view_src is not None else 0
        outside[lo:lo + dst.nbytes] = FILL_BYTE
        if (outside != FILL_BYTE).any():
            raise Problem(f"{self.src} -> {self.dst} copy wrote outside {dst.describe()}: "
                          + _first_diff(outside, np.full_like(outside, FILL_BYTE)))


class _As:
    """Just enough of a Target for ``placed``: a given backend as the target's backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend


def _graph(rng: np.random.Generator):
    a, b = ops.new_tensor(F32, (64, 9), "a"), ops.new_tensor(F32, (64, 9), "b")
    out = ops.mul(ops.add(a, b), b).set_output()
    feeds = {t: rng.uniform(-1, 1, size=t.shape).astype(np.float32) for t in (a, b)}
    return build_graph(out), out, feeds


@dataclass(frozen=True)
class AsyncAfterCompute(Check):
    """Queue a computation, then read its result asynchronously (``get``) or copy it to
    ``cpu`` / ``backend2`` with tensor_copy_async; after synchronize the result must be the
    computed one, not what was there before."""

    how: str

    op: ClassVar[str] = "ASYNC_AFTER_COMPUTE"
    family: ClassVar[str] = "copies"

    def check(self, target, seed):
        rng = np.random.default_rng(seed)
        g, out, feeds = _graph(rng)
        backend = target.backend
        placed(target, *g.leafs, *g.nodes)
        for t, v in feeds.items():
            tensor_set(t, v)
        tensor_memset(out, 0)
        backend.graph_compute_async(g)
        got = self._fetch(target, backend, out)
        cmp = compare(got, golden.evaluate(g, feeds)[out], bd.DEFAULT)
        if not cmp.ok:
            raise Problem(f"{self.how} queued after graph_compute_async, read after "
                          f"synchronize: {cmp.describe()}")

    def _fetch(self, target, backend, out):
        if self.how == "get":
            raw = backend.get_tensor_async(out)
            backend.synchronize()
            return read_values(raw, out.type, out.ne, out.nb, 0)
        other = _endpoint(target, self.how)
        copy = ops.new_tensor(out.type, out.ne, "copy")
        placed(_As(other), copy)
        tensor_copy_async(backend, other, out, copy)
        backend.synchronize(), other.synchronize()
        return read_values(tensor_get(copy), out.type, out.ne, out.nb, 0)


def cases() -> Iterator[Check]:
    for t in TYPES:
        for layout in LAYOUTS:
            for src, dst in ROUTES:
                for asynchronous in (False, True):
                    yield Copy(t, layout, src, dst, asynchronous)
    for how in ("get", "cpu", "backend2"):
        yield AsyncAfterCompute(how)


def quick() -> list[Check]:
    keep = (GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.I32)
    return [c for c in cases() if not isinstance(c, Copy) or
            (c.type in keep and c.layout != "cont")]
