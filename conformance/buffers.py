"""The buffers family: what a backend's buffer type and buffers promise.

Alignment is a power of two and honoured; get_alloc_size is never below nbytes; bytes written
at any offset and size read back the same and touch nothing else; memset and clear set what
they should; cpy_tensor between two of its buffers copies exactly; a graph spread over several
buffers (max_size chunks, as the graph allocator makes them) computes like one in a single
buffer; host buffers really are host memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ggsched import golden, ops
from ggsched.alloc import GAllocr, TAllocr
from ggsched.backend import (
    BufferType,
    tensor_copy,
    tensor_get,
    tensor_memset,
    tensor_set,
    view_init,
)
from ggsched.graph import build_graph
from ggsched.layout import from_numpy_bytes
from ggsched.sched_eval import get_values
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .cases import bounds as bd
from .checks import Check, Problem, Unsupported
from .compare import compare
from .placement import whole
from .targets import Target

F32, F16, I8, I32, Q8_0, Q4_0 = (GGMLType.F32, GGMLType.F16, GGMLType.I8, GGMLType.I32,
                                 GGMLType.Q8_0, GGMLType.Q4_0)


def placed(target: Target, *tensors: Tensor):
    """A fresh buffer of the backend holding ``tensors`` back to back (views: view_init)."""
    buft = target.backend.default_buffer_type
    size = sum(buft.alloc_size(t) + buft.alignment for t in tensors) + buft.alignment
    buffer = buft.alloc_buffer(size)
    talloc = TAllocr(buffer)
    for t in tensors:
        talloc.alloc(t)
    return buffer


def _bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=n, dtype=np.uint8)


def _first_diff(a: np.ndarray, b: np.ndarray) -> str:
    bad = np.flatnonzero(a != b)
    return f"{bad.size} byte(s) differ, the first at byte {int(bad[0])}: {a[bad[0]]} vs {b[bad[0]]}"


@dataclass(frozen=True)
class Alignment(Check):
    op: ClassVar[str] = "BUFFER_ALIGNMENT"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        buft = target.backend.default_buffer_type
        align = buft.alignment
        if align < 1 or align & (align - 1):
            raise Problem(f"buffer type {buft.name} reports alignment {align}, not a power of 2")
        buffer = buft.alloc_buffer(4 * align)
        host = buffer.host_array() if buffer.is_host else None
        if host is not None and host.ctypes.data % align:
            raise Problem(f"a {buft.name} buffer starts at address {host.ctypes.data:#x}, not "
                          f"a multiple of its alignment {align}: tensors at aligned offsets "
                          "are misaligned in memory")
        buffer.free()


@dataclass(frozen=True)
class AllocSize(Check):
    """get_alloc_size(t) >= nbytes for contiguous tensors and for views' roots."""

    type: GGMLType
    ne: tuple

    op: ClassVar[str] = "BUFFER_ALLOC_SIZE"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        buft: BufferType = target.backend.default_buffer_type
        t = ops.new_tensor(self.type, self.ne, "t")
        size = buft.get_alloc_size(t)
        if size < t.nbytes:
            raise Problem(f"{buft.name}.get_alloc_size({t.describe()}) = {size} < nbytes "
                          f"{t.nbytes}: the allocator would overlap the next tensor")


@dataclass(frozen=True)
class SetGet(Check):
    """Write ``size`` bytes at ``offset`` of a tensor (or of a view, ``view``); read them back,
    and the rest of the tensor must be as it was."""

    offset: int
    size: int
    view: bool = False

    op: ClassVar[str] = "BUFFER_SET_GET"
    family: ClassVar[str] = "buffers"
    N = 1000

    def check(self, target, seed):
        rng = np.random.default_rng(seed)
        root = ops.new_tensor(I8, (self.N + 24,), "root")
        buffer = placed(target, root)
        t = ops.view_1d(root, self.N, 24) if self.view else root
        if self.view:
            view_init(t)
        before = _bytes(rng, root.nbytes)
        tensor_set(root, before)
        data = _bytes(rng, self.size)
        tensor_set(t, data, self.offset)
        got = tensor_get(t, self.offset, self.size)
        if not np.array_equal(got, data):
            raise Problem(f"get after set at offset {self.offset}, size {self.size}: "
                          + _first_diff(got, data))
        expect = before.copy()
        start = (24 if self.view else 0) + self.offset
        expect[start:start + self.size] = data
        after = tensor_get(root)
        buffer.free()
        if not np.array_equal(after, expect):
            raise Problem("set_tensor wrote outside [offset, offset+size): "
                          + _first_diff(after, expect))


@dataclass(frozen=True)
class Memset(Check):
    value: int
    offset: int
    size: int

    op: ClassVar[str] = "BUFFER_MEMSET"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        rng = np.random.default_rng(seed)
        t = ops.new_tensor(I8, (777,), "t")
        buffer = placed(target, t)
        before = _bytes(rng, t.nbytes)
        tensor_set(t, before)
        tensor_memset(t, self.value, self.offset, self.size)
        expect = before.copy()
        expect[self.offset:self.offset + self.size] = self.value
        got = tensor_get(t)
        buffer.free()
        if not np.array_equal(got, expect):
            raise Problem(f"memset({self.value}, offset {self.offset}, size {self.size}): "
                          + _first_diff(got, expect))


