"""The numpy golden: what each ggsched op computes, on ggml's byte-level memory model.

``evaluate(graph, feeds)`` runs a graph the way ggml does: every non-view tensor (a root) owns
its own contiguous bytes, a view reads and writes those bytes through its (type, ne, nb,
view_offs), and each node writes its result into its own layout. So CPY, SET_ROWS, CLAMP and
the in-place ops write into another tensor's memory, exactly as in ggml.

Each op is one small function named after it, ``fn(t, *src_values) -> values``, collected in
``GOLDEN``. Sources arrive as numpy arrays of shape ``src.shape`` (ne reversed): float64 for
float and quantized types (the values as stored), the integer dtype for integer types. Results
are computed in float64 and rounded to the node's type when stored.

Where ggml's CPU result is an approximation, the golden uses the exact definition:

- GELU: ggml's CPU rounds x to f16 and reads an f16 table of the tanh formula (and returns 0
  for x <= -10, x for x >= 10); the golden uses the tanh formula
  ``0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2)))`` in float64. GEGLU likewise.
- GELU_QUICK: ggml's CPU also goes through an f16 table; the golden uses ``x sigmoid(1.702 x)``.
- GELU_ERF: exact, ``0.5 x (1 + erf(x / sqrt(2)))``, as in ggml.
- MUL_MAT with an f16 or quantized src0: ggml's CPU converts src1 to f16 / Q8_0 first; the
  golden multiplies the stored src0 values by the unconverted src1 values in float64.
- SOFT_MAX, NORM, RMS_NORM, GROUP_NORM, L2_NORM, SUM, MEAN: float64 throughout.
- ROPE: the angles follow ggml's float32 recurrence (theta_i = p * theta_scale^i by repeated
  float32 multiplication, since position x frequency amplifies rounding); the rotation, and
  YaRN's ramp and magnitude scaling, are float64.
- ARGSORT: ggml's std::sort leaves the order of equal values unspecified; the golden sorts
  stably (ties keep index order, for ASC and DESC).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from . import layout, quants
from .checks import require_graph
from .errors import GraphError, OpParamError, TypeMismatchError, UnsupportedOpError
from .graph import Graph
from .op import GluOp, Op, RopeMode, SortOrder, UnaryOp
from .tensor import Tensor
from .types import TYPE_TRAITS

GoldenFn = Callable[..., "np.ndarray | RowWrite | None"]


@dataclass
class RowWrite:
    """A result that replaces only some rows of its tensor (SET_ROWS): ``rows`` is a bool mask
    shaped (ne3, ne2, ne1); other rows keep their bytes (no requantization)."""

    values: np.ndarray
    rows: np.ndarray


# -- memory --------------------------------------------------------------------------------------


def _as_values(t: Tensor, v: np.ndarray) -> np.ndarray:
    """Values as the golden sees them: float64 for float and quantized types."""
    return v.astype(np.float64) if TYPE_TRAITS[t.type].is_float else v


def _decode(t: Tensor, raw: np.ndarray) -> np.ndarray:
    """t's values from its packed bytes (as ``Results.raw`` returns them)."""
    tr = TYPE_TRAITS[t.type]
    if tr.is_quantized:
        rows = raw.reshape(t.ne[3], t.ne[2], t.ne[1], t.row_bytes)
        return quants.dequantize(t.type, rows).astype(np.float64)
    return _as_values(t, np.frombuffer(raw.tobytes(), dtype=tr.dtype).reshape(t.shape))


class _Memory:
    """One zero-initialised uint8 buffer per root tensor; views go through their layout."""

    def __init__(self) -> None:
        self._buffers: dict[Tensor, np.ndarray] = {}

    def buffer(self, t: Tensor) -> np.ndarray:
        root = t.root
        buf = self._buffers.get(root)
        if buf is None:
            buf = self._buffers[root] = np.zeros(root.nbytes, dtype=np.uint8)
        return buf

    def _at(self, t: Tensor) -> tuple:
        offs = t.view_offs if t.view_src is not None else 0
        return (self.buffer(t), t.type, t.ne, t.nb, offs)

    def read(self, t: Tensor) -> np.ndarray:
        return _as_values(t, layout.read_values(*self._at(t)))

    def raw(self, t: Tensor) -> np.ndarray:
        return layout.packed_bytes(*self._at(t))

    def write(self, t: Tensor, values) -> None:
        if isinstance(values, RowWrite):
            layout.write_rows(*self._at(t), values.values, values.rows)
        else:
            layout.write_values(*self._at(t), values)

    def write_raw(self, t: Tensor, raw: np.ndarray) -> None:
        layout.write_packed_bytes(*self._at(t), raw)


