"""The CPU backend equals the golden on every op × type the op builders accept.

Each case builds one op node with ``ggsched.ops`` for one combination of operand types (a
combination the builders refuse is no case), places every tensor in ONE real CPU buffer with
sentinel gaps between tensors, computes the graph on the CPU backend and compares the node's
bytes, read back through its layout, with ``ggsched.golden.evaluate``.

Variants per op: plain (odd sizes 5/7/11/13), broadcast, non-contiguous sources (transposed,
permuted, rows with gaps), ``inplace=True`` (the node is a view of its input) and "alias"
(the node placed at its src0's address, as the graph allocator does when it reuses memory in
place). Error bound: NMSE ≤ 1e-7 (test-backend-ops' default); integer results exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import op_check
import pytest
from ggsched import golden, layout, ops
from ggsched.alloc import GAllocr
from ggsched.backend import tensor_alloc, view_init
from ggsched.backends.cpu import cpu_backend, supports_op
from ggsched.errors import GGSchedError, UnsupportedOpError
from ggsched.graph import build_graph
from ggsched.op import INPLACE_OPS, GluOp, Op, RopeMode, SortOrder, UnaryOp
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from op_check import NMSE_MAX, Leafs, feed, place

F32, F16, Q8_0, Q4_0, I32, I64 = (
    GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.I32, GGMLType.I64
)
TYPES = tuple(GGMLType)  # every type: a combination the builders refuse is simply no case
FLOATS = (F32, F16)
QUANTS = (Q8_0, Q4_0)

# -- cases ----------------------------------------------------------------------------------------


@dataclass
class Case:
    """One node to compute: its id reads like test-backend-ops', e.g. ADD(f16,f32)[bcast]."""

    id: str
    out: Tensor
    feeds: dict[Tensor, np.ndarray]
    alias: int | None = None  # place out at src[alias]'s address (the allocator's in-place reuse)
    build: Callable | None = None
    seed: int = 0

    def fresh(self) -> Case:
        """The same case built anew: tensors remember their buffer, so each run needs its own."""
        leafs = Leafs(self.seed)
        out = self.build(leafs) if self.build else self.out
        return Case(self.id, out, leafs.feeds if self.build else self.feeds, self.alias)


def ne0_for(*types: GGMLType) -> int:
    """An odd row length, or a whole number of blocks when a quantized type takes part."""
    return 64 if any(t.traits.is_quantized for t in types) else 13


def tname(*types: GGMLType) -> str:
    return ",".join(str(t) for t in types)


Build = Callable[[Leafs], Tensor]
CASES: list[Case] = []


def case(name: str, build: Build, alias: int | None = None) -> None:
    """Register a case if the op builders accept it (a GGSchedError means: not a combination)."""
    leafs = Leafs(len(CASES))
    try:
        out = build(leafs)
    except GGSchedError:
        return
    CASES.append(Case(name, out, leafs.feeds, alias, build, leafs.seed))


def gaps(leafs: Leafs, type: GGMLType, ne) -> Tensor:
    """A view with gaps between rows (contiguous within rows and above dim 1)."""
    ne = (*ne, 1, 1, 1)[:4]
    big = leafs(type, (2 * ne[0], *ne[1:]))
    offset = type.traits.type_size * ne[0] // type.traits.blck_size
    return ops.view_4d(big, *ne, big.nb[1], big.nb[2], big.nb[3], offset)


def transposed(leafs: Leafs, type: GGMLType, ne, lo=-1.0, hi=1.0) -> Tensor:
    """A transposed view (nb[0] > nb[1]) with the given ne."""
    return ops.transpose(leafs(type, (ne[1], ne[0], *ne[2:]), lo, hi))


def ties(leafs: Leafs, type: GGMLType, ne) -> Tensor:
    """Values from {-1, 0, 1}: every row has equal maxima (ggml keeps the last index)."""
    t = leafs(type, ne)
    leafs.feeds[t] = np.round(leafs.feeds[t])
    return t


# -- element-wise ---------------------------------------------------------------------------------

NE = (13, 7, 3, 2)

