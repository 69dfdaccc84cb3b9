"""Backend assignment: ggml's passes 1-4 of ``ggml_backend_sched_split_graph``, one function each.

Every pass reads and writes ``SchedState.ids`` (tensor -> backend index, -1 unassigned); lower
indices are higher priorities and the last backend is the CPU. A tensor already assigned (by
the user or an earlier pass) is never reassigned by pass 1, 2 or 4; pass 3 may only move a
node to a higher-priority backend that shares its buffer type. Capability comes only from
``supports_op`` / ``supports_buft`` / ``offload_op``.

The cause strings are ggml's SET_CAUSE tags ("1.dst", "2.sup", "3.best", ...).
"""

from __future__ import annotations

from itertools import chain

from .backend import BufferType, BufferUsage
from .errors import SchedulerError
from .graph import Graph
from .op import Op
from .sched_state import UNASSIGNED, SchedState
from .tensor import Tensor

WEIGHTS = BufferUsage.WEIGHTS

# Ops whose small auxiliary weights (rope frequencies, attention sinks) must not pick the
# backend; held by id() because hashing an enum member runs Python code (a hot test).
WEIGHTLESS_VOTE_OPS = frozenset(id(op) for op in Op if op.name in ("ROPE", "FLASH_ATTN_EXT"))


def assign_backends(st: SchedState, graph: Graph, view_op: list[bool]) -> None:
    """Passes 1-4: leave every leaf and node of ``graph`` with a backend id."""
    pass1_preallocated(st, graph)
    pass2_expand(st, graph.nodes, view_op)
    pass3_upgrade(st, graph.nodes, view_op)
    pass4_remaining(st, graph)


# -- pass 1 ---------------------------------------------------------------------------------------


def pass1_preallocated(st: SchedState, graph: Graph) -> None:
    """Pass 1: tensors whose place is already decided.

    A tensor that already has memory runs where that memory can be read; a graph input goes
    to the CPU (the user fills it from the host); an op reading a weight runs where the weight
    is, unless op_offload lets a higher-priority backend claim an op whose weight is in host
    memory. Leafs first, then nodes (views included); user assignments are kept.
    """
    ids, causes = st.ids, st.causes
    for t in chain(graph.leafs, graph.nodes):
        if t not in ids:
            b, cause = backend_id_from_cur(st, t)
            if b != UNASSIGNED:
                ids[t], causes[t] = b, cause


def backend_id_from_cur(st: SchedState, t: Tensor) -> tuple[int, str]:
    """ggml_backend_sched_backend_id_from_cur: (backend id or -1, cause)."""
    vs = t.view_src
    if t.buffer is not None or (vs is not None and vs.buffer is not None):
        return _from_preallocated(st, t), "1.dst" if t.buffer is not None else "1.vsrc"
    if t.is_input:
        return st.cpu, "1.inp"
    if id(t.op) in WEIGHTLESS_VOTE_OPS:
        return UNASSIGNED, ""
    for i, src in enumerate(t.src):
        if src is not None and src.buffer is not None and src.buffer.usage == WEIGHTS:
            return _from_weight(st, t, src, i)
    return UNASSIGNED, ""


def _from_preallocated(st: SchedState, t: Tensor) -> int:
    b = st.backend_from_buffer(t, t) if t.buffer is not None else UNASSIGNED
    if b == UNASSIGNED and t.view_src is not None:
        b = st.backend_from_buffer(t.view_src, t)
    if b == UNASSIGNED:
        buffer = t.view_src.buffer if t.view_src is not None else t.buffer
        raise SchedulerError(
            f"pre-allocated tensor {t.describe()} is in a buffer ({buffer.name}, buffer type "
            f"{buffer.buft.name}) that no backend can run its op {t.op_desc} on; backends "
            f"asked: {_ask_list(st, t)}"
        )
    return b


