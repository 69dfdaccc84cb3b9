"""Rebuild a ggsched Graph in a real ggml context, one ggml builder call per op.

Each node is made by ggml's own builder (ggml_add, ggml_mul_mat, ggml_view_4d, ...) from the
op_params of our tensor, so ggml's shape, stride and view rules produce the result. Then every
rebuilt tensor is compared with ours (type, ne, nb, view_src/view_offs, op, op_params) and the
node order of ggml's graph with ours: a difference is a semantics bug in ggsched, reported as
``GgmlMismatch`` naming the tensor.

The context is ``no_alloc``: nothing here owns tensor memory (see runner.py and gallocr.py).
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable, Iterable

from ggsched.errors import GGSchedError, GraphError
from ggsched.graph import Graph
from ggsched.op import GluOp, Op, UnaryOp
from ggsched.tensor import Tensor, TensorFlag

from .cdefs import GgmlTensor, InitParams
from .lib import Lib, load

GGML_TENSOR_FLAG_COMPUTE = 16  # enum ggml_tensor_flag (ggml.h)


class GgmlMismatch(GGSchedError):
    """Real ggml built a tensor or graph different from ggsched's: ours has a semantics bug."""


Builder = Callable[["GgmlGraph", Tensor, list], object]

# ops whose ``inplace=True`` form ggml builds with a ``<name>_inplace`` function
_HAS_INPLACE = frozenset(
    {
        Op.DUP, Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.ADD1, Op.ACC, Op.SQR, Op.SQRT, Op.LOG,
        Op.SIN, Op.COS, Op.SCALE, Op.UNARY, Op.NORM, Op.RMS_NORM, Op.L2_NORM, Op.GROUP_NORM,
        Op.DIAG_MASK_INF, Op.SOFT_MAX, Op.ROPE,
    }
)  # fmt: skip


