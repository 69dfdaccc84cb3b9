"""One run of the suite: its options, the backends under test and the cases it selects.

The pytest plugin keeps one ``Suite`` in ``config.stash``; every xdist worker builds the same
one from the same options, so collection is identical everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from . import xfails
from .families import FAMILIES, Family
from .result import CaseResult
from .select import select
from .targets import Target, default_backends


@dataclass(frozen=True)
class Options:
    backends: tuple[str, ...] = ()
    seed: int = 0
    quick: bool = False
    ops: tuple[str, ...] = ()
    xfails: tuple[str, ...] = ()
    probe: bool = False


@dataclass(eq=False)
class Suite:
    options: Options
    backends: list[str] = field(init=False)
    manifest: xfails.Manifest = field(init=False)

    def __post_init__(self) -> None:
        self.backends = list(self.options.backends) or default_backends()
        self.manifest = xfails.load(self.options.xfails, self.backends)
        self._targets: dict[str, Target] = {}

    @property
    def seed(self) -> int:
        return self.options.seed

    def target(self, name: str) -> Target:
        if name not in self._targets:
            self._targets[name] = Target(name)
        return self._targets[name]

    @functools.cache  # noqa: B019 - a Suite lives for one session
    def cases(self, family: str) -> list:
        fam = FAMILIES[family]
        table = fam.quick() if self.options.quick else fam.cases()
        return select(table, self.options.ops, family)

    def items(self, family: str) -> Iterator[tuple[str, object, xfails.Entry | None]]:
        """(backend, case, xfail entry) for every selected case, case-major (so a case's
        golden, computed once, serves every backend in turn)."""
        for case in self.cases(family):
            for name in self.backends:
                yield name, case, self.manifest.match(name, case)

    def all_cases(self) -> Iterator:
        for fam in FAMILIES.values():
            yield from fam.cases()

    def run(self, family: str, backend: str, case) -> CaseResult:
        fam: Family = FAMILIES[family]
        return fam.run(self.target(backend), case, self.seed, self.options.probe)


def families() -> Sequence[str]:
    return list(FAMILIES)
