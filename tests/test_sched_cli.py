"""``ggsched run``: a small GPT-2 through the scheduler, its tables, exit status and JSON."""

from __future__ import annotations

import json

import pytest
from ggsched.cli import main

SMALL = ["--n-embd", "64", "--n-head", "2", "--n-layer", "1", "--n-tokens", "8",
         "--n-vocab", "64", "--repeat", "1"]


def run_json(tmp_path, *args) -> tuple[int, dict]:
    path = tmp_path / "run.json"
    rc = main(["run", *SMALL, *args, "--json", str(path)])
    return rc, json.loads(path.read_text())


def test_run_on_a_restricted_device_and_the_cpu(tmp_path, capsys):
    rc, report = run_json(tmp_path, "--backend", "cpu", "--refuse", "SOFT_MAX,GELU")
    out = capsys.readouterr().out
    assert rc == 0 and "logits equals the golden" in out and "Splits" in out
    assert report["schema"] == "ggsched-run/1"
    assert [b["name"] for b in report["backends"]] == ["CPU*", "CPU"]  # CPU appended
    assert report["backends"][0]["refuses"] == "SOFT_MAX, GELU"
    plan = report["plan"]
    # per layer: SOFT_MAX and GELU fall back to the CPU, each a split of its own
    assert plan["n_splits"] == 5
    assert [s["backend"] for s in plan["splits"]] == ["CPU*", "CPU", "CPU*", "CPU", "CPU*"]
    assert all(s["inputs"] for s in plan["splits"])
    assert report["result"]["equal"] and report["result"]["nmse"] <= 1e-7
    assert report["model"]["n_layer"] == 1 and report["timings"]["runs"]


def test_run_on_the_cpu_alone_is_one_split(tmp_path):
    rc, report = run_json(tmp_path, "--backend", "cpu", "--nodes")
    assert rc == 0 and report["plan"]["n_splits"] == 1
    assert all(n["backend"] == "CPU" for n in report["plan"]["nodes"])


@pytest.mark.parametrize("weights", ["cpu", "split"])
def test_weight_placement_and_pipeline_mode(tmp_path, weights):
    rc, report = run_json(tmp_path, "--backend", "cpu", "--refuse", "SOFT_MAX",
                          "--weights", weights, "--parallel")
    assert rc == 0 and report["plan"]["n_copies"] == 4
    assert report["options"]["weights"] == weights


def test_unknown_backend_is_an_error(capsys):
    assert main(["run", *SMALL, "--backend", "nope"]) == 2
    assert "no device named 'nope'" in capsys.readouterr().err
