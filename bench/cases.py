"""The per-op perf cases, in three size sets: ``quick`` (seconds), ``default``, ``full``.

A case is an id that reads like test-backend-ops' (``MUL_MAT(type_a=q4_0,type_b=f32,m=4096,
n=1,k=4096)``) and a factory that builds the one-op graph's output afresh: every target gets
its own tensors, because a tensor records the buffer it was placed in.

``full`` is ggml's perf shapes for MUL_MAT at m=k=4096 (decode n = 1, 2, 3, 4, 5, 8 and prefill
n = 512); ``default`` keeps the decode shapes and halves the prefill matrix so a 2-core machine
gets through it; ``quick`` is 1024-wide. Every set has the square f32 1024³ product that
compares an OpenCL device with the host's BLAS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ggsched import Op, RopeMode, Tensor, ops

from .metrics import op_bytes, op_flops

MATMUL_TYPES = ("f32", "f16", "q8_0", "q4_0")


@dataclass(frozen=True)
class PerfCase:
    """One op at one shape. ``build()`` returns a fresh output node (its graph: build_graph)."""

    op: str
    params: dict = field(hash=False)
    build: Callable[[], Tensor] = field(hash=False, compare=False, repr=False)
    group: str = ""  # the family: "MUL_MAT q4_0 decode", "ADD"
    label: str = ""  # a short name for plots: "q4_0 4096x4096 n=1"

    @property
    def id(self) -> str:
        inner = ",".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{self.op}({inner})"

    def flops(self) -> int:
        return op_flops(self.build())

    def nbytes(self) -> int:
        return op_bytes(self.build())


def _fmt(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(str(x) for x in v) + "]"
    return str(v)


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
    def build() -> Tensor:
        a = ops.new_tensor_2d(type_a, k, m, name="a")
        b = ops.new_tensor_2d("f32", k, n, name="b")
        return ops.mul_mat(a, b)

    params = {"type_a": type_a, "type_b": "f32", "m": m, "n": n, "k": k}
    return PerfCase("MUL_MAT", params, build, group, f"MUL_MAT {type_a} {m}x{k} n={n}")


def binary_case(op: Op, ne: tuple[int, int]) -> PerfCase:
    fn = {Op.ADD: ops.add, Op.MUL: ops.mul}[op]

    def build() -> Tensor:
        return fn(ops.new_tensor("f32", ne, "a"), ops.new_tensor("f32", ne, "b"))

    params = {"type": "f32", "ne": [*ne, 1, 1], "nr": [1, 1, 1, 1]}
    return PerfCase(str(op), params, build, str(op), str(op))


def unary_case(op: str, ne: tuple[int, ...], fn: Callable[[Tensor], Tensor], **extra) -> PerfCase:
    def build() -> Tensor:
        return fn(ops.new_tensor("f32", ne, "a"))

    params = {"type": "f32", "ne": [*ne] + [1] * (4 - len(ne)), **extra}
    return PerfCase(op, params, build, op, op)


def soft_max_case(n_tokens: int, n_head: int) -> PerfCase:
    scale = 0.125

    def build() -> Tensor:
        a = ops.new_tensor("f32", (n_tokens, n_tokens, n_head), "kq")
        mask = ops.new_tensor("f32", (n_tokens, n_tokens), "mask")
        return ops.soft_max_ext(a, mask, scale)

    params = {"type": "f32", "ne": [n_tokens, n_tokens, n_head, 1], "mask": 1, "scale": scale}
    return PerfCase("SOFT_MAX", params, build, "SOFT_MAX", "SOFT_MAX")


def rope_case(head_dim: int, n_head: int, n_tokens: int) -> PerfCase:
    def build() -> Tensor:
        a = ops.new_tensor("f32", (head_dim, n_head, n_tokens), "q")
        pos = ops.new_tensor("i32", (n_tokens,), "pos")
        return ops.rope(a, pos, head_dim, RopeMode.NEOX)

    params = {"type": "f32", "ne": [head_dim, n_head, n_tokens, 1], "n_dims": head_dim,
              "mode": int(RopeMode.NEOX)}
    return PerfCase("ROPE", params, build, "ROPE", "ROPE")


def get_rows_case(type_a: str, n_embd: int, n_rows_table: int, n_rows: int) -> PerfCase:
    def build() -> Tensor:
        table = ops.new_tensor_2d(type_a, n_embd, n_rows_table, "table")
        idx = ops.new_tensor_1d("i32", n_rows, "idx")
        return ops.get_rows(table, idx)

    params = {"type": type_a, "n": n_embd, "m": n_rows_table, "r": n_rows}
    return PerfCase("GET_ROWS", params, build, "GET_ROWS", f"GET_ROWS {type_a}")


def cpy_case(ne: tuple[int, int], type_dst: str) -> PerfCase:
    def build() -> Tensor:
        return ops.cpy(ops.new_tensor("f32", ne, "src"), ops.new_tensor(type_dst, ne, "dst"))

    params = {"type_src": "f32", "type_dst": type_dst, "ne": [*ne, 1, 1]}
    return PerfCase("CPY", params, build, f"CPY f32->{type_dst}", f"CPY f32->{type_dst}")


def cont_transpose_case(ne: tuple[int, int]) -> PerfCase:
    def build() -> Tensor:
        return ops.cont(ops.transpose(ops.new_tensor("f32", ne, "a")))

    params = {"type": "f32", "ne": [*ne, 1, 1], "src": "transposed"}
    return PerfCase("CONT", params, build, "CONT(transpose)", "CONT(transpose)")


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
        unary_case("SCALE", s.rows, lambda a: ops.scale(a, 0.5), scale=0.5),
        soft_max_case(n_tokens, n_head),
        rope_case(s.head_dim, n_head, n_tokens),
        unary_case("RMS_NORM", s.rows, lambda a: ops.rms_norm(a, 1e-6), eps=1e-6),
        unary_case("NORM", s.rows, lambda a: ops.norm(a, 1e-5), eps=1e-5),
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
