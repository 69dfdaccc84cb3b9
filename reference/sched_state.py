"""What the scheduler knows while it places one graph: backend ids and capability answers.

``SchedState`` is the Python form of ggml's per-tensor hash tables (``hv_tensor_backend_ids``,
``hv_tensor_copies``) plus the three questions the scheduler may ask a backend:
``supports_op``, ``supports_buft`` and ``offload_op``. It never looks at a backend's name.
Answers to ``supports_op`` are cached for the duration of one ``split_graph`` (a node is asked
about several times by passes 2-4); ``supports_buft`` answers are kept for the scheduler's
lifetime, since they relate two fixed objects.
"""

from __future__ import annotations

from collections.abc import Sequence

from .backend import Backend, BufferType
from .op import VIEW_OPS
from .tensor import Tensor

UNASSIGNED = -1


class SchedState:
    """Backend ids of tensors (-1 = unassigned), why each was chosen, and capability caches."""

    def __init__(self, backends: Sequence[Backend], bufts: Sequence[BufferType],
                 op_offload: bool = True) -> None:
        self.backends = list(backends)
        self.op_offload = op_offload
        self.bufts = list(bufts)
        self.n_backends = len(backends)
        self.cpu = self.n_backends - 1  # ggml: the last backend is assumed to be the CPU
        self.ids: dict[Tensor, int] = {}
        self.causes: dict[Tensor, str] = {}
        self.pins: set[Tensor] = set()  # set_tensor_backend assignments
        self._buft_ok: list[dict[BufferType, bool]] = [{} for _ in backends]
        self.new_graph()

    def new_graph(self) -> None:
        """Forget the per-graph supports_op answers (ggml re-asks them in each split_graph)."""
        self._op_ok: list[dict[Tensor, bool]] = [{} for _ in self.backends]

    def clear(self) -> None:
        """ggml's reset: every tensor unassigned, user pins included."""
        self.ids.clear()
        self.causes.clear()
        self.pins.clear()

    # -- assignments ---------------------------------------------------------------------------

    def get(self, t: Tensor | None) -> int:
        return UNASSIGNED if t is None else self.ids.get(t, UNASSIGNED)

    def set(self, t: Tensor, backend_id: int, cause: str) -> None:
        self.ids[t] = backend_id
        self.causes[t] = cause

    # -- capability questions ------------------------------------------------------------------

    def supports_op(self, b: int, node: Tensor) -> bool:
        cache = self._op_ok[b]
        ok = cache.get(node)
        if ok is None:
            ok = cache[node] = bool(self.backends[b].supports_op(node))
        return ok

    def supports_buft(self, b: int, buft: BufferType) -> bool:
        cache = self._buft_ok[b]
        ok = cache.get(buft)
        if ok is None:
            ok = cache[buft] = bool(self.backends[b].supports_buft(buft))
        return ok

    def count_readable(self, b: int, bufts: list[BufferType]) -> int:
        """How many of ``bufts`` backend b supports (supports_buft, cached)."""
        cache, n = self._buft_ok[b], 0
        for buft in bufts:
            ok = cache.get(buft)
            if ok is None:
                ok = self.supports_buft(b, buft)
            if ok:
                n += 1
        return n

    def offload_op(self, b: int, node: Tensor) -> bool:
        return bool(self.backends[b].offload_op(node))

    def set_if_supported(self, node: Tensor, b: int, cause: str) -> None:
        """ggml_backend_sched_set_if_supported: assign only where the op can run."""
        if self.supports_op(b, node):
            self.set(node, b, cause)

    # -- where tensors live (ggml's backend_from_buffer and buffer_supported) ------------------

    def backend_from_buffer(self, t: Tensor, op: Tensor) -> int:
        """The highest-priority backend that can read t's buffer and run ``op``; -1 if t has
        no buffer or no backend qualifies."""
        buffer = t.view_src.buffer if t.view_src is not None else t.buffer
        if buffer is None:
            return UNASSIGNED
        for b in range(self.n_backends):
            if self.supports_buft(b, buffer.buft) and self.supports_op(b, op):
                return b
        return UNASSIGNED

    def buft_of(self, t: Tensor) -> BufferType | None:
        """t's buffer type if allocated, else that of its (or its view_src's) backend."""
        buffer = t.view_src.buffer if t.view_src is not None else t.buffer
        if buffer is not None:
            return buffer.buft
        b = self.ids.get(t, UNASSIGNED)
        if b == UNASSIGNED and t.view_src is not None:
            b = self.ids.get(t.view_src, UNASSIGNED)
        return self.bufts[b] if b != UNASSIGNED else None

    def buffer_supported(self, t: Tensor, b: int) -> bool:
        """Can backend b read t where it is (or will be)?"""
        buft = self.buft_of(t)
        return buft is not None and self.supports_buft(b, buft)

    def name(self, b: int) -> str:
        return self.backends[b].name if b != UNASSIGNED else "NULL"


_VIEW_OP_IDS = frozenset(id(op) for op in VIEW_OPS)


def view_op_flags(nodes: list[Tensor]) -> list[bool]:
    """Per node: is its op a view op (ggml_is_view_op)? Computed once per graph."""
    views = _VIEW_OP_IDS
    return [id(n.op) in views for n in nodes]
