"""The bench's outputs: the JSON report's schema, the plot file, the terminal table, ratios."""

from __future__ import annotations

import json

import pytest
from ggsched.bench import report_json as rj
from ggsched.bench.report import Notes, console, model_table, op_table
from ggsched.bench.results import ERROR, NA, OK, Result, attach_ratios
from ggsched.bench.timing import summarize


def _result(case: str, backend: str, us: list[float] | None, section: str = "op", **kw) -> Result:
    stats = summarize(us, reps=4) if us else None
    status = OK if us else kw.pop("status", NA)
    return Result(section, case, "MUL_MAT", "MUL_MAT f32", backend, status, stats=stats,
                  flops=kw.pop("flops", 2_000_000), nbytes=kw.pop("nbytes", 8_000_000),
                  label=case, **kw)


@pytest.fixture
def results() -> list[Result]:
    return [
        _result("MUL_MAT(m=4)", "cpu", [10.0, 12.0, 11.0]),
        _result("MUL_MAT(m=4)", "ggml-cpu", [20.0, 22.0, 21.0]),
        _result("MUL_MAT(m=4)", "opencl", None, reason="n/a: no OpenCL platform"),
        _result("ADD(ne=[4])", "cpu", [3.0, 3.0, 3.0], flops=0),
        _result("ADD(ne=[4])", "ggml-cpu", None, status=ERROR, reason="ValueError: x"),
        _result("gpt2", "cpu", [1e4, 1.1e4, 1.2e4], section="model",
                extra={"n_splits": 1, "tokens_per_s": 6400.0, "compute_buffer_bytes": 1 << 20}),
    ]


def test_ratios_are_time_over_ggml_time_of_the_same_case(results):
    attach_ratios(results, "ggml-cpu")
    by = {(r.case, r.backend): r for r in results}
    assert by["MUL_MAT(m=4)", "cpu"].time_vs_ggml == pytest.approx(11.0 / 21.0)
    assert by["MUL_MAT(m=4)", "ggml-cpu"].time_vs_ggml == pytest.approx(1.0)
    assert by["ADD(ne=[4])", "cpu"].time_vs_ggml is None  # ggml failed on that case
    assert by["MUL_MAT(m=4)", "opencl"].time_vs_ggml is None


def test_rates_use_decimal_units_and_gib_separately(results):
    r = results[0]  # 11 µs median, 2e6 FLOP, 8e6 B
    assert r.gflops == pytest.approx(2e6 / 11e-6 / 1e9)
    assert r.gbps == pytest.approx(8e6 / 11e-6 / 1e9)
    assert r.gibps == pytest.approx(8e6 / 11e-6 / 2**30)
    assert results[3].gflops is None  # an op without a FLOP count


def test_json_report_has_the_documented_schema(results, tmp_path):
    attach_ratios(results, "ggml-cpu")
    report = rj.build_report(size="quick", machine={"cpu": "x"}, devices=[{"name": "cpu"}],
                             results=results, sections={"sched": {"rows": []}},
                             goals=[{"name": "g", "value": 0.4, "goal": "<= 0.5", "met": True}])
    path = tmp_path / "b.json"
    rj.write_report(path, report)
    loaded = json.loads(path.read_text())
    assert loaded["schema"] == rj.SCHEMA
    for key in ("ggsched_version", "created", "command", "size", "machine", "devices", "cases",
                "sched", "alloc", "goals"):
        assert key in loaded, key
    assert len(loaded["cases"]) == len(results)
    for rec in loaded["cases"]:
        assert set(rj.CASE_KEYS) <= set(rec), set(rj.CASE_KEYS) - set(rec)
    cpu = loaded["cases"][0]
    assert cpu["median_us"] == 11.0 and cpu["status"] == "ok" and cpu["n_runs"] == 12
    skipped = loaded["cases"][2]
    assert skipped["median_us"] is None and skipped["reason"].startswith("n/a")
    model = loaded["cases"][-1]
    assert model["section"] == "model" and model["n_splits"] == 1


def test_plot_file_is_a_png(results, tmp_path):
    pytest.importorskip("matplotlib", reason="the plot needs the bench extra (matplotlib)")
    from ggsched.bench.plot import write_plot

    path = tmp_path / "b.png"
    sched = {"rows": [{"n_nodes": 1000, "us_per_node": 5.0},
                      {"n_nodes": 10000, "us_per_node": 5.5}], "growth_exponent": 1.02}
    write_plot(path, results, sched, title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_tables_show_each_row_and_number_the_skip_reasons(results):
    attach_ratios(results, "ggml-cpu")
    notes = Notes()
    c = console(width=200)
    with c.capture() as cap:
        c.print(op_table([r for r in results if r.section == "op"], notes))
        c.print(model_table([r for r in results if r.section == "model"], notes))
    text = cap.get()
    assert "MUL_MAT(m=4)" in text and "11.0 µs" in text and "0.52×" in text
    assert "n/a [1]" in text and "error [2]" in text
    assert notes.lines() == ["[1] opencl: n/a: no OpenCL platform", "[2] ggml-cpu: ValueError: x"]
    assert "6400.0" in text and "1.00 MiB" in text


def test_sched_section_measures_reserve_and_fits_the_growth():
    from ggsched.bench import sched_section as ss

    rows = [ss.time_reserve(n) for n in (150, 400)]
    assert rows[0]["n_nodes"] < rows[1]["n_nodes"]
    assert all(r["n_splits"] > 1 and r["us_per_node"] > 0 for r in rows)  # SOFT_MAX forced off
    # the fit itself, on exact power laws
    fake = [{"n_nodes": n, "seconds": 3e-6 * n ** 1.5} for n in (1e3, 1e4, 1e5)]
    assert ss.growth_exponent(fake) == pytest.approx(1.5)
    assert ss.growth_exponent(fake[:1]) is None


def test_sched_overhead_script_prints_the_section_figures_by_phase(tmp_path, capsys):
    from ggsched.bench import sched_overhead as so
    from ggsched.bench import sched_section as ss

    out = tmp_path / "o.json"
    assert so.main(["--sizes", "150,400", "--repeat", "1", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["sizes"]
    expected = [ss.generate(n).graph.n_nodes for n in (150, 400)]  # the section's generator
    assert [r["n_nodes"] for r in rows] == expected
    for r in rows:  # the section's row, plus the phases of the same graph
        assert r["n_splits"] > 1 and r["us_per_node"] > 0 and r["us_per_node_cpu"] > 0
        assert set(r["phases_us_per_node_cpu"]) == set(so.PHASES)
    assert "growth: wall time" in capsys.readouterr().out


def test_alloc_section_compares_with_the_bound_and_ggml():
    from ggsched.bench.alloc_section import alloc_table, run_alloc

    section = run_alloc("quick")
    r = section["rows"][0]
    assert r["ggsched_gallocr_bytes"] >= r["live_bytes_lower_bound"] > 0
    assert r["vs_lower_bound"] == r["ggsched_gallocr_bytes"] / r["live_bytes_lower_bound"]
    if r["ggml_gallocr_bytes"] is not None:
        assert r["vs_ggml"] == r["ggsched_gallocr_bytes"] / r["ggml_gallocr_bytes"]
    c = console(width=200)
    with c.capture() as cap:
        c.print(alloc_table(section))
    assert "lower bound" in cap.get()
