"""The non-op families on the CPU backend (all of their quick cases pass) and on broken
backends (each check notices the fault it exists for)."""

from __future__ import annotations

import pytest
from ggsched.conformance import allocation, buffers, copies, pipeline, scheduling
from ggsched.conformance.checks import run_check
from ggsched.conformance.result import FAIL, PASS, UNSUPPORTED
from ggsched.conformance.targets import Target

QUICK = [c for m in (buffers, copies, allocation, scheduling, pipeline) for c in m.quick()
         if not isinstance(c, scheduling.SchedRandom)]


@pytest.fixture(scope="module")
def cpu():
    return Target("cpu")


def test_quick_cases_pass_on_cpu(cpu):
    results = [run_check(cpu, c, 0) for c in QUICK]
    assert [r.message for r in results if r.status not in (PASS, UNSUPPORTED)] == []
    assert sum(r.status == PASS for r in results) > 50


def test_random_graphs_pass_on_cpu(cpu):
    r = run_check(cpu, scheduling.SchedRandom(5), 1)
    assert r.status == PASS, r.message


@pytest.mark.parametrize("fault,check,expect", [
    ("misaligned", buffers.Alignment(), "not a multiple of its alignment 32"),
    ("short-alloc", buffers.AllocSize(buffers.F32, (64, 7, 5, 3)), "get_alloc_size"),
    ("strided-copy", copies.Copy(copies.F32, "view", "backend", "backend2"), "byte(s) differ"),
    ("async-no-sync", copies.AsyncAfterCompute("backend2"), "queued after graph_compute_async"),
    ("inplace-clobber", allocation.Inplace(16), "output"),
    ("relative-error", scheduling.Sched("gpt2"), "first diverging node: #"),
])
def test_each_check_catches_its_fault(fault, check, expect):
    r = run_check(Target(f"broken-{fault}"), check, 0)
    assert r.status == FAIL and expect in r.message
    assert f"repro: ggsched conformance --backend broken-{fault} --ops" in r.message


def test_scheduling_failures_carry_the_plan():
    r = run_check(Target("broken-strided-copy"), scheduling.Sched("gpt2"), 0)
    assert r.status == FAIL and r.details["plan"]["n_splits"] >= 1


def test_overlap_detector_sees_an_overlap(cpu):
    from ggsched import ops
    from ggsched.graph import build_graph

    a = ops.new_tensor("f32", (8,), "a").set_input()
    b = ops.silu(a)
    out = ops.add(b, a).set_output()
    g = build_graph(out)
    buffer = buffers.placed(cpu, a, b, out)
    out.data = b.data  # in place on b, which dies at out: allowed
    assert allocation.overlaps(g, lambda t: t.nbytes) == []
    out.data = a.data  # over the input a: never allowed
    bad = allocation.overlaps(g, lambda t: t.nbytes)
    buffer.free()
    assert bad and "share bytes" in bad[0]


def test_ggml_cpu_survives_a_second_evaluation_through_the_scheduler():
    """Found by the suite: ggml-cpu reused a graph rebuilt for the previous evaluation's
    input copies (backends/ggml/device.py now keys its cache by the sources too)."""
    from ggsched.conformance.targets import availability

    a = availability("ggml-cpu")
    if not a.available:
        pytest.skip(f"ggml-cpu is unavailable: {a.reason}")
    r = run_check(Target("ggml-cpu"), scheduling.Sched("llama", refuse=("ROPE", "SOFT_MAX")), 0)
    assert r.status == PASS, r.message
