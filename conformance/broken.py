"""Deliberately broken backends for ``ggsched conformance --self-test``."""

from __future__ import annotations

from ggsched.backend import Backend
from ggsched.errors import BackendNotFound

PREFIX = "broken-"


def is_broken(name: str) -> bool:
    return name.lower().startswith(PREFIX)


def make(name: str) -> Backend:
    raise BackendNotFound(f"no broken backend named {name!r}")
