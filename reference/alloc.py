"""ggml-alloc: the linear allocator (ggml_tallocr) and the graph allocator (ggml_gallocr).

``TAllocr`` places tensors one after another in a buffer and never frees (weights).
``GAllocr`` plans a graph's compute memory with a dynamic best-fit allocator (``DynAllocr``):
it measures (``reserve``), then places tensors at the planned addresses (``alloc_graph``)
without growing. The rules are ggml's exactly (ggml-alloc.c), so sizes and offsets match real
ggml byte for byte; ggml's asserts become ``AllocationError``.

Set ``GGSCHED_DEBUG_ALLOC=1`` to trace every decision, with its reason, on logger
``ggsched.alloc`` (printed to stderr).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from itertools import repeat

from .backend import (
    Backend,
    Buffer,
    BufferType,
    BufferUsage,
    MultiBuffer,
    tensor_alloc,
    view_init,
)
from .checks import require_graph, require_tensor
from .errors import AllocationError, GraphError
from .graph import Graph
from .op import INPLACE_OPS, Op
from .tensor import Tensor, TensorFlag, are_same_layout

DEBUG_ENV = "GGSCHED_DEBUG_ALLOC"
MAX_FREE_BLOCKS = 256  # per chunk, as in ggml
VBUFFER_MAX_CHUNKS = 16
SIZE_MAX_HALF = (1 << 63) - 1  # SIZE_MAX/2: the "unbounded" size of a measuring chunk

log = logging.getLogger("ggsched.alloc")

Address = tuple[int, int]  # (chunk, offset)
BufferIds = Sequence[int] | None  # a buffer id per node (or leaf); None: all in buffer 0


def pad(size: int, alignment: int) -> int:
    """``size`` rounded up to a multiple of ``alignment`` (a power of two)."""
    return (size + alignment - 1) & ~(alignment - 1)


def _check_alignment(alignment: int, who: str) -> None:
    if alignment <= 0 or alignment & (alignment - 1):
        raise AllocationError(f"{who}: alignment {alignment} is not a power of two")


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


class _StderrTrace(logging.Handler):
    """Writes to whatever sys.stderr is at the time (it may be replaced after set-up)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"ggsched.alloc: {record.getMessage()}\n")


def _enable_stderr_trace() -> None:
    if not any(isinstance(h, _StderrTrace) for h in log.handlers):
        log.addHandler(_StderrTrace())
    log.setLevel(logging.DEBUG)


# -- the linear allocator -------------------------------------------------------------------------


class TAllocr:
    """ggml_tallocr: place tensors back to back in ``buffer``, each at an aligned offset."""

    def __init__(self, buffer: Buffer) -> None:
        _check_alignment(buffer.alignment, f"buffer {buffer.name}")
        self.buffer = buffer
        self.alignment = buffer.alignment
        self.offset = 0

    def alloc(self, t: Tensor) -> None:
        size = pad(self.buffer.buft.alloc_size(t), self.alignment)
        have = self.buffer.size - self.offset
        if size > have:
            raise AllocationError(
                f"not enough space in buffer {self.buffer.name}: need {size} B for "
                f"{t.describe()}, have {have} B (buffer of {self.buffer.size} B)"
            )
        tensor_alloc(self.buffer, t, self.offset)
        self.offset += size


# -- the dynamic (planning) allocator -------------------------------------------------------------


class _Chunk:
    """One future backend buffer: free blocks [offset, size] sorted by offset, high-water mark."""

    __slots__ = ("blocks", "max_size")

    def __init__(self, size: int) -> None:
        self.blocks: list[list[int]] = [[0, size]]
        self.max_size = 0

    def insert(self, offset: int, size: int) -> None:
        if len(self.blocks) >= MAX_FREE_BLOCKS:
            raise AllocationError(
                f"graph allocation: out of free blocks ({MAX_FREE_BLOCKS} per chunk, as in ggml)"
            )
        i = 0
        while i < len(self.blocks) and self.blocks[i][0] < offset:
            i += 1
        self.blocks.insert(i, [offset, size])