for fn, lo in ((ops.add, -1.0), (ops.sub, -1.0), (ops.mul, -1.0), (ops.div, 0.5)):
    op = fn.__name__.upper()
    for ta, tb in itertools.product(TYPES, TYPES):
        n = f"{op}({tname(ta, tb)})"
        case(n, lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(L(ta, NE), L(tb, NE, lo, 2.0)))
        case(n + "[bcast]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, NE), L(tb, (13, 1, 3, 1), lo, 2.0)))
        case(n + "[tile]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, (13, 14, 6, 2)), L(tb, (13, 7, 3, 1), lo, 2.0)))
        case(n + "[noncontig]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            transposed(L, ta, NE), transposed(L, tb, NE, lo, 2.0)))
        case(n + "[inplace]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, NE), L(tb, (13, 7, 1, 2), lo, 2.0), inplace=True))
        case(n + "[alias]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, NE), L(tb, (13, 1, 3, 1), lo, 2.0)), alias=0)
        if ta == tb:  # the allocator reuses src1 in place only when it has the same layout
            case(n + "[alias_b]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
                L(ta, NE), L(tb, NE, lo, 2.0)), alias=1)

for ta, tb in itertools.product(TYPES, TYPES):
    case(f"ADD1({tname(ta, tb)})", lambda L, ta=ta, tb=tb: ops.add1(L(ta, NE), L(tb, (1,))))
    case(f"ADD1({tname(ta, tb)})[alias]",
         lambda L, ta=ta, tb=tb: ops.add1(L(ta, NE), L(tb, (1,))), alias=0)

for t in TYPES:
    for inplace in (False, True):
        n = f"ACC({t})" + ("[inplace]" if inplace else "")
        case(n, lambda L, t=t, inplace=inplace: ops.acc(
            a := L(t, (13, 7, 3, 1)), L(t, (5, 3, 2)), a.nb[1], a.nb[2], a.nb[3], 4 * 15,
            inplace=inplace))

SIMPLE_UNARY = {  # op builder -> the input range it is defined on
    ops.sqr: (-2.0, 2.0), ops.sqrt: (0.1, 3.0), ops.log: (0.1, 3.0),
    ops.sin: (-3.0, 3.0), ops.cos: (-3.0, 3.0),
}
for fn, (lo, hi) in SIMPLE_UNARY.items():
    op = fn.__name__.upper()
    for t in TYPES:
        case(f"{op}({t})", lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(L(t, NE, lo, hi)))
        case(f"{op}({t})[noncontig]",
             lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(transposed(L, t, NE, lo, hi)))
        case(f"{op}({t})[inplace]",
             lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(L(t, NE, lo, hi), inplace=True))
        case(f"{op}({t})[alias]",
             lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(L(t, NE, lo, hi)), alias=0)

for t in TYPES:
    case(f"SCALE({t})", lambda L, t=t: ops.scale(L(t, NE), 0.37))
    case(f"SCALE({t})[bias]", lambda L, t=t: ops.scale_bias(L(t, NE), -1.5, 0.25))
    case(f"SCALE({t})[gaps]", lambda L, t=t: ops.scale(gaps(L, t, NE), 2.5))
    case(f"SCALE({t})[inplace]", lambda L, t=t: ops.scale(L(t, NE), 0.5, inplace=True))
    case(f"SCALE({t})[alias]", lambda L, t=t: ops.scale(L(t, NE), 0.5), alias=0)
    case(f"CLAMP({t})", lambda L, t=t: ops.clamp(L(t, NE, -2, 2), -0.5, 0.75))
    case(f"CLAMP({t})[noncontig]", lambda L, t=t: ops.clamp(transposed(L, t, NE), -0.5, 0.5))
    case(f"LEAKY_RELU({t})", lambda L, t=t: ops.leaky_relu(L(t, NE), 0.1))
    case(f"LEAKY_RELU({t})[inplace]", lambda L, t=t: ops.leaky_relu(L(t, NE), 0.1, True))
    case(f"LEAKY_RELU({t})[noncontig]", lambda L, t=t: ops.leaky_relu(transposed(L, t, NE), 0.2))

for uop in UnaryOp:
    for t in TYPES:
        n = f"{uop}({t})"
        case(n, lambda L, t=t, uop=uop: ops.unary(L(t, NE, -4, 4), uop))
        case(n + "[gaps]", lambda L, t=t, uop=uop: ops.unary(gaps(L, t, NE), uop))
        case(n + "[inplace]", lambda L, t=t, uop=uop: ops.unary(L(t, NE, -4, 4), uop, True))
        case(n + "[alias]", lambda L, t=t, uop=uop: ops.unary(L(t, NE, -4, 4), uop), alias=0)

for gop in GluOp:
    for t in TYPES:
        n = f"{gop}({t})"
        case(n, lambda L, t=t, gop=gop: ops.glu(L(t, (26, 7, 3, 2), -3, 3), None, gop))
        case(n + "[swapped]", lambda L, t=t, gop=gop: ops.glu(L(t, (26, 7, 3), -3, 3), None, gop,
                                                           swapped=True))
        case(n + "[split]", lambda L, t=t, gop=gop: ops.glu(L(t, NE, -3, 3), L(t, NE), gop))
        case(n + "[gaps]", lambda L, t=t, gop=gop: ops.glu(gaps(L, t, NE), gaps(L, t, NE), gop))

# -- reductions -----------------------------------------------------------------------------------

for t in TYPES:
    for fn in (ops.sum, ops.sum_rows, ops.mean):
        op = fn.__name__.upper()
        case(f"{op}({t})", lambda L, t=t, fn=fn: fn(L(t, NE)))
        case(f"{op}({t})[noncontig]", lambda L, t=t, fn=fn: fn(transposed(L, t, NE)))
    case(f"ARGMAX({t})", lambda L, t=t: ops.argmax(L(t, (13, 11))))
    case(f"ARGMAX({t})[ties]", lambda L, t=t: ops.argmax(ties(L, t, (13, 11))))
    case(f"ARGMAX({t})[noncontig]", lambda L, t=t: ops.argmax(transposed(L, t, (13, 11))))
    case(f"COUNT_EQUAL({t})", lambda L, t=t: ops.count_equal(L(t, NE, 0, 3), L(t, NE, 0, 3)))
    for order in SortOrder:
        case(f"ARGSORT({t},{order.name})", lambda L, t=t, o=order: ops.argsort(L(t, NE), o))
        case(f"ARGSORT({t},{order.name})[noncontig]",
             lambda L, t=t, o=order: ops.argsort(transposed(L, t, NE), o))


# -- shape ----------------------------------------------------------------------------------------

for t in TYPES:
    k = ne0_for(t)
    case(f"REPEAT({t})", lambda L, t=t, k=k: ops.repeat_4d(L(t, (k, 1, 3, 1)), k, 7, 6, 2))
    case(f"REPEAT({t})[dim0]",
         lambda L, t=t, k=k: ops.repeat_4d(L(t, (k, 2, 1, 1)), 3 * k, 4, 3, 1))
    case(f"REPEAT({t})[noncontig]",
         lambda L, t=t, k=k: ops.repeat_4d(ops.permute(L(t, (k, 3, 2, 1)), 0, 2, 1, 3), k, 4, 6, 1))
    for dim in range(4):
        ne_b = [k, 7, 3, 2]
        ne_b[dim] = 2 * k if dim == 0 else 5
        case(f"CONCAT({t},dim={dim})",
             lambda L, t=t, k=k, d=dim, b=tuple(ne_b): ops.concat(L(t, (k, 7, 3, 2)), L(t, b), d))
    case(f"CONCAT({t})[noncontig]", lambda L, t=t, k=k: ops.concat(
        ops.permute(L(t, (k, 3, 7, 2)), 0, 2, 1, 3), L(t, (k, 7, 5, 2)), 2))
    case(f"PAD({t})", lambda L, t=t: ops.pad(L(t, NE), 2, 1, 0, 3))
    case(f"PAD({t})[ext]", lambda L, t=t: ops.pad_ext(L(t, NE), 1, 2, 0, 1, 2, 0, 1, 1))
    case(f"PAD({t})[noncontig]", lambda L, t=t: ops.pad(transposed(L, t, NE), 1, 1, 1, 1))

# -- normalization --------------------------------------------------------------------------------

for fn in (ops.norm, ops.rms_norm, ops.l2_norm):
    op = fn.__name__.upper()
    for t in TYPES:
        case(f"{op}({t})", lambda L, t=t, fn=fn: fn(L(t, NE, -2, 3), 1e-5))
        case(f"{op}({t})[noncontig]", lambda L, t=t, fn=fn: fn(transposed(L, t, NE), 1e-5))
        case(f"{op}({t})[inplace]", lambda L, t=t, fn=fn: fn(L(t, NE), 1e-5, inplace=True))
        case(f"{op}({t})[alias]", lambda L, t=t, fn=fn: fn(L(t, NE), 1e-5), alias=0)
for t in TYPES:
    for groups in (3, 4):
        case(f"GROUP_NORM({t},groups={groups})",
             lambda L, t=t, g=groups: ops.group_norm(L(t, (13, 7, 6, 2), -2, 3), g, 1e-6))
    case(f"GROUP_NORM({t})[inplace]",
         lambda L, t=t: ops.group_norm(L(t, (11, 5, 4, 1)), 2, 1e-6, inplace=True))

# -- matrix products ------------------------------------------------------------------------------

for ta, tb in itertools.product(TYPES, TYPES):
    k = ne0_for(ta, tb)
    n = f"MUL_MAT({tname(ta, tb)})"
    case(n, lambda L, ta=ta, tb=tb, k=k: ops.mul_mat(L(ta, (k, 13)), L(tb, (k, 7))))
    case(n + "[vec]", lambda L, ta=ta, tb=tb, k=k: ops.mul_mat(L(ta, (k, 11)), L(tb, (k, 1))))
    case(n + "[bcast]", lambda L, ta=ta, tb=tb, k=k: ops.mul_mat(
        L(ta, (k, 13, 2, 1)), L(tb, (k, 5, 6, 2))))
    case(n + "[noncontig]", lambda L, ta=ta, tb=tb, k=k: ops.mul_mat(
        ops.permute(L(ta, (k, 2, 13, 1)), 0, 2, 1, 3),
        ops.permute(L(tb, (k, 6, 5, 1)), 0, 2, 1, 3)))
    case(n + "[transposed_b]", lambda L, ta=ta, tb=tb, k=k: ops.mul_mat(
        L(ta, (k, 13)), transposed(L, tb, (k, 7))))
    case(n + "[batched]", lambda L, ta=ta, tb=tb, k=k: ops.mul_mat(
        L(ta, (k, 7, 3, 2)), L(tb, (k, 5, 3, 2))))
    m = ne0_for(ta)
    n = f"OUT_PROD({tname(ta, tb)})"
    case(n, lambda L, ta=ta, tb=tb, m=m: ops.out_prod(L(ta, (m, 7)), L(tb, (13, 7))))
    case(n + "[bcast]", lambda L, ta=ta, tb=tb, m=m: ops.out_prod(
        L(ta, (m, 7, 2, 1)), L(tb, (11, 7, 4, 3))))

# -- copies ---------------------------------------------------------------------------------------

for ta, tb in itertools.product(TYPES, TYPES):
    k = ne0_for(ta, tb)
    n = f"CPY({tname(ta, tb)})"
    case(n, lambda L, ta=ta, tb=tb, k=k: ops.cpy(L(ta, (k, 5, 3)), L(tb, (k, 5, 3))))
    case(n + "[reshape]", lambda L, ta=ta, tb=tb, k=k: ops.cpy(L(ta, (k, 6, 1)), L(tb, (2 * k, 3))))
    case(n + "[noncontig]", lambda L, ta=ta, tb=tb, k=k: ops.cpy(
        ops.permute(L(ta, (k, 3, 5)), 0, 2, 1, 3), L(tb, (k, 5, 3))))
    case(n + "[into_view]", lambda L, ta=ta, tb=tb, k=k: ops.cpy(
        L(ta, (k, 5, 3)), gaps(L, tb, (k, 5, 3))))
for t in TYPES:
    k = ne0_for(t)
    case(f"CONT({t})", lambda L, t=t, k=k: ops.cont(ops.permute(L(t, (k, 3, 5, 2)), 0, 2, 1, 3)))
    case(f"CONT({t})[transposed]", lambda L, t=t: ops.cont(transposed(L, t, NE)))
    case(f"CONT({t})[4d]", lambda L, t=t, k=k: ops.cont_4d(
        ops.permute(L(t, (k, 3, 5, 2)), 0, 2, 1, 3), k, 15, 2, 1))
    case(f"DUP({t})", lambda L, t=t, k=k: ops.dup(L(t, (k, 7, 3))))
    case(f"DUP({t})[noncontig]", lambda L, t=t, k=k: ops.dup(
        ops.permute(L(t, (k, 3, 5, 2)), 0, 2, 1, 3)))

# -- rows -----------------------------------------------------------------------------------------

for ta, tb in itertools.product(TYPES, TYPES):
    k = ne0_for(ta)
    n = f"GET_ROWS({tname(ta, tb)})"
    case(n, lambda L, ta=ta, tb=tb, k=k: ops.get_rows(L(ta, (k, 11)), L.ids(tb, 5, 11)))
    case(n + "[planes]", lambda L, ta=ta, tb=tb, k=k: ops.get_rows(
        L(ta, (k, 11, 3, 2)), L.ids(tb, 7, 11, (3, 2))))
    case(n + "[noncontig]", lambda L, ta=ta, tb=tb, k=k: ops.get_rows(
        ops.permute(L(ta, (k, 3, 11)), 0, 2, 1, 3), L.ids(tb, 4, 11, (3, 1))))

for ta, tb, tc in itertools.product(TYPES, TYPES, TYPES):
    k = ne0_for(ta)
    n = f"SET_ROWS({tname(ta, tb, tc)})"
    case(n, lambda L, ta=ta, tb=tb, tc=tc, k=k: ops.set_rows(
        L(ta, (k, 11)), L(tb, (k, 5)), L.ids(tc, 5, 11)))
    case(n + "[bcast]", lambda L, ta=ta, tb=tb, tc=tc, k=k: ops.set_rows(
        L(ta, (k, 11, 3, 2)), L(tb, (k, 5, 3, 2)), L.ids(tc, 5, 11, (3, 1))))
    case(n + "[noncontig_src]", lambda L, ta=ta, tb=tb, tc=tc, k=k: ops.set_rows(
        L(ta, (k, 11, 3)), ops.permute(L(tb, (k, 3, 5)), 0, 2, 1, 3), L.ids(tc, 5, 11, (3, 1))))

# -- attention ------------------------------------------------------------------------------------

for t in TYPES:
    for n_past in (0, 3):
        case(f"DIAG_MASK_INF({t},n_past={n_past})",
             lambda L, t=t, p=n_past: ops.diag_mask_inf(L(t, NE), p))
    case(f"DIAG_MASK_INF({t})[inplace]", lambda L, t=t: ops.diag_mask_inf(L(t, NE), 1, True))
    case(f"DIAG_MASK_INF({t})[alias]", lambda L, t=t: ops.diag_mask_inf(L(t, NE), 0), alias=0)
    case(f"SOFT_MAX({t})", lambda L, t=t: ops.soft_max(L(t, NE, -4, 4)))
    case(f"SOFT_MAX({t})[inplace]", lambda L, t=t: ops.soft_max(L(t, NE), inplace=True))
    case(f"SOFT_MAX({t})[alias]", lambda L, t=t: ops.soft_max(L(t, NE)), alias=0)
    for tm in TYPES:
        case(f"SOFT_MAX({t},mask={tm})", lambda L, t=t, tm=tm: ops.soft_max_ext(
            L(t, NE, -4, 4), L(tm, (13, 9, 1, 1)), 0.3))
        if tm == t:
            case(f"SOFT_MAX({t},mask={tm})[alias_mask]", lambda L, t=t, tm=tm: ops.soft_max_ext(
                L(t, NE, -4, 4), L(tm, NE), 0.3), alias=1)
        case(f"SOFT_MAX({t},mask={tm})[tile]", lambda L, t=t, tm=tm: ops.soft_max_ext(
            L(t, (13, 7, 4, 2)), L(tm, (13, 7, 2, 2)), 0.7))
        case(f"SOFT_MAX({t},mask={tm})[alibi]", lambda L, t=t, tm=tm: ops.soft_max_ext(
            L(t, (13, 7, 6, 1)), L(tm, (13, 8, 1, 1)), 0.5, 8.0))

for t, tp in itertools.product(TYPES, TYPES):
    for mode in RopeMode:
        n = f"ROPE({tname(t, tp)},{mode.name})"
        case(n, lambda L, t=t, tp=tp, m=mode: ops.rope(L(t, (16, 3, 5)), L(tp, (5,), 0, 40), 16, m))
        case(n + "[partial]", lambda L, t=t, tp=tp, m=mode: ops.rope(
            L(t, (14, 3, 5, 2)), L(tp, (5,), 0, 40), 8, m))
        case(n + "[freq_factors]", lambda L, t=t, tp=tp, m=mode: ops.rope_ext(
            L(t, (16, 2, 5)), L(tp, (5,), 0, 40), L(F32, (8,), 1, 2), 16, m))
        case(n + "[yarn]", lambda L, t=t, tp=tp, m=mode: ops.rope_ext(
            L(t, (16, 2, 5)), L(tp, (5,), 0, 40), None, 12, m, n_ctx_orig=32, freq_base=500.0,
            freq_scale=0.25, ext_factor=1.0, attn_factor=0.9, beta_fast=32.0, beta_slow=1.0))
        case(n + "[noncontig]", lambda L, t=t, tp=tp, m=mode: ops.rope(
            ops.permute(L(t, (16, 5, 3)), 0, 2, 1, 3), L(tp, (5,), 0, 40), 16, m))
        case(n + "[inplace]", lambda L, t=t, tp=tp, m=mode: ops.rope(
            L(t, (16, 3, 5)), L(tp, (5,), 0, 40), 16, m, inplace=True))
        case(n + "[alias]", lambda L, t=t, tp=tp, m=mode: ops.rope(
            L(t, (16, 3, 5)), L(tp, (5,), 0, 40), 16, m), alias=0)


# -- placement in one real buffer ----------------------------------------------------------------


def compute_on_cpu(c: Case):
    """c placed in one CPU buffer with sentinel gaps, fed and computed: (graph, buffer, spans)."""
    graph, buffer, spans = place(c.out, cpu_backend().default_buffer_type, c.alias)
    feed(c.feeds)
    cpu_backend().graph_compute(graph)
    return graph, buffer, spans


# -- comparison -----------------------------------------------------------------------------------


def check_close(c: Case, actual: np.ndarray, expected: np.ndarray) -> None:
    rerun = f"rerun: pytest tests/test_cpu_backend.py -k '{c.id}'"
    op_check.check_close(c.id, actual, expected, NMSE_MAX, rerun)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_op_matches_golden(c: Case) -> None:
    c = c.fresh()
    assert supports_op(c.out), f"{c.id}: the CPU refuses a combination the builders accept"
    expected = golden.evaluate(build_graph(c.out), c.feeds)[c.out]
    _, buffer, spans = compute_on_cpu(c)
    t = c.out
    actual = layout.tensor_values(buffer.host_array(), t)
    check_close(c, actual, expected)
    op_check.check_sentinels(c.id, buffer.host_array(), spans)


GALLOCR_CASES = [c for c in CASES if c.alias is None]


@pytest.mark.parametrize("c", GALLOCR_CASES, ids=[c.id for c in GALLOCR_CASES])
def test_op_matches_golden_placed_by_gallocr(c: Case) -> None:
    """The same cases with every tensor placed by the graph allocator, which puts the result
    of an in-place-capable op on its parent's memory whenever ggml's rules allow."""
    c = c.fresh()
    graph = build_graph(c.out)
    expected = golden.evaluate(graph, c.feeds)[c.out]
    assert GAllocr(cpu_backend().default_buffer_type).alloc_graph(graph)
    feed(c.feeds)
    cpu_backend().graph_compute(graph)
    t = c.out
    check_close(c, layout.tensor_values(t.buffer.host_array(), t), expected)


def test_gallocr_cases_include_in_place_reuse() -> None:
    """The allocator does put results on their parents in the cases above (else the previous
    test would not exercise in-place kernels)."""
    reused = []
    for c in GALLOCR_CASES:
        if c.out.op in INPLACE_OPS:
            c = c.fresh()
            GAllocr(cpu_backend().default_buffer_type).alloc_graph(build_graph(c.out))
            if c.out.view_src is None and any(s.data == c.out.data for s in c.out.sources):
                reused.append(c.id)
    assert len(reused) > 50, f"only {len(reused)} in-place placements: {reused}"


def test_every_op_has_cases() -> None:
    """Every op of the reference set (and every UNARY/GLU sub-op) is covered above."""
    covered = {c.out.op_desc for c in CASES} | {str(op) for op in (Op.NONE,)}
    wanted = {str(op) for op in Op if op not in (Op.UNARY, Op.GLU)}
    wanted |= {str(u) for u in UnaryOp} | {str(g) for g in GluOp}
    wanted -= {"RESHAPE", "VIEW", "PERMUTE", "TRANSPOSE"}  # view ops compute nothing
    assert wanted <= covered, f"ops without a case: {sorted(wanted - covered)}"


# -- supports_op honesty --------------------------------------------------------------------------


def signature(t: Tensor) -> tuple:
    return (t.op_desc, tuple(s.type if s is not None else None for s in t.src), t.type)


ACCEPTED = {signature(c.out) for c in CASES}


def retyped(node: Tensor, i: int, type: GGMLType) -> Tensor:
    """A hand-built copy of node with src[i] (or, for i = -1, the result) of another type."""
    src = list(node.src)
    if i >= 0:
        src[i] = Tensor(type, src[i].ne, name=f"src{i}")
    return Tensor(type if i < 0 else node.type, node.ne, op=node.op, op_params=node.op_params,
                  src=src, name="retyped")


def test_supports_op_refuses_type_combinations_no_builder_makes() -> None:
    """Every claim is backed by a case above: a node whose (op, src types, type) signature no
    case has must be refused."""
    claimed = set()
    for c in CASES:
        for i, type in itertools.product(range(-1, len(c.out.src)), TYPES):
            t = retyped(c.out, i, type)
            if signature(t) not in ACCEPTED and supports_op(t):
                claimed.add(signature(t))
    assert not claimed, f"supports_op claims untested combinations: {sorted(map(str, claimed))}"


def hand_built_unsupported() -> dict[str, Tensor]:
    i32, f32 = ops.new_tensor(I32, (8, 4)), ops.new_tensor(F32, (8, 4))
    rope = ops.rope(ops.new_tensor(F32, (8, 2, 3)), ops.new_tensor(I32, (3,)), 8)
    rope.op_params = (0, 8, 8, *rope.op_params[3:])  # mode 8: multi-section rope, no kernel
    q = ops.new_tensor(Q8_0, (64, 64))  # transposed: rows of 2 blocks 68 bytes apart
    unpacked = Tensor(Q8_0, (64, 64), (q.nb[1], q.nb[0], q.nb[1] * 64, q.nb[1] * 64),
                      view_src=q, op=Op.TRANSPOSE, src=[q])
    return {
        "ADD(i32,i32)": Tensor(I32, i32.ne, op=Op.ADD, src=[i32, i32]),
        "MUL_MAT(i32,f32)": Tensor(F32, (4, 4), op=Op.MUL_MAT, src=[i32, f32]),
        "SOFT_MAX(i32)": Tensor(I32, i32.ne, op=Op.SOFT_MAX, src=[i32], op_params=(1.0, 0.0)),
        "ROPE(mode=8)": rope,
        "CONT(q8_0 with unpacked rows)": Tensor(Q8_0, (64, 64), op=Op.CONT, src=[unpacked]),
        "UNARY(unknown sub-op)": Tensor(F32, f32.ne, op=Op.UNARY, src=[f32], op_params=("X",)),
    }


@pytest.mark.parametrize("name", list(hand_built_unsupported()))
def test_unsupported_node_is_refused_not_crashed(name: str) -> None:
    node = hand_built_unsupported()[name]
    assert not supports_op(node)
    graph = build_graph(node)
    buffer = cpu_backend().default_buffer_type.alloc_buffer(1 << 16)
    offset = 0
    for t in graph.tensors():
        if t.view_src is None:
            tensor_alloc(buffer, t, offset)
            offset += 4096
    for t in graph.tensors():
        if t.view_src is not None:
            view_init(t)
    with pytest.raises(UnsupportedOpError, match=node.op_desc):
        cpu_backend().graph_compute(graph)
