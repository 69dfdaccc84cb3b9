"""ggml's enum values, looked up by name in the loaded library, never hard-coded.

The shipped ggml.h tells how many members each enum has (its ``*_COUNT``); the library's own
``ggml_op_name`` / ``ggml_type_name`` / ``ggml_unary_op_name`` / ``ggml_glu_op_name`` then name
each value, and the two are checked against each other. ggsched's enums map onto these by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ggsched.op import GluOp, Op, UnaryOp
from ggsched.types import GGMLType

_MEMBER = re.compile(r"^\s*(GGML_[A-Z0-9_]+)\s*(?:=\s*(\d+))?\s*,?")


def header_enum(text: str, enum: str) -> dict[str, int]:
    """Members of ``enum <enum> { ... }`` in C header text, with their values."""
    start = text.index(f"enum {enum} {{")
    body = text[start : text.index("};", start)]
    members, value = {}, -1
    for line in body.splitlines()[1:]:
        m = _MEMBER.match(line.split("//")[0])
        if m:
            value = int(m.group(2)) if m.group(2) else value + 1
            members[m.group(1)] = value
    return members


def _count(members: dict[str, int], prefix: str) -> int:
    return members[f"{prefix}_COUNT"]


@dataclass(frozen=True)
class Enums:
    """Name -> value maps for ggml's op, type, unary-op and glu-op enums."""

    op: dict[str, int]
    type: dict[str, int]
    unary: dict[str, int]
    glu: dict[str, int]

    def op_of(self, op: Op) -> int:
        return self.op[op.value]

    def type_of(self, t: GGMLType) -> int:
        return self.type[t.traits.name]

    def unary_of(self, op: UnaryOp) -> int:
        return self.unary[op.value]

    def glu_of(self, op: GluOp) -> int:
        return self.glu[op.value]

    def op_name(self, value: int) -> str:
        return next((k for k, v in self.op.items() if v == value), f"<op {value}>")

    def type_name(self, value: int) -> str:
        return next((k for k, v in self.type.items() if v == value), f"<type {value}>")


def _names(fn, count: int) -> dict[str, int]:
    return {fn(i).decode(): i for i in range(count)}


def _check(lib_names: dict[str, int], header: dict[str, int], prefix: str) -> None:
    for name, value in lib_names.items():
        if header.get(f"{prefix}_{name}") != value:
            raise ValueError(f"{prefix}_{name} = {value} in the library, not in ggml.h")


def load(lib, header: Path) -> Enums:
    text = header.read_text()
    ops, unary = header_enum(text, "ggml_op"), header_enum(text, "ggml_unary_op")
    glu, types = header_enum(text, "ggml_glu_op"), header_enum(text, "ggml_type")
    enums = Enums(
        op=_names(lib.fn("ggml_op_name"), _count(ops, "GGML_OP")),
        type={
            k: v
            for k, v in _names(lib.fn("ggml_type_name"), _count(types, "GGML_TYPE")).items()
            if k[0].islower()  # removed slots are named "DEPRECATED", "TYPE_... REMOVED"
        },
        unary=_names(lib.fn("ggml_unary_op_name"), _count(unary, "GGML_UNARY_OP")),
        glu=_names(lib.fn("ggml_glu_op_name"), _count(glu, "GGML_GLU_OP")),
    )
    _check(enums.op, ops, "GGML_OP")
    _check(enums.unary, unary, "GGML_UNARY_OP")
    _check(enums.glu, glu, "GGML_GLU_OP")
    _check_ours(enums)
    return enums


def _check_ours(enums: Enums) -> None:
    """Every op and type ggsched knows must exist in ggml under the same name and number."""
    missing = [o.value for o in Op if o.value not in enums.op]
    missing += [u.value for u in UnaryOp if u.value not in enums.unary]
    missing += [g.value for g in GluOp if g.value not in enums.glu]
    if missing:
        raise ValueError(f"ggml has no op named {', '.join(missing)}")
    for t in GGMLType:
        if enums.type.get(t.traits.name) != int(t):
            raise ValueError(f"type {t.traits.name} is {enums.type.get(t.traits.name)} in ggml")