def _from_weight(st: SchedState, t: Tensor, w: Tensor, i: int) -> tuple[int, str]:
    b = st.backend_from_buffer(w, t)
    if st.op_offload and b == st.cpu and w.buffer.is_host:
        for hb in range(b):
            if st.supports_op(hb, t) and st.offload_op(hb, t):
                return hb, "1.off"
    return b, f"1.wgt{i}"


# -- pass 2 ---------------------------------------------------------------------------------------


def pass2_expand(st: SchedState, nodes: list[Tensor], view_op: list[bool]) -> None:
    """Pass 2: spread assignments to neighbouring unassigned nodes.

    First the accelerators (every backend but the CPU) expand down then up, so the CPU is
    used only where weights are or where no accelerator op lies between CPU ops; then every
    backend expands down then up. A backend takes a neighbour only if it supports the op;
    otherwise the node waits for pass 3, when its inputs' places are known.
    """
    # NOTE: the sweeps work on a compact list of the non-view nodes' ids, written back once
    todo = [n for n, v in zip(nodes, view_op) if not v]
    ids = st.ids
    bids = [ids.get(n, UNASSIGNED) for n in todo]
    before = list(bids)
    forward = range(len(todo))
    backward = range(len(todo) - 1, -1, -1)
    _expand(st, todo, bids, forward, skip=st.cpu)
    _expand(st, todo, bids, backward, skip=st.cpu)
    _expand(st, todo, bids, forward, skip=None)
    _expand(st, todo, bids, backward, skip=None)
    for node, b, b0 in zip(todo, bids, before):
        if b != b0:
            st.set(node, b, "2.sup")


def _expand(st: SchedState, todo: list[Tensor], bids: list[int], order: range, skip) -> None:
    """One sweep: ``cur`` is the last assigned backend seen (none after a ``skip`` one)."""
    supports = st.supports_op
    cur = UNASSIGNED
    for i in order:
        b = bids[i]
        if b != UNASSIGNED:
            cur = UNASSIGNED if b == skip else b
        elif cur != UNASSIGNED and supports(cur, todo[i]):
            bids[i] = cur


# -- pass 3 ---------------------------------------------------------------------------------------


def pass3_upgrade(st: SchedState, nodes: list[Tensor], view_op: list[bool]) -> None:
    """Pass 3: best fit for the nodes expansion could not place, and upgrades.

    An unassigned node goes to the supporting backend that can read the most of its inputs
    (ties to the higher priority). An assigned node moves to a higher-priority backend whose
    buffer type is the very same object (e.g. BLAS and CPU sharing host memory), if that
    backend supports the op and can read every source.
    """
    ids, bufts = st.ids, st.bufts
    shared = [any(bufts[k] is bufts[b] for k in range(b)) for b in range(st.n_backends)]
    for node, v in zip(nodes, view_op):
        if v:
            continue
        b = ids.get(node, UNASSIGNED)
        if b == UNASSIGNED:
            _best_fit(st, node)
        elif shared[b]:  # only a backend sharing the buffer type can take it
            _upgrade(st, node, b)


def _best_fit(st: SchedState, node: Tensor) -> None:
    # NOTE: where a source lives does not depend on the backend asked: looked up once per node
    bufts = _input_bufts(st, node)
    best = -1
    for b in range(st.n_backends):
        if not st.supports_op(b, node):
            continue
        n = st.count_readable(b, bufts)
        if n > best:
            best = n
            st.set(node, b, "3.best")


def _input_bufts(st: SchedState, node: Tensor) -> list[BufferType]:
    """Buffer types of node's placed sources (those assigned, or whose view_src is): the
    buffer's type if allocated, else that of its backend (``SchedState.buft_of``, inlined)."""
    ids, bufts, out = st.ids, st.bufts, []
    for src in node.src:
        if src is None:
            continue
        vs = src.view_src
        b = ids.get(src, UNASSIGNED)
        if b == UNASSIGNED and vs is not None:
            b = ids.get(vs, UNASSIGNED)
        if b == UNASSIGNED:
            continue
        buffer = vs.buffer if vs is not None else src.buffer
        out.append(buffer.buft if buffer is not None else bufts[b])
    return out