class GgmlGraph:
    """``graph`` rebuilt in a fresh no_alloc ggml context: ``ptr(t)`` is t's ggml tensor.

    ``static`` leafs (weights) go in a context of their own, ``ctx_static``, so they can be
    given a buffer apart from the compute graph (as ggml programs keep weights).

    ``split=True`` is for a scheduler's split (a graph view): every tensor that is not one of
    its nodes is imported as a plain tensor with our type, ne and nb (its data bound later),
    and the nodes are added as they are, without ggml's DFS pulling in their sources.
    """

    def __init__(
        self,
        graph: Graph,
        static: Iterable[Tensor] = (),
        lib: Lib | None = None,
        split: bool = False,
    ):
        self.lib = lib if lib is not None else load()
        self.graph = graph
        self.split = split
        self._nodes = {id(t) for t in graph.nodes}
        self._static = {id(t) for t in static}
        self._tensors: dict[int, tuple[Tensor, object]] = {}
        n = len(graph.nodes) + len(graph.leafs) + 16
        self.ctx = self._new_ctx(2 * n + 16, graph_size=max(n, 16))
        self.ctx_static = self._new_ctx(len(self._static)) if self._static else None
        try:
            self.gf = self.lib.fn("ggml_new_graph_custom")(self.ctx, max(n, 16), False)
            for t in graph.tensors():
                self.ptr(t)
            self._expand()
        except BaseException:
            self.close()
            raise

    def _new_ctx(self, n_tensors: int, graph_size: int = 0):
        size = n_tensors * self.lib.fn("ggml_tensor_overhead")()
        if graph_size:
            size += self.lib.fn("ggml_graph_overhead_custom")(graph_size, False)
        return self.lib.fn("ggml_init")(InitParams(size, None, True))

    # -- building ----------------------------------------------------------------------------

    def ptr(self, t: Tensor):
        """t's ggml tensor, built (with everything it depends on) on first use."""
        hit = self._tensors.get(id(t))
        if hit is not None:
            return hit[1]
        if self.split and id(t) not in self._nodes:
            p = self._import(t)
        else:
            p = self._new_leaf(t) if t.op is Op.NONE else self._new_node(t)
        self._tensors[id(t)] = (t, p)
        _copy_name_and_flags(p, t)
        return p

    def _new_leaf(self, t: Tensor):
        if t.view_src is not None or t.nb != Tensor(t.type, t.ne).nb:
            raise GraphError(f"leaf {t.describe()} is a view or not contiguous; ggml leafs are new")
        ctx = self.ctx_static if id(t) in self._static else self.ctx
        ne = (ctypes.c_int64 * 4)(*t.ne)
        return self.lib.fn("ggml_new_tensor")(ctx, self.lib.enums.type_of(t.type), 4, ne)

    def _import(self, t: Tensor):
        """A tensor computed elsewhere: same type, ne and nb, no op, no view_src."""
        ne = (ctypes.c_int64 * 4)(*t.ne)
        p = self.lib.fn("ggml_new_tensor")(self.ctx, self.lib.enums.type_of(t.type), 4, ne)
        p.contents.nb[:] = t.nb
        return p

    def _new_node(self, t: Tensor):
        if t.view_src is not None:
            self.ptr(t.view_src)
        srcs = [self.ptr(s) if s is not None else None for s in t.src]
        try:
            builder = BUILDERS[t.op]
        except KeyError:
            raise GraphError(f"no ggml builder for {t.op_desc} ({t.describe()})") from None
        return builder(self, t, srcs)

    def call(self, name: str, t: Tensor, *args):
        """ggml's builder ``name`` (its _inplace form when t is an in-place result of a)."""
        if t.view_src is not None and t.op in _HAS_INPLACE:
            name += "_inplace"
        return self.lib.fn(name)(self.ctx, *args)

    def _expand(self) -> None:
        """ggml_build_forward_expand on our leafs, then each node in order. ggml's DFS adds
        exactly that node each time iff our order is one its post-order allows (every
        source before its reader); check() compares the orders. A split's nodes are added
        one by one instead (ggml_graph_add_node), without pulling in their sources."""
        if self.split:
            for t in self.graph.nodes:
                p = self.ptr(t)
                # NOTE: ggml computes only nodes flagged COMPUTE (build_forward_expand sets it)
                p.contents.flags |= GGML_TENSOR_FLAG_COMPUTE
                self.lib.fn("ggml_graph_add_node")(self.gf, p)
            return
        expand = self.lib.fn("ggml_build_forward_expand")
        # NOTE: leafs first, in our order: gallocr places leafs in the graph's leaf order
        for t in (*self.graph.leafs, *self.graph.nodes):
            expand(self.gf, self.ptr(t))

    # -- queries -----------------------------------------------------------------------------

    def tensors(self) -> list[tuple[Tensor, object]]:
        """(our tensor, ggml tensor) for everything built, leafs and out-of-graph tensors too."""
        return list(self._tensors.values())

    @property
    def n_nodes(self) -> int:
        return self.lib.fn("ggml_graph_n_nodes")(self.gf)

    def node(self, i: int):
        return self.lib.fn("ggml_graph_node")(self.gf, i)

    def check(self) -> None:
        """Raise GgmlMismatch listing every tensor ggml built differently, and order changes."""
        problems = [
            p
            for t, g in self._tensors.values()
            if not self.split or id(t) in self._nodes
            for p in self._diff(t, g.contents)
        ]
        if not self.split:
            problems += self._order_problems()
        if problems:
            raise GgmlMismatch("real ggml disagrees with ggsched:\n  " + "\n  ".join(problems))

    def _diff(self, t: Tensor, g: GgmlTensor) -> list[str]:
        e = self.lib.enums
        ours = (e.type_of(t.type), list(t.ne), list(t.nb), e.op_of(t.op))
        theirs = (g.type, list(g.ne), list(g.nb), g.op)
        out = []
        if ours != theirs:
            out.append(
                f"{t.op_desc} {t.describe()}: ggml made type/ne/nb/op {_show(theirs, e)}, "
                f"ggsched {_show(ours, e)}"
            )
        out += self._diff_view(t, g)
        params = pack_op_params(t, e)
        got = bytes(g.op_params)[: len(params)]
        if got != params:
            out.append(
                f"{t.op_desc} {t.describe()}: op_params {list(t.op_params)} pack to "
                f"{params.hex()} in ggsched, ggml stored {got.hex()}"
            )
        return out

    def _diff_view(self, t: Tensor, g: GgmlTensor) -> list[str]:
        if self.split:  # imported tensors are roots here, whatever they are in ours
            return []
        want = ctypes.addressof(self.ptr(t.view_src).contents) if t.view_src is not None else None
        if (g.view_src or None) != want or (want is not None and g.view_offs != t.view_offs):
            return [
                f"{t.op_desc} {t.describe()}: ggml view_src/view_offs "
                f"{'set' if g.view_src else 'none'}/{g.view_offs}, ggsched "
                f"{'set' if want else 'none'}/{t.view_offs}"
            ]
        return []

    def _order_problems(self) -> list[str]:
        nodes = self.graph.nodes
        if self.n_nodes != len(nodes):
            return [f"ggml's graph has {self.n_nodes} nodes, ggsched's {len(nodes)}"]
        for i, t in enumerate(nodes):
            got = ctypes.addressof(self.node(i).contents)
            if got != ctypes.addressof(self.ptr(t).contents):
                return [f"node {i}: ggml's graph has {self.node(i).contents.name!r}, ours {t!r}"]
        return []

    def bind(self, address: Callable[[Tensor], int]) -> None:
        """Point every ggml tensor at its bytes: ``address(t)`` (views included)."""
        for t, p in self._tensors.values():
            p.contents.data = address(t)

    def close(self) -> None:
        for attr in ("ctx", "ctx_static"):
            ctx = getattr(self, attr, None)
            if ctx:
                self.lib.fn("ggml_free")(ctx)
            setattr(self, attr, None)
        self._tensors = {}


