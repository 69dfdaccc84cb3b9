"""The OpenCL fast paths (backends/opencl/fast.py, replay.py): that they are taken where meant,
fall back where they must, and give the golden's values.

Vectors are used only for aligned rows (a view one element off its buffer's alignment takes
the scalar loop); src1 repeats by zero strides; a transposed source takes the tiled kernel;
a node computed again replays its recorded launches, and not after its tensors moved.
Error bound: NMSE ≤ 1e-7 as in test_opencl_ops.py (same-type copies exactly).
"""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import ops
from ggsched.backends.opencl.fast import merge_dims, strides_over, vec4_ok
from ggsched.backends.opencl.programs import Programs
from ggsched.backends.opencl.runtime import Runtime
from ggsched.graph import build_graph
from ggsched.op import RopeMode
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from op_check import NMSE_MAX, check_close, check_sentinels, feed, place
from opencl_support import cl_backend, cl_device, expected, read  # noqa: F401 - fixtures

F32, F16, I32 = GGMLType.F32, GGMLType.F16, GGMLType.I32


# -- host-side planning (no device) -----------------------------------------------------------


def test_merge_dims_makes_a_contiguous_tensor_one_row() -> None:
    t = ops.new_tensor(F32, (5, 7, 2, 3))
    assert merge_dims(t.ne, [t.nb, t.nb]) == ((210, 1, 1, 1), [(4, 0, 0, 0)] * 2)


def test_merge_dims_keeps_dims_a_broadcast_repeats() -> None:
    dst, b = ops.new_tensor(F32, (5, 7, 2, 1)), ops.new_tensor(F32, (5, 1, 2, 1))
    nb = strides_over(b, dst.ne)
    assert nb == (4, 0, 20, 40)
    ne, (d, s) = merge_dims(dst.ne, [dst.nb, nb])
    assert ne == (5, 7, 2, 1) and s[:3] == (4, 0, 20) and d[:3] == (4, 20, 140)


def test_merge_dims_leaves_a_transpose_alone() -> None:
    t = ops.transpose(ops.new_tensor(F32, (5, 7)))
    c = ops.new_tensor(F32, t.ne)
    assert merge_dims(t.ne, [t.nb, c.nb])[0] == (7, 5, 1, 1)


def test_vec4_needs_aligned_row_starts() -> None:
    t = ops.new_tensor(F32, (8, 3))
    t.data = 0
    assert vec4_ok([(t, 4, t.nb)])
    t.data = 4  # one element past an aligned start
    assert not vec4_ok([(t, 4, t.nb)])
    odd = ops.new_tensor(F32, (5, 3))  # rows of 20 bytes
    odd.data = 0
    assert not vec4_ok([(odd, 4, odd.nb)])


# -- on the device --------------------------------------------------------------------------------


class Spy:
    """Records the (kernel name, build options) asked of Programs, and counts launches."""

    def __init__(self, monkeypatch) -> None:
        self.kernels: list[tuple[str, str]] = []
        self.launches = 0
        kernel, launch = Programs.kernel, Runtime.launch

        def spy_kernel(programs, family, name, options=""):
            self.kernels.append((name, options))
            return kernel(programs, family, name, options)

        def spy_launch(rt, *args):
            self.launches += 1
            return launch(rt, *args)

        monkeypatch.setattr(Programs, "kernel", spy_kernel)
        monkeypatch.setattr(Runtime, "launch", spy_launch)

    def used(self, name: str) -> list[str]:
        return [opts for n, opts in self.kernels if n == name]


def values(rng, t: Tensor) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, t.nelements).reshape(t.shape)


def compute(backend, out: Tensor, feeds: dict, case_id: str, times: int = 1) -> None:
    """Compute out's graph ``times`` times in one sentinel-guarded buffer; check each."""
    graph, buffer, spans = place(out, backend.default_buffer_type)
    try:
        for i in range(times):
            feeds = {t: v * (i + 1) for t, v in feeds.items()}  # new inputs every time
            feed(feeds)
            backend.graph_compute(graph)
            want = expected(build_graph(out), out, feeds)
            check_close(case_id, read(out), want, NMSE_MAX, f"pytest -k '{case_id}'")
        check_sentinels(case_id, buffer.read(0, buffer.size), spans)
    finally:
        buffer.free()