def _upgrade(st: SchedState, node: Tensor, cur: int) -> None:
    buft = st.bufts[cur]
    for b in range(cur):
        if st.bufts[b] is not buft or not st.supports_op(b, node):
            continue
        if all(st.buffer_supported(s, b) for s in node.src if s is not None):
            st.set(node, b, "3.upg")
            return


# -- pass 4 ---------------------------------------------------------------------------------------


def pass4_remaining(st: SchedState, graph: Graph) -> None:
    """Pass 4: views and sources that are still unassigned.

    A view follows its view_src; an unassigned source follows its view_src if it is a view,
    else the node that reads it; a node still without a backend takes the first that
    supports it. After this every node and every source has a backend, or the op is one no
    backend can run and SchedulerError says so.
    """
    ids = st.ids
    for node in graph.nodes:
        b = ids.get(node, UNASSIGNED)
        if b == UNASSIGNED and node.view_src is not None:
            b = ids.get(node.view_src, UNASSIGNED)
            if b != UNASSIGNED:
                st.set(node, b, "4.vsrc")
        for src in node.src:
            if src is not None and src not in ids:
                _assign_source(st, src, b)
        if b == UNASSIGNED:
            _first_supporting(st, node)
    _assign_unused_leafs(st, graph.leafs)


def _assign_source(st: SchedState, src: Tensor, node_backend: int) -> None:
    if src.view_src is not None:
        b, cause = st.get(src.view_src), "4.vsrc"
    else:
        b, cause = node_backend, "4.cur"
    if b != UNASSIGNED:
        st.set(src, b, cause)


def _first_supporting(st: SchedState, node: Tensor) -> None:
    for b in range(st.n_backends):
        if st.supports_op(b, node):
            st.set(node, b, "4.sup")
            return
    raise SchedulerError(
        f"no backend supports {node.op_desc} for node {node.describe()} with sources "
        f"{_sources(node)}; backends asked: {_ask_list(st, node)}"
    )


def _assign_unused_leafs(st: SchedState, leafs: list[Tensor]) -> None:
    # NOTE: a leaf nothing reads is left at -1 by ggml (and then indexes bufts[-1] in the
    # allocator); here it is kept with the CPU, where a graph input would go.
    for leaf in leafs:
        if leaf not in st.ids:
            st.set(leaf, st.cpu, "4.leaf")


# -- checks after assignment ----------------------------------------------------------------------


def check_assignment(st: SchedState, nodes: list[Tensor], view_op: list[bool]) -> None:
    """Every computing node must sit on a backend that supports it (ggml would fail later,
    inside the backend). Raises SchedulerError naming the node and every backend asked."""
    ids, supports, none = st.ids, st.supports_op, Op.NONE
    for node, v in zip(nodes, view_op):
        b = ids.get(node, UNASSIGNED)
        if v or node.op is none or (b != UNASSIGNED and supports(b, node)):
            continue
        if not any(st.supports_op(k, node) for k in range(st.n_backends)):
            _first_supporting(st, node)  # raises: nobody supports it
        why = "pinned by set_tensor_backend" if node in st.pins else f"cause {st.causes[node]}"
        raise SchedulerError(
            f"node {node.describe()} ({node.op_desc}) is on backend {st.name(b)} ({why}), "
            f"which does not support it; backends asked: {_ask_list(st, node)}"
        )


def _sources(node: Tensor) -> str:
    srcs = [f"src[{j}]={s.describe()}" for j, s in enumerate(node.src) if s is not None]
    return "[" + ", ".join(srcs) + "]"


def _ask_list(st: SchedState, node: Tensor) -> str:
    answers = []
    for b in range(st.n_backends):
        ok = "supports" if st.supports_op(b, node) else "refuses"
        answers.append(f"{st.name(b)} ({ok} {node.op_desc})")
    return ", ".join(answers)
