"""The cases of the golden-vs-ggml check: every op of ``ggsched.ops``, on odd sizes (5, 7, 11,
13), broadcasts, non-contiguous sources (permuted, transposed, offset windows) and each type
the op takes on ggml's CPU (f32, f16, q8_0, q4_0; i32/i64 for indices).

Layouts of a source (``src``): ``cont`` a plain leaf; ``perm`` dims 1 and 2 swapped in memory
(rows packed); ``T`` transposed (nb[0] > nb[1]); ``win`` a window of a larger tensor at an
offset (rows packed, gaps between rows and between planes); ``pad`` rows padded at their end
only (nb[2] = ne[1]·nb[1], as ggml_is_contiguous_1 / ggml_is_padded_1d want). Each op gets
only the layouts its ggml CPU kernel handles: on others ggml asserts and aborts the process,
or (LEAKY_RELU, ARGSORT) silently reads the wrong rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from ggsched import golden, ops
from ggsched.op import GluOp, RopeMode, SortOrder, UnaryOp
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .crosscheck import Case

F32, F16, Q8_0, Q4_0 = GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0
I32, I64 = GGMLType.I32, GGMLType.I64
NE = (13, 7, 5, 2)
F16_HALF_ULP = 2.0**-11  # relative rounding step of f32 -> f16 (round to nearest)
F16_TINY = 2.0**-25  # absolute step below f16's normal range
F32_EPS = 2.0**-24
COUNT_EQUAL_BUG = (
    "ggml 0.20.2's CPU COUNT_EQUAL splits the row index with ne03/ne02 where ne02·ne01/ne01 "
    "belong, so it reads the wrong rows when ne[2]·ne[3] > 1"
)

# -- sources --------------------------------------------------------------------------------------


def leaf(type: GGMLType, ne, name: str = "a") -> Tensor:
    return ops.new_tensor(type, ne, name)


def src(type: GGMLType, ne, layout: str = "cont", name: str = "a") -> Tensor:
    """A source of ``type`` and ``ne`` with the given memory layout (see the module doc)."""
    ne = tuple(ne) + (1,) * (4 - len(ne))
    if layout == "cont":
        return leaf(type, ne, name)
    if layout == "perm":
        return ops.permute(leaf(type, (ne[0], ne[2], ne[1], ne[3]), name), 0, 2, 1, 3)
    if layout == "T":
        return ops.transpose(leaf(type, (ne[1], ne[0], ne[2], ne[3]), name))
    if layout == "win":
        blck = type.traits.blck_size
        big = leaf(type, (ne[0] + blck, ne[1] + 2, ne[2], ne[3]), name)
        offset = big.nb[1] + big.nb[0]  # one row and one block in
        return ops.view_4d(big, *ne, big.nb[1], big.nb[2], big.nb[3], offset)
    if layout == "pad":
        big = leaf(type, (ne[0] + type.traits.blck_size, *ne[1:]), name)
        return ops.view_4d(big, *ne, big.nb[1], big.nb[2], big.nb[3], big.nb[0])
    raise ValueError(f"unknown layout {layout!r}")


def _ne(ne) -> str:
    return "[" + ",".join(str(n) for n in ne) + "]"


def uniform(lo: float, hi: float) -> Callable:
    """Feeds uniform in [lo, hi] for float leafs, ggml's default for the others."""
    from .crosscheck import default_init

    def init(t: Tensor, rng: np.random.Generator) -> np.ndarray:
        if t.type in (F32, F16):
            return rng.uniform(lo, hi, t.nelements)
        return default_init(t, rng)

    return init


def away_from_zero(t: Tensor, rng: np.random.Generator) -> np.ndarray:
    """Values in ±[0.5, 1] (divisors)."""
    return rng.uniform(0.5, 1.0, t.nelements) * rng.choice([-1.0, 1.0], t.nelements)


# -- element-wise ---------------------------------------------------------------------------------


def binary_cases() -> Iterator[Case]:
    shapes = [NE, (13, 1, 5, 1), (1, 7, 1, 2), (13, 7, 1, 1), (1, 1, 1, 1)]
    for name, fn in (("ADD", ops.add), ("SUB", ops.sub), ("MUL", ops.mul), ("DIV", ops.div)):
        init = _divisor_init if name == "DIV" else None
        for bne in shapes:
            yield _binary(name, fn, F32, F32, "cont", "cont", bne, init)
        for la, lb in (("perm", "cont"), ("win", "perm"), ("cont", "T"), ("perm", "win")):
            yield _binary(name, fn, F32, F32, la, lb, NE, init)
        yield _binary(name, fn, F16, F16, "cont", "cont", (13, 1, 5, 1), init)
        yield _binary(name, fn, F16, F32, "perm", "cont", (1, 7, 1, 2), init)
        yield _binary(name, fn, F32, F32, "cont", "cont", (13, 1, 5, 1), init, inplace=True)


