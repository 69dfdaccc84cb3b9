"""Compute a case directly on one backend, in real buffers, and say everything that went wrong
beside the values: stray writes, clobbered inputs, a result that changes from run to run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ggsched.backend import Backend, tensor_get
from ggsched.layout import read_values

from .cases.base import CaseGraph
from .compare import ne_index
from .expected import Expected, raw_bytes
from .placement import Placement


@dataclass
class DirectRun:
    """The outputs' values (ne reversed) and the problems found besides them."""

    values: list[np.ndarray]
    problems: list[str] = field(default_factory=list)


def _evaluate(backend: Backend, placement: Placement, feeds, inst: CaseGraph):
    placement.load(feeds)
    backend.graph_compute(inst.graph)
    outs = [tensor_get(t) for t in inst.outputs]
    return outs, placement.snapshot()


def run_direct(backend: Backend, inst: CaseGraph, exp: Expected, repeat: bool = True):
    """Place, load, compute, read back and check; ``repeat`` computes a second time from the
    same inputs and requires the same bytes (a backend's result must be reproducible)."""
    placement = Placement(backend, inst.graph)
    try:
        feeds = {leaf: raw_bytes(leaf, v) for leaf, v in exp.feeds_for(inst).items()}
        outs, snap = _evaluate(backend, placement, feeds, inst)
        problems = [placement.stray_writes(snap), placement.clobbered_inputs(snap, feeds)]
        if repeat:
            again, _ = _evaluate(backend, placement, feeds, inst)
            problems += [_differs(inst, outs, again)]
    finally:
        placement.free()
    values = [read_values(raw, t.type, t.ne, t.nb, 0) for raw, t in zip(outs, inst.outputs)]
    return DirectRun(values, [p for p in problems if p])


def _differs(inst: CaseGraph, first, second) -> str | None:
    for t, a, b in zip(inst.outputs, first, second):
        if np.array_equal(a, b):
            continue
        va = read_values(a, t.type, t.ne, t.nb, 0)
        vb = read_values(b, t.type, t.ne, t.nb, 0)
        diff = np.flatnonzero(~((va == vb) | (np.isnan(va) & np.isnan(vb))))
        if not diff.size:  # equal values, different bytes (padding, NaN payloads)
            return f"nondeterministic: a second evaluation changed the bytes of {t.describe()}"
        flat = int(diff[0])
        return (f"nondeterministic: a second evaluation from the same inputs changed "
                f"{diff.size} element(s) of {t.describe()}; first at ne="
                f"{list(ne_index(flat, va.shape))}: {va.reshape(-1)[flat]!r} then "
                f"{vb.reshape(-1)[flat]!r}")
    return None
