"""Every op × type × layout the OpenCL device claims equals the golden; what it does not claim
is refused (supports_op says no, and computing it raises UnsupportedOpError).

Each case builds one node with ``ggsched.ops`` (a combination the builders refuse is no case),
places all its tensors in ONE OpenCL buffer with sentinel gaps, computes on the device and
compares the node's bytes, read back through its layout, with ``ggsched.golden.evaluate``.
Variants: odd sizes, broadcast, non-contiguous sources (transposed, permuted, rows with gaps),
in place (the node a view of its input) and "alias" (the node at its src0's address, as the
graph allocator places in-place reuse). MUL_MAT runs with both of its kernels.

Error bound: NMSE ≤ 1e-7 (test-backend-ops' default); integer and same-type copies exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from ggsched import ops
from ggsched.backends.opencl.runtime import Runtime
from ggsched.errors import GGSchedError, UnsupportedOpError
from ggsched.graph import build_graph
from ggsched.op import GluOp, Op, RopeMode, SortOrder, UnaryOp
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from op_check import NMSE_MAX, Leafs, check_close, check_sentinels, feed, place
from opencl_support import cl_backend, cl_device, expected, read  # noqa: F401 - fixtures

pytestmark = pytest.mark.opencl

F32, F16, Q8_0, Q4_0, I32 = GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.I32
TYPES = (F32, F16, Q8_0, Q4_0, I32)


@dataclass
class Case:
    id: str
    out: Tensor
    feeds: dict[Tensor, np.ndarray]
    alias: int | None = None  # place out at src[alias]'s address (the allocator's in-place reuse)
    env: dict[str, str] = field(default_factory=dict)


CASES: list[Case] = []


def case(name: str, build: Callable[[Leafs], Tensor], alias: int | None = None,
         env=None) -> None:
    """Register a case if the op builders accept it (a GGSchedError means: not a combination)."""
    leafs = Leafs(len(CASES))
    try:
        out = build(leafs)
    except GGSchedError:
        return
    CASES.append(Case(name, out, leafs.feeds, alias, env or {}))


def k_for(*types: GGMLType) -> int:
    """An odd row length, or whole blocks when a quantized type takes part."""
    return 64 if any(t.traits.is_quantized for t in types) else 13


def transposed(L: Leafs, type, ne, lo=-1.0, hi=1.0) -> Tensor:
    return ops.transpose(L(type, (ne[1], ne[0], *ne[2:]), lo, hi))


def ties(L: Leafs, type, ne) -> Tensor:
    """Values from {-1, 0, 1}: rows have equal maxima (the last index wins, as in ggml)."""
    t = L(type, ne)
    L.feeds[t] = np.round(L.feeds[t])
    return t


def gaps(L: Leafs, type, ne) -> Tensor:
    """A view with gaps between rows (contiguous within rows and above dim 1)."""
    ne = (*ne, 1, 1, 1)[:4]
    big = L(type, (2 * ne[0], *ne[1:]))
    offset = type.traits.type_size * ne[0] // type.traits.blck_size
    return ops.view_4d(big, *ne, big.nb[1], big.nb[2], big.nb[3], offset)


NE = (13, 7, 3, 2)

# -- element-wise ---------------------------------------------------------------------------------

for fn, lo in ((ops.add, -1.0), (ops.sub, -1.0), (ops.mul, -1.0), (ops.div, 0.5)):
    for ta, tb in itertools.product(TYPES, TYPES):
        n = f"{fn.__name__.upper()}({ta},{tb})"
        case(n, lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(L(ta, NE), L(tb, NE, lo, 2.0)))
        case(n + "[bcast]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, NE), L(tb, (13, 1, 3, 1), lo, 2.0)))
        case(n + "[noncontig]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            transposed(L, ta, NE), transposed(L, tb, NE, lo, 2.0)))
        case(n + "[inplace]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, NE), L(tb, (13, 7, 1, 2), lo, 2.0), inplace=True))
        case(n + "[alias]", lambda L, ta=ta, tb=tb, fn=fn, lo=lo: fn(
            L(ta, NE), L(tb, (13, 1, 3, 1), lo, 2.0)), alias=0)

for t in TYPES:
    for inplace in (False, True):
        n = f"ACC({t})" + ("[inplace]" if inplace else "")
        case(n, lambda L, t=t, inplace=inplace: ops.acc(
            a := L(t, (13, 7, 3, 1)), L(t, (5, 3, 2)), a.nb[1], a.nb[2], a.nb[3], 4 * 15,
            inplace=inplace))
    case(f"ACC({t})[alias]", lambda L, t=t: ops.acc(
        a := L(t, (13, 7, 3, 1)), L(t, (5, 3, 2)), a.nb[1], a.nb[2], a.nb[3], 4 * 15),
        alias=0)

SIMPLE_UNARY = {ops.sqr: (-2.0, 2.0), ops.sqrt: (0.1, 3.0), ops.log: (0.1, 3.0),
                ops.sin: (-3.0, 3.0), ops.cos: (-3.0, 3.0)}
for t in TYPES:
    for fn, (lo, hi) in SIMPLE_UNARY.items():
        n = f"{fn.__name__.upper()}({t})"
        case(n, lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(L(t, NE, lo, hi)))
        case(n + "[noncontig]",
             lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(transposed(L, t, NE, lo, hi)))
        case(n + "[alias]", lambda L, t=t, fn=fn, lo=lo, hi=hi: fn(L(t, NE, lo, hi)), alias=0)
    for uop in UnaryOp:
        n = f"{uop}({t})"
        case(n, lambda L, t=t, u=uop: ops.unary(L(t, NE, -4, 4), u))
        case(n + "[gaps]", lambda L, t=t, u=uop: ops.unary(gaps(L, t, NE), u))
        case(n + "[inplace]", lambda L, t=t, u=uop: ops.unary(L(t, NE, -4, 4), u, True))
    case(f"SCALE({t})[bias]", lambda L, t=t: ops.scale_bias(L(t, NE), -1.5, 0.25))
    case(f"SCALE({t})[gaps]", lambda L, t=t: ops.scale(gaps(L, t, NE), 2.5))
    case(f"SCALE({t})[alias]", lambda L, t=t: ops.scale(L(t, NE), 0.5), alias=0)
    case(f"CLAMP({t})", lambda L, t=t: ops.clamp(L(t, NE, -2, 2), -0.5, 0.75))
    case(f"CLAMP({t})[noncontig]", lambda L, t=t: ops.clamp(transposed(L, t, NE), -0.5, 0.5))
    case(f"LEAKY_RELU({t})", lambda L, t=t: ops.leaky_relu(L(t, NE), 0.1))
    case(f"LEAKY_RELU({t})[noncontig]", lambda L, t=t: ops.leaky_relu(transposed(L, t, NE), 0.2))

for ta, tb in itertools.product(TYPES, TYPES):
    case(f"ADD1({ta},{tb})", lambda L, ta=ta, tb=tb: ops.add1(L(ta, NE), L(tb, (1,))))
    case(f"ADD1({ta},{tb})[alias]", lambda L, ta=ta, tb=tb: ops.add1(L(ta, NE), L(tb, (1,))),
         alias=0)

for gop, t in itertools.product(GluOp, TYPES):
    n = f"{gop}({t})"
    case(n, lambda L, t=t, g=gop: ops.glu(L(t, (26, 7, 3, 2), -3, 3), None, g))
    case(n + "[swapped]", lambda L, t=t, g=gop: ops.glu(L(t, (26, 7, 3), -3, 3), None, g,
                                                        swapped=True))
    case(n + "[split]", lambda L, t=t, g=gop: ops.glu(L(t, NE, -3, 3), L(t, NE), g))
    case(n + "[gaps]", lambda L, t=t, g=gop: ops.glu(gaps(L, t, NE), gaps(L, t, NE), g))

# -- reductions and norms -------------------------------------------------------------------------

for t in TYPES:
    case(f"SUM_ROWS({t})", lambda L, t=t: ops.sum_rows(L(t, (300, 7, 3, 2))))
    case(f"SUM_ROWS({t})[noncontig]", lambda L, t=t: ops.sum_rows(transposed(L, t, NE)))
    case(f"SUM({t})", lambda L, t=t: ops.sum(L(t, NE)))
    case(f"MEAN({t})", lambda L, t=t: ops.mean(L(t, (300, 7, 3))))
    case(f"MEAN({t})[noncontig]", lambda L, t=t: ops.mean(transposed(L, t, NE)))
    for fn in (ops.norm, ops.rms_norm, ops.l2_norm):
        n = f"{fn.__name__.upper()}({t})"
        case(n, lambda L, t=t, fn=fn: fn(L(t, (300, 5, 2), -2, 3), 1e-5))
        case(n + "[noncontig]", lambda L, t=t, fn=fn: fn(transposed(L, t, NE), 1e-5))
        case(n + "[inplace]", lambda L, t=t, fn=fn: fn(L(t, NE), 1e-5, inplace=True))
        case(n + "[alias]", lambda L, t=t, fn=fn: fn(L(t, NE), 1e-5), alias=0)
    for groups in (3, 4):
        case(f"GROUP_NORM({t},groups={groups})", lambda L, t=t, g=groups: ops.group_norm(
            L(t, (13, 7, 6, 2), -2, 3), g, 1e-6))
    case(f"GROUP_NORM({t})[inplace]", lambda L, t=t: ops.group_norm(
        L(t, (11, 5, 4, 1)), 2, 1e-6, inplace=True))
    case(f"ARGMAX({t})", lambda L, t=t: ops.argmax(L(t, (13, 11))))
    case(f"COUNT_EQUAL({t})", lambda L, t=t: ops.count_equal(L(t, NE, 0, 3), L(t, NE, 0, 3)))
    for order in SortOrder:
        case(f"ARGSORT({t},{order.name})", lambda L, t=t, o=order: ops.argsort(L(t, NE), o))
        case(f"ARGSORT({t},{order.name})[ties]", lambda L, t=t, o=order: ops.argsort(
            ties(L, t, NE), o))
        case(f"ARGSORT({t},{order.name})[noncontig]",
             lambda L, t=t, o=order: ops.argsort(transposed(L, t, NE), o))
    case(f"ARGMAX({t})[ties]", lambda L, t=t: ops.argmax(ties(L, t, (13, 11))))
    case(f"ARGMAX({t})[noncontig]", lambda L, t=t: ops.argmax(transposed(L, t, (13, 11))))

# -- attention ------------------------------------------------------------------------------------

for t in TYPES:
    for n_past in (0, 3):
        case(f"DIAG_MASK_INF({t},n_past={n_past})",
             lambda L, t=t, p=n_past: ops.diag_mask_inf(L(t, NE), p))
    case(f"DIAG_MASK_INF({t})[alias]", lambda L, t=t: ops.diag_mask_inf(L(t, NE), 0), alias=0)
    case(f"SOFT_MAX({t})", lambda L, t=t: ops.soft_max(L(t, (300, 7, 3), -4, 4)))
    case(f"SOFT_MAX({t})[inplace]", lambda L, t=t: ops.soft_max(L(t, NE), inplace=True))
    case(f"SOFT_MAX({t})[alias]", lambda L, t=t: ops.soft_max(L(t, NE)), alias=0)
    for tm in TYPES:
        case(f"SOFT_MAX({t},mask={tm})", lambda L, t=t, tm=tm: ops.soft_max_ext(
            L(t, NE, -4, 4), L(tm, (13, 9, 1, 1)), 0.3))
        case(f"SOFT_MAX({t},mask={tm})[tile]", lambda L, t=t, tm=tm: ops.soft_max_ext(
            L(t, (13, 7, 4, 2)), L(tm, (13, 7, 2, 2)), 0.7))
        case(f"SOFT_MAX({t},mask={tm})[alibi]", lambda L, t=t, tm=tm: ops.soft_max_ext(
            L(t, (13, 7, 6, 1)), L(tm, (13, 8, 1, 1)), 0.5, 8.0))

for t, mode in itertools.product(TYPES, RopeMode):
    n = f"ROPE({t},{mode.name})"
    case(n, lambda L, t=t, m=mode: ops.rope(L(t, (16, 3, 5)), L(I32, (5,), 0, 40), 16, m))
    case(n + "[partial]", lambda L, t=t, m=mode: ops.rope(
        L(t, (14, 3, 5, 2)), L(I32, (5,), 0, 40), 8, m))
    case(n + "[freq_factors]", lambda L, t=t, m=mode: ops.rope_ext(
        L(t, (16, 2, 5)), L(I32, (5,), 0, 40), L(F32, (8,), 1, 2), 16, m))
    case(n + "[yarn]", lambda L, t=t, m=mode: ops.rope_ext(
        L(t, (16, 2, 5)), L(I32, (5,), 0, 40), None, 12, m, n_ctx_orig=32, freq_base=500.0,
        freq_scale=0.25, ext_factor=1.0, attn_factor=0.9, beta_fast=32.0, beta_slow=1.0))
    case(n + "[noncontig]", lambda L, t=t, m=mode: ops.rope(
        ops.permute(L(t, (16, 5, 3)), 0, 2, 1, 3), L(I32, (5,), 0, 40), 16, m))
    case(n + "[alias]", lambda L, t=t, m=mode: ops.rope(
        L(t, (16, 3, 5)), L(I32, (5,), 0, 40), 16, m), alias=0)

# -- rows and copies ------------------------------------------------------------------------------

for t in TYPES:
    k = k_for(t)
    case(f"GET_ROWS({t})", lambda L, t=t, k=k: ops.get_rows(L(t, (k, 11)), L.ids(I32, 5, 11)))
    case(f"GET_ROWS({t})[planes]", lambda L, t=t, k=k: ops.get_rows(
        L(t, (k, 11, 3, 2)), L.ids(I32, 7, 11, (3, 2))))
    case(f"GET_ROWS({t})[noncontig]", lambda L, t=t, k=k: ops.get_rows(
        ops.permute(L(t, (k, 3, 11)), 0, 2, 1, 3), L.ids(I32, 4, 11, (3, 1))))

for ta, tb in itertools.product(TYPES, TYPES):
    k = k_for(ta, tb)
    n = f"CPY({ta},{tb})"
    case(n, lambda L, ta=ta, tb=tb, k=k: ops.cpy(L(ta, (k, 5, 3)), L(tb, (k, 5, 3))))
    case(n + "[reshape]", lambda L, ta=ta, tb=tb, k=k: ops.cpy(L(ta, (k, 6, 1)), L(tb, (2 * k, 3))))
    case(n + "[noncontig]", lambda L, ta=ta, tb=tb, k=k: ops.cpy(
        ops.permute(L(ta, (k, 3, 5)), 0, 2, 1, 3), L(tb, (k, 5, 3))))
    case(n + "[into_view]", lambda L, ta=ta, tb=tb, k=k: ops.cpy(
        L(ta, (k, 5, 3)), gaps(L, tb, (k, 5, 3))))
for ta, tb in ((F32, I32), (I32, F32)):
    case(f"CPY({ta},{tb})[range]", lambda L, ta=ta, tb=tb: ops.cpy(
        L(ta, (13, 5, 3), -300, 300), L(tb, (13, 5, 3))))
for t in TYPES:
    k = k_for(t)
    case(f"REPEAT({t})", lambda L, t=t, k=k: ops.repeat_4d(L(t, (k, 1, 3, 1)), k, 7, 6, 2))
    case(f"REPEAT({t})[dim0]", lambda L, t=t, k=k: ops.repeat_4d(L(t, (k, 2, 1, 1)), 3 * k, 4,
                                                                 3, 1))
    case(f"REPEAT({t})[noncontig]", lambda L, t=t, k=k: ops.repeat_4d(
        ops.permute(L(t, (k, 3, 2, 1)), 0, 2, 1, 3), k, 4, 6, 1))
    for dim in range(4):
        ne_b = [k, 7, 3, 2]
        ne_b[dim] = 2 * k if dim == 0 else 5
        case(f"CONCAT({t},dim={dim})", lambda L, t=t, k=k, d=dim, b=tuple(ne_b): ops.concat(
            L(t, (k, 7, 3, 2)), L(t, b), d))
    case(f"CONCAT({t})[noncontig]", lambda L, t=t, k=k: ops.concat(
        ops.permute(L(t, (k, 3, 7, 2)), 0, 2, 1, 3), L(t, (k, 7, 5, 2)), 2))
    case(f"PAD({t})", lambda L, t=t: ops.pad(L(t, NE), 2, 1, 0, 3))
    case(f"PAD({t})[ext]", lambda L, t=t: ops.pad_ext(L(t, NE), 1, 2, 0, 1, 2, 0, 1, 1))
    case(f"PAD({t})[noncontig]", lambda L, t=t: ops.pad(transposed(L, t, NE), 1, 1, 1, 1))
    case(f"CONT({t})", lambda L, t=t, k=k: ops.cont(ops.permute(L(t, (k, 3, 5, 2)), 0, 2, 1, 3)))
    case(f"CONT({t})[transposed]", lambda L, t=t: ops.cont(transposed(L, t, NE)))
    case(f"DUP({t})[noncontig]", lambda L, t=t, k=k: ops.dup(
        ops.permute(L(t, (k, 3, 5, 2)), 0, 2, 1, 3)))

for ta, tc in itertools.product(TYPES, (I32, GGMLType.I64)):
    k = k_for(ta)
    n = f"SET_ROWS({ta},{tc})"
    case(n, lambda L, ta=ta, tc=tc, k=k: ops.set_rows(
        L(ta, (k, 11)), L(F32, (k, 5)), L.ids(tc, 5, 11)))
    case(n + "[bcast]", lambda L, ta=ta, tc=tc, k=k: ops.set_rows(
        L(ta, (k, 11, 3, 2)), L(F32, (k, 5, 3, 2)), L.ids(tc, 5, 11, (3, 1))))
    case(n + "[noncontig_src]", lambda L, ta=ta, tc=tc, k=k: ops.set_rows(
        L(ta, (k, 11, 3)), ops.permute(L(F32, (k, 3, 5)), 0, 2, 1, 3), L.ids(tc, 5, 11, (3, 1))))

# -- matrix products: both kernels ----------------------------------------------------------------

K = 64  # a whole number of blocks, and of 16-float vectors (the rows kernel's condition)
K_ODD = {F32: 13, F16: 13, Q8_0: 96, Q4_0: 96, I32: 13}  # not a whole number of k-tiles
for (ta, tb), kernel in itertools.product(itertools.product(TYPES, TYPES), ("tiled", "rows")):
    n = f"MUL_MAT({ta},{tb},{kernel})"
    env = {"GGSCHED_OPENCL_MUL_MAT": kernel}
    case(n, lambda L, ta=ta, tb=tb: ops.mul_mat(L(ta, (K, 13)), L(tb, (K, 7))), env=env)
    case(n + "[vec]", lambda L, ta=ta, tb=tb: ops.mul_mat(L(ta, (K, 11)), L(tb, (K, 1))), env=env)
    case(n + "[large]", lambda L, ta=ta, tb=tb: ops.mul_mat(L(ta, (256, 70)), L(tb, (256, 67))),
         env=env)
    case(n + "[bcast]", lambda L, ta=ta, tb=tb: ops.mul_mat(
        L(ta, (K, 13, 2, 1)), L(tb, (K, 5, 6, 2))), env=env)
    case(n + "[noncontig]", lambda L, ta=ta, tb=tb: ops.mul_mat(
        ops.permute(L(ta, (K, 2, 13, 1)), 0, 2, 1, 3),
        ops.permute(L(tb, (K, 6, 5, 1)), 0, 2, 1, 3)), env=env)
    case(n + "[transposed_b]", lambda L, ta=ta, tb=tb: ops.mul_mat(
        L(ta, (K, 13)), transposed(L, tb, (K, 7))), env=env)
for ta in TYPES:
    case(f"MUL_MAT({ta},f32)[odd_k]", lambda L, ta=ta: ops.mul_mat(
        L(ta, (K_ODD[ta], 9)), L(F32, (K_ODD[ta], 4))), env={"GGSCHED_OPENCL_MUL_MAT": "rows"})
    for tb in TYPES:
        case(f"OUT_PROD({ta},{tb})", lambda L, ta=ta, tb=tb: ops.out_prod(
            L(ta, (k_for(ta), 7)), L(tb, (13, 7))))
        case(f"OUT_PROD({ta},{tb})[bcast]", lambda L, ta=ta, tb=tb: ops.out_prod(
            L(ta, (k_for(ta), 7, 2, 1)), L(tb, (11, 7, 4, 3))))


# -- the tests ------------------------------------------------------------------------------------


def run_case(c: Case, backend, monkeypatch) -> None:
    for key, value in c.env.items():
        monkeypatch.setenv(key, value)
    graph, buffer, spans = place(c.out, backend.default_buffer_type, c.alias)
    try:
        feed(c.feeds)
        backend.graph_compute(graph)
        want = expected(build_graph(c.out), c.out, c.feeds)
        rerun = f"rerun: pytest tests/test_opencl_ops.py -k '{c.id}'"
        check_close(c.id, read(c.out), want, NMSE_MAX, rerun)
        check_sentinels(c.id, buffer.read(0, buffer.size), spans)
    finally:
        buffer.free()




@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_op(c: Case, cl_backend, monkeypatch) -> None:  # noqa: F811 - fixture
    """A claimed case equals the golden; an unclaimed one is refused when computed."""
    if cl_backend.supports_op(c.out):
        run_case(c, cl_backend, monkeypatch)
        return
    graph, buffer, _ = place(c.out, cl_backend.default_buffer_type, c.alias)
    try:
        with pytest.raises(UnsupportedOpError, match=str(c.out.op_desc)):
            cl_backend.graph_compute(graph)
    finally:
        buffer.free()


def test_claims_cover_the_issue(cl_device) -> None:  # noqa: F811 - fixture
    """The ops the backend was built for are claimed for f32 (at least one case each)."""
    claimed = {c.out.op_desc for c in CASES if cl_device.supports_op(c.out)}
    wanted = {"ADD", "SUB", "MUL", "DIV", "SQR", "SQRT", "LOG", "SIN", "COS", "SCALE", "CLAMP",
              "NORM", "RMS_NORM", "SOFT_MAX", "DIAG_MASK_INF", "ROPE", "GET_ROWS", "CPY",
              "CONT", "DUP", "SUM_ROWS", "MUL_MAT", *(str(u) for u in UnaryOp)}
    assert wanted <= claimed, f"not claimed: {sorted(wanted - claimed)}"
    quantized_concat = [c for c in CASES if c.out.op is Op.CONCAT and c.out.type == Q8_0]
    assert quantized_concat and not any(cl_device.supports_op(c.out) for c in quantized_concat)
    also = {"ADD1", "MEAN", "SUM", "L2_NORM", "ARGMAX", "REPEAT", "CONCAT", "PAD", "SET_ROWS",
            "GROUP_NORM", "OUT_PROD", "ACC", "ARGSORT", "COUNT_EQUAL"}
    assert also | {str(g) for g in GluOp} <= claimed
    assert Op.MUL_MAT.value in claimed


@pytest.mark.parametrize("max_group", [64, 16])
def test_mul_mat_tiles_for_small_work_groups(cl_backend, monkeypatch, max_group):  # noqa: F811
    """A device that allows fewer work-items per group gets a smaller tile, still correct."""
    monkeypatch.setattr(Runtime, "max_work_group", property(lambda self: max_group))
    L = Leafs(1234)
    c = Case(f"MUL_MAT(f16,f32)[max_group={max_group}]",
             ops.mul_mat(L(F16, (40, 37, 2)), L(F32, (40, 21, 2))), L.feeds,
             env={"GGSCHED_OPENCL_MUL_MAT": "tiled"})
    run_case(c, cl_backend, monkeypatch)
