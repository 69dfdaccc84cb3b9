"""One small representative case per op × type combination of the reference set.

Like test-backend-ops' support mode, a backend is asked ``supports_op`` on the case's output
node only. The same cases can seed other suites: each builds fresh tensors on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ggsched import ops
from ggsched.op import GluOp, Op, RopeMode, SortOrder, UnaryOp
from ggsched.tensor import Tensor, new_tensor
from ggsched.types import FLOAT_TYPES, QUANT_TYPES, GGMLType

F32, F16, I32, I64 = GGMLType.F32, GGMLType.F16, GGMLType.I32, GGMLType.I64
MATRIX_TYPES = (*FLOAT_TYPES, *QUANT_TYPES)  # what MUL_MAT, GET_ROWS, CPY... accept
NE = (32, 4, 2, 1)  # ne[0] is one quantization block


@dataclass(frozen=True)
class SupportCase:
    """``op`` is ggml's op description ("ADD", "SILU"); ``params`` name the types and modes."""

    op: str
    params: tuple[tuple[str, str], ...]
    build: Callable[[], Tensor]

    @property
    def id(self) -> str:
        return f"{self.op}({','.join(f'{k}={v}' for k, v in self.params)})"

    def __repr__(self) -> str:
        return f"<SupportCase {self.id}>"


def _t(type: GGMLType, ne=NE, name: str = "a") -> Tensor:
    return new_tensor(type, ne, name)


def _case(op: str, fn: Callable[[], Tensor], **params) -> SupportCase:
    return SupportCase(op, tuple((k, str(v)) for k, v in params.items()), fn)


def _elementwise() -> Iterator[SupportCase]:
    for t in FLOAT_TYPES:
        for op, fn in ((Op.ADD, ops.add), (Op.SUB, ops.sub), (Op.MUL, ops.mul), (Op.DIV, ops.div)):
            yield _case(str(op), lambda fn=fn, t=t: fn(_t(t), _t(t, (32, 1, 1, 1), "b")), type=t)
        yield _case("ADD1", lambda t=t: ops.add1(_t(t), _t(t, (1,), "b")), type=t)
        for op, fn in ((Op.SQR, ops.sqr), (Op.SQRT, ops.sqrt), (Op.LOG, ops.log),
                       (Op.SIN, ops.sin), (Op.COS, ops.cos)):
            yield _case(str(op), lambda fn=fn, t=t: fn(_t(t)), type=t)
        for u in UnaryOp:
            yield _case(str(u), lambda u=u, t=t: ops.unary(_t(t), u), type=t)
        for g in GluOp:
            yield _case(str(g), lambda g=g, t=t: ops.glu(_t(t), None, g), type=t)
    yield _case("ACC", lambda: ops.acc(_t(F32), _t(F32, (8, 2), "b"), 128, 512, 1024, 0), type=F32)
    yield _case("SCALE", lambda: ops.scale(_t(F32), 0.5), type=F32)
    yield _case("CLAMP", lambda: ops.clamp(_t(F32), -1.0, 1.0), type=F32)
    yield _case("LEAKY_RELU", lambda: ops.leaky_relu(_t(F32), 0.1), type=F32)


