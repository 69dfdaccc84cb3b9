"""The CPU weight cache: float32 copies of f16/quantized MUL_MAT weights in WEIGHTS buffers.

A hit must give the very bytes of the uncached path; every way of writing a weight must make
the next compute follow the new values; compute buffers are never cached; the cap holds.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from ggsched import golden, ops
from ggsched.alloc import alloc_ctx_tensors_from_buft
from ggsched.backend import BufferUsage, tensor_copy, tensor_get, tensor_memset, tensor_set
from ggsched.backends.cpu import cpu_backend
from ggsched.backends.cpu.weight_cache import DEFAULT_MB, ENV, MB, WEIGHT_CACHE, cap_from_env
from ggsched.errors import GGSchedError
from ggsched.graph import build_graph
from ggsched.layout import from_numpy_bytes
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

TYPES = (GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0)
K, M = 64, 40


@pytest.fixture
def cache():
    """The process-wide cache, emptied, with its cap restored afterwards."""
    cap = WEIGHT_CACHE.cap_bytes
    WEIGHT_CACHE.clear()
    yield WEIGHT_CACHE
    WEIGHT_CACHE.clear()
    WEIGHT_CACHE.cap_bytes = cap


class Setup:
    """Weights in one buffer of a given usage; src1 and the MUL_MAT results in a COMPUTE one."""

    def __init__(self, type: GGMLType, usage: BufferUsage, n: int = 3, ne2: int = 1,
                 n_weights: int = 1, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.backend = cpu_backend()
        self.w = [ops.new_tensor(type, (K, M, ne2)) for _ in range(n_weights)]
        self.b = ops.new_tensor(GGMLType.F32, (K, n, ne2))
        self.out = [ops.mul_mat(w, self.b) for w in self.w]
        buft = self.backend.default_buffer_type
        self.wbuf = alloc_ctx_tensors_from_buft(self.w, buft)
        self.wbuf.usage = usage
        self.cbuf = alloc_ctx_tensors_from_buft([self.b, *self.out], buft)
        self.cbuf.usage = BufferUsage.COMPUTE
        self.feeds = {t: self.rng.uniform(-1, 1, t.shape) for t in (*self.w, self.b)}
        for t, v in self.feeds.items():
            tensor_set(t, from_numpy_bytes(t.type, v))

    def compute(self, i: int = 0) -> np.ndarray:
        """MUL_MAT i's raw result bytes."""
        self.backend.graph_compute(build_graph(self.out[i]))
        return tensor_get(self.out[i])

    def expected(self, i: int = 0) -> np.ndarray:
        return golden.evaluate(build_graph(self.out[i]), self.feeds)[self.out[i]]

    def check_follows_feeds(self, raw: np.ndarray, i: int = 0) -> None:
        """raw is MUL_MAT i of the current feeds: f32 sums of ≤ 64 products of values in
        [-1, 1] (the weights as stored, rounded to their type) stay within 1e-4 of float64."""
        actual = raw.view(np.float32).reshape(self.out[i].shape)
        np.testing.assert_allclose(actual, self.expected(i), rtol=0, atol=1e-4)

    def rewrite(self, t: Tensor) -> None:
        self.feeds[t] = self.rng.uniform(-1, 1, t.shape)
        tensor_set(t, from_numpy_bytes(t.type, self.feeds[t]))


@pytest.mark.parametrize("type", TYPES, ids=str)
@pytest.mark.parametrize("n, ne2", [(1, 1), (3, 1), (40, 1), (3, 2)], ids=["vec", "decode",
                                                                          "prefill", "batched"])
def test_hit_gives_the_uncached_bytes(cache, type: GGMLType, n: int, ne2: int) -> None:
    plain = Setup(type, BufferUsage.ANY, n, ne2).compute()
    s = Setup(type, BufferUsage.WEIGHTS, n, ne2)
    first = s.compute()
    assert (cache.misses, cache.hits, len(cache)) == (1, 0, 1)
    second = s.compute()
    assert cache.hits == 1
    assert first.tobytes() == plain.tobytes() and second.tobytes() == plain.tobytes()
    s.check_follows_feeds(second)


def _set(s: Setup) -> None:
    s.rewrite(s.w[0])


def _memset(s: Setup) -> None:
    tensor_memset(s.w[0], 0)  # all-zero bytes: f16 0.0, blocks with d = 0
    s.feeds[s.w[0]] = np.zeros(s.w[0].shape)


def _cpy_tensor(s: Setup) -> None:
    src = ops.new_tensor(s.w[0].type, s.w[0].ne)
    alloc_ctx_tensors_from_buft([src], s.backend.default_buffer_type)
    s.feeds[s.w[0]] = s.rng.uniform(-1, 1, src.shape)
    tensor_set(src, from_numpy_bytes(src.type, s.feeds[s.w[0]]))
    tensor_copy(src, s.w[0])