def _divisor_init(t: Tensor, rng: np.random.Generator) -> np.ndarray:
    return away_from_zero(t, rng) if t.name == "b" else rng.uniform(-1, 1, t.nelements)


def _binary(name, fn, ta, tb, la, lb, bne, init, inplace=False) -> Case:
    def build():
        return fn(src(ta, NE, la, "a"), src(tb, bne, lb, "b"), inplace=inplace)

    desc = f"type={ta},type_b={tb},ne={_ne(NE)},ne_b={_ne(bne)},a={la},b={lb}"
    return Case(name, desc + (",inplace" if inplace else ""), build, init=init)


def add1_cases() -> Iterator[Case]:
    for ta, tb, la in (
        (F32, F32, "cont"),
        (F32, F32, "pad"),
        (F16, F16, "cont"),
        (F16, F32, "pad"),
    ):
        yield Case(
            "ADD1",
            f"type={ta},type_b={tb},ne={_ne(NE)},a={la}",
            lambda ta=ta, tb=tb, la=la: ops.add1(src(ta, NE, la), leaf(tb, (1,), "b")),
        )


def acc_cases() -> Iterator[Case]:
    # b added into a's window with strides (4, nb1, nb2, nb3) at byte offset
    for ane, bne, nb, off in (
        ((10, 4, 3, 1), (3, 2, 1, 1), (40, 160, 480), 8),
        ((10, 4, 3, 1), (5, 3, 2, 1), (40, 160, 480), 44),
        ((13, 7, 5, 2), (11, 5, 1, 2), (52, 364, 1820), 56),
    ):
        yield Case(
            "ACC",
            f"ne_a={_ne(ane)},ne_b={_ne(bne)},nb={list(nb)},offset={off}",
            lambda ane=ane, bne=bne, nb=nb, off=off: ops.acc(
                leaf(F32, ane), leaf(F32, bne, "b"), *nb, off
            ),
        )


def math_cases() -> Iterator[Case]:
    positive = uniform(0.05, 2.0)
    for name, fn, init in (
        ("SQR", ops.sqr, None),
        ("SQRT", ops.sqrt, positive),
        ("LOG", ops.log, positive),
        ("SIN", ops.sin, uniform(-6, 6)),
        ("COS", ops.cos, uniform(-6, 6)),
    ):
        for t, la in ((F32, "cont"), (F32, "perm"), (F32, "win"), (F16, "cont")):
            yield Case(
                name,
                f"type={t},ne={_ne(NE)},a={la}",
                lambda fn=fn, t=t, la=la: fn(src(t, NE, la)),
                init=init,
            )


def scale_cases() -> Iterator[Case]:
    # NOTE: ggml's builder takes padded rows (ggml_is_padded_1d), its CPU kernel asserts
    # ggml_is_contiguous: only contiguous sources here
    for la, s, b, inplace in (
        ("cont", 0.5, 0.0, False),
        ("cont", -1.25, 0.75, False),
        ("cont", 0.1, 0.2, True),
    ):
        yield Case(
            "SCALE",
            f"ne={_ne(NE)},s={s},b={b},a={la}" + (",inplace" if inplace else ""),
            lambda la=la, s=s, b=b, inplace=inplace: ops.scale_bias(
                src(F32, NE, la), s, b, inplace
            ),
        )


def clamp_leaky_cases() -> Iterator[Case]:
    for t, la in ((F32, "cont"), (F32, "perm"), (F16, "cont")):
        yield Case(
            "CLAMP",
            f"type={t},ne={_ne(NE)},min=-0.3,max=0.6,a={la}",
            lambda t=t, la=la: ops.clamp(ops.dup(src(t, NE, la)), -0.3, 0.6),
            exact=True,
        )
    # NOTE: ggml's CPU LEAKY_RELU walks rows as if nb[2] = ne[1]·nb[1] (no cont/perm check)
    for t, la in ((F32, "cont"), (F32, "pad"), (F16, "cont")):
        yield Case(
            "LEAKY_RELU",
            f"type={t},ne={_ne(NE)},slope=0.1,a={la}",
            lambda t=t, la=la: ops.leaky_relu(src(t, NE, la), 0.1),
        )


# -- UNARY and GLU --------------------------------------------------------------------------------