class DynAllocr:
    """ggml_dyn_tallocr: best fit over free blocks, in chunks of at most ``max_size`` bytes.

    Addresses are (chunk, offset). A chunk's ``max_size`` is its high-water mark: the size of
    the buffer it will become.
    """

    def __init__(self, alignment: int, max_size: int = SIZE_MAX_HALF, name: str = "") -> None:
        _check_alignment(alignment, f"buffer type {name}")
        self.alignment = alignment
        self.max_chunk_size = min(max_size, SIZE_MAX_HALF)
        self.name = name
        self.chunks: list[_Chunk] = []

    def reset(self) -> None:
        self.chunks = []

    def chunk_max_size(self, c: int) -> int:
        return self.chunks[c].max_size if c < len(self.chunks) else 0

    @property
    def size(self) -> int:
        """Bytes needed: the sum of the chunks' high-water marks."""
        return sum(c.max_size for c in self.chunks)

    def alloc(self, size: int, t: Tensor | None = None) -> Address:
        size = pad(size, self.alignment)
        c, b, why = self._best_fit(size)
        if b < 0:
            c, b, why = self._best_tail(size)
        if b < 0:
            c, b, why = self._new_chunk(size), 0, "new chunk"
        chunk = self.chunks[c]
        block = chunk.blocks[b]
        addr = (c, block[0])
        block[0] += size
        block[1] -= size
        if block[1] == 0:
            del chunk.blocks[b]
        chunk.max_size = max(chunk.max_size, addr[1] + size)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s: %s gets %d B at chunk %d offset %d (%s); chunk high-water %d",
                self.name, t.name if t is not None else "?", size, c, addr[1], why,
                chunk.max_size,
            )
        return addr

    def _best_fit(self, size: int) -> tuple[int, int, str]:
        """The smallest non-tail block that fits. NOTE: as in ggml, the best size is reset per
        chunk, so a fitting block of a later chunk wins over a smaller one of an earlier chunk;
        ties go to the later block (``<=``)."""
        best_c = best_b = -1
        for c, chunk in enumerate(self.chunks):
            best = SIZE_MAX_HALF * 2 + 1
            blocks = chunk.blocks
            for i in range(len(blocks) - 1):
                bsize = blocks[i][1]
                if size <= bsize <= best:
                    best_c, best_b, best = c, i, bsize
        return best_c, best_b, f"best fit, block #{best_b}"

    def _best_tail(self, size: int) -> tuple[int, int, str]:
        """A chunk's last block: prefer one that fits under its high-water mark with the least
        waste; else the one that grows the chunk least (ggml's reuse factor)."""
        best_c = best_b = -1
        best_reuse: int | None = None
        for c, chunk in enumerate(self.chunks):
            if not chunk.blocks:
                continue
            offset, bsize = chunk.blocks[-1]
            reuse = chunk.max_size - offset - size
            if best_reuse is None:
                better = True
            else:
                better = (best_reuse < 0 and reuse > best_reuse) or (0 <= reuse < best_reuse)
            if bsize >= size and better:
                best_c, best_b, best_reuse = c, len(chunk.blocks) - 1, reuse
        how = "fits under the high-water mark" if (best_reuse or 0) >= 0 else "grows the chunk"
        return best_c, best_b, f"tail block, {how} (reuse {best_reuse})"

    def _new_chunk(self, min_size: int) -> int:
        if len(self.chunks) >= VBUFFER_MAX_CHUNKS:
            raise AllocationError(
                f"graph allocation: failed to reserve {min_size} B in buffer type {self.name}: "
                f"all {VBUFFER_MAX_CHUNKS} chunks are used"
            )
        size = max(min_size, self.max_chunk_size)
        if len(self.chunks) == VBUFFER_MAX_CHUNKS - 1:
            size = SIZE_MAX_HALF  # the last chunk takes whatever is left
        self.chunks.append(_Chunk(size))
        return len(self.chunks) - 1

    def free_bytes(self, addr: Address, size: int) -> None:
        """Return [offset, offset+size) of a chunk, merging with its free neighbours."""
        size = pad(size, self.alignment)
        chunk = self.chunks[addr[0]]
        offset, blocks = addr[1], chunk.blocks
        for i, block in enumerate(blocks):
            if block[0] + block[1] == offset:
                block[1] += size
                if i + 1 < len(blocks) and block[0] + block[1] == blocks[i + 1][0]:
                    block[1] += blocks[i + 1][1]
                    del blocks[i + 1]
                return
            if offset + size == block[0]:
                block[0] = offset
                block[1] += size
                if i > 0 and blocks[i - 1][0] + blocks[i - 1][1] == block[0]:
                    blocks[i - 1][1] += block[1]
                    del blocks[i]
                return
        chunk.insert(offset, size)