# -- results -------------------------------------------------------------------------------------


class Results(Mapping):
    """The value of every tensor of an evaluated graph.

    ``results[t]`` is t's value right after t was computed (a node) or fed (an input), shape
    ``t.shape``: float64 for float and quantized types (the stored values, rounded to the
    type), the integer dtype for integer types. ``raw(t)`` is the same moment's bytes, packed
    contiguously. ``final(t)`` reads t's layout at the end of the graph, after later nodes
    (in-place ops, CPY, SET_ROWS) may have written over its memory.
    """

    def __init__(self, memory: _Memory) -> None:
        self._memory = memory
        self._raw: dict[Tensor, np.ndarray] = {}

    def _snapshot(self, t: Tensor) -> None:
        self._raw[t] = self._memory.raw(t)

    def __getitem__(self, t: Tensor) -> np.ndarray:
        return _decode(t, self.raw(t))

    def raw(self, t: Tensor) -> np.ndarray:
        try:
            return self._raw[t].copy()
        except KeyError:
            raise KeyError(f"{t.describe()} is not a tensor of the evaluated graph") from None

    def final(self, t: Tensor) -> np.ndarray:
        if t not in self._raw:
            raise KeyError(f"{t.describe()} is not a tensor of the evaluated graph")
        return self._memory.read(t)

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, t: object) -> bool:
        return t in self._raw


# -- evaluation ----------------------------------------------------------------------------------


def evaluate(graph: Graph, feeds: Mapping[Tensor, object]) -> Results:
    """Run ``graph`` in numpy; ``feeds`` gives the value of every leaf.

    A feed for a plain type is any array of t.nelements values (cast to the type); for a
    quantized type, float values (quantized) or the raw bytes (uint8, t.nbytes of them).
    A graph view's sources that come from outside it need feeds too.
    """
    require_graph(graph, "evaluate")
    inputs = _inputs(graph)
    _check_feeds(feeds, graph)
    memory = _Memory()
    results = Results(memory)
    missing = [t for t in inputs if t not in feeds]
    if missing:
        raise GraphError(
            f"evaluate: no feed for input {missing[0].describe()}; every leaf needs a value "
            f"({len(missing)} of {len(inputs)} inputs lack one)"
        )
    with np.errstate(all="ignore"):  # inf and nan are values here, as in ggml
        for t in inputs:
            _feed(memory, t, feeds[t])
            results._snapshot(t)
        for node in graph.nodes:
            if node.op is not Op.NONE:
                _compute(memory, node)
                results._snapshot(node)
    return results


def _inputs(graph: Graph) -> list[Tensor]:
    """Leafs, op-NONE nodes (PARAM), and sources computed outside the graph (graph views)."""
    computed = {t for t in graph.nodes if t.op is not Op.NONE}
    inputs = dict.fromkeys(graph.leafs)
    inputs.update(dict.fromkeys(t for t in graph.nodes if t.op is Op.NONE))
    for node in graph.nodes:
        for s in node.sources:
            if s not in computed:
                inputs.setdefault(s)
    return list(inputs)


def _check_feeds(feeds: Mapping[Tensor, object], graph: Graph) -> None:
    """Feeds are keyed by Tensor. Feeds for tensors outside the graph are ignored (one dict can
    feed several graphs), but a feed for a node the graph computes would be silently lost."""
    if not isinstance(feeds, Mapping):
        raise GraphError(f"evaluate: feeds must be a mapping {{leaf: values}}, got "
                         f"{type(feeds).__name__}")
    computed = {id(t) for t in graph.nodes if t.op is not Op.NONE}
    for t in feeds:
        if not isinstance(t, Tensor):
            raise GraphError(f"evaluate: feeds are keyed by Tensor, got {t!r}")
        if id(t) in computed:
            raise GraphError(f"evaluate: a feed for {t.describe()}, which the graph computes "
                             f"({t.op_desc}); only leafs take values")


