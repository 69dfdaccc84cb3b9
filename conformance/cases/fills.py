"""How a case fills its leaf tensors: seeded values in the range each operand's role needs.

A fill draws the values of one leaf as a numpy array of the leaf's shape (ne reversed). The
default is uniform [-1, 1], as in test-backend-ops; ops that need more say so: positive values
for SQRT and LOG, denominators away from zero, row indices in range, masks with -inf, distinct
values where an op's result depends on ties (ARGMAX, ARGSORT).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
from ggsched.tensor import Tensor


class Fill(abc.ABC):
    """Draws one leaf's values."""

    @abc.abstractmethod
    def draw(self, rng: np.random.Generator, t: Tensor) -> np.ndarray:
        """Values shaped ``t.shape``; float64 for float and quantized types, ints otherwise."""


def _is_int(t: Tensor) -> bool:
    return not t.traits.is_float


@dataclass(frozen=True)
class Uniform(Fill):
    """Uniform in [lo, hi); integer leaves get integers in [ilo, ihi)."""

    lo: float = -1.0
    hi: float = 1.0
    ilo: int = -1000
    ihi: int = 1000

    def draw(self, rng, t):
        if _is_int(t):
            return rng.integers(self.ilo, self.ihi, size=t.shape)
        return rng.uniform(self.lo, self.hi, size=t.shape)


@dataclass(frozen=True)
class AwayFromZero(Fill):
    """Magnitudes in [lo, hi) with a random sign: denominators that keep a quotient bounded."""

    lo: float = 0.5
    hi: float = 2.0

    def draw(self, rng, t):
        mag = rng.uniform(self.lo, self.hi, size=t.shape)
        return np.where(rng.random(t.shape) < 0.5, -mag, mag)


@dataclass(frozen=True)
class Indices(Fill):
    """Integers in [0, n). ``unique`` makes every row (ne[0] values) a set of distinct indices,
    so that writes through them (SET_ROWS) do not depend on the order they are done in."""

    n: int
    unique: bool = False

    def draw(self, rng, t):
        if not self.unique:
            return rng.integers(0, self.n, size=t.shape)
        rows = [rng.permutation(self.n)[: t.ne[0]] for _ in range(t.nrows)]
        return np.asarray(rows).reshape(t.shape)


@dataclass(frozen=True)
class Distinct(Fill):
    """Distinct values spread over [-1, 1): no ties, so an argmax or a sort has one answer.

    NOTE: the values are 2/n apart, far more than an f32 ulp for the sizes used here, so
    rounding them to the storage type cannot create ties.
    """

    def draw(self, rng, t):
        n = t.nelements
        return (rng.permutation(n).astype(np.float64) * (2.0 / n) - 1.0).reshape(t.shape)


@dataclass(frozen=True)
class SmallInts(Fill):
    """Integers in [0, n): many equal pairs (COUNT_EQUAL)."""

    n: int = 3

    def draw(self, rng, t):
        return rng.integers(0, self.n, size=t.shape)


@dataclass(frozen=True)
class Mask(Fill):
    """An attention mask: uniform [-1, 1] with -inf at a fraction ``p_inf`` of the places.

    Column 0 stays finite so that no softmax row is entirely masked (that would be 0/0).
    """

    p_inf: float = 0.2

    def draw(self, rng, t):
        v = rng.uniform(-1.0, 1.0, size=t.shape)
        masked = rng.random(t.shape) < self.p_inf
        masked[..., 0] = False
        return np.where(masked, -np.inf, v)


UNIFORM = Uniform()
POSITIVE = Uniform(0.05, 4.0)