@dataclass(frozen=True)
class Clear(Check):
    value: int

    op: ClassVar[str] = "BUFFER_CLEAR"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        buffer = target.backend.default_buffer_type.alloc_buffer(4099)
        tensor_set(whole(buffer), _bytes(np.random.default_rng(seed), buffer.size))
        buffer.clear(self.value)
        got = tensor_get(whole(buffer))
        buffer.free()
        expect = np.full(got.size, self.value, dtype=np.uint8)
        if not np.array_equal(got, expect):
            raise Problem(f"clear({self.value}): " + _first_diff(got, expect))


@dataclass(frozen=True)
class CpyTensor(Check):
    """buffer.cpy_tensor between two buffers of the backend (optional: it may decline), then
    the public tensor_copy; both must copy exactly."""

    type: GGMLType
    ne: tuple

    op: ClassVar[str] = "BUFFER_CPY"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        rng = np.random.default_rng(seed)
        src, dst = ops.new_tensor(self.type, self.ne, "src"), ops.new_tensor(self.type, self.ne)
        b1, b2 = placed(target, src), placed(target, dst)
        data = from_numpy_bytes(self.type, rng.uniform(-1, 1, size=src.shape))
        tensor_set(src, data)
        if b2.cpy_tensor(src, dst) and not np.array_equal(tensor_get(dst), data):
            raise Problem("cpy_tensor returned True but " + _first_diff(tensor_get(dst), data))
        tensor_memset(dst, 0)
        tensor_copy(src, dst)
        got = tensor_get(dst)
        b1.free(), b2.free()
        if not np.array_equal(got, data):
            raise Problem("tensor_copy between two buffers: " + _first_diff(got, data))


class _Chunked(BufferType):
    """The backend's buffer type with a small max_size, so the graph allocator splits."""

    def __init__(self, inner: BufferType, max_size: int) -> None:
        self.inner, self._max = inner, max_size

    name = property(lambda self: f"{self.inner.name}(max_size={self._max})")
    alignment = property(lambda self: self.inner.alignment)
    max_size = property(lambda self: self._max)
    is_host = property(lambda self: self.inner.is_host)
    device = property(lambda self: self.inner.device)

    def get_alloc_size(self, t):
        return self.inner.get_alloc_size(t)

    def _alloc_buffer(self, size):
        return self.inner.alloc_buffer(size)


@dataclass(frozen=True)
class Chunks(Check):
    """A chain of ADD/MUL over [256, 4] f32 tensors, allocated by the graph allocator with
    ``max_size`` bytes per buffer: tensors land in several buffers and must compute right."""

    max_size: int

    op: ClassVar[str] = "BUFFER_CHUNKS"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        rng = np.random.default_rng(seed)
        xs = [ops.new_tensor(F32, (256, 4), f"x{i}").set_input() for i in range(4)]
        y = xs[0]
        for i, x in enumerate(xs[1:]):
            y = ops.add(y, x) if i % 2 else ops.mul(y, x)
        g = build_graph(y.set_output())
        galloc = GAllocr(_Chunked(target.backend.default_buffer_type, self.max_size))
        if not galloc.alloc_graph(g):
            raise Problem(f"the graph allocator could not allocate with max_size {self.max_size}")
        feeds = {x: rng.uniform(-1, 1, size=x.shape).astype(np.float32) for x in xs}
        for x, v in feeds.items():
            tensor_set(x, v)
        target.backend.graph_compute(g)
        got = get_values(y)
        cmp = compare(got, golden.evaluate(g, feeds)[y], bd.DEFAULT)
        if not cmp.ok:
            raise Problem(f"computed over buffers of at most {self.max_size} bytes: "
                          + cmp.describe())


@dataclass(frozen=True)
class HostMemory(Check):
    """A buffer type that says is_host must hand out host memory: host_array() aliases what
    set_tensor/get_tensor see."""

    op: ClassVar[str] = "BUFFER_HOST"
    family: ClassVar[str] = "buffers"

    def check(self, target, seed):
        buft = target.backend.default_buffer_type
        if not buft.is_host:
            raise Unsupported(f"{buft.name} is not host memory")
        buffer = buft.alloc_buffer(256)
        host = buffer.host_array()
        if host is None or host.size != buffer.size:
            raise Problem(f"{buft.name} says is_host but host_array() gives {host!r}")
        host[:] = np.arange(256, dtype=np.uint8)
        got = tensor_get(whole(buffer))
        buffer.free()
        if not np.array_equal(got, np.arange(256, dtype=np.uint8)):
            raise Problem("host_array() does not alias the buffer: " +
                          _first_diff(got, np.arange(256, dtype=np.uint8)))


def cases() -> Iterator[Check]:
    yield Alignment()
    for t in (F32, F16, I32, Q8_0, Q4_0):
        for ne in ((32, 1, 1, 1), (64, 7, 5, 3), (4096, 3, 1, 1)):
            yield AllocSize(t, ne)
    for offset, size in ((0, 1000), (0, 1), (1, 1), (3, 17), (7, 100), (995, 5), (500, 0)):
        yield SetGet(offset, size)
    yield SetGet(3, 17, view=True)
    yield SetGet(0, 1000, view=True)
    for value, offset, size in ((0, 0, 777), (255, 1, 5), (0xA5, 13, 300), (7, 776, 1)):
        yield Memset(value, offset, size)
    for value in (0, 0xA5, 255):
        yield Clear(value)
    for t, ne in ((F32, (33, 5)), (F16, (7, 3, 2)), (Q8_0, (64, 3)), (Q4_0, (32, 2, 2))):
        yield CpyTensor(t, ne)
    for max_size in (4096, 8192):
        yield Chunks(max_size)
    yield HostMemory()


def quick() -> list[Check]:
    return [c for c in cases() if not isinstance(c, AllocSize) or c.ne == (64, 7, 5, 3)]
