"""pytest plugin of the conformance suite: options, fixtures and hooks only.

``pytest --pyargs ggsched.conformance --ggsched-backend NAME`` runs the suite; the work is done
in ordinary modules (``suite``, ``runner``, ``checks``, ``report``).
"""

from __future__ import annotations

import pytest

from .report import Collector, case_properties, result_properties, summary

# NOTE: pytest loads this plugin in every run of the environment it is installed in; the
# suite's modules (cases, golden, scheduler, hypothesis) are imported only once it is used.
SUITE = pytest.StashKey["Suite"]()
COLLECTOR = pytest.StashKey[Collector]()
PARAMS = ("ggsched_backend_name", "ggsched_case")


def pytest_addoption(parser):
    group = parser.getgroup("ggsched", "ggsched conformance")
    group.addoption("--ggsched-backend", action="append", default=[], metavar="NAME",
                    help="backend to validate (repeatable; default: every available built-in "
                    "backend)")
    group.addoption("--ggsched-seed", type=int, default=0, metavar="N",
                    help="seed of every case's data (default 0)")
    group.addoption("--ggsched-quick", action="store_true",
                    help="run the representative quick subset")
    group.addoption("--ggsched-xfails", action="append", default=[], metavar="FILE",
                    help="expected-failure manifest (TOML; repeatable)")
    group.addoption("--ggsched-ops", action="append", default=[], metavar="PATTERN",
                    help="only cases whose id, op, family or id glob matches (repeatable)")
    group.addoption("--ggsched-probe", action="store_true",
                    help="also try the cases supports_op refuses and list those that work")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "ggsched_family(name): a conformance test over one family's cases")
    collector = Collector()
    config.stash[COLLECTOR] = collector
    config.pluginmanager.register(collector, "ggsched-collector")
    if not (config.option.ggsched_backend or config.option.ggsched_xfails):
        return
    from . import xfails
    from .targets import availability

    for name in config.option.ggsched_backend:
        a = availability(name)
        if not a.available:  # never a silent skip
            raise pytest.UsageError(f"--ggsched-backend {name}: unavailable: {a.reason}")
    try:
        xfails.load(config.option.ggsched_xfails, ())
    except xfails.ManifestError as e:
        raise pytest.UsageError(str(e)) from None


def _options(config):
    from .suite import Options

    opt = config.option
    return Options(tuple(opt.ggsched_backend), opt.ggsched_seed, opt.ggsched_quick,
                   tuple(opt.ggsched_ops), tuple(opt.ggsched_xfails), opt.ggsched_probe)


def suite_of(config):
    """The run's Suite, made on first use."""
    from .suite import Suite

    if SUITE not in config.stash:
        suite = Suite(_options(config))
        if not suite.backends:
            raise pytest.UsageError("ggsched conformance: no backend is available")
        config.stash[SUITE] = suite
    return config.stash[SUITE]


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("ggsched_family")
    if marker is None:
        return
    suite = suite_of(metafunc.config)
    params = []
    for name, case, xfail in suite.items(marker.args[0]):
        marks = [pytest.mark.xfail(reason=xfail.reason, strict=False)] if xfail else []
        params.append(pytest.param(name, case, id=f"{name}-{case.id}", marks=marks))
    metafunc.parametrize(PARAMS, params)


def pytest_collection_modifyitems(session, config, items):
    if SUITE not in config.stash:
        return
    from .cases.base import Named
    from .result import repro_command

    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("ggsched_family") is None:
            keep.append(item)
            continue
        spec = getattr(item, "callspec", None)
        case = spec.params.get("ggsched_case") if spec is not None else None
        if not isinstance(case, Named):
            drop.append(item)  # a family with no selected case: an empty parameter set
            continue
        name = spec.params["ggsched_backend_name"]
        repro = repro_command(name, case.id, config.option.ggsched_seed)
        item.user_properties.extend(case_properties(name, case, repro))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    suite = config.stash[SUITE]
    suite.manifest.warn_stale(suite.all_cases())


@pytest.fixture(scope="session")
def ggsched_suite(request):
    return suite_of(request.config)


@pytest.fixture
def ggsched_record(request):
    """Attach a CaseResult to the running test (the JSON/JUnit reports read it)."""

    def record(result) -> None:
        request.node.user_properties.extend(result_properties(result))

    return record


def pytest_report_header(config):
    if SUITE not in config.stash:
        return None
    s = config.stash[SUITE]
    quick = ", quick" if s.options.quick else ""
    return f"ggsched conformance: backends {', '.join(s.backends)}; seed {s.seed}{quick}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = config.stash[COLLECTOR].all()
    if not results:
        return
    tr = terminalreporter
    tr.section("ggsched conformance")
    for backend, counts in summary(results).items():
        tr.write_line(f"{backend}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))
    could = [r for r in results if r.details.get("could_claim")]
    if could:
        tr.write_line(f"could claim ({len(could)}): refused by supports_op but correct when run:")
        for r in could:
            tr.write_line(f"  {r.backend} {r.id}")
