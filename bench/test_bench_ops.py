"""The per-op cases as pytest-benchmark tests: ``pytest bench/ --benchmark-only``.

Each (case, backend) is one benchmark; a case the backend does not claim is skipped with the
reason. FLOPs, bytes, GFLOPS and GB/s go into ``extra_info`` so ``--benchmark-json`` keeps
them. Save and compare runs with pytest-benchmark's own tools (``--benchmark-save``,
``--benchmark-compare``).
"""

from __future__ import annotations

import functools

import pytest
from ggsched.bench.metrics import gb_per_s, gflops
from ggsched.bench.op_perf import prepare_case
from ggsched.bench.targets import NotSupported, resolve


@functools.cache
def _target(name: str):
    return resolve(name)


def test_op(benchmark, perf_case, target_name):
    try:
        runner = prepare_case(perf_case, _target(target_name))
    except NotSupported as e:
        pytest.skip(f"{target_name}: {e}")
    runner.run(1)  # warm-up: kernel builds and first touch happen outside the timing
    benchmark.pedantic(runner.run, args=(1,), rounds=5, iterations=1, warmup_rounds=1)
    median_us = benchmark.stats.stats.median * 1e6
    flops, nbytes = perf_case.flops(), perf_case.nbytes()
    benchmark.extra_info.update(backend=target_name, flops=flops, bytes=nbytes,
                                gflops=gflops(flops, median_us), gb_per_s=gb_per_s(nbytes,
                                                                                  median_us))
