"""The per-op perf cases, in three size sets: ``quick`` (seconds), ``default``, ``full``.

Each case is an object of the conformance case table (``ggsched.conformance.cases``), as
test-backend-ops uses one case list for correctness and perf: its id reads
``MUL_MAT(type_a=q4_0,type_b=f32,m=4096,n=1,k=4096)``, it builds a fresh one-op graph for each
target (a tensor records the buffer it was placed in), makes its own seeded leaf values and
counts its FLOPs.

``full`` is ggml's perf shapes for MUL_MAT at m=k=4096 (decode n = 1, 2, 3, 4, 5, 8 and prefill
n = 512); ``default`` keeps the decode shapes and halves the prefill matrix so a 2-core machine
gets through it; ``quick`` is 1024-wide. Every set has the square f32 1024³ product that
compares an OpenCL device with the host's BLAS.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ggsched import F32, GGMLType, Op, RopeMode, Tensor
from ggsched.conformance.cases.attention import Rope, SoftMax
from ggsched.conformance.cases.base import CaseGraph, OpCase
from ggsched.conformance.cases.copy import TRANSPOSE, Cont, Cpy
from ggsched.conformance.cases.elementwise import Binary
from ggsched.conformance.cases.index import GetRows
from ggsched.conformance.cases.matmul import MulMat
from ggsched.conformance.cases.norm import Norm
from ggsched.conformance.cases.unary import Scale

from .metrics import op_bytes

MATMUL_TYPES = ("f32", "f16", "q8_0", "q4_0")


@dataclass(frozen=True)
class PerfCase:
    """A conformance case object (the same one the suite checks for correctness), with the
    family and short label the report groups and plots it by."""

    case: OpCase
    group: str = ""  # the family: "MUL_MAT q4_0 decode", "ADD"
    label: str = ""  # a short name for plots: "MUL_MAT q4_0 4096x4096 n=1"

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def op(self) -> str:
        return self.case.op

    @property
    def params(self) -> dict:
        return {f.name: getattr(self.case, f.name) for f in dataclasses.fields(self.case)}

    def instantiate(self) -> CaseGraph:
        """A fresh graph (every target gets its own tensors) and its leaf fills."""
        return self.case.instantiate()

    def build(self) -> Tensor:
        return self.instantiate().outputs[0]

    def flops(self) -> int:
        return self.case.op_flops()

    def nbytes(self) -> int:
        return op_bytes(self.build())


@dataclass(frozen=True)
class Sizes:
    """Shapes of one size set."""

    m: int  # MUL_MAT rows of a (out features)
    k: int  # MUL_MAT shared dim
    decode_n: tuple[int, ...]
    prefill: tuple[int, int, int]  # (m, n, k) of the prefill product
    rows: tuple[int, int]  # ne of the element-wise and norm cases
    attn: tuple[int, int]  # (tokens, heads) for SOFT_MAX and ROPE
    head_dim: int
    table_rows: int  # GET_ROWS table height


SIZES: dict[str, Sizes] = {
    "quick": Sizes(1024, 1024, (1, 8), (1024, 128, 1024), (1024, 128), (128, 8), 64, 2048),
    "default": Sizes(4096, 4096, (1, 2, 4, 8), (2048, 512, 2048), (4096, 512), (512, 8), 128,
                     8192),
    "full": Sizes(4096, 4096, (1, 2, 3, 4, 5, 8), (4096, 512, 4096), (4096, 512), (512, 32), 128,
                  32000),
}


# -- builders ---------------------------------------------------------------------------------


def mul_mat_case(type_a: str, m: int, n: int, k: int, group: str) -> PerfCase:
    case = MulMat(GGMLType.parse(type_a), F32, m, n, k)
    return PerfCase(case, group, f"MUL_MAT {type_a} {m}x{k} n={n}")


def binary_case(op: Op, ne: tuple[int, int]) -> PerfCase:
    return PerfCase(Binary(str(op), F32, (*ne, 1, 1)), str(op), str(op))


def scale_case(ne: tuple[int, int]) -> PerfCase:
    return PerfCase(Scale(F32, (*ne, 1, 1), 0.5), "SCALE", "SCALE")


def norm_case(fn: str, ne: tuple[int, int], eps: float) -> PerfCase:
    return PerfCase(Norm(fn, F32, (*ne, 1, 1), eps), fn, fn)


def soft_max_case(n_tokens: int, n_head: int) -> PerfCase:
    case = SoftMax(F32, (n_tokens, n_tokens, n_head, 1), mask=F32, mask_bcast=True, scale=0.125)
    return PerfCase(case, "SOFT_MAX", "SOFT_MAX")


def rope_case(head_dim: int, n_head: int, n_tokens: int) -> PerfCase:
    case = Rope(F32, (head_dim, n_head, n_tokens, 1), head_dim, RopeMode.NEOX)
    return PerfCase(case, "ROPE", "ROPE")


def get_rows_case(type_a: str, n_embd: int, n_rows_table: int, n_rows: int) -> PerfCase:
    case = GetRows(GGMLType.parse(type_a), n_embd, n_rows_table, n_rows)
    return PerfCase(case, "GET_ROWS", f"GET_ROWS {type_a}")


def cpy_case(ne: tuple[int, int], type_dst: str) -> PerfCase:
    case = Cpy(F32, GGMLType.parse(type_dst), (*ne, 1, 1))
    return PerfCase(case, f"CPY f32->{type_dst}", f"CPY f32->{type_dst}")


def cont_transpose_case(ne: tuple[int, int]) -> PerfCase:
    case = Cont("CONT", F32, (*ne, 1, 1), per=TRANSPOSE)
    return PerfCase(case, "CONT(transpose)", "CONT(transpose)")


# -- the sets ---------------------------------------------------------------------------------


def mul_mat_cases(s: Sizes, types=MATMUL_TYPES) -> list[PerfCase]:
    out = []
    for t in types:
        out += [mul_mat_case(t, s.m, n, s.k, f"MUL_MAT {t} decode") for n in s.decode_n]
        pm, pn, pk = s.prefill
        out.append(mul_mat_case(t, pm, pn, pk, f"MUL_MAT {t} prefill"))
    out.append(mul_mat_case("f32", 1024, 1024, 1024, "MUL_MAT f32 square"))
    return out


def other_cases(s: Sizes) -> list[PerfCase]:
    n_tokens, n_head = s.attn
    n_embd, n_rows = s.rows
    return [
        binary_case(Op.ADD, s.rows),
        binary_case(Op.MUL, s.rows),
        scale_case(s.rows),
        soft_max_case(n_tokens, n_head),
        rope_case(s.head_dim, n_head, n_tokens),
        norm_case("RMS_NORM", s.rows, 1e-6),
        norm_case("NORM", s.rows, 1e-5),
        get_rows_case("f32", n_embd, s.table_rows, n_rows),
        cpy_case(s.rows, "f16"),
        cont_transpose_case(s.rows),
    ]


def perf_cases(size: str = "default") -> list[PerfCase]:
    """Every per-op case of a size set ("quick", "default" or "full")."""
    if size not in SIZES:
        raise KeyError(f"unknown size set {size!r}; known: {', '.join(SIZES)}")
    s = SIZES[size]
    return mul_mat_cases(s) + other_cases(s)


def select(cases: list[PerfCase], pattern: str | None) -> list[PerfCase]:
    """Cases whose id contains ``pattern`` (case-insensitive); all when pattern is None."""
    if not pattern:
        return cases
    p = pattern.lower()
    return [c for c in cases if p in c.id.lower()]


__all__ = ["SIZES", "PerfCase", "Sizes", "perf_cases", "select"]
