"""Which cases ``--ops PATTERN`` picks.

A pattern matches a case when it is the case's full id (``'MUL_MAT(type_a=q8_0,...)'``), its op
name (``MUL_MAT``, ``SILU``: any case), its family (``matmul``, ``buffers``) or suite family
(``ops``), or a glob over the id with ``*`` and ``?`` (``'MUL_MAT(type_a=q8_0*'``; brackets
are literal). Comma-separated names (``ADD,MUL``) work as in test-backend-ops' ``-o``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


def _glob(pattern: str) -> re.Pattern:
    body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body + r"\Z")


def _names(case, suite_family: str) -> set[str]:
    return {case.op.upper(), case.family.upper(), suite_family.upper()}


def matches(pattern: str, case, suite_family: str = "") -> bool:
    if pattern == case.id:
        return True
    if "(" not in pattern and "*" not in pattern and "?" not in pattern:
        names = _names(case, suite_family)
        return any(p.strip().upper() in names for p in pattern.split(","))
    return bool(_glob(pattern).match(case.id))


def select(cases: Iterable, patterns: Sequence[str], suite_family: str = "") -> list:
    """The cases any pattern matches (all of them when there are no patterns)."""
    if not patterns:
        return list(cases)
    return [c for c in cases if any(matches(p, c, suite_family) for p in patterns)]
