"""The comparison: NMSE, max-abs, NaN/Inf matching and the worst element in ne order."""

from __future__ import annotations

import math

import numpy as np
from ggsched.conformance.cases import bounds as bd
from ggsched.conformance.compare import compare


def _golden(shape=(3, 5, 7), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def test_equal_passes():
    g = _golden()
    cmp = compare(g.astype(np.float32), g.astype(np.float32), bd.DEFAULT)
    assert cmp.ok and cmp.nmse == 0 and cmp.max_abs_err == 0


def test_relative_error_just_above_the_bound_fails_on_nmse():
    g = _golden()
    delta = math.sqrt(2 * bd.DEFAULT_NMSE)
    cmp = compare(g * (1 + delta), g, bd.DEFAULT)
    assert not cmp.ok and cmp.metric == "nmse"
    assert compare(g * (1 + delta / 2), g, bd.DEFAULT).ok


def test_one_wrong_element_in_a_large_tensor_fails_on_max_abs():
    g = _golden((4, 128, 128))
    a = g.copy()
    a[2, 100, 5] += 0.02
    cmp = compare(a, g, bd.DEFAULT)
    assert cmp.nmse < bd.DEFAULT_NMSE  # NMSE alone would pass it
    assert not cmp.ok and cmp.metric == "max_abs"
    assert cmp.worst == (5, 100, 2)  # ne order: innermost first
    assert cmp.actual == a[2, 100, 5] and cmp.expected == g[2, 100, 5]
    assert "ne=[5, 100, 2]" in cmp.describe()


def test_nan_must_meet_nan():
    g = _golden()
    a = g.copy()
    a[1, 2, 3] = np.nan
    cmp = compare(a, g, bd.DEFAULT)
    assert not cmp.ok and cmp.metric == "nan" and cmp.worst == (3, 2, 1)
    g2 = g.copy()
    g2[1, 2, 3] = np.nan
    assert compare(a, g2, bd.DEFAULT).ok


def test_inf_must_meet_the_same_inf():
    g = _golden()
    g[0, 0, 1] = -np.inf
    a = g.copy()
    assert compare(a, g, bd.DEFAULT).ok
    a[0, 0, 1] = np.inf
    cmp = compare(a, g, bd.DEFAULT)
    assert not cmp.ok and cmp.metric == "inf" and cmp.worst == (1, 0, 0)
    a[0, 0, 1] = 3.0
    assert compare(a, g, bd.DEFAULT).metric == "inf"


def test_exact_bound_and_integers():
    g = np.arange(12, dtype=np.int32).reshape(3, 4)
    a = g.copy()
    assert compare(a, g, bd.EXACT).ok
    a[2, 1] += 1
    cmp = compare(a, g, bd.EXACT)
    assert not cmp.ok and cmp.worst == (1, 2) and cmp.actual == 10


def test_shape_mismatch_names_both_in_ne_order():
    cmp = compare(np.zeros((2, 3)), np.zeros((3, 2)), bd.DEFAULT)
    assert not cmp.ok and cmp.metric == "shape" and "[3, 2]" in cmp.detail


def test_f16_bound_allows_one_f16_ulp():
    g = _golden().astype(np.float16).astype(np.float64)
    a = np.nextafter(g.astype(np.float16), np.float16(np.inf)).astype(np.float64)
    assert compare(a, g, bd.F16_ROUNDING).ok
    assert not compare(a, g, bd.DEFAULT).ok


def test_all_zero_golden():
    z = np.zeros(8)
    assert compare(z, z, bd.DEFAULT).ok
    a = z.copy()
    a[3] = 1e-3
    assert not compare(a, z, bd.DEFAULT).ok
