"""The conformance case table: ids, coverage, feeds and bounds."""

from __future__ import annotations

import numpy as np
import pytest
from ggsched.conformance import cases as cs
from ggsched.conformance.cases import bounds as bd
from ggsched.conformance.cases.attention import Rope
from ggsched.conformance.cases.elementwise import Binary
from ggsched.conformance.cases.index import SetRows
from ggsched.conformance.cases.matmul import MulMat
from ggsched.conformance.cases.unary import Math
from ggsched.op import GluOp, Op, RopeMode, UnaryOp
from ggsched.types import GGMLType

F32, F16, Q8_0, I64 = GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.I64


def test_ids_read_like_ggml():
    case = MulMat(Q8_0, F32, 16, 1, 256, (2, 3))
    assert case.id == "MUL_MAT(type_a=q8_0,type_b=f32,m=16,n=1,k=256,bs=[2,3])"
    assert Binary("ADD", F16, (5, 7, 11, 13)).id == "ADD(type=f16,ne=[5,7,11,13],nr=[1,1,1,1])"
    assert Rope(F32, (10, 5, 7, 1), 4, RopeMode.NEOX, v=True).id == (
        "ROPE(type=f32,ne=[10,5,7,1],n_dims=4,mode=neox,v=1)")


def test_table_is_large_unique_and_deterministic():
    table = cs.op_cases()
    assert len(table) > 1500
    assert len({c.id for c in table}) == len(table)
    assert [c.id for c in table[:50]] == [c.id for c in tuple(cs.op_cases())[:50]]


def test_every_op_of_the_engine_is_covered():
    ops_in_table = {c.op for c in cs.op_cases()}
    expected = {op.name for op in Op} - {"NONE", "UNARY", "GLU"}
    expected |= {u.name for u in UnaryOp} | {g.name for g in GluOp}
    assert expected - ops_in_table == set()


def test_quick_subset_keeps_every_op_and_type():
    quick = cs.quick_op_cases()
    assert len(quick) < len(cs.op_cases()) / 2
    assert {(c.op, c.types) for c in quick} == {(c.op, c.types) for c in cs.op_cases()}


def test_every_case_builds():
    for case in cs.op_cases():
        inst = case.instantiate()
        assert inst.outputs[0] in inst.graph


def test_feeds_depend_on_seed_and_case_only():
    case = MulMat(Q8_0, F32, 16, 3, 64)
    one = case.instantiate().feeds(7, case.id)
    two = case.instantiate().feeds(7, case.id)
    other = case.instantiate().feeds(8, case.id)
    for a, b, c in zip(one.values(), two.values(), other.values()):
        assert np.array_equal(a, b)
        assert not np.array_equal(a, c)


def test_feeds_respect_the_op_domain():
    for fn in ("SQRT", "LOG"):
        case = Math(fn, F32, (5, 7, 11, 13))
        (values,) = case.instantiate().feeds(0, case.id).values()
        assert values.min() > 0
    case = SetRows(F32, I64, 32, 16, 4, b=3, c=2, bi=3, ci=2)
    inst = case.instantiate()
    (leaf,) = [t for t in inst.graph.leafs if t.name == "rows"]
    rows = inst.feeds(0, case.id)[leaf]
    assert rows.min() >= 0 and rows.max() < 16
    assert all(len(set(r)) == len(r) for r in rows.reshape(-1, 4))


def test_loosened_bounds_say_why():
    for case in cs.op_cases():
        b = case.bound()
        if b.nmse > bd.DEFAULT_NMSE or b.max_abs:
            assert len(b.reason) > 20, case.id


@pytest.mark.parametrize("fn,exact", [(UnaryOp.ABS, True), (UnaryOp.TANH, False)])
def test_exact_only_where_no_arithmetic(fn, exact):
    from ggsched.conformance.cases.unary import Unary

    assert Unary(fn, F32, (4, 1, 1, 1)).bound().exact is exact


def test_matmul_costs():
    case = MulMat(F32, F32, 16, 9, 256, (2, 3), (2, 1))
    assert case.op_flops() == 2 * 16 * 9 * 256 * 2 * 2 * 3
    assert case.op_size() > 0
