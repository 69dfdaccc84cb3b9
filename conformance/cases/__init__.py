"""The op case table: every op × type × shape × layout the suite runs, and its quick subset.

``op_cases()`` is the full table in a fixed order (collection must be deterministic for
pytest-xdist); ``quick_op_cases()`` keeps the first case of each op × types × layout kind, so
every op, every type it takes and every kind of operand layout stays covered.
"""

from __future__ import annotations

import dataclasses
import functools

from . import attention, copy, elementwise, glu, index, matmul, norm, reduce, shape, unary
from .base import CONT, Builder, CaseGraph, OpCase, fmt
from .bounds import Bound

MODULES = (elementwise, unary, glu, reduce, norm, matmul, copy, index, shape, attention)

# fields whose non-default value makes a different kind of operand layout or op variant
VARIANT_FIELDS = frozenset(
    {"v", "per", "per_src", "per_dst", "inplace", "split", "swapped", "ff", "mask",
     "mask_bcast", "max_bias", "bs", "nr", "type_b", "order", "mode"}
)


@functools.cache
def op_cases() -> tuple[OpCase, ...]:
    table = tuple(case for module in MODULES for case in module.cases())
    seen: dict[str, OpCase] = {}
    for case in table:
        if case.id in seen:
            raise ValueError(f"two op cases share the id {case.id}: {seen[case.id]!r}, {case!r}")
        seen[case.id] = case
    return table


def variant(case: OpCase) -> tuple:
    """What kind of case this is, apart from its sizes: op, types and non-default variants."""
    kinds = []
    for f in dataclasses.fields(case):
        value = getattr(case, f.name)
        if f.name in VARIANT_FIELDS and value != f.default:
            kinds.append(f"{f.name}={fmt(value)}" if f.name in ("mode", "order") else f.name)
    return (case.op, case.types, tuple(kinds))


@functools.cache
def quick_op_cases() -> tuple[OpCase, ...]:
    picked: dict[tuple, OpCase] = {}
    for case in op_cases():
        picked.setdefault(variant(case), case)
    return tuple(picked.values())


__all__ = [
    "CONT",
    "Bound",
    "Builder",
    "CaseGraph",
    "OpCase",
    "op_cases",
    "quick_op_cases",
    "variant",
]
