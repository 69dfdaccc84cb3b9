"""Compare a backend's result with the golden: NaN/Inf positions, NMSE and max-abs error.

NaN must meet NaN and ±Inf the same infinity, position by position; over the places where
both are finite, NMSE = Σ(actual − golden)² / Σ golden² and the largest absolute error must
stay within the case's bound. The worst element is reported by its index in ne order
(``[i0, i1, i2, i3]``, innermost first, as ggml prints it) with both values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cases.bounds import Bound


@dataclass(frozen=True)
class Comparison:
    """The verdict on one tensor. ``metric`` names what failed ("" when ok)."""

    ok: bool
    metric: str
    nmse: float
    max_abs_err: float
    abs_limit: float
    bound: Bound
    worst: tuple[int, ...] | None = None
    actual: float | None = None
    expected: float | None = None
    detail: str = ""

    @property
    def error(self) -> float:
        """The failing (or, when ok, the NMSE) figure, for reports."""
        return self.max_abs_err if self.metric == "max_abs" else self.nmse

    def describe(self) -> str:
        """One line: what was measured against what, then the worst element."""
        head = self.detail or (
            f"NMSE {self.nmse:.3g} (bound {self.bound.nmse:.3g}), "
            f"max_abs_err {self.max_abs_err:.3g} (bound {self.abs_limit:.3g})"
        )
        if self.worst is None:
            return head
        return (f"{head}; worst element ne={list(self.worst)}: "
                f"backend {self.actual!r} vs golden {self.expected!r}")


def ne_index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A flat C-order index of an array shaped ne-reversed, as [i0, i1, ...] in ne order."""
    return tuple(int(i) for i in reversed(np.unravel_index(flat, shape)))


def _value(x: np.ndarray, flat: int) -> float:
    v = x.reshape(-1)[flat]
    return int(v) if np.issubdtype(x.dtype, np.integer) else float(v)


def _fail(metric, bound, detail, a=None, e=None, flat=None, nmse=math.nan, max_abs=math.nan,
          limit=0.0) -> Comparison:
    worst = actual = expected = None
    if flat is not None:
        worst, actual, expected = ne_index(flat, e.shape), _value(a, flat), _value(e, flat)
    return Comparison(False, metric, nmse, max_abs, limit, bound, worst, actual, expected,
                      detail)


def _special_mismatch(a: np.ndarray, e: np.ndarray, bound: Bound) -> Comparison | None:
    """NaN where the golden has none (or the reverse), or a different infinity."""
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    bad = np.flatnonzero(nan_a != nan_e)
    if bad.size:
        return _fail("nan", bound, f"NaN mismatch at {bad.size} element(s)", a, e, bad[0])
    inf = np.isinf(a) | np.isinf(e)
    bad = np.flatnonzero(inf & (a != e))
    if bad.size:
        return _fail("inf", bound, f"Inf mismatch (position or sign) at {bad.size} element(s)",
                     a, e, bad[0])
    return None


def compare(actual: np.ndarray, expected: np.ndarray, bound: Bound) -> Comparison:
    """Check ``actual`` (the backend's values) against ``expected`` (the golden's)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return _fail("shape", bound, f"shape {list(actual.shape[::-1])} is not the golden's "
                     f"{list(expected.shape[::-1])} (ne order)")
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    special = _special_mismatch(a, e, bound)
    if special is not None:
        return special
    with np.errstate(invalid="ignore", over="ignore"):
        return _finite_part(actual, expected, a, e, bound)


def _finite_part(actual, expected, a, e, bound: Bound) -> Comparison:
    finite = np.isfinite(e)
    if _is_int(actual) and _is_int(expected):
        # NOTE: subtract as integers: float64 would round large i64 values to equal
        diff = (actual.astype(np.int64) - expected.astype(np.int64)).astype(np.float64)
    else:
        diff = np.where(finite, a - e, 0.0)
    return _within(actual, expected, diff, np.where(finite, e, 0.0), bound)


def _is_int(x: np.ndarray) -> bool:
    return np.issubdtype(x.dtype, np.integer)


def _within(actual, expected, diff, e_finite, bound: Bound) -> Comparison:
    sq_err = float(np.sum(diff * diff))
    sq_ref = float(np.sum(e_finite * e_finite))
    nmse = sq_err / sq_ref if sq_ref > 0 else (0.0 if sq_err == 0 else math.inf)
    flat = int(np.argmax(np.abs(diff))) if diff.size else None
    max_abs = float(abs(diff.reshape(-1)[flat])) if flat is not None else 0.0
    limit = bound.abs_limit(expected)
    if nmse > bound.nmse:
        metric = "nmse"
    elif max_abs > limit:
        metric = "max_abs"
    else:
        metric = ""
    worst = actual_v = expected_v = None
    if flat is not None and max_abs > 0:
        worst = ne_index(flat, expected.shape)
        actual_v, expected_v = _value(actual, flat), _value(expected, flat)
    return Comparison(not metric, metric, nmse, max_abs, limit, bound, worst, actual_v,
                      expected_v)