EXACT_UNARY = {UnaryOp.ABS, UnaryOp.SGN, UnaryOp.NEG, UnaryOp.STEP, UnaryOp.RELU}
F16_TABLE_UNARY = {UnaryOp.GELU, UnaryOp.GELU_QUICK}
GELU_SLOPE = 1.13  # max |d/dx| of the tanh GELU (1.129) and of x·sigmoid(1.702x) (1.100)


def unary_cases() -> Iterator[Case]:
    init = uniform(-4, 4)
    for op in UnaryOp:
        for t, la in ((F32, "cont"), (F32, "perm"), (F16, "cont"), (F16, "win")):
            yield _unary(op, t, la, init)
        yield _unary(op, F32, "cont", init, inplace=True)


def _unary(op: UnaryOp, t: GGMLType, la: str, init, inplace: bool = False) -> Case:
    def build():
        a = src(t, NE, la)
        return ops.unary(ops.dup(a) if inplace else a, op, inplace)

    desc = f"type={t},ne={_ne(NE)},a={la}" + (",inplace" if inplace else "")
    if op in F16_TABLE_UNARY and t == F32:
        return Case(
            op.value,
            desc,
            build,
            init=init,
            emulate=_emulate_f16_table,
            bound=_f16_table_bound,
            note="ggml's CPU rounds x to f16 and reads an f16 table of the function",
        )
    return Case(op.value, desc, build, exact=op in EXACT_UNARY, init=init)


def _emulate_f16_table(out: Tensor) -> Tensor:
    """f16(act(f16(x))): x rounded to f16, the activation stored as f16, as ggml's table."""
    x = out.src[0]
    x16 = ops.cpy(x, leaf(F16, x.ne, "x16"))
    return ops.unary(x16, out.op_params[0])


def _f16_table_bound(out: Tensor, res: golden.Results) -> np.ndarray:
    """|f16(act(f16(x))) − act(x)| ≤ half an f16 step of the result plus the slope times
    half an f16 step of x (plus the subnormal step and f32 arithmetic)."""
    x, y = np.abs(res[out.src[0]]), np.abs(res[out])
    return F16_HALF_ULP * (y + 2 * GELU_SLOPE * x) + F16_TINY + 4 * F32_EPS * y


def glu_cases() -> Iterator[Case]:
    ne_fused = (26, 7, 5, 2)
    init = uniform(-4, 4)
    for op in GluOp:
        for t, swapped in ((F32, False), (F32, True), (F16, False)):
            yield _glu(op, t, ne_fused, swapped, False, init)
        yield _glu(op, F32, NE, False, True, init)
        yield _glu(op, F16, NE, False, True, init)


def _glu(op: GluOp, t, ne, swapped: bool, split: bool, init) -> Case:
    def build():
        if split:
            return ops.glu(leaf(t, ne), leaf(t, ne, "g"), op)
        return ops.glu(leaf(t, ne), None, op, swapped)

    desc = f"type={t},ne={_ne(ne)}," + ("split" if split else f"swapped={int(swapped)}")
    if op is GluOp.GEGLU:
        return Case(
            op.value,
            desc,
            build,
            init=init,
            emulate=_emulate_geglu,
            bound=_geglu_bound,
            note="ggml's CPU takes the GELU from its f16 table (rounded before the product)",
        )
    return Case(op.value, desc, build, init=init)


def _glu_halves(out: Tensor) -> tuple[Tensor, Tensor]:
    a = out.src[0]
    if len(out.src) > 1 and out.src[1] is not None:
        return a, out.src[1]
    n = a.ne[0] // 2
    first = ops.view_4d(a, n, *a.ne[1:], *a.nb[1:], 0)
    second = ops.view_4d(a, n, *a.ne[1:], *a.nb[1:], n * a.nb[0])
    return (second, first) if out.op_params[1] else (first, second)


def _emulate_geglu(out: Tensor) -> Tensor:
    """f16(gelu(f16(x)))·g: the table's value, then the product in the result's type."""
    x, g = _glu_halves(out)
    x16 = x if x.type == F16 else ops.cpy(x, leaf(F16, x.ne, "x16"))
    gelu16 = ops.unary(x16, UnaryOp.GELU)
    if out.type == F16:
        return ops.mul(ops.cont(gelu16), ops.cont(g))
    return ops.mul(ops.cpy(gelu16, leaf(F32, x.ne, "gelu32")), g)


