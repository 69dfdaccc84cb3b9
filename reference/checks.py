"""Argument checks for the public entry points: the wrong kind of value is a ggsched error
naming the function, the argument and what it got, not an AttributeError from deep inside."""

from __future__ import annotations

import operator

from .errors import GGSchedError, TypeMismatchError
from .graph import Graph
from .tensor import Tensor


def require_graph(graph: object, who: str) -> Graph:
    if not isinstance(graph, Graph):
        raise TypeMismatchError(f"{who}: needs a Graph, got {type(graph).__name__}")
    return graph


def require_tensor(t: object, who: str, what: str = "tensor") -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeMismatchError(f"{who}: {what} must be a Tensor, got {type(t).__name__}")
    return t


def require_int(v: object, who: str, what: str, error: type[GGSchedError] = TypeMismatchError
                ) -> int:
    """v as an int (numpy integers included); floats, even integral ones, are refused."""
    try:
        return operator.index(v)  # type: ignore[arg-type]
    except TypeError:
        raise error(f"{who}: {what} must be an integer, got {v!r}") from None


__all__ = ["require_graph", "require_int", "require_tensor"]