def _show(v: tuple, e) -> str:
    return f"({e.type_name(v[0])}, ne={v[1]}, nb={v[2]}, {e.op_name(v[3])})"


def _copy_name_and_flags(p, t: Tensor) -> None:
    g = p.contents
    # ggml's flag bits are ours (INPUT=1, OUTPUT=2, PARAM=4); COMPUTE is ggml's own to set
    g.flags |= int(t.flags & (TensorFlag.INPUT | TensorFlag.OUTPUT | TensorFlag.PARAM))
    if t.name:
        g.name = t.name.encode("utf-8", "replace")[:63]


def pack_op_params(t: Tensor, enums) -> bytes:
    """Our op_params as ggml stores them: int32 slots, floats as float32 bits, enums by value."""
    out = b""
    for v in t.op_params:
        if isinstance(v, UnaryOp):
            v = enums.unary_of(v)
        elif isinstance(v, GluOp):
            v = enums.glu_of(v)
        out += struct.pack("<f", v) if isinstance(v, float) else struct.pack("<i", int(v))
    return out


# -- one builder per op ---------------------------------------------------------------------------


def _src(n: int, fn: str) -> Builder:
    """An op whose ggml builder takes its first n sources and nothing else."""
    return lambda b, t, s: b.call(fn, t, *s[:n])


def _params(fn: str, n_src: int, n_params: int) -> Builder:
    """An op whose builder takes n sources then its first n op_params, in order."""
    return lambda b, t, s: b.call(fn, t, *s[:n_src], *t.op_params[:n_params])


def _view(b: GgmlGraph, t: Tensor, s: list):
    return b.call("ggml_view_4d", t, s[0], *t.ne, *t.nb[1:], t.op_params[0])


def _rope(b: GgmlGraph, t: Tensor, s: list):
    p = t.op_params
    c = s[2] if len(s) > 2 else None
    return b.call("ggml_rope_ext", t, s[0], s[1], c, p[1], int(p[2]), p[4], *p[5:11])


def _soft_max(b: GgmlGraph, t: Tensor, s: list):
    mask = s[1] if len(s) > 1 else None
    return b.call("ggml_soft_max_ext", t, s[0], mask, *t.op_params[:2])


