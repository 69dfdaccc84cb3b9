"""The multi-backend scheduler (ggml_backend_sched): place a graph on several backends, run it.

Given backends in priority order (the last one a CPU device), ``split_graph`` assigns every
tensor a backend (passes 1-4, ``sched_passes``), cuts the nodes into per-backend splits and
routes cross-backend sources through copies (pass 5, ``sched_splits``), and lays the result
out as one graph for the graph allocator, one buffer per backend. ``reserve`` measures the
compute buffers on a worst-case graph; ``alloc_graph`` places a graph's tensors in them,
reallocating only when a tensor's buffer type changed or something grew; ``graph_compute``
copies each split's inputs and computes it (``sched_exec``).

Lifecycle, as in ggml: reserve(worst case) once; then per evaluation reset, alloc_graph, set
the inputs, graph_compute. A graph can be computed many times once allocated. Differences
from ggml, each for safety in Python:

- A reset undoes pass 5's rewriting of node sources and forgets where the allocator put the
  graph's tensors, so the same Graph object can be placed again (ggml requires a new graph).
- ``set_tensor_backend`` pins survive ``reserve`` (ggml's reserve ends with a reset that
  clears them) and are cleared by an explicit ``reset``.
- ``graph_compute`` of a graph other than the allocated one re-places it (ggml#976: ggml
  would silently run the allocated graph).
- A node placed on a backend that does not support it (user pin, graph input) is a
  SchedulerError before anything runs.

Environment: ``GGSCHED_DEBUG=1`` prints each split and its inputs after pass 5, ``=2`` every
node too, ``=3`` adds why each tensor went where it did; ``GGSCHED_DEBUG_REALLOC=1`` makes an
unexpected reallocation (same graph size, same buffer types) a SchedulerError, ``=2`` any.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Sequence
from itertools import chain
from typing import TextIO

from .alloc import GAllocr
from .backend import Backend, BufferType, DeviceType
from .checks import require_graph, require_int
from .errors import AllocationError, SchedulerError
from .graph import DEFAULT_GRAPH_SIZE, Graph
from .sched_exec import EvalCallback, Executor
from .sched_passes import assign_backends, check_assignment
from .sched_plan import Placement, format_assignments, plan_data
from .sched_splits import GraphCopy, Split, build_graph_copy, pass5_split, undo_rewrites
from .sched_state import UNASSIGNED, SchedState, view_op_flags
from .tensor import Tensor

MAX_BACKENDS = 16  # GGML_SCHED_MAX_BACKENDS
MAX_COPIES = 4  # GGML_SCHED_MAX_COPIES


def _gc_paused(method):
    """Run ``method`` with Python's cyclic garbage collector paused.

    NOTE: placing a graph creates tens of thousands of small acyclic objects; each burst
    triggers full collections over every live tensor, which made up a third of the time of a
    100k-node reserve. The collector's state is restored afterwards (nesting is fine).
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


def _env_int(name: str) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else 0
    except ValueError:
        raise SchedulerError(f"{name} must be an integer, got {value!r}") from None


