"""Float32 element-wise math shared by the unary and GLU kernels: ``fn(x, out)``.

Each function writes f(x) into ``out`` (float32, same shape) using numpy's ``out=`` so that no
temporaries are made beyond what a formula needs. ``x`` must not share memory with ``out``
(callers pass ``unaliased(x, out)``). The formulas are ggml's CPU ones (vec.h), in float32.
"""

from __future__ import annotations

import numpy as np
from ggsched.op import UnaryOp

F32 = np.float32
SQRT_2_OVER_PI = F32(0.79788456080286535587989211986876)
GELU_COEF_A = F32(0.044715)
GELU_QUICK_COEF = F32(-1.702)
SQRT_2_INV = F32(0.70710678118654752440084436210484)


def erf(z: np.ndarray) -> np.ndarray:
    """erf in float64, |relative error of erfc| < 1.2e-7 (Chebyshev fit, Numerical Recipes)."""
    z = np.asarray(z, dtype=np.float64)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = 0.17087277
    for c in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418,
              0.37409196, 1.00002368, -1.26551223):
        poly = c + t * poly
    erfc = t * np.exp(-a * a + poly)
    return np.where(z >= 0, 1.0 - erfc, erfc - 1.0)


def sigmoid(x, out):
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += F32(1)
    np.divide(F32(1), out, out=out)


def silu(x, out):
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += F32(1)
    np.divide(x, out, out=out)


def gelu(x, out):
    """0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))), the tanh form ggml tabulates."""
    np.multiply(x, x, out=out)
    out *= GELU_COEF_A
    out += F32(1)
    out *= x
    out *= SQRT_2_OVER_PI
    np.tanh(out, out=out)
    out += F32(1)
    out *= x
    out *= F32(0.5)


def gelu_quick(x, out):
    np.multiply(x, GELU_QUICK_COEF, out=out)
    np.exp(out, out=out)
    out += F32(1)
    np.divide(x, out, out=out)


def gelu_erf(x, out):
    e = erf(x.astype(np.float64) * float(SQRT_2_INV))
    np.multiply(F32(0.5) * x, (1.0 + e).astype(F32), out=out)


def hardsigmoid(x, out):
    np.add(x, F32(3), out=out)
    out /= F32(6)
    np.clip(out, F32(0), F32(1), out=out)


def hardswish(x, out):
    hardsigmoid(x, out)
    out *= x


def elu(x, out):
    np.expm1(x, out=out)
    np.copyto(out, x, where=x > 0)


def relu(x, out):
    np.maximum(x, F32(0), out=out)


def step(x, out):
    np.greater(x, F32(0), out=out, casting="unsafe")


def sgn(x, out):
    np.sign(x, out=out)


UNARY: dict[UnaryOp, object] = {
    UnaryOp.ABS: lambda x, out: np.abs(x, out=out),
    UnaryOp.SGN: sgn,
    UnaryOp.NEG: lambda x, out: np.negative(x, out=out),
    UnaryOp.STEP: step,
    UnaryOp.TANH: lambda x, out: np.tanh(x, out=out),
    UnaryOp.ELU: elu,
    UnaryOp.RELU: relu,
    UnaryOp.SIGMOID: sigmoid,
    UnaryOp.GELU: gelu,
    UnaryOp.GELU_QUICK: gelu_quick,
    UnaryOp.SILU: silu,
    UnaryOp.HARDSWISH: hardswish,
    UnaryOp.HARDSIGMOID: hardsigmoid,
    UnaryOp.EXP: lambda x, out: np.exp(x, out=out),
    UnaryOp.GELU_ERF: gelu_erf,
}