# -- buffers made of chunks -----------------------------------------------------------------------


class VBuffer:
    """A virtual buffer: one backend buffer per chunk of a DynAllocr (ggml's vbuffer)."""

    def __init__(self, chunks: list[Buffer]) -> None:
        self.chunks = chunks

    @classmethod
    def alloc(cls, buft: BufferType, talloc: DynAllocr, usage: BufferUsage) -> VBuffer:
        chunks: list[Buffer] = []
        try:
            for chunk in talloc.chunks:
                buf = buft.alloc_buffer(chunk.max_size)
                buf.usage = usage
                chunks.append(buf)
        except Exception:
            cls(chunks).free()
            raise
        return cls(chunks)

    @property
    def size(self) -> int:
        return sum(b.size for b in self.chunks)

    def chunk_size(self, c: int) -> int:
        return self.chunks[c].size if c < len(self.chunks) else 0

    def tensor_alloc(self, t: Tensor, addr: Address) -> None:
        tensor_alloc(self.chunks[addr[0]], t, addr[1])

    def reset(self) -> None:
        for b in self.chunks:
            b.reset()

    def free(self) -> None:
        for b in self.chunks:
            b.free()

    def __repr__(self) -> str:
        return f"<VBuffer {[b.size for b in self.chunks]}>"


# -- the graph allocator --------------------------------------------------------------------------


class _HashNode:
    """Per-tensor planning state (ggml's hash_node), plus what the plan computed once."""

    __slots__ = ("n_children", "n_views", "buffer_id", "addr", "allocated", "size", "record")

    def __init__(self) -> None:
        self.n_children = 0
        self.n_views = 0
        self.buffer_id = 0
        self.addr: Address = (0, 0)
        self.allocated = False  # owned by this allocator (and not handed to an in-place child)
        self.size = -1  # alloc size in buffer type buffer_id; set whenever buffer_id is
        self.record: TensorAlloc | None = None  # made once by _record


class TensorAlloc:
    """Where the plan put a tensor; buffer_id -1 for views and pre-allocated tensors."""

    # NOTE: a plain slotted class: one is made per tensor of every plan (a NamedTuple or a
    # frozen dataclass costs several times more to build)
    __slots__ = ("buffer_id", "addr", "size_max")

    def __init__(self, buffer_id: int, addr: Address | None, size_max: int) -> None:
        self.buffer_id = buffer_id
        self.addr = addr
        self.size_max = size_max

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorAlloc):
            return NotImplemented
        return (self.buffer_id, self.addr, self.size_max) == (
            other.buffer_id, other.addr, other.size_max)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"TensorAlloc(buffer_id={self.buffer_id}, addr={self.addr}, "
                f"size_max={self.size_max})")


_EXTERNAL = TensorAlloc(-1, None, 0)
# Ops that may overwrite a parent, held by id(): hashing an enum member runs Python code
_INPLACE_OP_IDS = frozenset(id(op) for op in INPLACE_OPS)
_OP_NONE = Op.NONE
_INPUT = int(TensorFlag.INPUT)