def _geglu_bound(out: Tensor, res: golden.Results) -> np.ndarray:
    """The GELU table's bound (see _f16_table_bound) times |g|, plus the f32 product."""
    a = res[out.src[0]]
    n = out.ne[0]
    if len(out.src) > 1 and out.src[1] is not None:
        vx, vg = a, res[out.src[1]]
    else:
        vx, vg = a[..., :n], a[..., n : 2 * n]
        if out.op_params[1]:
            vx, vg = vg, vx
    gelu = np.abs(golden.gelu(vx))
    step = F16_HALF_ULP * (gelu + 2 * GELU_SLOPE * np.abs(vx)) + F16_TINY
    out_step = F16_HALF_ULP if out.type == F16 else 4 * F32_EPS
    return step * np.abs(vg) + out_step * np.abs(res[out]) + (F16_TINY if out.type == F16 else 0)


# -- reductions and sorting -----------------------------------------------------------------------


def reduction_cases() -> Iterator[Case]:
    for name, fn, types in (
        ("SUM", ops.sum, (F32, F16)),
        ("SUM_ROWS", ops.sum_rows, (F32,)),  # NOTE: ggml's CPU SUM_ROWS aborts on f16
        ("MEAN", ops.mean, (F32,)),
    ):
        for t in types:
            for la in ("cont", "perm", "win"):
                yield Case(
                    name,
                    f"type={t},ne={_ne(NE)},a={la}",
                    lambda fn=fn, t=t, la=la: fn(src(t, NE, la)),
                )
    for ne in ((13, 7), (11, 5), (32, 1)):
        yield Case("ARGMAX", f"ne={_ne(ne)}", lambda ne=ne: ops.argmax(leaf(F32, ne)), exact=True)
    # NOTE: the ne[2] > 1 case reads windows of larger leafs, so that the rows ggml's buggy
    # index math reaches stay inside memory that was fed (it would read past the tensors)
    for ne, la in (((13, 7, 1, 1), "cont"), ((11, 5, 1, 1), "perm"), ((13, 3, 2, 1), "win")):
        yield Case(
            "COUNT_EQUAL",
            f"ne={_ne(ne)},a={la}",
            lambda ne=ne, la=la: ops.count_equal(src(I32, ne, la), src(I32, ne, la, "b")),
            exact=True,
            init=lambda t, rng: rng.integers(0, 3, t.nelements),
            ggml_bug=COUNT_EQUAL_BUG if ne[2] * ne[3] > 1 else "",
        )
    for order in SortOrder:
        for ne, la in ((NE, "cont"), ((11, 5, 3, 1), "pad"), ((5, 7, 1, 1), "win")):
            yield Case(
                "ARGSORT",
                f"ne={_ne(ne)},order={order.name},a={la}",
                lambda ne=ne, la=la, order=order: ops.argsort(src(F32, ne, la), order),
                exact=True,
            )


# -- shape and copies -----------------------------------------------------------------------------


def shape_cases() -> Iterator[Case]:
    for t in (F32, F16):
        for a_ne, la in (((13, 1, 5, 1), "cont"), ((1, 7, 1, 2), "cont"), ((13, 7, 5, 1), "perm")):
            yield Case(
                "REPEAT",
                f"type={t},ne={_ne(a_ne)},to={_ne(NE)},a={la}",
                lambda t=t, a_ne=a_ne, la=la: ops.repeat(src(t, a_ne, la), leaf(t, NE, "shape")),
                exact=True,
            )
    for t in (F32, F16, I32):
        for dim in range(4):
            yield _concat(t, dim, "cont")
    yield _concat(F32, 1, "perm")
    yield _concat(F32, 2, "T")
    for pads, la in (((1, 2, 0, 1), "cont"), ((3, 0, 2, 0), "perm")):
        yield Case(
            "PAD",
            f"ne={_ne(NE)},pad={list(pads)},a={la}",
            lambda pads=pads, la=la: ops.pad(src(F32, NE, la), *pads),
            exact=True,
        )
    yield Case(
        "PAD",
        f"ne={_ne(NE)},pad_ext=[1,2,0,1,2,0,0,1]",
        lambda: ops.pad_ext(leaf(F32, NE), 1, 2, 0, 1, 2, 0, 0, 1),
        exact=True,
    )


def _concat(t: GGMLType, dim: int, la: str) -> Case:
    def build():
        bne = list(NE)
        bne[dim] = 3
        return ops.concat(src(t, NE, la), src(t, bne, la, "b"), dim)

    return Case("CONCAT", f"type={t},ne={_ne(NE)},dim={dim},a={la}", build, exact=True)


# NOTE: no quantized -> f16 nor q8_0 <-> q4_0: ggml's CPU aborts on them
COPY_TYPES = (
    (F32, F32),
    (F32, F16),
    (F16, F32),
    (F16, F16),
    (Q8_0, Q8_0),
    (Q4_0, Q4_0),
    (Q8_0, F32),
    (Q4_0, F32),
    (I32, I32),
)


