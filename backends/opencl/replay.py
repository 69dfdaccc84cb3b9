"""Replaying a node's kernel launches: a graph computed again costs one enqueue per kernel.

Setting a kernel's arguments is the expensive part of a launch (PoCL takes ~6 us per scalar
argument; a generic kernel has a dozen), and a shared kernel object must get them again at
every launch. So a node computed a second time with the same launch key (op, op_params and,
for the node and each source: buffer, byte offset, type, ne, nb — everything its launches are
derived from) records its launches on kernel objects of its own, arguments set once; from the
third time on they are only enqueued. A node seen once (a graph built for one compute) never
pays for the copies (creating a kernel object costs ~80 us on PoCL).

Entries are weakly keyed by node, so they go with the graph.
"""

from __future__ import annotations

import weakref
from typing import Any

from ggsched.backend import tensor_buffer
from ggsched.tensor import Tensor


class Replays:
    """The recorded launches of one runtime's nodes."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def replay(self, rt, node: Tensor) -> bool:
        """Enqueue node's recorded launches if its key is unchanged; False when not recorded."""
        entry = self._entries.get(node)
        if entry is None or entry[1] is None or entry[0] != launch_key(node):
            return False
        for kernel, global_size, local_size in entry[1]:
            rt.enqueue(kernel, global_size, local_size)
        return True

    def run(self, rt, node: Tensor, compute) -> None:
        """``compute(rt, node)``, recorded when this is the node's second time with its key."""
        key = launch_key(node)
        entry = self._entries.get(node)
        if entry is not None and entry[0] == key:
            self._entries[node] = (key, rt.record(lambda: compute(rt, node)))
            return
        compute(rt, node)
        self._entries[node] = (key, None)

    def clear(self) -> None:
        self._entries.clear()


def launch_key(node: Tensor) -> tuple:
    # NOTE: no tensor itself in the key: the entry's value would keep its own weak key alive
    return (node.op, node.op_params, _tensor_key(node),
            *(None if s is None else _tensor_key(s) for s in node.src))


def _tensor_key(t: Tensor) -> tuple[Any, ...]:
    buf = tensor_buffer(t)
    return (buf, getattr(buf, "cl_buffer", None), t.data, t.type, t.ne, t.nb)