class GAllocr:
    """ggml_gallocr: plan (reserve) and place (alloc_graph) a graph's tensors in compute buffers.

    ``bufts[i]`` is the buffer type of buffer id ``i``; repeated buffer types share one
    planner and one buffer. ``buffers[i]`` is the VBuffer of id i (None before reserve).
    """

    def __init__(self, bufts: BufferType | Sequence[BufferType], debug: bool | None = None) -> None:
        self.bufts: list[BufferType] = [bufts] if isinstance(bufts, BufferType) else list(bufts)
        if not self.bufts:
            raise AllocationError("GAllocr needs at least one buffer type")
        for i, buft in enumerate(self.bufts):
            if not isinstance(buft, BufferType):
                raise AllocationError(f"GAllocr: buffer type {i} must be a BufferType, got "
                                      f"{type(buft).__name__}")
        self.buffers: list[VBuffer | None] = [None] * len(self.bufts)
        self._tallocs: list[DynAllocr] = []
        for i, buft in enumerate(self.bufts):
            shared = next((self._tallocs[j] for j in range(i) if self.bufts[j] is buft), None)
            self._tallocs.append(shared or DynAllocr(buft.alignment, buft.max_size, buft.name))
        self._hash: dict[Tensor, _HashNode] = {}
        self._node_allocs: list[tuple[TensorAlloc, list[TensorAlloc]]] = []
        self._leaf_allocs: list[TensorAlloc] = []
        self._planned = False
        if debug if debug is not None else debug_enabled():
            _enable_stderr_trace()

    @property
    def n_buffers(self) -> int:
        return len(self.bufts)

    # -- public API (ggml-alloc.h) --------------------------------------------------------------

    def reserve(self, graph: Graph) -> bool:
        """Measure ``graph`` with every tensor in buffer 0 and (re)allocate the buffer."""
        return self.reserve_n(graph, None, None)

    def reserve_n(
        self, graph: Graph, node_buffer_ids: BufferIds, leaf_buffer_ids: BufferIds
    ) -> bool:
        """Plan with node i in buffer ``node_buffer_ids[i]`` (leaf i in ``leaf_buffer_ids[i]``)
        and grow the buffers that need it. False when a buffer cannot be allocated."""
        return self._reserve(graph, node_buffer_ids, leaf_buffer_ids, no_alloc=False)

    def reserve_n_size(
        self, graph: Graph, node_buffer_ids: BufferIds, leaf_buffer_ids: BufferIds
    ) -> list[int]:
        """Plan without allocating; the bytes each buffer id would need (sum of its chunks)."""
        self._reserve(graph, node_buffer_ids, leaf_buffer_ids, no_alloc=True)
        return [t.size for t in self._tallocs]

    def alloc_graph(self, graph: Graph) -> bool:
        """Place every tensor of ``graph`` at its planned address. If the graph differs from
        the plan, re-reserve when there is a single buffer; with several, return False (the
        caller must call reserve_n)."""
        require_graph(graph, "GAllocr.alloc_graph")
        if self._needs_realloc(graph):
            if self.n_buffers != 1:
                log.debug("alloc_graph: cannot reallocate a multi-buffer graph automatically")
                return False
            log.debug("alloc_graph: no plan for this graph yet; reserving")
            if not self.reserve(graph):
                return False
        for vbuf in self.buffers:
            if vbuf is not None:
                vbuf.reset()
        self._place(graph)
        return True

    def get_buffer_size(self, buffer_id: int) -> int:
        """Bytes of buffer ``buffer_id``; 0 if none yet or if an earlier id shares it."""
        if not 0 <= buffer_id < self.n_buffers:
            raise AllocationError(f"buffer id {buffer_id} out of range 0..{self.n_buffers - 1}")
        vbuf = self.buffers[buffer_id]
        if vbuf is None or any(self.buffers[i] is vbuf for i in range(buffer_id)):
            return 0
        return vbuf.size

    def free(self) -> None:
        """Release every buffer (ggml_gallocr_free)."""
        seen: set[int] = set()
        for vbuf in self.buffers:
            if vbuf is not None and id(vbuf) not in seen:
                seen.add(id(vbuf))
                vbuf.free()
        self.buffers = [None] * self.n_buffers

    # -- reserve ---------------------------------------------------------------------------------

    def _reserve(self, graph: Graph, node_ids, leaf_ids, no_alloc: bool) -> bool:
        require_graph(graph, "GAllocr")
        node_ids = self._check_ids(node_ids, graph.n_nodes, "node")
        leaf_ids = self._check_ids(leaf_ids, graph.n_leafs, "leaf")
        for talloc in self._tallocs:
            talloc.reset()
        self._plan(graph, node_ids, leaf_ids)
        self._record(graph)
        self._planned = True
        return self._grow_buffers(no_alloc)

    def _check_ids(self, ids: Sequence[int] | None, n: int, what: str) -> Sequence[int] | None:
        if ids is None:
            return None
        if len(ids) != n:
            raise GraphError(f"{what}_buffer_ids has {len(ids)} entries for {n} {what}s")
        bad = [i for i in ids if not 0 <= i < self.n_buffers]
        if bad:
            raise GraphError(
                f"{what}_buffer_ids holds {bad[0]}, outside buffer ids 0..{self.n_buffers - 1}"
            )
        return ids

    def _record(self, graph: Graph) -> None:
        """Remember each tensor's planned place (ggml's node_allocs and leaf_allocs)."""
        records, bufts = self._hash, self.bufts

        def alloc_of(t: Tensor | None) -> TensorAlloc:
            if t is None or t.view_src is not None or t.data is not None:
                return _EXTERNAL
            hn = records[t]  # every leaf, node and source has one after _plan
            talloc = hn.record  # a tensor is read by many nodes: one record
            if talloc is None:
                size = hn.size if hn.size >= 0 else bufts[hn.buffer_id].alloc_size(t)
                talloc = hn.record = TensorAlloc(hn.buffer_id, hn.addr, size)
            return talloc

        self._node_allocs = [
            (alloc_of(node), [alloc_of(s) for s in node.src]) for node in graph.nodes
        ]
        self._leaf_allocs = [alloc_of(leaf) for leaf in graph.leafs]

    def _grow_buffers(self, no_alloc: bool) -> bool:
        """Buffers only grow: reallocate one when any chunk now needs more than it has."""
        for i, talloc in enumerate(self._tallocs):
            j = next((j for j in range(i) if self._tallocs[j] is talloc), None)
            if j is not None:
                self.buffers[i] = self.buffers[j]
            vbuf = self.buffers[i]
            realloc = vbuf is None or any(
                talloc.chunk_max_size(c) > vbuf.chunk_size(c) for c in range(len(talloc.chunks))
            )
            if not realloc:
                continue
            if vbuf is not None:
                log.debug("reserve: reallocating %s buffer: %d B -> %d B",
                          self.bufts[i].name, vbuf.size, talloc.size)
                vbuf.free()
            self.buffers[i] = None
            if no_alloc:
                continue
            try:
                self.buffers[i] = VBuffer.alloc(self.bufts[i], talloc, BufferUsage.COMPUTE)
            except AllocationError as e:
                log.error("failed to allocate %s buffer of size %d: %s",
                          self.bufts[i].name, talloc.size, e)
                return False
        return True

    # -- planning (ggml_gallocr_alloc_graph_impl) ------------------------------------------------

    def _hn(self, t: Tensor) -> _HashNode:
        hn = self._hash.get(t)
        if hn is None:
            hn = self._hash[t] = _HashNode()
        return hn

    # NOTE: the planning loops below run a few times per node of graphs of 10⁵ nodes: each
    # fetches a tensor's record once and hands it on, and reads attributes into locals.

    def _plan(self, graph: Graph, node_ids, leaf_ids) -> None:
        self._hash = {}
        hn_of = self._hn
        # leafs first: since ggml#731 every leaf is treated as an input
        for leaf, buffer_id in zip(graph.leafs, leaf_ids or repeat(0)):
            self._allocate_node(leaf, hn_of(leaf), buffer_id)
        nodes = graph.nodes
        node_ids = node_ids or [0] * len(nodes)
        self._count_and_place_inputs(nodes, node_ids)
        records, allocate, release = self._hash, self._allocate_node, self._release_parents
        for node, buffer_id in zip(nodes, node_ids):
            # every node and source has its record since _count_and_place_inputs; most
            # parents are already placed, which is tested here before any call
            for parent in node.src:
                if parent is not None:
                    hn = records[parent]
                    if not hn.allocated and parent.data is None:
                        allocate(parent, hn, buffer_id)
            allocate(node, records[node], buffer_id)
            release(node, records)

    def _count_and_place_inputs(self, nodes: list[Tensor], node_ids: Sequence[int]) -> None:
        """Count children and views; allocate inputs now so that nothing overlaps them."""
        records, get, allocate = self._hash, self._hash.get, self._allocate_node
        flag = int.__and__  # Tensor.is_input without the property call (IntFlag's & is slow)
        for node, buffer_id in zip(nodes, node_ids):
            hn = get(node)
            if hn is None:
                hn = records[node] = _HashNode()
            # NOTE: op NONE views are the scheduler's dependency markers, not real views
            vs = node.view_src
            if vs is not None and node.op is not _OP_NONE:
                vs_hn = get(vs)
                if vs_hn is None:
                    vs_hn = records[vs] = _HashNode()
                vs_hn.n_views += 1
            if flag(node.flags, _INPUT):
                allocate(node, hn, buffer_id)
            for src in node.src:
                if src is None:
                    continue
                s_hn = get(src)
                if s_hn is None:
                    s_hn = records[src] = _HashNode()
                s_hn.n_children += 1
                if flag(src.flags, _INPUT):
                    allocate(src, s_hn, buffer_id)

    def _release_parents(self, node: Tensor, records: dict[Tensor, _HashNode]) -> None:
        """Free each parent (or the view_src of a view parent) whose last reader was node."""
        for parent in node.src:
            if parent is None:
                continue
            p_hn = records[parent]
            p_hn.n_children -= 1
            if p_hn.n_children or p_hn.n_views:
                continue
            vs = parent.view_src
            if vs is not None:
                vs_hn = self._hn(vs)
                vs_hn.n_views -= 1
                if vs_hn.n_views == 0 and vs_hn.n_children == 0 and vs_hn.allocated:
                    self._free_node(vs, vs_hn, "its last view %s was read by %s", parent, node)
            elif p_hn.allocated:
                self._free_node(parent, p_hn, "its last reader was %s", node)

    def _allocate_node(self, node: Tensor, hn: _HashNode, buffer_id: int) -> None:
        if hn.allocated or node.data is not None or node.buffer is not None:
            return
        if node.view_src is not None:
            return
        hn.allocated = True
        if id(node.op) in _INPLACE_OP_IDS and self._reuse_parent(node, hn):
            return
        hn.buffer_id = buffer_id
        hn.size = size = self.bufts[buffer_id].alloc_size(node)
        hn.addr = self._tallocs[buffer_id].alloc(size, node)

    def _reuse_parent(self, node: Tensor, hn: _HashNode) -> bool:
        """In-place: take the first parent whose memory node may overwrite (ggml's rules)."""
        records = self._hash
        for parent in node.src:
            if parent is None:
                continue
            p_hn = records[parent]
            why_not = self._inplace_refusal(node, parent, p_hn)
            if why_not:
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("%s (%s) does not reuse %s: %s",
                              node.name, node.op_desc, parent.name, why_not)
                continue
            hn.buffer_id, hn.addr = p_hn.buffer_id, p_hn.addr
            p_hn.allocated = False  # node owns the memory now; parent must not free it
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s (%s) reuses %s in place at chunk %d offset %d",
                          node.name, node.op_desc, parent.name, *hn.addr)
            self._free_extra_space(node, hn, parent, p_hn)
            return True
        return False

    def _inplace_refusal(self, node: Tensor, parent: Tensor, p_hn: _HashNode) -> str:
        """Why node may not overwrite parent ('' when it may).

        NOTE: ggml has a branch for a view parent (reused when its view_src has one view, no
        children and the view starts at offset 0), but it is unreachable: a view is never
        allocated by galloc, so the ownership test below rejects it first. We keep ggml's
        observable behaviour: a view parent is never reused in place.
        """
        if not p_hn.allocated:
            if parent.view_src is not None:
                return "it is a view (views are never galloc-owned)"
            return "it is not galloc-owned (external, pre-allocated or already reused)"
        vs = parent.view_src
        if parent.is_output or (vs is not None and vs.is_output):
            return "it is an output"
        if not are_same_layout(node, parent):
            return "the layouts differ (type, ne or nb)"
        if p_hn.n_children != 1:
            return f"it has {p_hn.n_children} readers left"
        if p_hn.n_views != 0:
            return f"it has {p_hn.n_views} views"
        return ""

    def _free_extra_space(
        self, node: Tensor, hn: _HashNode, parent: Tensor, p_hn: _HashNode
    ) -> None:
        """Give back the tail of parent's block when node needs less (alignment first)."""
        talloc = self._tallocs[p_hn.buffer_id]
        parent_size = p_hn.size
        hn.size = node_size = self.bufts[hn.buffer_id].alloc_size(node)
        if parent_size < node_size:  # ggml asserts: same layout must never need more
            raise AllocationError(
                f"{node.op_desc}: in-place {node.describe()} needs {node_size} B but its parent "
                f"{parent.describe()} has {parent_size} B; get_alloc_size of buffer type "
                f"{self.bufts[hn.buffer_id].name} must depend on the layout only"
            )
        parent_size = pad(parent_size, talloc.alignment)
        node_size = pad(node_size, talloc.alignment)
        if parent_size > node_size:
            chunk, offset = p_hn.addr
            log.debug("%s: freeing the extra %d B of %s", node.name, parent_size - node_size,
                      parent.name)
            talloc.free_bytes((chunk, offset + node_size), parent_size - node_size)

    def _free_node(self, t: Tensor, hn: _HashNode, why: str, *who: Tensor) -> None:
        """Give t's memory back; ``why`` % the names of ``who`` says why (for the trace)."""
        if t.is_output:
            log.debug("not freeing %s: it is an output", t.name)
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("freeing %s (%d B at chunk %d offset %d): %s", t.name, hn.size, *hn.addr,
                      why % tuple(w.name for w in who))
        self._tallocs[hn.buffer_id].free_bytes(hn.addr, hn.size)
        hn.allocated = False

    # -- placing (ggml_gallocr_alloc_graph) ------------------------------------------------------

    def _needs_realloc(self, graph: Graph) -> bool:
        if not self._planned:
            return True
        if len(self._node_allocs) != graph.n_nodes or len(self._leaf_allocs) != graph.n_leafs:
            log.debug("alloc_graph: the graph has a different number of nodes or leafs")
            return True
        sizes: dict[tuple[Tensor, int], int] = {}
        for node, (dst, srcs) in zip(graph.nodes, self._node_allocs):
            if not self._still_fits(node, dst, sizes):
                log.debug("alloc_graph: node %s does not fit its plan", node.name)
                return True
            if len(node.src) > len(srcs):
                return True
            for src, talloc in zip(node.src, srcs):
                if src is not None and not self._still_fits(src, talloc, sizes):
                    log.debug("alloc_graph: src %s of %s does not fit its plan", src.name,
                              node.name)
                    return True
        # NOTE: ggml checks leafs only as node sources; a leaf no node reads (the scheduler's
        # pipeline input slots) planned as pre-allocated but now without memory would trip
        # its assert in init_tensor.
        for leaf, talloc in zip(graph.leafs, self._leaf_allocs):
            if not self._still_fits(leaf, talloc, sizes):
                log.debug("alloc_graph: leaf %s does not fit its plan", leaf.name)
                return True
        return False

    def _still_fits(self, t: Tensor, talloc: TensorAlloc, sizes: dict) -> bool:
        if t.data is not None or t.view_src is not None:
            return True
        if talloc.buffer_id < 0:  # planned as pre-allocated, but now it has no memory
            return False
        key = (t, talloc.buffer_id)
        size = sizes.get(key)
        if size is None:
            size = sizes[key] = self.bufts[talloc.buffer_id].alloc_size(t)
        return talloc.size_max >= size

    def _place(self, graph: Graph) -> None:
        for leaf, talloc in zip(graph.leafs, self._leaf_allocs):
            self._init_tensor(leaf, talloc)
        for node, (dst, srcs) in zip(graph.nodes, self._node_allocs):
            for src, talloc in zip(node.src, srcs):
                if src is not None:
                    self._init_tensor(src, talloc)
            self._init_tensor(node, dst)

    def _init_tensor(self, t: Tensor, talloc: TensorAlloc) -> None:
        if t.view_src is not None:
            if t.buffer is None and t.view_src.buffer is not None:
                view_init(t)
        elif t.data is None:
            vbuf = self.buffers[talloc.buffer_id]
            assert vbuf is not None and talloc.addr is not None  # reserve made them
            vbuf.tensor_alloc(t, talloc.addr)


