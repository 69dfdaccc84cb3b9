"""CPU kernel internals the op × type cases cannot reach: the fast dequantizers and the
chunked conversion of an f16/quantized MUL_MAT src0."""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import golden, ops, quants
from ggsched.backends.cpu.kernels import dequant, matmul
from ggsched.graph import build_graph
from ggsched.types import GGMLType
from test_cpu_backend import Case, check_close, compute_on_cpu

QUANTS = (GGMLType.Q8_0, GGMLType.Q4_0)


@pytest.mark.parametrize("type", QUANTS, ids=str)
def test_dequantize_is_bit_exact(type: GGMLType) -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (3, 4, 256)) * np.logspace(-4, 4, 256)
    x[0, 0, :32] = 0  # an all-zero block has d = 0
    raw = quants.quantize(type, x)
    expected = quants.dequantize(type, raw)
    assert np.array_equal(dequant.dequantize(type, raw), expected)
    # a strided selection of rows (each row's bytes still packed)
    assert np.array_equal(dequant.dequantize(type, raw[:, ::2]), expected[:, ::2])


@pytest.mark.parametrize("type", (GGMLType.F16, *QUANTS), ids=str)
def test_mul_mat_converts_src0_in_chunks(type: GGMLType, monkeypatch) -> None:
    """With 16-row chunks, a 45-row src0 is converted in 3 steps (16, 16, 13 rows)."""
    monkeypatch.setattr(matmul, "CHUNK_BYTES", 1)
    steps = []
    monkeypatch.setattr(matmul, "scratch_f32", lambda n: steps.append(n) or np.empty(n, "f4"))
    rng = np.random.default_rng(3)
    a, b = ops.new_tensor(type, (64, 45)), ops.new_tensor("f32", (64, 5, 2))
    feeds = {a: rng.uniform(-1, 1, a.shape), b: rng.uniform(-1, 1, b.shape)}
    c = Case(f"MUL_MAT({type},f32)[chunks]", ops.mul_mat(a, b), feeds)
    expected = golden.evaluate(build_graph(c.out), feeds)[c.out]
    _, buffer, _ = compute_on_cpu(c)
    actual = buffer.host_array()[c.out.data : c.out.data + c.out.nbytes].view(np.float32)
    check_close(c, actual.reshape(c.out.shape), expected)
    assert steps == [16 * 64, 16 * 64, 13 * 64]


def test_f16_to_f32_matches_numpys_cast_on_every_bit_pattern() -> None:
    """All 65536 halves: zeros, subnormals, normals, ±inf and NaN payloads, bit for bit."""
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    out = np.empty(h.shape, dtype=np.float32)
    dequant.f16_to_f32(h, out)
    expected = h.astype(np.float32)
    assert np.array_equal(out.view(np.uint32), expected.view(np.uint32))
    # strided input and output (every other half into a transposed view)
    out2 = np.empty((256, 128), dtype=np.float32).T
    dequant.f16_to_f32(h[::2].reshape(128, 256), out2)
    assert np.array_equal(out2.view(np.uint32), expected[::2].reshape(128, 256).view(np.uint32))


def test_dequantize_keeps_special_scales() -> None:
    """Blocks whose f16 scale is subnormal, inf or NaN dequantize as the reference does."""
    rng = np.random.default_rng(5)
    for type in QUANTS:
        raw = quants.quantize(type, rng.uniform(-1, 1, (4, 64))).reshape(4, -1)
        block = raw.view(dequant.Q8_0_BLOCK if type is GGMLType.Q8_0 else dequant.Q4_0_BLOCK)
        block["d"][:, 0] = np.array([1e-7, np.inf, -np.inf, np.nan], dtype=np.float16)
        with np.errstate(invalid="ignore"):  # inf · 0 is NaN, as in ggml
            expected = quants.dequantize(type, raw)
            got = dequant.dequantize(type, raw)
        assert np.array_equal(got.view(np.uint32), expected.astype(np.float32).view(np.uint32))
