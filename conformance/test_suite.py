"""The conformance suite: one test per family, parametrized by the plugin over every selected
(backend, case) pair. Run it with ``pytest --pyargs ggsched.conformance --ggsched-backend X``
or ``ggsched conformance --backend X``."""

from __future__ import annotations

import pytest
from ggsched.conformance.result import FAIL, UNSUPPORTED


def _enforce(suite, family, backend, case, record) -> None:
    result = suite.run(family, backend, case)
    record(result)
    if result.status == FAIL:
        pytest.fail(result.message, pytrace=False)
    if result.status == UNSUPPORTED:
        pytest.skip(result.message or "unsupported")


@pytest.mark.ggsched_family("ops")
def test_ops(ggsched_suite, ggsched_backend_name, ggsched_case, ggsched_record):
    _enforce(ggsched_suite, "ops", ggsched_backend_name, ggsched_case, ggsched_record)


@pytest.mark.ggsched_family("buffers")
def test_buffers(ggsched_suite, ggsched_backend_name, ggsched_case, ggsched_record):
    _enforce(ggsched_suite, "buffers", ggsched_backend_name, ggsched_case, ggsched_record)


@pytest.mark.ggsched_family("copies")
def test_copies(ggsched_suite, ggsched_backend_name, ggsched_case, ggsched_record):
    _enforce(ggsched_suite, "copies", ggsched_backend_name, ggsched_case, ggsched_record)


@pytest.mark.ggsched_family("scheduling")
def test_scheduling(ggsched_suite, ggsched_backend_name, ggsched_case, ggsched_record):
    _enforce(ggsched_suite, "scheduling", ggsched_backend_name, ggsched_case, ggsched_record)


@pytest.mark.ggsched_family("allocation")
def test_allocation(ggsched_suite, ggsched_backend_name, ggsched_case, ggsched_record):
    _enforce(ggsched_suite, "allocation", ggsched_backend_name, ggsched_case, ggsched_record)


@pytest.mark.ggsched_family("pipeline")
def test_pipeline(ggsched_suite, ggsched_backend_name, ggsched_case, ggsched_record):
    _enforce(ggsched_suite, "pipeline", ggsched_backend_name, ggsched_case, ggsched_record)