# -- static allocation of a set of tensors (ggml_backend_alloc_ctx_tensors) -----------------------


def _unique(tensors: Iterable[Tensor]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Iterable):
        raise AllocationError(f"alloc_ctx_tensors: needs an iterable of Tensors, got "
                              f"{type(tensors).__name__}")
    seen: set[int] = set()
    out = []
    for t in tensors:
        require_tensor(t, "alloc_ctx_tensors")
        if id(t) not in seen:
            seen.add(id(t))
            out.append(t)
    return out


def _needs_memory(t: Tensor) -> bool:
    return t.data is None and t.view_src is None


def _ranges(tensors: list[Tensor], buft: BufferType) -> list[tuple[int, int, int]]:
    """Split the tensors into runs (start, end, bytes) that fit in one buffer of buft."""
    ranges, first, cur = [], 0, 0
    for i, t in enumerate(tensors):
        size = pad(buft.alloc_size(t), buft.alignment) if _needs_memory(t) else 0
        if cur > 0 and cur + size > buft.max_size:
            ranges.append((first, i, cur))
            first, cur = i, size
        else:
            cur += size
    if cur > 0:
        ranges.append((first, len(tensors), cur))
    return ranges


def ctx_tensors_size(tensors: Iterable[Tensor], buft: BufferType) -> int:
    """Bytes ``alloc_ctx_tensors_from_buft`` would allocate (ggml's ``_size`` variant)."""
    return sum(size for _, _, size in _ranges(_unique(tensors), buft))