def copy_cases() -> Iterator[Case]:
    ne = (32, 7, 5, 2)
    for ta, tb in COPY_TYPES:
        layouts = ("cont", "perm", "win") if ta.traits.is_quantized else ("cont", "perm", "T")
        for la in layouts:
            yield Case(
                "CPY",
                f"type_src={ta},type_dst={tb},ne={_ne(ne)},src={la}",
                lambda ta=ta, tb=tb, la=la: ops.cpy(src(ta, ne, la), leaf(tb, ne, "dst")),
                exact=True,
            )
    for ta in (F32, F16):
        for tb in (Q8_0, Q4_0):
            for la in ("cont", "perm", "win"):  # NOTE: ggml quantizes packed source rows only
                yield _cpy_quantize(ta, tb, la, 150.0)
        yield _cpy_quantize(ta, Q8_0, "cont", 1.0, ties=True)
    for la in ("perm", "T"):  # into a non-contiguous destination
        yield Case(
            "CPY",
            f"type_src=f32,type_dst=f32,ne={_ne(NE)},dst={la}",
            lambda la=la: ops.cpy(leaf(F32, NE), src(F32, NE, la, "dst")),
            exact=True,
        )
    for t in (F32, F16, Q8_0):
        for la in ("perm", "T", "win") if t != Q8_0 else ("perm", "win"):
            ne_ = ne if t == Q8_0 else NE
            for name, fn in (("DUP", ops.dup), ("CONT", ops.cont)):
                yield Case(
                    name,
                    f"type={t},ne={_ne(ne_)},a={la}",
                    lambda fn=fn, t=t, la=la, ne_=ne_: fn(src(t, ne_, la)),
                    exact=True,
                )
    yield Case(
        "CONT",
        f"ne={_ne(NE)},a=T,to=[7,65,2,1]",
        lambda: ops.cont_4d(src(F32, NE, "T"), 7, 65, 2, 1),
        exact=True,
    )


def _cpy_quantize(ta: GGMLType, tb: GGMLType, la: str, amp: float, ties=False) -> Case:
    ne = (64, 7, 3, 1)
    values = "ties" if ties else f"[-{amp:g},{amp:g}]"
    return Case(
        "CPY",
        f"type_src={ta},type_dst={tb},ne={_ne(ne)},src={la},values={values}",
        lambda: ops.cpy(src(ta, ne, la), leaf(tb, ne, "dst")),
        init=_q8_0_ties if ties else uniform(-amp, amp),
        **_quantizing(tb),
    )


def _quantizing(t: GGMLType) -> dict:
    """How to check a write that quantizes to t with ggml's CPU from_float.

    Q4_0's is the reference quantizer: bytes equal. Q8_0's is the SIMD quantize_row_q8_0,
    which rounds halves to even (the reference rounds them away from zero) and scales by
    127/amax rather than 1/d: at ties it lands one step off, so the check is one Q8_0 step.
    """
    if t != Q8_0:
        return {"exact": True}
    return {
        "bound": _q8_0_step,
        "note": "ggml's CPU quantizes with its SIMD quantize_row_q8_0 (ties to even)",
    }


