"""ggml's tensor types: one traits table, with ggml's enum values and block layouts."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .errors import QuantizationError, TypeMismatchError


class GGMLType(enum.IntEnum):
    """Tensor element types, numbered as in ggml's ``enum ggml_type``."""

    F32 = 0
    F16 = 1
    Q4_0 = 2
    Q8_0 = 8
    I8 = 24
    I16 = 25
    I32 = 26
    I64 = 27
    F64 = 28

    def __str__(self) -> str:
        return self.name.lower()

    @property
    def traits(self) -> TypeTraits:
        return TYPE_TRAITS[self]

    @classmethod
    def parse(cls, value: str | int | GGMLType) -> GGMLType:
        """Look a type up by ggml name (``"q8_0"``), enum name or number."""
        if isinstance(value, GGMLType):
            return value
        try:
            return cls(value) if isinstance(value, int) else cls[str(value).upper()]
        except (KeyError, ValueError):
            known = ", ".join(f"{t} ({int(t)})" for t in cls)
            raise TypeMismatchError(f"unknown ggml type {value!r}; known: {known}") from None


@dataclass(frozen=True)
class TypeTraits:
    """What ggml's ``type_traits`` says of a type.

    ``blck_size`` elements are stored in ``type_size`` bytes; a plain type has a block of one.
    ``dtype`` is the numpy storage dtype of plain types and None for block-quantized ones.
    """

    name: str
    blck_size: int
    type_size: int
    dtype: np.dtype | None

    @property
    def is_quantized(self) -> bool:
        return self.dtype is None

    @property
    def is_float(self) -> bool:
        return self.dtype is None or self.dtype.kind == "f"


QK8_0 = 32  # Q8_0: f16 scale d, then 32 int8 quants; x = q * d
QK4_0 = 32  # Q4_0: f16 scale d, then 16 bytes of nibbles; x = (q - 8) * d

TYPE_TRAITS: dict[GGMLType, TypeTraits] = {
    GGMLType.F32: TypeTraits("f32", 1, 4, np.dtype(np.float32)),
    GGMLType.F16: TypeTraits("f16", 1, 2, np.dtype(np.float16)),
    GGMLType.Q4_0: TypeTraits("q4_0", QK4_0, 2 + QK4_0 // 2, None),
    GGMLType.Q8_0: TypeTraits("q8_0", QK8_0, 2 + QK8_0, None),
    GGMLType.I8: TypeTraits("i8", 1, 1, np.dtype(np.int8)),
    GGMLType.I16: TypeTraits("i16", 1, 2, np.dtype(np.int16)),
    GGMLType.I32: TypeTraits("i32", 1, 4, np.dtype(np.int32)),
    GGMLType.I64: TypeTraits("i64", 1, 8, np.dtype(np.int64)),
    GGMLType.F64: TypeTraits("f64", 1, 8, np.dtype(np.float64)),
}

FLOAT_TYPES = (GGMLType.F32, GGMLType.F16)
QUANT_TYPES = (GGMLType.Q8_0, GGMLType.Q4_0)


def blck_size(t: GGMLType) -> int:
    return TYPE_TRAITS[t].blck_size


def type_size(t: GGMLType) -> int:
    return TYPE_TRAITS[t].type_size


def is_quantized(t: GGMLType) -> bool:
    return TYPE_TRAITS[t].is_quantized


def row_size(t: GGMLType, ne0: int) -> int:
    """Bytes of a contiguous row of ``ne0`` elements (``ggml_row_size``)."""
    tr = TYPE_TRAITS[t]
    if ne0 % tr.blck_size:
        raise QuantizationError(
            f"a row of {ne0} elements is not a whole number of {tr.name} blocks "
            f"(block size {tr.blck_size})"
        )
    return tr.type_size * ne0 // tr.blck_size