def _feed(memory: _Memory, t: Tensor, value) -> None:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeMismatchError(
            f"evaluate: the feed for {t.describe()} has dtype {arr.dtype}; expected numbers"
        )
    if t.traits.is_quantized and arr.dtype == np.uint8 and arr.size == t.nbytes:
        memory.write_raw(t, arr.reshape(-1))
        return
    if arr.size != t.nelements:
        raise GraphError(
            f"evaluate: the feed for {t.describe()} has {arr.size} values (shape "
            f"{arr.shape}), expected {t.nelements}"
            + (f" values or {t.nbytes} raw bytes" if t.traits.is_quantized else "")
        )
    memory.write(t, arr.reshape(t.shape))


def golden_for(t: Tensor) -> GoldenFn:
    """The golden function computing node t (UNARY and GLU by their sub-op)."""
    table: Mapping = GOLDEN
    key: object = t.op
    if t.op is Op.UNARY:
        table, key = UNARY_GOLDEN, t.op_params[0]
    elif t.op is Op.GLU:
        table, key = GLU_ACTIVATIONS, t.op_params[0]
    try:
        fn = table[key]
    except (KeyError, IndexError):
        known = ", ".join(sorted(str(k) for k in table))
        raise UnsupportedOpError(
            f"golden: no golden for {t.op_desc} ({t.describe()}); available: {known}"
        ) from None
    return glu if t.op is Op.GLU else fn


_COPY_OPS = (Op.DUP, Op.CONT, Op.CPY)


def _compute(memory: _Memory, node: Tensor) -> None:
    fn = golden_for(node)
    src0 = node.src[0] if node.src else None
    if node.op in _COPY_OPS and src0.type == node.type and node.traits.is_quantized:
        # NOTE: a same-type copy moves blocks byte for byte (ggml's dup_bytes); going through
        # values would requantize blocks that did not come from ggml's quantizer
        memory.write_raw(node, memory.raw(src0))
        return
    srcs = [memory.read(s) if s is not None else None for s in node.src]
    out = fn(node, *srcs)
    if out is not None:
        memory.write(node, out)


# -- helpers -------------------------------------------------------------------------------------


