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


# the README's "ggsched run --json schema", level by level
RUN_KEYS = {"schema", "ggsched_version", "created", "command", "model", "backends", "options",
            "plan", "timings", "result"}
MODEL_KEYS = {"name", "n_embd", "n_head", "n_layer", "n_tokens", "n_vocab", "eps", "wtype",
              "n_nodes", "n_leafs", "weights_bytes"}
BACKEND_KEYS = {"name", "description", "type", "buffer_type", "refuses"}
PLAN_KEYS = {"n_backends", "n_copies", "cur_copy", "n_nodes", "n_leafs", "n_splits", "backends",
             "splits"}  # + "graph_inputs" in pipeline mode, "nodes" with --nodes
SPLIT_KEYS = {"index", "backend", "node_start", "node_end", "n_nodes", "bytes_copied", "inputs",
              "reused_copies"}
INPUT_KEYS = {"name", "from_backend", "copy", "bytes", "user_input"}
NODE_KEYS = {"index", "name", "op", "backend", "cause", "view", "srcs"}


def test_json_report_has_exactly_the_documented_keys(tmp_path):
    rc, r = run_json(tmp_path, "--backend", "cpu", "--refuse", "SOFT_MAX", "--parallel",
                     "--nodes")
    assert rc == 0 and set(r) == RUN_KEYS
    assert r["command"][:2] == ["ggsched", "run"] and r["created"].endswith("Z")
    assert set(r["model"]) == MODEL_KEYS and r["model"]["name"] == "gpt2"
    assert all(set(b) == BACKEND_KEYS for b in r["backends"])
    assert set(r["options"]) == {"weights", "parallel", "op_offload", "repeat", "seed"}
    plan = r["plan"]
    assert set(plan) == PLAN_KEYS | {"graph_inputs", "nodes"}
    assert all(set(b) == {"index", "name", "buffer_size", "n_nodes"} for b in plan["backends"])
    assert all(set(g) == {"name", "backend", "copies"} and len(g["copies"]) == 4
               for g in plan["graph_inputs"])
    assert all(set(s) == SPLIT_KEYS for s in plan["splits"])
    assert all(set(i) == INPUT_KEYS and isinstance(i["user_input"], bool)
               for s in plan["splits"] for i in s["inputs"])
    assert all(set(n) == NODE_KEYS and isinstance(n["view"], bool) for n in plan["nodes"])
    assert set(r["timings"]) == {"reserve_ms", "reserve_ok", "runs", "median_alloc_ms",
                                 "median_compute_ms"}
    assert all(set(run) == {"alloc_ms", "compute_ms"} for run in r["timings"]["runs"])
    assert set(r["result"]) == {"output", "nmse", "max_abs_error", "tolerance", "equal"}


def test_bad_input_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", *SMALL, "--refuse", "SOFT_MAXX"])
    assert e.value.code == 2 and "unknown op 'SOFT_MAXX'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["run", "--repeat", "0"])
    assert e.value.code == 2 and "--repeat: must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["run", "--no-such-option"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "ggsched run: error: unrecognized arguments" in err
    assert main(["run", *SMALL, "--json", str(tmp_path / "missing" / "r.json")]) == 2
    assert "no folder" in capsys.readouterr().err  # said before the run
    assert main(["run", *SMALL, "--json", str(tmp_path)]) == 2  # a folder: open() fails
    assert "ggsched run: error: Is a directory" in capsys.readouterr().err
