"""bench/opencl_matmul.py works end to end on a tiny case (the real sizes are a benchmark)."""

from __future__ import annotations

import pytest
from ggsched.bench import opencl_matmul as bench
from ggsched.types import GGMLType
from opencl_support import cl_device  # noqa: F401 - fixture

pytestmark = pytest.mark.opencl


@pytest.mark.parametrize("type_a", [GGMLType.F32, GGMLType.Q8_0])
def test_bench_case_times_numpy_and_both_kernels(cl_device, type_a, capsys):  # noqa: F811
    times = bench.bench_case(cl_device, type_a, 64, 16, 64, reps=1, wanted="both")
    assert "numpy" in times and "opencl/tiled" in times
    assert all(t > 0 for t in times.values())
    bench.print_table([("tiny", times, (64, 16, 64))])
    out = capsys.readouterr().out
    assert "numpy GFLOPS" in out and "opencl/tiled GFLOPS" in out and "tiny" in out