class Scheduler:
    """ggml_backend_sched over ``backends`` (priority = order; the last must be a CPU)."""

    def __init__(
        self,
        backends: Sequence[Backend],
        bufts: Sequence[BufferType | None] | None = None,
        graph_size: int = DEFAULT_GRAPH_SIZE,
        parallel: bool = False,
        op_offload: bool = True,
    ) -> None:
        self.backends = list(backends)
        _check_backends(self.backends)
        self.bufts = _resolve_bufts(self.backends, bufts)
        self.graph_size = require_int(graph_size, "Scheduler", "graph_size", SchedulerError)
        if self.graph_size <= 0:
            raise SchedulerError(f"Scheduler: graph_size must be > 0, got {graph_size}")
        self.n_copies = MAX_COPIES if parallel else 1
        self.op_offload = op_offload
        self.st = SchedState(self.backends, self.bufts, op_offload)
        self.galloc = GAllocr(self.bufts)
        self.events = [_events(b, self.n_copies) for b in self.backends]
        self.debug = _env_int("GGSCHED_DEBUG")
        self.debug_realloc = _env_int("GGSCHED_DEBUG_REALLOC")
        self.debug_file: TextIO | None = None  # None: sys.stderr at the time of printing
        self.cur_copy = 0
        self.next_copy = 0
        self.is_reset = False
        self.is_alloc = False
        self.callback: EvalCallback | None = None
        self.placement: Placement | None = None
        self._copy: GraphCopy | None = None
        self._placed: list[Tensor] = []
        self._rewrites: list[tuple[Tensor, int, Tensor]] = []  # pass 5's, until undone
        self._prev: tuple[list[int], list[int]] = ([], [])

    # -- introspection ------------------------------------------------------------------------

    @property
    def n_backends(self) -> int:
        return len(self.backends)

    @property
    def n_splits(self) -> int:
        return len(self.placement.splits) if self.placement is not None else 0

    @property
    def splits(self) -> list[Split]:
        return self.placement.splits if self.placement is not None else []

    def get_backend(self, i: int) -> Backend:
        if not 0 <= require_int(i, "get_backend", "i", SchedulerError) < self.n_backends:
            raise SchedulerError(f"get_backend: index {i} out of range 0..{self.n_backends - 1}")
        return self.backends[i]

    def backend_index(self, backend: Backend) -> int:
        for i, b in enumerate(self.backends):
            if b is backend:
                return i
        names = ", ".join(b.name for b in self.backends)
        if not isinstance(backend, Backend):
            raise SchedulerError(f"expected one of this scheduler's backends ({names}), got "
                                 f"{type(backend).__name__}")
        raise SchedulerError(f"backend {backend.name} is not one of this scheduler's: {names}")

    def get_buffer_type(self, backend: Backend) -> BufferType:
        return self.bufts[self.backend_index(backend)]

    def get_buffer_size(self, backend: Backend) -> int:
        """Bytes of compute buffer measured for ``backend``; 0 when an earlier backend shares
        its buffer type (the memory is counted there)."""
        return self.galloc.get_buffer_size(self.backend_index(backend))

    def buffer_sizes(self) -> list[int]:
        return [self.galloc.get_buffer_size(i) for i in range(self.n_backends)]

    def get_tensor_backend(self, t: Tensor) -> Backend | None:
        b = self.st.get(t)
        return self.backends[b] if b != UNASSIGNED else None

    def set_tensor_backend(self, node: Tensor, backend: Backend) -> None:
        """Pin ``node`` to ``backend``; passes 1-4 never move it. Cleared by ``reset``."""
        self.st.set(node, self.backend_index(backend), "usr")
        self.st.pins.add(node)
        self.is_reset = False

    def set_eval_callback(self, callback: EvalCallback | None) -> None:
        """``callback(t, ask)``: asked (ask=True) before each node whether the caller wants
        to see it; if so, called again (ask=False) once it is computed, and returning False
        stops the rest of that split (ggml's semantics: later splits still run)."""
        self.callback = callback

    def plan(self, nodes: bool = False) -> dict:
        """The last placement as JSON-serializable data: splits (backend, node range, inputs
        and their copies, copies reused, bytes copied), graph inputs, per-backend buffer
        sizes, and with ``nodes=True`` every node's backend, cause and sources."""
        if self.placement is None:
            raise SchedulerError("no plan yet: call reserve, alloc_graph or graph_compute first")
        names = [b.name for b in self.backends]
        return plan_data(self.placement, names, self.buffer_sizes(), nodes)

    # -- placing a graph ----------------------------------------------------------------------

    @_gc_paused
    def split_graph(self, graph: Graph) -> None:
        """Assign every tensor a backend and form the splits; no memory is touched."""
        require_graph(graph, "Scheduler")
        self._check_size(graph)
        self._forget_previous()
        self.is_reset = False
        self.is_alloc = False  # whatever was allocated is no longer placed
        st = self.st
        st.new_graph()
        view_op = view_op_flags(graph.nodes)
        assign_backends(st, graph, view_op)
        check_assignment(st, graph.nodes, view_op)
        res = pass5_split(st, graph.nodes, view_op, self.n_copies, self.cur_copy)
        self.placement = Placement(graph, res.splits, res.copies, dict(st.ids),
                                   dict(st.causes), res.rewrites)
        self._rewrites = res.rewrites
        if self.debug:
            self._print_assignments()
        if self._copy is not None:  # ggml swaps the id arrays into prev_* here
            self._prev = (self._copy.node_ids, self._copy.leaf_ids)
        self._copy = build_graph_copy(st, graph, res)

    @_gc_paused
    def reserve(self, graph: Graph) -> bool:
        """Measure and allocate compute buffers big enough for ``graph`` (a worst case).
        Returns False when a buffer cannot be allocated."""
        self.synchronize()
        self.split_graph(graph)
        gc = self._copy
        ok = self.galloc.reserve_n(gc.graph, gc.node_ids, gc.leaf_ids)
        self._reset(keep_pins=True)
        return bool(ok)

    @_gc_paused
    def reserve_size(self, graph: Graph) -> list[int]:
        """Per-backend bytes ``graph`` would need, without allocating anything."""
        self.synchronize()
        self.split_graph(graph)
        gc = self._copy
        sizes = self.galloc.reserve_n_size(gc.graph, gc.node_ids, gc.leaf_ids)
        self._reset(keep_pins=True)
        return list(sizes)

    @_gc_paused
    def alloc_graph(self, graph: Graph) -> bool:
        """Place ``graph`` and give its tensors memory. Returns False if that fails."""
        if self.is_alloc:
            raise SchedulerError(
                "alloc_graph: a graph is already allocated; call reset() before placing another"
            )
        self.cur_copy = self.next_copy
        self.next_copy = (self.next_copy + 1) % self.n_copies
        self.split_graph(graph)
        if not self._alloc_splits():
            return False
        self.is_alloc = True
        return True

    # -- running ------------------------------------------------------------------------------

    def graph_compute_async(self, graph: Graph) -> None:
        if self.is_alloc and self.placement.graph is not graph:
            self.reset()
        if not self.is_reset and not self.is_alloc:
            self.reset()
        if not self.is_alloc and not self.alloc_graph(graph):
            raise AllocationError(f"could not allocate the compute buffers for {graph!r}")
        Executor(self.st, self.events).run(self.splits, self.placement.copies, self.callback)

    def graph_compute(self, graph: Graph) -> None:
        """Compute ``graph`` (placing and allocating it first if it is not the allocated one)."""
        self.graph_compute_async(graph)
        self.synchronize()

    def synchronize(self) -> None:
        for b in self.backends:
            b.synchronize()
        if not self.is_alloc:
            # NOTE: with no graph allocated the next one uses copy 0 again, so repeated
            # single evaluations always see the same copy slots (ggml #13922).
            self.next_copy = 0

    def reset(self) -> None:
        """Forget assignments (user pins too), copies and the graph's placement in memory.
        Tensors the scheduler allocated are unallocated again."""
        self._reset(keep_pins=False)

    # -- internals ----------------------------------------------------------------------------

    def _reset(self, keep_pins: bool) -> None:
        if not self.is_reset:
            self._forget_previous()
            pins = {t: self.st.ids[t] for t in self.st.pins} if keep_pins else {}
            self.st.clear()
            for t, b in pins.items():
                self.st.set(t, b, "usr")
                self.st.pins.add(t)
            self.is_reset = True
        self.is_alloc = False

    def _forget_previous(self) -> None:
        """Undo the previous split's source rewrites and allocations."""
        undo_rewrites(self._rewrites)
        self._rewrites = []
        for t in self._placed:
            t.buffer = t.data = None
        self._placed = []

    def _alloc_splits(self) -> bool:
        """Allocate the graph copy; reserve again only if a node changed buffer type or the
        allocator says the graph no longer fits its plan."""
        gc = self._copy
        changed = self._ids_changed(gc)
        self._placed = [t for t in chain(gc.graph.leafs, gc.graph.nodes) if t.buffer is None]
        if changed or not self.galloc.alloc_graph(gc.graph):
            self._check_realloc(changed, gc)
            for b in self.backends:
                b.synchronize()
            self.galloc.reserve_n(gc.graph, gc.node_ids, gc.leaf_ids)
            if not self.galloc.alloc_graph(gc.graph):
                return False
        return True

    def _ids_changed(self, gc: GraphCopy) -> bool:
        prev_nodes, prev_leafs = self._prev
        return _changed(gc.node_ids, prev_nodes, self.bufts) or _changed(
            gc.leaf_ids, prev_leafs, self.bufts
        )

    def _check_realloc(self, changed: bool, gc: GraphCopy) -> None:
        if self.debug_realloc <= 0:
            return
        prev_nodes, prev_leafs = self._prev
        same_size = len(prev_nodes) == len(gc.node_ids) and len(prev_leafs) == len(gc.leaf_ids)
        if (not changed and same_size) or self.debug_realloc > 1:
            raise SchedulerError(
                f"unexpected graph reallocation (graph nodes = {len(gc.node_ids)}, leafs = "
                f"{len(gc.leaf_ids)}, backend ids changed = {changed}), "
                f"GGSCHED_DEBUG_REALLOC = {self.debug_realloc}"
            )

    def _check_size(self, graph: Graph) -> None:
        n = graph.n_nodes + graph.n_leafs
        if n > self.graph_size:
            raise SchedulerError(
                f"graph has {graph.n_nodes} nodes + {graph.n_leafs} leafs = {n} tensors; this "
                f"scheduler was made for graph_size={self.graph_size}"
            )

    def _print_assignments(self) -> None:
        names = [b.name for b in self.backends]
        out = self.debug_file or sys.stderr
        out.write(format_assignments(self.placement, names, self.debug))

    def __repr__(self) -> str:
        names = ", ".join(b.name for b in self.backends)
        return f"<Scheduler [{names}] n_copies={self.n_copies} n_splits={self.n_splits}>"


