"""Fast paths of the element-wise kernels: operand types as build options, rows in parallel.

The generic kernels (one work-item per element, a 4-D div/mod to find it, a type switch per
load) handle every layout. When a node's operands share dst's ne (src1 may repeat size-1 dims)
and have plain types, a ``*_rows`` kernel does instead: its grid is (groups of 4 elements of a
row, i1, i2 * i3), so it finds rows without division; a size-1 dim of a broadcast src1 gets
stride 0; dims laid out one after the other in every operand are merged first (a contiguous
tensor becomes one long row). Each work-item handles 4 elements, with vector loads when every
row start is aligned to 4 elements and every operand has contiguous rows (``-DVEC4=1``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import cl_buffer, int4, pow2_at_most, ulong4

F32, F16, I32 = GGMLType.F32, GGMLType.F16, GGMLType.I32

FLOAT_TOKENS = {F32: "F32", F16: "F16"}  # the TA/TB/TD build options of converting kernels
RAW_TOKENS = {F32: "RAW32", I32: "RAW32", F16: "RAW16"}  # same-type copies: the bits as they are
ROW_GROUP = 64  # most work-items of a row in one work-group
INT_MAX = 2**31 - 1  # kernels index rows and elements with int
ES_OF = {"F32": 4, "F16": 2, "RAW32": 4, "RAW16": 2}  # element size of each type token

Strides = tuple[int, int, int, int]
Operand = tuple[Tensor, Strides, "str | None"]  # tensor, byte strides over dst's ne, type token


def same_ne_or_one(src: Tensor, ne: Sequence[int]) -> bool:
    """src covers ne directly or repeats along its size-1 dims (ggml's common broadcast)."""
    return all(s == n or s == 1 for s, n in zip(src.ne, ne))


def strides_over(src: Tensor, ne: Sequence[int]) -> Strides:
    """src's byte strides when read at dst's indices: 0 along the dims it repeats."""
    return tuple(0 if s == 1 and n != 1 else b for s, n, b in zip(src.ne, ne, src.nb))


def merge_dims(ne: Sequence[int], strides: list[Strides]) -> tuple[tuple, list[Strides]]:
    """ne and every operand's strides with size-1 dims dropped and dims that follow each other
    in memory (in every operand) merged, padded back to 4 dims."""
    out_ne, out_nb = [ne[0]], [[nb[0]] for nb in strides]
    for d in range(1, 4):
        if ne[d] == 1:
            continue
        follows = all(nb[d] == out_ne[-1] * o[-1] for nb, o in zip(strides, out_nb))
        if follows and out_ne[-1] * ne[d] <= INT_MAX:
            out_ne[-1] *= ne[d]
            continue
        out_ne.append(ne[d])
        for nb, o in zip(strides, out_nb):
            o.append(nb[d])
    pad = 4 - len(out_ne)
    return tuple(out_ne + [1] * pad), [tuple(o + [0] * pad) for o in out_nb]


def vec4_ok(operands: list[tuple[Tensor, int, Strides]]) -> bool:
    """Every operand (tensor, element size, strides) has contiguous rows whose starts are
    aligned to 4 elements, so each work-item's 4 elements form one aligned vector."""
    for t, es, nb in operands:
        span = 4 * es
        if nb[0] != es or t.data % span or any(s % span for s in nb[1:]):
            return False
    return True


def operand_args(rt, t: Tensor, nb: Strides) -> list:
    """A STRIDED(p) operand of common.cl: buffer, byte offset, byte strides."""
    return [cl_buffer(t, rt), np.uint64(t.data), ulong4(nb)]


def launch_rows(rt, family: str, name: str, options: str, operands: list[Operand],
                ne: Sequence[int], lead: Sequence = (), merge: bool = True) -> None:
    """Run kernel ``name`` of ``family`` on the row grid of ``ne`` (dst's): ``lead`` arguments,
    then the operands in kernel order (each with its strides over ne and its type token, None
    for an index operand that vectors never read), then ne."""
    strides = [nb for _, nb, _ in operands]
    if merge:
        ne, strides = merge_dims(ne, strides)
    vec = vec4_ok([(t, ES_OF[tok], nb) for (t, _, tok), nb in zip(operands, strides) if tok])
    k = rt.programs.kernel(family, name, f"{options} -DVEC4={int(vec)}")
    args = [a for (t, _, _), nb in zip(operands, strides) for a in operand_args(rt, t, nb)]
    global_size, local_size = rows_grid(rt, k, ne)
    rt.launch(k, global_size, local_size, *lead, *args, int4(ne))


def rows_grid(rt, kernel, ne: Sequence[int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(groups of 4 of ne0, ne1, ne2 * ne3), work-groups along dim 0 only."""
    n0 = -(-ne[0] // 4)
    group = min(ROW_GROUP, pow2_at_most(rt.work_group_limit(kernel)), pow2_at_least(n0))
    return (-(-n0 // group) * group, ne[1], ne[2] * ne[3]), (group, 1, 1)


def pow2_at_least(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def type_options(**tokens: str) -> str:
    """-DTA=F32 -DTD=F16 ... from TA="F32", TD="F16"."""
    return " ".join(f"-D{k}={v}" for k, v in tokens.items())
