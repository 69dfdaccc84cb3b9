"""The tensor record: ggml's ``struct ggml_tensor`` without the memory.

``ne[0]`` is the innermost dimension and ``nb[i]`` are byte strides; a numpy array of shape
(d3, d2, d1, d0) is ne = (d0, d1, d2, d3). A tensor gets memory only when an allocator places
it in a buffer: then ``buffer`` is set and ``data`` is its byte offset from the buffer's start.
A view has ``view_src`` (always a non-view tensor) and ``view_offs``, and shares its memory.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from typing import Any

from .errors import ShapeError, ViewError
from .op import Op, UnaryOp
from .types import TYPE_TRAITS, GGMLType

MAX_DIMS = 4
MAX_SRC = 10
MAX_NAME = 64


class TensorFlag(enum.IntFlag):
    INPUT = 1
    OUTPUT = 2
    PARAM = 4


_INPUT, _OUTPUT = int(TensorFlag.INPUT), int(TensorFlag.OUTPUT)


def contiguous_nb(type: GGMLType, ne: Sequence[int]) -> tuple[int, int, int, int]:
    """Byte strides of a contiguous tensor (rows of whole blocks for quantized types)."""
    tr = TYPE_TRAITS[type]
    nb0 = tr.type_size
    nb1 = nb0 * (ne[0] // tr.blck_size)
    nb2 = nb1 * ne[1]
    return (nb0, nb1, nb2, nb2 * ne[2])


def _ints(values: Sequence[int], what: str, error: type[Exception]) -> tuple[int, ...]:
    """values as ints (numpy integers too); a float, even 4.0, would make ne/nb silently wrong."""
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise error(f"{what} must be a sequence of integers, got {values!r}") from None


def normalize_ne(ne: Sequence[int]) -> tuple[int, int, int, int]:
    ne = _ints(ne, "ne", ShapeError)
    if not 1 <= len(ne) <= MAX_DIMS:
        raise ShapeError(f"a tensor has 1 to {MAX_DIMS} dimensions, got ne={list(ne)}")
    if any(n < 0 for n in ne):
        raise ShapeError(f"negative dimension in ne={list(ne)}")
    return ne + (1,) * (MAX_DIMS - len(ne))  # type: ignore[return-value]


class Tensor:
    """A node or leaf of a ggml graph. Build tensors with ``ggsched.ops``, not directly."""

    __slots__ = (
        "type",
        "ne",
        "nb",
        "op",
        "op_params",
        "src",
        "view_src",
        "view_offs",
        "flags",
        "name",
        "buffer",
        "data",
        "extra",
        "__weakref__",
    )

    def __init__(
        self,
        type: GGMLType,
        ne: Sequence[int],
        nb: Sequence[int] | None = None,
        *,
        op: Op = Op.NONE,
        op_params: tuple = (),
        src: Sequence[Tensor | None] = (),
        view_src: Tensor | None = None,
        view_offs: int = 0,
        name: str = "",
    ) -> None:
        self.type = GGMLType(type)
        self.ne = normalize_ne(ne)
        self.nb = contiguous_nb(self.type, self.ne) if nb is None else _ints(nb, "nb", ViewError)
        self.op = op
        self.op_params = tuple(op_params)
        self.src: list[Tensor | None] = list(src)
        self.view_src = view_src
        self.view_offs = int(view_offs)
        self.flags = TensorFlag(0)
        self.name = name
        self.buffer: Any = None  # set by an allocator: a ggsched.backend.Buffer
        self.data: int | None = None  # byte offset in buffer, set with buffer
        self.extra: Any = None  # free for a backend's per-tensor state

    # -- derived quantities (ggml.c) --------------------------------------------------------

    @property
    def traits(self):
        return TYPE_TRAITS[self.type]

    @property
    def nelements(self) -> int:
        n0, n1, n2, n3 = self.ne
        return n0 * n1 * n2 * n3

    @property
    def nrows(self) -> int:
        return self.ne[1] * self.ne[2] * self.ne[3]

    @property
    def nbytes(self) -> int:
        """ggml_nbytes: the span from the first to one past the last byte, for any strides."""
        # NOTE: written out by dimension: the allocator and scheduler ask it for every tensor
        (n0, n1, n2, n3), (b0, b1, b2, b3) = self.ne, self.nb
        if n0 <= 0 or n1 <= 0 or n2 <= 0 or n3 <= 0:
            return 0
        tr = TYPE_TRAITS[self.type]
        rest = (n1 - 1) * b1 + (n2 - 1) * b2 + (n3 - 1) * b3
        if tr.blck_size == 1:
            return tr.type_size + (n0 - 1) * b0 + rest
        return n0 * b0 // tr.blck_size + rest

    @property
    def row_bytes(self) -> int:
        tr = TYPE_TRAITS[self.type]
        return tr.type_size * self.ne[0] // tr.blck_size

    @property
    def n_dims(self) -> int:
        for i in range(MAX_DIMS - 1, 0, -1):
            if self.ne[i] > 1:
                return i + 1
        return 1

    def is_contiguous_n(self, n: int) -> bool:
        """ggml_is_contiguous_n: dims above n are packed; dims up to n may have gaps."""
        tr = TYPE_TRAITS[self.type]
        next_nb = tr.type_size
        if self.ne[0] != tr.blck_size and self.nb[0] != next_nb:
            return False
        next_nb *= self.ne[0] // tr.blck_size
        for i in range(1, MAX_DIMS):
            if i > n:
                if self.ne[i] != 1 and self.nb[i] != next_nb:
                    return False
                next_nb *= self.ne[i]
            else:
                # NOTE: as in ggml, even a dim of 1 restarts the packing from its stride
                next_nb = self.ne[i] * self.nb[i]
        return True

    @property
    def is_contiguous(self) -> bool:
        return self.is_contiguous_n(0)

    @property
    def is_contiguous_rows(self) -> bool:
        """Each row is packed (ggml_is_contiguous_rows): what row-wise kernels need."""
        return self.ne[0] == TYPE_TRAITS[self.type].blck_size or self.nb[0] == self.traits.type_size

    @property
    def is_padded_1d(self) -> bool:
        """ggml_is_padded_1d: packed elements, and dims 2, 3 packed over (maybe padded) rows."""
        nb, ne = self.nb, self.ne
        return nb[0] == self.traits.type_size and nb[2] == nb[1] * ne[1] and nb[3] == nb[2] * ne[2]

    @property
    def is_transposed(self) -> bool:
        return self.nb[0] > self.nb[1]

    @property
    def is_permuted(self) -> bool:
        nb = self.nb
        return nb[0] > nb[1] or nb[1] > nb[2] or nb[2] > nb[3]

    @property
    def is_empty(self) -> bool:
        return any(n == 0 for n in self.ne)

    @property
    def is_scalar(self) -> bool:
        return self.ne == (1, 1, 1, 1)

    @property
    def is_vector(self) -> bool:
        return self.ne[1:] == (1, 1, 1)

    @property
    def is_matrix(self) -> bool:
        return self.ne[2:] == (1, 1)

    @property
    def is_view(self) -> bool:
        return self.view_src is not None

    @property
    def root(self) -> Tensor:
        """The tensor that owns the memory: view_src for a view, else self."""
        return self.view_src if self.view_src is not None else self

    @property
    def shape(self) -> tuple[int, ...]:
        """The numpy shape of this tensor's values: ne reversed."""
        return self.ne[::-1]

    # -- flags and names ---------------------------------------------------------------------

    def set_input(self) -> Tensor:
        self.flags |= TensorFlag.INPUT
        return self

    def set_output(self) -> Tensor:
        t: Tensor | None = self
        while t is not None:
            t.flags |= TensorFlag.OUTPUT
            t = t.view_src
        return self

    def set_param(self) -> Tensor:
        self.flags |= TensorFlag.PARAM
        return self

    def set_name(self, name: str) -> Tensor:
        self.name = name[: MAX_NAME - 1]
        return self

    # NOTE: int.__and__ skips IntFlag's Python-level operator (hot in the allocator)
    @property
    def is_input(self) -> bool:
        return bool(int.__and__(self.flags, _INPUT))

    @property
    def is_output(self) -> bool:
        return bool(int.__and__(self.flags, _OUTPUT))

    @property
    def op_desc(self) -> str:
        """ggml_op_desc: UNARY and GLU are named by their sub-op."""
        if self.op in (Op.UNARY, Op.GLU):
            return str(self.op_params[0])
        return str(self.op)

    @property
    def unary_op(self) -> UnaryOp:
        return self.op_params[0]

    @property
    def sources(self) -> list[Tensor]:
        """The sources that are present (``src`` may hold None in optional slots)."""
        return [s for s in self.src if s is not None]

    def __repr__(self) -> str:
        name = f"{self.name!r} " if self.name else ""
        view = f" view of {self.view_src.name or '?'}+{self.view_offs}" if self.view_src else ""
        return f"<Tensor {name}{self.op_desc} {self.type} ne={list(self.ne)}{view}>"

    def describe(self) -> str:
        """One line naming the tensor for error messages: name, type, ne and, if odd, nb."""
        desc = f"{self.name or '<unnamed>'} ({self.type}, ne={list(self.ne)}"
        if self.nb != contiguous_nb(self.type, self.ne):
            desc += f", nb={list(self.nb)}"
        return desc + ")"