def _tile_to(b: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """b repeated along every axis to ``shape`` (ggml_repeat; b's ne divide shape's)."""
    return np.tile(b, tuple(n // m for n, m in zip(shape, b.shape)))


def _spread_to(a: np.ndarray, lead: tuple[int, int]) -> np.ndarray:
    """a's dims 3, 2 (numpy axes 0, 1) broadcast as MUL_MAT does: a's i02 = i12 / (ne12/ne02)."""
    a = np.repeat(a, lead[0] // a.shape[0], axis=0)
    return np.repeat(a, lead[1] // a.shape[1], axis=1)


def _where_c_max(x, lo):
    """C's MAX(x, lo) = x > lo ? x : lo (NaN gives lo)."""
    return np.where(x > lo, x, lo)


def _where_c_min(x, hi):
    """C's MIN(x, hi) = x < hi ? x : hi (NaN gives hi)."""
    return np.where(x < hi, x, hi)


def _elementwise(fn: Callable[[np.ndarray], np.ndarray], name: str) -> GoldenFn:
    def golden(t: Tensor, a: np.ndarray) -> np.ndarray:
        return fn(a)

    golden.__name__ = golden.__qualname__ = name
    golden.__doc__ = f"{name.upper()}: numpy's {getattr(fn, '__name__', fn)}."
    return golden


def _no_compute(t: Tensor, *srcs) -> None:
    """View ops: t reads its source's bytes through its own layout; nothing is computed."""
    return None


# -- element-wise --------------------------------------------------------------------------------


def dup(t: Tensor, a: np.ndarray, *_) -> np.ndarray:
    """DUP/CONT/CPY: a's elements in ggml's flat order (ne0 fastest), laid out as t."""
    return a.reshape(t.shape)


cont = dup


def cpy(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a's values written into b's memory in b's type (quantized rows are quantized)."""
    return dup(t, a)


def _binary(fn, name: str) -> GoldenFn:
    def golden(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return fn(a, _tile_to(b, a.shape))

    golden.__name__ = golden.__qualname__ = name
    golden.__doc__ = f"{name.upper()}: a {fn.__name__} b, b repeated to a's ne (ggml_can_repeat)."
    return golden


add = _binary(np.add, "add")
sub = _binary(np.subtract, "sub")
mul = _binary(np.multiply, "mul")
div = _binary(np.divide, "div")


def add1(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b.reshape(-1)[0]


def acc(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a, plus b added into the f32 view of a with strides (4, nb1, nb2, nb3) at offset."""
    nb1, nb2, nb3, offset = t.op_params[:4]
    out = a.copy().reshape(-1)
    scale = out.itemsize // 4  # op_params count f32 bytes; out holds float64
    region = np.lib.stride_tricks.as_strided(
        out[offset // 4 :],
        shape=b.shape,
        strides=(nb3 * scale, nb2 * scale, nb1 * scale, out.itemsize),
        writeable=True,
    )
    region += b
    return out.reshape(a.shape)


sqr = _elementwise(np.square, "sqr")
sqrt = _elementwise(np.sqrt, "sqrt")
log = _elementwise(np.log, "log")
sin = _elementwise(np.sin, "sin")
cos = _elementwise(np.cos, "cos")


def scale(t: Tensor, a: np.ndarray) -> np.ndarray:
    """a * s + b (ggml_scale_bias; ggml_scale has b = 0)."""
    s, b = t.op_params[:2]
    return a * s + b


def clamp(t: Tensor, a: np.ndarray) -> np.ndarray:
    """MAX(MIN(a, max), min) as ggml writes it (a NaN becomes max)."""
    lo, hi = t.op_params[:2]
    return _where_c_max(_where_c_min(a, hi), lo)


def leaky_relu(t: Tensor, a: np.ndarray) -> np.ndarray:
    (slope,) = t.op_params[:1]
    return np.where(a > 0, a, 0.0) + slope * np.where(a < 0, a, 0.0)


# -- UNARY and GLU -------------------------------------------------------------------------------

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def sgn(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0))


def step(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, 1.0, 0.0)


def relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 0.0)


def elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(x))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def gelu(x: np.ndarray) -> np.ndarray:
    """The tanh GELU, exact. NOTE: ggml's CPU looks x up, rounded to f16, in an f16 table of
    this formula (0 below -10, x above 10): expect f16-sized differences from real ggml."""
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * x * (1.0 + 0.044715 * x * x)))


def gelu_erf(x: np.ndarray) -> np.ndarray:
    """0.5 x (1 + erf(x / sqrt 2)): exact, as ggml computes it."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def gelu_quick(x: np.ndarray) -> np.ndarray:
    """x sigmoid(1.702 x), exact. NOTE: ggml's CPU goes through an f16 table of it."""
    return x * (1.0 / (1.0 + np.exp(-1.702 * x)))


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def hardsigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, np.maximum(0.0, (x + 3.0) / 6.0))


def hardswish(x: np.ndarray) -> np.ndarray:
    return x * hardsigmoid(x)


UNARY_ACTIVATIONS: dict[UnaryOp, Callable[[np.ndarray], np.ndarray]] = {
    UnaryOp.ABS: np.abs,
    UnaryOp.SGN: sgn,
    UnaryOp.NEG: np.negative,
    UnaryOp.STEP: step,
    UnaryOp.TANH: np.tanh,
    UnaryOp.ELU: elu,
    UnaryOp.RELU: relu,
    UnaryOp.SIGMOID: sigmoid,
    UnaryOp.GELU: gelu,
    UnaryOp.GELU_QUICK: gelu_quick,
    UnaryOp.SILU: silu,
    UnaryOp.HARDSWISH: hardswish,
    UnaryOp.HARDSIGMOID: hardsigmoid,
    UnaryOp.EXP: np.exp,
    UnaryOp.GELU_ERF: gelu_erf,
}

UNARY_GOLDEN: dict[UnaryOp, GoldenFn] = {
    op: _elementwise(fn, op.name.lower()) for op, fn in UNARY_ACTIVATIONS.items()
}


def unary(t: Tensor, a: np.ndarray) -> np.ndarray:
    """UNARY: the sub-op in op_params[0] applied element-wise."""
    return golden_for(t)(t, a)


GLU_ACTIVATIONS: dict[GluOp, Callable[[np.ndarray], np.ndarray]] = {
    GluOp.REGLU: relu,
    GluOp.GEGLU: gelu,
    GluOp.SWIGLU: silu,
}


def glu(t: Tensor, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """act(x) * g. Fused (no b): x = the first half of each row of a, g = the second half,
    exchanged when op_params[1] (swapped) is set. Split: x = a, g = b."""
    op, swapped = t.op_params[:2]
    if b is None:
        n = a.shape[-1] // 2
        x, b = a[..., :n], a[..., n : 2 * n]
        if swapped:
            x, b = b, x
    else:
        x = a
    return GLU_ACTIVATIONS[op](x) * b


# -- reductions ----------------------------------------------------------------------------------


def sum(t: Tensor, a: np.ndarray) -> np.ndarray:  # noqa: A001 - ggml's name
    return np.asarray([a.sum()])


def sum_rows(t: Tensor, a: np.ndarray) -> np.ndarray:
    return a.sum(axis=-1, keepdims=True)


def mean(t: Tensor, a: np.ndarray) -> np.ndarray:
    return a.mean(axis=-1, keepdims=True)


def argmax(t: Tensor, a: np.ndarray) -> np.ndarray:
    """Index of each row's maximum. NOTE: ggml's loop keeps the LAST index among equal
    maxima (it updates on ``max == x[i]``), so ties give the last one here too."""
    last = a.shape[-1] - 1 - np.argmax(a[..., ::-1], axis=-1)
    return last.reshape(t.shape)


def count_equal(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray([np.count_nonzero(a == b)], dtype=np.int64)


def argsort(t: Tensor, a: np.ndarray) -> np.ndarray:
    """Row-wise sort indices; stable, so ties keep index order (ggml leaves them open)."""
    key = -a if t.op_params[0] == SortOrder.DESC else a
    return np.argsort(key, axis=-1, kind="stable")


# -- shape ---------------------------------------------------------------------------------------


def repeat(t: Tensor, a: np.ndarray) -> np.ndarray:
    return _tile_to(a, t.shape)


def concat(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([a, b], axis=3 - t.op_params[0])


def pad(t: Tensor, a: np.ndarray) -> np.ndarray:
    """Zeros before (lp) and after (rp) each dim (ggml_pad_ext; ggml_pad has lp = 0)."""
    p = t.op_params[:8]
    return np.pad(a, [(p[2 * d], p[2 * d + 1]) for d in (3, 2, 1, 0)])


# -- normalization -------------------------------------------------------------------------------


def norm(t: Tensor, a: np.ndarray) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) per row; var is the biased (population) variance."""
    eps = t.op_params[0]
    x = a - a.mean(axis=-1, keepdims=True)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def rms_norm(t: Tensor, a: np.ndarray) -> np.ndarray:
    """x / sqrt(mean(x^2) + eps) per row."""
    eps = t.op_params[0]
    return a / np.sqrt(np.mean(a * a, axis=-1, keepdims=True) + eps)


def l2_norm(t: Tensor, a: np.ndarray) -> np.ndarray:
    """x / max(||x||, eps) per row (ggml: scale = 1 / fmaxf(sqrt(sum x^2), eps))."""
    eps = t.op_params[0]
    return a / np.maximum(np.sqrt(np.sum(a * a, axis=-1, keepdims=True)), eps)


def group_norm(t: Tensor, a: np.ndarray) -> np.ndarray:
    """NORM over groups of ceil(ne2 / n_groups) channels along ne[2] (the last group may be
    smaller), each group normalized over all its ne0*ne1*channels values, per ne[3]."""
    n_groups, eps = t.op_params[:2]
    channels = a.shape[1]
    per_group = -(-channels // n_groups)
    out = np.empty_like(a)
    for start in range(0, channels, per_group):
        g = a[:, start : start + per_group]
        x = g - g.mean(axis=(1, 2, 3), keepdims=True)
        var = np.mean(x * x, axis=(1, 2, 3), keepdims=True)
        out[:, start : start + per_group] = x / np.sqrt(var + eps)
    return out


# -- matrix products -----------------------------------------------------------------------------


def mul_mat(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """result[i3, i2, i1, i0] = dot(b row i1, a row i0): b·aᵀ, a broadcast over dims 2, 3."""
    return b @ np.swapaxes(_spread_to(a, b.shape[:2]), -1, -2)


def out_prod(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """result[i1, i0] = Σ_k a[k, i0] b[k, i1] (numpy rows k = ne1): bᵀ·a, a broadcast."""
    return np.swapaxes(b, -1, -2) @ _spread_to(a, b.shape[:2])


# -- indexing ------------------------------------------------------------------------------------


def _check_rows(t: Tensor, ids: np.ndarray, n: int, role: str, src: Tensor) -> None:
    bad = (ids < 0) | (ids >= n)
    if bad.any():
        raise OpParamError(
            f"{t.op}: row index {int(ids[bad].flat[0])} in {role}={src.describe()} is out of "
            f"range [0, {n})"
        )


def get_rows(t: Tensor, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """result[i12, i11, i10, :] = a[i12, i11, b[i12, i11, i10], :]."""
    ids = b[0]
    _check_rows(t, ids, a.shape[2], "b", t.src[1])
    i3 = np.arange(ids.shape[0])[:, None, None]
    i2 = np.arange(ids.shape[1])[None, :, None]
    return a[i3, i2, ids]


def set_rows(t: Tensor, b: np.ndarray, c: np.ndarray, a: np.ndarray) -> RowWrite:
    """a with a[i3, i2, c[i3 % c.ne2, i2 % c.ne1, i], :] = b[i3, i2, i, :]; t is a view of a.

    Only the named rows are written (a quantized a keeps the other rows' bytes).
    """
    ne3, ne2, n = b.shape[:3]
    i3 = np.arange(ne3)[:, None, None]
    i2 = np.arange(ne2)[None, :, None]
    ids = c[0][i3 % c.shape[1], i2 % c.shape[2], np.arange(n)[None, None, :]]
    _check_rows(t, ids, a.shape[2], "c", t.src[1])
    out, rows = a.copy(), np.zeros(a.shape[:3], dtype=bool)
    out[i3, i2, ids] = b
    rows[i3, i2, ids] = True
    return RowWrite(out, rows)


# -- attention -----------------------------------------------------------------------------------


def diag_mask_inf(t: Tensor, a: np.ndarray) -> np.ndarray:
    """-inf where column i0 > n_past + row i1 (ggml's causal mask)."""
    n_past = t.op_params[0]
    i1 = np.arange(a.shape[-2])[:, None]
    i0 = np.arange(a.shape[-1])[None, :]
    return np.where(i0 > n_past + i1, -np.inf, a)


def alibi_slopes(n_head: int, max_bias: float) -> np.ndarray:
    """ggml's ALiBi slope per head h (= i2): m0^(h+1) for h < n_head_log2, else
    m1^(2 (h - n_head_log2) + 1), with n_head_log2 = 2^floor(log2 n_head),
    m0 = 2^(-max_bias / n_head_log2), m1 = 2^(-max_bias / 2 / n_head_log2). 1 if max_bias = 0."""
    if max_bias <= 0:
        return np.ones(n_head)
    n_head_log2 = 1 << int(math.floor(math.log2(n_head)))
    m0 = 2.0 ** (-max_bias / n_head_log2)
    m1 = 2.0 ** (-(max_bias / 2.0) / n_head_log2)
    h = np.arange(n_head)
    return np.where(h < n_head_log2, m0 ** (h + 1), m1 ** (2 * (h - n_head_log2) + 1))


def soft_max(t: Tensor, a: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """softmax(a * scale + slope * mask) per row. The mask's row i1 serves a's row i1 (it may
    have more rows) and it repeats over dims 2, 3; slope is ALiBi's per head (dim 2)."""
    scale_, max_bias = t.op_params[:2]
    x = a * scale_
    if mask is not None:
        m = _tile_to(mask[:, :, : a.shape[2], :], a.shape)
        x = x + alibi_slopes(a.shape[1], max_bias)[None, :, None, None] * m
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rope_yarn_corr_dims(
    n_dims: int, n_ctx_orig: int, freq_base: float, beta_fast: float, beta_slow: float
) -> tuple[float, float]:
    """ggml_rope_yarn_corr_dims: the dims where YaRN's ramp starts and ends (float32)."""
    f = np.float32

    def corr_dim(n_rot: float) -> np.float32:
        ratio = f(n_ctx_orig) / (f(n_rot) * f(2) * f(math.pi))
        return f(n_dims) * np.log(ratio) / (f(2) * np.log(f(freq_base)))

    start = np.floor(corr_dim(beta_fast))
    end = np.ceil(corr_dim(beta_slow))
    return float(_where_c_max(start, 0.0)), float(_where_c_min(end, n_dims - 1.0))


def _rope_thetas(pos: np.ndarray, n_dims: int, freq_base: float) -> np.ndarray:
    """theta[p, i] = pos[p] * theta_scale^i by ggml's float32 recurrence, i < n_dims / 2."""
    theta_scale = np.float32(freq_base) ** np.float32(-2.0 / n_dims)
    steps = np.full((pos.size, n_dims // 2), theta_scale, dtype=np.float32)
    steps[:, 0] = pos.astype(np.float32)
    return np.cumprod(steps, axis=1, dtype=np.float32)


def rope_yarn(theta_extrap, freq_scale, corr_dims, ext_factor, attn_factor):
    """ggml's rope_yarn: (cos, sin) of the interpolated/extrapolated angle, times mscale."""
    theta = freq_scale * theta_extrap
    mscale = attn_factor
    if ext_factor != 0.0:
        low, high = corr_dims
        i = np.arange(theta_extrap.shape[-1])  # = i0 / 2
        y = (i - low) / _where_c_max(np.float64(high - low), 0.001)
        ramp = (1.0 - _where_c_min(_where_c_max(y, 0.0), 1.0)) * ext_factor
        theta = theta * (1.0 - ramp) + theta_extrap * ramp
        mscale *= 1.0 + 0.1 * math.log(1.0 / freq_scale)
    return np.cos(theta) * mscale, np.sin(theta) * mscale


def rope(t: Tensor, a: np.ndarray, pos: np.ndarray, freq_factors=None) -> np.ndarray:
    """Rotate pairs of each row's first n_dims values by pos[i2] * freq_base^(-2i/n_dims).

    NORMAL pairs (2i, 2i+1); NEOX pairs (i, i + n_dims/2). Values past n_dims pass through.
    freq_factors c divide the angle of pair i; YaRN (ext_factor, attn_factor, beta_*) as ggml.
    """
    _, n_dims, mode, _, n_ctx_orig, base, fscale, ext, attn, bfast, bslow = t.op_params[:11]
    theta = _rope_thetas(pos, n_dims, base)
    if freq_factors is not None:
        theta = theta / freq_factors.reshape(-1)[: n_dims // 2].astype(np.float32)
    corr = rope_yarn_corr_dims(n_dims, n_ctx_orig, base, bfast, bslow)
    cos_, sin_ = rope_yarn(theta.astype(np.float64), fscale, corr, ext, attn)
    cos_, sin_ = cos_[None, :, None, :], sin_[None, :, None, :]
    out = a.copy()
    if mode == RopeMode.NEOX:
        i0, i1 = np.arange(n_dims // 2), np.arange(n_dims // 2, n_dims)
    else:
        i0, i1 = np.arange(0, n_dims, 2), np.arange(1, n_dims, 2)
    x0, x1 = a[..., i0], a[..., i1]
    out[..., i0] = x0 * cos_ - x1 * sin_
    out[..., i1] = x0 * sin_ + x1 * cos_
    return out


# -- the table -----------------------------------------------------------------------------------

GOLDEN: dict[Op, GoldenFn] = {
    Op.DUP: dup,
    Op.ADD: add,
    Op.ADD1: add1,
    Op.ACC: acc,
    Op.SUB: sub,
    Op.MUL: mul,
    Op.DIV: div,
    Op.SQR: sqr,
    Op.SQRT: sqrt,
    Op.LOG: log,
    Op.SIN: sin,
    Op.COS: cos,
    Op.SUM: sum,
    Op.SUM_ROWS: sum_rows,
    Op.MEAN: mean,
    Op.ARGMAX: argmax,
    Op.COUNT_EQUAL: count_equal,
    Op.REPEAT: repeat,
    Op.CONCAT: concat,
    Op.NORM: norm,
    Op.RMS_NORM: rms_norm,
    Op.GROUP_NORM: group_norm,
    Op.L2_NORM: l2_norm,
    Op.MUL_MAT: mul_mat,
    Op.OUT_PROD: out_prod,
    Op.SCALE: scale,
    Op.CPY: cpy,
    Op.CONT: cont,
    Op.RESHAPE: _no_compute,
    Op.VIEW: _no_compute,
    Op.PERMUTE: _no_compute,
    Op.TRANSPOSE: _no_compute,
    Op.GET_ROWS: get_rows,
    Op.SET_ROWS: set_rows,
    Op.DIAG_MASK_INF: diag_mask_inf,
    Op.SOFT_MAX: soft_max,
    Op.ROPE: rope,
    Op.CLAMP: clamp,
    Op.PAD: pad,
    Op.ARGSORT: argsort,
    Op.LEAKY_RELU: leaky_relu,
    Op.UNARY: unary,
    Op.GLU: glu,
}

__all__ = ["GOLDEN", "GLU_ACTIVATIONS", "UNARY_GOLDEN", "Results", "evaluate", "golden_for"]