def _changed(cur: list[int], prev: list[int], bufts: list[BufferType]) -> bool:
    """ggml's "backend ids changed": some slot moved to a backend with another buffer type."""
    if cur == prev:
        return False
    return any(a != b and bufts[a] is not bufts[b] for a, b in zip(cur, prev))


def _check_backends(backends: list[Backend]) -> None:
    if not 0 < len(backends) <= MAX_BACKENDS:
        raise SchedulerError(f"a scheduler takes 1 to {MAX_BACKENDS} backends, got {len(backends)}")
    for i, b in enumerate(backends):
        if not isinstance(b, Backend):
            raise SchedulerError(f"backend {i} must be a Backend, got {type(b).__name__} ({b!r})")
    last = backends[-1]
    if last.device.type is not DeviceType.CPU:
        names = ", ".join(f"{b.name} ({b.device.type.value})" for b in backends)
        raise SchedulerError(
            f"the last backend must be a CPU device (the fallback for every op); got {names}"
        )


def _resolve_bufts(backends: list[Backend], bufts) -> list[BufferType]:
    bufts = list(bufts) if bufts is not None else [None] * len(backends)
    if len(bufts) != len(backends):
        raise SchedulerError(f"{len(backends)} backends but {len(bufts)} buffer types")
    out = [buft or b.default_buffer_type for b, buft in zip(backends, bufts)]
    for b, buft in zip(backends, out):
        if not b.supports_buft(buft):
            raise SchedulerError(f"backend {b.name} does not support buffer type {buft.name}")
    return out


def _events(backend: Backend, n_copies: int) -> list:
    if n_copies == 1:
        return [None]
    return [backend.device.event_new() for _ in range(n_copies)]
