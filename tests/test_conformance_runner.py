"""The op runner on the CPU backend: the quick subset passes; guard bytes and input checks
notice what they are meant to notice."""

from __future__ import annotations

import numpy as np
import pytest
from ggsched.backend import tensor_get
from ggsched.conformance import cases as cs
from ggsched.conformance.cases.elementwise import Binary
from ggsched.conformance.expected import expected, raw_bytes
from ggsched.conformance.placement import GAP_BYTE, Placement
from ggsched.conformance.result import PASS
from ggsched.conformance.runner import run_op_case
from ggsched.conformance.targets import Target
from ggsched.types import GGMLType


@pytest.fixture(scope="module")
def cpu():
    return Target("cpu")


def test_quick_subset_passes_on_cpu(cpu):
    bad = [r.message for r in (run_op_case(cpu, c, 0) for c in cs.quick_op_cases())
           if r.status != PASS]
    assert bad == []


def _placed(cpu):
    case = Binary("ADD", GGMLType.F32, (5, 7, 1, 1))
    inst = case.instantiate()
    placement = Placement(cpu.backend, inst.graph)
    feeds = {t: raw_bytes(t, v) for t, v in expected(case, 0).feeds_for(inst).items()}
    placement.load(feeds)
    return inst, placement, feeds


def test_guard_bytes_catch_a_write_one_element_past_the_end(cpu):
    inst, placement, feeds = _placed(cpu)
    out = inst.outputs[0]
    host = placement.buffer.host_array()
    assert placement.stray_writes(placement.snapshot()) is None
    host[out.data + out.nbytes: out.data + out.nbytes + 4] = 0
    problem = placement.stray_writes(placement.snapshot())
    assert problem and "0 byte(s) past the end of" in problem and out.name in problem
    placement.free()


def test_inputs_must_keep_their_bytes(cpu):
    inst, placement, feeds = _placed(cpu)
    leaf = inst.graph.leafs[0]
    assert placement.clobbered_inputs(placement.snapshot(), feeds) is None
    placement.buffer.host_array()[leaf.data + 8] ^= 0xFF
    problem = placement.clobbered_inputs(placement.snapshot(), feeds)
    assert problem and leaf.name in problem and "byte 8" in problem
    placement.free()


def test_outputs_start_as_nan_and_gaps_as_the_gap_byte(cpu):
    inst, placement, _ = _placed(cpu)
    out = inst.outputs[0]
    assert np.isnan(tensor_get(out).view(np.float32)).all()
    snap = placement.snapshot()
    assert snap[out.data - 1] == GAP_BYTE
    placement.free()
