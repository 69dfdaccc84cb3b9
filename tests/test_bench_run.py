"""The bench end to end on the CPU backend with tiny cases and budgets: per-op rows, model rows
through the scheduler (with a restricted device forcing splits), skips, the CLI's files.
Nothing here asserts a speed."""

from __future__ import annotations

import json

import pytest
from ggsched import ops
from ggsched.backend import DeviceType
from ggsched.backends.registry import cpu
from ggsched.backends.restrict import Restricted
from ggsched.bench import cases as bc
from ggsched.bench import model_perf as mp
from ggsched.bench.op_perf import run_case
from ggsched.bench.results import NA, NOT_SUPPORTED, OK
from ggsched.bench.targets import BackendTarget, Unavailable, resolve
from ggsched.bench.timing import Budget
from ggsched.cli import main

TINY = Budget(total_s=0.02, sample_s=0.001, min_rounds=3, max_rounds=5, settle_s=0.0)


def _tiny_add() -> bc.PerfCase:
    return bc.binary_case(ops.Op.ADD, (64, 8))


def test_a_case_runs_on_cpu_and_skips_elsewhere_with_the_reason():
    refusing = BackendTarget("no-add", Restricted(cpu(), refuse=["ADD"]))
    missing = Unavailable("nowhere", "no such device")
    results = run_case(_tiny_add(), [resolve("cpu"), refusing, missing], TINY)
    by = {r.backend: r for r in results}
    assert by["cpu"].status == OK and by["cpu"].stats.n_samples >= 3
    assert by["cpu"].nbytes == 3 * 64 * 8 * 4 and by["cpu"].gbps > 0
    assert by["no-add"].status == NOT_SUPPORTED and by["no-add"].stats is None
    assert by["nowhere"].status == NA and "no such device" in by["nowhere"].reason


def _tiny_model() -> mp.ModelCase:
    return mp.ModelCase("GPT-2 tiny", dict(n_embd=32, n_head=2, n_layer=1, n_tokens=4,
                                           n_vocab=16))


def test_models_run_through_the_scheduler_alone_and_split():
    fake_gpu = Restricted(cpu(), host_readable=False, name="FAKE", type=DeviceType.GPU)
    configs = mp.configs_for([resolve("cpu"), BackendTarget("fake", fake_gpu)])
    assert [c.name for c in configs][:2] == ["cpu", "fake,cpu"]
    results = {r.backend: r for r in mp.run_model(_tiny_model(), configs, TINY)}
    alone = results["cpu"]
    assert alone.status == OK, alone.reason
    assert alone.extra["n_splits"] == 1 and alone.extra["bytes_copied"] == 0
    assert alone.extra["compute_buffer_bytes"] > 0
    assert alone.extra["tokens_per_s"] == pytest.approx(4 / (alone.median_us * 1e-6))
    forced = next(r for name, r in results.items() if name.startswith("fake*"))
    assert forced.status == OK, forced.reason
    assert forced.extra["n_splits"] > 1 and forced.extra["bytes_copied"] > 0


# the README's "ggsched bench --json schema"
README_KEYS = {"schema", "ggsched_version", "created", "command", "size", "machine", "devices",
               "cases", "sched", "alloc", "goals"}
README_MACHINE_KEYS = {"platform", "cpu", "cpu_count", "memory_bytes", "load_average",
                       "load_average_at_start", "threads_option", "python", "numpy", "ggsched",
                       "blas", "numpy_blas_config", "env"}


def test_cli_writes_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the plot needs the bench extra (matplotlib)")
    out_json, out_png = tmp_path / "b.json", tmp_path / "b.png"
    rc = main(["bench", "--quick", "--backend", "cpu", "--sections", "ops",
               "--ops", "ADD(", "--budget", "0.02", "--threads", "1", "--json", str(out_json),
               "--plot", str(out_png)])
    assert rc == 0
    report = json.loads(out_json.read_text())
    assert set(report) == README_KEYS
    assert README_MACHINE_KEYS <= set(report["machine"])
    assert all({"name", "device", "description", "type", "available"} <= set(d)
               for d in report["devices"])
    rows = [c for c in report["cases"] if c["backend"] == "cpu"]
    assert rows and all(c["op"] == "ADD" and c["status"] == "ok" for c in rows)
    assert report["machine"]["cpu_count"] >= 1 and "env" in report["machine"]
    assert report["machine"]["threads_option"] == 1
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert "ADD(type=f32" in capsys.readouterr().out


@pytest.mark.parametrize("n_head_kv", [4, 2])
def test_llama_block_computes_the_golden_values_on_cpu(n_head_kv):
    import numpy as np
    from ggsched import golden
    from ggsched.backend import tensor_get
    from ggsched.models import llama_block

    def build():
        return llama_block(n_embd=64, n_head=4, n_head_kv=n_head_kv, n_ff=96, n_tokens=5)

    ref_model, model = build(), build()
    ref = golden.evaluate(ref_model.graph, ref_model.feeds(np.random.default_rng(0)))
    backend = cpu()
    runner = mp.SchedRunner(model, mp.Config("cpu", [backend], backend),
                            model.feeds(np.random.default_rng(0)))
    runner.run(1)
    got = tensor_get(model.output).view(np.float32).reshape(model.output.shape)
    # f32 kernels against the float64 golden: rounding of 5-token, 96-wide sums only
    np.testing.assert_allclose(got, ref[ref_model.output], rtol=1e-4, atol=1e-6)


def test_no_plot_without_a_plottable_section_and_a_bad_path_fails_first(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the plot needs the bench extra (matplotlib)")
    out_png = tmp_path / "a.png"
    rc = main(["bench", "--quick", "--backend", "cpu", "--sections", "alloc",
               "--plot", str(out_png)])
    assert rc == 0 and not out_png.exists()
    assert "nothing to plot" in capsys.readouterr().err
    assert main(["bench", "--json", str(tmp_path / "missing" / "b.json")]) == 2
    assert "no folder" in capsys.readouterr().err
    assert main(["bench", "--quick", "--ops", "NO_SUCH_OP"]) == 2
    assert "no per-op case id contains 'NO_SUCH_OP'" in capsys.readouterr().err


def test_a_misspelt_backend_is_an_error_not_a_column_of_na():
    from ggsched.errors import BackendNotFound

    with pytest.raises(BackendNotFound, match="available: .*CPU"):
        resolve("no-such-backend")
