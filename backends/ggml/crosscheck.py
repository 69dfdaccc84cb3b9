"""The golden checked against real ggml: one op built in both, the same feeds, compared.

A ``Case`` builds one op on fresh leafs. ``run_case`` computes it with real ggml's CPU backend
and with ``ggsched.golden`` and measures the NMSE (test-backend-ops' Σ(a−b)²/Σa², a = golden).

- ``exact`` cases (copies, views, indexing, sorting) must give the same bytes.
- other cases must have NMSE ≤ ``max_nmse`` (1e-7, test-backend-ops' default).
- where real ggml is knowingly approximate (its CPU MUL_MAT converts src1 to the vec_dot type
  of src0; GELU goes through an f16 table) a case has two checks: ``emulate`` rebuilds the op
  for the golden out of exact ops that round as ggml does (a CPY to f16 or Q8_0 and back),
  which must agree to 1e-7; and ``bound`` gives, element by element, how far the unrounded
  golden may be from ggml by the math of that rounding, which the raw difference must respect.
- a case with a ``bound`` and no ``emulate`` (writes quantized by ggml's SIMD Q8_0 quantizer)
  has the element-wise bound only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from ggsched import golden
from ggsched.graph import build_graph
from ggsched.tensor import Tensor
from ggsched.types import TYPE_TRAITS, GGMLType

from .quantize import ggml_quantize
from .runner import GgmlRunner

MAX_NMSE = 1e-7
Init = Callable[[Tensor, np.random.Generator], np.ndarray]
Bound = Callable[[Tensor, golden.Results], np.ndarray]


@dataclass(frozen=True)
class Case:
    """One op on fresh leafs. ``build`` returns the node under test; ``init`` (optional) gives
    a leaf's feed; ``note`` says why a case is approximate; ``ggml_bug`` why real ggml's answer
    is wrong, for a case kept to notice when that changes."""

    op: str
    vars: str
    build: Callable[[], Tensor]
    exact: bool = False
    max_nmse: float = MAX_NMSE
    init: Init | None = None
    emulate: Callable[[Tensor], Tensor] | None = None
    bound: Bound | None = None
    note: str = ""
    ggml_bug: str = ""  # real ggml is wrong here (the golden is right): expected to differ

    @property
    def name(self) -> str:
        return f"{self.op}({self.vars})"


@dataclass
class CaseResult:
    case: Case
    nmse: float  # golden vs ggml, unrounded golden
    exact_ok: bool | None = None  # bytes equal, for exact cases
    emulated_nmse: float | None = None  # golden of the emulation graph vs ggml
    bound_nmse: float | None = None  # the NMSE the element-wise bound allows
    bound_ok: bool | None = None  # |ggml - golden| <= bound everywhere
    worst: str = ""  # where the largest difference is, for messages

    @property
    def ok(self) -> bool:
        if self.exact_ok is not None:
            return self.exact_ok
        if self.bound_ok is not None:
            emulated_ok = self.emulated_nmse is None or self.emulated_nmse <= MAX_NMSE
            return emulated_ok and self.bound_ok
        return self.nmse <= self.case.max_nmse

    def describe(self) -> str:
        c = self.case
        if self.exact_ok is not None:
            return f"{c.name}: bytes {'equal' if self.exact_ok else 'DIFFER'} {self.worst}"
        text = f"{c.name}: NMSE {self.nmse:.3g}"
        if self.bound_ok is not None:
            text += (
                f" (bound {self.bound_nmse:.3g}, element-wise "
                f"{'ok' if self.bound_ok else 'EXCEEDED'})"
            )
        if self.emulated_nmse is not None:
            text += f"; emulated NMSE {self.emulated_nmse:.3g}"
        return f"{text} {self.worst}".rstrip()


def nmse(a: np.ndarray, b: np.ndarray) -> float:
    """Σ(a−b)²/Σa² over the finite values; inf/nan must sit at the same places (else inf)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    fa, fb = np.isfinite(a), np.isfinite(b)
    if (fa != fb).any() or (a[~fa] != b[~fb]).any():
        return float("inf")
    d = float(np.sum((a[fa] - b[fa]) ** 2))
    s = float(np.sum(a[fa] ** 2))
    return d / s if s else (0.0 if d == 0 else float("inf"))


# -- feeds ----------------------------------------------------------------------------------------


def default_init(t: Tensor, rng: np.random.Generator) -> np.ndarray:
    """Uniform [-1, 1] (as test-backend-ops); quantized leafs get ggml-quantized bytes."""
    if TYPE_TRAITS[t.type].is_quantized:
        values = rng.uniform(-1, 1, t.shape).astype(np.float32)
        return np.frombuffer(ggml_quantize(t.type, values), dtype=np.uint8)
    if t.type in (GGMLType.I32, GGMLType.I64):
        return rng.integers(0, max(t.ne[0], 1), t.nelements)
    return rng.uniform(-1, 1, t.nelements)


def make_feeds(case: Case, graph, rng: np.random.Generator) -> dict[Tensor, np.ndarray]:
    init = case.init or default_init
    return {t: np.asarray(init(t, rng)) for t in graph.leafs}


def _zeros_for_new_leafs(graph, feeds: Mapping[Tensor, np.ndarray]) -> dict:
    """An emulation graph's own leafs (CPY destinations) start as zeros."""
    extra = {t: np.zeros(t.nelements) for t in graph.leafs if t not in feeds}
    return {**feeds, **extra}


# -- running --------------------------------------------------------------------------------------


def run_case(case: Case, seed: int = 0) -> CaseResult:
    out = case.build()
    graph = build_graph(out)
    feeds = make_feeds(case, graph, np.random.default_rng(seed))
    with GgmlRunner(graph, feeds, n_threads=1) as runner:
        runner.compute()
        got, got_raw = runner.values(out).astype(np.float64), runner.raw(out)
    res = golden.evaluate(graph, feeds)
    want = res[out]
    result = CaseResult(case, nmse(want, got), worst=_worst(want, got))
    if case.exact:
        result.exact_ok = bool(np.array_equal(got_raw, res.raw(out)))
    if case.emulate is not None:
        result.emulated_nmse = _emulated_nmse(case, out, feeds, want, got)
    if case.bound is not None:
        _check_bound(case, out, res, got, result)
    return result


def _emulated_nmse(case: Case, out: Tensor, feeds, want, got) -> float:
    emu = case.emulate(out)
    egraph = build_graph(emu)
    emulated = golden.evaluate(egraph, _zeros_for_new_leafs(egraph, feeds))[emu]
    return nmse(emulated.reshape(want.shape), got)


def _check_bound(case: Case, out: Tensor, res, got, result: CaseResult) -> None:
    want = res[out]
    bound = np.broadcast_to(case.bound(out, res), want.shape)
    result.bound_ok = bool(np.all(np.abs(got - want) <= bound))
    result.bound_nmse = float(np.sum(bound**2) / max(np.sum(want**2), 1e-300))


def _worst(want: np.ndarray, got: np.ndarray) -> str:
    with np.errstate(invalid="ignore"):  # inf - inf where both are masked
        d = np.abs(np.nan_to_num(want - got, nan=0.0, posinf=np.inf, neginf=np.inf))
    if want.size == 0 or not d.any():
        return ""
    i = np.unravel_index(int(np.argmax(d)), d.shape)
    return f"[worst at {tuple(int(k) for k in i)}: golden {want[i]!r}, ggml {got[i]!r}]"
