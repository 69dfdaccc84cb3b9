"""``ggsched conformance`` and its ``--self-test``, run as a user runs them."""

from __future__ import annotations

import json

from ggsched.cli import main
from ggsched.conformance.result import STATUSES

SILU = "SILU(type=f32,ne=[128,2,2,2])"
# one case per fault that catches it, so the self-test runs in seconds
CATCHERS = (
    "ADD(type=f32,ne=[1,1,320,320],nr=[1,1,1,1])",  # relative-error, one-element
    "GELU(type=f32,ne=[128,2,2,2])",  # write-past-end, wrong-claim
    SILU,  # nan
    "ADD(type=f32,ne=[10,5,4,3],nr=[1,1,1,1])",  # inplace-clobber, refuse-all (falls back)
    "CONT(type=f32,ne=[32,2,3,4],per=[1,0,2,3])",  # strided-copy
    "BUFFER_ALLOC_SIZE(type=f32,ne=[64,7,5,3])",  # short-alloc
    "BUFFER_ALIGNMENT()",  # misaligned
    "MUL_MAT(type_a=f32,type_b=f32,m=16,n=1,k=256)",  # nondeterministic
    "ASYNC_AFTER_COMPUTE(how=get)",  # async-no-sync
)


def test_json_report_follows_the_schema(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["conformance", "--backend", "cpu", "--ops", "MUL_MAT(type_a=q8_0*",
                 "--ops", "buffers", "--json", str(out), "--seed", "5"])
    assert code == 0
    report = json.loads(out.read_text())
    assert set(report) == {"ggsched_version", "seed", "backends", "summary", "cases"}
    assert report["seed"] == 5
    assert report["backends"][0]["name"] == "cpu" and report["backends"][0]["available"]
    cases = report["cases"]
    assert report["summary"]["cpu"]["passed"] == len(cases) > 80
    keys = {"backend", "id", "family", "op", "types", "status", "error", "bound",
            "max_abs_err", "message", "repro"}
    assert all(keys <= set(c) and c["status"] in STATUSES for c in cases)
    printed = capsys.readouterr().out
    assert "matmul" in printed and "buffers" in printed and "case(s) in" in printed


def test_exit_status_and_repro_lines_on_failure(capsys):
    assert main(["conformance", "--backend", "broken-nan", "--ops", SILU]) == 1
    out = capsys.readouterr().out
    assert f"repro: ggsched conformance --backend broken-nan --ops '{SILU}' --seed 0" in out


def test_bad_selections_are_errors(capsys):
    assert main(["conformance", "--backend", "cpu", "--ops", "NO_SUCH_OP"]) == 4
    assert main(["conformance", "--ops", "NO_SUCH_OP", "--list"]) == 4
    assert main(["conformance", "--backend", "no-such-backend"]) == 2
    assert "no-such-backend is unavailable" in capsys.readouterr().out


def test_self_test_catches_every_fault(capsys):
    args = ["conformance", "--self-test"]
    for case in CATCHERS:
        args += ["--ops", case]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "every fault caught" in out and "NOT CAUGHT" not in out
    assert "broken-refuse-all" in out and "0 failed" in out


def test_self_test_fails_when_a_fault_goes_unnoticed(capsys):
    assert main(["conformance", "--self-test", "--ops", "BUFFER_CLEAR"]) == 1
    assert "NOT CAUGHT" in capsys.readouterr().out