def _clear(s: Setup) -> None:
    s.wbuf.clear(0)
    s.feeds[s.w[0]] = np.zeros(s.w[0].shape)


def _cpy_node(s: Setup) -> None:
    """A CPU node computed into the weight: CPY of new f32 values into it."""
    src = ops.new_tensor(GGMLType.F32, s.w[0].ne)
    node = ops.cpy(src, s.w[0])
    alloc_ctx_tensors_from_buft([src, node], s.backend.default_buffer_type)
    values = s.rng.uniform(-1, 1, src.shape)
    tensor_set(src, values.astype(np.float32))
    s.backend.graph_compute(build_graph(node))
    feeds = {src: values, s.w[0]: s.feeds[s.w[0]]}
    s.feeds[s.w[0]] = golden.evaluate(build_graph(node), feeds)[node]


WRITES = [_set, _memset, _cpy_tensor, _clear, _cpy_node]


@pytest.mark.parametrize("type", TYPES, ids=str)
@pytest.mark.parametrize("write", WRITES, ids=lambda f: f.__name__.strip("_"))
def test_writing_the_weight_invalidates(cache, type: GGMLType, write) -> None:
    s = Setup(type, BufferUsage.WEIGHTS)
    before = s.compute()
    write(s)
    after = s.compute()
    assert cache.misses == 2, "the second compute must convert the new weights"
    assert after.tobytes() != before.tobytes()
    s.check_follows_feeds(after)


def test_reset_and_free_drop_the_buffers_copies(cache) -> None:
    s = Setup(GGMLType.F16, BufferUsage.WEIGHTS)
    s.compute()
    s.wbuf.reset()
    assert len(cache) == 0
    s.compute()
    s.wbuf.free()
    assert (len(cache), cache.nbytes) == (0, 0)


def test_a_collected_buffer_leaves_nothing_behind(cache) -> None:
    s = Setup(GGMLType.Q8_0, BufferUsage.WEIGHTS)
    s.compute()
    assert len(cache) == 1
    del s
    gc.collect()
    assert (len(cache), cache.nbytes) == (0, 0)


def test_a_write_elsewhere_in_the_buffer_keeps_other_copies(cache) -> None:
    s = Setup(GGMLType.Q4_0, BufferUsage.WEIGHTS, n_weights=2)
    s.compute(0), s.compute(1)
    s.rewrite(s.w[1])
    s.compute(0)
    assert (cache.hits, cache.misses) == (1, 2)
    s.check_follows_feeds(s.compute(1), 1)
    assert cache.misses == 3


@pytest.mark.parametrize("usage", [BufferUsage.ANY, BufferUsage.COMPUTE], ids=lambda u: u.name)
def test_compute_buffers_are_never_cached(cache, usage: BufferUsage) -> None:
    s = Setup(GGMLType.F16, usage)
    s.compute()
    s.rewrite(s.w[0])
    s.check_follows_feeds(s.compute())
    assert (len(cache), cache.misses, cache.hits) == (0, 0, 0)


def test_the_cap_evicts_the_least_recently_used(cache) -> None:
    one = K * M * 4
    cache.cap_bytes = 2 * one
    s = Setup(GGMLType.Q8_0, BufferUsage.WEIGHTS, n_weights=3)
    s.compute(0), s.compute(1), s.compute(0), s.compute(2)  # 1 is the least recent: evicted
    assert (len(cache), cache.nbytes) == (2, 2 * one)
    s.compute(0)
    assert cache.hits == 2
    s.compute(1)
    assert cache.misses == 4
    assert cache.nbytes <= cache.cap_bytes


@pytest.mark.parametrize("cap", [0, K * M * 4 - 1], ids=["disabled", "too-small"])
def test_a_weight_over_the_cap_is_converted_each_time(cache, cap: int) -> None:
    cache.cap_bytes = cap
    s = Setup(GGMLType.F16, BufferUsage.WEIGHTS)
    s.compute()
    s.rewrite(s.w[0])
    s.check_follows_feeds(s.compute())
    assert (len(cache), cache.nbytes, cache.misses) == (0, 0, 0)


def test_lowering_the_cap_evicts_at_once(cache) -> None:
    s = Setup(GGMLType.F16, BufferUsage.WEIGHTS, n_weights=2)
    s.compute(0), s.compute(1)
    cache.cap_bytes = K * M * 4
    assert len(cache) == 1


@pytest.mark.parametrize("text, mb", [("", DEFAULT_MB), ("0", 0), ("64", 64), ("0.5", 0.5)])
def test_cap_from_env(monkeypatch, text: str, mb: float) -> None:
    monkeypatch.setenv(ENV, text)
    assert cap_from_env() == int(mb * MB)


@pytest.mark.parametrize("text", ["-1", "lots", "nan"])
def test_a_bad_cap_names_the_variable(monkeypatch, text: str) -> None:
    monkeypatch.setenv(ENV, text)
    with pytest.raises(GGSchedError, match=ENV):
        cap_from_env()
