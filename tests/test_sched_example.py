"""ggml.md §2.11 reproduced end to end: a private-memory device that refuses SOFT_MAX (the
CPU backend behind a Restricted wrapper, with CUDA's offload policy) plus the CPU.

Same splits, same split inputs, the copy of x reused by split #2, and the same compute-buffer
sizes as real ggml in every configuration of the table; and the results equal the golden.
"""

from __future__ import annotations

import numpy as np
import pytest
import sched_fakes as F
from ggsched import golden
from ggsched.backends.cpu import cpu_backend
from ggsched.backends.restrict import Restricted
from ggsched.op import Op
from ggsched.sched import Scheduler
from ggsched.sched_eval import NMSE_MAX, evaluate, load_weights, nmse

# config -> (split inputs, FAKE / CPU compute buffer bytes), from ggml.md §2.11
TABLE = {
    (4, True, False): ([["x"], ["s1"], ["h2"]], [2048, 2048]),
    (64, True, False): ([["x"], ["s1"], ["w2", "sm"]], [65536, 16384]),
    (64, False, False): ([["x"], ["s1"], ["h2"]], [32768, 32768]),
    (64, False, True): ([["x"], ["s1"], ["h2"]], [163840, 163840]),
}


def setup(n: int, op_offload: bool, parallel: bool, seed: int = 0):
    cpu = cpu_backend()
    fake = Restricted(cpu_backend(), refuse=Op.SOFT_MAX, host_readable=False, name="FAKE",
                      offload=F.mul_mat_batch_32)
    g, t = F.example_211(n)
    feeds = {t[k]: np.random.default_rng(seed).standard_normal(t[k].shape) * 0.25
             for k in ("x", "w1", "w2", "w3")}
    load_weights([t["w1"], t["w3"]], fake.default_buffer_type, feeds)
    load_weights([t["w2"]], cpu.default_buffer_type, feeds)
    sched = Scheduler([fake, cpu], op_offload=op_offload, parallel=parallel)
    return sched, g, t, feeds


@pytest.mark.parametrize("config", list(TABLE), ids=lambda c: f"n={c[0]}-offload={c[1]}-par={c[2]}")
def test_table_of_splits_and_buffer_sizes(config):
    sched, g, t, _ = setup(*config)
    assert sched.reserve(g)
    inputs, sizes = TABLE[config]
    p = sched.plan()
    assert [[i["name"] for i in s["inputs"]] for s in p["splits"]] == inputs
    assert [s["backend"] for s in p["splits"]] == ["FAKE", "CPU", "FAKE"]
    assert p["splits"][2]["reused_copies"] == [{"name": "x", "copy": "FAKE#x#0"}]
    assert sched.buffer_sizes() == sizes
    assert [b["buffer_size"] for b in p["backends"]] == sizes


@pytest.mark.parametrize("config", list(TABLE), ids=lambda c: f"n={c[0]}-offload={c[1]}-par={c[2]}")
def test_results_equal_the_golden(config):
    sched, g, t, feeds = setup(*config)
    expected = golden.evaluate(g, feeds)[t["out"]]
    assert sched.reserve(g)
    got = evaluate(sched, g, {t["x"]: feeds[t["x"]]}, [t["out"]])[t["out"]]
    assert nmse(got, expected) <= NMSE_MAX, (got, expected)
    assert sched.n_splits == 3


def print_table() -> None:
    """The §2.11 table as measured here: python tests/test_sched_example.py"""
    print(f"{'config':44} {'splits':>6}  {'split inputs':14} {'FAKE / CPU bytes':>17}  reused")
    for n, offload, parallel in TABLE:
        sched, g, _, _ = setup(n, offload, parallel)
        sched.reserve(g)
        p = sched.plan()
        inputs = ", ".join("+".join(i["name"] for i in s["inputs"]) for s in p["splits"])
        sizes = " / ".join(str(b) for b in sched.buffer_sizes())
        reused = ", ".join(f"{r['copy']} in #{s['index']}" for s in p["splits"]
                           for r in s["reused_copies"])
        config = f"n={n}, op_offload {'on' if offload else 'off'}"
        config += ", parallel (n_copies=4)" if parallel else ""
        print(f"{config:44} {p['n_splits']:>6}  {inputs:14} {sizes:>17}  {reused}")


if __name__ == "__main__":
    print_table()