def alloc_ctx_tensors_from_buft(tensors: Iterable[Tensor], buft: BufferType) -> Buffer | None:
    """Allocate every tensor without memory (views excepted) in buffers of ``buft``.

    One buffer, or a MultiBuffer when ``buft.max_size`` forces several; None when nothing needs
    memory. Views (including views of pre-allocated tensors) are then initialised from their
    view_src. Raises AllocationError (after freeing what it allocated) when a buffer fails.
    """
    tensors = _unique(tensors)
    _check_alignment(buft.alignment, f"buffer type {buft.name}")
    buffers: list[Buffer] = []
    try:
        for first, end, size in _ranges(tensors, buft):
            buffers.append(buft.alloc_buffer(size))
            tallocr = TAllocr(buffers[-1])
            for t in tensors[first:end]:
                if _needs_memory(t):
                    tallocr.alloc(t)
        for t in tensors:
            if t.view_src is not None and t.buffer is None:
                view_init(t)
    except Exception:
        for b in buffers:
            b.free()
        raise
    if not buffers:
        return None
    return buffers[0] if len(buffers) == 1 else MultiBuffer(buffers)


def alloc_ctx_tensors(tensors: Iterable[Tensor], backend: Backend) -> Buffer | None:
    """alloc_ctx_tensors_from_buft with the backend's default buffer type."""
    return alloc_ctx_tensors_from_buft(tensors, backend.default_buffer_type)


__all__ = [
    "DEBUG_ENV",
    "DynAllocr",
    "GAllocr",
    "TAllocr",
    "TensorAlloc",
    "VBuffer",
    "alloc_ctx_tensors",
    "alloc_ctx_tensors_from_buft",
    "ctx_tensors_size",
    "pad",
]
