"""Error bounds: how far a backend's result may be from the golden, and why.

Two metrics, both checked (see ``ggsched.conformance.compare``):

- NMSE = Σ(actual − golden)² / Σ golden², ggml's metric. Default 1e-7 (test-backend-ops').
- max-abs = max |actual − golden|, so that one wrong element cannot hide in a large tensor.
  Unless a bound gives it explicitly, the limit is ``ABS_FACTOR · √nmse · rms(golden)``: the
  error one element alone could have if it carried the whole tensor's error budget, times a
  margin. A backend whose errors spread evenly up to the NMSE bound stays far below it (its
  largest error is about 4.5 · √nmse · rms for Gaussian errors); a single wrong element is
  caught long before NMSE notices it.

Every bound looser than the default carries the reason, tied to the arithmetic (f16 rounding,
a quantization step); EXACT is for ops that only move bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ggsched.types import GGMLType

DEFAULT_NMSE = 1e-7
ABS_FACTOR = 10.0
F16_ULP = 2.0**-10  # one f16 ulp relative to a value, at most

F16 = GGMLType.F16
QUANT_STEP = {GGMLType.Q8_0: 1 / 127, GGMLType.Q4_0: 1 / 8}  # step / largest |value| in a block


@dataclass(frozen=True)
class Bound:
    """A case's error bound. ``max_abs`` None means derived from ``nmse`` (module docstring)."""

    nmse: float = DEFAULT_NMSE
    max_abs: float | None = None
    ulp16: bool = False  # allow one more f16 ulp of the largest value (f16 storage rounding)
    reason: str = ""

    @property
    def exact(self) -> bool:
        return self.nmse == 0 and not self.max_abs and not self.ulp16

    def abs_limit(self, expected: np.ndarray) -> float:
        """The max-abs limit for this golden result (finite values only)."""
        if self.max_abs is not None:
            return self.max_abs
        finite = np.asarray(expected, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            return 0.0
        limit = ABS_FACTOR * math.sqrt(self.nmse) * float(np.sqrt(np.mean(finite * finite)))
        if self.ulp16:
            limit += F16_ULP * float(np.max(np.abs(finite)))
        return limit

    def describe(self) -> str:
        if self.exact:
            return "exact"
        text = f"nmse<={self.nmse:.3g}"
        if self.max_abs is not None:
            text += f", max_abs<={self.max_abs:.3g}"
        return text


DEFAULT = Bound()

EXACT = Bound(0.0, reason="no arithmetic: values are moved, not computed, so bytes must match")

F16_ROUNDING = Bound(
    1e-6,
    ulp16=True,
    reason="f16 operands or result: a backend may compute in f16 or round once more; one f16 "
    "ulp (2^-10 relative) on every element gives NMSE <= 2^-20 ~ 9.5e-7",
)

SOFT_MAX = Bound(
    1e-6,
    reason="exp() amplifies the rounding of its argument x*scale + slope*mask, and device "
    "exp() may be a few ulp off; ggml uses 1e-6 after a failure at 1.03e-7 with max_bias=8",
)

F16_TABLE = Bound(
    1e-6,
    ulp16=True,
    reason="ggml's CPU evaluates GELU and GELU_QUICK through an f16 table at x rounded to f16 "
    "(the golden uses the exact formula): about one f16 ulp of x and of the result, NMSE "
    "~2.4e-7 for uniform [-1, 1] inputs",
)


def for_types(types: tuple[GGMLType, ...]) -> Bound:
    """The default for an op over ``types``: f16 anywhere loosens it (F16_ROUNDING)."""
    return F16_ROUNDING if F16 in types else DEFAULT


def matmul(type_a: GGMLType, type_b: GGMLType) -> Bound:
    """MUL_MAT / OUT_PROD: a backend may convert src1 to src0's dot-product type, as ggml's CPU
    does (f16 for f16 weights, q8_0 for q8_0/q4_0 weights)."""
    if type_a in QUANT_STEP:
        # src1 quantized to q8_0: per-value error uniform in ±amax/254; for uniform [-1, 1]
        # data the relative mean square error is (1/127)²/12 · 3 ≈ 1.6e-5, and so is the
        # NMSE of dot products of independent errors. ggml's 5e-4 leaves a margin of 30.
        return Bound(
            5e-4,
            reason="src1 may be quantized to q8_0 for the dot product (ggml's CPU does): "
            "NMSE ~ 1.6e-5 for uniform data; ggml's bound 5e-4",
        )
    if F16 in (type_a, type_b):
        return Bound(
            1e-6,
            reason="an f16 operand: the other may be rounded to f16 for the dot product "
            "(ggml's CPU does): per-value relative error <= 2^-11, NMSE <= 2^-22 ~ 2.4e-7",
        )
    return DEFAULT


def quantized_store(dst: GGMLType, amax: float = 1.0) -> Bound:
    """Values written into a quantized type (CPY, SET_ROWS): a backend may round a value to the
    neighbouring quant (a tie, or the scale computed in another precision): one step.

    The step is |d| = amax/127 for q8_0, amax/8 for q4_0 (``amax``: largest |input|). If one
    value per 32-block is a step off, NMSE = step²/32 / E[x²] with E[x²] = amax²/3.
    """
    step = QUANT_STEP[dst] * amax
    return Bound(
        3 * step * step / 32 / amax**2,
        max_abs=step * 1.001,
        reason=f"quantizing to {dst}: one value per block may land one quantization step "
        f"({step:.3g}) away",
    )


def node_bound(node) -> Bound:
    """The bound of one node of a larger graph, by its op and types (as its op case has)."""
    from ggsched.op import GluOp, Op, UnaryOp

    types = tuple(dict.fromkeys([node.type, *(s.type for s in node.sources)]))
    if node.op is Op.MUL_MAT or node.op is Op.OUT_PROD:
        return matmul(node.src[0].type, node.src[1].type)
    if node.op is Op.SOFT_MAX:
        return SOFT_MAX
    if node.op is Op.UNARY and node.op_params[0] in (UnaryOp.GELU, UnaryOp.GELU_QUICK):
        return F16_TABLE
    if node.op is Op.GLU and node.op_params[0] is GluOp.GEGLU:
        return F16_TABLE
    return for_types(types)


def graph_bound(nodes) -> Bound:
    """A whole graph's output (or any node's, after the nodes before it): each node may add its
    own op's error, and for well-conditioned ops the NMSE budgets add along the graph. Capped
    at ggml's whole-model bound (2e-3, test_llama/test_falcon)."""
    from ggsched.op import VIEW_OPS, Op

    nodes = [n for n in nodes if n.op not in VIEW_OPS and n.op is not Op.NONE]
    total = sum(node_bound(n).nmse for n in nodes)
    return Bound(min(max(total, DEFAULT_NMSE), 2e-3),
                 reason=f"the NMSE budgets of {len(nodes)} nodes add along the graph (each "
                 "node's own op bound), capped at ggml's whole-model 2e-3")
