"""The exceptions ggsched raises for anything a user can get wrong.

Every error a caller can provoke (bad shapes, types, views, unsupported ops, missing devices,
buffer misuse) is one of these, with a message that names the op, the operands and what was
expected. Catch ``GGSchedError`` to catch them all.
"""

from __future__ import annotations


class GGSchedError(Exception):
    """Base of every ggsched error."""


class ShapeError(GGSchedError, ValueError):
    """An op was built with operands whose ne do not fit together."""


class TypeMismatchError(GGSchedError, TypeError):
    """An op was built with a tensor type it does not accept."""


class ViewError(GGSchedError, ValueError):
    """A view, reshape or permute is out of bounds or needs a contiguous tensor."""


class OpParamError(GGSchedError, ValueError):
    """An op parameter (axis, mode, count, ...) is out of range."""


class GraphError(GGSchedError):
    """A graph is malformed (too many nodes, foreign tensors, missing feeds)."""


class UnsupportedOpError(GGSchedError):
    """No kernel (or no backend) can compute this op with these types and shapes."""


class BufferAccessError(GGSchedError):
    """A buffer was misused: unallocated tensor, out-of-bounds access, wrong buffer."""


class AllocationError(GGSchedError, MemoryError):
    """A buffer could not be allocated or a graph does not fit its buffers."""


class BackendUnavailable(GGSchedError):
    """A backend or device is missing; the message says why."""


class BackendNotFound(GGSchedError, KeyError):
    """A lookup by name matched no registered backend; the message lists those available."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class SchedulerError(GGSchedError):
    """The scheduler cannot place or run a graph (no backend supports an op, bad buffers)."""


class QuantizationError(GGSchedError, ValueError):
    """A row length is not a multiple of the block size of a quantized type."""


__all__ = [
    "AllocationError",
    "BackendNotFound",
    "BackendUnavailable",
    "BufferAccessError",
    "GGSchedError",
    "GraphError",
    "OpParamError",
    "QuantizationError",
    "SchedulerError",
    "ShapeError",
    "TypeMismatchError",
    "UnsupportedOpError",
    "ViewError",
]
