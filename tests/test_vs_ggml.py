"""The golden checked against real ggml (libggml-python's CPU backend), op by op.

Each case of ``crosscheck_cases`` builds one op in ggsched and, through the binding, in ggml
(whose builders must agree on type/ne/nb/op_params), feeds both the same values and compares:
bytes for exact ops, NMSE ≤ 1e-7 otherwise; where ggml's CPU is knowingly approximate (MUL_MAT
converts src1 to f16/Q8_0, GELU reads an f16 table) the golden of an emulation graph must agree
to 1e-7 and the unrounded golden must stay within the element-wise bound of that rounding.
Rerun one case: ``pytest tests/test_vs_ggml.py -k 'MUL_MAT and q8_0'``; the table of every
case: ``python ci/ggml_nmse_report.py``.
"""

from __future__ import annotations

import ggsched.backends.ggml as gg
import numpy as np
import pytest
from ggsched import quants
from ggsched.op import GluOp, Op, UnaryOp
from ggsched.types import GGMLType

REASON = gg.unavailable_reason()
pytestmark = [
    pytest.mark.ggml,
    pytest.mark.skipif(REASON is not None, reason=f"real ggml unavailable: {REASON}"),
]

if REASON is None:
    from ggsched.backends.ggml import crosscheck as cc
    from ggsched.backends.ggml import crosscheck_cases as cases

    CASES = cases.all_cases()
else:  # nothing to collect: every test skips with the reason
    CASES = []


def _param(case):
    marks = [pytest.mark.xfail(reason=case.ggml_bug, strict=True)] if case.ggml_bug else []
    return pytest.param(case, id=case.name, marks=marks)


def _rerun(case) -> str:
    return f"rerun: pytest tests/test_vs_ggml.py -k '{case.name}'"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_golden_matches_ggml(case):
    r = cc.run_case(case)
    if case.exact:
        assert r.exact_ok, f"{r.describe()}; ggml is exact here. {_rerun(case)}"
    elif case.bound is None:
        assert r.nmse <= case.max_nmse, f"{r.describe()} > {case.max_nmse}. {_rerun(case)}"
    else:
        why = f"({case.note}) {r.describe()}. {_rerun(case)}"
        if case.emulate is not None:
            assert r.emulated_nmse <= cc.MAX_NMSE, f"emulating ggml's rounding: {why}"
        assert r.bound_ok, f"raw difference beyond the rounding's bound: {why}"


def test_every_op_and_sub_op_is_compared():
    covered = cases.ops_covered()
    wanted = {o.value for o in Op if o not in (Op.NONE, Op.UNARY, Op.GLU)}
    wanted |= {u.value for u in UnaryOp} | {g.value for g in GluOp}
    assert wanted <= covered, f"no case for {sorted(wanted - covered)}"


def test_emulation_assumes_ggmls_vec_dot_types():
    # MUL_MAT's emulation converts src1 to these types; if ggml changes them, it must too
    vdt = {t: gg.vec_dot_type(t) for t in (GGMLType.F32, GGMLType.F16, GGMLType.Q8_0)}
    assert vdt == {GGMLType.F32: GGMLType.F32, GGMLType.F16: GGMLType.F16,
                   GGMLType.Q8_0: GGMLType.Q8_0}  # fmt: skip
    assert gg.vec_dot_type(GGMLType.Q4_0) == GGMLType.Q8_0


def test_nmse_is_test_backend_ops_formula():
    a, b = np.array([1.0, 2.0, -np.inf]), np.array([1.0, 2.5, -np.inf])
    assert cc.nmse(a, b) == pytest.approx(0.25 / 5.0)
    assert cc.nmse(a, np.array([1.0, 2.0, 0.0])) == np.inf  # an inf that ggml does not have


# -- quantization bytes: ggml_quantize_chunk (real ggml) vs ggsched.quants --------------------


def _rows_with_edge_cases(rng: np.random.Generator) -> np.ndarray:
    rows = [
        rng.uniform(-1, 1, 64),
        rng.normal(0, 100, 64),
        np.zeros(64),  # d = 0: every quant is 0 (q8_0) or 8 (q4_0)
        np.full(64, -3.0),  # all negative: q4_0's scale comes from the signed maximum
        np.tile([1.0, -1.0], 32),  # +max and -max tie: the first one sets q4_0's sign
        np.concatenate([[127.0], np.arange(63) - 31.5]),  # q8_0 d = 1: x·id ends in .5
        np.array([1e-30, -1e-30] * 32),  # subnormal f16 scale
        rng.uniform(-1, 1, 64) * np.repeat([1e-3, 1e3], 32),
    ]
    return np.stack(rows).astype(np.float32)


@pytest.mark.parametrize("qtype", [GGMLType.Q8_0, GGMLType.Q4_0], ids=str)
def test_quantize_bytes_equal_ggml(qtype):
    x = _rows_with_edge_cases(np.random.default_rng(7))
    ours = quants.quantize(qtype, x).tobytes()
    theirs = gg.ggml_quantize(qtype, x)
    if ours != theirs:
        bad = next(i for i, (p, q) in enumerate(zip(ours, theirs)) if p != q)
        row = bad // (len(ours) // x.shape[0])
        pytest.fail(f"{qtype} bytes differ from ggml_quantize_chunk at byte {bad} (row {row})")


@pytest.mark.parametrize("qtype", [GGMLType.Q8_0, GGMLType.Q4_0], ids=str)
def test_dequantize_equals_ggml_to_float(qtype):
    x = _rows_with_edge_cases(np.random.default_rng(8))
    raw = gg.ggml_quantize(qtype, x)
    ours = quants.dequantize(qtype, np.frombuffer(raw, np.uint8).reshape(x.shape[0], -1))
    theirs = gg.ggml_to_float(qtype, raw, x.size).reshape(x.shape)
    np.testing.assert_array_equal(ours, theirs)


def test_a_wrong_golden_is_caught(monkeypatch):
    from ggsched import golden

    add = next(c for c in CASES if c.op == "ADD")
    assert cc.run_case(add).ok
    monkeypatch.setitem(golden.GOLDEN, Op.ADD, golden.GOLDEN[Op.SUB])
    r = cc.run_case(add)
    assert not r.ok and r.nmse > 1e-3
