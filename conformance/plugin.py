"""pytest plugin of the conformance suite: options, fixtures and hooks only."""

from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("ggsched", "ggsched conformance")
    group.addoption("--ggsched-backend", action="append", default=[], metavar="NAME",
                    help="backend to validate (repeatable)")