def _reductions_and_shapes() -> Iterator[SupportCase]:
    for t in FLOAT_TYPES:
        yield _case("SUM", lambda t=t: ops.sum(_t(t)), type=t)
        yield _case("SUM_ROWS", lambda t=t: ops.sum_rows(_t(t)), type=t)
        yield _case("REPEAT", lambda t=t: ops.repeat(_t(t, (32, 1)), _t(t, (32, 4), "b")), type=t)
        yield _case("DUP", lambda t=t: ops.dup(_t(t)), type=t)
        yield _case("CONT", lambda t=t: ops.cont(ops.transpose(_t(t))), type=t)
    for t in (F32, F16, I32):
        yield _case("CONCAT", lambda t=t: ops.concat(_t(t), _t(t, name="b"), 1), type=t)
    yield _case("MEAN", lambda: ops.mean(_t(F32)), type=F32)
    yield _case("ARGMAX", lambda: ops.argmax(_t(F32, (32, 4))), type=F32)
    yield _case("COUNT_EQUAL", lambda: ops.count_equal(_t(I32), _t(I32, name="b")), type=I32)
    for order in SortOrder:
        yield _case("ARGSORT", lambda o=order: ops.argsort(_t(F32), o), order=order.name)
    yield _case("PAD", lambda: ops.pad(_t(F32), 1, 2, 0, 0), type=F32)
    yield _case("VIEW", lambda: ops.view_2d(_t(F32), 16, 4, 128, 64), type=F32)
    yield _case("RESHAPE", lambda: ops.reshape_2d(_t(F32), 64, 4), type=F32)
    yield _case("PERMUTE", lambda: ops.permute(_t(F32), 1, 0, 2, 3), type=F32)
    yield _case("TRANSPOSE", lambda: ops.transpose(_t(F32)), type=F32)


def _norms_and_attention() -> Iterator[SupportCase]:
    yield _case("NORM", lambda: ops.norm(_t(F32)), type=F32)
    yield _case("RMS_NORM", lambda: ops.rms_norm(_t(F32)), type=F32)
    yield _case("L2_NORM", lambda: ops.l2_norm(_t(F32)), type=F32)
    yield _case("GROUP_NORM", lambda: ops.group_norm(_t(F32, (8, 4, 4)), 2), type=F32)
    yield _case("DIAG_MASK_INF", lambda: ops.diag_mask_inf(_t(F32, (8, 8, 2)), 0), type=F32)
    yield _case("SOFT_MAX", lambda: ops.soft_max(_t(F32)), type=F32, mask="none")
    for m in FLOAT_TYPES:
        yield _case("SOFT_MAX", lambda m=m: ops.soft_max_ext(_t(F32), _t(m, (32, 4), "mask"), 0.5),
                    type=F32, mask=m)
    for t in FLOAT_TYPES:
        for mode in RopeMode:
            yield _case("ROPE", lambda t=t, mode=mode: ops.rope(
                _t(t, (32, 4, 2)), _t(I32, (2,), "pos"), 32, mode), type=t, mode=mode.name)


def _matrix_types() -> Iterator[SupportCase]:
    for ta in MATRIX_TYPES:
        for tb in ((F32, F16) if ta in FLOAT_TYPES else (F32,)):
            yield _case("MUL_MAT", lambda ta=ta, tb=tb: ops.mul_mat(
                _t(ta, (32, 8)), _t(tb, (32, 4), "b")), type_a=ta, type_b=tb)
        yield _case("OUT_PROD", lambda ta=ta: ops.out_prod(
            _t(ta, (32, 8)), _t(F32, (16, 8), "b")), type_a=ta, type_b=F32)
    for ta in (*MATRIX_TYPES, I32):
        yield _case("GET_ROWS", lambda ta=ta: ops.get_rows(_t(ta, (32, 8)), _t(I32, (3,), "rows")),
                    type=ta)
    for ta in MATRIX_TYPES:
        for tc in (I64, I32):
            yield _case("SET_ROWS", lambda ta=ta, tc=tc: ops.set_rows(
                _t(ta, (32, 8)), _t(F32, (32, 3), "b"), _t(tc, (3,), "rows")), type=ta, type_idx=tc)
    for src in MATRIX_TYPES:
        for dst in MATRIX_TYPES:
            yield _case("CPY", lambda s=src, d=dst: ops.cpy(_t(s), _t(d, name="dst")),
                        type_src=src, type_dst=dst)
    yield _case("CPY", lambda: ops.cpy(_t(I32), _t(I32, name="dst")), type_src=I32, type_dst=I32)


def representative_cases() -> list[SupportCase]:
    """Every op × type combination of the reference set, each as one small case."""
    return [
        *_elementwise(),
        *_reductions_and_shapes(),
        *_norms_and_attention(),
        *_matrix_types(),
    ]


__all__ = ["SupportCase", "representative_cases"]
