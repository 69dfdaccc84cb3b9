"""Options of the pytest-benchmark form of the bench (``pytest bench/ --benchmark-only``).

Not part of the project's regular test run (testpaths is tests/)."""

from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("ggsched-bench", "ggsched bench as pytest-benchmark tests")
    group.addoption("--bench-backend", action="append", default=[], metavar="NAME",
                    help="a backend to time (repeatable; 'ggml-cpu' is real ggml). "
                         "Default: cpu and ggml-cpu")
    group.addoption("--bench-size", default="quick", choices=("quick", "default", "full"),
                    help="the case size set (default: quick)")


def pytest_generate_tests(metafunc):
    from ggsched.bench.cases import perf_cases

    config = metafunc.config
    names = config.getoption("--bench-backend") or ["cpu", "ggml-cpu"]
    if "perf_case" in metafunc.fixturenames:
        cases = perf_cases(config.getoption("--bench-size"))
        metafunc.parametrize("perf_case", cases, ids=[c.id for c in cases])
    if "target_name" in metafunc.fixturenames:
        metafunc.parametrize("target_name", names, scope="session")
    if "model_case" in metafunc.fixturenames:
        from ggsched.bench.model_perf import model_cases

        models = model_cases(config.getoption("--bench-size"))
        metafunc.parametrize("model_case", models, ids=[m.name for m in models])
    if "config_name" in metafunc.fixturenames:
        from ggsched.bench.model_perf import configs

        metafunc.parametrize("config_name", list(configs(tuple(names))), scope="session")
