"""Q8_0 and Q4_0 byte for byte: block layouts, hand-built vectors, rounding, round trips."""

import numpy as np
import pytest
from ggsched import GGMLType, QuantizationError
from ggsched import quants as Q
from ggsched import types as T

F16_ONE = [0x00, 0x3C]  # 1.0 as little-endian IEEE half
F16_MINUS_ONE = [0x00, 0xBC]


def test_traits_give_ggml_block_layouts():
    assert (T.blck_size(GGMLType.Q8_0), T.type_size(GGMLType.Q8_0)) == (32, 34)
    assert (T.blck_size(GGMLType.Q4_0), T.type_size(GGMLType.Q4_0)) == (32, 18)
    assert T.row_size(GGMLType.Q8_0, 96) == 3 * 34
    assert T.row_size(GGMLType.Q4_0, 64) == 2 * 18
    assert T.row_size(GGMLType.F16, 7) == 14
    assert [int(t) for t in (GGMLType.F32, GGMLType.F16, GGMLType.Q4_0, GGMLType.Q8_0)] == [
        0, 1, 2, 8,
    ]
    assert GGMLType.parse("q8_0") is GGMLType.Q8_0 and GGMLType.parse(26) is GGMLType.I32


def test_row_size_rejects_partial_blocks():
    with pytest.raises(QuantizationError, match="33 elements.*q8_0"):
        T.row_size(GGMLType.Q8_0, 33)


def test_q8_0_hand_built_block_rounds_halves_away_from_zero():
    # amax = 127 makes d = 1 exactly (f16 0x3C00) and q = roundf(x)
    head = [127.0, -127.0, 0.5, -0.5, 1.5, -1.5, 2.5, 2.4999998, 0.49999997, -2.5]
    x = np.zeros(32, np.float32)
    x[: len(head)] = head
    raw = Q.quantize_q8_0(x)
    assert raw.shape == (34,) and raw.dtype == np.uint8
    assert list(raw[:2]) == F16_ONE
    q = raw[2:].view(np.int8)
    # numpy's rint would give 0, -0, 2, -2, 2 for the halves; C's roundf goes away from zero
    assert list(q[: len(head)]) == [127, -127, 1, -1, 2, -2, 3, 2, 0, -3]
    assert not q[len(head) :].any()


def test_q8_0_scale_is_amax_over_127_stored_as_f16():
    x = np.linspace(-3.0, 2.0, 32, dtype=np.float32)
    raw = Q.quantize_q8_0(x)
    d = raw[:2].view(np.float16)[0]
    assert d == np.float16(np.float32(3.0) / np.float32(127))
    assert raw[2:].view(np.int8)[0] == -127  # the amax element is always +-127


def test_q4_0_hand_built_block_nibbles():
    # the largest magnitude is -8, so d = -8 / -8 = 1 and q = min(15, trunc(x + 8.5))
    x = np.zeros(32, np.float32)
    x[0], x[1], x[2], x[3], x[4] = -8.0, 7.0, 7.6, 0.5, -0.5
    x[16], x[17], x[18] = 3.0, -3.2, 6.4
    raw = Q.quantize_q4_0(x)
    assert raw.shape == (18,)
    assert list(raw[:2]) == F16_ONE
    lo, hi = raw[2:] & 0x0F, raw[2:] >> 4
    # element j sits in the low nibble of byte j, element j + 16 in its high nibble
    assert list(lo[:5]) == [0, 15, 15, 9, 8]  # 7.6 + 8.5 = 16.1 clamps to 15
    assert list(hi[:3]) == [11, 5, 14]  # trunc(11.5), trunc(5.3), trunc(14.9)
    assert all(lo[5:] == 8) and all(hi[3:] == 8)


def test_q4_0_positive_extreme_gives_negative_scale():
    x = np.zeros(32, np.float32)
    x[5], x[9] = 8.0, -8.0  # equal magnitudes: the first one sets the sign of d
    raw = Q.quantize_q4_0(x)
    assert list(raw[:2]) == F16_MINUS_ONE
    back = Q.dequantize_q4_0(raw)
    assert back[5] == 8.0 and back[9] == -7.0  # -8 * -1 + 8.5 = 16.5 clamps to 15: (15-8)*-1


@pytest.mark.parametrize("qtype", [GGMLType.Q8_0, GGMLType.Q4_0], ids=str)
def test_zero_block_has_zero_scale_and_decodes_to_zero(qtype):
    raw = Q.quantize(qtype, np.zeros((2, 64), np.float32))
    assert raw.shape == (2, 2 * T.type_size(qtype))
    blocks = raw.reshape(-1, T.type_size(qtype))
    # Q4_0's d = max / -8 = -0.0 when max is 0: ggml stores the f16 of -0.0, 0x8000
    d_bytes = [0x00, 0x00] if qtype is GGMLType.Q8_0 else [0x00, 0x80]
    assert (blocks[:, :2] == d_bytes).all()
    nibble_zero = 0 if qtype is GGMLType.Q8_0 else 0x88  # Q4_0 stores q = 8 for zero
    assert (blocks[:, 2:] == nibble_zero).all()
    assert not Q.dequantize(qtype, raw).any()


@pytest.mark.parametrize(
    "qtype, steps",
    # Q8_0: error <= d/2 from rounding, plus |q| <= 127 times the f16 error of d (< 2^-11 d);
    # Q4_0: the value opposite the extreme clamps at q = 15, a full step d off, plus f16 error.
    [(GGMLType.Q8_0, 0.5 + 127 * 2.0**-11), (GGMLType.Q4_0, 1.0 + 8 * 2.0**-11)],
    ids=["q8_0", "q4_0"],
)
def test_round_trip_error_is_within_one_quantization_step(qtype, steps):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((5, 96)) * rng.uniform(0.01, 100, (5, 1))).astype(np.float32)
    back = Q.dequantize(qtype, Q.quantize(qtype, x))
    assert back.shape == x.shape and back.dtype == np.float32
    blocks = np.abs(x).reshape(5, 3, 32).max(axis=-1)
    d = blocks / (127 if qtype is GGMLType.Q8_0 else 8)
    err = np.abs(back - x).reshape(5, 3, 32).max(axis=-1)
    assert (err <= steps * d * (1 + 1e-6)).all(), (err / d).max()


@pytest.mark.parametrize("qtype", [GGMLType.Q8_0, GGMLType.Q4_0], ids=str)
def test_requantizing_dequantized_blocks_gives_the_same_bytes(qtype):
    rng = np.random.default_rng(3)
    raw = Q.quantize(qtype, rng.standard_normal((4, 64)).astype(np.float32))
    assert np.array_equal(Q.quantize(qtype, Q.dequantize(qtype, raw)), raw)


def test_quantize_rejects_rows_that_are_not_whole_blocks():
    with pytest.raises(QuantizationError, match="40 values to q8_0"):
        Q.quantize(GGMLType.Q8_0, np.zeros(40))
    with pytest.raises(QuantizationError, match="q4_0 row.*18-byte"):
        Q.dequantize(GGMLType.Q4_0, np.zeros(20, np.uint8))
    with pytest.raises(QuantizationError, match="f32 is not a quantized type"):
        Q.quantize(GGMLType.F32, np.zeros(32))