# -- relations between tensors (ggml.c) ---------------------------------------------------------


def are_same_shape(a: Tensor, b: Tensor) -> bool:
    return a.ne == b.ne


def are_same_layout(a: Tensor, b: Tensor) -> bool:
    return a.type == b.type and a.ne == b.ne and a.nb == b.nb


def can_repeat(a: Tensor, b: Tensor) -> bool:
    """ggml_can_repeat: a can be tiled to b's shape (an empty a only onto an empty b)."""
    if a.is_empty:
        return b.is_empty
    return all(nb_ % na == 0 for na, nb_ in zip(a.ne, b.ne))


def new_tensor(type: GGMLType | str, ne: Sequence[int], name: str = "") -> Tensor:
    """A leaf of the given type and ne (ggml_new_tensor). ``type`` may be a name: "f32"."""
    t = Tensor(GGMLType.parse(type), ne, name=name)
    if t.ne[0] % t.traits.blck_size:
        raise ShapeError(
            f"{t.type} tensor {name or '<unnamed>'} needs ne[0] to be a multiple of "
            f"{t.traits.blck_size}, got ne={list(t.ne)}"
        )
    return t


def view_tensor(a: Tensor, op: Op = Op.NONE, name: str = "") -> Tensor:
    """ggml_view_tensor: the same ne and nb, sharing a's memory."""
    t = Tensor(a.type, a.ne, a.nb, op=op, view_src=a.root, view_offs=_offs(a), name=name)
    return t


def _offs(a: Tensor) -> int:
    return a.view_offs if a.view_src is not None else 0


def make_view(
    a: Tensor, ne: Sequence[int], nb: Sequence[int], offset: int, op: Op, op_params=(), name=""
) -> Tensor:
    """A view of a's memory with its own ne/nb starting ``offset`` bytes into a; checks bounds."""
    offset = _ints([offset], f"{op}: offset", ViewError)[0]
    root = a.root
    t = Tensor(
        a.type,
        ne,
        nb,
        op=op,
        op_params=op_params,
        src=[a],
        view_src=root,
        view_offs=_offs(a) + offset,
        name=name,
    )
    if offset < 0 or t.view_offs + t.nbytes > root.nbytes:
        raise ViewError(
            f"{op}: view of {a.describe()} with ne={list(t.ne)}, nb={list(t.nb)} at offset "
            f"{offset} spans bytes [{t.view_offs}, {t.view_offs + t.nbytes}) but its source "
            f"{root.describe()} has only {root.nbytes} bytes"
        )
    return t