def _q8_0_ties(t: Tensor, rng: np.random.Generator) -> np.ndarray:
    """Blocks whose max is 127/128 (d = 1/128) and whose other values are (k + 0.5)/128:
    every x/d is a tie, rounded away from zero by the reference, to even by ggml's SIMD."""
    x = (rng.integers(-126, 126, (t.nelements // 32, 32)) + 0.5) / 128
    x[:, 0] = 127 / 128
    return x.reshape(-1)


def _q8_0_step(out: Tensor, res: golden.Results) -> np.ndarray:
    """One quantization step per block: d = max|block| / 127 of the stored (golden) values,
    with a 1e-3 relative margin for the scale's f16 rounding."""
    v = np.abs(res[out])
    blocks = v.reshape(*v.shape[:-1], -1, 32)
    d = blocks.max(axis=-1, keepdims=True) / 127 * (1 + 1e-3)
    return np.broadcast_to(d, blocks.shape).reshape(v.shape)


def view_cases() -> Iterator[Case]:
    for t in (F32, F16, Q8_0):
        ne = (32, 7, 5, 2) if t == Q8_0 else NE
        a = lambda t=t, ne=ne: leaf(t, ne)  # noqa: E731
        yield Case(
            "RESHAPE",
            f"type={t},ne={_ne(ne)},to=[{ne[0]},35,2]",
            lambda a=a, ne=ne: ops.reshape_3d(a(), ne[0], 35, 2),
            exact=True,
        )
        yield Case(
            "PERMUTE",
            f"type={t},ne={_ne(ne)},axes=[0,2,3,1]",
            lambda a=a: ops.permute(a(), 0, 2, 3, 1),
            exact=True,
        )
        yield Case("VIEW", f"type={t},ne={_ne(ne)},window", lambda a=a: _window(a()), exact=True)
        if t != Q8_0:
            yield Case(
                "TRANSPOSE", f"type={t},ne={_ne(ne)}", lambda a=a: ops.transpose(a()), exact=True
            )
            yield Case(
                "PERMUTE",
                f"type={t},ne={_ne(ne)},axes=[2,0,3,1]",
                lambda a=a: ops.permute(a(), 2, 0, 3, 1),
                exact=True,
            )


def _window(a: Tensor) -> Tensor:
    blck = a.traits.blck_size
    return ops.view_3d(
        a, a.ne[0] - blck if blck > 1 else a.ne[0] - 2, 4, 3, a.nb[1], a.nb[2], a.nb[1] + a.nb[2]
    )


# -- normalization --------------------------------------------------------------------------------


def norm_cases() -> Iterator[Case]:
    for name, fn, eps in (
        ("NORM", ops.norm, 1e-5),
        ("RMS_NORM", ops.rms_norm, 1e-6),
        ("L2_NORM", ops.l2_norm, 1e-12),
    ):
        for la in ("cont", "perm", "win"):
            yield Case(
                name,
                f"ne={_ne(NE)},eps={eps},a={la}",
                lambda fn=fn, eps=eps, la=la: fn(src(F32, NE, la), eps),
            )
        yield Case(
            name,
            f"ne={_ne(NE)},eps={eps},inplace",
            lambda fn=fn, eps=eps: fn(ops.dup(leaf(F32, NE)), eps, inplace=True),
        )
    for ne, groups in (((13, 7, 6, 2), 2), ((13, 7, 6, 1), 4), ((5, 3, 7, 1), 7)):
        yield Case(
            "GROUP_NORM",
            f"ne={_ne(ne)},n_groups={groups}",
            lambda ne=ne, groups=groups: ops.group_norm(leaf(F32, ne), groups, 1e-6),
        )


# -- matrix products ------------------------------------------------------------------------------


def mul_mat_cases() -> Iterator[Case]:
    for ta in (F32, F16, Q8_0, Q4_0):
        for k, m, n, bs, la, lb in (
            (64, 11, 7, (1, 1), "cont", "cont"),
            (64, 13, 1, (1, 1), "cont", "cont"),
            (64, 5, 7, (2, 1), "cont", "perm"),
            (64, 7, 5, (1, 2), "perm", "cont"),
            (96, 11, 13, (1, 1), "win", "win"),
        ):
            yield _mul_mat(ta, F32, k, m, n, bs, la, lb)
    for k in (13, 64):  # f16 × f16: no conversion
        yield _mul_mat(F16, F16, k, 11, 7, (1, 1), "cont", "cont")
    yield _mul_mat(F32, F32, 13, 7, 5, (1, 1), "win", "pad")


def _mul_mat(ta, tb, k, m, n, bs, la, lb) -> Case:
    """a: [k, m, 2, 1] (broadcast over b's dims 2, 3 = [2*bs0, bs1]); b: [k, n, 2*bs0, bs1]."""

    def build():
        return ops.mul_mat(src(ta, (k, m, 2, 1), la), src(tb, (k, n, 2 * bs[0], bs[1]), lb, "b"))

    desc = f"type_a={ta},type_b={tb},m={m},n={n},k={k},bs={list(bs)},a={la},b={lb}"
    vdt = {F16: F16, Q8_0: Q8_0, Q4_0: Q8_0}.get(ta)
    if vdt is None or tb == vdt:
        return Case("MUL_MAT", desc, build)
    return Case(
        "MUL_MAT",
        desc,
        build,
        emulate=lambda out: _emulate_mul_mat(out, vdt),
        bound=lambda out, res: _mul_mat_bound(out, res, vdt),
        note=f"ggml's CPU converts src1 to {vdt} (the vec_dot type of {ta}) before the dot",
    )


def _emulate_mul_mat(out: Tensor, vdt: GGMLType) -> Tensor:
    a, b = out.src
    b_conv = ops.cpy(b, leaf(vdt, b.ne, "b_conv"))
    return ops.mul_mat(a, ops.cpy(b_conv, leaf(F32, b.ne, "b_back")))


def _mul_mat_bound(out: Tensor, res: golden.Results, vdt: GGMLType) -> np.ndarray:
    """Σ_k |a_ik|·E_jk + γ·Σ_k |a_ik|(|b_jk| + E_jk), where E bounds src1's conversion error
    element-wise and γ = n·2⁻²⁴/(1 − n·2⁻²⁴) bounds f32 accumulation over n = k + 4 terms.

    E for f16: half an f16 step, 2⁻¹¹|b| + 2⁻²⁵. E for Q8_0: 0.57·d per block with
    d = max|b|/127: half a quantization step (0.5·d) plus 127·|d − f16(d)| ≤ 127·2⁻¹¹·d."""
    a, b = np.abs(res[out.src[0]]), np.abs(res[out.src[1]])
    if vdt == F16:
        err = F16_HALF_ULP * b + F16_TINY
    else:
        blocks = b.reshape(*b.shape[:-1], -1, 32)
        d = blocks.max(axis=-1, keepdims=True) / 127
        err = np.broadcast_to(0.57 * d, blocks.shape).reshape(b.shape)
    n = out.src[0].ne[0] + 4
    gamma = n * F32_EPS / (1 - n * F32_EPS)
    return golden.mul_mat(out, a, err) + gamma * golden.mul_mat(out, a, b + err)


def out_prod_cases() -> Iterator[Case]:
    for ta in (F32, F16, Q8_0, Q4_0):
        m = 32 if ta.traits.is_quantized else 7
        # NOTE: ggml's CPU broadcasts an f32 src0 only (supports_op says no for the others)
        for k, n, bs in ((13, 5, (1, 1)), (11, 3, (2, 2)) if ta == F32 else (11, 3, (1, 1))):
            yield Case(
                "OUT_PROD",
                f"type_a={ta},m={m},n={n},k={k},bs={list(bs)}",
                lambda ta=ta, m=m, k=k, n=n, bs=bs: ops.out_prod(
                    leaf(ta, (m, k, 1, 1)), leaf(F32, (n, k, bs[0], bs[1]), "b")
                ),
            )


# -- indexing -------------------------------------------------------------------------------------


def get_rows_cases() -> Iterator[Case]:
    for t in (F32, F16, Q8_0, Q4_0, I32):
        ne0 = 32 if t.traits.is_quantized else 13
        yield _get_rows(t, (ne0, 9, 1, 1), (5, 1, 1))
        yield _get_rows(t, (ne0, 9, 3, 2), (4, 3, 2))


def _get_rows(t, ane, bne) -> Case:
    def init(x: Tensor, rng):
        if x.type == I32 and x.name == "ids":
            return rng.integers(0, ane[1], x.nelements)
        if x.type == I32:
            return rng.integers(-1000, 1000, x.nelements)
        from .crosscheck import default_init

        return default_init(x, rng)

    return Case(
        "GET_ROWS",
        f"type={t},ne={_ne(ane)},ids={_ne(bne)}",
        lambda: ops.get_rows(leaf(t, ane), leaf(I32, bne, "ids")),
        exact=True,
        init=init,
    )


def set_rows_cases() -> Iterator[Case]:
    for t in (F32, F16, Q8_0, Q4_0):
        ne0 = 32 if t.traits.is_quantized else 13
        for it in (I64, I32):
            yield _set_rows(t, it, (ne0, 10, 1, 1), (ne0, 3, 1, 1), (3, 1, 1))
        yield _set_rows(t, I64, (ne0, 10, 3, 2), (ne0, 4, 3, 2), (4, 1, 2))


def _set_rows(t, it, ane, bne, cne) -> Case:
    def init(x: Tensor, rng):
        if x.name == "ids":  # distinct rows per (i2, i3): the order of duplicate writes is open
            n = x.ne[0]
            return np.concatenate([rng.permutation(ane[1])[:n] for _ in range(x.nrows)])
        return rng.uniform(-1, 1, x.nelements)

    return Case(
        "SET_ROWS",
        f"type={t},ids={it},ne={_ne(ane)},rows={_ne(bne)},ids_ne={_ne(cne)}",
        lambda: ops.set_rows(leaf(t, ane, "dst"), leaf(F32, bne, "rows"), leaf(it, cne, "ids")),
        init=init,
        **_quantizing(t),
    )


# -- attention ------------------------------------------------------------------------------------


def diag_mask_cases() -> Iterator[Case]:
    for ne, n_past, inplace in (
        ((7, 7, 3, 1), 0, False),
        ((11, 5, 2, 2), 3, False),
        ((7, 7, 3, 1), 1, True),
    ):
        yield Case(
            "DIAG_MASK_INF",
            f"ne={_ne(ne)},n_past={n_past}" + (",inplace" if inplace else ""),
            lambda ne=ne, n_past=n_past, inplace=inplace: ops.diag_mask_inf(
                ops.dup(leaf(F32, ne)) if inplace else leaf(F32, ne), n_past, inplace
            ),
            exact=True,
        )


def _mask_init(x: Tensor, rng: np.random.Generator) -> np.ndarray:
    v = rng.uniform(-1, 1, x.nelements)
    if x.name == "mask":  # some masked positions, never a whole row
        v[rng.random(x.nelements) < 0.2] = -np.inf
        v.reshape(-1, x.ne[0])[:, 0] = 0.0
    return v * (3.0 if x.name != "mask" else 1.0)


def soft_max_cases() -> Iterator[Case]:
    ne = (12, 5, 4, 2)
    for mt, mne, scale, max_bias in (
        (None, None, 1.0, 0.0),
        (None, None, 0.5, 0.0),
        (F32, (12, 8, 1, 1), 0.5, 0.0),
        (F16, (12, 5, 1, 1), 1.0, 0.0),
        (F16, (12, 8, 4, 2), 0.25, 0.0),
        (F32, (12, 5, 1, 1), 1.0, 8.0),
        (F16, (12, 8, 2, 1), 0.5, 4.0),
    ):
        yield _soft_max(ne, mt, mne, scale, max_bias, inplace=False)
    yield _soft_max(ne, F32, (12, 5, 1, 1), 0.5, 0.0, inplace=True)


def _soft_max(ne, mt, mne, scale, max_bias, inplace) -> Case:
    def build():
        a = ops.dup(leaf(F32, ne)) if inplace else leaf(F32, ne)
        mask = leaf(mt, mne, "mask") if mt is not None else None
        return ops.soft_max_ext(a, mask, scale, max_bias, inplace)

    desc = f"ne={_ne(ne)},mask={mt},mask_ne={_ne(mne) if mne else None}"
    desc += f",scale={scale},max_bias={max_bias}" + (",inplace" if inplace else "")
    return Case("SOFT_MAX", desc, build, init=_mask_init)


def rope_cases() -> Iterator[Case]:
    for t in (F32, F16):
        for mode in RopeMode:
            yield _rope(t, mode, (16, 3, 5, 1), 16, {})
            yield _rope(t, mode, (20, 2, 7, 1), 12, {"freq_base": 500.0, "freq_scale": 0.5})
    yield _rope(
        F32,
        RopeMode.NORMAL,
        (16, 3, 5, 1),
        16,
        {
            "n_ctx_orig": 32,
            "ext_factor": 1.0,
            "attn_factor": 0.9,
            "beta_fast": 32.0,
            "beta_slow": 1.0,
            "freq_scale": 0.25,
        },
    )
    yield _rope(F32, RopeMode.NEOX, (16, 3, 5, 1), 16, {}, freq_factors=True)
    yield _rope(F32, RopeMode.NEOX, (16, 3, 5, 1), 16, {}, inplace=True)


def _rope(t, mode, ne, n_dims, kw, freq_factors=False, inplace=False) -> Case:
    def build():
        a = ops.dup(leaf(t, ne)) if inplace else leaf(t, ne)
        c = leaf(F32, (n_dims // 2,), "ff") if freq_factors else None
        return ops.rope_ext(a, leaf(I32, (ne[2],), "pos"), c, n_dims, mode, inplace=inplace, **kw)

    def init(x: Tensor, rng):
        if x.name == "pos":
            return rng.integers(0, 100, x.nelements)
        if x.name == "ff":
            return rng.uniform(1.0, 4.0, x.nelements)
        return rng.uniform(-1, 1, x.nelements)

    desc = f"type={t},mode={mode.name},ne={_ne(ne)},n_dims={n_dims}"
    desc += "".join(f",{k}={v}" for k, v in kw.items())
    desc += (",freq_factors" if freq_factors else "") + (",inplace" if inplace else "")
    return Case("ROPE", desc, build, init=init)


# -- all ------------------------------------------------------------------------------------------

GENERATORS = (
    binary_cases,
    add1_cases,
    acc_cases,
    math_cases,
    scale_cases,
    clamp_leaky_cases,
    unary_cases,
    glu_cases,
    reduction_cases,
    shape_cases,
    copy_cases,
    view_cases,
    norm_cases,
    mul_mat_cases,
    out_prod_cases,
    get_rows_cases,
    set_rows_cases,
    diag_mask_cases,
    soft_max_cases,
    rope_cases,
)


def all_cases() -> list[Case]:
    return [c for gen in GENERATORS for c in gen()]


def ops_covered() -> set[str]:
    return {c.op for c in all_cases()}
