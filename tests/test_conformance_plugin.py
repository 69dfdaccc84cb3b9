"""The pytest plugin, from the outside: ``pytest --pyargs ggsched.conformance`` with its
options, as a backend author runs it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from ggsched.backends import registry

pytest_plugins = ("pytester",)

ADD = "ADD(type=f32,ne=[10,5,4,3],nr=[1,1,1,1])"
SILU = "SILU(type=f32,ne=[128,2,2,2])"


@pytest.fixture(autouse=True, scope="module")
def native_modules_loaded_first():
    """NOTE: pytester's in-process runs drop the modules first imported inside them; pyopencl's
    native extension aborts the interpreter when imported a second time. Probe every backend
    (importing pyopencl, ggml) before any inner run, so they stay loaded."""
    registry.entries()


def run(pytester, *args):
    return pytester.runpytest_inprocess("--pyargs", "ggsched.conformance", "-p",
                                        "no:cacheprovider", *args)


def test_ids_read_like_ggml_and_collection_is_deterministic(pytester):
    args = ("--collect-only", "-q", "--ggsched-backend", "cpu", "--ggsched-ops", "MUL_MAT")
    first, second = run(pytester, *args), run(pytester, *args)
    ids = [line for line in first.outlines if "::test_ops[" in line]
    assert "test_ops[cpu-MUL_MAT(type_a=q8_0,type_b=f32,m=16,n=1,k=256)]" in "".join(ids)
    assert len(ids) > 300
    assert ids == [line for line in second.outlines if "::test_ops[" in line]


def test_ops_selects_by_id_op_family_and_glob(pytester):
    res = run(pytester, "--collect-only", "-q", "--ggsched-backend", "cpu",
              "--ggsched-ops", ADD, "--ggsched-ops", "BUFFER_CLEAR",
              "--ggsched-ops", "MUL_MAT(type_a=q4_0,type_b=f16,*")
    text = res.stdout.str()
    assert f"test_ops[cpu-{ADD}]" in text
    assert text.count("test_buffers[") == 3
    assert text.count("MUL_MAT(type_a=q4_0,type_b=f16") == 10
    assert "test_copies[" not in text  # families with nothing selected are deselected


def test_a_failure_names_backend_case_metric_worst_element_and_repro(pytester):
    res = run(pytester, "--ggsched-backend", "broken-nan", "--ggsched-ops", SILU,
              "--ggsched-seed", "3")
    res.assert_outcomes(failed=1)
    text = res.stdout.str()
    assert f"[broken-nan] {SILU}: NaN mismatch at 1 element(s)" in text
    assert re.search(r"worst element ne=\[\d+, \d+, \d+, \d+\]: backend nan vs golden", text)
    assert f"repro: ggsched conformance --backend broken-nan --ops '{SILU}' --seed 3" in text


def test_unsupported_is_reported_after_the_cpu_fallback_and_probe_lists_could_claim(pytester):
    res = run(pytester, "--ggsched-backend", "broken-refuse-all", "--ggsched-ops", ADD,
              "--ggsched-probe", "-rs")
    res.assert_outcomes(skipped=1)
    text = res.stdout.str()
    assert "supports_op refuses ADD; the scheduler ran it on the CPU correctly" in text
    assert "broken-refuse-all: 1 unsupported" in text
    assert "could claim (1)" in text and f"broken-refuse-all {ADD}" in text


def test_xfail_manifest_and_stale_entries(pytester):
    manifest = pytester.makefile(".toml", xfails=f'''
        [[xfail]]
        id = "{SILU}"
        reason = "the NaN fault, on purpose"
        backends = ["broken-nan"]

        [[xfail]]
        id = "NO_SUCH_OP(x=1)"
        reason = "stale: matches nothing"
    ''')
    res = run(pytester, "--ggsched-backend", "broken-nan", "--ggsched-ops", SILU,
              "--ggsched-xfails", str(manifest))
    res.assert_outcomes(xfailed=1)
    assert "stale xfail entry matches no case" in res.stdout.str()
    assert "NO_SUCH_OP(x=1)" in res.stdout.str()


def test_unavailable_backend_is_a_usage_error_with_the_reason(pytester):
    res = run(pytester, "--ggsched-backend", "no-such-backend")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ggsched-backend no-such-backend: unavailable: no device named" in res.stderr.str()


def test_junit_report_carries_the_verdicts(pytester):
    res = run(pytester, "--ggsched-backend", "cpu", "--ggsched-ops", ADD,
              "--junitxml", "out.xml")
    res.assert_outcomes(passed=1)
    props = {p.get("name"): p.get("value")
             for p in ET.parse(pytester.path / "out.xml").iter("property")}
    assert props["ggsched_id"] == ADD and props["ggsched_status"] == "pass"
    assert props["ggsched_backend"] == "cpu" and props["ggsched_family"] == "binary"


def test_safe_under_xdist(pytester):
    select = ("--ggsched-backend", "cpu", "--ggsched-ops", "SILU,ADD1,BUFFER_MEMSET")
    serial = run(pytester, "--collect-only", "-q", *select)
    n = sum("::test_" in line for line in serial.outlines)
    res = pytester.runpytest_subprocess("--pyargs", "ggsched.conformance", "-p",
                                        "no:cacheprovider", "-n", "2", *select)
    res.assert_outcomes(passed=n)
    assert n > 20


def test_a_broken_manifest_is_a_usage_error(pytester):
    manifest = pytester.makefile(".toml", bad='[[xfail]]\nid = "ADD"\n')
    res = run(pytester, "--ggsched-backend", "cpu", "--ggsched-xfails", str(manifest))
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "entry 1 needs an id and a reason" in res.stderr.str()