def _unary(b: GgmlGraph, t: Tensor, s: list):
    return b.call("ggml_unary", t, s[0], b.lib.enums.unary_of(t.op_params[0]))


def _glu(b: GgmlGraph, t: Tensor, s: list):
    op = b.lib.enums.glu_of(t.op_params[0])
    if len(s) > 1 and s[1] is not None:
        return b.call("ggml_glu_split", t, s[0], s[1], op)
    return b.call("ggml_glu", t, s[0], op, bool(t.op_params[1]))


def _leaky_relu(b: GgmlGraph, t: Tensor, s: list):
    return b.call("ggml_leaky_relu", t, s[0], t.op_params[0], t.view_src is not None)


def _set_rows(b: GgmlGraph, t: Tensor, s: list):
    # NOTE: the destination is reachable only as view_src, as in ggml (src = [rows, ids])
    return b.call("ggml_set_rows", t, b.ptr(t.view_src), s[0], s[1])


BUILDERS: dict[Op, Builder] = {
    Op.DUP: _src(1, "ggml_dup"),
    Op.ADD: _src(2, "ggml_add"),
    Op.ADD1: _src(2, "ggml_add1"),
    Op.ACC: lambda b, t, s: b.call("ggml_acc", t, *s[:2], *t.op_params[:4]),
    Op.SUB: _src(2, "ggml_sub"),
    Op.MUL: _src(2, "ggml_mul"),
    Op.DIV: _src(2, "ggml_div"),
    Op.SQR: _src(1, "ggml_sqr"),
    Op.SQRT: _src(1, "ggml_sqrt"),
    Op.LOG: _src(1, "ggml_log"),
    Op.SIN: _src(1, "ggml_sin"),
    Op.COS: _src(1, "ggml_cos"),
    Op.SUM: _src(1, "ggml_sum"),
    Op.SUM_ROWS: _src(1, "ggml_sum_rows"),
    Op.MEAN: _src(1, "ggml_mean"),
    Op.ARGMAX: _src(1, "ggml_argmax"),
    Op.COUNT_EQUAL: _src(2, "ggml_count_equal"),
    Op.REPEAT: lambda b, t, s: b.call("ggml_repeat_4d", t, s[0], *t.ne),
    Op.CONCAT: _params("ggml_concat", 2, 1),
    Op.NORM: _params("ggml_norm", 1, 1),
    Op.RMS_NORM: _params("ggml_rms_norm", 1, 1),
    Op.GROUP_NORM: _params("ggml_group_norm", 1, 2),
    Op.L2_NORM: _params("ggml_l2_norm", 1, 1),
    Op.MUL_MAT: _src(2, "ggml_mul_mat"),
    Op.OUT_PROD: _src(2, "ggml_out_prod"),
    Op.SCALE: _params("ggml_scale_bias", 1, 2),
    Op.CPY: _src(2, "ggml_cpy"),
    Op.CONT: lambda b, t, s: b.call("ggml_cont_4d", t, s[0], *t.ne),
    Op.RESHAPE: lambda b, t, s: b.call("ggml_reshape_4d", t, s[0], *t.ne),
    Op.VIEW: _view,
    Op.PERMUTE: _params("ggml_permute", 1, 4),
    Op.TRANSPOSE: _src(1, "ggml_transpose"),
    Op.GET_ROWS: _src(2, "ggml_get_rows"),
    Op.SET_ROWS: _set_rows,
    Op.DIAG_MASK_INF: _params("ggml_diag_mask_inf", 1, 1),
    Op.SOFT_MAX: _soft_max,
    Op.ROPE: _rope,
    Op.CLAMP: _params("ggml_clamp", 1, 2),
    Op.PAD: _params("ggml_pad_ext", 1, 8),
    Op.ARGSORT: lambda b, t, s: b.call("ggml_argsort", t, s[0], int(t.op_params[0])),
    Op.LEAKY_RELU: _leaky_relu,
    Op.UNARY: _unary,
    Op.GLU: _glu,
}
