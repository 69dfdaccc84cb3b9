"""The model graphs as pytest-benchmark tests: ``pytest bench/ --benchmark-only``.

Each (model, config) is one benchmark, configs as in ``ggsched bench``: a CPU backend alone,
``X,cpu`` and ``X*,cpu`` for another backend X, and ``ggml-cpu``. Scheduler facts (splits,
bytes copied, compute buffer) and tokens/s go into ``extra_info``.
"""

from __future__ import annotations

import pytest
from ggsched.bench.model_perf import configs, prepare_model
from ggsched.bench.targets import NotSupported


def test_model(benchmark, request, model_case, config_name):
    names = tuple(request.config.getoption("--bench-backend") or ["cpu", "ggml-cpu"])
    try:
        runner, facts = prepare_model(model_case, configs(names)[config_name])
    except NotSupported as e:
        pytest.skip(f"{config_name}: {e}")
    runner.run(1)  # warm-up outside the timing
    benchmark.pedantic(runner.run, args=(1,), rounds=3, iterations=1, warmup_rounds=0)
    median_s = benchmark.stats.stats.median
    benchmark.extra_info.update(config=config_name, tokens_per_s=model_case.n_tokens / median_s,
                                **facts)
