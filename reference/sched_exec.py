"""Running the splits (ggml_backend_sched_compute_splits): copy each split's inputs, compute.

Ordering between backends follows ggml: a user input is copied blocking (the user may
overwrite host data as soon as the call returns); other inputs are copied after the split's
backend has finished with the previous use of this copy slot (its event for the slot, or a
full synchronize), through the destination backend's async copy when it has one. A split
without inputs that follows a split on another backend waits for that backend first, since
the allocator may have reused memory across splits (llama#26040).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .backend import Backend, Event, tensor_copy
from .sched_splits import Copies, Split
from .sched_state import SchedState
from .tensor import Tensor

EvalCallback = Callable[[Tensor, bool], bool]


class Executor:
    """Computes a placed graph's splits on their backends, one evaluation per ``run``."""

    def __init__(self, st: SchedState, events: Sequence[Sequence[Event | None]]) -> None:
        self.st = st
        self.events = events  # events[backend][copy], None where the device has none

    def run(self, splits: list[Split], copies: Copies, callback: EvalCallback | None) -> None:
        c = copies.cur_copy
        for k, split in enumerate(splits):
            backend = self.st.backends[split.backend_id]
            if not split.inputs and k > 0:
                self._wait_previous(splits[k - 1], split, c)
            for src in split.inputs:
                self._copy_input(src, copies.get(src, split.backend_id), split.backend_id, c)
            if callback is None:
                backend.graph_compute_async(split.graph)
            else:
                compute_with_callback(backend, split, callback)
            event = self.events[split.backend_id][c]
            if event is not None:
                event.record(backend)

    def _wait_previous(self, prev: Split, split: Split, c: int) -> None:
        if prev.backend_id != split.backend_id:
            self._host_wait(prev.backend_id, c)

    def _host_wait(self, b: int, c: int) -> None:
        event = self.events[b][c]
        if event is not None:
            event.synchronize()
        else:
            self.st.backends[b].synchronize()

    def _copy_input(self, src: Tensor, dst: Tensor, b: int, c: int) -> None:
        if src.is_input:
            self._host_wait(b, c)
            tensor_copy(src, dst)
            return
        backend, event = self.st.backends[b], self.events[b][c]
        if event is not None:
            event.wait(backend)
        else:
            backend.synchronize()
        src_backend = self.st.backends[self.st.ids[src]]
        if not backend.cpy_tensor_async(src_backend, src, dst):
            src_backend.synchronize()
            self._host_wait(b, c)
            tensor_copy(src, dst)


def compute_with_callback(backend: Backend, split: Split, callback: EvalCallback) -> None:
    """Compute the split in runs that end at a node the callback asks to see (ask=True), then
    show it that node (ask=False). A False answer stops this split only, as in ggml; later
    splits still run."""
    nodes = split.graph.nodes
    j0 = 0
    while j0 < len(nodes):
        j1 = j0
        need = callback(nodes[j1], True)
        while not need and j1 < len(nodes) - 1:
            j1 += 1
            need = callback(nodes[j1], True)
        backend.graph_compute_async(split.graph.view(j0, j1 + 1))
        backend.synchronize()
        if need and not callback(nodes[j1], False):
            return
        j0 = j1 + 1