@pytest.mark.opencl
@pytest.mark.parametrize("offs, vec", [(0, "-DVEC4=1"), (1, "-DVEC4=0"), (4, "-DVEC4=1")])
def test_add_vectors_only_on_aligned_views(cl_backend, monkeypatch, offs, vec) -> None:  # noqa: F811
    """ADD of views ``offs`` elements into their tensors: right values on either path."""
    rng = np.random.default_rng(offs)
    big_a, big_b = ops.new_tensor(F32, (64, 3)), ops.new_tensor(F32, (64, 3))
    a = ops.view_2d(big_a, 16, 3, big_a.nb[1], 4 * offs)
    b = ops.view_2d(big_b, 16, 3, big_b.nb[1], 4 * offs)
    spy = Spy(monkeypatch)
    compute(cl_backend, ops.add(a, b), {big_a: values(rng, big_a), big_b: values(rng, big_b)},
            f"ADD view offs={offs}")
    assert any(vec in opts for opts in spy.used("binary_rows")), spy.kernels


@pytest.mark.opencl
@pytest.mark.parametrize("type", [F32, F16])
def test_binary_repeats_src1_by_zero_strides(cl_backend, monkeypatch, type) -> None:  # noqa: F811
    rng = np.random.default_rng(1)
    a, b = ops.new_tensor(type, (13, 5, 2, 3)), ops.new_tensor(type, (13, 1, 2, 1))
    spy = Spy(monkeypatch)
    compute(cl_backend, ops.mul(a, b), {a: values(rng, a), b: values(rng, b)},
            f"MUL broadcast {type}")
    assert spy.used("binary_rows") and not spy.used("binary")


@pytest.mark.opencl
@pytest.mark.parametrize("ne", [(5, 7, 1, 1), (37, 19, 3, 1), (16, 32, 2, 2)])
@pytest.mark.parametrize("dst_type", [F32, F16])
def test_copy_of_a_transpose_is_tiled(cl_backend, monkeypatch, ne, dst_type) -> None:  # noqa: F811
    rng = np.random.default_rng(2)
    src = ops.new_tensor(F32, (ne[1], ne[0], *ne[2:]))
    dst = ops.new_tensor(dst_type, ne)
    out = ops.cpy(ops.transpose(src), dst)
    spy = Spy(monkeypatch)
    feeds = {src: values(rng, src), dst: np.zeros(dst.shape)}
    compute(cl_backend, out, feeds, f"CPY transposed {ne} -> {dst_type}")
    assert spy.used("cpy_transpose"), spy.kernels


@pytest.mark.opencl
def test_get_rows_f16_odd_width(cl_backend, monkeypatch) -> None:  # noqa: F811
    rng = np.random.default_rng(3)
    table, ids = ops.new_tensor(F16, (13, 10)), ops.new_tensor(I32, (4,))
    spy = Spy(monkeypatch)
    compute(cl_backend, ops.get_rows(table, ids),
            {table: values(rng, table), ids: np.array([9, 0, 3, 3])}, "GET_ROWS f16")
    assert spy.used("get_rows_fast")


@pytest.mark.opencl
@pytest.mark.parametrize("mode", [RopeMode.NORMAL, RopeMode.NEOX])
def test_rope_heads_past_a_chunk(cl_backend, mode) -> None:  # noqa: F811
    """11 heads: one full chunk of rope_rows and a partial one; n_dims < ne0 copies the tail."""
    rng = np.random.default_rng(4)
    x, pos = ops.new_tensor(F32, (12, 11, 3)), ops.new_tensor(I32, (3,))
    compute(cl_backend, ops.rope(x, pos, 8, mode),
            {x: values(rng, x), pos: np.array([0, 5, 17])}, f"ROPE 11 heads {mode}")


@pytest.mark.opencl
def test_a_graph_computed_again_replays_its_launches(cl_backend, monkeypatch) -> None:  # noqa: F811
    rng = np.random.default_rng(5)
    a, b = ops.new_tensor(F32, (7, 5)), ops.new_tensor(F32, (7, 1))
    out = ops.scale(ops.add(a, b), 0.5)
    spy = Spy(monkeypatch)
    compute(cl_backend, out, {a: values(rng, a), b: values(rng, b)}, "replay", times=4)
    assert spy.launches == 4  # 2 nodes: the first compute, then the one that records


@pytest.mark.opencl
def test_replay_is_not_used_after_the_tensors_moved(cl_backend) -> None:  # noqa: F811
    rng = np.random.default_rng(6)
    a = ops.new_tensor(F32, (9, 4))
    out = ops.sqr(ops.cont(ops.transpose(a)))
    feeds = {a: values(rng, a)}
    compute(cl_backend, out, feeds, "replay before moving", times=3)
    for t in build_graph(out).tensors():  # the buffer is gone: place the graph anew
        t.buffer = t.data = None
    pad = ops.new_tensor(F32, (3,))
    compute(cl_backend, ops.add(ops.view_1d(out, 3, 0), pad), {**feeds, pad: np.ones(3)},
            "replay after moving")
